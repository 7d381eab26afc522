//! The window's background work, in named tasks.
//!
//! Each task runs on the tokio runtime (async, or on its blocking pool) and answers once; the
//! registry is polled at frame start and hands back every answer in. A task that panics answers
//! with an error naming it ("Restarting the engine stopped unexpectedly: …") for the window to
//! show; the panic never reaches the UI thread. Every task wakes the UI when it answers.
//!
//! [`TaskRegistry`] is the app's one registry of one-shot work: each task has a [`TaskKind`]
//! and its answer is a completion its module wrote, applied to the app when drained (in
//! `app/background.rs`), so panels that never see the app can start work through a
//! `&mut TaskRegistry` in their view. [`Tasks`] is the same registry for the engine and money
//! links, which take typed answers and apply them themselves.

use std::future::Future;

use poll_promise::Promise;

/// Background tasks whose answers of type `T` their owner takes itself (the engine and money
/// links), on the same registry as the app's tasks: named, of a kind, a panic an error.
pub struct Tasks<T: Send + 'static> {
    registry: TaskRegistry<Vec<Finished<T>>>,
}

/// A finished task: its name and its answer, or why it stopped.
pub struct Finished<T> {
    /// What the task was doing ("Opening the journal").
    pub name: String,
    /// Its answer, or the error of a task that panicked.
    pub outcome: Result<T, String>,
}

impl<T: Send + 'static> Tasks<T> {
    /// An empty registry that wakes `ctx` whenever a task answers.
    pub fn new(ctx: &egui::Context) -> Tasks<T> {
        Tasks {
            registry: TaskRegistry::new(ctx),
        }
    }

    /// Runs `fut` on the runtime the caller is in. `name` says what it does, in words.
    pub fn spawn(
        &mut self,
        kind: TaskKind,
        name: impl Into<String>,
        fut: impl Future<Output = T> + Send + 'static,
    ) {
        let name = name.into();
        let label = name.clone();
        self.registry.spawn(kind, name, fut, move |inbox, outcome| {
            inbox.push(Finished {
                name: label,
                outcome,
            })
        });
    }

    /// Runs `work` on the runtime's blocking pool (disk, keyring, thread joins).
    pub fn spawn_blocking(
        &mut self,
        kind: TaskKind,
        name: impl Into<String>,
        work: impl FnOnce() -> T + Send + 'static,
    ) {
        let name = name.into();
        let label = name.clone();
        self.registry
            .spawn_blocking(kind, name, work, move |inbox, outcome| {
                inbox.push(Finished {
                    name: label,
                    outcome,
                })
            });
    }

    /// The tasks that answered since the last call, oldest first. Never blocks.
    pub fn poll(&mut self) -> Vec<Finished<T>> {
        let mut inbox = Vec::new();
        for apply in self.registry.poll() {
            apply(&mut inbox);
        }
        inbox
    }

    /// True while a task of `kind` runs.
    pub fn busy(&self, kind: TaskKind) -> bool {
        self.registry.busy(kind)
    }

    /// Drops the tasks of `kind`: their answers are never handed back (a newer one replaces them).
    pub fn forget(&mut self, kind: TaskKind) {
        self.registry.forget(kind);
    }

    /// True while any task runs.
    pub fn any(&self) -> bool {
        self.registry.names().next().is_some()
    }

    /// The names of the tasks under way.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.registry.names()
    }
}

/// What a finished task does to the app (or, in tests, to whatever owns the registry).
pub type Apply<A> = Box<dyn FnOnce(&mut A) + Send>;

/// Which part of the window a task belongs to (busy checks, replacing a task of one kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// Opening a file or showing it in the file manager.
    SystemOpen,
    /// Saving the gallery's marks.
    Marks,
    /// Reading sidecars to copy their settings.
    CopySettings,
    /// Reading the focused video's sidecar.
    Sidecar,
    /// Extracting a clip's last frame.
    LastFrame,
    /// "Save as…" of one video.
    SaveCopy,
    /// "Save copies…" of the selection.
    ExportSelection,
    /// Moving videos to the trash, or undoing that.
    Trash,
    /// Reading or writing presets.
    Presets,
    /// Settings' checks and folder dialog.
    Settings,
    /// Starting the simulator.
    Simulator,
    /// Looking for, saving or forgetting the fal key.
    Key,
    /// Fetching an endpoint's schema into the catalog (by id, or from the model browser).
    Catalog,
    /// Searching fal's models in the model browser.
    ModelSearch,
    /// Picking and reading a batch's photo folder or CSV.
    BatchPick,
    /// The storyboard's journal edits, probes, decodes, imports and submissions.
    Storyboard,
    /// A file dialog or a pasted image for a media field.
    Media,
    /// The engine's session: opening, (re)starts, settings, commands, reads of the library.
    Engine,
    /// Waiting for the engine to finish submits in flight before the window closes.
    Closing,
    /// Loading the catalog memory from the cache.
    CatalogMemory,
    /// Fetching live prices and the sidebar's catalog status.
    Prices,
    /// Reading the spend.
    Spend,
    /// A model browser thumbnail from fal's catalog.
    Thumbnail,
}

/// A number no other call returns: a module's state keeps it to know its task's answer from
/// that of a task started before the state was reset.
pub fn token() -> u64 {
    static NEXT: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
    NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
}

/// One registry task under way.
struct Job<A: 'static> {
    name: String,
    kind: TaskKind,
    answer: Promise<Apply<A>>,
}

/// The app's one-shot background work: named tasks of a [`TaskKind`], each answering with
/// what its module does to the app; drained once per frame (see [`TaskRegistry::poll`]).
pub struct TaskRegistry<A: 'static = crate::ui::app::StudioApp> {
    running: Vec<Job<A>>,
    ctx: egui::Context,
}

impl<A: 'static> TaskRegistry<A> {
    /// An empty registry that wakes `ctx` whenever a task answers.
    pub fn new(ctx: &egui::Context) -> TaskRegistry<A> {
        TaskRegistry {
            running: Vec::new(),
            ctx: ctx.clone(),
        }
    }

    /// Runs `work` on the blocking pool (disk, dialogs, the keyring); `done` gets its answer,
    /// or the error naming the task if it panicked, at a frame start.
    pub fn spawn_blocking<T: Send + 'static>(
        &mut self,
        kind: TaskKind,
        name: impl Into<String>,
        work: impl FnOnce() -> T + Send + 'static,
        done: impl FnOnce(&mut A, Result<T, String>) + Send + 'static,
    ) {
        let task = tokio::task::spawn_blocking(work);
        self.watch(kind, name.into(), task, done);
    }

    /// Runs `fut` on the runtime; `done` as for [`TaskRegistry::spawn_blocking`].
    pub fn spawn<T: Send + 'static>(
        &mut self,
        kind: TaskKind,
        name: impl Into<String>,
        fut: impl Future<Output = T> + Send + 'static,
        done: impl FnOnce(&mut A, Result<T, String>) + Send + 'static,
    ) {
        let task = tokio::spawn(fut);
        self.watch(kind, name.into(), task, done);
    }

    /// Waits for `task` on the runtime (the join catches its panic), then hands `done` over.
    fn watch<T: Send + 'static>(
        &mut self,
        kind: TaskKind,
        name: String,
        task: tokio::task::JoinHandle<T>,
        done: impl FnOnce(&mut A, Result<T, String>) + Send + 'static,
    ) {
        let ctx = self.ctx.clone();
        let (sender, answer) = Promise::new();
        let label = name.clone();
        tokio::spawn(async move {
            let out = task.await.map_err(|e| stopped(&label, e));
            let apply: Apply<A> = Box::new(move |target: &mut A| done(target, out));
            sender.send(apply);
            ctx.request_repaint();
        });
        self.running.push(Job { name, kind, answer });
    }

    /// What the tasks that answered since the last call do, oldest first. Never blocks.
    pub fn poll(&mut self) -> Vec<Apply<A>> {
        let mut done = Vec::new();
        let mut still = Vec::with_capacity(self.running.len());
        for job in self.running.drain(..) {
            match job.answer.try_take() {
                Ok(apply) => done.push(apply),
                Err(answer) => still.push(Job { answer, ..job }),
            }
        }
        self.running = still;
        done
    }

    /// True while a task of `kind` runs.
    pub fn busy(&self, kind: TaskKind) -> bool {
        self.running.iter().any(|j| j.kind == kind)
    }

    /// Drops the tasks of `kind`: their work runs on, but their answers are never applied
    /// (a newer task of the kind replaces them).
    pub fn forget(&mut self, kind: TaskKind) {
        self.running.retain(|j| j.kind != kind);
    }

    /// The names of the tasks under way.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.running.iter().map(|j| j.name.as_str())
    }
}

/// The user's sentence for a task that panicked or was dropped with the runtime.
fn stopped(name: &str, e: tokio::task::JoinError) -> String {
    let why = match e.try_into_panic() {
        Ok(panic) => crate::ui::task::panic_message(&*panic),
        Err(_) => "it was cancelled".into(),
    };
    tracing::error!("background task {name:?} stopped: {why}");
    format!(
        "{name} stopped unexpectedly ({why}). Try again; if it happens again, restart reelsmith."
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, Instant};

    fn wait<T: Send + 'static>(tasks: &mut Tasks<T>) -> Vec<Finished<T>> {
        let start = Instant::now();
        let mut all = Vec::new();
        while tasks.any() && start.elapsed() < Duration::from_secs(5) {
            all.extend(tasks.poll());
            std::thread::sleep(Duration::from_millis(5));
        }
        all
    }

    #[test]
    fn a_panicking_task_becomes_an_error_naming_it() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let _guard = rt.enter();
        let ctx = egui::Context::default();
        let mut tasks: Tasks<u32> = Tasks::new(&ctx);
        tasks.spawn(TaskKind::Engine, "Restarting the engine", async {
            panic!("engine bug")
        });
        tasks.spawn_blocking(TaskKind::Spend, "Reading the spend", || 7);
        assert!(tasks.busy(TaskKind::Engine) && !tasks.busy(TaskKind::Prices));
        assert_eq!(
            tasks.names().collect::<Vec<_>>(),
            ["Restarting the engine", "Reading the spend"]
        );
        let mut done = wait(&mut tasks);
        done.sort_by(|a, b| a.name.cmp(&b.name));
        assert_eq!(done.len(), 2);
        assert_eq!(done[0].outcome.as_ref().ok(), Some(&7));
        let err = done[1].outcome.as_ref().unwrap_err();
        assert!(
            err.starts_with("Restarting the engine stopped unexpectedly (engine bug)"),
            "{err}"
        );
    }

    #[test]
    fn a_registry_task_that_panics_still_answers_naming_it() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let _guard = rt.enter();
        let ctx = egui::Context::default();
        let mut tasks: TaskRegistry<Vec<Result<u32, String>>> = TaskRegistry::new(&ctx);
        let keep = |log: &mut Vec<Result<u32, String>>, r| log.push(r);
        tasks.spawn_blocking(
            TaskKind::Marks,
            "Saving the marks",
            || -> u32 { panic!("disk bug") },
            keep,
        );
        tasks.spawn(
            TaskKind::Trash,
            "Moving 3 videos to the trash",
            async { 3 },
            keep,
        );
        assert!(tasks.busy(TaskKind::Marks) && tasks.busy(TaskKind::Trash));
        assert!(!tasks.busy(TaskKind::Presets));
        let mut log = Vec::new();
        let start = Instant::now();
        while tasks.names().next().is_some() && start.elapsed() < Duration::from_secs(5) {
            for apply in tasks.poll() {
                apply(&mut log);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        log.sort_by_key(|r| r.is_err());
        assert_eq!(log[0], Ok(3));
        let err = log[1].as_ref().unwrap_err();
        assert!(
            err.starts_with("Saving the marks stopped unexpectedly (disk bug)"),
            "{err}"
        );
    }

    #[test]
    fn a_forgotten_task_is_never_applied() {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let _guard = rt.enter();
        let ctx = egui::Context::default();
        let mut tasks: TaskRegistry<u32> = TaskRegistry::new(&ctx);
        tasks.spawn_blocking(
            TaskKind::Sidecar,
            "Reading a sidecar",
            || 1,
            |n, r| *n += r.unwrap_or(0),
        );
        tasks.forget(TaskKind::Sidecar);
        assert!(!tasks.busy(TaskKind::Sidecar));
        std::thread::sleep(Duration::from_millis(50));
        assert!(tasks.poll().is_empty());
    }
}
