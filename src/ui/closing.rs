//! Closing the window while a submit is on its way to fal: the close waits (bounded by the
//! submit's own timeout) so the answer is recorded instead of turning the job into "unknown",
//! and the window says so. The UI thread never blocks: the engine shuts down on the runtime
//! and the window closes itself when it is done.

use egui::RichText;

use super::engine_link::EngineLink;
use super::theme;

/// Called at the start of every frame: holds a close request back while submits are in
/// flight, and closes once they are recorded.
pub fn on_close_request(engine: &mut EngineLink, ctx: &egui::Context) {
    if engine.poll_closing() {
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        return;
    }
    if !ctx.input(|i| i.viewport().close_requested()) {
        return;
    }
    if engine.is_closing() || engine.begin_closing() {
        ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
    }
}

/// What the closing notice draws.
pub struct ClosingView<'a> {
    /// The engine whose shutdown the close waits for.
    pub engine: &'a EngineLink,
}

/// The notice shown while the close waits.
pub fn show(view: &ClosingView<'_>, ctx: &egui::Context) {
    let Some(text) = view.engine.closing_notice() else {
        return;
    };
    egui::Modal::new(egui::Id::unique("finishing_submits")).show(ctx, |ui| {
        ui.set_width(380.0);
        ui.label(RichText::new(text).strong().size(16.0));
        ui.label(
            RichText::new(
                "The window closes by itself once fal's answer is recorded, so the job is not \
                 lost and not paid twice.",
            )
            .color(theme::subtle(ui)),
        );
        ui.spinner();
    });
}
