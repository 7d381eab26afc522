//! Cross-field rules the schemas cannot express, one module per endpoint family.

pub mod kling;
pub mod veo;
pub mod video_as_prompt;

use super::model::FormModel;
use super::state::FormState;
use super::validate::Issue;

/// The endpoint families that have rules of their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// `fal-ai/kling-video/o1/…`
    KlingO1,
    /// `fal-ai/veo3.1…` (standard and fast)
    Veo31,
    /// `fal-ai/video-as-prompt`
    VideoAsPrompt,
}

/// The family an endpoint id belongs to, if it has rules.
pub fn family(endpoint_id: &str) -> Option<Family> {
    if endpoint_id.starts_with("fal-ai/kling-video/o1/") {
        Some(Family::KlingO1)
    } else if endpoint_id == "fal-ai/veo3.1" || endpoint_id.starts_with("fal-ai/veo3.1/") {
        Some(Family::Veo31)
    } else if endpoint_id == "fal-ai/video-as-prompt" {
        Some(Family::VideoAsPrompt)
    } else {
        None
    }
}

/// The issues the endpoint's family rules find in `state` (none for other endpoints).
pub fn check(model: &FormModel, state: &FormState) -> Vec<Issue> {
    match family(&model.endpoint_id) {
        Some(Family::KlingO1) => kling::check(model, state),
        Some(Family::Veo31) => veo::check(model, state),
        Some(Family::VideoAsPrompt) => video_as_prompt::check(model, state),
        None => Vec::new(),
    }
}
