//! One job's submit: recorded durably before it goes out, sent on a task of its own that a
//! shutdown lets finish, and sent again only when fal certainly never queued it.
//!
//! A 429 or a failed connect is sent again after a pause. fal's ingress error page (a gateway
//! 5xx with no request id) is, by fal's own rule, a request that never arrived, but the answer
//! came after our body went out: the request history is read before sending it again. Any other
//! ending that may have reached fal makes the job "submission unknown".

use std::sync::Arc;

use chrono::Utc;
use serde_json::Value;

use crate::fal::{FalError, LostAnswer, NotQueuedReason, SubmitAttempt};
use crate::jobs::lookup::Looked;
use crate::jobs::runner::{StepError, note, pre_submit_failure};
use crate::jobs::shared::Inner;
use crate::jobs::state::{JobId, JobState, LostSubmit};

/// How a submit ended, for the job's runner.
#[derive(Debug)]
pub(crate) enum SubmitEnd {
    /// fal has the job and its request id is recorded.
    Queued,
    /// The answer was lost; the job is recorded as "submission unknown".
    Unknown,
    /// Not sent, because the engine is shutting down (the job resumes from "prepared").
    Stopped,
    /// Refused, or certainly not queued after every retry.
    Failed(StepError),
}

fn journal_error(e: impl std::fmt::Display) -> SubmitEnd {
    SubmitEnd::Failed((crate::jobs::FailKind::Storage, e.to_string(), None))
}

impl Inner {
    /// Sends the job's submit on its own task, which a shutdown waits for; the runner (which a
    /// shutdown drops) only awaits its ending.
    pub(crate) async fn submit_shielded(self: &Arc<Self>, id: &JobId, input: Value) -> SubmitEnd {
        let Some(pass) = self.gate.enter() else {
            return SubmitEnd::Stopped;
        };
        let inner = self.clone();
        let task_id = id.clone();
        let task = tokio::spawn(async move {
            let _pass = pass;
            inner.submit_job(&task_id, input).await
        });
        task.await.unwrap_or_else(|e| {
            SubmitEnd::Failed((
                crate::jobs::FailKind::Storage,
                format!(
                    "the submit task stopped unexpectedly ({e}); check the job before retrying"
                ),
                None,
            ))
        })
    }

    async fn submit_job(self: &Arc<Self>, id: &JobId, input: Value) -> SubmitEnd {
        let Some(job) = self.get(id) else {
            return SubmitEnd::Stopped;
        };
        let endpoint_id = job.endpoint_id.clone();
        let prompt = input
            .get("prompt")
            .and_then(Value::as_str)
            .map(str::to_string);
        // On disk before the request: if reelsmith dies during the submit, the next start
        // knows fal may have the job, what was sent and when.
        let recorded = self.update_durably(id, |job| {
            job.input = Some(input.clone());
            if let Some(p) = prompt {
                job.prompt = p;
            }
            job.submit_sent_at = Some(Utc::now());
            job.unknown = None;
            job.set_state(JobState::Submitting);
        });
        if let Err(e) = recorded {
            return journal_error(e);
        }
        let policy = self.client.retry_policy();
        let mut retry = 0u32;
        loop {
            let (reason, error, retry_after) =
                match self.client.submit_once(&endpoint_id, &input).await {
                    SubmitAttempt::Accepted(handle) => {
                        let handle_json = serde_json::to_value(&handle).ok();
                        return match self.update_durably(id, |job| {
                            job.request_id = Some(handle.request_id.clone());
                            job.handle = handle_json;
                            job.submissions += 1;
                            job.set_state(JobState::Submitted);
                        }) {
                            Ok(_) => SubmitEnd::Queued,
                            Err(e) => journal_error(e),
                        };
                    }
                    SubmitAttempt::Refused(e) => return SubmitEnd::Failed(pre_submit_failure(&e)),
                    SubmitAttempt::Unknown(lost) => return self.record_lost(id, lost),
                    SubmitAttempt::NotQueued {
                        reason,
                        error,
                        retry_after,
                    } => (reason, error, retry_after),
                };
            let delay = retry_after
                .map(|d| d.min(policy.max_delay))
                .unwrap_or_else(|| policy.delay(retry));
            if reason == NotQueuedReason::Ingress {
                // fal's rule says an ingress page never arrived, but it came after our body
                // went out: the history must agree before the job is sent again. It gets a
                // moment first to list the request, should it exist after all.
                tokio::time::sleep(delay).await;
                match self.look_before_resending(id).await {
                    Ok(None) => {}
                    Ok(Some(end)) => return end,
                    Err(why) => {
                        let detail = format!(
                            "fal's gateway answered with an error page after the request was \
                             sent, and {why}"
                        );
                        return self.record_lost(
                            id,
                            LostAnswer {
                                detail,
                                request_id: None,
                            },
                        );
                    }
                }
            }
            if self.gate.is_closed() {
                return self.not_sent_yet(id, &error);
            }
            if retry >= policy.max_retries {
                return SubmitEnd::Failed(pre_submit_failure(&error));
            }
            let text = if reason == NotQueuedReason::Ingress {
                format!(
                    "not queued ({error}; fal's request history has no such request); sending again"
                )
            } else {
                format!(
                    "not queued ({error}); sending again in {:.1} s",
                    delay.as_secs_f32()
                )
            };
            self.note(id, &text);
            if reason != NotQueuedReason::Ingress {
                tokio::time::sleep(delay).await;
            }
            retry += 1;
        }
    }

    /// After an ingress page: whether fal's history has the request after all. `Ok(None)`: it
    /// does not, send again; `Ok(Some)`: it does (adopted); `Err`: the history cannot tell.
    async fn look_before_resending(
        self: &Arc<Self>,
        id: &JobId,
    ) -> Result<Option<SubmitEnd>, String> {
        let Some(job) = self.get(id) else {
            return Ok(Some(SubmitEnd::Stopped));
        };
        match self.look_for(&job, JobState::Submitting).await {
            Looked::Adopted => Ok(Some(SubmitEnd::Queued)),
            Looked::Moved => Ok(Some(SubmitEnd::Stopped)),
            Looked::NotFound(_) => Ok(None),
            Looked::Failed(why) => Err(why),
        }
    }

    /// Records a lost answer: the job becomes "submission unknown", durably.
    pub(crate) fn record_lost(&self, id: &JobId, lost: LostAnswer) -> SubmitEnd {
        let text = format!(
            "the answer to the submit was lost: {}; fal may have the job, so it is looked up \
             and not sent again by itself",
            lost.detail
        );
        match self.update_durably(id, |job| {
            job.unknown = Some(LostSubmit {
                reason: lost.detail.clone(),
                request_id_hint: lost.request_id.clone(),
                noticed_at: Utc::now(),
                lookups: 0,
                looked_at: None,
                last_lookup: None,
            });
            job.push_log(note(&text));
            job.set_state(JobState::SubmissionUnknown);
        }) {
            Ok(_) => SubmitEnd::Unknown,
            Err(e) => journal_error(e),
        }
    }

    /// Shutting down after fal certainly did not queue the job: it goes back to "prepared",
    /// so the next start sends it.
    fn not_sent_yet(&self, id: &JobId, error: &FalError) -> SubmitEnd {
        let text = format!("not queued ({error}); it is sent at the next start");
        match self.update_durably(id, |job| {
            job.push_log(note(&text));
            job.set_state(JobState::Prepared);
        }) {
            Ok(_) => SubmitEnd::Stopped,
            Err(e) => journal_error(e),
        }
    }
}
