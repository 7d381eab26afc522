//! The window's side of the job engine: starts it, sends it commands without blocking, keeps
//! the last snapshot of every job from its events, and the library index for the gallery.

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use poll_promise::Promise;
use rand::Rng;
use tokio::sync::broadcast;

use super::app::Persisted;
use super::config::StudioConfig;
use super::theme::Tone;
use reelsmith_core::catalog::Catalog;
use reelsmith_core::fal::{ApiKey, FalClient};
use reelsmith_core::jobs::{
    EngineConfig, EngineHandle, Job, JobEngine, JobEvent, JobId, JobState, NewJob,
};
use reelsmith_core::library::LibraryItem;
use reelsmith_core::schema::{FieldValue, FormModel, FormState};
use reelsmith_core::store::Journal;

/// Largest seed given to variations.
const SEED_MAX: i64 = 2_147_483_647;
/// While a job runs, the window repaints this often: the elapsed time shows whole seconds, and
/// every real change (position, logs, bytes) repaints through the engine's events anyway.
const RUNNING_TICK: Duration = Duration::from_secs(1);

/// Something worth a toast.
#[derive(Debug, Clone)]
pub struct Notice {
    /// Its colour.
    pub tone: Tone,
    /// Its text.
    pub text: String,
}

type CommandPromise = Promise<Result<Option<String>, String>>;

/// The engine as the window sees it.
pub struct EngineLink {
    engine: Option<EngineHandle>,
    events: Option<broadcast::Receiver<JobEvent>>,
    journal: Option<Arc<Journal>>,
    /// Shows given jobs and videos with no engine behind them (previews, benchmarks).
    detached: bool,
    jobs: Vec<Job>,
    stalled: HashSet<JobId>,
    library: Vec<LibraryItem>,
    library_load: Option<Promise<Vec<LibraryItem>>>,
    commands: Vec<CommandPromise>,
    error: Option<String>,
    /// What opening the journal found worth telling (a damaged file, unreadable rows).
    notices: Vec<String>,
    /// The engine shutting down after a close request, waiting for submits in flight.
    closing: Option<Promise<()>>,
    closing_text: Option<String>,
    ctx: egui::Context,
    rt: Option<tokio::runtime::Handle>,
    /// Prices and budgets shared with the engine (see `money_link`).
    money: reelsmith_core::money::MoneyHandle,
}

impl EngineLink {
    /// Opens the journal (history and library show even before a key is known).
    pub fn new(ctx: &egui::Context, config: &StudioConfig, _persisted: &Persisted) -> EngineLink {
        let mut link = EngineLink {
            engine: None,
            events: None,
            journal: None,
            detached: false,
            jobs: Vec::new(),
            stalled: HashSet::new(),
            library: Vec::new(),
            library_load: None,
            commands: Vec::new(),
            error: None,
            notices: Vec::new(),
            closing: None,
            closing_text: None,
            ctx: ctx.clone(),
            rt: None,
            money: Default::default(),
        };
        // The core's one way to open the journal, shared with the command line.
        let opened = reelsmith_core::store::open_journal(
            &config.data_dir,
            std::slice::from_ref(&config.default_output_dir),
        );
        match opened {
            Ok(opened) => {
                let journal = opened.journal;
                link.notices = opened.notices;
                link.jobs = journal.jobs().unwrap_or_default();
                sort_jobs(&mut link.jobs);
                link.library = journal.library_items().unwrap_or_default();
                sort_library(&mut link.library);
                link.journal = Some(journal);
            }
            Err(e) => link.error = Some(format!("The job journal could not be opened: {e}")),
        }
        link
    }

    /// A link showing `jobs` and `library` with no engine (benchmarks, previews).
    pub fn detached(ctx: &egui::Context, jobs: Vec<Job>, library: Vec<LibraryItem>) -> EngineLink {
        let mut link = EngineLink {
            engine: None,
            events: None,
            journal: None,
            detached: true,
            jobs,
            stalled: HashSet::new(),
            library,
            library_load: None,
            commands: Vec::new(),
            error: None,
            notices: Vec::new(),
            closing: None,
            closing_text: None,
            ctx: ctx.clone(),
            rt: None,
            money: Default::default(),
        };
        sort_jobs(&mut link.jobs);
        sort_library(&mut link.library);
        link
    }

    /// (Re)starts the engine for `key` (None: no engine; the queue shows history only).
    pub fn connect(
        &mut self,
        config: &StudioConfig,
        persisted: &Persisted,
        key: Option<ApiKey>,
        rt: &tokio::runtime::Handle,
    ) {
        self.rt = Some(rt.clone());
        if let Some(old) = self.engine.take() {
            // The old engine stops without cancelling anything: the new one resumes its jobs.
            shutdown_and_wait(rt, old);
        }
        self.events = None;
        let Some(key) = key else {
            return;
        };
        let Some(journal) = self.journal.clone() else {
            return;
        };
        let client = match FalClient::new(config.service.urls.clone(), Some(key)) {
            Ok(c) => c,
            Err(e) => {
                self.error = Some(format!(
                    "The HTTP client could not be set up: {}",
                    e.user_message()
                ));
                return;
            }
        };
        let ctx = self.ctx.clone();
        let engine_config = EngineConfig {
            max_in_flight: persisted.jobs_in_flight.clamp(1, 32) as usize,
            output_dir: persisted
                .output_dir
                .clone()
                .unwrap_or_else(|| config.default_output_dir.clone()),
            resume_on_start: true,
            simulated: config.service.is_simulated(),
            on_change: Some(Arc::new(move || ctx.request_repaint())),
            money: self.money.clone(),
            ..EngineConfig::default()
        };
        let cache = config.cache_dir.clone();
        let models = move |id: &str| Catalog::load(&cache).model(id).map_err(|e| e.to_string());
        match JobEngine::start(engine_config, client, Arc::new(models), journal) {
            Ok((engine, events)) => {
                self.jobs = engine.jobs();
                sort_jobs(&mut self.jobs);
                self.stalled = self
                    .jobs
                    .iter()
                    .filter(|j| engine.is_stalled(j))
                    .map(|j| j.id.clone())
                    .collect();
                self.engine = Some(engine);
                self.events = Some(events);
                self.error = None;
            }
            Err(e) => self.error = Some(format!("The job engine could not start: {e}")),
        }
    }

    /// The prices and budgets the engine checks a submit against (set before `connect`).
    pub fn set_money(&mut self, money: reelsmith_core::money::MoneyHandle) {
        self.money = money;
    }

    /// The journal, once open (storyboards are read and edited through it, off the UI thread).
    pub fn journal(&self) -> Option<Arc<Journal>> {
        self.journal.clone()
    }

    /// Stops the engine, waiting for its tasks (jobs stay recorded and resume on next start).
    pub fn shutdown(&mut self) {
        if let (Some(engine), Some(rt)) = (self.engine.take(), self.rt.clone()) {
            shutdown_and_wait(&rt, engine);
        }
        self.events = None;
    }

    /// True when commands can be sent (a detached preview counts as ready; its commands fail).
    pub fn is_ready(&self) -> bool {
        self.engine.is_some() || self.detached
    }

    /// Why there is no engine.
    pub fn unavailable_reason(&self) -> String {
        self.error
            .clone()
            .unwrap_or_else(|| "Enter your fal key in Settings (or try the simulator).".into())
    }

    /// Every job, newest first.
    pub fn jobs(&self) -> &[Job] {
        &self.jobs
    }

    /// True when the job is flagged as stalled.
    pub fn is_stalled(&self, id: &JobId) -> bool {
        self.stalled.contains(id)
    }

    /// Flags a job as stalled (the engine does this from its events; previews call it).
    pub fn set_stalled(&mut self, id: &JobId, stalled: bool) {
        if stalled {
            self.stalled.insert(id.clone());
        } else {
            self.stalled.remove(id);
        }
    }

    /// Every finished video, newest first.
    pub fn library(&self) -> &[LibraryItem] {
        &self.library
    }

    /// Jobs not finished yet (an unknown submission waits for the user: not active).
    pub fn active_count(&self) -> usize {
        self.jobs.iter().filter(|j| !j.state.is_settled()).count()
    }

    /// True while the engine has a task for the job (e.g. a lookup in fal's history).
    pub fn is_running(&self, id: &JobId) -> bool {
        self.engine.as_ref().is_some_and(|e| e.is_running(id))
    }

    /// On a close request: when submits are on their way, shuts the engine down on the
    /// runtime (it lets them finish) and returns true: the close must wait. Never blocks.
    pub fn begin_closing(&mut self) -> bool {
        let in_flight = self.engine.as_ref().map_or(0, |e| e.submits_in_flight());
        let Some(text) = reelsmith_core::jobs::finishing_notice(in_flight) else {
            return false;
        };
        let (Some(engine), Some(rt)) = (self.engine.take(), self.rt.clone()) else {
            return false;
        };
        self.events = None;
        let ctx = self.ctx.clone();
        let _guard = rt.enter();
        self.closing = Some(Promise::spawn_async(async move {
            engine.shutdown().await;
            ctx.request_repaint();
        }));
        self.closing_text = Some(text);
        true
    }

    /// True while a close waits for submits in flight.
    pub fn is_closing(&self) -> bool {
        self.closing.is_some()
    }

    /// True once, when the waiting close may go ahead.
    pub fn poll_closing(&mut self) -> bool {
        match self.closing.take().map(|p| p.try_take()) {
            Some(Ok(())) => {
                self.closing_text = None;
                true
            }
            Some(Err(p)) => {
                self.closing = Some(p);
                false
            }
            None => false,
        }
    }

    /// "Finishing 1 submit so it is not lost…" while a close waits.
    pub fn closing_notice(&self) -> Option<&str> {
        self.closing_text.as_deref()
    }

    /// Average model time of finished jobs of `endpoint_id`, for "about N s left".
    pub fn typical_run_time(&self, endpoint_id: &str) -> Option<Duration> {
        let runs: Vec<Duration> = self
            .jobs
            .iter()
            .filter(|j| j.endpoint_id == endpoint_id && j.state == JobState::Done)
            .filter_map(|j| {
                let (s, e) = (j.started_at?, j.completed_at?);
                e.signed_duration_since(s).to_std().ok()
            })
            .collect();
        if runs.is_empty() {
            return None;
        }
        Some(runs.iter().sum::<Duration>() / runs.len() as u32)
    }

    /// The running engine, for work that submits its own jobs (a storyboard's shots).
    pub fn handle(&self) -> Option<EngineHandle> {
        self.engine.clone()
    }

    /// The job with this id, as last seen.
    pub fn job(&self, id: &str) -> Option<&Job> {
        self.jobs.iter().find(|j| j.id.as_str() == id)
    }

    /// Drains engine events and finished commands; returns what deserves a toast.
    pub fn poll(&mut self) -> Vec<Notice> {
        let mut notices: Vec<Notice> = self
            .notices
            .drain(..)
            .map(|text| Notice {
                tone: Tone::Warning,
                text,
            })
            .collect();
        let mut reload_library = false;
        let mut resync = false;
        if let Some(rx) = self.events.as_mut() {
            loop {
                match rx.try_recv() {
                    Ok(JobEvent::Changed { job, stalled, .. }) => {
                        if stalled {
                            self.stalled.insert(job.id.clone());
                        } else {
                            self.stalled.remove(&job.id);
                        }
                        let before = self.jobs.iter().position(|j| j.id == job.id);
                        let was = before.map(|i| self.jobs[i].state);
                        if was != Some(job.state) {
                            match job.state {
                                JobState::Done => {
                                    reload_library = true;
                                    notices.push(Notice {
                                        tone: Tone::Success,
                                        text: format!("Video ready: {}", excerpt(&job.prompt, 48)),
                                    });
                                }
                                JobState::Failed => notices.push(Notice {
                                    tone: Tone::Danger,
                                    text: format!(
                                        "Job failed: {}",
                                        job.failure
                                            .as_ref()
                                            .map(|f| f.message.as_str())
                                            .unwrap_or("unknown reason")
                                    ),
                                }),
                                _ => {}
                            }
                        }
                        match before {
                            Some(i) => self.jobs[i] = *job,
                            None => {
                                self.jobs.push(*job);
                                sort_jobs(&mut self.jobs);
                            }
                        }
                    }
                    Ok(JobEvent::Removed(id)) => self.jobs.retain(|j| j.id != id),
                    Err(broadcast::error::TryRecvError::Lagged(_)) => resync = true,
                    Err(_) => break,
                }
            }
        }
        if resync && let Some(engine) = &self.engine {
            self.jobs = engine.jobs();
            sort_jobs(&mut self.jobs);
            reload_library = true;
        }
        let mut still = Vec::new();
        for c in self.commands.drain(..) {
            match c.try_take() {
                Ok(Ok(Some(text))) => notices.push(Notice {
                    tone: Tone::Muted,
                    text,
                }),
                Ok(Ok(None)) => {}
                Ok(Err(text)) => notices.push(Notice {
                    tone: Tone::Danger,
                    text,
                }),
                Err(c) => still.push(c),
            }
        }
        self.commands = still;
        if let Some(p) = self.library_load.take() {
            match p.try_take() {
                Ok(items) => self.library = items,
                Err(p) => self.library_load = Some(p),
            }
        }
        if reload_library {
            self.reload_library();
        }
        notices
    }

    /// Reads the library index again, off the UI thread.
    pub fn reload_library(&mut self) {
        let Some(journal) = self.journal.clone() else {
            return;
        };
        let ctx = self.ctx.clone();
        self.library_load = Some(Promise::spawn_blocking(move || {
            let mut items = journal.library_items().unwrap_or_default();
            sort_library(&mut items);
            ctx.request_repaint();
            items
        }));
    }

    /// True while a library reload or a command is still running.
    pub fn busy(&self) -> bool {
        self.library_load.is_some() || !self.commands.is_empty()
    }

    /// Asks for a repaint now and then while jobs run (elapsed time); none while idle.
    pub fn schedule_repaint(&self, ctx: &egui::Context) {
        if self.active_count() > 0 {
            ctx.request_repaint_after(RUNNING_TICK);
        }
    }

    fn spawn(
        &mut self,
        fut: impl std::future::Future<Output = Result<Option<String>, String>> + Send + 'static,
    ) {
        let ctx = self.ctx.clone();
        self.commands.push(Promise::spawn_async(async move {
            let r = fut.await;
            ctx.request_repaint();
            r
        }));
    }

    /// Submits the form `count` times (each with its own seed when the endpoint has one).
    pub fn submit(
        &mut self,
        model: &FormModel,
        state: &FormState,
        count: u32,
        over_budget: bool,
    ) -> Result<u32, String> {
        let Some(engine) = self.engine.clone() else {
            if self.detached {
                return Err("This is a preview: there is no job engine behind it.".into());
            }
            return Err(self.unavailable_reason());
        };
        let has_seed = model.field("seed").is_some();
        let mut rng = rand::rng();
        let mut batch = Vec::with_capacity(count as usize);
        for i in 0..count {
            let mut form = state.clone();
            if has_seed && count > 1 && (i > 0 || form.get("seed").is_none()) {
                form.values.insert(
                    "seed".into(),
                    FieldValue::Integer(rng.random_range(0..=SEED_MAX)),
                );
            }
            batch.push(NewJob {
                endpoint_id: model.endpoint_id.clone(),
                form,
                output: None,
                overwrite_output: false,
            });
        }
        // One batch: the budgets see the variations together, before any is recorded.
        self.spawn(async move {
            engine
                .submit_batch(batch, over_budget)
                .await
                .map(|_| None)
                .map_err(|e| format!("Could not submit: {e}"))
        });
        Ok(count)
    }

    /// Cancels a job (at fal too).
    pub fn cancel(&mut self, id: &JobId) {
        if let Some(engine) = self.engine.clone() {
            let id = id.clone();
            self.spawn(async move {
                engine
                    .cancel(&id)
                    .await
                    .map(|_| None)
                    .map_err(|e| format!("Could not cancel: {e}"))
            });
        }
    }

    /// Runs a failed or cancelled job again.
    pub fn retry(&mut self, id: &JobId) {
        if let Some(engine) = self.engine.clone() {
            let id = id.clone();
            self.spawn(async move {
                engine
                    .retry(&id)
                    .await
                    .map(|_| None)
                    .map_err(|e| format!("Could not retry: {e}"))
            });
        }
    }

    /// Looks in fal's request history again for a job whose submission is unknown.
    pub fn look_again(&mut self, id: &JobId) {
        if let Some(engine) = self.engine.clone() {
            let id = id.clone();
            self.spawn(async move {
                use reelsmith_core::jobs::unknown::LookOutcome;
                match engine.look_again(&id).await {
                    Ok(LookOutcome::Found(request_id)) => Ok(Some(format!(
                        "Found at fal as request {request_id}; the job continues."
                    ))),
                    Ok(LookOutcome::NotFound(why)) | Ok(LookOutcome::Unavailable(why)) => {
                        Ok(Some(format!("Still unknown: {why}")))
                    }
                    Ok(LookOutcome::NotUnknown(_)) => Ok(None),
                    Err(e) => Err(format!("Could not look again: {e}")),
                }
            });
        }
    }

    /// Submits a job whose submission is unknown again (the user confirmed the cost).
    pub fn resubmit_unknown(&mut self, id: &JobId) {
        if let Some(engine) = self.engine.clone() {
            let id = id.clone();
            self.spawn(async move {
                engine
                    .resubmit_unknown(&id)
                    .await
                    .map(|_| Some("Submitted again.".to_string()))
                    .map_err(|e| format!("Could not submit again: {e}"))
            });
        }
    }

    /// Removes a job from the list (its video stays).
    pub fn remove(&mut self, id: &JobId) {
        if let Some(engine) = self.engine.clone() {
            let id = id.clone();
            self.spawn(async move {
                engine
                    .remove(&id)
                    .await
                    .map(|_| None)
                    .map_err(|e| format!("Could not remove the job: {e}"))
            });
        } else {
            self.jobs.retain(|j| &j.id != id);
        }
    }

    /// Deletes a video and its sidecar from disk and from the library index.
    pub fn delete_video(&mut self, item: &LibraryItem) -> Result<(), String> {
        let journal = self.journal.clone();
        let item = item.clone();
        self.library.retain(|i| i.job_id != item.job_id);
        self.spawn(async move {
            tokio::task::spawn_blocking(move || {
                for p in [&item.path, &item.sidecar] {
                    match std::fs::remove_file(p) {
                        Ok(()) => {}
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                        Err(e) => return Err(format!("Could not delete {}: {e}", p.display())),
                    }
                }
                if let Some(j) = journal {
                    j.unindex(&item.job_id).map_err(|e| e.to_string())?;
                }
                Ok(None)
            })
            .await
            .map_err(|e| e.to_string())?
        });
        Ok(())
    }

    /// The video of a finished job, from the library.
    pub fn video_of(&self, id: &JobId) -> Option<PathBuf> {
        self.library
            .iter()
            .find(|i| i.job_id == id.as_str())
            .map(|i| i.path.clone())
    }
}

/// Runs `engine.shutdown()` to completion from a UI thread that sits inside the runtime.
fn shutdown_and_wait(rt: &tokio::runtime::Handle, engine: EngineHandle) {
    let rt = rt.clone();
    // `block_on` may not run on a thread that has entered the runtime, so a helper thread waits.
    let waiter = std::thread::spawn(move || rt.block_on(async move { engine.shutdown().await }));
    let _ = waiter.join();
}

fn sort_jobs(jobs: &mut [Job]) {
    jobs.sort_by_key(|j| std::cmp::Reverse(j.created_at));
}

fn sort_library(items: &mut [LibraryItem]) {
    items.sort_by_key(|i| std::cmp::Reverse(i.finished_at));
}

/// The first `n` characters of `s`, with an ellipsis when cut.
pub fn excerpt(s: &str, n: usize) -> String {
    let s = s.trim();
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n).collect();
        t.push('…');
        t
    }
}

impl Drop for EngineLink {
    fn drop(&mut self) {
        self.shutdown();
    }
}
