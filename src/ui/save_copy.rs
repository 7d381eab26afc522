//! "Save as…" in the gallery: asks where (the native dialog, off the UI thread), copies the
//! video and its sidecar with the core's [`export_copy`] on a worker, shows the outcome under
//! the video's buttons, and asks before replacing a file where the copy's sidecar goes.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use egui::{Color32, RichText, Ui};
use reelsmith_core::library::{ExportError, ExportOptions, Exported, LibraryItem, export_copy};

use super::app::tasks::TaskKind;
use super::app::{Action, StudioApp};
use super::theme::{self, Tone};

/// Bytes copied so far, written by the worker and read by the UI.
#[derive(Default)]
struct Progress {
    done: AtomicU64,
    total: AtomicU64,
}

/// How one save ended.
enum Outcome {
    /// The user closed the dialog.
    Cancelled,
    Saved(Exported),
    Failed(ExportError),
}

/// A copy being made (by a task of the app's registry).
struct Running {
    item: LibraryItem,
    progress: Arc<Progress>,
}

/// The last outcome, shown with the video it concerns.
pub struct Note {
    /// The video's job id.
    pub job_id: String,
    /// Success, warning or failure.
    pub tone: Tone,
    /// What happened, in words.
    pub text: String,
}

/// A file is where the copy's sidecar goes; the user decides.
struct Pending {
    item: LibraryItem,
    dest: PathBuf,
    sidecar: PathBuf,
}

/// State of "Save as…".
#[derive(Default)]
pub struct SaveCopyState {
    running: Option<Running>,
    /// The last outcome.
    pub note: Option<Note>,
    confirm: Option<Pending>,
}

impl SaveCopyState {
    /// True while a dialog is open or a copy runs.
    pub fn busy(&self) -> bool {
        self.running.is_some()
    }
}

/// Asks where to save `item`, then copies it there (the dialog has asked about replacing an
/// existing file of that name; a file at the sidecar's name is asked about here).
pub fn start(app: &mut StudioApp, item: LibraryItem) {
    spawn(app, item, None, ExportOptions::default());
}

/// Runs the dialog (when `dest` is None) and the copy on a worker thread.
fn spawn(app: &mut StudioApp, item: LibraryItem, dest: Option<PathBuf>, options: ExportOptions) {
    if app.gallery.save.running.is_some() {
        return;
    }
    app.gallery.save.note = None;
    let picker = Arc::clone(&app.config.save_as);
    let ctx = app.egui_ctx();
    let progress = Arc::new(Progress::default());
    let worker_progress = Arc::clone(&progress);
    let (video, sidecar) = (item.path.clone(), item.sidecar.clone());
    let name = format!("Saving a copy of {}", file_name(&video));
    let work = move || {
        let Some(dest) = dest.or_else(|| picker(&video)) else {
            return (None, Outcome::Cancelled);
        };
        let options = ExportOptions {
            // The save dialog asked before choosing an existing file.
            replace_video: true,
            ..options
        };
        let mut last_repaint = std::time::Instant::now();
        let mut report = |done: u64, total: u64| {
            worker_progress.done.store(done, Ordering::Relaxed);
            worker_progress.total.store(total, Ordering::Relaxed);
            if last_repaint.elapsed() > std::time::Duration::from_millis(100) {
                last_repaint = std::time::Instant::now();
                ctx.request_repaint();
            }
        };
        let outcome = match export_copy(&video, &sidecar, &dest, options, &mut report) {
            Ok(done) => Outcome::Saved(done),
            Err(e) => Outcome::Failed(e),
        };
        (Some(dest), outcome)
    };
    app.gallery.save.running = Some(Running { item, progress });
    app.tasks
        .spawn_blocking(TaskKind::SaveCopy, name, work, finish);
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// Takes a finished copy's outcome into a note and a toast, or into the question.
fn finish(app: &mut StudioApp, done: Result<(Option<PathBuf>, Outcome), String>) {
    let Some(Running { item, .. }) = app.gallery.save.running.take() else {
        return;
    };
    let (chosen, outcome) = match done {
        Ok(done) => done,
        Err(stopped) => {
            app.act(Action::Toast(Tone::Danger, stopped.clone()));
            app.gallery.save.note = Some(Note {
                job_id: item.job_id,
                tone: Tone::Danger,
                text: stopped,
            });
            return;
        }
    };
    let note = |tone, text: String| Note {
        job_id: item.job_id.clone(),
        tone,
        text,
    };
    // The details panel says everything; the toast is a short summary.
    let (note, toast) = match outcome {
        Outcome::Cancelled => return,
        Outcome::Saved(done) => {
            let text = match &done.sidecar {
                Some(s) => format!(
                    "Saved a copy as {} with its sidecar {}.",
                    done.video.display(),
                    file_name(s)
                ),
                None => format!(
                    "Saved a copy as {} (this video has no sidecar).",
                    done.video.display()
                ),
            };
            let toast = format!("Saved a copy as {}.", file_name(&done.video));
            (note(Tone::Success, text), Some(toast))
        }
        Outcome::Failed(ExportError::SidecarExists { dest, sidecar }) => {
            app.gallery.save.confirm = Some(Pending {
                item: item.clone(),
                dest,
                sidecar: sidecar.clone(),
            });
            let text = format!(
                "Not saved yet: {} is in the way of the copy's sidecar.",
                sidecar.display()
            );
            (note(Tone::Warning, text), None)
        }
        Outcome::Failed(e @ ExportError::SidecarAppeared { .. }) => (
            note(Tone::Warning, format!("Partly saved: {e}")),
            Some("The copy was saved without its sidecar.".to_string()),
        ),
        Outcome::Failed(e @ ExportError::SameFile { .. }) => (
            note(Tone::Danger, format!("Not saved: {e}")),
            Some(format!(
                "Not saved: {} is the library file itself.",
                chosen.as_deref().map(file_name).unwrap_or_default()
            )),
        ),
        Outcome::Failed(e) => (
            note(Tone::Danger, format!("Not saved: {e}")),
            Some("The copy was not saved; the details panel says why.".to_string()),
        ),
    };
    if let Some(toast) = toast {
        app.act(Action::Toast(note.tone, toast));
    }
    app.gallery.save.note = Some(note);
}

/// The progress of a running copy, or the last outcome, for the video `item`.
pub fn status(state: &SaveCopyState, ui: &mut Ui, item: &LibraryItem) {
    if let Some(running) = state
        .running
        .as_ref()
        .filter(|r| r.item.job_id == item.job_id)
    {
        let done = running.progress.done.load(Ordering::Relaxed);
        let total = running.progress.total.load(Ordering::Relaxed);
        ui.horizontal(|ui| {
            ui.spinner();
            let text = match (done * 100).checked_div(total) {
                Some(percent) => format!("Saving a copy… {percent}%"),
                None => "Choose where to save the copy…".to_string(),
            };
            ui.label(RichText::new(text).small());
        });
        return;
    }
    if let Some(note) = state.note.as_ref().filter(|n| n.job_id == item.job_id) {
        ui.add(
            egui::Label::new(
                RichText::new(&note.text)
                    .small()
                    .color(theme::tone(ui, note.tone)),
            )
            .wrap(),
        );
    }
}

/// Asks whether to replace the file where the copy's sidecar goes.
pub fn confirm(app: &mut StudioApp, ctx: &egui::Context) {
    let Some(pending) = app.gallery.save.confirm.as_ref() else {
        return;
    };
    let (sidecar, dest) = (pending.sidecar.clone(), pending.dest.clone());
    let mut answer = None;
    let modal = egui::Modal::new(egui::Id::unique("confirm_replace_sidecar")).show(ctx, |ui| {
        ui.set_width(420.0);
        ui.label(
            RichText::new(format!("Replace {}?", file_name(&sidecar)))
                .strong()
                .size(16.0),
        );
        ui.add(
            egui::Label::new(format!(
                "{} already exists and is not the sidecar of this video. Saving the copy as {} \
                 puts its sidecar there, replacing that file. Nothing has been written yet.",
                sidecar.display(),
                file_name(&dest)
            ))
            .wrap(),
        );
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            let danger = theme::tone(ui, Tone::Danger);
            if ui
                .add(
                    egui::Button::new(RichText::new("Replace it").color(Color32::WHITE))
                        .fill(danger),
                )
                .clicked()
            {
                answer = Some(true);
            }
            if ui.button("Keep it").clicked() {
                answer = Some(false);
            }
        });
    });
    if modal.should_close() && answer.is_none() {
        answer = Some(false);
    }
    match answer {
        Some(true) => {
            if let Some(p) = app.gallery.save.confirm.take() {
                spawn(
                    app,
                    p.item,
                    Some(p.dest),
                    ExportOptions {
                        replace_video: true,
                        replace_sidecar: true,
                    },
                );
            }
        }
        Some(false) => {
            if let Some(p) = app.gallery.save.confirm.take() {
                app.gallery.save.note = Some(Note {
                    job_id: p.item.job_id,
                    tone: Tone::Waiting,
                    text: format!(
                        "Not saved; {} was kept. Choose another name to save a copy.",
                        p.sidecar.display()
                    ),
                });
            }
        }
        None => {}
    }
}
