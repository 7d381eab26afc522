//! The job engine: takes commands (submit, cancel, retry, remove), runs each job on a tokio task
//! through the journal, and reports every change as a [`JobEvent`].
//!
//! Several engines (the window, a CLI run, `reelsmith resume`) may share one journal: each holds
//! a lock file while it lives and claims the jobs it runs, so a job is driven by one process at a
//! time and a job whose process died (even by SIGKILL) is picked up by the next one.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use tokio::sync::{Semaphore, broadcast};
use tokio_util::sync::CancellationToken;

use crate::fal::{FalClient, QueueHandle};
use crate::jobs::config::EngineConfig;
use crate::jobs::error::EngineError;
use crate::jobs::events::{ChangeKind, JobEvent};
use crate::jobs::models::ModelSource;
use crate::jobs::preflight;
use crate::jobs::runner;
use crate::jobs::shared::{Inner, lock};
use crate::jobs::state::{FailKind, Job, JobId, JobState};
use crate::jobs::submit_gate::SubmitGate;
use crate::jobs::upload_cache::UploadCache;
use crate::schema::FormState;
use crate::store::Journal;

/// A job to submit.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// The fal endpoint id.
    pub endpoint_id: String,
    /// The filled form (local files are uploaded by the engine).
    pub form: FormState,
    /// Where to save the video instead of the library (a file, or a folder for a library name).
    pub output: Option<PathBuf>,
    /// Let `output` replace a file already there (`--force`); without it an existing file is
    /// kept and the video is saved under its library name.
    pub overwrite_output: bool,
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
        // One unreadable row never stops the engine: it is reported and skipped.
        let (readable, damaged) = journal.jobs_checked()?;
        for job in readable {
            jobs.insert(job.id.clone(), job);
        }
        let order = journal.queue_order()?;
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
            paused: std::sync::atomic::AtomicBool::new(false),
            turn: tokio::sync::Notify::new(),
            order: Mutex::new(order),
            waiting: Mutex::new(HashSet::new()),
            respawn: Mutex::new(HashSet::new()),
            gate: Arc::new(SubmitGate::default()),
            damaged,
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

/// The engine's command handle; cheap to clone.
#[derive(Clone)]
pub struct EngineHandle {
    pub(super) inner: Arc<Inner>,
}

impl std::fmt::Debug for EngineHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineHandle")
            .field("instance", &self.inner.instance)
            .finish()
    }
}

impl EngineHandle {
    /// Checks the input (schema rules and the local files) and the budgets, records the job in
    /// the journal and starts it. Nothing is uploaded or submitted when the input has errors or
    /// the estimate would pass a budget.
    pub async fn submit(&self, new: NewJob) -> Result<JobId, EngineError> {
        let mut ids = self.submit_batch(vec![new], false).await?;
        ids.pop().ok_or_else(|| EngineError::Io {
            path: PathBuf::from("batch"),
            source: std::io::Error::other("a batch of one gave no job"),
        })
    }

    pub(crate) fn record_and_start(
        &self,
        new: NewJob,
        estimate: Option<&crate::schema::cost::CostEstimate>,
    ) -> Result<JobId, EngineError> {
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
        job.overwrite_output = new.overwrite_output;
        job.simulated = self.inner.config.simulated;
        job.cost = crate::money::JobCost::from_estimate(estimate);
        let id = job.id.clone();
        // The job is in the journal before anything is sent.
        self.inner.journal.save_job(&job)?;
        if self.inner.claim(&id)?.is_none() {
            return Err(EngineError::NotAllowed {
                id,
                state: job.state,
                what: "another reelsmith process took it at once".into(),
            });
        }
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
        if let Some(fresh) = self.inner.claim(id)? {
            lock(&self.inner.jobs).insert(id.clone(), fresh);
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
        let claimed = if self.inner.is_running(id) {
            None
        } else {
            self.inner.claim(id)?
        };
        let Some(job) = claimed else {
            return Err(EngineError::NotAllowed {
                id: id.clone(),
                state: job.state,
                what: "another reelsmith process is running it".into(),
            });
        };
        // The row as claimed: another process may have moved it on since it was listed.
        if !matches!(job.state, JobState::Failed | JobState::Cancelled) {
            lock(&self.inner.jobs).insert(id.clone(), job.clone());
            return Err(EngineError::NotAllowed {
                id: id.clone(),
                state: job.state,
                what: "only failed or cancelled jobs can be retried".into(),
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
    /// Jobs whose submission is unknown are looked up in fal's request history again, never
    /// sent again. Returns the jobs started.
    pub fn resume_unfinished(
        &self,
        include_failed_transient: bool,
    ) -> Result<Vec<JobId>, EngineError> {
        let mut started = Vec::new();
        let mut candidates = self.inner.journal.unfinished_jobs()?;
        candidates.extend(self.inner.journal.unknown_jobs()?);
        if include_failed_transient {
            candidates.extend(self.inner.journal.jobs()?.into_iter().filter(|j| {
                j.state == JobState::Failed
                    && j.failure.as_ref().is_some_and(|f| f.kind.is_transient())
            }));
        }
        // Simulated jobs belong to a simulator, real ones to fal: each engine resumes its own.
        candidates.retain(|j| j.simulated == self.inner.config.simulated);
        for listed in candidates {
            // A job this engine runs already is left to its task (its copy is the newest).
            if self.inner.is_running(&listed.id) {
                continue;
            }
            let Some(job) = self.inner.claim(&listed.id)? else {
                lock(&self.inner.jobs).insert(listed.id.clone(), listed);
                continue;
            };
            // Act on the row as claimed, not as listed: another process may have written the
            // request id (or finished the job) in between.
            let id = job.id.clone();
            let failed = job.state == JobState::Failed;
            let transient = job.failure.as_ref().is_some_and(|f| f.kind.is_transient());
            let settled =
                job.state.is_terminal() && !(failed && include_failed_transient && transient);
            lock(&self.inner.jobs).insert(id.clone(), job);
            if settled {
                continue;
            }
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

    /// The fal client the engine uses (for the platform calls of the front ends).
    pub fn client(&self) -> &FalClient {
        &self.inner.client
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
            if done(&job) || (job.state.is_settled() && !self.inner.is_running(id)) {
                return Some(job);
            }
            let waited = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await;
            if let Ok(Err(broadcast::error::RecvError::Closed)) = waited {
                return self.inner.get(id);
            }
        }
    }

    /// Waits until the job is done, failed, cancelled or waiting for the user's word (its
    /// submission unknown), and its task has ended.
    pub async fn wait_finished(&self, id: &JobId) -> Option<Job> {
        self.wait_for(id, |_| false).await
    }

    /// Submits on their way to fal now; [`EngineHandle::shutdown`] waits for them.
    pub fn submits_in_flight(&self) -> usize {
        self.inner.gate.in_flight()
    }

    /// Job rows of the journal that could not be read when the engine started (skipped).
    pub fn damaged_rows(&self) -> &[crate::store::DamagedRow] {
        &self.inner.damaged
    }

    /// Stops every task without cancelling anything at fal: jobs stay in the journal at their
    /// last step, for the next start to resume. A submit on its way is let finish (up to its
    /// own timeout) and its answer recorded, so it does not turn into "unknown". Releases
    /// this engine's claims.
    pub async fn shutdown(&self) {
        self.inner.gate.close();
        self.inner.shutdown.cancel();
        let limit = self.inner.client.options().request_timeout + Duration::from_secs(5);
        let left = self.inner.gate.wait_idle(limit).await;
        if left > 0 {
            tracing::warn!("{left} submit(s) still unanswered at shutdown; they show as unknown");
        }
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

/// What the front ends say while a shutdown waits for submits on their way ("Finishing 1
/// submit so it is not lost…"); `None` when there are none.
pub fn finishing_notice(in_flight: usize) -> Option<String> {
    match in_flight {
        0 => None,
        1 => Some("Finishing 1 submit so it is not lost…".into()),
        n => Some(format!("Finishing {n} submits so they are not lost…")),
    }
}

/// The queue handle of a job that reached fal, for tests and tools.
pub fn handle_of(client: &FalClient, job: &Job) -> Option<QueueHandle> {
    runner::queue_handle(client, job)
}
