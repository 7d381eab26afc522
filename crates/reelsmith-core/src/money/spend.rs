//! What the account spent today and this month (UTC): from fal's usage API when the key may
//! read it (ADMIN scope), else the sum of the journal's costs — what fal billed where it
//! reported it, the estimate of the other jobs fal accepted.

use std::sync::atomic::Ordering;

use chrono::{DateTime, Datelike, TimeZone, Utc};
use serde::{Deserialize, Serialize};

use super::MoneyHandle;
use crate::fal::FalClient;
use crate::fal::platform::Balance;
use crate::fal::platform::usage::is_scope_refusal;
use crate::jobs::{Job, JobState};
use crate::store::{Journal, JournalError};

/// Where spend figures come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpendSource {
    /// fal's usage API.
    Usage,
    /// The sum of the journal's job costs.
    Journal,
}

impl SpendSource {
    /// In words, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            SpendSource::Usage => "from fal's usage API",
            SpendSource::Journal => "from this computer's job journal",
        }
    }
}

/// Spend now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spend {
    /// Today (UTC), USD.
    pub today_usd: f64,
    /// This calendar month (UTC), USD.
    pub month_usd: f64,
    /// Where the figures come from.
    pub source: SpendSource,
    /// The account balance, when the key may read it.
    pub balance: Option<Balance>,
    /// What could not be read and why, in sentences.
    pub notes: Vec<String>,
}

/// Midnight UTC of `now`'s day and the first of its month.
fn period_starts(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let day = Utc
        .with_ymd_and_hms(now.year(), now.month(), now.day(), 0, 0, 0)
        .single()
        .unwrap_or(now);
    let month = Utc
        .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
        .single()
        .unwrap_or(now);
    (day, month)
}

/// What one job counts: the billed cost when known; the estimate when fal accepted it (or may
/// have); nothing when it never reached fal.
fn counted(job: &Job) -> f64 {
    if let Some(real) = job.cost.real_usd {
        return real;
    }
    let reached_fal = job.request_id.is_some() || job.state == JobState::SubmissionUnknown;
    if reached_fal {
        job.cost.estimate_usd.unwrap_or(0.0)
    } else {
        0.0
    }
}

/// `(today, this month)` from the journal's jobs (only simulated ones when `simulated`, else
/// only real ones).
pub fn journal_spend(
    journal: &Journal,
    now: DateTime<Utc>,
    simulated: bool,
) -> Result<(f64, f64), JournalError> {
    let (day, month) = period_starts(now);
    let (jobs, _) = journal.jobs_checked()?;
    let mut today = 0.0;
    let mut this_month = 0.0;
    for job in jobs.iter().filter(|j| j.simulated == simulated) {
        let at = job
            .submitted_at
            .or(job.submit_sent_at)
            .unwrap_or(job.created_at);
        if at >= month {
            let c = counted(job);
            this_month += c;
            if at >= day {
                today += c;
            }
        }
    }
    Ok((today, this_month))
}

/// Spend now: the usage API (and the balance) when the key may read them, else the journal.
/// The larger of the usage API's and the journal's figures is taken, since fal's usage lags
/// behind jobs just submitted.
pub async fn current_spend(
    client: &FalClient,
    money: &MoneyHandle,
    journal: &Journal,
    simulated: bool,
) -> Result<Spend, JournalError> {
    let now = Utc::now();
    let (j_today, j_month) = journal_spend(journal, now, simulated)?;
    let mut spend = Spend {
        today_usd: j_today,
        month_usd: j_month,
        source: SpendSource::Journal,
        balance: None,
        notes: Vec::new(),
    };
    if money.admin_refused.load(Ordering::Relaxed) {
        spend.notes.push(
            "fal's usage and balance need an ADMIN key; the figures are this computer's journal"
                .into(),
        );
        return Ok(spend);
    }
    let (day, month) = period_starts(now);
    let end = now + chrono::Duration::seconds(1);
    let usage = async {
        let today = client.usage_total(day, end).await?;
        let this_month = client.usage_total(month, end).await?;
        Ok::<_, crate::fal::platform::PlatformError>((today.total, this_month.total))
    };
    match usage.await {
        Ok((today, this_month)) => {
            spend.today_usd = today.max(j_today);
            spend.month_usd = this_month.max(j_month);
            spend.source = SpendSource::Usage;
        }
        Err(e) if is_scope_refusal(&e) => {
            money.admin_refused.store(true, Ordering::Relaxed);
            spend.notes.push(
                "fal's usage and balance need an ADMIN key; the figures are this computer's \
                 journal"
                    .into(),
            );
            return Ok(spend);
        }
        Err(e) => spend.notes.push(format!(
            "fal's usage could not be read ({e}); the figures are this computer's journal"
        )),
    }
    match client.balance().await {
        Ok(b) => spend.balance = b,
        Err(e) if is_scope_refusal(&e) => {
            spend.notes.push("the balance needs an ADMIN key".into());
        }
        Err(e) => spend
            .notes
            .push(format!("the balance could not be read ({e})")),
    }
    Ok(spend)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_start_at_midnight_and_the_first() {
        let now = Utc.with_ymd_and_hms(2026, 12, 2, 15, 4, 5).unwrap();
        let (d, m) = period_starts(now);
        assert_eq!(d.to_rfc3339(), "2026-12-02T00:00:00+00:00");
        assert_eq!(m.to_rfc3339(), "2026-12-01T00:00:00+00:00");
    }
}
