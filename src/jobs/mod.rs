//! The job engine: state machine, runner tasks and the SQLite journal.

pub mod journal;
pub mod state;

pub use journal::{CachedUpload, Journal, JournalError};
pub use state::{FailKind, Failure, FileUpload, Job, JobId, JobLog, JobState, Transfer};
