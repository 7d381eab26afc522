//! "Save copies…" of the selection: a folder is picked (the native dialog, on a worker), the
//! core's [`export_selection`] copies each video with its sidecar there on the same worker
//! (never replacing a file; a taken name gets a number), and the gallery shows "Exporting 3 of
//! 12" with a bar, then what was renamed and what failed.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use egui::{RichText, Ui};
use reelsmith_core::library::LibraryItem;
use reelsmith_core::library::export_selection::{SelectionReport, export_selection};

use super::GalleryView;
use crate::ui::app::StudioApp;
use crate::ui::app::tasks::TaskKind;
use crate::ui::theme::{self, Tone};

/// How far the copy is, written by the worker and read by the UI.
#[derive(Default)]
struct Progress {
    videos_done: AtomicUsize,
    videos: AtomicUsize,
    bytes_done: AtomicU64,
    bytes: AtomicU64,
}

/// State of "Save copies…".
#[derive(Default)]
pub struct ExportState {
    /// The progress of the copy under way (a task of the app's registry).
    running: Option<Arc<Progress>>,
    /// What the last copy did, in words.
    pub note: Option<(Tone, String)>,
}

impl ExportState {
    /// True while a folder is being picked or copies made.
    pub fn busy(&self) -> bool {
        self.running.is_some()
    }
}

/// Asks for a folder, then copies `items` there, all on a worker (`ctx` repaints as it goes).
pub fn start(view: &mut GalleryView<'_>, ctx: &egui::Context, items: Vec<LibraryItem>) {
    if items.is_empty() || view.gallery.export.busy() {
        return;
    }
    let pick = view.pick_folder.clone();
    let start_at = view.output_dir.clone();
    let progress = Arc::new(Progress::default());
    let shared = progress.clone();
    let wake = ctx.clone();
    let name = format!("Saving {}", copies(items.len()));
    view.tasks.spawn_blocking(
        TaskKind::ExportSelection,
        name,
        move || {
            let folder = pick(&start_at)?;
            let report = export_selection(&items, &folder, &mut |p| {
                shared.videos_done.store(p.videos_done, Ordering::Relaxed);
                shared.videos.store(p.videos, Ordering::Relaxed);
                shared.bytes_done.store(p.bytes_done, Ordering::Relaxed);
                shared.bytes.store(p.bytes, Ordering::Relaxed);
                wake.request_repaint();
            });
            Some((folder, report, items))
        },
        |app: &mut StudioApp, r| {
            let export = &mut app.gallery.export;
            export.running = None;
            match r {
                Ok(Some((folder, report, items))) => {
                    export.note = Some(summary(&folder, &report, &items));
                }
                // The user closed the dialog.
                Ok(None) => {}
                Err(e) => export.note = Some((Tone::Danger, e)),
            }
        },
    );
    view.gallery.export = ExportState {
        running: Some(progress),
        note: None,
    };
}

/// "Saved 12 copies in /x (1 renamed, the name was taken: a.mp4 as a (2).mp4). 1 not copied: …".
fn summary(
    folder: &std::path::Path,
    report: &SelectionReport,
    items: &[LibraryItem],
) -> (Tone, String) {
    let renamed: Vec<String> = report
        .copied
        .iter()
        .filter_map(|(id, exported)| {
            let item = items.iter().find(|i| &i.job_id == id)?;
            let was = item.path.file_name()?;
            let now = exported.video.file_name()?;
            (was != now).then(|| format!("{} as {}", was.to_string_lossy(), now.to_string_lossy()))
        })
        .collect();
    let mut text = format!(
        "Saved {} in {}",
        copies(report.copied.len()),
        folder.display()
    );
    if !renamed.is_empty() {
        text.push_str(&format!(
            " ({} renamed, the name was taken: {})",
            renamed.len(),
            renamed.join(", ")
        ));
    }
    text.push('.');
    if !report.failed.is_empty() {
        let why: Vec<String> = report
            .failed
            .iter()
            .take(3)
            .map(|(id, e)| format!("{id}: {e}"))
            .collect();
        text.push_str(&format!(
            " {} not copied: {}",
            report.failed.len(),
            why.join("; ")
        ));
    }
    let tone = if report.failed.is_empty() {
        Tone::Success
    } else {
        Tone::Danger
    };
    (tone, text)
}

fn copies(n: usize) -> String {
    if n == 1 {
        "1 copy".into()
    } else {
        format!("{n} copies")
    }
}

/// The progress bar while copies are made, then the outcome.
pub fn status(export: &mut ExportState, ui: &mut Ui) {
    if let Some(p) = &export.running {
        let videos = p.videos.load(Ordering::Relaxed);
        if videos > 0 {
            let done = p.videos_done.load(Ordering::Relaxed);
            let bytes = p.bytes.load(Ordering::Relaxed).max(1);
            let fraction = p.bytes_done.load(Ordering::Relaxed) as f32 / bytes as f32;
            let shown = (done + 1).min(videos);
            ui.add(
                egui::ProgressBar::new(fraction.clamp(0.0, 1.0))
                    .text(format!("Exporting {shown} of {videos}"))
                    .desired_width(320.0),
            );
        } else {
            ui.label(RichText::new("Choose a folder for the copies…").color(theme::subtle(ui)));
        }
        ui.add_space(4.0);
    } else if let Some((tone, text)) = export.note.clone() {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(text).small().color(theme::tone(ui, tone)));
            if ui.small_button("OK").clicked() {
                export.note = None;
            }
        });
        ui.add_space(4.0);
    }
}
