//! A job whose submission is unknown, in the queue: what was sent and when, what the lookups
//! in fal's request history found, and the two ways on — look again, or submit again (after a
//! confirmation, since fal may have the first one and then both are charged).

use egui::{Color32, RichText, Ui};

use super::app::{Action, Commands};
use super::engine_link::EngineLink;
use super::theme::{self, Tone};
use reelsmith_core::jobs::unknown::summary;
use reelsmith_core::jobs::{Job, JobId};

/// The confirmation's title (tests look for it).
pub const CONFIRM_TITLE: &str = "Submit this job again?";

/// Draws the unknown job's details and its two buttons.
pub fn show(engine: &EngineLink, commands: &mut Commands, ui: &mut Ui, job: &Job) {
    let Some(info) = summary(job) else {
        return;
    };
    let dark = ui.visuals().dark_mode;
    let subtle = theme::subtle(ui);
    ui.label(
        RichText::new(info.headline)
            .small()
            .strong()
            .color(theme::tone_color(Tone::Warning, dark)),
    );
    if let Some(at) = info.sent_at {
        ui.label(
            RichText::new(format!(
                "Sent to fal at {}; the answer was lost.",
                crate::ui::display_time(at).format("%H:%M:%S on %Y-%m-%d")
            ))
            .small(),
        );
    }
    ui.add(egui::Label::new(RichText::new(&info.reason).small().color(subtle)).wrap());
    let looking = engine.is_running(&job.id);
    let lookup = match (&info.last_lookup, looking) {
        (_, true) => "Looking in fal's request history…".to_string(),
        (Some((at, text)), false) => format!(
            "Looked at {}: {text}",
            crate::ui::display_time(*at).format("%H:%M:%S")
        ),
        (None, false) => "Not looked up yet.".to_string(),
    };
    ui.add(egui::Label::new(RichText::new(lookup).small()).wrap());
    ui.label(
        RichText::new(
            "fal may have this job. Check your requests at fal.ai/dashboard before paying again.",
        )
        .small()
        .color(subtle),
    );
    egui::CollapsingHeader::new(RichText::new("What was sent").small())
        .id_salt(("sent", job.id.as_str()))
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .max_height(120.0)
                .id_salt(("sent_scroll", job.id.as_str()))
                .show(ui, |ui| {
                    ui.label(RichText::new(&info.sent).monospace().small());
                });
        });
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        if ui
            .add_enabled(!looking, egui::Button::new("Look again").small())
            .on_hover_text("Look for this job in fal's request history again (free)")
            .clicked()
        {
            commands.send(Action::LookAgain(job.id.clone()));
        }
        if ui
            .small_button(info.resubmit_label())
            .on_hover_text("Send it again: if fal got the first one, you pay twice")
            .clicked()
        {
            commands.send(Action::ConfirmResubmit(job.id.clone()));
        }
    });
}

/// What the confirmation draws, and where it sends the answer.
pub struct ConfirmView<'a> {
    /// The jobs (the one to confirm, its cost).
    pub engine: &'a EngineLink,
    /// The job waiting for confirmation; cleared once answered.
    pub pending: &'a mut Option<JobId>,
    /// Commands for the app, applied at frame end.
    pub commands: &'a mut Commands,
}

/// The confirmation before an unknown job is submitted again.
pub fn confirm(view: &mut ConfirmView<'_>, ctx: &egui::Context) {
    let Some(id) = view.pending.clone() else {
        return;
    };
    let Some(info) = view
        .engine
        .jobs()
        .iter()
        .find(|j| j.id == id)
        .and_then(summary)
    else {
        *view.pending = None;
        return;
    };
    let cost = info
        .resubmit_cost
        .as_ref()
        .map(|c| format!("about ${:.2}", c.usd))
        .unwrap_or_else(|| "an unknown amount".into());
    let modal =
        egui::Modal::new(egui::Id::unique(("confirm_resubmit", id.as_str()))).show(ctx, |ui| {
            ui.set_width(420.0);
            ui.label(RichText::new(CONFIRM_TITLE).strong().size(16.0));
            ui.label(format!(
                "fal may already have this job: its answer was lost, and the request history has \
             not shown it. Submitting again costs {cost}; if fal did get the first one, you pay \
             for both."
            ));
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let warning = theme::tone(ui, Tone::Warning);
                if ui
                    .add(
                        egui::Button::new(RichText::new("Submit again").color(Color32::BLACK))
                            .fill(warning),
                    )
                    .clicked()
                {
                    view.commands.send(Action::ResubmitUnknown(id.clone()));
                    *view.pending = None;
                }
                if ui.button("Keep waiting").clicked() {
                    *view.pending = None;
                }
            });
        });
    if modal.should_close() {
        *view.pending = None;
    }
}
