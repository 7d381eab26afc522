//! Drawing the player: the picture, a scrub bar with the cut points and the time under the
//! playhead, and the transport (play/pause, J/K/L, volume, mute).

use egui::{Color32, RichText, Sense, Ui};

use super::{PlayerCommand, PlayerView, timecode};
use crate::ui::theme::{self, Tone};

/// Height of the scrub bar, in points.
const BAR_H: f32 = 26.0;

/// Space, J, K and L for the player, unless a text field has the keyboard.
pub fn keys(ctx: &egui::Context) -> Vec<PlayerCommand> {
    if ctx.memory(|m| m.focused().is_some()) {
        return Vec::new();
    }
    ctx.input_mut(|i| {
        let mut out = Vec::new();
        for (key, command) in [
            (egui::Key::Space, PlayerCommand::TogglePlay),
            (egui::Key::J, PlayerCommand::Backward),
            (egui::Key::K, PlayerCommand::Pause),
            (egui::Key::L, PlayerCommand::Forward),
        ] {
            if i.consume_key(egui::Modifiers::NONE, key) {
                out.push(command);
            }
        }
        out
    })
}

/// Draws the player `height` points tall for its picture, then its bar and transport.
/// `poster` is shown while nothing plays; `opening` draws a spinner on it; `empty` is said
/// when there is nothing to show at all.
pub fn show(
    ui: &mut Ui,
    view: Option<&PlayerView>,
    picture: Option<&egui::TextureHandle>,
    poster: Option<&egui::TextureHandle>,
    height: f32,
    opening: bool,
    empty: &str,
) -> Vec<PlayerCommand> {
    let mut out = Vec::new();
    let width = ui.available_width();
    let (rect, _) = ui.allocate_exact_size(egui::vec2(width, height), Sense::hover());
    ui.painter().rect_filled(rect, 8.0, Color32::BLACK);
    if let Some(t) = picture.or(poster) {
        let size = t.size_vec2();
        let s = (width / size.x).min(height / size.y);
        let r = egui::Rect::from_center_size(rect.center(), size * s);
        ui.painter().image(
            t.id(),
            r,
            egui::Rect::from_min_max(egui::pos2(0.0, 0.0), egui::pos2(1.0, 1.0)),
            Color32::WHITE,
        );
    }
    if picture.or(poster).is_none() && !opening {
        ui.painter().text(
            rect.center(),
            egui::Align2::CENTER_CENTER,
            empty,
            egui::FontId::proportional(14.0),
            Color32::from_gray(170),
        );
    }
    if opening {
        egui::Spinner::new().size(28.0).paint_at(
            ui,
            egui::Rect::from_center_size(rect.center(), egui::vec2(28.0, 28.0)),
        );
    }
    let Some(v) = view else {
        return out;
    };
    if let Some(c) = bar(ui, v) {
        out.push(c);
    }
    // Wrapped: a narrow panel (the gallery's details) must not be widened by the transport.
    ui.horizontal_wrapped(|ui| {
        let label = if v.state.playing { "Pause" } else { "Play" };
        if ui.button(label).on_hover_text("Space").clicked() {
            out.push(PlayerCommand::TogglePlay);
        }
        for (text, hint, command) in [
            (
                "J",
                "Play backward (faster each press)",
                PlayerCommand::Backward,
            ),
            ("K", "Pause", PlayerCommand::Pause),
            (
                "L",
                "Play forward (faster each press)",
                PlayerCommand::Forward,
            ),
        ] {
            if ui.small_button(text).on_hover_text(hint).clicked() {
                out.push(command);
            }
        }
        if v.state.playing && !v.state.speed.has_sound() {
            ui.label(
                RichText::new(format!("{:+}×", v.state.speed.0))
                    .small()
                    .color(theme::tone(ui, Tone::Running)),
            );
        }
        ui.label(
            RichText::new(format!(
                "{} / {}",
                timecode(v.state.position, v.fps),
                timecode(v.duration, v.fps)
            ))
            .monospace()
            .small(),
        );
        // The sound on its own line: the transport stays narrow enough for the gallery panel.
        ui.end_row();
        let mut muted = v.muted;
        let mute = ui
            .toggle_value(&mut muted, "Mute")
            .on_hover_text("Sound off while on (highlighted)");
        if mute.changed() {
            out.push(PlayerCommand::Mute(muted));
        }
        let mut volume = v.volume;
        let r = ui.add(
            egui::Slider::new(&mut volume, 0.0..=1.0)
                .show_value(false)
                .text("Volume"),
        );
        if r.changed() {
            out.push(PlayerCommand::Volume(volume));
        }
    });
    if let Some(note) = &v.state.note {
        ui.label(RichText::new(note).small().color(theme::subtle(ui)));
    }
    if let Some(e) = &v.error {
        ui.label(
            RichText::new(e)
                .small()
                .color(theme::tone(ui, Tone::Danger)),
        );
    }
    out
}

/// The scrub bar: click to seek, drag to scrub (frame-accurate: positions snap to frames),
/// cut points as ticks, the time under the playhead above it.
fn bar(ui: &mut Ui, v: &PlayerView) -> Option<PlayerCommand> {
    let width = ui.available_width();
    let (rect, r) = ui.allocate_exact_size(egui::vec2(width, BAR_H), Sense::click_and_drag());
    r.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Slider, true, "Playhead"));
    let duration = v.duration.max(1e-3);
    let fps = if v.fps > 0.0 { v.fps } else { 24.0 };
    let track = egui::Rect::from_min_max(
        egui::pos2(rect.left(), rect.center().y - 3.0),
        egui::pos2(rect.right(), rect.center().y + 3.0),
    );
    let painter = ui.painter();
    painter.rect_filled(track, 3.0, ui.visuals().widgets.inactive.bg_fill);
    let x_of = |t: f64| rect.left() + (t / duration).clamp(0.0, 1.0) as f32 * rect.width();
    let played =
        egui::Rect::from_min_max(track.min, egui::pos2(x_of(v.state.position), track.max.y));
    painter.rect_filled(played, 3.0, theme::ACCENT.linear_multiply(0.7));
    for cut in &v.cuts {
        let x = x_of(*cut);
        painter.line_segment(
            [
                egui::pos2(x, rect.top() + 2.0),
                egui::pos2(x, rect.bottom() - 2.0),
            ],
            egui::Stroke::new(2.0, theme::tone(ui, Tone::Warning)),
        );
    }
    let head = x_of(v.state.position);
    painter.line_segment(
        [
            egui::pos2(head, rect.top()),
            egui::pos2(head, rect.bottom()),
        ],
        egui::Stroke::new(2.0, ui.visuals().strong_text_color()),
    );
    // The time under the playhead, beside it (on its left near the end of the bar).
    let (at, anchor) = if head > rect.right() - 70.0 {
        (egui::pos2(head - 5.0, rect.top()), egui::Align2::RIGHT_TOP)
    } else {
        (egui::pos2(head + 5.0, rect.top()), egui::Align2::LEFT_TOP)
    };
    painter.text(
        at,
        anchor,
        timecode(v.state.position, fps),
        egui::FontId::monospace(10.0),
        theme::subtle(ui),
    );
    let pointer_time = |pos: egui::Pos2| {
        let t = f64::from((pos.x - rect.left()) / rect.width().max(1.0)) * duration;
        // Snap to a frame start so a drag lands on whole frames.
        ((t * fps).floor() / fps).clamp(0.0, duration)
    };
    if let Some(pos) = r.hover_pos() {
        r.clone()
            .on_hover_text_at_pointer(timecode(pointer_time(pos), fps));
    }
    if r.dragged()
        && let Some(pos) = r.interact_pointer_pos()
    {
        return Some(PlayerCommand::Scrub(pointer_time(pos)));
    }
    if r.clicked()
        && let Some(pos) = r.interact_pointer_pos()
    {
        return Some(PlayerCommand::Seek(pointer_time(pos)));
    }
    None
}
