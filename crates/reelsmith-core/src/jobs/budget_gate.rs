//! The money check of a submit, before anything is written, uploaded or sent: each job's
//! estimate (fal's live price, else the bundled table) and, when budgets are set, whether the
//! batch would pass one.

use std::path::Path;

use crate::jobs::engine::{EngineHandle, NewJob};
use crate::jobs::error::EngineError;
use crate::money::{OverBudget, Spend, check_budget, current_spend};
use crate::schema::cost::{CostEstimate, NoEstimate};
use crate::schema::{FormModel, FormState, build_payload};

/// What a batch is expected to cost, and what the budgets say.
#[derive(Debug, Clone)]
pub struct BudgetCheck {
    /// Each job's estimate, or why there is none.
    pub estimates: Vec<Result<CostEstimate, NoEstimate>>,
    /// The sum of the estimates that could be made, USD.
    pub total_usd: f64,
    /// The spend the budgets were checked against (only when a budget is set).
    pub spend: Option<Spend>,
    /// The budget the batch would pass, if any.
    pub over: Option<OverBudget>,
}

/// The estimate of a form: its payload with local files as placeholders, priced from `book`.
pub fn estimate_form(
    book: &crate::money::PriceBook,
    model: &FormModel,
    form: &FormState,
) -> Result<CostEstimate, NoEstimate> {
    let placeholder = |p: &Path| Some(format!("file://{}", p.display()));
    let payload = build_payload(model, form, &placeholder)
        .map_err(|e| NoEstimate(format!("the form cannot be priced yet: {e}")))?;
    book.estimate(&model.endpoint_id, &payload)
}

/// How long fal's estimate call may hold up a submit.
const FAL_ESTIMATE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// fal's estimate of one call to `endpoint_id` from its history of the endpoint
/// (`historical_api_price`), when it answers in time.
async fn fal_estimate(client: &crate::fal::FalClient, endpoint_id: &str) -> Option<CostEstimate> {
    use crate::fal::platform::pricing::EstimateBasis;
    let asked = tokio::time::timeout(
        FAL_ESTIMATE_TIMEOUT,
        client.estimate_price(endpoint_id, EstimateBasis::Calls(1)),
    )
    .await;
    match asked {
        Ok(Ok((usd, currency))) if currency.eq_ignore_ascii_case("USD") => Some(CostEstimate {
            usd,
            basis: "fal's average price of one call to this endpoint".into(),
            price_date: chrono::Utc::now().format("%Y-%m-%d").to_string(),
            source: crate::schema::cost::PriceSource::FalEstimate,
            unit: "call".into(),
            unit_price: None,
        }),
        Ok(Ok(_)) => None,
        Ok(Err(e)) => {
            tracing::info!("fal's estimate of {endpoint_id} not read: {e}");
            None
        }
        Err(_) => None,
    }
}

impl EngineHandle {
    /// Prices `batch` and checks it against the budgets (reading the spend from fal's usage
    /// API or the journal). Nothing is written or sent to the queue.
    pub async fn check_budget(&self, batch: &[NewJob]) -> Result<BudgetCheck, EngineError> {
        let money = &self.inner.config.money;
        let book = money.price_book();
        let mut estimates = Vec::with_capacity(batch.len());
        for new in batch {
            let model = self.model_of(&new.endpoint_id)?;
            let mut estimate = estimate_form(&book, &model, &new.form);
            // A unit the form cannot count (GPU seconds…): fal's own average price of a call.
            if estimate.is_err()
                && book.live(&new.endpoint_id).is_some()
                && let Some(fal) = fal_estimate(&self.inner.client, &new.endpoint_id).await
            {
                estimate = Ok(fal);
            }
            estimates.push(estimate);
        }
        let total_usd: f64 = estimates.iter().flatten().map(|e| e.usd).sum();
        let budgets = money.budgets();
        if !budgets.any() {
            return Ok(BudgetCheck {
                estimates,
                total_usd,
                spend: None,
                over: None,
            });
        }
        let spend = current_spend(
            &self.inner.client,
            money,
            &self.inner.journal,
            self.inner.config.simulated,
        )
        .await?;
        let over = check_budget(&budgets, &spend, total_usd, batch.len()).err();
        Ok(BudgetCheck {
            estimates,
            total_usd,
            spend: Some(spend),
            over,
        })
    }
}
