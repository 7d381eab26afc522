//! The job engine: state machine, runner tasks and the upload cache.
//!
//! A job moves prepared → uploading → submitting → submitted → in queue → running →
//! downloading → done | failed | cancelled ([`state`]); every step is written to the
//! journal ([`crate::store`]) first; [`engine`] runs jobs and takes commands; [`runner`] is one
//! job's path.

pub mod engine;
pub mod events;
pub mod preflight;
mod runner;
pub mod state;
pub mod upload_cache;

pub use engine::{
    BundledModels, CancelResult, EngineConfig, EngineError, EngineHandle, JobEngine, ModelSource,
    NewJob, check_input, describe_issues,
};
pub use events::{ChangeKind, JobEvent};
pub use state::{FailKind, Failure, FileUpload, Job, JobId, JobLog, JobState, Transfer};
pub use upload_cache::UploadCache;
