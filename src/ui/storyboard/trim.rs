//! Trimming the selected shot on a filmstrip: in and out handles that snap to whole frames
//! and scrub the player to the frame under them, frame fields for exact values, and the trim
//! stored when the drag ends.

use egui::{Color32, RichText, Sense, Ui};
use reelsmith_core::film::FrameRange;
use reelsmith_core::film::storyboard::Shot;

use super::{Command, StoryboardState};
use crate::ui::player::{PlayerCommand, timecode};
use crate::ui::theme::{self, Tone};

const STRIP_H: f32 = 56.0;
const HANDLE_W: f32 = 10.0;

/// Draws the trim editor of shot `index`.
pub fn show(ui: &mut Ui, index: usize, shot: &Shot, s: &mut StoryboardState) -> Vec<Command> {
    let mut out = Vec::new();
    let Some(clip) = &shot.clip else {
        ui.label(RichText::new("This slot has no clip yet.").color(theme::subtle(ui)));
        return out;
    };
    let info = match s.info.get(&clip.path) {
        Some(Ok(i)) => i.clone(),
        Some(Err(e)) => {
            ui.colored_label(
                theme::tone(ui, Tone::Danger),
                format!("The clip cannot be read: {e}"),
            );
            return out;
        }
        None => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Reading the clip…");
            });
            return out;
        }
    };
    let frames = info.frame_count.max(1);
    let fps = info.fps.max(1e-9);
    let stored = shot.trim.unwrap_or(FrameRange {
        start: 0,
        end: frames,
    });
    let mut range = match &s.trim_edit {
        Some((id, r)) if *id == shot.id => *r,
        _ => stored,
    };
    ui.label(RichText::new(format!("Trim shot {}", index + 1)).strong());
    let width = ui.available_width().min(900.0);
    let (rect, _) = ui.allocate_exact_size(egui::vec2(width, STRIP_H), Sense::hover());
    let painter = ui.painter_at(rect);
    painter.rect_filled(rect, 4.0, ui.visuals().extreme_bg_color);
    if let Some(strip) = s.strips.get(&clip.path).filter(|t| !t.is_empty()) {
        let w = rect.width() / strip.len() as f32;
        for (i, t) in strip.iter().enumerate() {
            let r = egui::Rect::from_min_size(
                rect.min + egui::vec2(i as f32 * w, 0.0),
                egui::vec2(w, STRIP_H),
            );
            painter.image(
                t.id(),
                r,
                egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
                Color32::WHITE,
            );
        }
    }
    let x_of = |f: u32| rect.left() + f as f32 / frames as f32 * rect.width();
    let frame_at =
        |x: f32| (((x - rect.left()) / rect.width().max(1.0)) * frames as f32).round() as i64;
    // Outside the trim is dimmed.
    let shade = Color32::from_black_alpha(160);
    painter.rect_filled(
        egui::Rect::from_min_max(rect.min, egui::pos2(x_of(range.start), rect.max.y)),
        0.0,
        shade,
    );
    painter.rect_filled(
        egui::Rect::from_min_max(egui::pos2(x_of(range.end), rect.min.y), rect.max),
        0.0,
        shade,
    );
    let mut released = false;
    for (which, label) in [(0, "Trim in"), (1, "Trim out")] {
        let f = if which == 0 { range.start } else { range.end };
        let handle = egui::Rect::from_center_size(
            egui::pos2(x_of(f), rect.center().y),
            egui::vec2(HANDLE_W, STRIP_H),
        );
        let id = ui.scope_id().with(("trim_handle", &shot.id, which));
        let r = ui.interact(handle, id, Sense::drag());
        r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Slider, true, label));
        let color = if r.dragged() || r.hovered() {
            theme::ACCENT
        } else {
            theme::tone(ui, Tone::Warning)
        };
        ui.painter().rect_filled(handle, 3.0, color);
        if r.dragged()
            && let Some(pos) = r.interact_pointer_pos()
        {
            let at = frame_at(pos.x).clamp(0, i64::from(frames)) as u32;
            if which == 0 {
                range.start = at.min(range.end.saturating_sub(1));
            } else {
                range.end = at.max(range.start + 1).min(frames);
            }
            // The frame under the handle: the in-frame itself, or the last frame kept.
            let shown = if which == 0 {
                range.start
            } else {
                range.end.saturating_sub(1)
            };
            out.push(Command::Player(PlayerCommand::Scrub(
                f64::from(shown) / fps,
            )));
            s.trim_edit = Some((shot.id.clone(), range));
        }
        if r.drag_stopped() {
            released = true;
        }
    }
    ui.horizontal(|ui| {
        let mut start = range.start;
        let mut end = range.end;
        let l = ui.label("In frame");
        let a = ui
            .add(egui::DragValue::new(&mut start).range(0..=end.saturating_sub(1)))
            .labelled_by(l.id);
        let l = ui.label("Out frame");
        let b = ui
            .add(egui::DragValue::new(&mut end).range(start + 1..=frames))
            .labelled_by(l.id);
        if a.changed() || b.changed() {
            range = FrameRange { start, end };
            s.trim_edit = Some((shot.id.clone(), range));
            let shown = if a.changed() {
                start
            } else {
                end.saturating_sub(1)
            };
            out.push(Command::Player(PlayerCommand::Scrub(
                f64::from(shown) / fps,
            )));
        }
        if a.drag_stopped() || b.drag_stopped() || a.lost_focus() || b.lost_focus() {
            released = true;
        }
        ui.label(
            RichText::new(format!(
                "{} – {} · {:.2} s ({} of {} frames)",
                timecode(f64::from(range.start) / fps, fps),
                timecode(f64::from(range.end) / fps, fps),
                f64::from(range.len()) / fps,
                range.len(),
                frames
            ))
            .monospace()
            .small(),
        );
        if ui
            .add_enabled(shot.trim.is_some(), egui::Button::new("Whole clip"))
            .clicked()
        {
            range = FrameRange {
                start: 0,
                end: frames,
            };
            s.trim_edit = Some((shot.id.clone(), range));
            released = true;
        }
    });
    if released && range != stored {
        out.push(Command::Trim(index, range));
    } else if released {
        s.trim_edit = None;
    }
    out
}
