//! The engine's shared state: what the command handle, the job tasks and the ticker all hold.
//!
//! Every change of a job goes through [`Inner::update`]: into the journal first, then to the
//! listeners.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{Semaphore, broadcast};
use tokio_util::sync::CancellationToken;

use crate::fal::FalClient;
use crate::jobs::config::EngineConfig;
use crate::jobs::events::{ChangeKind, JobEvent};
use crate::jobs::models::ModelSource;
use crate::jobs::state::{FailKind, Job, JobId};
use crate::jobs::submit_gate::SubmitGate;
use crate::jobs::upload_cache::UploadCache;
use crate::store::{DamagedRow, Journal, JournalError};

/// A running task of one job.
pub(super) struct TaskEntry {
    pub(super) generation: u64,
    pub(super) cancel: CancellationToken,
}

/// The engine's shared state.
pub(super) struct Inner {
    pub(super) config: EngineConfig,
    pub(super) client: FalClient,
    pub(super) models: Arc<dyn ModelSource>,
    pub(super) journal: Arc<Journal>,
    pub(super) uploads: UploadCache,
    pub(super) jobs: Mutex<HashMap<JobId, Job>>,
    pub(super) tasks: Mutex<HashMap<JobId, TaskEntry>>,
    pub(super) events: broadcast::Sender<JobEvent>,
    pub(super) slots: Arc<Semaphore>,
    pub(super) instance: String,
    pub(super) lock_dir: PathBuf,
    pub(super) lock_file: Mutex<Option<std::fs::File>>,
    pub(super) naming: tokio::sync::Mutex<()>,
    pub(super) shutdown: CancellationToken,
    pub(super) stalled: Mutex<HashSet<JobId>>,
    pub(super) last_progress: Mutex<HashMap<JobId, Instant>>,
    pub(super) generation: AtomicU64,
    pub(super) joins: Mutex<Vec<tokio::task::JoinHandle<()>>>,
    /// True while starting jobs not yet sent is paused (those at fal go on).
    pub(super) paused: std::sync::atomic::AtomicBool,
    /// Woken when a slot frees, the order changes or the pause ends.
    pub(super) turn: tokio::sync::Notify,
    /// The user's order of jobs not yet sent (others follow by creation time).
    pub(super) order: Mutex<Vec<JobId>>,
    /// Jobs waiting for their turn to start.
    pub(super) waiting: Mutex<HashSet<JobId>>,
    /// Jobs asked to start while their task was still ending: started again when it ends.
    pub(super) respawn: Mutex<HashSet<JobId>>,
    /// Submits in flight; shutdown waits for them.
    pub(super) gate: Arc<SubmitGate>,
    /// Job rows of the journal that could not be read at start (skipped).
    pub(super) damaged: Vec<DamagedRow>,
}

/// Locks `m`, also after a panic elsewhere: the maps stay usable and the journal is the truth.
pub(super) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// How often progress events are sent at most, per job.
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

/// Whether the engine instance `other` still runs: it holds an OS lock on its lock file for
/// its whole life, and the OS drops that lock when the process dies in any way.
fn instance_alive(lock_dir: &Path, other: &str) -> bool {
    let path = lock_dir.join(format!("{other}.lock"));
    let Ok(file) = std::fs::OpenOptions::new().write(true).open(&path) else {
        return false;
    };
    match file.try_lock() {
        Ok(()) => {
            let _ = file.unlock();
            let _ = std::fs::remove_file(&path);
            false
        }
        Err(std::fs::TryLockError::WouldBlock) => true,
        Err(std::fs::TryLockError::Error(_)) => false,
    }
}

impl Inner {
    /// The current snapshot of a job.
    pub(super) fn get(&self, id: &JobId) -> Option<Job> {
        lock(&self.jobs).get(id).cloned()
    }

    /// Tells the listeners (and the repaint hook) about the job as it is now.
    pub(super) fn emit(&self, job: &Job, kind: ChangeKind) {
        let stalled = job.is_stalled(Utc::now(), self.config.stall_after);
        let _ = self.events.send(JobEvent::Changed {
            job: Box::new(job.clone()),
            kind,
            stalled,
        });
        if let Some(hook) = &self.config.on_change {
            hook();
        }
    }

    /// Changes a job, writes it to the journal (in one transaction) and tells the listeners.
    pub(super) fn update(
        &self,
        id: &JobId,
        kind: ChangeKind,
        change: impl FnOnce(&mut Job),
    ) -> Result<Job, JournalError> {
        self.update_with(id, kind, false, change)
    }

    /// [`Inner::update`], synced to disk before it returns: for the row written before a
    /// submit goes out and the row with the request id fal gave.
    pub(super) fn update_durably(
        &self,
        id: &JobId,
        change: impl FnOnce(&mut Job),
    ) -> Result<Job, JournalError> {
        self.update_with(id, ChangeKind::State, true, change)
    }

    fn update_with(
        &self,
        id: &JobId,
        kind: ChangeKind,
        durable: bool,
        change: impl FnOnce(&mut Job),
    ) -> Result<Job, JournalError> {
        let job = {
            let mut jobs = lock(&self.jobs);
            let Some(job) = jobs.get_mut(id) else {
                return Err(JournalError::Damaged {
                    path: self.journal.path().to_path_buf(),
                    detail: format!("job {id} vanished from memory"),
                });
            };
            change(job);
            job.clone()
        };
        if durable {
            self.journal.save_job_durably(&job)?;
        } else {
            self.journal.save_job(&job)?;
        }
        self.emit(&job, kind);
        Ok(job)
    }

    /// Changes a job only while `still(job)` holds (checked under the same lock as the change);
    /// `None` when it no longer held and nothing was changed.
    pub(super) fn update_if(
        &self,
        id: &JobId,
        still: impl FnOnce(&Job) -> bool,
        change: impl FnOnce(&mut Job),
    ) -> Result<Option<Job>, JournalError> {
        let job = {
            let mut jobs = lock(&self.jobs);
            let Some(job) = jobs.get_mut(id) else {
                return Ok(None);
            };
            if !still(job) {
                return Ok(None);
            }
            change(job);
            job.clone()
        };
        self.journal.save_job_durably(&job)?;
        self.emit(&job, ChangeKind::State);
        Ok(Some(job))
    }

    /// Adds a reelsmith note to the job's log (a failed write is logged: it is only a note).
    pub(super) fn note(&self, id: &JobId, text: &str) {
        if let Err(e) = self.update(id, ChangeKind::Log, |job| {
            job.push_log(crate::jobs::runner::note(text))
        }) {
            tracing::warn!("job {id}: could not record \"{text}\": {e}");
        }
    }

    /// Changes a job in memory only (byte progress) and tells listeners at most every 100 ms.
    pub(super) fn progress(&self, id: &JobId, change: impl FnOnce(&mut Job)) {
        let job = {
            let mut jobs = lock(&self.jobs);
            let Some(job) = jobs.get_mut(id) else {
                return;
            };
            change(job);
            job.clone()
        };
        let due = {
            let mut last = lock(&self.last_progress);
            let now = Instant::now();
            match last.get(id) {
                Some(t) if now.duration_since(*t) < PROGRESS_EVERY => false,
                _ => {
                    last.insert(id.clone(), now);
                    true
                }
            }
        };
        if due {
            self.emit(&job, ChangeKind::Progress);
        }
    }

    /// Records a failure (the journal write errors are logged: there is nothing else to do).
    pub(super) fn fail(
        &self,
        id: &JobId,
        kind: FailKind,
        message: String,
        error_type: Option<String>,
    ) {
        if let Err(e) = self.update(id, ChangeKind::State, |job| {
            job.fail(kind, message, error_type)
        }) {
            tracing::error!("could not record the failure of job {id}: {e}");
        }
    }

    /// Claims the job for this engine unless another live engine holds it; returns the row as
    /// read inside the claim's transaction (what to act on), `None` when not claimed.
    pub(super) fn claim(&self, id: &JobId) -> Result<Option<Job>, JournalError> {
        let lock_dir = self.lock_dir.clone();
        self.journal.claim_job(id, &self.instance, &move |other| {
            instance_alive(&lock_dir, other)
        })
    }

    /// True while this engine has a task for the job.
    pub(super) fn is_running(&self, id: &JobId) -> bool {
        lock(&self.tasks).contains_key(id)
    }
}
