//! The help overlay (F1): keyboard shortcuts and where things are.

use egui::RichText;

use super::app::{
    CREATE_SHORTCUT, FILTER_SHORTCUT, GALLERY_SHORTCUT, GENERATE_SHORTCUT, HELP_SHORTCUT,
    SETTINGS_SHORTCUT, STORYBOARD_SHORTCUT,
};
use super::theme;

/// What the help overlay changes: nothing but whether it stays open.
pub struct HelpView<'a> {
    /// The overlay is open; Close and Esc clear it.
    pub open: &'a mut bool,
}

/// Draws the overlay (the app calls this while it is open).
pub fn show(view: &mut HelpView<'_>, ctx: &egui::Context) {
    let fmt = |s| ctx.format_shortcut(s);
    let rows = [
        (fmt(&GENERATE_SHORTCUT), "Generate with the current form"),
        (fmt(&FILTER_SHORTCUT), "Filter endpoints"),
        (
            fmt(&super::model_browser::BROWSER_SHORTCUT),
            "Add endpoint from fal's catalog",
        ),
        (fmt(&CREATE_SHORTCUT), "Create view"),
        (fmt(&GALLERY_SHORTCUT), "Gallery"),
        (fmt(&STORYBOARD_SHORTCUT), "Storyboard"),
        (
            "Space · J K L".to_string(),
            "Player: play or pause · backward, pause, forward (faster each press)",
        ),
        (fmt(&SETTINGS_SHORTCUT), "Settings"),
        (
            "Ctrl+V".to_string(),
            "Paste an image, file path or URL into the active drop zone",
        ),
        (
            "Tab".to_string(),
            "Complete an @Element / @Image reference in the prompt",
        ),
        (fmt(&HELP_SHORTCUT), "Show or hide this help"),
        ("Esc".to_string(), "Close this help"),
    ];
    let modal = egui::Modal::new(egui::Id::unique("help_overlay")).show(ctx, |ui| {
        ui.set_width(460.0);
        ui.label(RichText::new("Keyboard shortcuts").strong().size(18.0));
        ui.add_space(6.0);
        egui::Grid::new("shortcuts")
            .num_columns(2)
            .spacing([18.0, 8.0])
            .show(ui, |ui| {
                for (keys, what) in &rows {
                    ui.label(
                        RichText::new(keys)
                            .monospace()
                            .strong()
                            .color(theme::ACCENT),
                    );
                    ui.label(*what);
                    ui.end_row();
                }
            });
        ui.add_space(8.0);
        ui.label(
            RichText::new(
                "Drop files from your file manager onto any image or video field. \
                 Problems with a file show on its thumbnail before anything is uploaded.",
            )
            .small()
            .color(theme::subtle(ui)),
        );
        ui.add_space(6.0);
        if ui.button("Close").clicked() {
            *view.open = false;
        }
    });
    if modal.should_close() {
        *view.open = false;
    }
}
