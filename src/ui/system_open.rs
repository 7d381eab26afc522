//! Opening a file in its default application and showing it in the file manager, off the UI
//! thread: the system's handlers (a D-Bus call to the file manager, `xdg-open`) can take long.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::ui::app::StudioApp;
use crate::ui::app::tasks::{TaskKind, TaskRegistry};
use crate::ui::theme::Tone;

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

/// Hands `request` to `opener` on a worker; a failure is a toast naming the file.
pub fn start(tasks: &mut TaskRegistry, opener: &SystemOpener, request: OpenRequest) {
    let opener = Arc::clone(opener);
    let name = match &request {
        OpenRequest::Open(p) => format!("Opening {}", p.display()),
        OpenRequest::Reveal(p) => format!("Showing {} in its folder", p.display()),
    };
    tasks.spawn_blocking(
        TaskKind::SystemOpen,
        name,
        move || opener(&request).map_err(|e| failed(&request, &e)),
        |app: &mut StudioApp, r| {
            if let Err(e) | Ok(Err(e)) = r {
                app.toast(Tone::Danger, e);
            }
        },
    );
}

/// "Could not open /x/a.mp4: …".
fn failed(request: &OpenRequest, e: &str) -> String {
    match request {
        OpenRequest::Open(p) => format!("Could not open {}: {e}", p.display()),
        OpenRequest::Reveal(p) => format!("Could not show {} in its folder: {e}", p.display()),
    }
}
