//! One media tile: thumbnail, caption, problems, drag to reorder and remove; and the caption strip.

use super::*;

pub(super) struct TileOutcome {
    pub(super) removed: bool,
}

/// One thumbnail tile with its problems painted on it.
pub(super) fn tile(
    ui: &mut Ui,
    view: &mut ReferencesView<'_>,
    field: &Field,
    media: &MediaRef,
    path: &str,
    index: Option<usize>,
) -> TileOutcome {
    let mut removed = false;
    let id = ui.scope_id().with(("tile", path, index));
    let draw = |ui: &mut Ui, thumbs: &mut Thumbnails| {
        let (rect, resp) = ui.allocate_exact_size(egui::vec2(TILE, TILE), Sense::hover());
        let painter = ui.painter_at(rect);
        painter.rect_filled(rect, 6.0, ui.visuals().extreme_bg_color);
        let mut problems: Vec<thumbs::TileProblem> = Vec::new();
        let mut caption = String::new();
        match media {
            MediaRef::Local(p) => {
                let video = is_video_kind(field.kind);
                let view = thumbs.get_checked(p, MediaKind::of(field.kind));
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
            let inner = ui.dnd_drag_source(id, payload, |ui| draw(ui, view.thumbs));
            if let Some(dropped) = inner.response.dnd_release_payload::<DragItem>()
                && dropped.path == path
                && dropped.index != i
            {
                view.inbox.reorder = Some((path.to_string(), dropped.index, i));
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
        None => draw(ui, view.thumbs),
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

pub(super) fn tile_tooltip(
    name: String,
    caption: &str,
    problems: &[thumbs::TileProblem],
) -> String {
    let mut s = name;
    if !caption.is_empty() {
        s.push_str(&format!("\n{caption}"));
    }
    for p in problems {
        s.push_str(&format!("\n• {}", p.message));
    }
    s
}

pub(super) fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// White text on a strip across the bottom of a thumbnail (its size, or its first problem).
pub(super) fn caption_strip(
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
