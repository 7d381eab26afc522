//! Produces a job's result: picks the clip's size and length from the input, pans over the first
//! input image, renders (or reuses) the MP4, stores it on the CDN and builds fal's output JSON.

use std::sync::Arc;

use serde_json::{Map, Value, json};

use super::StoredFile;
use super::clip::{ClipSpec, render_clip_with_sound};
use super::inputs::InputUrl;
use super::jobs::{Job, Outcome};
use super::sound::SoundSpec;
use super::state::{Shared, lock};
use super::storage::looks_like_image;

/// Frame rate of rendered clips unless the input asks for one (`fps`).
pub const DEFAULT_FPS: u32 = 24;

/// Rendered clips kept for reuse.
const MAX_CACHED_CLIPS: usize = 64;

/// Clip length when the input gives no usable `duration`.
pub const DEFAULT_SECONDS: f64 = 2.0;

/// Seconds in a duration value such as `"8s"`, `"5"` or `6`.
pub(crate) fn parse_seconds(value: &Value) -> Option<f64> {
    let seconds = match value {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().trim_end_matches('s').trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (seconds.is_finite() && seconds > 0.0).then_some(seconds)
}

/// The clip a job renders for `input`, given the source image size (if any) and the length cap.
pub(crate) fn spec_for_input(
    input: &Value,
    source: Option<(u32, u32)>,
    max_seconds: f64,
) -> ClipSpec {
    let aspect = input
        .get("aspect_ratio")
        .and_then(Value::as_str)
        .and_then(|a| a.split_once(':'))
        .and_then(|(w, h)| Some((w.trim().parse::<f64>().ok()?, h.trim().parse::<f64>().ok()?)));
    let (width, height) = match (aspect, source) {
        (Some((w, h)), _) => ClipSpec::frame_size(w, h),
        // "auto" (or no aspect field): portrait sources make portrait clips.
        (None, Some((w, h))) if h > w => ClipSpec::frame_size(9.0, 16.0),
        _ => ClipSpec::frame_size(16.0, 9.0),
    };
    let fps = input
        .get("fps")
        .and_then(Value::as_u64)
        .filter(|f| (1..=60).contains(f))
        .map_or(DEFAULT_FPS, |f| f as u32);
    let cap = ((max_seconds * fps as f64).round() as u32).max(1);
    let frames = match input.get("num_frames").and_then(Value::as_u64) {
        Some(n) if n >= 1 => n.min(u32::MAX as u64) as u32,
        _ => {
            let seconds = input
                .get("duration")
                .and_then(parse_seconds)
                .unwrap_or(DEFAULT_SECONDS);
            ((seconds * fps as f64).round() as u32).max(1)
        }
    };
    ClipSpec {
        width,
        height,
        fps,
        frames: frames.min(cap),
    }
}

/// Renders the job's result in the background and records it as the job's outcome.
pub(crate) fn spawn_render(
    shared: Arc<Shared>,
    job: Arc<Job>,
    doc: Arc<Value>,
    input: Value,
    urls: Vec<InputUrl>,
) {
    tokio::spawn(async move {
        let outcome = match produce(&shared, &job, &doc, &input, &urls).await {
            Ok(result) => Outcome::Success { result },
            Err(message) => Outcome::Failure {
                error: message.clone(),
                error_type: "internal_server_error".into(),
                status: 500,
                body: json!({"detail": message, "error_type": "internal_server_error"}),
            },
        };
        job.set_outcome(outcome);
    });
}

async fn produce(
    shared: &Shared,
    job: &Job,
    doc: &Value,
    input: &Value,
    urls: &[InputUrl],
) -> Result<Value, String> {
    let source_file: Option<StoredFile> = urls
        .iter()
        .filter_map(|u| shared.storage.lookup_url(&shared.base_url, &u.url))
        .find(looks_like_image);
    let source = match &source_file {
        Some(file) => {
            let path = file.path.clone();
            tokio::task::spawn_blocking(move || decode_image(&path))
                .await
                .map_err(|e| format!("decoding the input image stopped: {e}"))?
        }
        None => None,
    };
    // A file that claims to be an image but does not decode leaves the synthetic pattern.
    let source_hash = source
        .as_ref()
        .and(source_file.as_ref())
        .map(|f| f.blake3_hex.clone());
    let max_seconds = lock(&shared.settings).max_clip_seconds;
    let spec = spec_for_input(input, source.as_ref().map(|s| s.dimensions()), max_seconds);

    let sound = makes_sound(doc, &job.endpoint_id, input);
    let key = (source_hash, spec, sound);
    let cached = lock(&shared.clips).get(&key).cloned();
    let mp4 = match cached {
        Some(bytes) => bytes,
        None => {
            let rendered = tokio::task::spawn_blocking(move || {
                let sound = sound.then(SoundSpec::default);
                render_clip_with_sound(&spec, source.as_ref(), sound.as_ref())
            })
            .await
            .map_err(|e| format!("rendering the clip stopped: {e}"))?
            .map_err(|e| e.to_string())?;
            let rendered = Arc::new(rendered);
            let mut clips = lock(&shared.clips);
            // Clips are small, but a long session with many sources should not pile them up.
            if clips.len() >= MAX_CACHED_CLIPS {
                clips.clear();
            }
            clips.insert(key, rendered.clone());
            drop(clips);
            rendered
        }
    };
    let stored = shared
        .storage
        .store_bytes(&shared.base_url, "output.mp4", "video/mp4", &mp4)
        .await
        .map_err(|e| e.to_string())?;

    let mut result = Map::new();
    result.insert(
        "video".into(),
        json!({
            "url": stored.file_url,
            "content_type": "video/mp4",
            "file_name": "output.mp4",
            "file_size": stored.size,
        }),
    );
    if has_seed(doc, &job.endpoint_id) {
        let seed = input
            .get("seed")
            .and_then(Value::as_u64)
            .unwrap_or_else(|| rand::random::<u32>() as u64);
        result.insert("seed".into(), Value::from(seed));
    }
    Ok(Value::Object(result))
}

/// Decodes a stored file by its content (stored files have no extension to go by).
fn decode_image(path: &std::path::Path) -> Option<image::RgbImage> {
    let reader = image::ImageReader::open(path)
        .ok()?
        .with_guessed_format()
        .ok()?;
    reader.decode().ok().map(|img| img.to_rgb8())
}

/// Whether the result has sound: `generate_audio` as sent, else the schema's default for it
/// (fal fills defaults in); endpoints without the field make silent clips.
fn makes_sound(doc: &Value, endpoint_id: &str, input: &Value) -> bool {
    if let Some(on) = input.get("generate_audio").and_then(Value::as_bool) {
        return on;
    }
    reelsmith_core::schema::conform::input_schema(doc, endpoint_id)
        .and_then(|s| s.get("properties"))
        .and_then(|p| p.get("generate_audio"))
        .is_some_and(|f| f.get("default").and_then(Value::as_bool).unwrap_or(false))
}

/// Whether the endpoint's input schema has a `seed` field.
fn has_seed(doc: &Value, endpoint_id: &str) -> bool {
    reelsmith_core::schema::conform::input_schema(doc, endpoint_id)
        .and_then(|s| s.get("properties"))
        .is_some_and(|p| p.get("seed").is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_parse_from_fal_duration_values() {
        assert_eq!(parse_seconds(&json!("8s")), Some(8.0));
        assert_eq!(parse_seconds(&json!("5")), Some(5.0));
        assert_eq!(parse_seconds(&json!(6)), Some(6.0));
        assert_eq!(parse_seconds(&json!("soon")), None);
        assert_eq!(parse_seconds(&json!("-1")), None);
    }

    #[test]
    fn spec_follows_aspect_duration_and_cap() {
        let spec = spec_for_input(
            &json!({"aspect_ratio": "9:16", "duration": "3"}),
            None,
            10.0,
        );
        assert_eq!(
            spec,
            ClipSpec {
                width: 176,
                height: 320,
                fps: 24,
                frames: 72
            }
        );
        let capped = spec_for_input(&json!({"duration": "8s"}), None, 1.0);
        assert_eq!((capped.width, capped.height, capped.frames), (320, 176, 24));
        let auto = spec_for_input(&json!({"aspect_ratio": "auto"}), Some((600, 900)), 4.0);
        assert_eq!((auto.width, auto.height, auto.frames), (176, 320, 48));
        let vap = spec_for_input(&json!({"num_frames": 49, "fps": 16}), None, 10.0);
        assert_eq!((vap.fps, vap.frames), (16, 49));
    }
}
