//! What the engine tells its listeners: a snapshot of a job after every change.
//!
//! Listeners (the CLI, the window) receive these over a `tokio::sync::broadcast` channel; the
//! window also passes an `on_change` hook that requests a repaint. Nothing here knows of egui.

use crate::jobs::state::{Job, JobId};

/// What kind of change an event reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeKind {
    /// The state (or queue position) changed.
    State,
    /// Bytes moved (upload or download progress).
    Progress,
    /// A new log line arrived.
    Log,
    /// The job became stalled, or stopped being stalled.
    Stalled,
}

/// One change of one job.
#[derive(Debug, Clone)]
pub enum JobEvent {
    /// A job changed; `job` is its new snapshot.
    Changed {
        /// The job after the change.
        job: Box<Job>,
        /// What changed.
        kind: ChangeKind,
        /// Whether the job is now shown as stalled.
        stalled: bool,
    },
    /// A job was removed from the list.
    Removed(JobId),
}

impl JobEvent {
    /// The id of the job concerned.
    pub fn job_id(&self) -> &JobId {
        match self {
            JobEvent::Changed { job, .. } => &job.id,
            JobEvent::Removed(id) => id,
        }
    }
}
