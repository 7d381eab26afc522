//! Queue-wide commands of the window (cancel all or only what waits, retry every failed job,
//! pause, reorder) and the queue's state as last read from the engine (start order, paused,
//! estimated cost of what waits). Everything that touches the engine runs as a background task:
//! the order is written to the journal and the cost reads form models, both too slow for a frame.

use super::{Done, EngineLink};
use crate::ui::app::tasks::TaskKind;
use reelsmith_core::jobs::{EngineHandle, JobId, QueueCost};

/// The name of the background read of the queue (its answer does not call for another).
pub(super) const READ_TASK: &str = "Reading the queue";

/// The queue as the engine last reported it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueueInfo {
    /// Jobs not yet sent to fal, in the order they will start (0 = next).
    pub order: Vec<JobId>,
    /// The estimated cost of what waits.
    pub cost: QueueCost,
    /// Starting new jobs is paused.
    pub paused: bool,
}

/// A queue-wide command the panel asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum QueueOp {
    /// Cancel every job that is not finished (downloads go on: they are paid for).
    CancelAll,
    /// Cancel only the jobs that wait; running ones go on.
    CancelQueued,
    /// Retry every failed job fal certainly does not have.
    RetryAllFailed,
    /// Pause (true) or resume starting new jobs.
    SetPaused(bool),
    /// Move a job not yet sent to this place in the start order.
    Move(JobId, usize),
}

/// "1 job" / "4 jobs".
pub fn jobs_word(n: usize) -> String {
    if n == 1 {
        "1 job".into()
    } else {
        format!("{n} jobs")
    }
}

impl EngineLink {
    /// The queue's order, pause and cost as last read (refreshed after every change).
    pub fn queue_info(&self) -> &QueueInfo {
        &self.queue
    }

    /// Reads the queue's order, pause and cost again in the background; at most one read runs,
    /// a change meanwhile reads again once it answered.
    pub(super) fn refresh_queue(&mut self) {
        if self.queue_reading {
            return;
        }
        let Some(engine) = self.engine.clone() else {
            self.queue_dirty = false;
            self.queue = QueueInfo::default();
            return;
        };
        self.queue_dirty = false;
        self.queue_reading = true;
        self.tasks
            .spawn_blocking(TaskKind::Engine, READ_TASK, move || {
                Done::Queue(QueueInfo {
                    order: engine.queued_order(),
                    cost: engine.queue_cost(),
                    paused: engine.is_paused(),
                })
            });
    }

    /// Applies a read of the queue.
    pub(super) fn queue_read(&mut self, info: QueueInfo) {
        // A move answered by the engine replaces the optimistic order shown meanwhile.
        self.queue = info;
    }

    /// Runs a queue-wide command in the background; its outcome comes back as a toast.
    pub fn queue_op(&mut self, op: QueueOp) {
        let engine = match self.engine_or_reason() {
            Ok(e) => e,
            Err(why) => {
                self.notices.push(why);
                return;
            }
        };
        // Shown at once; the engine's answer (read again below) has the last word.
        match &op {
            QueueOp::SetPaused(p) => self.queue.paused = *p,
            QueueOp::Move(id, to) => {
                if let Some(from) = self.queue.order.iter().position(|o| o == id) {
                    let moved = self.queue.order.remove(from);
                    let to = (*to).min(self.queue.order.len());
                    self.queue.order.insert(to, moved);
                }
            }
            _ => {}
        }
        let name = match &op {
            QueueOp::CancelAll => "Cancelling all jobs",
            QueueOp::CancelQueued => "Cancelling the waiting jobs",
            QueueOp::RetryAllFailed => "Retrying the failed jobs",
            QueueOp::SetPaused(true) => "Pausing new jobs",
            QueueOp::SetPaused(false) => "Resuming new jobs",
            QueueOp::Move(..) => "Reordering the queue",
        };
        self.command(name, run(engine, op));
    }
}

/// Does `op` on the engine; the sentence for the toast, or an error.
async fn run(engine: EngineHandle, op: QueueOp) -> Result<Option<String>, String> {
    match op {
        QueueOp::CancelAll | QueueOp::CancelQueued => {
            let outcomes = if op == QueueOp::CancelAll {
                engine.cancel_all().await
            } else {
                engine.cancel_queued().await
            };
            let failed: Vec<String> = outcomes
                .iter()
                .filter_map(|(_, r)| r.as_ref().err().map(|e| e.to_string()))
                .collect();
            let done = outcomes.len() - failed.len();
            match failed.first() {
                None => Ok(Some(format!("Cancelled {}.", jobs_word(done)))),
                Some(first) => Err(format!(
                    "Cancelled {}; {} could not be cancelled: {first}",
                    jobs_word(done),
                    failed.len()
                )),
            }
        }
        QueueOp::RetryAllFailed => {
            let report = engine.retry_failed().await;
            let mut text = format!("Retrying {}.", jobs_word(report.retried.len()));
            if !report.need_confirmation.is_empty() {
                text.push_str(&format!(
                    " {} left alone: fal may have them already (they may be charged); retry \
                     each one yourself if you are sure.",
                    jobs_word(report.need_confirmation.len())
                ));
            }
            match report.errors.first() {
                None => Ok(Some(text)),
                Some((_, e)) => Err(format!(
                    "{text} {} could not be retried: {e}",
                    report.errors.len()
                )),
            }
        }
        QueueOp::SetPaused(paused) => {
            engine.set_paused(paused);
            Ok(None)
        }
        // The new order is written to the journal: a blocking write.
        QueueOp::Move(id, to) => tokio::task::spawn_blocking(move || engine.move_queued(&id, to))
            .await
            .map_err(|e| format!("Could not move the job: {e}"))?
            .map(|_| None)
            .map_err(|e| format!("Could not move the job: {e}")),
    }
}
