//! What engine commands can refuse or fail with.

use std::path::PathBuf;

use crate::fal::FalError;
use crate::jobs::state::{JobId, JobState};
use crate::schema::{Issue, Severity};
use crate::store::JournalError;

/// Errors of engine commands.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The input has errors; nothing was uploaded or submitted.
    #[error("the input is not valid: {}", describe_issues(.0))]
    Invalid(Vec<Issue>),
    /// The endpoint's form model is not available.
    #[error("the endpoint {endpoint} is not known: {detail}")]
    UnknownEndpoint {
        /// The endpoint id.
        endpoint: String,
        /// Why.
        detail: String,
    },
    /// No job with this id.
    #[error("there is no job {0}; `reelsmith jobs` lists them")]
    UnknownJob(String),
    /// The command does not apply to the job's state.
    #[error("job {id} is {state}: {what}")]
    NotAllowed {
        /// The job.
        id: JobId,
        /// Its state.
        state: JobState,
        /// Why the command does not apply.
        what: String,
    },
    /// The estimate would pass a budget; nothing was uploaded or submitted.
    #[error(
        "{0}. Nothing was uploaded or submitted. Raise the budget in Settings, or go on anyway \
         (--over-budget on the command line)"
    )]
    OverBudget(#[from] crate::money::OverBudget),
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] JournalError),
    /// fal refused the cancellation.
    #[error("{}", .0.user_message())]
    Fal(#[from] FalError),
    /// Files of the engine could not be created.
    #[error("{path}: {source}; check that the folder is writable")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
}

/// `field: message; field: message` for the errors in `issues`.
pub fn describe_issues(issues: &[Issue]) -> String {
    issues
        .iter()
        .filter(|i| matches!(i.severity, Severity::Error))
        .map(|i| format!("{}: {}", i.field, i.message))
        .collect::<Vec<_>>()
        .join("; ")
}
