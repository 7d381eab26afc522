//! Media arriving in a field: added to the form state, dropped on the window, pasted.

use super::*;

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
pub(super) fn locate<'a>(
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

/// What the window-wide drop and paste handling changes.
pub struct DropView<'a> {
    /// The drop zones drawn this frame; dropped and pasted media wait here for their field.
    pub inbox: &'a mut MediaInbox,
    /// Pasted images are saved under this folder.
    pub cache_dir: &'a Path,
    /// Commands for the app, applied at frame end.
    pub commands: &'a mut crate::ui::app::Commands,
    /// Where pasted images are saved.
    pub tasks: &'a mut TaskRegistry,
}

/// Handles files hovering over and dropped on the window, and Ctrl+V of images and URLs.
pub fn file_drop_overlay(view: &mut DropView<'_>, ctx: &egui::Context) {
    let (hovered, dropped, pointer) = ctx.input(|i| {
        (
            i.raw.hovered_files.clone(),
            i.raw.dropped_files.clone(),
            i.pointer.hover_pos(),
        )
    });
    let has_zones = !view.inbox.zones.is_empty();
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
        view.inbox.hover_target = view.inbox.target(pointer, video).map(|t| t.path.clone());
        let target = view.inbox.target(pointer, video);
        for z in &view.inbox.zones {
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
        view.inbox.hover_target = None;
    }
    if !dropped.is_empty() {
        let paths: Vec<PathBuf> = dropped
            .iter()
            .map(|d| d.path().to_path_buf())
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        let video = paths.iter().any(|p| looks_like_video(p));
        match view.inbox.target(pointer, video).map(|z| z.path.clone()) {
            Some(path) => {
                view.inbox.active = Some(path.clone());
                let items = paths.into_iter().map(MediaRef::Local).collect();
                view.inbox.pending.push((path, Ok(items)));
                ctx.request_repaint();
            }
            None => view.commands.send(crate::ui::app::Action::Toast(
                Tone::Warning,
                "This form has no field for the dropped files.".into(),
            )),
        }
    }
    paste(view.inbox, view.tasks, view.cache_dir, ctx);
}

pub(super) fn paste(
    inbox: &mut MediaInbox,
    tasks: &mut TaskRegistry,
    cache_dir: &Path,
    ctx: &egui::Context,
) {
    // Text pastes belong to the focused text field; only handle them when none has focus.
    let typing = ctx.memory(|m| m.focused().is_some());
    let events = ctx.input(|i| i.events.clone());
    for e in events {
        match e {
            egui::Event::PasteImage(image) => {
                let Some(path) = inbox.target(None, false).map(|z| z.path.clone()) else {
                    continue;
                };
                let dir = cache_dir.join("pasted");
                tasks.spawn_blocking(
                    TaskKind::Media,
                    "Saving the pasted image",
                    move || save_pasted(&dir, &image).map(|p| vec![MediaRef::Local(p)]),
                    move |app: &mut StudioApp, r| arrived(app, path, r),
                );
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
                if let Some(path) = inbox.target(None, video).map(|z| z.path.clone()) {
                    inbox.pending.push((path, Ok(items)));
                    ctx.request_repaint();
                }
            }
            _ => {}
        }
    }
}

/// Writes a pasted image as PNG under `dir`, named by its content hash.
pub(super) fn save_pasted(dir: &Path, image: &egui::ColorImage) -> Result<PathBuf, String> {
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
