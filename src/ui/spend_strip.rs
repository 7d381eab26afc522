//! The spend strip in the top bar: today, this month, the balance, and where the figures come
//! from (fal's usage API or this computer's journal). Clicking it asks again.

use egui::RichText;

use super::app::{Action, Commands};
use super::theme::{self, Tone};
use reelsmith_core::money::{Spend, SpendSource};
use reelsmith_core::settings::Budgets;

/// What the spend strip draws, and where a click asks for a new read.
pub struct SpendStripView<'a> {
    /// The last spend read (None until the first answer).
    pub spend: Option<&'a Spend>,
    /// Why the spend could not be read.
    pub spend_error: Option<&'a str>,
    /// The budgets the figures are measured against.
    pub budgets: Budgets,
    /// Commands for the app, applied at frame end.
    pub commands: &'a mut Commands,
}

/// Draws the strip (right-to-left layout of the top bar).
pub fn show(view: &mut SpendStripView<'_>, ui: &mut egui::Ui) {
    let budgets = view.budgets;
    let Some(spend) = view.spend else {
        if let Some(e) = view.spend_error {
            ui.label(
                RichText::new("Spend unavailable")
                    .small()
                    .color(theme::subtle(ui)),
            )
            .on_hover_text(e);
        }
        return;
    };
    let over = |spent: f64, limit: Option<f64>| limit.is_some_and(|l| spent >= l * 0.9);
    let near =
        over(spend.today_usd, budgets.daily_usd) || over(spend.month_usd, budgets.monthly_usd);
    let limit = |l: Option<f64>| l.map(|l| format!(" of ${l:.2}")).unwrap_or_default();
    let mut text = format!(
        "Today ${:.2}{} · Month ${:.2}{}",
        spend.today_usd,
        limit(budgets.daily_usd),
        spend.month_usd,
        limit(budgets.monthly_usd)
    );
    if let Some(b) = &spend.balance {
        text.push_str(&format!(" · Balance ${:.2}", b.current_balance));
    }
    let source = match spend.source {
        SpendSource::Usage => "fal usage",
        SpendSource::Journal => "journal",
    };
    text.push_str(&format!("  ({source})"));
    let mut hover = format!("Spend {}. Click to read it again.", spend.source.describe());
    for note in &spend.notes {
        hover.push_str(&format!("\n{note}"));
    }
    let color = if near {
        theme::tone(ui, Tone::Warning)
    } else {
        theme::subtle(ui)
    };
    let r = ui
        .add(egui::Label::new(RichText::new(text).small().color(color)).sense(egui::Sense::click()))
        .on_hover_text(hover);
    if r.clicked() {
        view.commands.send(Action::RefreshSpend);
    }
}
