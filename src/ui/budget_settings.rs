//! Settings → Budgets: the daily and monthly limits a Generate is checked against.

use egui::{RichText, Ui};

use super::app::{Action, Commands};
use super::engine_link::EngineLink;
use super::theme::{self, Tone};
use reelsmith_core::money::{MoneyHandle, Spend};
use reelsmith_core::settings::Budgets;

/// The text boxes being edited (kept between frames).
#[derive(Default)]
pub struct BudgetInputs {
    daily: Option<String>,
    monthly: Option<String>,
    error: Option<String>,
}

fn amount(text: &str) -> Result<Option<f64>, String> {
    let t = text.trim().trim_start_matches('$').trim();
    if t.is_empty() {
        return Ok(None);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(Some(v)),
        _ => Err(format!(
            "\"{text}\" is not an amount in dollars; leave it empty for no limit"
        )),
    }
}

fn shown(v: Option<f64>) -> String {
    v.map(|v| format!("{v:.2}")).unwrap_or_default()
}

/// What the budgets section draws, and where it sends what the user saves.
pub struct BudgetView<'a> {
    /// The text boxes being edited.
    pub inputs: &'a mut BudgetInputs,
    /// The shared settings (the budgets saved) and whether they are read yet.
    pub engine: &'a EngineLink,
    /// The budgets in effect (set at once when saved).
    pub money: &'a MoneyHandle,
    /// The last spend read.
    pub spend: Option<&'a Spend>,
    /// Commands for the app, applied at frame end.
    pub commands: &'a mut Commands,
}

/// Draws the budgets section.
pub fn section(view: &mut BudgetView<'_>, ui: &mut Ui) {
    ui.label(
        RichText::new(
            "A Generate (or a batch of variations) whose estimate would pass a budget is refused \
             before anything is uploaded. Leave a box empty for no limit. The command line \
             honours the same budgets (--over-budget to go on).",
        )
        .color(theme::subtle(ui)),
    );
    if view.engine.is_opening() {
        // The budgets are in the settings file the session reads: editing before it is read
        // would save the defaults over the user's other settings.
        ui.label(RichText::new(view.engine.unavailable_reason()).color(theme::subtle(ui)));
        return;
    }
    // The shared settings' budgets (the settings file, read by the session).
    let budgets = view.engine.settings().budgets;
    let inputs = &mut *view.inputs;
    let daily = inputs.daily.get_or_insert_with(|| shown(budgets.daily_usd));
    let monthly = inputs
        .monthly
        .get_or_insert_with(|| shown(budgets.monthly_usd));
    let mut changed = false;
    egui::Grid::new("budgets")
        .num_columns(2)
        .spacing([12.0, 6.0])
        .show(ui, |ui| {
            ui.label("Daily budget (US$)");
            changed |= ui
                .add(
                    egui::TextEdit::singleline(daily)
                        .hint_text("no limit")
                        .desired_width(120.0),
                )
                .lost_focus();
            ui.end_row();
            ui.label("Monthly budget (US$)");
            changed |= ui
                .add(
                    egui::TextEdit::singleline(monthly)
                        .hint_text("no limit")
                        .desired_width(120.0),
                )
                .lost_focus();
            ui.end_row();
        });
    let save = ui.button("Save budgets").clicked();
    if changed || save {
        match (amount(daily), amount(monthly)) {
            (Ok(d), Ok(m)) => {
                inputs.error = None;
                let new = Budgets {
                    daily_usd: d,
                    monthly_usd: m,
                };
                if new != budgets {
                    // In effect at once; saved with the other shared settings (one writer).
                    view.money.set_budgets(new);
                    let mut settings = view.engine.settings().clone();
                    settings.budgets = new;
                    view.commands.send(Action::ApplySettings {
                        settings,
                        restart: false,
                    });
                }
            }
            (Err(e), _) | (_, Err(e)) => inputs.error = Some(e),
        }
    }
    if let Some(e) = view.inputs.error.clone() {
        ui.label(RichText::new(e).color(theme::tone(ui, Tone::Danger)));
    }
    if let Some(spend) = view.spend {
        ui.label(
            RichText::new(format!(
                "Spent ${:.2} today and ${:.2} this month ({}).",
                spend.today_usd,
                spend.month_usd,
                spend.source.describe()
            ))
            .small()
            .color(theme::subtle(ui)),
        );
    }
    ui.label(
        RichText::new(
            "fal's usage and balance need an ADMIN-scope key; with an API key the spend is the \
             sum of this computer's job journal (billed costs where fal reported them, estimates \
             otherwise).",
        )
        .small()
        .color(theme::subtle(ui)),
    );
}
