//! Opening a file in its default application and showing it in the file manager, off the UI
//! thread: the system's handlers (a D-Bus call to the file manager, `xdg-open`) can take long.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use poll_promise::Promise;

/// What the user asked the system to do with a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenRequest {
    /// Open it in the system's default application.
    Open(PathBuf),
    /// Show it selected in the file manager.
    Reveal(PathBuf),
}

impl OpenRequest {
    /// The file concerned.
    pub fn path(&self) -> &Path {
        match self {
            OpenRequest::Open(p) | OpenRequest::Reveal(p) => p,
        }
    }
}

/// Carries out an [`OpenRequest`]; blocking, called on a worker. Tests give one that records.
pub type SystemOpener = Arc<dyn Fn(&OpenRequest) -> Result<(), String> + Send + Sync>;

/// The system's own handlers (`opener`).
pub fn native_opener() -> SystemOpener {
    Arc::new(|request| match request {
        OpenRequest::Open(p) => opener::open(p).map_err(|e| e.to_string()),
        OpenRequest::Reveal(p) => opener::reveal(p).map_err(|e| e.to_string()),
    })
}

/// Requests under way.
#[derive(Default)]
pub struct SystemOpens {
    running: Vec<(OpenRequest, Promise<Result<(), String>>)>,
}

impl SystemOpens {
    /// Hands `request` to `opener` on a worker.
    pub fn start(&mut self, ctx: &egui::Context, opener: &SystemOpener, request: OpenRequest) {
        let opener = Arc::clone(opener);
        let asked = request.clone();
        let promise = crate::ui::task::blocking(
            ctx,
            move || opener(&asked),
            |m| Err(format!("stopped unexpectedly ({m})")),
        );
        self.running.push((request, promise));
    }

    /// What failed since the last call, as messages naming the file. Never blocks.
    pub fn poll(&mut self) -> Vec<String> {
        let mut failed = Vec::new();
        let mut still = Vec::new();
        for (request, promise) in self.running.drain(..) {
            match promise.try_take() {
                Ok(Ok(())) => {}
                Ok(Err(e)) => failed.push(match &request {
                    OpenRequest::Open(p) => format!("Could not open {}: {e}", p.display()),
                    OpenRequest::Reveal(p) => {
                        format!("Could not show {} in its folder: {e}", p.display())
                    }
                }),
                Err(promise) => still.push((request, promise)),
            }
        }
        self.running = still;
        failed
    }
}
