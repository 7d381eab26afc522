//! The engine's tasks: one per running job (bounded by the in-flight slots), and the ticker that
//! notices cancels from other processes and stalled jobs.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use chrono::Utc;
use tokio_util::sync::CancellationToken;

use crate::fal::CancelOutcome;
use crate::jobs::events::ChangeKind;
use crate::jobs::runner;
use crate::jobs::shared::{Inner, TaskEntry, lock};
use crate::jobs::state::{Job, JobId, JobState};

impl Inner {
    /// Starts the task that drives a job (claimed by this engine) to its end. When the job
    /// has a task already, that task looks at the job once more before it ends (it may have
    /// decided to stop just before a command changed the job).
    pub(super) fn spawn_runner(self: &Arc<Self>, id: JobId) {
        let generation = self.generation.fetch_add(1, Ordering::Relaxed);
        let cancel = CancellationToken::new();
        {
            let mut tasks = lock(&self.tasks);
            if tasks.contains_key(&id) {
                lock(&self.respawn).insert(id);
                return;
            }
            tasks.insert(
                id.clone(),
                TaskEntry {
                    generation,
                    cancel: cancel.clone(),
                },
            );
        }
        let inner = self.clone();
        let join = tokio::spawn(async move {
            let stop = inner.shutdown.clone();
            let permit = tokio::select! {
                p = inner.wait_turn(&id) => p,
                _ = cancel.cancelled() => None,
                _ = stop.cancelled() => None,
            };
            let cancelled = if permit.is_some() {
                tokio::select! {
                    _ = runner::drive(&inner, &id) => false,
                    _ = cancel.cancelled() => true,
                    _ = stop.cancelled() => false,
                }
            } else {
                cancel.is_cancelled()
            };
            drop(permit);
            // A slot is free: the next job in the user's order may start.
            inner.turn.notify_waiters();
            // The cancel is recorded while the task still counts as running, so a waiter never
            // sees a job that is neither running nor cancelled.
            let respawn = cancelled && !stop.is_cancelled() && inner.finish_cancel(&id).await;
            let again = {
                let mut tasks = lock(&inner.tasks);
                if tasks.get(&id).is_some_and(|t| t.generation == generation) {
                    tasks.remove(&id);
                }
                lock(&inner.respawn).remove(&id)
            };
            if respawn || (again && !stop.is_cancelled()) {
                inner.spawn_runner(id);
            }
        });
        let mut joins = lock(&self.joins);
        joins.retain(|j| !j.is_finished());
        joins.push(join);
    }

    /// Tells fal to cancel (when it has the job) and records the job as cancelled. Returns true
    /// when fal had already finished it: then the paid result is downloaded instead.
    pub(super) async fn finish_cancel(self: &Arc<Self>, id: &JobId) -> bool {
        let Some(job) = self.get(id) else {
            return false;
        };
        if job.state.is_terminal() {
            return false;
        }
        if let Some(handle) = runner::queue_handle(&self.client, &job) {
            match self.client.cancel(&handle).await {
                Ok(CancelOutcome::AlreadyCompleted) => {
                    let _ = self.update(id, ChangeKind::Log, |job| {
                        job.push_log(runner::note(
                            "fal had already finished this job, so it is downloaded instead of cancelled",
                        ));
                        if job.state != JobState::Downloading {
                            job.set_state(JobState::Submitted);
                        }
                    });
                    let _ = self.journal.clear_cancel(id);
                    return true;
                }
                Ok(CancelOutcome::Requested) => {}
                Err(e) => tracing::warn!("cancelling job {id} at fal failed: {e}"),
            }
        }
        let _ = self.update(id, ChangeKind::State, |job| {
            job.set_state(JobState::Cancelled)
        });
        false
    }

    pub(super) fn spawn_ticker(self: &Arc<Self>) {
        let weak = Arc::downgrade(self);
        let stop = self.shutdown.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_millis(500));
            loop {
                tokio::select! {
                    _ = tick.tick() => {}
                    _ = stop.cancelled() => return,
                }
                let Some(inner) = weak.upgrade() else { return };
                inner.check_remote_cancels();
                inner.check_stalls();
            }
        });
    }

    /// Cancels requested by another process (`reelsmith cancel`) for jobs this engine runs.
    fn check_remote_cancels(&self) {
        let Ok(ids) = self.journal.cancels_for(&self.instance) else {
            return;
        };
        let tasks = lock(&self.tasks);
        for id in ids {
            if let Some(t) = tasks.get(&id) {
                t.cancel.cancel();
            }
        }
    }

    fn check_stalls(&self) {
        let now = Utc::now();
        let changed: Vec<(Job, bool)> = {
            let jobs = lock(&self.jobs);
            let mut stalled = lock(&self.stalled);
            let mut out = Vec::new();
            for job in jobs.values() {
                let is = job.is_stalled(now, self.config.stall_after);
                let was = stalled.contains(&job.id);
                if is != was {
                    if is {
                        stalled.insert(job.id.clone());
                    } else {
                        stalled.remove(&job.id);
                    }
                    out.push((job.clone(), is));
                }
            }
            out
        };
        for (job, _) in changed {
            self.emit(&job, ChangeKind::Stalled);
        }
    }
}
