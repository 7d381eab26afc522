//! Jobs whose submission is unknown: the two commands the user has for them (look in fal's
//! request history again; submit again, at a price) and the words both front ends show.

use chrono::{DateTime, Utc};

use crate::jobs::engine::EngineHandle;
use crate::jobs::error::EngineError;
use crate::jobs::lookup::Looked;
use crate::jobs::runner::note;
use crate::jobs::shared::lock;
use crate::jobs::state::{Job, JobId, JobState};
use crate::schema::cost::{CostEstimate, estimate};

/// The title of an unknown job, in the window and on the command line.
pub const UNKNOWN_HEADLINE: &str = "Unknown — check before paying again";

/// What a look in fal's request history found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookOutcome {
    /// fal has the job: it continues from this request id.
    Found(String),
    /// Nothing fits (why).
    NotFound(String),
    /// The history could not be read (why).
    Unavailable(String),
    /// The job is no longer unknown.
    NotUnknown(JobState),
}

/// What the front ends show for an unknown job.
#[derive(Debug, Clone, PartialEq)]
pub struct UnknownSummary {
    /// [`UNKNOWN_HEADLINE`].
    pub headline: &'static str,
    /// When the submit went out.
    pub sent_at: Option<DateTime<Utc>>,
    /// What happened to its answer.
    pub reason: String,
    /// What the last look in the history found, and when.
    pub last_lookup: Option<(DateTime<Utc>, String)>,
    /// The input that was sent, pretty-printed.
    pub sent: String,
    /// What submitting it again costs, when the price is known.
    pub resubmit_cost: Option<CostEstimate>,
}

impl UnknownSummary {
    /// The label of the "submit again" action: "Submit again (costs ≈ $1.60)".
    pub fn resubmit_label(&self) -> String {
        match &self.resubmit_cost {
            Some(c) => format!("Submit again (costs ≈ ${:.2})", c.usd),
            None => "Submit again (cost unknown)".to_string(),
        }
    }
}

/// What to show for `job` while its submission is unknown (`None` for other states).
pub fn summary(job: &Job) -> Option<UnknownSummary> {
    if job.state != JobState::SubmissionUnknown {
        return None;
    }
    let lost = job.unknown.as_ref();
    Some(UnknownSummary {
        headline: UNKNOWN_HEADLINE,
        sent_at: job.submit_sent_at,
        reason: lost
            .map(|u| u.reason.clone())
            .unwrap_or_else(|| "the answer to the submit was lost".into()),
        last_lookup: lost.and_then(|u| Some((u.looked_at?, u.last_lookup.clone()?))),
        sent: job
            .input
            .as_ref()
            .and_then(|i| serde_json::to_string_pretty(i).ok())
            .unwrap_or_else(|| "(nothing recorded)".into()),
        resubmit_cost: job
            .input
            .as_ref()
            .and_then(|input| estimate(&job.endpoint_id, input)),
    })
}

impl EngineHandle {
    fn unknown_job(&self, id: &JobId) -> Result<Job, EngineError> {
        let job = self
            .journal()
            .job(id)?
            .or_else(|| self.job(id))
            .ok_or_else(|| EngineError::UnknownJob(id.to_string()))?;
        if job.state != JobState::SubmissionUnknown {
            return Err(EngineError::NotAllowed {
                id: id.clone(),
                state: job.state,
                what: "only a job whose submission is unknown can be looked up or submitted \
                       again this way"
                    .into(),
            });
        }
        Ok(job)
    }

    /// Claims a job (the row as claimed replaces the engine's copy), or says who runs it.
    fn claim_for_command(&self, id: &JobId, state: JobState) -> Result<Job, EngineError> {
        match self.inner.claim(id)? {
            Some(fresh) => {
                lock(&self.inner.jobs).insert(id.clone(), fresh.clone());
                Ok(fresh)
            }
            None => Err(EngineError::NotAllowed {
                id: id.clone(),
                state,
                what: "another reelsmith process is running it".into(),
            }),
        }
    }

    /// Looks in fal's request history again for a job whose submission is unknown; when fal
    /// has it, the job continues from there. Never submits.
    pub async fn look_again(&self, id: &JobId) -> Result<LookOutcome, EngineError> {
        let job = self.unknown_job(id)?;
        if !self.inner.is_running(id) {
            let fresh = self.claim_for_command(id, job.state)?;
            if fresh.state != JobState::SubmissionUnknown {
                return Ok(LookOutcome::NotUnknown(fresh.state));
            }
        }
        let outcome = match self.inner.look_once(id).await {
            Looked::Adopted => {
                let request_id = self
                    .inner
                    .get(id)
                    .and_then(|j| j.request_id)
                    .unwrap_or_default();
                self.inner.spawn_runner(id.clone());
                LookOutcome::Found(request_id)
            }
            Looked::NotFound(why) => LookOutcome::NotFound(why),
            Looked::Failed(why) => LookOutcome::Unavailable(why),
            Looked::Moved => LookOutcome::NotUnknown(
                self.inner
                    .get(id)
                    .map_or(JobState::SubmissionUnknown, |j| j.state),
            ),
        };
        Ok(outcome)
    }

    /// Submits a job whose submission is unknown once more, at the user's word: if fal did get
    /// the first submit, both are charged. Uploads are reused.
    pub async fn resubmit_unknown(&self, id: &JobId) -> Result<(), EngineError> {
        let job = self.unknown_job(id)?;
        let running = self.inner.is_running(id);
        if !running {
            self.claim_for_command(id, job.state)?;
        }
        let sent = job
            .submit_sent_at
            .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
            .unwrap_or_else(|| "an unknown time".into());
        let text = format!(
            "submitted again at the user's word; the submit sent at {sent} may have reached fal \
             too (then both are charged)"
        );
        // Checked and changed under one lock: a lookup that finds the job meanwhile wins.
        let changed = self.inner.update_if(
            id,
            |job| job.state == JobState::SubmissionUnknown,
            |job| {
                job.unknown = None;
                job.push_log(note(&text));
                job.set_state(JobState::Prepared);
            },
        )?;
        let Some(job) = changed else {
            let state = self.inner.get(id).map_or(job.state, |j| j.state);
            return Err(EngineError::NotAllowed {
                id: id.clone(),
                state,
                what: "fal's request history had it after all; it is followed, not sent again"
                    .into(),
            });
        };
        // A lookup still running sees the change and goes on to submit; a task that is just
        // ending starts again (see `spawn_runner`).
        self.inner.spawn_runner(job.id.clone());
        Ok(())
    }
}
