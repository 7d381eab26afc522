//! Commands to the engine, each a named background task whose answer comes back as a toast:
//! submit, cancel, retry, look again, submit again, remove, delete a video.

use super::{Done, EngineLink};
use crate::ui::app::tasks::TaskKind;
use reelsmith_core::jobs::{EngineHandle, JobId, NewJob};
use reelsmith_core::schema::{FormModel, FormState};

impl EngineLink {
    /// The engine, or why commands cannot be sent now.
    pub(super) fn engine_or_reason(&self) -> Result<EngineHandle, String> {
        match &self.engine {
            Some(e) => Ok(e.clone()),
            None if self.detached => {
                Err("This is a preview: there is no job engine behind it.".into())
            }
            None => Err(self.unavailable_reason()),
        }
    }

    pub(super) fn command<F>(&mut self, name: &str, fut: F)
    where
        F: std::future::Future<Output = Result<Option<String>, String>> + Send + 'static,
    {
        self.tasks.spawn(
            TaskKind::Engine,
            name,
            async move { Done::Command(fut.await) },
        );
    }

    /// Submits the form `count` times (each with its own seed when the endpoint has one).
    pub fn submit(
        &mut self,
        model: &FormModel,
        state: &FormState,
        count: u32,
        over_budget: bool,
    ) -> Result<u32, String> {
        let engine = self.engine_or_reason()?;
        let forms =
            reelsmith_core::jobs::variations::with_seeds(model, state, count, &mut rand::rng());
        let batch: Vec<NewJob> = forms
            .into_iter()
            .map(|form| NewJob {
                endpoint_id: model.endpoint_id.clone(),
                form,
                output: None,
                overwrite_output: false,
            })
            .collect();
        // One batch: the budgets see the variations together, before any is recorded.
        self.command("Submitting jobs", async move {
            engine
                .submit_batch(batch, over_budget)
                .await
                .map(|_| None)
                .map_err(|e| format!("Could not submit: {e}"))
        });
        Ok(count)
    }

    /// Submits one job per form, as one batch (the budgets see them together).
    pub fn submit_forms(
        &mut self,
        endpoint_id: &str,
        forms: Vec<FormState>,
        over_budget: bool,
    ) -> Result<(), String> {
        let engine = self.engine_or_reason()?;
        let batch: Vec<NewJob> = forms
            .into_iter()
            .map(|form| NewJob {
                endpoint_id: endpoint_id.to_string(),
                form,
                output: None,
                overwrite_output: false,
            })
            .collect();
        self.command("Submitting a batch", async move {
            engine
                .submit_batch(batch, over_budget)
                .await
                .map(|_| None)
                .map_err(|e| format!("Could not submit the batch: {e}"))
        });
        Ok(())
    }

    /// Cancels a job (at fal too).
    pub fn cancel(&mut self, id: &JobId) {
        if let Ok(engine) = self.engine_or_reason() {
            let id = id.clone();
            self.command("Cancelling a job", async move {
                engine
                    .cancel(&id)
                    .await
                    .map(|_| None)
                    .map_err(|e| format!("Could not cancel: {e}"))
            });
        }
    }

    /// Runs a failed or cancelled job again.
    pub fn retry(&mut self, id: &JobId) {
        if let Ok(engine) = self.engine_or_reason() {
            let id = id.clone();
            self.command("Retrying a job", async move {
                engine
                    .retry(&id)
                    .await
                    .map(|_| None)
                    .map_err(|e| format!("Could not retry: {e}"))
            });
        }
    }

    /// Looks in fal's request history again for a job whose submission is unknown.
    pub fn look_again(&mut self, id: &JobId) {
        if let Ok(engine) = self.engine_or_reason() {
            let id = id.clone();
            self.command("Looking in fal's request history", async move {
                use reelsmith_core::jobs::unknown::LookOutcome;
                match engine.look_again(&id).await {
                    Ok(LookOutcome::Found(request_id)) => Ok(Some(format!(
                        "Found at fal as request {request_id}; the job continues."
                    ))),
                    Ok(LookOutcome::NotFound(why)) | Ok(LookOutcome::Unavailable(why)) => {
                        Ok(Some(format!("Still unknown: {why}")))
                    }
                    Ok(LookOutcome::NotUnknown(_)) => Ok(None),
                    Err(e) => Err(format!("Could not look again: {e}")),
                }
            });
        }
    }

    /// Submits a job whose submission is unknown again (the user confirmed the cost).
    pub fn resubmit_unknown(&mut self, id: &JobId) {
        if let Ok(engine) = self.engine_or_reason() {
            let id = id.clone();
            self.command("Submitting a job again", async move {
                engine
                    .resubmit_unknown(&id)
                    .await
                    .map(|_| Some("Submitted again.".to_string()))
                    .map_err(|e| format!("Could not submit again: {e}"))
            });
        }
    }

    /// Removes a job from the list (its video stays).
    pub fn remove(&mut self, id: &JobId) {
        match self.engine_or_reason() {
            Ok(engine) => {
                let id = id.clone();
                self.command("Removing a job", async move {
                    engine
                        .remove(&id)
                        .await
                        .map(|_| None)
                        .map_err(|e| format!("Could not remove the job: {e}"))
                });
            }
            Err(_) => self.jobs.retain(|j| &j.id != id),
        }
    }
}
