//! The message of a Generate the budgets refused: the numbers, and what the user can do
//! (raise the budget, or go on once anyway).

use egui::RichText;

use super::app::{Action, Commands, View};
use super::money_link::Refusal;
use super::theme::{self, Tone};

/// What the refusal draws, and where it sends the answer.
pub struct BudgetNoticeView<'a> {
    /// The refusal up, if any; cleared when it closes.
    pub refused: &'a mut Option<Refusal>,
    /// Commands for the app, applied at frame end.
    pub commands: &'a mut Commands,
}

/// Draws the refusal, if one is up.
pub fn show(view: &mut BudgetNoticeView<'_>, ctx: &egui::Context) {
    let Some(refusal) = view.refused.clone() else {
        return;
    };
    let mut close = false;
    let modal = egui::Modal::new(egui::Id::unique("budget_refusal")).show(ctx, |ui| {
        ui.set_max_width(460.0);
        ui.label(
            RichText::new("Generate refused: over budget")
                .size(17.0)
                .strong(),
        );
        let o = &refusal.over;
        ui.label(
            RichText::new(format!(
                "This would pass your {} budget of ${:.2}.",
                o.period, o.limit
            ))
            .strong()
            .color(theme::tone(ui, Tone::Danger)),
        );
        ui.add_space(4.0);
        egui::Grid::new("refusal_numbers")
            .num_columns(2)
            .show(ui, |ui| {
                let when = if o.period == "daily" {
                    "today"
                } else {
                    "this month"
                };
                ui.label(format!("Spent {when}"));
                ui.label(format!("${:.2}", o.spent));
                ui.end_row();
                ui.label(format!("Estimate of {}", o.what));
                ui.label(format!("${:.2}", o.adding));
                ui.end_row();
                ui.label("Total");
                ui.label(RichText::new(format!("${:.2}", o.spent + o.adding)).strong());
                ui.end_row();
            });
        ui.label(
            RichText::new(format!(
                "Nothing was uploaded or submitted. Spend {}.",
                o.spent_from.describe()
            ))
            .small()
            .color(theme::subtle(ui)),
        );
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button("Change budgets…").clicked() {
                view.commands.send(Action::SetView(View::Settings));
                close = true;
            }
            if ui
                .button(format!("Generate anyway (${:.2})", o.adding))
                .on_hover_text("Submit once over the budget; the budget stays as it is")
                .clicked()
            {
                // The refusal closes below: the batch it stands for travels with the command.
                let batch = view.refused.as_mut().and_then(|r| r.batch.take());
                view.commands.send(Action::GenerateOverBudget(batch));
                close = true;
            }
            if ui.button("Cancel").clicked() {
                close = true;
            }
        });
    });
    if modal.should_close() || close {
        *view.refused = None;
    }
}
