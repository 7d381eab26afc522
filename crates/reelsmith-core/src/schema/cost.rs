//! Cost estimates from a small dated price table of the bundled endpoints.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::model::FormModel;
use crate::catalog::bundled::bundled_documents;

/// The day the prices below were read; estimates say so, since fal changes prices.
pub const PRICE_DATE: &str = "2026-01-28";

/// What a filled form is expected to cost.
#[derive(Debug, Clone, PartialEq)]
pub struct CostEstimate {
    /// The estimated price in US dollars.
    pub usd: f64,
    /// How it was worked out, e.g. "8 s × $0.40/s (720p, with audio)".
    pub basis: String,
    /// The date of the price table it comes from.
    pub price_date: &'static str,
}

impl fmt::Display for CostEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "about ${:.2} ({}; estimate from prices of {})",
            self.usd, self.basis, self.price_date
        )
    }
}

/// Per-second prices of one endpoint: (without audio, with audio) and the same at 4K, when known.
struct Rates {
    family: &'static str,
    normal: (f64, f64),
    uhd: Option<(f64, f64)>,
}

/// The price table. Endpoints not listed have no known price.
fn rates(endpoint_id: &str) -> Option<Rates> {
    const VEO: Rates = Rates {
        family: "Veo 3.1",
        normal: (0.20, 0.40),
        uhd: Some((0.40, 0.60)),
    };
    match endpoint_id {
        "fal-ai/veo3.1"
        | "fal-ai/veo3.1/image-to-video"
        | "fal-ai/veo3.1/reference-to-video"
        | "fal-ai/veo3.1/first-last-frame-to-video"
        | "fal-ai/veo3.1/extend-video" => Some(VEO),
        "fal-ai/veo3.1/fast/first-last-frame-to-video" => Some(Rates {
            family: "Veo 3.1 Fast",
            normal: (0.10, 0.15),
            uhd: None,
        }),
        // Kling O1 makes no sound, so both figures are the same.
        // The "Kling O1 reference-to-video" price is the seed (standard) endpoint's;
        // the pro tier costs more and its price is not in the table, so it stays unknown.
        "fal-ai/kling-video/o1/standard/reference-to-video" => Some(Rates {
            family: "Kling O1",
            normal: (0.112, 0.112),
            uhd: None,
        }),
        _ => None,
    }
}

/// Estimates what submitting `payload` to `endpoint_id` costs; `None` when the price is unknown
/// (an endpoint not in the table, a 4K price not listed, or no readable duration). Fields left
/// out of the payload count at the bundled schema's defaults, as fal applies them.
pub fn estimate(endpoint_id: &str, payload: &Value) -> Option<CostEstimate> {
    let rates = rates(endpoint_id)?;
    let defaults = bundled_defaults(endpoint_id);
    let pick = |name: &str| {
        payload
            .get(name)
            .or_else(|| defaults.and_then(|d| d.get(name)))
    };
    let seconds = pick("duration").and_then(seconds_of)?;
    let audio = rates.normal.0 != rates.normal.1
        && pick("generate_audio")
            .and_then(Value::as_bool)
            .unwrap_or(true);
    let resolution = pick("resolution").and_then(Value::as_str);
    let uhd = resolution.is_some_and(|r| r.eq_ignore_ascii_case("4k"));
    let (silent, loud) = if uhd { rates.uhd? } else { rates.normal };
    let per_second = if audio { loud } else { silent };
    let mut details: Vec<String> = vec![rates.family.to_string()];
    if let Some(r) = resolution {
        details.push(r.to_string());
    }
    if rates.normal.0 != rates.normal.1 {
        details.push(if audio { "with audio" } else { "without audio" }.to_string());
    }
    Some(CostEstimate {
        usd: seconds * per_second,
        basis: format!(
            "{} s × ${}/s ({})",
            super::validate::fmt_num(seconds),
            price(per_second),
            details.join(", ")
        ),
        price_date: PRICE_DATE,
    })
}

/// Estimates a filled form (local files count as placeholders: they do not change the price).
pub fn estimate_form(model: &FormModel, state: &super::FormState) -> Option<CostEstimate> {
    let placeholder = |p: &std::path::Path| Some(format!("file://{}", p.display()));
    let payload = super::build_payload(model, state, &placeholder).ok()?;
    estimate(&model.endpoint_id, &payload)
}

/// A per-second price with two decimals, or three when needed: 0.4 → "0.40", 0.112 → "0.112".
fn price(usd: f64) -> String {
    let three = format!("{usd:.3}");
    match three.strip_suffix('0') {
        Some(two) => two.to_string(),
        None => three,
    }
}

/// The bundled schema's defaults of an endpoint, read once (the window asks on every change).
fn bundled_defaults(endpoint_id: &str) -> Option<&'static Map<String, Value>> {
    static DEFAULTS: OnceLock<BTreeMap<&'static str, Map<String, Value>>> = OnceLock::new();
    DEFAULTS
        .get_or_init(|| {
            bundled_documents()
                .iter()
                .filter_map(|(id, text)| {
                    let model = FormModel::from_openapi_str(text).ok()?;
                    Some((*id, model.defaults()))
                })
                .collect()
        })
        .get(endpoint_id)
}

/// Seconds from a duration value: `"8s"`, `"5"` or `5`.
pub(crate) fn seconds_of(v: &Value) -> Option<f64> {
    let s = match v {
        Value::Number(n) => return n.as_f64().filter(|f| f.is_finite() && *f > 0.0),
        Value::String(s) => s.trim().trim_end_matches('s').trim(),
        _ => return None,
    };
    s.parse::<f64>().ok().filter(|f| f.is_finite() && *f > 0.0)
}
