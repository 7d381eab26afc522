//! video-as-prompt: `num_frames` 1–100 and `fps` 1–60 (as the schema says, with those as the
//! fallback when a live schema drops the limits); a motion video and an image are both required.

use crate::schema::model::FormModel;
use crate::schema::state::{FieldValue, FormState};
use crate::schema::validate::{Issue, fmt_num};

/// Checks the video-as-prompt rules.
pub fn check(model: &FormModel, state: &FormState) -> Vec<Issue> {
    let mut out = Vec::new();
    for (name, what, lo, hi) in [
        ("num_frames", "frames", 1.0, 100.0),
        ("fps", "frames per second", 1.0, 60.0),
    ] {
        let field = model.field(name);
        let lo = field.and_then(|f| f.min).unwrap_or(lo);
        let hi = field.and_then(|f| f.max).unwrap_or(hi);
        let value = match state.get(name) {
            Some(FieldValue::Integer(i)) => *i as f64,
            Some(FieldValue::Number(f)) => *f,
            _ => continue,
        };
        if value < lo || value > hi {
            out.push(Issue::error(
                name,
                format!(
                    "Video-as-prompt takes {} to {} {what}; {} is outside that range.",
                    fmt_num(lo),
                    fmt_num(hi),
                    fmt_num(value)
                ),
            ));
        }
    }
    if state.media("video_url").is_empty() {
        out.push(Issue::error(
            "video_url",
            "Video-as-prompt needs a motion video: add the clip whose motion should be copied.",
        ));
    }
    if state.media("image_url").is_empty() {
        out.push(Issue::error(
            "image_url",
            "Video-as-prompt needs an image: add the picture that should move like the video.",
        ));
    }
    out
}
