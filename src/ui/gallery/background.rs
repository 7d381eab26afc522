//! The gallery's work for the app: finished background work collected every frame, what the
//! gallery view collects before it is drawn, and the last-frame extraction. These take the
//! whole app because their answers go to other parts of it (toasts, the form, the engine).

use std::path::PathBuf;

use super::{index_link, trash_link};
use crate::ui::app::tasks::TaskKind;
use crate::ui::app::{Action, StudioApp};
use crate::ui::theme::Tone;

/// Keeps the index fed and collects finished gallery work; called every frame, whichever view
/// is on show (never waits).
pub fn poll_background(app: &mut StudioApp) {
    index_link::poll(app);
    trash_link::poll(app);
}

/// What the gallery view collects before it is drawn: nothing since its one-shot work answers
/// through the app's task registry; kept as the view's hook.
pub fn poll_shown(_app: &mut StudioApp) {}

/// Extracts the clip's last frame to a PNG, then opens image-to-video with it.
pub fn start_last_frame(app: &mut StudioApp, video: PathBuf) {
    let dir = app.config.cache_dir.join("frames");
    app.gallery.last_frame = true;
    // A newer extraction replaces one still running, as the one slot did.
    app.tasks.forget(TaskKind::LastFrame);
    app.tasks.spawn_blocking(
        TaskKind::LastFrame,
        "Reading the last frame",
        move || reelsmith_core::library::reuse::save_last_frame(&video, &dir),
        |app: &mut StudioApp, r| {
            app.gallery.last_frame = false;
            match r {
                Ok(Ok(png)) => app.use_as_first_frame(png),
                Ok(Err(e)) => app.act(Action::Toast(Tone::Danger, e)),
                Err(e) => app.act(Action::Toast(
                    Tone::Danger,
                    format!("The last frame could not be read: the decoder crashed. {e}"),
                )),
            }
        },
    );
}
