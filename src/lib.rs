//! reelsmith: a desktop studio for generating video with fal.ai's hosted models.
//!
//! The engine (everything but `ui`) knows nothing of egui; the binary and the tests share it.

pub mod catalog;
pub mod cli;
pub mod fal;
pub mod human;
pub mod jobs;
pub mod library;
pub mod media;
pub mod paths;
pub mod schema;
pub mod sim;
pub mod ui;
