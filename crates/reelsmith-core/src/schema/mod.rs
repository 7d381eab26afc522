//! OpenAPI document → form model (fields, kinds, limits, defaults), validation, payloads.
//!
//! `model` reads a fal queue OpenAPI document into a [`FormModel`] (with `resolve` following
//! `$ref`/`allOf`/`anyOf` and `classify` choosing each field's kind); `state` holds what the user
//! entered; `validate` checks it (schema limits plus the family `rules`); `payload` builds the
//! JSON sent to fal; `cost` estimates the price; `describe` is the CLI's JSON view.
//!
//! A field is `advanced` (shown under "More options") when it is optional and a plain setting
//! (text, number, switch, raw JSON) that does not shape the clip's length, frame rate, audio or
//! size: `negative_prompt`, `seed`, `guidance_scale`, `auto_fix`, `enable_safety_checker`…
//! The prompt, media, choice lists and objects are never advanced.

pub mod batch;
pub mod conform;
pub mod cost;
pub mod describe;
pub mod media_limits;
pub mod mentions;
pub mod presets;
pub mod rules;

mod classify;
mod error;
mod model;
mod payload;
mod resolve;
mod state;
mod validate;

pub use error::SchemaError;
pub use media_limits::MediaLimits;
pub use model::{Field, FieldKind, FormModel};
pub use payload::build_payload;
pub use state::{FieldValue, FormState, MediaRef};
pub use validate::{Issue, Severity, validate};
