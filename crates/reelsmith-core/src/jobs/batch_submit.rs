//! Submitting a batch (variations, a batch of photos, rows of a CSV) as one: every input is
//! checked, the whole batch is priced against the budgets, and only then is each job recorded
//! and started; a refused batch leaves nothing behind.

use std::path::PathBuf;

use crate::jobs::budget_gate::BudgetCheck;
use crate::jobs::engine::{EngineHandle, NewJob};
use crate::jobs::error::EngineError;
use crate::jobs::preflight;
use crate::jobs::state::JobId;
use crate::schema::Severity;

impl EngineHandle {
    /// Submits several jobs (variations) as one: every input is checked and the batch's total
    /// estimate is checked against the budgets (unless `over_budget`) before any is recorded,
    /// uploaded or sent.
    pub async fn submit_batch(
        &self,
        batch: Vec<NewJob>,
        over_budget: bool,
    ) -> Result<Vec<JobId>, EngineError> {
        self.preflight_batch(&batch).await?;
        let priced = self.check_budget(&batch).await?;
        self.record_priced(batch, priced, over_budget)
    }

    /// [`EngineHandle::submit_batch`] with the budget check the caller made (and showed) just
    /// before, from [`EngineHandle::check_budget`] on the same `batch`: the spend is not read
    /// twice.
    pub async fn submit_priced(
        &self,
        batch: Vec<NewJob>,
        priced: BudgetCheck,
        over_budget: bool,
    ) -> Result<Vec<JobId>, EngineError> {
        self.preflight_batch(&batch).await?;
        if priced.estimates.len() != batch.len() {
            // A check of another batch: check this one.
            let priced = self.check_budget(&batch).await?;
            return self.record_priced(batch, priced, over_budget);
        }
        self.record_priced(batch, priced, over_budget)
    }

    /// The form model of `endpoint`, or why there is none as the engine's error.
    pub(crate) fn model_of(&self, endpoint: &str) -> Result<crate::schema::FormModel, EngineError> {
        self.inner
            .models
            .model(endpoint)
            .map_err(|detail| EngineError::UnknownEndpoint {
                endpoint: endpoint.to_string(),
                detail,
            })
    }

    /// Checks every input of `batch` (the media check decodes files, so off the async workers).
    async fn preflight_batch(&self, batch: &[NewJob]) -> Result<(), EngineError> {
        for new in batch {
            let model = self.model_of(&new.endpoint_id)?;
            // The media check decodes files: off the async workers.
            let form = new.form.clone();
            let issues = tokio::task::spawn_blocking(move || preflight::check_input(&model, &form))
                .await
                .map_err(|e| EngineError::Io {
                    path: PathBuf::from("preflight"),
                    source: std::io::Error::other(e),
                })?;
            if issues.iter().any(|i| matches!(i.severity, Severity::Error)) {
                return Err(EngineError::Invalid(issues));
            }
        }
        Ok(())
    }

    /// Records and starts the jobs of `batch` unless `priced` passes a budget (and
    /// `over_budget` does not allow it).
    fn record_priced(
        &self,
        batch: Vec<NewJob>,
        priced: BudgetCheck,
        over_budget: bool,
    ) -> Result<Vec<JobId>, EngineError> {
        if let Some(over) = priced.over {
            if !over_budget {
                return Err(EngineError::OverBudget(over));
            }
            tracing::info!("going on over budget as asked: {over}");
        }
        let mut ids = Vec::with_capacity(batch.len());
        for (new, estimate) in batch.into_iter().zip(priced.estimates) {
            ids.push(self.record_and_start(new, estimate.ok().as_ref())?);
        }
        Ok(ids)
    }
}
