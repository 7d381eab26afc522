//! Films: storyboards (ordered shots of library clips or pending jobs, with frame-accurate
//! trims), the actions that make new shots (extend, next shot from the last frame, redo),
//! importing your own footage, and exporting a storyboard or a clip as one MP4 with its sound.

pub mod actions;
pub mod boards;
pub mod encode;
pub mod error;
pub mod export;
pub mod frames;
pub mod h264;
pub mod import;
pub mod plan;
pub mod sidecar;
pub mod source;
pub mod storyboard;

pub use error::FilmError;
pub use export::{ExportHandle, ExportProgress, ExportReport, ExportRequest, ExportShot};
pub use import::import_video;
pub use plan::FrameRange;
pub use sidecar::FilmSidecar;
pub use storyboard::{ClipRef, Shot, ShotPurpose, Storyboard};
