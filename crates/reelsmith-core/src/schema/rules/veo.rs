//! Veo 3.1: reference-to-video wants 1–3 subject images (a warning beyond); extend-video makes
//! 7 s at 720p; input frames should be 16:9 or 9:16 (others are cropped).

use std::path::Path;

use crate::schema::model::FormModel;
use crate::schema::state::{FieldValue, FormState, MediaRef};
use crate::schema::validate::Issue;

/// Subject images reference-to-video uses.
pub const MAX_SUBJECT_IMAGES: usize = 3;
/// How far from 16:9 or 9:16 an image may be before it is cropped (2 %).
const RATIO_TOLERANCE: f64 = 0.02;
/// The fields holding a frame Veo animates.
const FRAME_FIELDS: &[&str] = &["image_url", "first_frame_url", "last_frame_url"];

/// Checks the Veo 3.1 rules.
pub fn check(model: &FormModel, state: &FormState) -> Vec<Issue> {
    let mut out = Vec::new();
    let id = model.endpoint_id.as_str();
    if id.ends_with("/reference-to-video") {
        let n = state.media("image_urls").len();
        if n == 0 {
            out.push(Issue::error(
                "image_urls",
                "Reference-to-video needs at least one subject image: add 1 to 3 photos of the subject.",
            ));
        } else if n > MAX_SUBJECT_IMAGES {
            out.push(Issue::warning(
                "image_urls",
                format!(
                    "Veo 3.1 uses 1 to 3 subject images; you gave {n}, so the last {} may be \
                     ignored. Keep the 3 that show the subject best.",
                    n - MAX_SUBJECT_IMAGES
                ),
            ));
        }
    }
    if id.ends_with("/extend-video") {
        if let Some(FieldValue::Text(d)) = state.get("duration")
            && d != "7s"
        {
            out.push(Issue::error(
                "duration",
                format!("Extend-video always adds 7 seconds; set Duration to 7s (it is {d})."),
            ));
        }
        if let Some(FieldValue::Text(r)) = state.get("resolution")
            && r != "720p"
        {
            out.push(Issue::error(
                "resolution",
                format!("Extend-video works at 720p only; set Resolution to 720p (it is {r})."),
            ));
        }
    }
    for name in FRAME_FIELDS {
        let Some(field) = model.field(name) else {
            continue;
        };
        for media in state.media(name) {
            if let MediaRef::Local(path) = media
                && let Some((w, h)) = image_size(path)
                && !is_veo_ratio(w, h)
            {
                out.push(Issue::warning(
                    *name,
                    format!(
                        "{}: the image is {w}×{h}, not 16:9 or 9:16, so Veo 3.1 will crop it to \
                         fit. Crop it yourself to choose what stays.",
                        field.label
                    ),
                ));
            }
        }
    }
    out
}

/// True when `w:h` is 16:9 or 9:16 within the tolerance.
pub fn is_veo_ratio(w: u32, h: u32) -> bool {
    if w == 0 || h == 0 {
        return false;
    }
    let r = w as f64 / h as f64;
    [16.0 / 9.0, 9.0 / 16.0]
        .iter()
        .any(|target| (r / target - 1.0).abs() <= RATIO_TOLERANCE)
}

/// The pixel size from the image header; `None` if it is not a readable image (the media
/// checks report that).
fn image_size(path: &Path) -> Option<(u32, u32)> {
    image::ImageReader::open(path)
        .ok()?
        .with_guessed_format()
        .ok()?
        .into_dimensions()
        .ok()
}
