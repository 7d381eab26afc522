//! The window's side of the job engine: the core session behind it, the engine's lifecycle as
//! background tasks ([`lifecycle`]), commands sent without blocking ([`commands`]), and the
//! last snapshot of every job and of the library for drawing.

mod commands;
mod lifecycle;
mod queue;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::broadcast;

use super::app::tasks::{TaskKind, Tasks};
use super::theme::Tone;
use reelsmith_core::fal::{ApiKey, FalUrls};
use reelsmith_core::jobs::{EngineHandle, Job, JobEvent, JobId, JobState};
use reelsmith_core::library::LibraryItem;
use reelsmith_core::session::{EngineSummary, Migration, Session, SessionPaths};
use reelsmith_core::settings::Settings;

pub use lifecycle::Opened;
pub use queue::{QueueInfo, QueueOp, jobs_word};

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

/// Where the engine's calls go and with which key.
#[derive(Clone)]
pub struct Target {
    /// fal's hosts or the simulator's.
    pub urls: FalUrls,
    /// The key.
    pub key: ApiKey,
    /// Against the simulator.
    pub simulated: bool,
}

/// What a finished background task of the link hands back.
enum Done {
    /// The session opened: settings, journal, jobs and library read.
    Opened(Result<Box<Opened>, String>),
    /// A (re)start finished: the new engine, or none when there is no key.
    Started(Result<Option<Box<lifecycle::Started>>, String>),
    /// The library index was read again.
    Library(Vec<LibraryItem>),
    /// A command finished: a sentence worth a toast, or an error.
    Command(Result<Option<String>, String>),
    /// The queue's order, pause and cost were read.
    Queue(queue::QueueInfo),
    /// The engine shut down for a waiting close.
    Closed,
}

/// The engine as the window sees it.
pub struct EngineLink {
    session: Option<Arc<Session>>,
    engine: Option<EngineHandle>,
    events: Option<broadcast::Receiver<JobEvent>>,
    summary: Option<EngineSummary>,
    /// Shows given jobs and videos with no engine behind them (previews, benchmarks).
    detached: bool,
    jobs: Vec<Job>,
    stalled: HashSet<JobId>,
    library: Vec<LibraryItem>,
    /// Changes whenever `library` is replaced (the gallery's index syncs on it).
    library_generation: u64,
    tasks: Tasks<Done>,
    /// What the one lifecycle task under way does ("Restarting the engine…").
    lifecycle: Option<&'static str>,
    /// What to run the engine for (None: no engine, history only).
    target: Option<Target>,
    /// Work asked for while a lifecycle task ran.
    pending: lifecycle::Pending,
    /// The window's copy of the shared settings (drawn, edited, saved in the background).
    settings: Settings,
    just_opened: bool,
    error: Option<String>,
    /// What opening the journal found worth telling (a damaged file, unreadable rows).
    notices: Vec<String>,
    /// The engine is shutting down after a close request, waiting for submits in flight.
    closing: bool,
    /// That shutdown finished: the window may close.
    closed: bool,
    closing_text: Option<String>,
    /// A close waits for the engine's (re)start to finish first.
    close_after_lifecycle: bool,
    /// Prices and budgets shared with the engine (see `money_link`).
    money: reelsmith_core::money::MoneyHandle,
    /// The queue's order, pause and cost, as last read (see [`queue`]).
    queue: queue::QueueInfo,
    /// Something changed since the queue was last read.
    queue_dirty: bool,
    /// A read of the queue is under way.
    queue_reading: bool,
    /// The session to open once the first frame is on screen (see `lifecycle`).
    deferred_open: Option<(SessionPaths, Migration)>,
    /// Frames this link has been polled in (the deferred open waits for the second).
    frames_polled: u32,
    ctx: egui::Context,
}

impl EngineLink {
    /// A link with no session yet: [`EngineLink::open`] starts one in the background.
    fn empty(ctx: &egui::Context, detached: bool) -> EngineLink {
        EngineLink {
            session: None,
            engine: None,
            events: None,
            summary: None,
            detached,
            jobs: Vec::new(),
            stalled: HashSet::new(),
            library: Vec::new(),
            library_generation: next_generation(),
            tasks: Tasks::new(ctx),
            lifecycle: None,
            target: None,
            pending: lifecycle::Pending::default(),
            settings: Settings::default(),
            just_opened: false,
            error: None,
            notices: Vec::new(),
            closing: false,
            closed: false,
            closing_text: None,
            close_after_lifecycle: false,
            money: Default::default(),
            queue: Default::default(),
            queue_dirty: false,
            queue_reading: false,
            deferred_open: None,
            frames_polled: 0,
            ctx: ctx.clone(),
        }
    }

    /// A link showing `jobs` and `library` with no engine (benchmarks, previews).
    pub fn detached(ctx: &egui::Context, jobs: Vec<Job>, library: Vec<LibraryItem>) -> EngineLink {
        let mut link = EngineLink::empty(ctx, true);
        link.jobs = jobs;
        link.library = library;
        sort_jobs(&mut link.jobs);
        sort_library(&mut link.library);
        link
    }

    /// True when commands can be sent (a detached preview counts as ready; its commands fail).
    pub fn is_ready(&self) -> bool {
        self.engine.is_some() || self.detached
    }

    /// What the engine is doing when it cannot take commands ("Opening the journal…").
    pub fn status(&self) -> Option<&'static str> {
        self.lifecycle
    }

    /// True until the journal and the library have been read.
    pub fn is_opening(&self) -> bool {
        self.session.is_none() && !self.detached && self.error.is_none()
    }

    /// Why there is no engine.
    pub fn unavailable_reason(&self) -> String {
        if let Some(status) = self.lifecycle {
            return format!("{status} Wait a moment.");
        }
        self.error
            .clone()
            .unwrap_or_else(|| "Enter your fal key in Settings (or try the simulator).".into())
    }

    /// The files and settings the running engine was started with.
    pub fn summary(&self) -> Option<&EngineSummary> {
        self.summary.as_ref()
    }

    /// The prices and budgets the engine checks a submit against (set before `connect`).
    pub fn set_money(&mut self, money: reelsmith_core::money::MoneyHandle) {
        self.money = money;
    }

    /// The journal, once the session opened (storyboards and spend are read through it, off
    /// the UI thread).
    pub fn journal(&self) -> Option<Arc<reelsmith_core::store::Journal>> {
        self.session.as_ref().map(|s| s.journal().clone())
    }

    /// The running engine, for work that submits its own jobs (a storyboard's shots).
    pub fn handle(&self) -> Option<EngineHandle> {
        self.engine.clone()
    }

    /// The job with this id, as last seen.
    pub fn job(&self, id: &str) -> Option<&Job> {
        self.jobs.iter().find(|j| j.id.as_str() == id)
    }

    /// The window's copy of the shared settings.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The library folder in effect (the default until the session is open).
    pub fn output_dir(&self, default: &std::path::Path) -> PathBuf {
        self.settings.output_dir_or(default)
    }

    /// True once, right after the session opened (its settings are in [`Self::settings`]).
    pub fn take_just_opened(&mut self) -> bool {
        std::mem::take(&mut self.just_opened)
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

    /// A number that changes whenever [`Self::library`] is read again; unique across links,
    /// so a replaced link never looks unchanged.
    pub fn library_generation(&self) -> u64 {
        self.library_generation
    }

    /// Jobs not finished yet (an unknown submission waits for the user: not active).
    pub fn active_count(&self) -> usize {
        self.jobs.iter().filter(|j| !j.state.is_settled()).count()
    }

    /// True while the engine has a task for the job (e.g. a lookup in fal's history).
    pub fn is_running(&self, id: &JobId) -> bool {
        self.engine.as_ref().is_some_and(|e| e.is_running(id))
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

    /// Drains engine events and finished tasks; returns what deserves a toast. Never blocks.
    pub fn poll(&mut self) -> Vec<Notice> {
        self.start_deferred_open();
        let mut notices: Vec<Notice> = self
            .notices
            .drain(..)
            .map(|text| Notice {
                tone: Tone::Warning,
                text,
            })
            .collect();
        let mut reload_library = self.drain_events(&mut notices);
        for finished in self.tasks.poll() {
            // Any other answer (a command, a restart) may change what waits.
            if finished.name == queue::READ_TASK {
                self.queue_reading = false;
            } else if finished.name == lifecycle::CLOSING {
                // Even a shutdown that panicked lets the window close (its error is shown).
                self.closed = true;
                self.ctx.request_repaint();
            } else {
                self.queue_dirty = true;
            }
            match finished.outcome {
                Ok(done) => reload_library |= self.finish(done, &mut notices),
                Err(text) => {
                    // A lifecycle task that panicked leaves no engine behind: say so.
                    if self.lifecycle == Some(lifecycle::label_of(&finished.name)) {
                        self.lifecycle = None;
                        self.error = Some(text.clone());
                    }
                    notices.push(Notice {
                        tone: Tone::Danger,
                        text,
                    });
                }
            }
        }
        self.run_pending();
        if self.queue_dirty {
            self.refresh_queue();
        }
        if reload_library {
            self.reload_library();
        }
        notices
    }

    /// Applies the engine's events; true when the library should be read again.
    fn drain_events(&mut self, notices: &mut Vec<Notice>) -> bool {
        let mut reload_library = false;
        let mut resync = false;
        if let Some(rx) = self.events.as_mut() {
            loop {
                let event = rx.try_recv();
                self.queue_dirty |= event.is_ok();
                match event {
                    Ok(JobEvent::Changed { job, stalled, .. }) => {
                        if stalled {
                            self.stalled.insert(job.id.clone());
                        } else {
                            self.stalled.remove(&job.id);
                        }
                        let before = self.jobs.iter().position(|j| j.id == job.id);
                        let was = before.map(|i| self.jobs[i].state);
                        if was != Some(job.state) {
                            reload_library |= job.state == JobState::Done;
                            if let Some(n) = state_notice(&job) {
                                notices.push(n);
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
        reload_library
    }

    /// Applies a finished task; true when the library should be read again.
    fn finish(&mut self, done: Done, notices: &mut Vec<Notice>) -> bool {
        match done {
            Done::Opened(r) => self.opened(r),
            Done::Started(r) => self.started(r),
            Done::Library(items) => {
                self.library = items;
                self.library_generation = next_generation();
            }
            Done::Queue(info) => self.queue_read(info),
            Done::Command(Ok(Some(text))) => notices.push(Notice {
                tone: Tone::Muted,
                text,
            }),
            Done::Command(Ok(None)) => {}
            Done::Command(Err(text)) => notices.push(Notice {
                tone: Tone::Danger,
                text,
            }),
            Done::Closed => {}
        }
        false
    }

    /// Reads the library index again, off the UI thread.
    pub fn reload_library(&mut self) {
        let Some(session) = self.session.clone() else {
            return;
        };
        self.tasks
            .spawn_blocking(TaskKind::Engine, "Reading the library", move || {
                let mut items = session.journal().library_items().unwrap_or_default();
                sort_library(&mut items);
                Done::Library(items)
            });
    }

    /// True while a background task of the link runs (a reload, a command, a restart).
    pub fn busy(&self) -> bool {
        self.tasks.any()
    }

    /// Asks for a repaint now and then while jobs run (elapsed time); none while idle.
    pub fn schedule_repaint(&self, ctx: &egui::Context) {
        if self.active_count() > 0 {
            ctx.request_repaint_after(RUNNING_TICK);
        }
    }

    /// The video of a finished job, from the library.
    pub fn video_of(&self, id: &JobId) -> Option<PathBuf> {
        self.library
            .iter()
            .find(|i| i.job_id == id.as_str())
            .map(|i| i.path.clone())
    }
}

/// The toast for a job that reached `job.state`, if any.
fn state_notice(job: &Job) -> Option<Notice> {
    match job.state {
        JobState::Done => Some(Notice {
            tone: Tone::Success,
            text: format!("Video ready: {}", excerpt(&job.prompt, 48)),
        }),
        JobState::Failed => Some(Notice {
            tone: Tone::Danger,
            text: format!(
                "Job failed: {}",
                job.failure
                    .as_ref()
                    .map(|f| f.message.as_str())
                    .unwrap_or("unknown reason")
            ),
        }),
        _ => None,
    }
}

/// A fresh library generation (process-wide, so two links never share one).
fn next_generation() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

fn sort_jobs(jobs: &mut [Job]) {
    jobs.sort_by_key(|j| std::cmp::Reverse(j.created_at));
}

fn sort_library(items: &mut [LibraryItem]) {
    items.sort_by_key(|i| std::cmp::Reverse(i.finished_at));
}

/// The first `n` characters of `s`, with an ellipsis when cut.
pub use reelsmith_core::human::excerpt;

impl Drop for EngineLink {
    fn drop(&mut self) {
        self.shutdown();
    }
}
