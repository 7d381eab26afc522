//! Small widgets the panels share: segmented buttons, a toggle switch, chips, progress.

use egui::{Color32, RichText, Role, Sense, Ui, WidgetInfo};

use super::theme;

/// Segmented buttons; returns the index clicked this frame.
pub fn segmented(
    ui: &mut Ui,
    group: &str,
    labels: &[String],
    selected: Option<usize>,
) -> Option<usize> {
    let mut clicked = None;
    ui.horizontal(|ui| {
        ui.spacing_mut().item_spacing.x = 2.0;
        for (i, label) in labels.iter().enumerate() {
            let on = selected == Some(i);
            let text = if on {
                RichText::new(label).color(Color32::WHITE).strong()
            } else {
                RichText::new(label)
            };
            let mut b = egui::Button::new(text).min_size(egui::vec2(44.0, 26.0));
            if on {
                b = b.fill(theme::ACCENT);
            }
            let r = ui.add(b);
            let name = format!("{group}: {label}");
            r.widget_info(|| WidgetInfo::selected(Role::RadioButton, true, on, &name));
            if r.clicked() {
                clicked = Some(i);
            }
        }
    });
    clicked
}

/// An iOS-style switch bound to `on`, with an accessible name.
pub fn toggle(ui: &mut Ui, on: &mut bool, name: &str) -> egui::Response {
    let size = egui::vec2(36.0, 20.0);
    let (rect, mut response) = ui.allocate_exact_size(size, Sense::click());
    if response.clicked() {
        *on = !*on;
        response.mark_changed();
    }
    let value = *on;
    let name = name.to_string();
    response.widget_info(move || WidgetInfo::selected(Role::CheckBox, true, value, &name));
    if ui.is_rect_visible(rect) {
        let t = ui.ctx().animate_bool_responsive(response.id, *on);
        let off_fill = ui.visuals().widgets.inactive.bg_fill;
        let fill = lerp_color(off_fill, theme::ACCENT, t);
        let radius = rect.height() / 2.0;
        ui.painter().rect_filled(rect, radius, fill);
        if response.hovered() {
            ui.painter().rect_stroke(
                rect,
                radius,
                egui::Stroke::new(1.0, theme::ACCENT.linear_multiply(0.7)),
                egui::StrokeKind::Outside,
            );
        }
        let x = egui::lerp((rect.left() + radius)..=(rect.right() - radius), t);
        ui.painter()
            .circle_filled(egui::pos2(x, rect.center().y), radius - 3.0, Color32::WHITE);
    }
    response
}

fn lerp_color(a: Color32, b: Color32, t: f32) -> Color32 {
    let mix = |x: u8, y: u8| (x as f32 + (y as f32 - x as f32) * t).round() as u8;
    Color32::from_rgb(mix(a.r(), b.r()), mix(a.g(), b.g()), mix(a.b(), b.b()))
}

/// A button drawn as a die (five pips), with an accessible name.
pub fn dice_button(ui: &mut Ui, name: &str) -> egui::Response {
    let size = egui::vec2(28.0, 26.0);
    let (rect, response) = ui.allocate_exact_size(size, Sense::click());
    let name = name.to_string();
    response.widget_info(move || WidgetInfo::labeled(Role::Button, true, &name));
    if ui.is_rect_visible(rect) {
        let visuals = ui.style().interact(&response);
        ui.painter()
            .rect_filled(rect, visuals.corner_radius, visuals.weak_bg_fill);
        let die = egui::Rect::from_center_size(rect.center(), egui::vec2(16.0, 16.0));
        let ink = visuals.fg_stroke.color;
        ui.painter().rect_stroke(
            die,
            3.0,
            egui::Stroke::new(1.2, ink),
            egui::StrokeKind::Inside,
        );
        let c = die.center();
        for (dx, dy) in [
            (0.0, 0.0),
            (-4.0, -4.0),
            (4.0, 4.0),
            (-4.0, 4.0),
            (4.0, -4.0),
        ] {
            ui.painter().circle_filled(c + egui::vec2(dx, dy), 1.5, ink);
        }
    }
    response
}

/// A small rounded label in `color`.
pub fn chip(ui: &mut Ui, text: &str, color: Color32) -> egui::Response {
    egui::Frame::new()
        .fill(color.linear_multiply(if ui.visuals().dark_mode { 0.28 } else { 0.14 }))
        .corner_radius(10)
        .inner_margin(egui::Margin::symmetric(8, 2))
        .show(ui, |ui| {
            let text_color = if ui.visuals().dark_mode {
                lerp_color(color, Color32::WHITE, 0.35)
            } else {
                color
            };
            ui.label(RichText::new(text).small().strong().color(text_color));
        })
        .response
}

/// A thin progress bar in `color`; `fraction` None draws nothing.
pub fn thin_progress(ui: &mut Ui, fraction: Option<f32>, color: Color32) {
    let Some(f) = fraction else {
        return;
    };
    let (rect, _) = ui.allocate_exact_size(egui::vec2(ui.available_width(), 4.0), Sense::hover());
    ui.painter()
        .rect_filled(rect, 2.0, ui.visuals().widgets.inactive.bg_fill);
    let mut done = rect;
    done.set_width(rect.width() * f.clamp(0.0, 1.0));
    ui.painter().rect_filled(done, 2.0, color);
}

/// Human duration: 1 min 05 s, 42 s.
pub fn duration(d: std::time::Duration) -> String {
    let s = d.as_secs();
    if s >= 3600 {
        format!("{} h {:02} min", s / 3600, (s % 3600) / 60)
    } else if s >= 600 {
        // Past ten minutes the seconds are noise.
        format!("{} min", s / 60)
    } else if s >= 60 {
        format!("{} min {:02} s", s / 60, s % 60)
    } else {
        format!("{s} s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_durations() {
        assert_eq!(duration(std::time::Duration::from_secs(65)), "1 min 05 s");
        assert_eq!(duration(std::time::Duration::from_secs(42)), "42 s");
    }
}
