//! The strip under the top bar when the window talks to something other than fal's own https
//! hosts (a simulator started with `reelsmith simulate`, a proxy): it names the origin and says
//! which key goes there, so a saved fal key is never sent somewhere by surprise.

use egui::RichText;
use reelsmith_core::fal::{FalUrls, ResolvedKey, origin_of};

use super::theme;

/// The banner's text: where the calls go and with which key.
pub fn elsewhere_text(urls: &FalUrls, key: Option<&ResolvedKey>) -> String {
    let origin = origin_of(&urls.queue);
    match key {
        Some(k) => format!(
            "NOT FAL — {}. A saved fal key is never sent here.",
            k.summary()
        ),
        None => format!(
            "NOT FAL — talking to {origin} without a key: set FAL_KEY for this run (a saved \
             fal key is sent only to fal)."
        ),
    }
}

/// Draws the banner.
pub fn elsewhere(ui: &mut egui::Ui, urls: &FalUrls, key: Option<&ResolvedKey>) {
    let text = elsewhere_text(urls, key);
    egui::Panel::top("elsewhere_banner")
        .exact_size(28.0)
        .frame(
            egui::Frame::new()
                .fill(theme::BANNER)
                .inner_margin(egui::Margin::symmetric(14, 4)),
        )
        .show(ui, |ui| {
            ui.centered_and_justified(|ui| {
                ui.label(RichText::new(text).color(egui::Color32::BLACK).strong());
            });
        });
}
