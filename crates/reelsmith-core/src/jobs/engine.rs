//! The job engine: takes commands (submit, cancel, retry, remove), runs each job on a tokio task
//! through the journal, and reports every change as a [`JobEvent`].
//!
//! Several engines (the window, a CLI run, `reelsmith resume`) may share one journal: each holds
//! a lock file while it lives and claims the jobs it runs, so a job is driven by one process at a
//! time and a job whose process died (even by SIGKILL) is picked up by the next one.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{Semaphore, broadcast};
use tokio_util::sync::CancellationToken;

use crate::catalog::Catalog;
use crate::fal::{CancelOutcome, FalClient, FalError, QueueHandle};
use crate::jobs::events::{ChangeKind, JobEvent};
use crate::jobs::preflight;
use crate::jobs::runner;
use crate::jobs::state::{FailKind, Job, JobId, JobState};
use crate::jobs::upload_cache::{DEFAULT_UPLOAD_TTL, UploadCache};
use crate::schema::{FormModel, FormState, Issue, Severity};
use crate::store::{Journal, JournalError};

/// Settings of the engine.
#[derive(Clone)]
pub struct EngineConfig {
    /// Jobs worked on locally at once (fal queues the rest server-side).
    pub max_in_flight: usize,
    /// A job whose status has not changed for this long is flagged as stalled.
    pub stall_after: Duration,
    /// How long an uploaded file's URL is reused before the file is uploaded again.
    pub upload_ttl: Duration,
    /// The library folder finished videos go to (unless a job names its own output).
    pub output_dir: PathBuf,
    /// How long a submitted job keeps retrying through network failures before it is shown as
    /// failed (it stays resumable: it is never submitted again).
    pub network_patience: Duration,
    /// Resume every unfinished job of the journal when the engine starts.
    pub resume_on_start: bool,
    /// Jobs run against the built-in simulator (recorded in each job and sidecar).
    pub simulated: bool,
    /// Where pictures over a field's limits are re-encoded before upload.
    pub scratch_dir: PathBuf,
    /// Called after every event (the window passes a repaint request here).
    pub on_change: Option<Arc<dyn Fn() + Send + Sync>>,
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineConfig")
            .field("max_in_flight", &self.max_in_flight)
            .field("stall_after", &self.stall_after)
            .field("upload_ttl", &self.upload_ttl)
            .field("output_dir", &self.output_dir)
            .field("network_patience", &self.network_patience)
            .field("resume_on_start", &self.resume_on_start)
            .field("simulated", &self.simulated)
            .field("scratch_dir", &self.scratch_dir)
            .finish()
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_in_flight: 4,
            stall_after: crate::jobs::state::DEFAULT_STALL_AFTER,
            upload_ttl: DEFAULT_UPLOAD_TTL,
            output_dir: crate::library::output_dir(),
            network_patience: Duration::from_secs(10 * 60),
            resume_on_start: true,
            simulated: false,
            scratch_dir: crate::paths::cache_dir().join("prepared"),
            on_change: None,
        }
    }
}

/// Where the engine gets an endpoint's form model (to build a job's input, also on resume).
pub trait ModelSource: Send + Sync {
    /// The form model of `endpoint_id`, or a sentence saying why there is none.
    fn model(&self, endpoint_id: &str) -> Result<FormModel, String>;
}

impl<F> ModelSource for F
where
    F: Fn(&str) -> Result<FormModel, String> + Send + Sync,
{
    fn model(&self, endpoint_id: &str) -> Result<FormModel, String> {
        self(endpoint_id)
    }
}

impl ModelSource for Catalog {
    fn model(&self, endpoint_id: &str) -> Result<FormModel, String> {
        Catalog::model(self, endpoint_id).map_err(|e| e.to_string())
    }
}

impl ModelSource for Mutex<Catalog> {
    fn model(&self, endpoint_id: &str) -> Result<FormModel, String> {
        let catalog = self.lock().unwrap_or_else(|p| p.into_inner());
        Catalog::model(&catalog, endpoint_id).map_err(|e| e.to_string())
    }
}

/// The form models of the endpoint documents bundled with the app.
#[derive(Debug, Clone, Copy, Default)]
pub struct BundledModels;

impl ModelSource for BundledModels {
    fn model(&self, endpoint_id: &str) -> Result<FormModel, String> {
        let doc = crate::catalog::bundled::bundled_document(endpoint_id).ok_or_else(|| {
            "it is not one of the bundled endpoints (`reelsmith endpoints` lists them)".to_string()
        })?;
        FormModel::from_openapi_str(doc).map_err(|e| e.to_string())
    }
}

/// A job to submit.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The fal endpoint id.
    pub endpoint_id: String,
    /// The filled form (local files are uploaded by the engine).
    pub form: FormState,
    /// Where to save the video instead of the library (a file, or a folder for a library name).
    pub output: Option<PathBuf>,
}

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

/// What a cancel command achieved.
#[derive(Debug, Clone, PartialEq)]
pub enum CancelResult {
    /// The job is now cancelled (and fal was told, if it had the job).
    Cancelled(Job),
    /// Another reelsmith process runs the job; it was asked to stop it (and fal was told).
    Requested(Job),
}

/// The engine's entry point.
pub struct JobEngine;

impl JobEngine {
    /// Starts the engine (inside a tokio runtime): loads the journal, resumes unfinished jobs
    /// when `config.resume_on_start`, and returns the command handle and an event receiver.
    pub fn start(
        config: EngineConfig,
        client: FalClient,
        models: Arc<dyn ModelSource>,
        journal: Arc<Journal>,
    ) -> Result<(EngineHandle, broadcast::Receiver<JobEvent>), EngineError> {
        let lock_dir = journal
            .path()
            .parent()
            .unwrap_or(Path::new("."))
            .join("locks");
        std::fs::create_dir_all(&lock_dir).map_err(|source| EngineError::Io {
            path: lock_dir.clone(),
            source,
        })?;
        let instance = uuid::Uuid::new_v4().simple().to_string();
        let lock_path = lock_dir.join(format!("{instance}.lock"));
        let lock_file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(true)
            .write(true)
            .open(&lock_path)
            .map_err(|source| EngineError::Io {
                path: lock_path.clone(),
                source,
            })?;
        lock_file.lock().map_err(|source| EngineError::Io {
            path: lock_path.clone(),
            source,
        })?;
        let (events, rx) = broadcast::channel(4096);
        let mut jobs = HashMap::new();
        for job in journal.jobs()? {
            jobs.insert(job.id.clone(), job);
        }
        let inner = Arc::new(Inner {
            slots: Arc::new(Semaphore::new(config.max_in_flight.max(1))),
            uploads: UploadCache::new(journal.clone(), config.upload_ttl),
            config,
            client,
            models,
            journal,
            jobs: Mutex::new(jobs),
            tasks: Mutex::new(HashMap::new()),
            events,
            instance,
            lock_dir,
            lock_file: Mutex::new(Some(lock_file)),
            naming: tokio::sync::Mutex::new(()),
            shutdown: CancellationToken::new(),
            stalled: Mutex::new(HashSet::new()),
            last_progress: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            joins: Mutex::new(Vec::new()),
        });
        let handle = EngineHandle {
            inner: inner.clone(),
        };
        inner.spawn_ticker();
        if inner.config.resume_on_start {
            handle.resume_unfinished(false)?;
        }
        Ok((handle, rx))
    }
}

/// A running task of one job.
struct TaskEntry {
    generation: u64,
    cancel: CancellationToken,
}

/// The engine's shared state.
pub(crate) struct Inner {
    pub(crate) config: EngineConfig,
    pub(crate) client: FalClient,
    pub(crate) models: Arc<dyn ModelSource>,
    pub(crate) journal: Arc<Journal>,
    pub(crate) uploads: UploadCache,
    jobs: Mutex<HashMap<JobId, Job>>,
    tasks: Mutex<HashMap<JobId, TaskEntry>>,
    events: broadcast::Sender<JobEvent>,
    slots: Arc<Semaphore>,
    instance: String,
    lock_dir: PathBuf,
    lock_file: Mutex<Option<std::fs::File>>,
    pub(crate) naming: tokio::sync::Mutex<()>,
    shutdown: CancellationToken,
    stalled: Mutex<HashSet<JobId>>,
    last_progress: Mutex<HashMap<JobId, Instant>>,
    generation: AtomicU64,
    joins: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
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
    pub(crate) fn get(&self, id: &JobId) -> Option<Job> {
        lock(&self.jobs).get(id).cloned()
    }

    fn emit(&self, job: &Job, kind: ChangeKind) {
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
    pub(crate) fn update(
        &self,
        id: &JobId,
        kind: ChangeKind,
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
        self.journal.save_job(&job)?;
        self.emit(&job, kind);
        Ok(job)
    }

    /// Changes a job in memory only (byte progress) and tells listeners at most every 100 ms.
    pub(crate) fn progress(&self, id: &JobId, change: impl FnOnce(&mut Job)) {
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
    pub(crate) fn fail(
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

    fn claim(&self, id: &JobId) -> Result<bool, JournalError> {
        let lock_dir = self.lock_dir.clone();
        self.journal.claim_job(id, &self.instance, &move |other| {
            instance_alive(&lock_dir, other)
        })
    }

    fn is_running(&self, id: &JobId) -> bool {
        lock(&self.tasks).contains_key(id)
    }

    /// Starts the task that drives a job (claimed by this engine) to its end.
    fn spawn_runner(self: &Arc<Self>, id: JobId) {
        let generation = self.generation.fetch_add(1, Ordering::Relaxed);
        let cancel = CancellationToken::new();
        {
            let mut tasks = lock(&self.tasks);
            if tasks.contains_key(&id) {
                return;
            }
            tasks.insert(
                id.clone(),
                TaskEntry {
                    generation,
                    cancel: cancel.clone(),
                },
            );
        }
        let inner = self.clone();
        let join = tokio::spawn(async move {
            let stop = inner.shutdown.clone();
            let permit = tokio::select! {
                p = inner.slots.clone().acquire_owned() => p.ok(),
                _ = cancel.cancelled() => None,
                _ = stop.cancelled() => None,
            };
            let cancelled = if permit.is_some() {
                tokio::select! {
                    _ = runner::drive(&inner, &id) => false,
                    _ = cancel.cancelled() => true,
                    _ = stop.cancelled() => false,
                }
            } else {
                cancel.is_cancelled()
            };
            drop(permit);
            // The cancel is recorded while the task still counts as running, so a waiter never
            // sees a job that is neither running nor cancelled.
            let respawn = cancelled && !stop.is_cancelled() && inner.finish_cancel(&id).await;
            {
                let mut tasks = lock(&inner.tasks);
                if tasks.get(&id).is_some_and(|t| t.generation == generation) {
                    tasks.remove(&id);
                }
            }
            if respawn {
                inner.spawn_runner(id);
            }
        });
        let mut joins = lock(&self.joins);
        joins.retain(|j| !j.is_finished());
        joins.push(join);
    }

    /// Tells fal to cancel (when it has the job) and records the job as cancelled. Returns true
    /// when fal had already finished it: then the paid result is downloaded instead.
    async fn finish_cancel(self: &Arc<Self>, id: &JobId) -> bool {
        let Some(job) = self.get(id) else {
            return false;
        };
        if job.state.is_terminal() {
            return false;
        }
        if let Some(handle) = runner::queue_handle(&self.client, &job) {
            match self.client.cancel(&handle).await {
                Ok(CancelOutcome::AlreadyCompleted) => {
                    let _ = self.update(id, ChangeKind::Log, |job| {
                        job.push_log(runner::note(
                            "fal had already finished this job, so it is downloaded instead of cancelled",
                        ));
                        if job.state != JobState::Downloading {
                            job.set_state(JobState::Submitted);
                        }
                    });
                    let _ = self.journal.clear_cancel(id);
                    return true;
                }
                Ok(CancelOutcome::Requested) => {}
                Err(e) => tracing::warn!("cancelling job {id} at fal failed: {e}"),
            }
        }
        let _ = self.update(id, ChangeKind::State, |job| {
            job.set_state(JobState::Cancelled)
        });
        false
    }

    fn spawn_ticker(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let stop = self.shutdown.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.cancelled() => return,
                }
                let Some(inner) = weak.upgrade() else { return };
                inner.check_remote_cancels();
                inner.check_stalls();
            }
        });
    }

    /// Cancels requested by another process (`reelsmith cancel`) for jobs this engine runs.
    fn check_remote_cancels(&self) {
        let Ok(ids) = self.journal.cancels_for(&self.instance) else {
            return;
        };
        let tasks = lock(&self.tasks);
        for id in ids {
            if let Some(t) = tasks.get(&id) {
                t.cancel.cancel();
            }
        }
    }

    fn check_stalls(&self) {
        let now = Utc::now();
        let changed: Vec<(Job, bool)> = {
            let jobs = lock(&self.jobs);
            let mut stalled = lock(&self.stalled);
            let mut out = Vec::new();
            for job in jobs.values() {
                let is = job.is_stalled(now, self.config.stall_after);
                let was = stalled.contains(&job.id);
                if is != was {
                    if is {
                        stalled.insert(job.id.clone());
                    } else {
                        stalled.remove(&job.id);
                    }
                    out.push((job.clone(), is));
                }
            }
            out
        };
        for (job, _) in changed {
            self.emit(&job, ChangeKind::Stalled);
        }
    }
}

/// The engine's command handle; cheap to clone.
#[derive(Clone)]
pub struct EngineHandle {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for EngineHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineHandle")
            .field("instance", &self.inner.instance)
            .finish()
    }
}

impl EngineHandle {
    /// Checks the input (schema rules and the local files), records the job in the journal and
    /// starts it. Nothing is uploaded or submitted when the input has errors.
    pub async fn submit(&self, new: NewJob) -> Result<JobId, EngineError> {
        let model = self
            .inner
            .models
            .model(&new.endpoint_id)
            .map_err(|detail| EngineError::UnknownEndpoint {
                endpoint: new.endpoint_id.clone(),
                detail,
            })?;
        let issues = check_input(&model, &new.form);
        if issues.iter().any(|i| matches!(i.severity, Severity::Error)) {
            return Err(EngineError::Invalid(issues));
        }
        let form_json = serde_json::to_value(&new.form).map_err(|e| EngineError::Io {
            path: PathBuf::from("form"),
            source: std::io::Error::other(e),
        })?;
        let mut job = Job::new(
            &new.endpoint_id,
            &preflight::prompt_of(&new.form),
            form_json,
        );
        job.requested_output = new.output;
        job.simulated = self.inner.config.simulated;
        let id = job.id.clone();
        // The job is in the journal before anything is sent.
        self.inner.journal.save_job(&job)?;
        self.inner.claim(&id)?;
        lock(&self.inner.jobs).insert(id.clone(), job.clone());
        self.inner.emit(&job, ChangeKind::State);
        self.inner.spawn_runner(id.clone());
        Ok(id)
    }

    /// Cancels a job: tells fal when it has the job, and records it as cancelled. A job run by
    /// another reelsmith process is flagged so that process stops it.
    pub async fn cancel(&self, id: &JobId) -> Result<CancelResult, EngineError> {
        let job = self.load(id)?;
        if job.state.is_terminal() {
            return Err(EngineError::NotAllowed {
                id: id.clone(),
                state: job.state,
                what: "it has already finished; there is nothing to cancel".into(),
            });
        }
        if job.state == JobState::Downloading {
            return Err(EngineError::NotAllowed {
                id: id.clone(),
                state: job.state,
                what: "fal has already finished it; it is being saved".into(),
            });
        }
        self.inner.journal.request_cancel(id)?;
        let token = lock(&self.inner.tasks).get(id).map(|t| t.cancel.clone());
        if let Some(token) = token {
            token.cancel();
            return self.wait_cancel_outcome(id).await;
        }
        if self.inner.claim(id)? {
            lock(&self.inner.jobs).insert(id.clone(), job.clone());
            let respawn = self.inner.finish_cancel(id).await;
            if respawn {
                self.inner.spawn_runner(id.clone());
                return Err(EngineError::NotAllowed {
                    id: id.clone(),
                    state: JobState::Downloading,
                    what: "fal had already finished it; it is downloaded instead".into(),
                });
            }
            return Ok(CancelResult::Cancelled(self.load(id)?));
        }
        // Another live process runs it: it reads the flag; telling fal now saves money sooner.
        if let Some(handle) = runner::queue_handle(&self.inner.client, &job) {
            let _ = self.inner.client.cancel(&handle).await;
        }
        Ok(CancelResult::Requested(job))
    }

    /// Waits until a cancelled job's task recorded the outcome.
    async fn wait_cancel_outcome(&self, id: &JobId) -> Result<CancelResult, EngineError> {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(job) = self.inner.get(id)
                && job.state.is_terminal()
            {
                return Ok(CancelResult::Cancelled(job));
            }
            if !self.inner.journal.cancel_requested(id)? {
                return Err(EngineError::NotAllowed {
                    id: id.clone(),
                    state: JobState::Downloading,
                    what: "fal had already finished it; it is downloaded instead".into(),
                });
            }
            if Instant::now() > deadline {
                return Ok(CancelResult::Requested(self.load(id)?));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Runs a failed or cancelled job again. A job that reached fal and failed on the way back
    /// (network, timeout) is followed again with its request id; otherwise it is submitted
    /// again, reusing the uploads.
    pub async fn retry(&self, id: &JobId) -> Result<(), EngineError> {
        let job = self.load(id)?;
        if !matches!(job.state, JobState::Failed | JobState::Cancelled) {
            return Err(EngineError::NotAllowed {
                id: id.clone(),
                state: job.state,
                what: "only failed or cancelled jobs can be retried".into(),
            });
        }
        if self.inner.is_running(id) || !self.inner.claim(id)? {
            return Err(EngineError::NotAllowed {
                id: id.clone(),
                state: job.state,
                what: "another reelsmith process is running it".into(),
            });
        }
        self.inner.journal.clear_cancel(id)?;
        lock(&self.inner.jobs).insert(id.clone(), job.clone());
        let follow_again = job.state == JobState::Failed
            && job.request_id.is_some()
            && job
                .failure
                .as_ref()
                .is_some_and(|f| f.kind.is_transient() || f.kind == FailKind::Storage);
        self.inner.update(id, ChangeKind::State, |job| {
            job.failure = None;
            job.finished_at = None;
            if follow_again {
                let next = if job.video_url.is_some() {
                    JobState::Downloading
                } else {
                    JobState::Submitted
                };
                job.set_state(next);
            } else {
                if let Some(old) = job.request_id.take() {
                    job.push_log(runner::note(&format!(
                        "submitted again; the earlier request was {old}"
                    )));
                }
                job.handle = None;
                job.input = None;
                job.result = None;
                job.video_url = None;
                job.queue_position = None;
                job.download = None;
                job.output_path = None;
                job.submitted_at = None;
                job.started_at = None;
                job.completed_at = None;
                job.set_state(JobState::Prepared);
            }
        })?;
        self.inner.spawn_runner(id.clone());
        Ok(())
    }

    /// Removes a job from the list (its video, if any, stays in the library). A running job is
    /// cancelled first.
    pub async fn remove(&self, id: &JobId) -> Result<(), EngineError> {
        let job = self.load(id)?;
        if !job.state.is_terminal() {
            match self.cancel(id).await {
                Ok(_) => {}
                Err(EngineError::NotAllowed { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        self.inner.journal.remove_job(id)?;
        lock(&self.inner.jobs).remove(id);
        let _ = self.inner.events.send(JobEvent::Removed(id.clone()));
        if let Some(hook) = &self.inner.config.on_change {
            hook();
        }
        Ok(())
    }

    /// Claims and starts every unfinished job not run by another live process; with
    /// `include_failed_transient`, also jobs that failed on the network or a timeout: those fal
    /// has are followed again, those it never got are sent again (their uploads are cached).
    /// Returns the jobs started.
    pub fn resume_unfinished(
        &self,
        include_failed_transient: bool,
    ) -> Result<Vec<JobId>, EngineError> {
        let mut started = Vec::new();
        let mut candidates = self.inner.journal.unfinished_jobs()?;
        if include_failed_transient {
            candidates.extend(self.inner.journal.jobs()?.into_iter().filter(|j| {
                j.state == JobState::Failed
                    && j.failure.as_ref().is_some_and(|f| f.kind.is_transient())
            }));
        }
        // Simulated jobs belong to a simulator, real ones to fal: each engine resumes its own.
        candidates.retain(|j| j.simulated == self.inner.config.simulated);
        for job in candidates {
            if self.inner.is_running(&job.id) || !self.inner.claim(&job.id)? {
                lock(&self.inner.jobs).insert(job.id.clone(), job);
                continue;
            }
            let id = job.id.clone();
            let failed = job.state == JobState::Failed;
            lock(&self.inner.jobs).insert(id.clone(), job);
            if failed {
                self.inner.update(&id, ChangeKind::State, |job| {
                    job.failure = None;
                    job.finished_at = None;
                    let next = if job.video_url.is_some() {
                        JobState::Downloading
                    } else if job.request_id.is_some() {
                        JobState::Submitted
                    } else {
                        JobState::Prepared
                    };
                    job.set_state(next);
                })?;
            }
            self.inner.spawn_runner(id.clone());
            started.push(id);
        }
        Ok(started)
    }

    /// Every job known, oldest first.
    pub fn jobs(&self) -> Vec<Job> {
        let mut jobs: Vec<Job> = lock(&self.inner.jobs).values().cloned().collect();
        jobs.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
        jobs
    }

    /// One job's current snapshot.
    pub fn job(&self, id: &JobId) -> Option<Job> {
        self.inner.get(id)
    }

    /// True when the job's status has not changed for the configured stall time.
    pub fn is_stalled(&self, job: &Job) -> bool {
        job.is_stalled(Utc::now(), self.inner.config.stall_after)
    }

    /// True while this engine runs the job.
    pub fn is_running(&self, id: &JobId) -> bool {
        self.inner.is_running(id)
    }

    /// Another receiver of the engine's events.
    pub fn subscribe(&self) -> broadcast::Receiver<JobEvent> {
        self.inner.events.subscribe()
    }

    /// The journal the engine writes.
    pub fn journal(&self) -> &Arc<Journal> {
        &self.inner.journal
    }

    /// The engine's settings.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// Waits until `done(job)` holds for the job (checked after every event); returns the job,
    /// or `None` when the job disappeared.
    pub async fn wait_for(&self, id: &JobId, done: impl Fn(&Job) -> bool) -> Option<Job> {
        let mut rx = self.inner.events.subscribe();
        loop {
            let job = self.inner.get(id)?;
            if done(&job) || (job.state.is_terminal() && !self.inner.is_running(id)) {
                return Some(job);
            }
            let waited = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await;
            if let Ok(Err(broadcast::error::RecvError::Closed)) = waited {
                return self.inner.get(id);
            }
        }
    }

    /// Waits until the job is done, failed or cancelled and its task has ended.
    pub async fn wait_finished(&self, id: &JobId) -> Option<Job> {
        self.wait_for(id, |_| false).await
    }

    /// Stops every task without cancelling anything at fal: jobs stay in the journal at their
    /// last step, for the next start to resume. Releases this engine's claims.
    pub async fn shutdown(&self) {
        self.inner.shutdown.cancel();
        let joins: Vec<_> = lock(&self.inner.joins).drain(..).collect();
        for join in joins {
            let _ = join.await;
        }
        let _ = self.inner.journal.release_claims(&self.inner.instance);
        if let Some(file) = lock(&self.inner.lock_file).take() {
            let _ = file.unlock();
            drop(file);
            let _ = std::fs::remove_file(
                self.inner
                    .lock_dir
                    .join(format!("{}.lock", self.inner.instance)),
            );
        }
    }

    fn load(&self, id: &JobId) -> Result<Job, EngineError> {
        if let Some(job) = self.inner.get(id) {
            // The journal may know more (another process advanced it).
            if !self.inner.is_running(id)
                && let Some(fresh) = self.inner.journal.job(id)?
            {
                lock(&self.inner.jobs).insert(id.clone(), fresh.clone());
                return Ok(fresh);
            }
            return Ok(job);
        }
        self.inner
            .journal
            .job(id)?
            .ok_or_else(|| EngineError::UnknownJob(id.to_string()))
    }
}

/// Schema rules plus the local-file checks, errors and warnings together.
pub fn check_input(model: &FormModel, form: &FormState) -> Vec<Issue> {
    let mut issues = crate::schema::validate(model, form);
    for extra in preflight::check_local_files(model, form) {
        let dup = issues
            .iter()
            .any(|i| i.field == extra.field && matches!(i.severity, Severity::Error));
        if !dup {
            issues.push(extra);
        }
    }
    issues
}

/// The queue handle of a job that reached fal, for tests and tools.
pub fn handle_of(client: &FalClient, job: &Job) -> Option<QueueHandle> {
    runner::queue_handle(client, job)
}
