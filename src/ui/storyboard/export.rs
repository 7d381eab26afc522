//! The export dialog: where to write the film, then progress with time left and Cancel. The
//! export runs on its own thread ([`ExportHandle`]); an existing file is never replaced
//! without a yes: the core refuses, and the dialog asks.

use std::path::PathBuf;

use egui::RichText;
use reelsmith_core::film::{ExportHandle, ExportProgress, ExportReport, ExportRequest, FilmError};

use super::Command;
use crate::ui::theme::{self, Tone};
use crate::ui::widgets;

/// What is exported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExportTarget {
    /// The whole storyboard.
    Storyboard,
    /// One shot, as trimmed.
    Shot(usize),
}

enum Stage {
    /// Choosing the file.
    Choosing,
    /// Clips being checked before the export starts.
    Preparing,
    /// Writing.
    Running(ExportHandle),
    /// The file exists: replace it?
    AskOverwrite,
    /// Finished.
    Done(Result<ExportReport, String>),
    /// Progress (in `last`) shown without an export behind it (snapshots of the dialog).
    Frozen,
}

/// The dialog's state.
pub struct ExportDialog {
    /// What is exported.
    pub target: ExportTarget,
    /// The film to write, as typed.
    pub output: String,
    stage: Stage,
    last: Option<ExportProgress>,
}

impl ExportDialog {
    /// A dialog suggesting `output`.
    pub fn new(target: ExportTarget, output: PathBuf) -> ExportDialog {
        ExportDialog {
            target,
            output: output.to_string_lossy().into_owned(),
            stage: Stage::Choosing,
            last: None,
        }
    }

    /// A dialog showing `progress` as if an export ran (for snapshots and previews: its
    /// Cancel does nothing).
    pub fn frozen(target: ExportTarget, output: PathBuf, progress: ExportProgress) -> ExportDialog {
        ExportDialog {
            target,
            output: output.to_string_lossy().into_owned(),
            last: Some(progress),
            stage: Stage::Frozen,
        }
    }

    /// True while clips are checked or the film is written.
    pub fn running(&self) -> bool {
        matches!(self.stage, Stage::Preparing | Stage::Running(_))
    }

    /// The export's progress, once it runs.
    pub fn progress(&self) -> Option<&ExportProgress> {
        self.last.as_ref()
    }

    /// The outcome, once finished.
    pub fn outcome(&self) -> Option<&Result<ExportReport, String>> {
        match &self.stage {
            Stage::Done(r) => Some(r),
            _ => None,
        }
    }

    pub(super) fn preparing(&mut self) {
        self.stage = Stage::Preparing;
    }

    pub(super) fn start(&mut self, request: ExportRequest, ctx: &egui::Context) {
        let ctx = ctx.clone();
        let handle = ExportHandle::start_with_notify(request, move || ctx.request_repaint());
        self.last = Some(handle.progress());
        self.stage = Stage::Running(handle);
    }

    pub(super) fn cancel(&mut self) {
        if let Stage::Running(h) = &self.stage {
            h.cancel();
        }
    }

    /// Follows the running export (never waits: the thread is only joined once it ended).
    pub(super) fn poll(&mut self) {
        let Stage::Running(handle) = &mut self.stage else {
            return;
        };
        self.last = Some(handle.progress());
        let Some(result) = handle.try_result() else {
            return;
        };
        self.stage = match result {
            Err(FilmError::Exists(_)) => Stage::AskOverwrite,
            Ok(report) => Stage::Done(Ok(report.clone())),
            Err(e) => Stage::Done(Err(e.to_string())),
        };
    }

    /// A failure before the export started (a changed clip, a slot still being made).
    pub(super) fn failed(&mut self, message: &str) -> bool {
        let preparing = matches!(self.stage, Stage::Preparing);
        if preparing {
            self.stage = Stage::Done(Err(message.to_string()));
        }
        preparing
    }
}

/// Draws the dialog.
pub fn show(ctx: &egui::Context, d: &mut ExportDialog) -> Vec<Command> {
    let mut out = Vec::new();
    let title = match d.target {
        ExportTarget::Storyboard => "Export the storyboard".to_string(),
        ExportTarget::Shot(i) => format!("Export shot {}", i + 1),
    };
    egui::Modal::new(egui::Id::unique("storyboard_export")).show(ctx, |ui| {
        ui.set_width(520.0);
        ui.heading(title);
        ui.add_space(6.0);
        match &d.stage {
            Stage::Choosing => {
                ui.label("One MP4 (H.264 + AAC). Shots are copied where they can be, re-encoded only at cuts between key frames.");
                ui.horizontal(|ui| {
                    let label = ui.label("Save as");
                    ui.add(
                        egui::TextEdit::singleline(&mut d.output)
                            .desired_width(400.0)
                            .id_salt("export_output"),
                    )
                    .labelled_by(label.id);
                });
                ui.horizontal(|ui| {
                    if ui.add(theme::primary_button("Export")).clicked() {
                        out.push(Command::StartExport {
                            output: PathBuf::from(d.output.trim()),
                            overwrite: false,
                        });
                    }
                    if ui.button("Close").clicked() {
                        out.push(Command::CloseExport);
                    }
                });
            }
            Stage::Preparing => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Checking the clips…");
                });
            }
            Stage::Running(_) | Stage::Frozen => {
                let p = d.last.clone().unwrap_or(ExportProgress {
                    frames_done: 0,
                    frames_total: 0,
                    fraction: 0.0,
                    elapsed: std::time::Duration::ZERO,
                    remaining: None,
                    finished: false,
                });
                ui.add(
                    egui::ProgressBar::new(p.fraction as f32)
                        .show_percentage()
                        .desired_width(500.0),
                );
                let left = match p.remaining {
                    Some(r) => format!("about {} left", widgets::duration(r)),
                    None => "estimating the time left…".into(),
                };
                ui.label(format!(
                    "Frame {} of {} · {left}",
                    p.frames_done, p.frames_total
                ));
                if ui.button("Cancel").clicked() {
                    out.push(Command::CancelExport);
                }
            }
            Stage::AskOverwrite => {
                ui.label(
                    RichText::new(format!("{} already exists.", d.output))
                        .color(theme::tone(ui, Tone::Warning)),
                );
                ui.label("Replace it (and its sidecar)? The old film cannot be brought back.");
                ui.horizontal(|ui| {
                    if ui.button("Replace").clicked() {
                        out.push(Command::StartExport {
                            output: PathBuf::from(d.output.trim()),
                            overwrite: true,
                        });
                    }
                    if ui.button("Choose another name").clicked() {
                        d.stage = Stage::Choosing;
                    }
                });
            }
            Stage::Done(Ok(report)) => {
                ui.label(
                    RichText::new(format!(
                        "Exported {:.2} s to {}",
                        report.duration_secs,
                        report.output.display()
                    ))
                    .color(theme::tone(ui, Tone::Success)),
                );
                for w in &report.warnings {
                    ui.label(RichText::new(w).small().color(theme::tone(ui, Tone::Warning)));
                }
                if ui.button("Close").clicked() {
                    out.push(Command::CloseExport);
                }
            }
            Stage::Done(Err(e)) => {
                ui.label(RichText::new(e).color(theme::tone(ui, Tone::Danger)));
                ui.horizontal(|ui| {
                    if ui.button("Try again").clicked() {
                        d.stage = Stage::Choosing;
                    }
                    if ui.button("Close").clicked() {
                        out.push(Command::CloseExport);
                    }
                });
            }
        }
    });
    out
}
