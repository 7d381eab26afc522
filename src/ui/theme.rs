//! The studio's look: one palette for light and dark, spacing, type sizes and status colours.

use egui::{Color32, CornerRadius, FontFamily, FontId, Margin, Stroke, TextStyle, Theme, Visuals};
use serde::{Deserialize, Serialize};

/// The theme the user picked in settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ThemeChoice {
    /// Follow the operating system.
    #[default]
    System,
    /// Always light.
    Light,
    /// Always dark.
    Dark,
}

impl ThemeChoice {
    /// The label shown in settings.
    pub fn label(self) -> &'static str {
        match self {
            ThemeChoice::System => "System",
            ThemeChoice::Light => "Light",
            ThemeChoice::Dark => "Dark",
        }
    }

    /// egui's preference for this choice.
    pub fn preference(self) -> egui::ThemePreference {
        match self {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Light => egui::ThemePreference::Light,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
        }
    }
}

/// The brand accent (a calm violet that reads on both backgrounds).
pub const ACCENT: Color32 = Color32::from_rgb(0x6d, 0x5d, 0xf6);
/// The accent as used for text on dark backgrounds.
const ACCENT_LIGHT: Color32 = Color32::from_rgb(0x9d, 0x92, 0xff);

/// What a status colour stands for; the queue, gallery and toasts share them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    /// Waiting (prepared, in queue).
    Waiting,
    /// Moving bytes (uploading, downloading).
    Transfer,
    /// The model is working.
    Running,
    /// Finished well.
    Success,
    /// Failed.
    Danger,
    /// Needs attention but is not an error (stalled, warnings).
    Warning,
    /// Stopped by the user; nothing to act on.
    Muted,
}

/// The colour of `tone` in the current light or dark mode.
pub fn tone_color(tone: Tone, dark: bool) -> Color32 {
    match (tone, dark) {
        (Tone::Waiting, false) => Color32::from_rgb(0x4b, 0x5e, 0x8c),
        (Tone::Waiting, true) => Color32::from_rgb(0x9a, 0xad, 0xdb),
        (Tone::Transfer, false) => Color32::from_rgb(0x06, 0x7a, 0xa8),
        (Tone::Transfer, true) => Color32::from_rgb(0x5c, 0xc8, 0xf0),
        (Tone::Running, false) => ACCENT,
        (Tone::Running, true) => ACCENT_LIGHT,
        (Tone::Success, false) => Color32::from_rgb(0x1a, 0x7f, 0x37),
        (Tone::Success, true) => Color32::from_rgb(0x4a, 0xd0, 0x7a),
        (Tone::Danger, false) => Color32::from_rgb(0xc0, 0x2b, 0x2b),
        (Tone::Danger, true) => Color32::from_rgb(0xff, 0x6b, 0x6b),
        (Tone::Warning, false) => Color32::from_rgb(0xa3, 0x5c, 0x00),
        (Tone::Warning, true) => Color32::from_rgb(0xf5, 0xb0, 0x41),
        (Tone::Muted, false) => Color32::from_rgb(0x6b, 0x6f, 0x7a),
        (Tone::Muted, true) => Color32::from_rgb(0x9a, 0x9e, 0xa8),
    }
}

/// The colour of `tone` for the `ui`'s current mode.
pub fn tone(ui: &egui::Ui, tone: Tone) -> Color32 {
    tone_color(tone, ui.visuals().dark_mode)
}

/// Secondary text (ids, hints, dates).
pub fn subtle(ui: &egui::Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_gray(150)
    } else {
        Color32::from_gray(105)
    }
}

/// A card's background: slightly raised from the panel.
pub fn card_fill(ui: &egui::Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(0x24, 0x26, 0x2d)
    } else {
        Color32::WHITE
    }
}

/// The background of the main work area (form, gallery grid).
pub fn canvas(ui: &egui::Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(0x1e, 0x20, 0x25)
    } else {
        Color32::from_rgb(0xfb, 0xfb, 0xfd)
    }
}

/// The simulator banner's fill (amber in both modes, with black text).
pub const BANNER: Color32 = Color32::from_rgb(0xf5, 0xb0, 0x41);

/// A card's border.
pub fn card_stroke(ui: &egui::Ui) -> Stroke {
    if ui.visuals().dark_mode {
        Stroke::new(1.0, Color32::from_rgb(0x34, 0x37, 0x40))
    } else {
        Stroke::new(1.0, Color32::from_rgb(0xdd, 0xdf, 0xe6))
    }
}

/// A framed card with the studio's radius and padding.
pub fn card(ui: &egui::Ui) -> egui::Frame {
    egui::Frame::new()
        .fill(card_fill(ui))
        .stroke(card_stroke(ui))
        .corner_radius(CornerRadius::same(8))
        .inner_margin(Margin::same(12))
}

/// Installs the light and dark styles and the user's choice on `ctx`.
pub fn install(ctx: &egui::Context, choice: ThemeChoice) {
    for theme in [Theme::Light, Theme::Dark] {
        ctx.style_mut_of(theme, |style| {
            style.visuals = visuals(theme == Theme::Dark);
            style.text_styles = [
                (
                    TextStyle::Heading,
                    FontId::new(20.0, FontFamily::Proportional),
                ),
                (TextStyle::Body, FontId::new(14.0, FontFamily::Proportional)),
                (
                    TextStyle::Button,
                    FontId::new(14.0, FontFamily::Proportional),
                ),
                (
                    TextStyle::Small,
                    FontId::new(11.5, FontFamily::Proportional),
                ),
                (
                    TextStyle::Monospace,
                    FontId::new(13.0, FontFamily::Monospace),
                ),
            ]
            .into();
            let s = &mut style.spacing;
            s.item_spacing = egui::vec2(8.0, 8.0);
            s.button_padding = egui::vec2(10.0, 5.0);
            s.interact_size.y = 26.0;
            s.window_margin = Margin::same(14);
            s.combo_width = 180.0;
            s.text_edit_width = 260.0;
        });
    }
    ctx.set_theme(choice.preference());
}

fn visuals(dark: bool) -> Visuals {
    let mut v = if dark {
        Visuals::dark()
    } else {
        Visuals::light()
    };
    let radius = CornerRadius::same(6);
    if dark {
        v.panel_fill = Color32::from_rgb(0x1a, 0x1b, 0x20);
        v.window_fill = Color32::from_rgb(0x22, 0x24, 0x2a);
        v.extreme_bg_color = Color32::from_rgb(0x13, 0x14, 0x18);
        v.faint_bg_color = Color32::from_rgb(0x20, 0x22, 0x28);
        v.code_bg_color = Color32::from_rgb(0x13, 0x14, 0x18);
        v.hyperlink_color = ACCENT_LIGHT;
        v.selection.bg_fill = ACCENT.linear_multiply(0.55);
        v.selection.stroke = Stroke::new(1.0, Color32::WHITE);
        v.widgets.inactive.weak_bg_fill = Color32::from_rgb(0x2c, 0x2e, 0x36);
        v.widgets.inactive.bg_fill = Color32::from_rgb(0x2c, 0x2e, 0x36);
        v.widgets.hovered.weak_bg_fill = Color32::from_rgb(0x36, 0x39, 0x43);
        v.widgets.hovered.bg_fill = Color32::from_rgb(0x36, 0x39, 0x43);
        v.widgets.active.weak_bg_fill = Color32::from_rgb(0x40, 0x43, 0x4f);
        v.widgets.noninteractive.bg_stroke = Stroke::new(1.0, Color32::from_rgb(0x30, 0x33, 0x3b));
        v.warn_fg_color = tone_color(Tone::Warning, true);
        v.error_fg_color = tone_color(Tone::Danger, true);
    } else {
        v.panel_fill = Color32::from_rgb(0xf4, 0xf5, 0xf8);
        v.window_fill = Color32::WHITE;
        v.extreme_bg_color = Color32::WHITE;
        v.faint_bg_color = Color32::from_rgb(0xee, 0xef, 0xf3);
        v.code_bg_color = Color32::from_rgb(0xf0, 0xf1, 0xf5);
        v.hyperlink_color = ACCENT;
        v.selection.bg_fill = ACCENT.linear_multiply(0.35);
        v.selection.stroke = Stroke::new(1.0, Color32::from_rgb(0x2a, 0x20, 0x90));
        v.widgets.inactive.weak_bg_fill = Color32::from_rgb(0xe6, 0xe8, 0xee);
        v.widgets.inactive.bg_fill = Color32::from_rgb(0xe6, 0xe8, 0xee);
        v.widgets.hovered.weak_bg_fill = Color32::from_rgb(0xdc, 0xdf, 0xe8);
        v.widgets.hovered.bg_fill = Color32::from_rgb(0xdc, 0xdf, 0xe8);
        v.widgets.active.weak_bg_fill = Color32::from_rgb(0xd0, 0xd4, 0xe0);
        v.widgets.noninteractive.bg_stroke = Stroke::new(1.0, Color32::from_rgb(0xdd, 0xdf, 0xe6));
        v.warn_fg_color = tone_color(Tone::Warning, false);
        v.error_fg_color = tone_color(Tone::Danger, false);
    }
    for w in [
        &mut v.widgets.noninteractive,
        &mut v.widgets.inactive,
        &mut v.widgets.hovered,
        &mut v.widgets.active,
        &mut v.widgets.open,
    ] {
        w.corner_radius = radius;
    }
    v.window_corner_radius = CornerRadius::same(10);
    v.menu_corner_radius = CornerRadius::same(8);
    v.indent_has_left_vline = false;
    v.striped = false;
    v.slider_trailing_fill = true;
    v
}

/// The primary call-to-action button (Generate, Enter key…).
pub fn primary_button(text: impl Into<String>) -> egui::Button<'static> {
    egui::Button::new(
        egui::RichText::new(text.into())
            .color(Color32::WHITE)
            .strong(),
    )
    .fill(ACCENT)
    .corner_radius(CornerRadius::same(6))
    .min_size(egui::vec2(0.0, 32.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_tone_differs_between_modes_and_from_the_others() {
        let tones = [
            Tone::Waiting,
            Tone::Transfer,
            Tone::Running,
            Tone::Success,
            Tone::Danger,
            Tone::Warning,
            Tone::Muted,
        ];
        for dark in [false, true] {
            let colours: Vec<_> = tones.iter().map(|t| tone_color(*t, dark)).collect();
            for (i, a) in colours.iter().enumerate() {
                for b in &colours[i + 1..] {
                    assert_ne!(a, b, "two status colours are the same");
                }
            }
        }
    }
}
