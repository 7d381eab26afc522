//! OpenAPI document → form model (fields, kinds, limits, defaults), validation, payloads.

pub mod conform;
pub mod media_limits;

pub use media_limits::MediaLimits;
