//! The storyboard's work for the app: what the view collects before it is drawn, carrying out
//! what it asked for right after, and the window-wide ways in (dropped videos, the gallery).
//! These take the whole app because the work reaches the journal, the library and toasts.

use std::path::PathBuf;

use super::{Command, drag_ghost, tasks};
use crate::ui::app::StudioApp;

/// Collects finished work and starts what the view needs; called before the view is drawn,
/// and before the gallery (so "Add to storyboard" knows the storyboards).
pub fn poll_shown(app: &mut StudioApp) {
    tasks::poll(app);
}

/// Carries out what the view asked for this frame, then follows the player and repaints
/// while work runs.
pub fn finish(app: &mut StudioApp, commands: Vec<Command>, ctx: &egui::Context) {
    for c in commands {
        tasks::apply(app, c);
    }
    app.storyboard.player.poll(ctx);
    drag_ghost(ctx);
    if app.storyboard.busy() {
        ctx.request_repaint_after(std::time::Duration::from_millis(100));
    }
}

/// Video files dropped on the window while the storyboard or the gallery is on show are
/// imported into the library (and, on a storyboard, added to it). Takes them out of the
/// window's input so the form's drop handling does not see them.
pub fn take_dropped_videos(app: &mut StudioApp, ctx: &egui::Context) {
    let dropped: Vec<PathBuf> = ctx.input_mut(|i| {
        let (videos, rest): (Vec<_>, Vec<_>) = std::mem::take(&mut i.raw.dropped_files)
            .into_iter()
            .partition(|f| crate::ui::references::looks_like_video(f.path()));
        i.raw.dropped_files = rest;
        if i.raw.hovered_files.iter().all(|h| {
            h.path
                .as_deref()
                .is_some_and(crate::ui::references::looks_like_video)
        }) {
            i.raw.hovered_files.clear();
        }
        videos.into_iter().map(|f| f.path().to_path_buf()).collect()
    });
    if !dropped.is_empty() {
        let add = app.persisted.view == crate::ui::app::View::Storyboard;
        tasks::apply(app, Command::Import(dropped, add));
    }
}

/// Adds `path` to the storyboard on show (the gallery's "Add to storyboard").
pub fn add_from_gallery(app: &mut StudioApp, paths: Vec<PathBuf>) {
    tasks::apply(app, Command::AddClips(paths));
}
