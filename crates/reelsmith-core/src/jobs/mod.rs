//! The job engine: state machine, runner tasks and the upload cache.
//!
//! A job moves prepared → uploading → submitting → submitted → in queue → running →
//! downloading → done | failed | cancelled ([`state`]); every step is written to the
//! journal ([`crate::store`]) first. A submit whose answer was lost makes it "submission
//! unknown": it is looked up in fal's request history ([`matching`]) and sent again only at the
//! user's word ([`unknown`]). [`engine`] starts the engine and takes commands through its
//! handle; [`tasks`] runs one task per job, and [`runner`] is that job's path; both change jobs
//! through the state they share ([`shared`]), which is why [`runner`] never needs [`engine`].

mod batch_submit;
pub mod budget_gate;
pub mod config;
mod delivery;
pub mod engine;
pub mod error;
pub mod events;
mod follow_step;
mod lookup;
pub mod matching;
pub mod models;
pub mod preflight;
mod queue_ops;
mod queue_turn;
mod real_cost;
mod runner;
mod shared;
pub mod state;
mod submission;
mod submit_gate;
mod tasks;
pub mod unknown;
pub mod upload_cache;
mod upload_step;
pub mod variations;

pub use budget_gate::{BudgetCheck, estimate_form};
pub use config::EngineConfig;
pub use engine::{CancelResult, EngineHandle, JobEngine, NewJob, finishing_notice};
pub use error::{EngineError, describe_issues};
pub use events::{ChangeKind, JobEvent};
pub use models::{BundledModels, ModelSource};
pub use preflight::check_input;
pub use queue_ops::{QueueCost, RetryAllReport};
pub use state::{
    FailKind, Failure, FileUpload, Job, JobId, JobLog, JobState, LostSubmit, Transfer,
};
pub use upload_cache::UploadCache;
