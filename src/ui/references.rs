//! Media inputs: every image or video field is a drop zone (files from the file manager, Ctrl+V
//! of an image or URL, a native dialog, a typed URL), with thumbnails that show their problems,
//! reordering by dragging, and removal.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use egui::{Color32, RichText, Sense, Ui};
use poll_promise::Promise;

use super::app::StudioApp;
use super::theme::{self, Tone};
use super::thumbs;
use reelsmith_core::media::MediaKind;
use reelsmith_core::schema::{Field, FieldKind, FieldValue, FormModel, FormState, MediaRef};

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

type PendingMedia = Promise<(String, Result<Vec<MediaRef>, String>)>;

/// Media waiting for a field: dialogs and pastes run off the UI thread and land here.
#[derive(Default)]
pub struct MediaInbox {
    zones: Vec<Zone>,
    /// The zone the user last clicked (paste and drops outside any zone go there).
    pub active: Option<String>,
    /// The zone files hovering over the window would land in (None when nothing hovers).
    pub hover_target: Option<String>,
    url_input: HashMap<String, String>,
    pending: Vec<PendingMedia>,
    reorder: Option<(String, usize, usize)>,
}

impl MediaInbox {
    /// Finished dialogs and pastes: `(field path, items)`.
    pub fn poll(&mut self) -> Vec<(String, Vec<MediaRef>)> {
        let mut done = Vec::new();
        let mut still = Vec::new();
        for p in self.pending.drain(..) {
            match p.try_take() {
                Ok((path, Ok(items))) => done.push((path, items)),
                Ok((_, Err(e))) => tracing::warn!("media input: {e}"),
                Err(p) => still.push(p),
            }
        }
        self.pending = still;
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

/// Draws a single-media field (image, video, audio, file).
pub fn single(
    ui: &mut Ui,
    app: &mut StudioApp,
    field: &Field,
    state: &mut FormState,
    path: &str,
    label: egui::Id,
) {
    let current = state.media(&field.name).first().map(|m| (*m).clone());
    let mut remove = false;
    let zone = zone_frame(ui, app, path).show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal(|ui| {
            if let Some(m) = &current
                && tile(ui, app, field, m, path, None).removed
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
                sources_row(ui, app, field, path, label);
            });
        });
    });
    app.inbox.register(path, zone.response.rect, field.kind);
    mark_active_on_click(ui, app, path, zone.response.rect);
    if remove {
        state.values.remove(&field.name);
    }
}

/// Draws a media-list field (reference images), with reordering and removal.
pub fn list(
    ui: &mut Ui,
    app: &mut StudioApp,
    field: &Field,
    state: &mut FormState,
    path: &str,
    label: egui::Id,
) {
    let items: Vec<MediaRef> = state.media(&field.name).into_iter().cloned().collect();
    let mut remove = None;
    let zone = zone_frame(ui, app, path).show(ui, |ui| {
        ui.set_width(ui.available_width());
        if items.is_empty() {
            ui.label(
                RichText::new(format!("Drop {}s here", kind_word(field.kind)))
                    .color(theme::subtle(ui)),
            );
        } else {
            ui.horizontal_wrapped(|ui| {
                for (i, m) in items.iter().enumerate() {
                    let t = tile(ui, app, field, m, path, Some(i));
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
        sources_row(ui, app, field, path, label);
    });
    app.inbox.register(path, zone.response.rect, field.kind);
    mark_active_on_click(ui, app, path, zone.response.rect);
    let mut items = items;
    let mut changed = false;
    if let Some(i) = remove {
        items.remove(i);
        changed = true;
    }
    if let Some((p, from, to)) = app.inbox.reorder.take() {
        if p == path && from < items.len() && to < items.len() {
            let m = items.remove(from);
            items.insert(to, m);
            changed = true;
        } else if p != path {
            app.inbox.reorder = Some((p, from, to));
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
fn mark_active_on_click(ui: &Ui, app: &mut StudioApp, path: &str, rect: egui::Rect) {
    let clicked = ui.input(|i| {
        i.pointer.primary_clicked() && i.pointer.interact_pos().is_some_and(|p| rect.contains(p))
    });
    if clicked {
        app.inbox.active = Some(path.to_string());
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

fn zone_frame(ui: &Ui, app: &StudioApp, path: &str) -> egui::Frame {
    let hovering = ui.ctx().input(|i| !i.raw.hovered_files.is_empty());
    let active = app.inbox.active.as_deref() == Some(path);
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
fn sources_row(ui: &mut Ui, app: &mut StudioApp, field: &Field, path: &str, label: egui::Id) {
    ui.horizontal(|ui| {
        if ui
            .button("Browse…")
            .on_hover_text("Choose files with the system dialog")
            .clicked()
        {
            app.inbox.active = Some(path.to_string());
            browse(app, field, path, ui.ctx());
        }
        let url = app.inbox.url_input.entry(path.to_string()).or_default();
        let r = ui
            .add(
                egui::TextEdit::singleline(url)
                    .hint_text("or paste a URL")
                    .desired_width(220.0),
            )
            .labelled_by(label);
        if r.gained_focus() {
            app.inbox.active = Some(path.to_string());
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
            app.inbox.url_input.remove(path);
            app.inbox.pending.push(Promise::from_ready((
                path.to_string(),
                Ok(vec![MediaRef::Url(text)]),
            )));
            ui.ctx().request_repaint();
        }
    });
}

fn browse(app: &mut StudioApp, field: &Field, path: &str, ctx: &egui::Context) {
    let many = field.kind.is_media_list();
    let video = is_video_kind(field.kind);
    let path = path.to_string();
    let ctx = ctx.clone();
    // rfd's dialog blocks until the user answers: never on the UI thread.
    app.inbox.pending.push(Promise::spawn_blocking(move || {
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
        ctx.request_repaint();
        (path, Ok(picked.into_iter().map(MediaRef::Local).collect()))
    }));
}

struct TileOutcome {
    removed: bool,
}

/// One thumbnail tile with its problems painted on it.
fn tile(
    ui: &mut Ui,
    app: &mut StudioApp,
    field: &Field,
    media: &MediaRef,
    path: &str,
    index: Option<usize>,
) -> TileOutcome {
    let mut removed = false;
    let id = ui.scope_id().with(("tile", path, index));
    let draw = |ui: &mut Ui, app: &mut StudioApp| {
        let (rect, resp) = ui.allocate_exact_size(egui::vec2(TILE, TILE), Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 6.0, ui.visuals().extreme_bg_color);
        let mut problems: Vec<thumbs::TileProblem> = Vec::new();
        let mut caption = String::new();
        match media {
            MediaRef::Local(p) => {
                let video = is_video_kind(field.kind);
                let view = app.thumbs.get_checked(p, MediaKind::of(field.kind));
                if let Some(t) = view.texture {
                    let size = t.size_vec2();
                    let scale = (TILE / size.x).max(TILE / size.y);
                    let shown = size * scale;
                    let uv = egui::Rect::from_center_size(
                        egui::pos2(0.5, 0.5),
                        egui::vec2(TILE / shown.x, TILE / shown.y),
                    );
                    painter.image(t.id(), rect, uv, Color32::WHITE);
                } else if view.loading {
                    painter.text(
                        rect.center(),
                        egui::Align2::CENTER_CENTER,
                        "…",
                        egui::FontId::proportional(20.0),
                        theme::subtle(ui),
                    );
                } else {
                    let word = if video { "VIDEO" } else { "FILE" };
                    painter.text(
                        rect.center(),
                        egui::Align2::CENTER_CENTER,
                        word,
                        egui::FontId::proportional(13.0),
                        theme::subtle(ui),
                    );
                }
                if let Some(f) = view.facts {
                    let shown = reelsmith_core::media::check::display_name(p);
                    problems = thumbs::problems(f, field.media.as_ref(), &shown);
                    caption = match (f.dims, f.duration) {
                        (Some((w, h)), Some(d)) => format!("{w}×{h} · {d:.1} s"),
                        (Some((w, h)), None) => format!("{w}×{h}"),
                        (None, Some(d)) => format!("{d:.1} s"),
                        _ => reelsmith_core::human::bytes(f.size),
                    };
                }
                resp.clone().on_hover_text(tile_tooltip(
                    p.display().to_string(),
                    &caption,
                    &problems,
                ));
            }
            MediaRef::Url(u) => {
                let host = url::Url::parse(u)
                    .ok()
                    .and_then(|x| x.host_str().map(str::to_string))
                    .unwrap_or_else(|| "URL".into());
                painter.text(
                    rect.center() - egui::vec2(0.0, 8.0),
                    egui::Align2::CENTER_CENTER,
                    "URL",
                    egui::FontId::proportional(16.0),
                    theme::ACCENT,
                );
                painter.text(
                    rect.center() + egui::vec2(0.0, 12.0),
                    egui::Align2::CENTER_CENTER,
                    short(&host, 14),
                    egui::FontId::proportional(11.0),
                    theme::subtle(ui),
                );
                resp.clone().on_hover_text(u);
            }
        }
        // Problems sit on the thumbnail itself: a coloured border and a strip with the first one.
        let worst = problems.iter().any(|p| p.blocks);
        if let Some(first) = problems.first() {
            let c = theme::tone(ui, if worst { Tone::Danger } else { Tone::Warning });
            painter.rect_stroke(
                rect,
                6.0,
                egui::Stroke::new(2.0, c),
                egui::StrokeKind::Inside,
            );
            caption_strip(
                &painter,
                rect,
                22.0,
                c.linear_multiply(0.92),
                &short(first.label, 18),
            );
        } else if !caption.is_empty() {
            caption_strip(
                &painter,
                rect,
                18.0,
                Color32::from_black_alpha(140),
                &caption,
            );
        }
        if let Some(i) = index {
            let badge =
                egui::Rect::from_min_size(rect.min + egui::vec2(4.0, 4.0), egui::vec2(20.0, 16.0));
            painter.rect_filled(badge, 4.0, Color32::from_black_alpha(150));
            painter.text(
                badge.center(),
                egui::Align2::CENTER_CENTER,
                format!("{}", i + 1),
                egui::FontId::proportional(10.5),
                Color32::WHITE,
            );
        }
        rect
    };
    let rect = match index {
        Some(i) => {
            let payload = DragItem {
                path: path.to_string(),
                index: i,
            };
            let inner = ui.dnd_drag_source(id, payload, |ui| draw(ui, app));
            if let Some(dropped) = inner.response.dnd_release_payload::<DragItem>()
                && dropped.path == path
                && dropped.index != i
            {
                app.inbox.reorder = Some((path.to_string(), dropped.index, i));
            }
            if inner.response.dnd_hover_payload::<DragItem>().is_some() {
                ui.painter().rect_stroke(
                    inner.response.rect,
                    6.0,
                    egui::Stroke::new(2.0, theme::ACCENT),
                    egui::StrokeKind::Outside,
                );
            }
            inner.inner
        }
        None => draw(ui, app),
    };
    // The remove button sits over the tile's corner.
    let x_rect = egui::Rect::from_min_size(
        egui::pos2(rect.right() - 22.0, rect.top() + 3.0),
        egui::vec2(19.0, 19.0),
    );
    let name = match index {
        Some(i) => format!("Remove {} {}", kind_word(field.kind), i + 1),
        None => format!("Remove {}", kind_word(field.kind)),
    };
    let r = ui.put(
        x_rect,
        egui::Button::new(RichText::new("×").strong())
            .small()
            .corner_radius(10),
    );
    let r = r.on_hover_text(&name);
    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Button, true, &name));
    if r.clicked() {
        removed = true;
    }
    TileOutcome { removed }
}

fn tile_tooltip(name: String, caption: &str, problems: &[thumbs::TileProblem]) -> String {
    let mut s = name;
    if !caption.is_empty() {
        s.push_str(&format!("\n{caption}"));
    }
    for p in problems {
        s.push_str(&format!("\n• {}", p.message));
    }
    s
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// Adds `items` to the field at `path` (replacing a single value, appending to a list up to its
/// maximum). Errors are for a toast.
pub fn add_to_field(
    model: &FormModel,
    state: &mut FormState,
    path: &str,
    items: Vec<MediaRef>,
) -> Result<(), String> {
    if items.is_empty() {
        return Ok(());
    }
    let (target, field) = locate(&model.fields, state, path)
        .ok_or_else(|| format!("There is no media field {path} in this form."))?;
    if field.kind.is_single_media() {
        if let Some(last) = items.into_iter().last() {
            target
                .values
                .insert(field.name.clone(), FieldValue::Media(last));
        }
        return Ok(());
    }
    if !field.kind.is_media_list() {
        return Err(format!("{} does not take files.", field.label));
    }
    let mut list: Vec<MediaRef> = target.media(&field.name).into_iter().cloned().collect();
    let max = field.max_items.map(|m| m as usize).unwrap_or(usize::MAX);
    let mut skipped = 0;
    for m in items {
        if list.contains(&m) {
            continue;
        }
        if list.len() >= max {
            skipped += 1;
            continue;
        }
        list.push(m);
    }
    target
        .values
        .insert(field.name.clone(), FieldValue::MediaList(list));
    if skipped > 0 {
        return Err(format!(
            "{} takes at most {max}; {skipped} file(s) were not added.",
            field.label
        ));
    }
    Ok(())
}

/// The form state holding the field at `path` (`elements[1].reference_image_urls`) and the field.
fn locate<'a>(
    fields: &'a [Field],
    state: &'a mut FormState,
    path: &str,
) -> Option<(&'a mut FormState, &'a Field)> {
    let (head, rest) = match path.find('.') {
        Some(i) if path[..i].contains('[') => (&path[..i], Some(&path[i + 1..])),
        _ => (path, None),
    };
    match rest {
        None => {
            let field = fields.iter().find(|f| f.name == head)?;
            Some((state, field))
        }
        Some(rest) => {
            let open = head.find('[')?;
            let name = &head[..open];
            let index: usize = head[open + 1..head.len() - 1].parse().ok()?;
            let field = fields.iter().find(|f| f.name == name)?;
            let list = match state.values.get_mut(name)? {
                FieldValue::ObjectList(list) => list,
                _ => return None,
            };
            let item = list.get_mut(index)?;
            locate(&field.item_fields, item, rest)
        }
    }
}

/// Handles files hovering over and dropped on the window, and Ctrl+V of images and URLs.
pub fn file_drop_overlay(app: &mut StudioApp, ctx: &egui::Context) {
    let (hovered, dropped, pointer) = ctx.input(|i| {
        (
            i.raw.hovered_files.clone(),
            i.raw.dropped_files.clone(),
            i.pointer.hover_pos(),
        )
    });
    let has_zones = !app.inbox.zones.is_empty();
    if !hovered.is_empty() {
        let screen = ctx.content_rect();
        let layer = egui::LayerId::new(
            egui::Order::Foreground,
            egui::Id::unique("file_drop_overlay"),
        );
        let painter = ctx.layer_painter(layer);
        painter.rect_filled(screen, 0.0, Color32::from_black_alpha(110));
        let video = hovered
            .iter()
            .any(|h| h.path.as_deref().is_some_and(looks_like_video));
        app.inbox.hover_target = app.inbox.target(pointer, video).map(|t| t.path.clone());
        let target = app.inbox.target(pointer, video);
        for z in &app.inbox.zones {
            let is_target = target.is_some_and(|t| t.path == z.path);
            let c = if is_target {
                theme::ACCENT
            } else {
                Color32::from_white_alpha(90)
            };
            painter.rect_stroke(
                z.rect,
                8.0,
                egui::Stroke::new(if is_target { 3.0 } else { 1.5 }, c),
                egui::StrokeKind::Outside,
            );
        }
        let text = match (target, has_zones) {
            (Some(t), _) => format!("Drop {} file(s) to add them to {}", hovered.len(), t.path),
            (None, true) => "This form has no field for these files".to_string(),
            (None, false) => {
                "Open an endpoint with an image or video field to drop files".to_string()
            }
        };
        let galley_pos = screen.center_top() + egui::vec2(0.0, 60.0);
        let rect = egui::Rect::from_center_size(galley_pos, egui::vec2(520.0, 44.0));
        painter.rect_filled(rect, 10.0, theme::ACCENT);
        painter.text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            text,
            egui::FontId::proportional(16.0),
            Color32::WHITE,
        );
    }
    if hovered.is_empty() {
        app.inbox.hover_target = None;
    }
    if !dropped.is_empty() {
        let paths: Vec<PathBuf> = dropped
            .iter()
            .map(|d| d.path().to_path_buf())
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        let video = paths.iter().any(|p| looks_like_video(p));
        match app.inbox.target(pointer, video).map(|z| z.path.clone()) {
            Some(path) => {
                app.inbox.active = Some(path.clone());
                let items = paths.into_iter().map(MediaRef::Local).collect();
                app.inbox
                    .pending
                    .push(Promise::from_ready((path, Ok(items))));
                ctx.request_repaint();
            }
            None => app.act(super::app::Action::Toast(
                Tone::Warning,
                "This form has no field for the dropped files.".into(),
            )),
        }
    }
    paste(app, ctx);
}

fn paste(app: &mut StudioApp, ctx: &egui::Context) {
    // Text pastes belong to the focused text field; only handle them when none has focus.
    let typing = ctx.memory(|m| m.focused().is_some());
    let events = ctx.input(|i| i.events.clone());
    for e in events {
        match e {
            egui::Event::PasteImage(image) => {
                let Some(path) = app.inbox.target(None, false).map(|z| z.path.clone()) else {
                    continue;
                };
                let dir = app.config.cache_dir.join("pasted");
                let ctx = ctx.clone();
                app.inbox.pending.push(Promise::spawn_blocking(move || {
                    let r = save_pasted(&dir, &image).map(|p| vec![MediaRef::Local(p)]);
                    ctx.request_repaint();
                    (path, r)
                }));
            }
            egui::Event::Paste(text) if !typing => {
                let text = text.trim().to_string();
                let items: Vec<MediaRef> = text
                    .lines()
                    .map(str::trim)
                    .filter_map(|l| {
                        if l.starts_with("https://") || l.starts_with("http://") {
                            Some(MediaRef::Url(l.to_string()))
                        } else {
                            let p = l.strip_prefix("file://").unwrap_or(l);
                            Path::new(p)
                                .is_file()
                                .then(|| MediaRef::Local(PathBuf::from(p)))
                        }
                    })
                    .collect();
                if items.is_empty() {
                    continue;
                }
                let video = items
                    .iter()
                    .any(|m| matches!(m, MediaRef::Local(p) if looks_like_video(p)));
                if let Some(path) = app.inbox.target(None, video).map(|z| z.path.clone()) {
                    app.inbox
                        .pending
                        .push(Promise::from_ready((path, Ok(items))));
                    ctx.request_repaint();
                }
            }
            _ => {}
        }
    }
}

/// Writes a pasted image as PNG under `dir`, named by its content hash.
fn save_pasted(dir: &Path, image: &egui::ColorImage) -> Result<PathBuf, String> {
    let [w, h] = image.size;
    let mut rgba = Vec::with_capacity(w * h * 4);
    for p in &image.pixels {
        let [r, g, b, a] = p.to_srgba_unmultiplied();
        rgba.extend_from_slice(&[r, g, b, a]);
    }
    let hash = blake3::hash(&rgba).to_hex().to_string();
    let path = dir.join(format!("pasted-{}.png", &hash[..16]));
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let img = image::RgbaImage::from_raw(w as u32, h as u32, rgba)
        .ok_or("the pasted image has an odd size")?;
    img.save(&path)
        .map_err(|e| format!("cannot save the pasted image: {e}"))?;
    Ok(path)
}

/// White text on a strip across the bottom of a thumbnail (its size, or its first problem).
fn caption_strip(
    painter: &egui::Painter,
    rect: egui::Rect,
    height: f32,
    fill: Color32,
    text: &str,
) {
    let strip = egui::Rect::from_min_max(egui::pos2(rect.left(), rect.bottom() - height), rect.max);
    let corners = egui::CornerRadius {
        nw: 0,
        ne: 0,
        sw: 6,
        se: 6,
    };
    painter.rect_filled(strip, corners, fill);
    painter.text(
        strip.center(),
        egui::Align2::CENTER_CENTER,
        text,
        egui::FontId::proportional(10.5),
        Color32::WHITE,
    );
}
