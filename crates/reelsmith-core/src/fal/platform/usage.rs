//! What the account spent and holds: `GET /models/usage` (totals over a period),
//! `GET /models/billing-events` (what each request was charged) and
//! `GET /account/billing?expand=credits` (the balance).
//!
//! All three need an ADMIN-scope key; an API-scope key gets 403, which callers take as "not
//! with this key" and fall back (the journal's sums, the estimate).

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{DEFAULT_MAX_PAGES, PlatformError, PlatformErrorKind};
use crate::fal::client::FalClient;

/// The usage call's path.
pub const USAGE_PATH: &str = "models/usage";
/// The billing events call's path.
pub const BILLING_EVENTS_PATH: &str = "models/billing-events";
/// The account billing call's path.
pub const ACCOUNT_BILLING_PATH: &str = "account/billing";

/// Money spent over a period, as the usage API sums it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UsageTotal {
    /// The total after discounts.
    pub total: f64,
    /// The currency.
    pub currency: String,
}

/// What fal charged for one request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BillingEvent {
    /// fal's request id.
    pub request_id: String,
    /// The endpoint.
    pub endpoint_id: String,
    /// Units billed, when fal says.
    pub output_units: Option<f64>,
    /// The unit price, when fal says.
    pub unit_price: Option<f64>,
    /// The charge after discounts, USD.
    pub cost_total: f64,
}

/// The account's prepaid balance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Balance {
    /// What is left.
    pub current_balance: f64,
    /// The currency.
    pub currency: String,
}

/// True when an error means "this key may not read it" (401/403), not a failure to retry.
pub fn is_scope_refusal(e: &PlatformError) -> bool {
    matches!(
        e,
        PlatformError::Api {
            kind: PlatformErrorKind::Authorization,
            ..
        }
    )
}

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn number(v: &Value, name: &str) -> Option<f64> {
    v.get(name)?.as_f64().filter(|n| n.is_finite())
}

impl FalClient {
    /// The total spent from `start` up to (not including) `end`, from the usage summary.
    pub async fn usage_total(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
    ) -> Result<UsageTotal, PlatformError> {
        let what = "the account's usage";
        let mut total = 0.0;
        let mut currency = "USD".to_string();
        let mut cursor: Option<String> = None;
        for _ in 0..DEFAULT_MAX_PAGES {
            let mut q = vec![
                ("start", time(start)),
                ("end", time(end)),
                ("expand", "summary".to_string()),
            ];
            if let Some(c) = &cursor {
                q.push(("cursor", c.clone()));
            }
            let page = self.platform_get(what, USAGE_PATH, &q).await?;
            let rows = page
                .get("summary")
                .and_then(Value::as_array)
                .ok_or_else(|| PlatformError::Protocol(format!("{what}: no \"summary\" list")))?;
            for row in rows {
                // `cost` is the deprecated name of `cost_total`.
                if let Some(c) = number(row, "cost_total").or_else(|| number(row, "cost")) {
                    total += c;
                }
                if let Some(cur) = row.get("currency").and_then(Value::as_str) {
                    currency = cur.to_string();
                }
            }
            match page.get("next_cursor").and_then(Value::as_str) {
                Some(c) if !c.is_empty() && page.get("has_more") == Some(&Value::Bool(true)) => {
                    if cursor.as_deref() == Some(c) {
                        break;
                    }
                    cursor = Some(c.to_string());
                }
                _ => break,
            }
        }
        Ok(UsageTotal { total, currency })
    }

    /// The billing events of up to 50 requests over the last `days` days (fal caps the range
    /// at 90).
    pub async fn billing_events(
        &self,
        request_ids: &[String],
        days: i64,
    ) -> Result<Vec<BillingEvent>, PlatformError> {
        if request_ids.is_empty() {
            return Ok(Vec::new());
        }
        let end = Utc::now() + chrono::Duration::minutes(1);
        let start = end - chrono::Duration::days(days.clamp(1, 90));
        let mut q = vec![("start", time(start)), ("end", time(end))];
        for id in request_ids.iter().take(50) {
            q.push(("request_id", id.clone()));
        }
        let listing = self
            .platform_list(
                "the billing events",
                BILLING_EVENTS_PATH,
                &q,
                "billing_events",
                DEFAULT_MAX_PAGES,
                |item| {
                    Some(BillingEvent {
                        request_id: item.get("request_id")?.as_str()?.to_string(),
                        endpoint_id: item
                            .get("endpoint_id")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        output_units: number(item, "output_units"),
                        unit_price: number(item, "unit_price"),
                        cost_total: number(item, "cost_total")?,
                    })
                },
            )
            .await?;
        Ok(listing.items)
    }

    /// The balance; `None` when fal answered without it.
    pub async fn balance(&self) -> Result<Option<Balance>, PlatformError> {
        let page = self
            .platform_get(
                "the account balance",
                ACCOUNT_BILLING_PATH,
                &[("expand", "credits".to_string())],
            )
            .await?;
        Ok(page.get("credits").and_then(|c| {
            Some(Balance {
                current_balance: number(c, "current_balance")?,
                currency: c
                    .get("currency")
                    .and_then(Value::as_str)
                    .unwrap_or("USD")
                    .to_string(),
            })
        }))
    }
}
