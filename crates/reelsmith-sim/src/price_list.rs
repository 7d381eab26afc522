//! The simulator's catalog and price list: its bundled endpoints plus a few more (a newer Veo,
//! Kling v3, Wan 2.6, an image model billed per megapixel, a model billed in compute seconds and
//! a deprecated Veo 3), each with fal's catalog metadata and a unit price.
//!
//! These prices are the simulator's own on purpose: a core test compares the app's bundled
//! price table with them, so the two cannot drift apart silently.

use std::collections::HashMap;
use std::sync::Arc;

use serde_json::{Value, json};

/// One model the simulator's catalog lists.
#[derive(Debug, Clone)]
pub(crate) struct SimModel {
    pub endpoint_id: &'static str,
    pub display_name: &'static str,
    pub category: &'static str,
    pub family: (&'static str, &'static str),
    pub date: &'static str,
    pub deprecated: bool,
    pub unit: &'static str,
    pub unit_price: f64,
    /// The share of the unit price billed per second without audio (fal's Veo prices).
    pub silent_ratio: f64,
}

const fn m(
    endpoint_id: &'static str,
    display_name: &'static str,
    category: &'static str,
    family: (&'static str, &'static str),
    date: &'static str,
    unit: &'static str,
    unit_price: f64,
) -> SimModel {
    SimModel {
        endpoint_id,
        display_name,
        category,
        family,
        date,
        deprecated: false,
        unit,
        unit_price,
        silent_ratio: 1.0,
    }
}

const VEO: (&str, &str) = ("veo3.1", "Veo 3.1");
const VEO_FAST: (&str, &str) = ("veo3.1-fast", "Veo 3.1 Fast");
const KLING: (&str, &str) = ("kling-video", "Kling");

/// Every model listed, bundled ones first.
pub(crate) fn models() -> Vec<SimModel> {
    let mut list = vec![
        m(
            "fal-ai/veo3.1",
            "Veo 3.1",
            "text-to-video",
            VEO,
            "2025-10-15",
            "seconds",
            0.40,
        ),
        m(
            "fal-ai/veo3.1/image-to-video",
            "Veo 3.1 Image to Video",
            "image-to-video",
            VEO,
            "2025-10-15",
            "seconds",
            0.40,
        ),
        m(
            "fal-ai/veo3.1/reference-to-video",
            "Veo 3.1 Reference to Video",
            "image-to-video",
            VEO,
            "2025-10-15",
            "seconds",
            0.40,
        ),
        m(
            "fal-ai/veo3.1/first-last-frame-to-video",
            "Veo 3.1 First-Last Frame",
            "image-to-video",
            VEO,
            "2025-10-15",
            "seconds",
            0.40,
        ),
        m(
            "fal-ai/veo3.1/extend-video",
            "Veo 3.1 Extend Video",
            "video-to-video",
            VEO,
            "2025-11-02",
            "seconds",
            0.40,
        ),
        m(
            "fal-ai/veo3.1/fast",
            "Veo 3.1 Fast",
            "text-to-video",
            VEO_FAST,
            "2025-10-15",
            "seconds",
            0.15,
        ),
        m(
            "fal-ai/veo3.1/fast/image-to-video",
            "Veo 3.1 Fast Image to Video",
            "image-to-video",
            VEO_FAST,
            "2025-10-15",
            "seconds",
            0.15,
        ),
        m(
            "fal-ai/veo3.1/fast/first-last-frame-to-video",
            "Veo 3.1 Fast First-Last Frame",
            "image-to-video",
            VEO_FAST,
            "2025-10-15",
            "seconds",
            0.15,
        ),
        m(
            "fal-ai/veo3.1/fast/extend-video",
            "Veo 3.1 Fast Extend Video",
            "video-to-video",
            VEO_FAST,
            "2025-11-02",
            "seconds",
            0.15,
        ),
        m(
            "fal-ai/kling-video/o1/standard/reference-to-video",
            "Kling O1 Reference to Video",
            "image-to-video",
            KLING,
            "2025-12-01",
            "seconds",
            0.112,
        ),
        m(
            "fal-ai/kling-video/o1/reference-to-video",
            "Kling O1 Pro Reference to Video",
            "image-to-video",
            KLING,
            "2025-12-01",
            "seconds",
            0.168,
        ),
        m(
            "fal-ai/video-as-prompt",
            "Wan Video-as-Prompt",
            "video-to-video",
            ("wan", "Wan"),
            "2025-10-01",
            "video",
            0.40,
        ),
        // Not bundled.
        m(
            "fal-ai/veo3.1/lite/image-to-video",
            "Veo 3.1 Lite Image to Video",
            "image-to-video",
            VEO,
            "2026-10-20",
            "seconds",
            0.08,
        ),
        m(
            "fal-ai/kling-video/v3/pro/text-to-video",
            "Kling v3 Pro Text to Video",
            "text-to-video",
            KLING,
            "2026-09-01",
            "seconds",
            0.224,
        ),
        m(
            "fal-ai/wan/v2.6/text-to-video",
            "Wan 2.6 Text to Video",
            "text-to-video",
            ("wan", "Wan"),
            "2026-08-12",
            "video",
            0.50,
        ),
        m(
            "fal-ai/flux/dev",
            "FLUX.1 [dev]",
            "text-to-image",
            ("flux", "FLUX"),
            "2024-08-01",
            "megapixels",
            0.025,
        ),
        m(
            "fal-ai/ltx-2/text-to-video",
            "LTX-2 Text to Video",
            "text-to-video",
            ("ltx", "LTX"),
            "2026-07-01",
            "compute seconds",
            0.0012,
        ),
    ];
    for model in list.iter_mut() {
        model.silent_ratio = match model.family.0 {
            "veo3.1" => 0.5,
            "veo3.1-fast" => 0.10 / 0.15,
            _ => 1.0,
        };
    }
    let mut old = m(
        "fal-ai/veo3/image-to-video",
        "Veo 3 Image to Video",
        "image-to-video",
        VEO,
        "2025-05-20",
        "seconds",
        0.50,
    );
    old.deprecated = true;
    list.push(old);
    list
}

/// Units fal would bill for a request's input, in the priced unit: seconds of video asked (the
/// endpoint's default when the input leaves it out; silent Veo seconds count as the share of a
/// priced second they cost), 1 per video, megapixels of the image size, or the run time.
pub(crate) fn billable_units(
    model: &SimModel,
    input: &Value,
    defaults: Option<&serde_json::Map<String, Value>>,
    run_seconds: f64,
) -> f64 {
    let pick = |name: &str| {
        input
            .get(name)
            .or_else(|| defaults.and_then(|d| d.get(name)))
    };
    match model.unit {
        "seconds" => {
            let seconds = pick("duration")
                .and_then(|d| match d {
                    Value::Number(n) => n.as_f64(),
                    Value::String(s) => s.trim().trim_end_matches('s').parse().ok(),
                    _ => None,
                })
                .unwrap_or(5.0);
            let silent = pick("generate_audio").and_then(Value::as_bool) == Some(false);
            if silent {
                seconds * model.silent_ratio
            } else {
                seconds
            }
        }
        "video" => 1.0,
        "megapixels" => pick("image_size")
            .and_then(|s| Some(s.get("width")?.as_f64()? * s.get("height")?.as_f64()? / 1e6))
            .unwrap_or(1.0),
        _ => run_seconds.max(1.0),
    }
}

/// The OpenAPI documents of the models that are not bundled: the text-to-video document of
/// Veo 3.1 under each one's id (a stand-in form that the app can read and submit).
pub(crate) fn extra_documents(bundled: &HashMap<String, Arc<Value>>) -> Vec<(String, Value)> {
    let Some(base) = bundled.get("fal-ai/veo3.1") else {
        return Vec::new();
    };
    let text = base.to_string();
    models()
        .into_iter()
        .filter(|m| !bundled.contains_key(m.endpoint_id))
        .filter_map(|m| {
            let mut doc: Value =
                serde_json::from_str(&text.replace("fal-ai/veo3.1", m.endpoint_id)).ok()?;
            if let Some(info) = doc.get_mut("info").and_then(Value::as_object_mut) {
                info.insert("title".into(), json!(m.display_name));
                info.remove("x-reelsmith");
            }
            Some((m.endpoint_id.to_string(), doc))
        })
        .collect()
}
