//! Whose turn it is to start: jobs not yet sent to fal start in the user's order and not while
//! starting is paused; jobs fal already has (resumed after a restart) never wait for either.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use tokio::sync::{OwnedSemaphorePermit, TryAcquireError};

use crate::jobs::shared::{Inner, lock};
use crate::jobs::state::{Job, JobId, JobState};

/// True for a job nothing of which has reached fal yet: it may wait, be paused or reordered.
pub(crate) fn not_yet_sent(job: &Job) -> bool {
    job.request_id.is_none() && matches!(job.state, JobState::Prepared | JobState::Uploading)
}

/// Takes the job out of the waiting set when its wait ends in any way (also when cancelled).
struct Leave<'a> {
    inner: &'a Inner,
    id: &'a JobId,
}

impl Drop for Leave<'_> {
    fn drop(&mut self) {
        lock(&self.inner.waiting).remove(self.id);
        self.inner.turn.notify_waiters();
    }
}

impl Inner {
    /// Waits until the job may start and a slot is free; `None` when the slots are closed.
    pub(super) async fn wait_turn(self: &Arc<Self>, id: &JobId) -> Option<OwnedSemaphorePermit> {
        lock(&self.waiting).insert(id.clone());
        let _leave = Leave { inner: self, id };
        loop {
            let notified = self.turn.notified();
            tokio::pin!(notified);
            // Registered before looking, so a wake between the look and the wait is not lost.
            notified.as_mut().enable();
            if self.may_start(id) {
                match self.slots.clone().try_acquire_owned() {
                    Ok(permit) => return Some(permit),
                    Err(TryAcquireError::Closed) => return None,
                    Err(TryAcquireError::NoPermits) => {}
                }
            }
            notified.await;
        }
    }

    fn may_start(&self, id: &JobId) -> bool {
        let Some(job) = self.get(id) else {
            return true;
        };
        if !not_yet_sent(&job) {
            return true;
        }
        if self.paused.load(Ordering::SeqCst) {
            return false;
        }
        let waiting: Vec<JobId> = lock(&self.waiting).iter().cloned().collect();
        let ordered = self.in_order(waiting);
        ordered.first().is_none_or(|first| first == id)
    }

    /// `ids` of jobs not yet sent, in the order they start: the user's order first, the rest
    /// by creation time.
    pub(super) fn in_order(&self, ids: Vec<JobId>) -> Vec<JobId> {
        let order = lock(&self.order).clone();
        let mut jobs: Vec<Job> = {
            let all = lock(&self.jobs);
            ids.iter()
                .filter_map(|id| all.get(id))
                .filter(|j| not_yet_sent(j))
                .cloned()
                .collect()
        };
        let rank = |j: &Job| order.iter().position(|o| o == &j.id).unwrap_or(usize::MAX);
        jobs.sort_by(|a, b| {
            rank(a)
                .cmp(&rank(b))
                .then(a.created_at.cmp(&b.created_at))
                .then(a.id.cmp(&b.id))
        });
        jobs.into_iter().map(|j| j.id).collect()
    }
}
