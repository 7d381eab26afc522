//! The window's background work, in one registry of named tasks.
//!
//! Each task runs on the tokio runtime (async, or on its blocking pool) and answers once; the
//! registry is polled at frame start and hands back every answer in. A task that panics answers
//! with an error naming it ("Restarting the engine stopped unexpectedly: …") for the window to
//! show; the panic never reaches the UI thread. Every task wakes the UI when it answers.

use std::future::Future;

use poll_promise::Promise;

/// One task under way.
struct Running<T: Send + 'static> {
    name: String,
    promise: Promise<Result<T, String>>,
}

/// Background tasks whose answers are of type `T`.
pub struct Tasks<T: Send + 'static> {
    running: Vec<Running<T>>,
    ctx: egui::Context,
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
            running: Vec::new(),
            ctx: ctx.clone(),
        }
    }

    /// Runs `fut` on the runtime the caller is in. `name` says what it does, in words.
    pub fn spawn(
        &mut self,
        name: impl Into<String>,
        fut: impl Future<Output = T> + Send + 'static,
    ) {
        let name = name.into();
        let ctx = self.ctx.clone();
        let (sender, promise) = Promise::new();
        let label = name.clone();
        let task = tokio::spawn(fut);
        tokio::spawn(async move {
            let out = task.await.map_err(|e| stopped(&label, e));
            sender.send(out);
            ctx.request_repaint();
        });
        self.running.push(Running { name, promise });
    }

    /// Runs `work` on the runtime's blocking pool (disk, keyring, thread joins).
    pub fn spawn_blocking(
        &mut self,
        name: impl Into<String>,
        work: impl FnOnce() -> T + Send + 'static,
    ) {
        let name = name.into();
        let ctx = self.ctx.clone();
        let (sender, promise) = Promise::new();
        let label = name.clone();
        let task = tokio::task::spawn_blocking(work);
        tokio::spawn(async move {
            let out = task.await.map_err(|e| stopped(&label, e));
            sender.send(out);
            ctx.request_repaint();
        });
        self.running.push(Running { name, promise });
    }

    /// The tasks that answered since the last call, oldest first. Never blocks.
    pub fn poll(&mut self) -> Vec<Finished<T>> {
        let mut done = Vec::new();
        let mut still = Vec::with_capacity(self.running.len());
        for r in self.running.drain(..) {
            match r.promise.try_take() {
                Ok(outcome) => done.push(Finished {
                    name: r.name,
                    outcome,
                }),
                Err(promise) => still.push(Running {
                    name: r.name,
                    promise,
                }),
            }
        }
        self.running = still;
        done
    }

    /// True while any task runs.
    pub fn busy(&self) -> bool {
        !self.running.is_empty()
    }

    /// The names of the tasks under way.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.running.iter().map(|r| r.name.as_str())
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
        while tasks.busy() && start.elapsed() < Duration::from_secs(5) {
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
        tasks.spawn("Restarting the engine", async { panic!("engine bug") });
        tasks.spawn_blocking("Reading the library", || 7);
        assert_eq!(
            tasks.names().collect::<Vec<_>>(),
            ["Restarting the engine", "Reading the library"]
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
}
