//! One clip's preview with sound, as the gallery's details panel shows it: the poster until
//! "Play preview", then the player with its controls and keys.

use std::path::Path;

use super::{PlayerPanel, keys, show};
use crate::ui::config::SoundOutput;

/// Draws the preview of the clip at `path` in `panel` (made on first use with `sound`).
pub fn clip_preview(
    ui: &mut egui::Ui,
    panel: &mut Option<PlayerPanel>,
    sound: &SoundOutput,
    path: &Path,
    poster: Option<&egui::TextureHandle>,
) {
    let panel = panel.get_or_insert_with(|| PlayerPanel::new(sound.clone()));
    let ctx = ui.ctx().clone();
    panel.poll(&ctx);
    let showing = panel.path() == Some(path);
    let view = panel.view().filter(|_| showing);
    let height = ui.available_width() * 9.0 / 16.0;
    let picture = panel.texture().filter(|_| showing);
    let mut commands = show(
        ui,
        view.as_ref(),
        picture,
        poster,
        height,
        showing && panel.is_opening(),
        "no preview",
    );
    if view.is_some() {
        commands.extend(keys(&ctx));
    } else if !(showing && panel.is_opening()) {
        if ui
            .button("Play preview")
            .on_hover_text("Plays here with its sound (Space, J/K/L)")
            .clicked()
        {
            panel.open(&ctx, path, Vec::new(), true);
        }
        if let Some(e) = panel.error().filter(|_| showing) {
            ui.colored_label(
                crate::ui::theme::tone(ui, crate::ui::theme::Tone::Danger),
                e.to_string(),
            );
        }
    }
    for c in commands {
        panel.apply(c);
    }
}
