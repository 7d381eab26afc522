//! Commands over the whole queue: cancel all or only what waits, retry every failed job that
//! certainly never reached fal or that fal answered, pause starting, reorder what is not yet
//! sent, and the estimated cost of what waits.

use std::sync::atomic::Ordering;

use crate::jobs::engine::{CancelResult, EngineHandle};
use crate::jobs::error::EngineError;
use crate::jobs::queue_turn::not_yet_sent;
use crate::jobs::shared::lock;
use crate::jobs::state::{FailKind, Job, JobId, JobState};
use crate::schema::FormState;

/// What "retry all failed" did.
#[derive(Debug, Default)]
pub struct RetryAllReport {
    /// Jobs started again.
    pub retried: Vec<JobId>,
    /// Failed jobs left alone because fal may have them (the app stopped mid-submit, or fal
    /// lost the request): only the user's word on each may send them again.
    pub need_confirmation: Vec<JobId>,
    /// Jobs that could not be retried, with why.
    pub errors: Vec<(JobId, EngineError)>,
}

/// The estimated cost of the jobs that wait.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct QueueCost {
    /// Jobs waiting (not running yet, here or at fal).
    pub jobs: usize,
    /// The sum of the estimates that are known, in US dollars.
    pub usd: f64,
    /// Waiting jobs whose price is not known (not in the sum).
    pub unpriced: usize,
}

/// True for a job that has not started running: waiting here, or in fal's queue.
fn waiting(job: &Job) -> bool {
    matches!(
        job.state,
        JobState::Prepared
            | JobState::Uploading
            | JobState::Submitting
            | JobState::Submitted
            | JobState::InQueue
    )
}

impl EngineHandle {
    /// Cancels every job that is not finished (a job being downloaded is left to finish: fal
    /// has made it and it is paid for). Returns each job's outcome.
    pub async fn cancel_all(&self) -> Vec<(JobId, Result<CancelResult, EngineError>)> {
        let ids: Vec<JobId> = self
            .jobs()
            .into_iter()
            .filter(|j| !j.state.is_terminal() && j.state != JobState::Downloading)
            .map(|j| j.id)
            .collect();
        self.cancel_each(ids).await
    }

    /// Cancels the jobs that wait (not yet sent, or in fal's queue); running ones, jobs being
    /// sent right now and downloads go on.
    pub async fn cancel_queued(&self) -> Vec<(JobId, Result<CancelResult, EngineError>)> {
        let ids: Vec<JobId> = self
            .jobs()
            .into_iter()
            .filter(|j| {
                matches!(
                    j.state,
                    JobState::Prepared
                        | JobState::Uploading
                        | JobState::Submitted
                        | JobState::InQueue
                )
            })
            .map(|j| j.id)
            .collect();
        self.cancel_each(ids).await
    }

    async fn cancel_each(
        &self,
        ids: Vec<JobId>,
    ) -> Vec<(JobId, Result<CancelResult, EngineError>)> {
        // Waiting jobs first, so none of them takes a slot another cancel just freed.
        let was_paused = self.set_paused(true);
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let outcome = self.cancel(&id).await;
            out.push((id, outcome));
        }
        self.set_paused(was_paused);
        out
    }

    /// Retries every failed job, except those it is unknown whether fal has (interrupted
    /// mid-submit, or lost by fal): those are listed for the user to decide one by one.
    pub async fn retry_failed(&self) -> RetryAllReport {
        let mut report = RetryAllReport::default();
        for job in self.jobs() {
            if job.state != JobState::Failed {
                continue;
            }
            let kind = job.failure.as_ref().map(|f| f.kind);
            if matches!(kind, Some(FailKind::Interrupted | FailKind::Lost)) {
                report.need_confirmation.push(job.id);
                continue;
            }
            match self.retry(&job.id).await {
                Ok(()) => report.retried.push(job.id),
                Err(e) => report.errors.push((job.id, e)),
            }
        }
        report
    }

    /// Pauses (or resumes) starting jobs not yet sent; jobs fal has go on. Returns whether it
    /// was paused before.
    pub fn set_paused(&self, paused: bool) -> bool {
        let before = self.inner.paused.swap(paused, Ordering::SeqCst);
        self.inner.turn.notify_waiters();
        before
    }

    /// True while starting new jobs is paused.
    pub fn is_paused(&self) -> bool {
        self.inner.paused.load(Ordering::SeqCst)
    }

    /// The jobs not yet sent to fal, in the order they will start.
    pub fn queued_order(&self) -> Vec<JobId> {
        let ids: Vec<JobId> = lock(&self.inner.jobs)
            .values()
            .filter(|j| not_yet_sent(j))
            .map(|j| j.id.clone())
            .collect();
        self.inner.in_order(ids)
    }

    /// Moves a job not yet sent to `position` in the start order (0 = next), and records the
    /// order in the journal so it outlives a restart.
    pub fn move_queued(&self, id: &JobId, position: usize) -> Result<Vec<JobId>, EngineError> {
        let mut order = self.queued_order();
        let Some(from) = order.iter().position(|o| o == id) else {
            let state = self
                .job(id)
                .map(|j| j.state)
                .ok_or_else(|| EngineError::UnknownJob(id.to_string()))?;
            return Err(EngineError::NotAllowed {
                id: id.clone(),
                state,
                what: "only jobs not yet sent to fal can be moved".into(),
            });
        };
        let moved = order.remove(from);
        order.insert(position.min(order.len()), moved);
        self.inner.journal.set_queue_order(&order)?;
        *lock(&self.inner.order) = order.clone();
        self.inner.turn.notify_waiters();
        Ok(order)
    }

    /// The estimated total of what waits (not yet running, here or at fal).
    pub fn queue_cost(&self) -> QueueCost {
        let mut cost = QueueCost::default();
        for job in self.jobs().iter().filter(|j| waiting(j)) {
            cost.jobs += 1;
            let estimate = self
                .inner
                .models
                .model(&job.endpoint_id)
                .ok()
                .zip(serde_json::from_value::<FormState>(job.form.clone()).ok())
                .and_then(|(model, form)| crate::schema::cost::estimate_form(&model, &form));
            match estimate {
                Some(e) => cost.usd += e.usd,
                None => cost.unpriced += 1,
            }
        }
        cost
    }
}
