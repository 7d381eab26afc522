//! The job engine: state machine, runner tasks and the upload cache.
//!
//! A job moves prepared → uploading → submitting → submitted → in queue → running →
//! downloading → done | failed | cancelled ([`state`]); every step is written to the
//! journal ([`crate::store`]) first. [`engine`] starts the engine and takes commands through its
//! handle; [`tasks`] runs one task per job, and [`runner`] is that job's path; both change jobs
//! through the state they share ([`shared`]), which is why [`runner`] never needs [`engine`].

pub mod config;
pub mod engine;
pub mod error;
pub mod events;
pub mod models;
pub mod preflight;
mod queue_ops;
mod queue_turn;
mod runner;
mod shared;
pub mod state;
mod tasks;
pub mod upload_cache;

pub use config::EngineConfig;
pub use engine::{CancelResult, EngineHandle, JobEngine, NewJob};
pub use error::{EngineError, describe_issues};
pub use events::{ChangeKind, JobEvent};
pub use models::{BundledModels, ModelSource};
pub use preflight::check_input;
pub use queue_ops::{QueueCost, RetryAllReport};
pub use state::{FailKind, Failure, FileUpload, Job, JobId, JobLog, JobState, Transfer};
pub use upload_cache::UploadCache;
