//! Media inputs: every image or video field is a drop zone (files from the file manager, Ctrl+V
//! of an image or URL, a native dialog, a typed URL), with thumbnails that show their problems,
//! reordering by dragging, and removal.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use egui::{Color32, RichText, Sense, Ui};

use crate::ui::app::StudioApp;
use crate::ui::app::tasks::{TaskKind, TaskRegistry};
use crate::ui::theme::{self, Tone};
use crate::ui::thumbs::{self, Thumbnails};
use reelsmith_core::media::MediaKind;
use reelsmith_core::schema::{Field, FieldKind, FieldValue, FormModel, FormState, MediaRef};

mod drop;
mod tile;

pub use drop::{DropView, add_to_field, file_drop_overlay};
use tile::*;

/// Side of a reference tile, in points.
const TILE: f32 = 104.0;

/// One drop zone drawn this frame.
#[derive(Debug, Clone)]
struct Zone {
    path: String,
    rect: egui::Rect,
    kind: FieldKind,
}

/// A tile being dragged to a new place in its list.
#[derive(Debug, Clone)]
struct DragItem {
    path: String,
    index: usize,
}

/// Media waiting for a field: dialogs and pastes run off the UI thread and land here.
#[derive(Default)]
pub struct MediaInbox {
    zones: Vec<Zone>,
    /// The zone the user last clicked (paste and drops outside any zone go there).
    pub active: Option<String>,
    /// The zone files hovering over the window would land in (None when nothing hovers).
    pub hover_target: Option<String>,
    url_input: HashMap<String, String>,
    /// Media in for a field, in the order it came: drops, URLs and text pastes at once,
    /// dialogs and pasted images when their registry task answers.
    pending: Vec<(String, Result<Vec<MediaRef>, String>)>,
    reorder: Option<(String, usize, usize)>,
}

impl MediaInbox {
    /// Finished dialogs and pastes: `(field path, items)`.
    pub fn poll(&mut self) -> Vec<(String, Vec<MediaRef>)> {
        let mut done = Vec::new();
        for (path, items) in self.pending.drain(..) {
            match items {
                Ok(items) => done.push((path, items)),
                Err(e) => tracing::warn!("media input: {e}"),
            }
        }
        done
    }

    /// The field paths of the drop zones drawn in the last frame.
    pub fn zone_paths(&self) -> Vec<String> {
        self.zones.iter().map(|z| z.path.clone()).collect()
    }

    /// Where the drop zone of `path` was drawn in the last frame.
    pub fn zone_rect(&self, path: &str) -> Option<egui::Rect> {
        self.zones.iter().find(|z| z.path == path).map(|z| z.rect)
    }

    /// Forgets last frame's zones; called before drawing a new frame.
    pub fn begin_frame(&mut self) {
        self.zones.clear();
    }

    fn register(&mut self, path: &str, rect: egui::Rect, kind: FieldKind) {
        self.zones.push(Zone {
            path: path.to_string(),
            rect,
            kind,
        });
    }

    /// The zone for a drop at `pos` (or the active zone, or the first zone taking `video`).
    fn target(&self, pos: Option<egui::Pos2>, video: bool) -> Option<&Zone> {
        let accepts = |z: &&Zone| is_video_kind(z.kind) == video;
        pos.and_then(|p| self.zones.iter().find(|z| z.rect.contains(p)))
            .or_else(|| {
                self.active
                    .as_ref()
                    .and_then(|a| self.zones.iter().find(|z| &z.path == a))
                    .filter(accepts)
            })
            .or_else(|| self.zones.iter().find(accepts))
    }
}

fn is_video_kind(kind: FieldKind) -> bool {
    matches!(kind, FieldKind::Video | FieldKind::VideoList)
}

/// True for file names that look like videos.
pub fn looks_like_video(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .map(|e| {
            matches!(
                e.to_ascii_lowercase().as_str(),
                "mp4" | "mov" | "webm" | "m4v" | "mkv"
            )
        })
        .unwrap_or(false)
}

/// What a media field draws and changes.
pub struct ReferencesView<'a> {
    /// The drop zones, the active zone, typed URLs and media on their way.
    pub inbox: &'a mut MediaInbox,
    /// Thumbnails, and the problems of media files.
    pub thumbs: &'a mut Thumbnails,
    /// Where the file dialog runs.
    pub tasks: &'a mut TaskRegistry,
}

/// Draws a single-media field (image, video, audio, file).
pub fn single(
    ui: &mut Ui,
    view: &mut ReferencesView<'_>,
    field: &Field,
    state: &mut FormState,
    path: &str,
    label: egui::Id,
) {
    let current = state.media(&field.name).first().map(|m| (*m).clone());
    let mut remove = false;
    let zone = zone_frame(ui, view.inbox, path).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            if let Some(m) = &current
                && tile(ui, view, field, m, path, None).removed
            {
                remove = true;
            }
            ui.vertical(|ui| {
                let what = kind_word(field.kind);
                let hint = if current.is_some() {
                    format!("Drop another {what} to replace it")
                } else {
                    format!(
                        "Drop a{} {what} here",
                        if what.starts_with(['a', 'e', 'i', 'o', 'u']) {
                            "n"
                        } else {
                            ""
                        }
                    )
                };
                ui.label(RichText::new(hint).color(theme::subtle(ui)));
                sources_row(ui, view, field, path, label);
            });
        });
    });
    view.inbox.register(path, zone.response.rect, field.kind);
    mark_active_on_click(ui, view.inbox, path, zone.response.rect);
    if remove {
        state.values.remove(&field.name);
    }
}

/// Draws a media-list field (reference images), with reordering and removal.
pub fn list(
    ui: &mut Ui,
    view: &mut ReferencesView<'_>,
    field: &Field,
    state: &mut FormState,
    path: &str,
    label: egui::Id,
) {
    let items: Vec<MediaRef> = state.media(&field.name).into_iter().cloned().collect();
    let mut remove = None;
    let zone = zone_frame(ui, view.inbox, path).show(ui, |ui| {
        ui.set_width(ui.available_width());
        if items.is_empty() {
            ui.label(
                RichText::new(format!("Drop {}s here", kind_word(field.kind)))
                    .color(theme::subtle(ui)),
            );
        } else {
            ui.horizontal_wrapped(|ui| {
                for (i, m) in items.iter().enumerate() {
                    let t = tile(ui, view, field, m, path, Some(i));
                    if t.removed {
                        remove = Some(i);
                    }
                }
            });
            if items.len() > 1 {
                ui.label(
                    RichText::new("Drag to reorder")
                        .small()
                        .color(theme::subtle(ui)),
                );
            }
        }
        sources_row(ui, view, field, path, label);
    });
    view.inbox.register(path, zone.response.rect, field.kind);
    mark_active_on_click(ui, view.inbox, path, zone.response.rect);
    let mut items = items;
    let mut changed = false;
    if let Some(i) = remove {
        items.remove(i);
        changed = true;
    }
    if let Some((p, from, to)) = view.inbox.reorder.take() {
        if p == path && from < items.len() && to < items.len() {
            let m = items.remove(from);
            items.insert(to, m);
            changed = true;
        } else if p != path {
            view.inbox.reorder = Some((p, from, to));
        }
    }
    if changed {
        if items.is_empty() {
            state.values.remove(&field.name);
        } else {
            state
                .values
                .insert(field.name.clone(), FieldValue::MediaList(items));
        }
    }
}

/// A click anywhere in the zone makes it the target of pastes. Read from the input rather
/// than registered as a widget, so the zone never sits on top of its own buttons.
fn mark_active_on_click(ui: &Ui, inbox: &mut MediaInbox, path: &str, rect: egui::Rect) {
    let clicked = ui.input(|i| {
        i.pointer.primary_clicked() && i.pointer.interact_pos().is_some_and(|p| rect.contains(p))
    });
    if clicked {
        inbox.active = Some(path.to_string());
    }
}

fn kind_word(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Image | FieldKind::ImageList => "image",
        FieldKind::Video | FieldKind::VideoList => "video",
        FieldKind::Audio => "audio file",
        _ => "file",
    }
}

fn zone_frame(ui: &Ui, inbox: &MediaInbox, path: &str) -> egui::Frame {
    let hovering = ui.ctx().input(|i| !i.raw.hovered_files.is_empty());
    let active = inbox.active.as_deref() == Some(path);
    let stroke = if hovering {
        egui::Stroke::new(2.0, theme::ACCENT)
    } else if active {
        egui::Stroke::new(1.0, theme::ACCENT.linear_multiply(0.7))
    } else {
        egui::Stroke::new(1.0, ui.visuals().widgets.noninteractive.bg_stroke.color)
    };
    egui::Frame::new()
        .fill(ui.visuals().faint_bg_color)
        .stroke(stroke)
        .corner_radius(8)
        .inner_margin(egui::Margin::same(10))
}

/// Browse, paste and URL entry under a zone.
fn sources_row(
    ui: &mut Ui,
    view: &mut ReferencesView<'_>,
    field: &Field,
    path: &str,
    label: egui::Id,
) {
    let inbox = &mut *view.inbox;
    ui.horizontal(|ui| {
        if ui
            .button("Browse…")
            .on_hover_text("Choose files with the system dialog")
            .clicked()
        {
            inbox.active = Some(path.to_string());
            browse(view.tasks, field, path);
        }
        let url = inbox.url_input.entry(path.to_string()).or_default();
        let r = ui
            .add(
                egui::TextEdit::singleline(url)
                    .hint_text("or paste a URL")
                    .desired_width(220.0),
            )
            .labelled_by(label);
        if r.gained_focus() {
            inbox.active = Some(path.to_string());
        }
        let submit = r.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
        let text = url.trim().to_string();
        let valid = text.starts_with("https://") || text.starts_with("http://");
        if (ui
            .add_enabled(valid, egui::Button::new("Add URL"))
            .clicked()
            || (submit && valid))
            && !text.is_empty()
        {
            inbox.url_input.remove(path);
            inbox
                .pending
                .push((path.to_string(), Ok(vec![MediaRef::Url(text)])));
            ui.ctx().request_repaint();
        }
    });
}

/// Opens the system's file dialog as a registry task; the files chosen land in the inbox.
fn browse(tasks: &mut TaskRegistry, field: &Field, path: &str) {
    let many = field.kind.is_media_list();
    let video = is_video_kind(field.kind);
    let path = path.to_string();
    // rfd's dialog blocks until the user answers: never on the UI thread.
    tasks.spawn_blocking(
        TaskKind::Media,
        "Choosing files",
        move || {
            let mut dialog = rfd::FileDialog::new();
            dialog = if video {
                dialog.add_filter("Video", &["mp4", "mov", "webm", "m4v"])
            } else {
                dialog.add_filter("Image", &["jpg", "jpeg", "png", "webp"])
            };
            let picked: Vec<PathBuf> = if many {
                dialog.pick_files().unwrap_or_default()
            } else {
                dialog.pick_file().into_iter().collect()
            };
            Ok(picked.into_iter().map(MediaRef::Local).collect())
        },
        move |app: &mut StudioApp, r| arrived(app, path, r),
    );
}

/// Puts a finished dialog's or paste's media in the inbox; a task that stopped is a toast.
fn arrived(
    app: &mut StudioApp,
    path: String,
    media: Result<Result<Vec<MediaRef>, String>, String>,
) {
    match media {
        Ok(items) => app.inbox.pending.push((path, items)),
        Err(stopped) => app.toast(Tone::Danger, stopped),
    }
}
