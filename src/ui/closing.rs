//! Closing the window while a submit is on its way to fal: the close waits (bounded by the
//! submit's own timeout) so the answer is recorded instead of turning the job into "unknown",
//! and the window says so. The UI thread never blocks: the engine shuts down on the runtime
//! and the window closes itself when it is done.

use egui::RichText;

use super::app::StudioApp;
use super::theme;

/// Called at the start of every frame: holds a close request back while submits are in
/// flight, and closes once they are recorded.
pub fn on_close_request(app: &mut StudioApp, ctx: &egui::Context) {
    if app.engine.poll_closing() {
        ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        return;
    }
    if !ctx.input(|i| i.viewport().close_requested()) {
        return;
    }
    if app.engine.is_closing() || app.engine.begin_closing() {
        ctx.send_viewport_cmd(egui::ViewportCommand::CancelClose);
    }
}

/// The notice shown while the close waits.
pub fn show(app: &StudioApp, ctx: &egui::Context) {
    let Some(text) = app.engine.closing_notice() else {
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
