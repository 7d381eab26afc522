//! The daily and monthly budgets: a submit whose estimate would pass one is refused.

use super::spend::{Spend, SpendSource};
use crate::settings::Budgets;

/// A submit refused because it would pass a budget, with the numbers.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error(
    "this would pass the {period} budget of ${limit:.2}: ${spent:.2} spent {when} ({from}) + \
     ${adding:.2} estimated for {what} = ${total:.2}",
    from = self.spent_from.describe(),
    total = self.spent + self.adding,
    when = if self.period == "daily" { "today" } else { "this month" }
)]
pub struct OverBudget {
    /// `daily` or `monthly`.
    pub period: &'static str,
    /// The budget, USD.
    pub limit: f64,
    /// Spent so far in the period, USD.
    pub spent: f64,
    /// The estimate of what would be submitted, USD.
    pub adding: f64,
    /// "this job" or "these 4 jobs".
    pub what: String,
    /// Where `spent` comes from.
    pub spent_from: SpendSource,
}

/// Refuses `adding` dollars for `jobs` jobs when it would take the spend past a budget.
pub fn check_budget(
    budgets: &Budgets,
    spend: &Spend,
    adding: f64,
    jobs: usize,
) -> Result<(), OverBudget> {
    let what = if jobs == 1 {
        "this job".to_string()
    } else {
        format!("these {jobs} jobs")
    };
    for (period, limit, spent) in [
        ("daily", budgets.daily_usd, spend.today_usd),
        ("monthly", budgets.monthly_usd, spend.month_usd),
    ] {
        if let Some(limit) = limit
            && spent + adding > limit + 1e-9
        {
            return Err(OverBudget {
                period,
                limit,
                spent,
                adding,
                what,
                spent_from: spend.source,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_refuse_with_the_numbers() {
        let spend = Spend {
            today_usd: 4.0,
            month_usd: 40.0,
            source: SpendSource::Journal,
            balance: None,
            notes: Vec::new(),
        };
        let b = Budgets {
            daily_usd: Some(5.0),
            monthly_usd: Some(100.0),
        };
        assert!(check_budget(&b, &spend, 1.0, 1).is_ok());
        let e = check_budget(&b, &spend, 3.2, 1).unwrap_err();
        assert_eq!(e.period, "daily");
        let text = e.to_string();
        assert!(
            text.contains("$5.00") && text.contains("$4.00 spent today"),
            "{text}"
        );
        assert!(text.contains("$7.20"), "{text}");
        let monthly = Budgets {
            daily_usd: None,
            monthly_usd: Some(42.0),
        };
        let e = check_budget(&monthly, &spend, 2.5, 3).unwrap_err();
        assert!(e.to_string().contains("these 3 jobs"), "{e}");
        assert!(check_budget(&Budgets::default(), &spend, 1e6, 1).is_ok());
    }
}
