//! Delete with undo: the selection goes to the core's [`Trash`] (no question per video), a
//! banner says "3 videos moved to the trash — Undo" while the deletion can be undone, and
//! Ctrl+Z (or the banner's Undo) puts it back. Every trash call moves files, so each runs on a
//! worker; the UI only starts them and reads their answers.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use egui::{RichText, Ui};
use reelsmith_core::library::IndexEntry;
use reelsmith_core::library::trash::{Deleted, Restored, Trash, TrashOptions};

use super::GalleryView;
use crate::ui::app::tasks::{TaskKind, TaskRegistry};
use crate::ui::app::{Action, StudioApp};
use crate::ui::theme::{self, Tone};

/// The trash of the library folder it was made for (made again when the folder changes).
type Shared = Arc<Mutex<Option<(PathBuf, Trash)>>>;

/// What a trash call answered.
enum Done {
    Deleted { deleted: Deleted, asked: usize },
    Restored(Result<Restored, String>),
    Expired,
}

/// A deletion that can still be undone.
#[derive(Debug, Clone)]
pub struct Undoable {
    /// The core's batch id.
    pub batch: u64,
    /// How many videos it moved.
    pub count: usize,
    /// When it was made (the banner goes once the undo time has passed).
    pub at: Instant,
}

/// Deletions, undos and the banner.
#[derive(Default)]
pub struct TrashLink {
    trash: Shared,
    /// Trash calls under way in the app's registry (counted here for [`TrashLink::busy`]).
    running: usize,
    /// The last deletion, while it can be undone.
    pub last: Option<Undoable>,
    /// "Clear history, keep favourites" is waiting for its one question.
    pub confirm_clear: bool,
}

impl TrashLink {
    /// True while a deletion or an undo runs.
    pub fn busy(&self) -> bool {
        self.running > 0
    }
}

/// How long a deletion can be undone (the core's default, shown by the banner).
fn undo_for() -> Duration {
    TrashOptions::default().undo_for
}

/// Runs `work` with the trash of `folder` as the registry task `name`; its answer (or
/// `on_panic`'s, from the task's error) is applied at a frame start.
fn with_trash(
    link: &mut TrashLink,
    tasks: &mut TaskRegistry,
    folder: PathBuf,
    name: String,
    work: impl FnOnce(&mut Trash) -> Done + Send + 'static,
    on_panic: impl FnOnce(String) -> Done + Send + 'static,
) {
    let shared = link.trash.clone();
    link.running += 1;
    tasks.spawn_blocking(
        TaskKind::Trash,
        name,
        move || {
            let mut guard = shared.lock().unwrap_or_else(|p| p.into_inner());
            if guard.as_ref().is_none_or(|(f, _)| *f != folder) {
                let trash = Trash::new(&folder, TrashOptions::default());
                *guard = Some((folder, trash));
            }
            match guard.as_mut() {
                Some((_, trash)) => work(trash),
                None => Done::Expired,
            }
        },
        |app: &mut StudioApp, r| {
            let link = &mut app.gallery.trash;
            link.running = link.running.saturating_sub(1);
            finished(app, r.unwrap_or_else(on_panic));
        },
    );
}

/// Moves the videos `ids` to the trash.
pub fn delete(view: &mut GalleryView<'_>, ids: &[String]) {
    let entries: Vec<IndexEntry> = ids
        .iter()
        .filter_map(|id| view.gallery.index.index.get(id).cloned())
        .collect();
    delete_entries(view, entries);
}

fn delete_entries(view: &mut GalleryView<'_>, entries: Vec<IndexEntry>) {
    if entries.is_empty() {
        return;
    }
    let journal = view.engine.journal();
    let asked = entries.len();
    with_trash(
        &mut view.gallery.trash,
        view.tasks,
        view.output_dir.clone(),
        format!("Moving {} to the trash", videos(asked)),
        move |trash| Done::Deleted {
            deleted: trash.delete(entries, journal.as_deref()),
            asked,
        },
        move |m| {
            tracing::error!("deleting videos stopped: {m}");
            Done::Deleted {
                deleted: Deleted::default(),
                asked,
            }
        },
    );
}

/// Moves every video that is not a favourite to the trash (asked once before).
pub fn clear_keep_favourites(view: &mut GalleryView<'_>) {
    let rest: Vec<IndexEntry> = view
        .gallery
        .index
        .index
        .entries()
        .filter(|e| !e.marks.favourite)
        .cloned()
        .collect();
    if rest.is_empty() {
        view.commands.send(Action::Toast(
            Tone::Muted,
            "Every video is a favourite: nothing to clear.".into(),
        ));
        return;
    }
    delete_entries(view, rest);
}

/// Puts the last deletion back (the banner's Undo, Ctrl+Z).
pub fn undo(view: &mut GalleryView<'_>) {
    let Some(last) = view.gallery.trash.last.take() else {
        return;
    };
    let journal = view.engine.journal();
    let name = format!("Putting {} back", videos(last.count));
    with_trash(
        &mut view.gallery.trash,
        view.tasks,
        view.output_dir.clone(),
        name,
        move |trash| {
            Done::Restored(
                trash
                    .undo(last.batch, journal.as_deref())
                    .map_err(|e| e.to_string()),
            )
        },
        // The task's error names it ("Putting 3 videos back stopped unexpectedly …").
        |m| Done::Restored(Err(m)),
    );
}

/// Hides the banner (and lets the core hand the files to the OS trash) once the undo time has
/// passed; finished trash calls answer through the registry.
pub fn poll(app: &mut StudioApp) {
    if let Some(last) = &app.gallery.trash.last {
        let left = undo_for().saturating_sub(last.at.elapsed());
        if left.is_zero() {
            app.gallery.trash.last = None;
            let folder = app.output_dir();
            with_trash(
                &mut app.gallery.trash,
                &mut app.tasks,
                folder,
                "Emptying the trash's undo".into(),
                |trash| {
                    trash.expire(false);
                    Done::Expired
                },
                |_| Done::Expired,
            );
        } else {
            app.egui_ctx().request_repaint_after(left);
        }
    }
}

fn finished(app: &mut StudioApp, done: Done) {
    if !matches!(done, Done::Expired) {
        // The journal's rows changed: the window's other views (top bar, storyboard) read them.
        app.engine.reload_library();
    }
    match done {
        Done::Deleted { deleted, asked } => {
            // A preview of a video that went stops (its file is in the trash now).
            let playing = app
                .gallery
                .player
                .as_ref()
                .and_then(|p| p.path().map(Path::to_path_buf));
            let gone_playing = playing.is_some_and(|path| {
                deleted.moved.iter().any(|id| {
                    app.gallery
                        .index
                        .index
                        .get(id)
                        .is_some_and(|e| e.item.path == path)
                })
            });
            if gone_playing && let Some(p) = app.gallery.player.as_mut() {
                p.close();
            }
            app.gallery.index.remove(&deleted.moved);
            let gone: std::collections::HashSet<&String> = deleted.moved.iter().collect();
            app.gallery
                .selection
                .retain(|id| !gone.contains(&id.to_string()));
            let n = deleted.moved.len();
            if n > 0 {
                app.gallery.trash.last = Some(Undoable {
                    batch: deleted.batch,
                    count: n,
                    at: Instant::now(),
                });
            }
            if let Some((id, e)) = deleted.failed.first() {
                app.toast(
                    Tone::Danger,
                    format!(
                        "{} of {asked} could not be moved to the trash ({id}: {e}). Check that \
                         the files are not open elsewhere and the folder is writable.",
                        deleted.failed.len()
                    ),
                );
            } else if n < asked {
                app.toast(
                    Tone::Danger,
                    "Deleting stopped unexpectedly; nothing more was moved.",
                );
            }
        }
        Done::Restored(Ok(restored)) => {
            let n = restored.entries.len();
            for entry in restored.entries {
                app.gallery.index.upsert(entry);
            }
            app.toast(Tone::Success, format!("{} back in the library.", videos(n)));
            if let Some((id, e)) = restored.failed.first() {
                app.toast(Tone::Danger, format!("{id} could not be put back: {e}"));
            }
        }
        Done::Restored(Err(e)) => app.toast(Tone::Danger, e),
        Done::Expired => {}
    }
}

/// "1 video", "3 videos".
pub fn videos(n: usize) -> String {
    if n == 1 {
        "1 video".into()
    } else {
        format!("{n} videos")
    }
}

/// The undo banner above the grid, while the last deletion can be undone.
pub fn banner(view: &mut GalleryView<'_>, ui: &mut Ui) {
    let Some(last) = view.gallery.trash.last.clone() else {
        return;
    };
    let mut undo_now = false;
    egui::Frame::new()
        .fill(theme::card_fill(ui))
        .stroke(theme::card_stroke(ui))
        .corner_radius(6.0)
        .inner_margin(egui::Margin::symmetric(10, 6))
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.label(RichText::new(format!(
                    "{} moved to the trash",
                    videos(last.count)
                )));
                undo_now = ui
                    .button("Undo")
                    .on_hover_text("Puts them back (Ctrl+Z)")
                    .clicked();
            });
        });
    ui.add_space(6.0);
    if undo_now {
        undo(view);
    }
}

/// The one question before "Clear history, keep favourites".
pub fn confirm_clear(view: &mut GalleryView<'_>, ctx: &egui::Context) {
    if !view.gallery.trash.confirm_clear {
        return;
    }
    let rest = view
        .gallery
        .index
        .index
        .entries()
        .filter(|e| !e.marks.favourite)
        .count();
    let mut answer = None;
    let modal = egui::Modal::new(egui::Id::unique("confirm_clear_history")).show(ctx, |ui| {
        ui.set_width(400.0);
        ui.label(
            RichText::new("Clear history, keep favourites?")
                .strong()
                .size(16.0),
        );
        ui.label(format!(
            "{} that are not favourites will be moved to the trash. You can undo this for a \
             minute.",
            videos(rest)
        ));
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button("Clear history").clicked() {
                answer = Some(true);
            }
            if ui.button("Keep them").clicked() {
                answer = Some(false);
            }
        });
    });
    if modal.should_close() && answer.is_none() {
        answer = Some(false);
    }
    if let Some(yes) = answer {
        view.gallery.trash.confirm_clear = false;
        if yes {
            clear_keep_favourites(view);
        }
    }
}
