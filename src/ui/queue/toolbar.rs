//! The queue-wide commands above the jobs: cancel all, cancel what waits, retry every failed
//! job, pause new jobs, and the estimated cost of what waits. A bulk cancel asks once first.

use egui::{RichText, Ui};

use super::QueueView;
use crate::ui::app::Action;
use crate::ui::engine_link::{QueueOp, jobs_word};
use crate::ui::theme::{self, Tone};
use crate::ui::widgets;
use reelsmith_core::jobs::{Job, JobState};

/// A bulk cancel waiting for the user's word, kept in egui's memory between frames.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Asking {
    /// "Cancel all" of this many jobs.
    All(usize),
    /// "Cancel queued" of this many jobs.
    Queued(usize),
}

/// Jobs "Cancel all" cancels (as the engine's `cancel_all` picks them: downloads go on).
fn cancellable(job: &Job) -> bool {
    !job.state.is_terminal() && job.state != JobState::Downloading
}

/// Jobs "Cancel queued" cancels (as the engine's `cancel_queued` picks them).
fn waiting(job: &Job) -> bool {
    matches!(
        job.state,
        JobState::Prepared | JobState::Uploading | JobState::Submitted | JobState::InQueue
    )
}

/// Draws the buttons, the pause state and the cost of what waits.
pub(super) fn show(view: &mut QueueView<'_>, ui: &mut Ui) {
    let jobs = view.engine.jobs();
    let all = jobs.iter().filter(|j| cancellable(j)).count();
    let queued = jobs.iter().filter(|j| waiting(j)).count();
    let failed = jobs.iter().filter(|j| j.state == JobState::Failed).count();
    let info = view.engine.queue_info().clone();
    let ask_id = egui::Id::unique("queue_bulk_cancel");
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        if ui
            .add_enabled(all > 0, egui::Button::new("Cancel all").small())
            .on_hover_text("Cancel every job not finished (downloads finish: they are paid for)")
            .clicked()
        {
            ui.data_mut(|d| d.insert_temp(ask_id, Asking::All(all)));
        }
        if ui
            .add_enabled(queued > 0, egui::Button::new("Cancel queued").small())
            .on_hover_text("Cancel the jobs that wait; running jobs go on")
            .clicked()
        {
            ui.data_mut(|d| d.insert_temp(ask_id, Asking::Queued(queued)));
        }
        if ui
            .add_enabled(failed > 0, egui::Button::new("Retry all failed").small())
            .on_hover_text(
                "Send every failed job again, except those fal may have already \
                 (those you retry one by one)",
            )
            .clicked()
        {
            view.commands.send(Action::Queue(QueueOp::RetryAllFailed));
        }
        let mut paused = info.paused;
        if ui
            .checkbox(&mut paused, "Pause new jobs")
            .on_hover_text("Jobs not yet sent wait; jobs fal has go on there")
            .changed()
        {
            view.commands
                .send(Action::Queue(QueueOp::SetPaused(paused)));
        }
    });
    if info.paused {
        widgets::chip(
            ui,
            &format!("Paused — {} waiting", info.order.len()),
            theme::tone(ui, Tone::Warning),
        );
    }
    cost_line(ui, &info.cost);
    confirm(view, ui, ask_id);
}

/// "Waiting: 3 jobs · est. $2.40 (1 not priced)".
fn cost_line(ui: &mut Ui, cost: &reelsmith_core::jobs::QueueCost) {
    if cost.jobs == 0 {
        return;
    }
    let mut text = format!("Waiting: {} · est. ${:.2}", jobs_word(cost.jobs), cost.usd);
    if cost.unpriced > 0 {
        text.push_str(&format!(" ({} not priced)", cost.unpriced));
    }
    ui.label(RichText::new(text).small().color(theme::subtle(ui)));
}

/// The one question of a bulk cancel.
fn confirm(view: &mut QueueView<'_>, ui: &mut Ui, ask_id: egui::Id) {
    let Some(asking) = ui.data(|d| d.get_temp::<Asking>(ask_id)) else {
        return;
    };
    let (n, op, detail) = match asking {
        Asking::All(n) => (
            n,
            QueueOp::CancelAll,
            "Jobs fal is running stop there too; jobs being downloaded finish.",
        ),
        Asking::Queued(n) => (
            n,
            QueueOp::CancelQueued,
            "Only jobs that wait are cancelled; running jobs go on.",
        ),
    };
    let mut close = false;
    let modal = egui::Modal::new(ask_id.with("modal")).show(ui.ctx(), |ui| {
        ui.set_max_width(380.0);
        ui.label(
            RichText::new(format!("Cancel {}?", jobs_word(n)))
                .size(17.0)
                .strong(),
        );
        ui.label(detail);
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui
                .add(theme::primary_button(format!("Cancel {}", jobs_word(n))))
                .clicked()
            {
                view.commands.send(Action::Queue(op.clone()));
                close = true;
            }
            if ui.button("Keep them").clicked() {
                close = true;
            }
        });
    });
    if modal.should_close() || close {
        ui.data_mut(|d| d.remove::<Asking>(ask_id));
    }
}
