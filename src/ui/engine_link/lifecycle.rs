//! The engine's lifecycle as background tasks, one at a time: opening the session (settings,
//! journal, library), starting the engine, restarting it for new settings or a new key. The UI
//! thread only starts them and reads their answers; what one is doing shows in the window.

use std::collections::HashSet;
use std::sync::Arc;

use super::{Done, EngineLink, Target, sort_jobs, sort_library};
use crate::ui::app::tasks::TaskKind;
use reelsmith_core::jobs::{Job, JobId};
use reelsmith_core::library::LibraryItem;
use reelsmith_core::session::{
    EngineStart, FrontEnd, Migration, RunningEngine, Session, SessionPaths,
};
use reelsmith_core::settings::Settings;

const OPENING: &str = "Opening the journal…";
const STARTING: &str = "Starting the engine…";
const RESTARTING: &str = "Restarting the engine…";
const SAVING: &str = "Saving the settings…";
/// The shutdown a close waits for (not a lifecycle label: no restart waits on it).
pub(super) const CLOSING: &str = "Finishing submits before closing";

/// The lifecycle label a task's name stands for (tasks are named by their label).
pub(super) fn label_of(name: &str) -> &'static str {
    [OPENING, STARTING, RESTARTING, SAVING]
        .into_iter()
        .find(|l| *l == name)
        .unwrap_or("")
}

/// What opening the session read.
pub struct Opened {
    session: Arc<Session>,
    jobs: Vec<Job>,
    library: Vec<LibraryItem>,
}

/// An engine started by a task, with its first snapshot.
pub(super) struct Started {
    running: RunningEngine,
    jobs: Vec<Job>,
    stalled: HashSet<JobId>,
}

/// Work asked for while another lifecycle task ran; done when it finishes.
#[derive(Default)]
pub(super) struct Pending {
    restart: bool,
    save: Option<Settings>,
}

impl EngineLink {
    /// Opens the session in the background (history and library show once read, before a key
    /// is known); the first frame does not wait for it, nor share the processor with it: the
    /// read starts once that frame is on screen (see [`EngineLink::start_deferred_open`]).
    /// `migration` carries the window's older state into a new settings file.
    pub fn open(ctx: &egui::Context, paths: SessionPaths, migration: Migration) -> EngineLink {
        let mut link = EngineLink::empty(ctx, false);
        link.lifecycle = Some(OPENING);
        link.deferred_open = Some((paths, migration));
        link
    }

    /// Starts the deferred journal read from the second frame on: reading 10,000 jobs beside
    /// the first frame cost it about 60 ms on two cores (the software renderer draws on every
    /// core), while the window has nothing of the journal to show in that frame anyway.
    pub(super) fn start_deferred_open(&mut self) {
        self.frames_polled = self.frames_polled.saturating_add(1);
        if self.frames_polled < 2 {
            if self.deferred_open.is_some() {
                // The frame after the first starts the read: make sure it comes.
                self.ctx.request_repaint();
            }
            return;
        }
        let Some((paths, migration)) = self.deferred_open.take() else {
            return;
        };
        self.tasks
            .spawn_blocking(TaskKind::Engine, OPENING, move || {
                let opened = Session::open(paths, Some(migration)).map(|session| {
                    let journal = session.journal();
                    let mut jobs = journal.jobs().unwrap_or_default();
                    sort_jobs(&mut jobs);
                    let mut library = journal.library_items().unwrap_or_default();
                    sort_library(&mut library);
                    Box::new(Opened {
                        session: Arc::new(session),
                        jobs,
                        library,
                    })
                });
                Done::Opened(opened.map_err(|e| sentence(&e.to_string())))
            });
    }

    /// Runs the engine for `target` (None: no engine; the queue shows history only). The old
    /// engine, if any, stops in the background first; nothing is cancelled, the new one resumes.
    pub fn connect(&mut self, target: Option<Target>) {
        self.target = target;
        self.pending.restart = true;
        self.run_pending();
    }

    /// Uses `settings` from now on: saved to the shared settings file in the background, and
    /// the engine restarted with them when `restart` (output folder, jobs in flight).
    pub fn apply_settings(&mut self, settings: Settings, restart: bool) {
        let settings = settings.checked();
        self.money.set_budgets(settings.budgets);
        self.settings = settings.clone();
        self.pending.save = Some(settings);
        self.pending.restart |= restart && self.target.is_some();
        self.run_pending();
    }

    /// Starts the pending lifecycle work when none runs and the session is open.
    pub(super) fn run_pending(&mut self) {
        if self.lifecycle.is_some() || self.detached {
            return;
        }
        let Some(session) = self.session.clone() else {
            return;
        };
        let save = self.pending.save.take();
        let restart = std::mem::take(&mut self.pending.restart);
        if !restart {
            if let Some(settings) = save {
                self.lifecycle = Some(SAVING);
                self.tasks
                    .spawn_blocking(TaskKind::Engine, SAVING, move || {
                        Done::Started(
                            session
                                .update_settings(settings)
                                .map(|()| None)
                                .map_err(|e| sentence(&e.to_string())),
                        )
                    });
            }
            return;
        }
        let old = self.engine.take();
        self.events = None;
        let label = if old.is_some() { RESTARTING } else { STARTING };
        self.lifecycle = Some(label);
        let target = self.target.clone();
        let money = self.money.clone();
        let ctx = self.ctx.clone();
        self.tasks.spawn(TaskKind::Engine, label, async move {
            if let Some(old) = old {
                // Lets a submit on its way finish; jobs stay recorded and the new engine resumes.
                old.shutdown().await;
            }
            let work = move || -> Result<Option<Box<Started>>, String> {
                if let Some(settings) = save {
                    session
                        .update_settings(settings)
                        .map_err(|e| sentence(&e.to_string()))?;
                }
                let Some(target) = target else {
                    return Ok(None);
                };
                let repaint = ctx.clone();
                let start = EngineStart {
                    urls: target.urls,
                    key: Some(target.key),
                    simulated: target.simulated,
                    front: FrontEnd::Window,
                    on_change: Some(Arc::new(move || repaint.request_repaint())),
                    // The window's prices and budgets: Settings → Budgets edits them live.
                    money: Some(money),
                };
                let running = session
                    .start_engine(start)
                    .map_err(|e| sentence(&e.to_string()))?;
                let mut jobs = running.handle.jobs();
                sort_jobs(&mut jobs);
                let stalled = jobs
                    .iter()
                    .filter(|j| running.handle.is_stalled(j))
                    .map(|j| j.id.clone())
                    .collect();
                Ok(Some(Box::new(Started {
                    running,
                    jobs,
                    stalled,
                })))
            };
            // The engine start takes a lock file and reads the whole journal: blocking pool.
            match tokio::task::spawn_blocking(work).await {
                Ok(r) => Done::Started(r),
                Err(e) => Done::Started(Err(format!("The engine did not start: {e}"))),
            }
        });
    }

    pub(super) fn opened(&mut self, r: Result<Box<Opened>, String>) {
        self.lifecycle = None;
        match r {
            Ok(opened) => {
                let Opened {
                    session,
                    jobs,
                    library,
                } = *opened;
                self.notices.extend(session.notices().iter().cloned());
                // The settings page edits only once this is read, so nothing is pending here.
                self.settings = session.settings();
                self.money.set_budgets(self.settings.budgets);
                self.jobs = jobs;
                self.library = library;
                self.session = Some(session);
                self.just_opened = true;
            }
            Err(e) => self.error = Some(format!("{e} Check the data folder, then restart.")),
        }
    }

    pub(super) fn started(&mut self, r: Result<Option<Box<Started>>, String>) {
        self.lifecycle = None;
        match r {
            Ok(Some(started)) => {
                let Started {
                    running,
                    jobs,
                    stalled,
                } = *started;
                self.jobs = jobs;
                self.stalled = stalled;
                self.engine = Some(running.handle);
                self.events = Some(running.events);
                self.summary = Some(running.summary);
                self.error = None;
            }
            Ok(None) => {}
            Err(e) => {
                self.notices.push(e.clone());
                self.error = Some(e);
            }
        }
    }

    /// Stops the engine and waits for it (jobs stay recorded and resume on next start). Blocks:
    /// for the window's end and tests only, never a frame.
    pub fn shutdown(&mut self) {
        self.events = None;
        let Some(engine) = self.engine.take() else {
            return;
        };
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            return;
        };
        // `block_on` may not run on a thread inside the runtime, so a helper thread waits.
        let waiter =
            std::thread::spawn(move || rt.block_on(async move { engine.shutdown().await }));
        if waiter.join().is_err() {
            tracing::error!("the engine's shutdown panicked; its jobs stay recorded");
        }
    }

    /// On a close request: when submits are on their way, shuts the engine down on the
    /// runtime (it lets them finish) and returns true: the close must wait. Never blocks.
    pub fn begin_closing(&mut self) -> bool {
        if self
            .lifecycle
            .is_some_and(|l| l == STARTING || l == RESTARTING)
        {
            // The old engine may be letting a submit finish inside the restart: wait for it.
            self.close_after_lifecycle = true;
            self.pending = Pending::default();
            self.closing_text = Some(format!("{RESTARTING} The window closes when it is done."));
            return true;
        }
        let in_flight = self.engine.as_ref().map_or(0, |e| e.submits_in_flight());
        let Some(text) = reelsmith_core::jobs::finishing_notice(in_flight) else {
            return false;
        };
        let Some(engine) = self.engine.take() else {
            return false;
        };
        self.events = None;
        self.tasks.spawn(TaskKind::Closing, CLOSING, async move {
            engine.shutdown().await;
            Done::Closed
        });
        self.closing = true;
        self.closing_text = Some(text);
        true
    }

    /// True while a close waits for submits in flight.
    pub fn is_closing(&self) -> bool {
        self.closing || self.close_after_lifecycle
    }

    /// True once, when the waiting close may go ahead.
    pub fn poll_closing(&mut self) -> bool {
        if self.close_after_lifecycle {
            if self.lifecycle.is_some() {
                return false;
            }
            self.close_after_lifecycle = false;
            self.closing_text = None;
            return !self.begin_closing();
        }
        if !std::mem::take(&mut self.closed) {
            return false;
        }
        self.closing = false;
        self.closing_text = None;
        true
    }

    /// "Finishing 1 submit so it is not lost…" while a close waits.
    pub fn closing_notice(&self) -> Option<&str> {
        self.closing_text.as_deref()
    }
}

/// `text` with its first letter upper-cased, as the window's messages read.
fn sentence(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_journal_is_read_from_the_second_frame_on_and_then_opens() {
        let rt = tokio::runtime::Runtime::new().expect("runtime");
        let _in_rt = rt.enter();
        let dir = tempfile::tempdir().expect("temp dir");
        let ctx = egui::Context::default();
        let mut link =
            EngineLink::open(&ctx, SessionPaths::in_dir(dir.path()), Migration::default());
        assert!(link.is_opening());
        link.poll();
        assert!(
            link.deferred_open.is_some() && !link.tasks.any(),
            "the first frame shares the processor with no journal read"
        );
        link.poll();
        assert!(
            link.deferred_open.is_none(),
            "the second frame starts the read"
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while link.is_opening() {
            assert!(
                std::time::Instant::now() < deadline,
                "the journal did not open"
            );
            std::thread::sleep(std::time::Duration::from_millis(10));
            link.poll();
        }
        assert!(link.journal().is_some(), "{:?}", link.error);
    }
}
