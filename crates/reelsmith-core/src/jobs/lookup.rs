//! fal's request history, seen from the engine: finding a submission whose answer was lost
//! (and adopting its request id), and the output of a job whose queue result expired.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::Value;

use crate::fal::platform::{HistoryItem, HistoryQuery, history::MAX_LIMIT};
use crate::jobs::events::ChangeKind;
use crate::jobs::matching::{self, CLOCK_SKEW, Match, Sent};
use crate::jobs::runner::note;
use crate::jobs::shared::{Inner, lock};
use crate::jobs::state::{Job, JobId, JobState};
use crate::store::{Adoption, JournalError};

/// Pages of history read per look at most (100 requests each).
const MAX_PAGES: usize = 20;

/// What one look found.
#[derive(Debug)]
pub(crate) enum Looked {
    /// The request was found and the job now holds its id.
    Adopted,
    /// Nothing fits (why, in words).
    NotFound(String),
    /// The history could not be read (why, in words).
    Failed(String),
    /// The job is no longer unknown (adopted or resubmitted meanwhile).
    Moved,
}

/// The output fal's history kept for a request.
#[derive(Debug)]
pub(crate) enum Archived {
    /// The model's output.
    Output(Value),
    /// The request ended with an error.
    Failed(String),
    /// The history has no output for it (why, in words).
    Missing(String),
}

impl Inner {
    /// Looks for the job's lost submission until it is found or `lookup_patience` (counted from
    /// when the answer was lost) has passed; always looks at least once. Never submits.
    pub(crate) async fn recover_unknown(self: &Arc<Self>, id: &JobId) {
        let mut delay = Duration::from_secs(2);
        loop {
            match self.look_once(id).await {
                Looked::Adopted | Looked::Moved => return,
                Looked::NotFound(_) | Looked::Failed(_) => {}
            }
            let Some(job) = self.get(id) else { return };
            if job.state != JobState::SubmissionUnknown {
                return;
            }
            let since = job
                .unknown
                .as_ref()
                .map(|u| u.noticed_at)
                .unwrap_or(job.state_changed_at);
            let waited = (Utc::now() - since).to_std().unwrap_or_default();
            if waited + delay > self.config.lookup_patience || self.gate.is_closed() {
                return;
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(30));
        }
    }

    /// One look in the history for the job's lost submission, recorded on the job.
    pub(crate) async fn look_once(&self, id: &JobId) -> Looked {
        let Some(job) = self.get(id) else {
            return Looked::Moved;
        };
        if job.state != JobState::SubmissionUnknown {
            return Looked::Moved;
        }
        self.look_for(&job, JobState::SubmissionUnknown).await
    }

    /// One look for `job`'s submission, adopting what is found while the job is still in
    /// `expected` (unknown, or submitting when an ingress page asks whether to send again).
    pub(crate) async fn look_for(&self, job: &Job, expected: JobState) -> Looked {
        let id = &job.id;
        let outcome = self.search(job).await;
        let (text, found) = match outcome {
            Ok(Match::One(item)) => (
                format!(
                    "found in fal's request history as request {}",
                    item.request_id
                ),
                Some(item),
            ),
            Ok(Match::Closest { chosen, others }) => (
                format!(
                    "found in fal's request history as request {}; {} other request(s) with the \
                     same input fit too ({}), this one was received closest to the send time",
                    chosen.request_id,
                    others.len(),
                    others.join(", ")
                ),
                Some(chosen),
            ),
            Ok(Match::None(why)) => (format!("not found in fal's request history ({why})"), None),
            Err(e) => (
                format!("fal's request history could not be read: {e}"),
                None,
            ),
        };
        let failed = text.starts_with("fal's request history could not");
        let Some(item) = found else {
            let recorded = self.update(id, ChangeKind::Log, |job| {
                // Repeated lookups that find the same nothing add no new log line.
                let same = job
                    .unknown
                    .as_ref()
                    .is_some_and(|u| u.last_lookup.as_deref() == Some(text.as_str()));
                if let Some(u) = job.unknown.as_mut() {
                    u.lookups += 1;
                    u.looked_at = Some(Utc::now());
                    u.last_lookup = Some(text.clone());
                }
                if !same {
                    job.push_log(note(&text));
                }
            });
            if let Err(e) = recorded {
                tracing::error!("job {id}: could not record a lookup: {e}");
            }
            return if failed {
                Looked::Failed(text)
            } else {
                Looked::NotFound(text)
            };
        };
        match self.adopt(id, &item, &text, expected) {
            Ok(Some(true)) => Looked::Adopted,
            Ok(Some(false)) => {
                let why = format!(
                    "request {} fits but another job holds it; not adopted",
                    item.request_id
                );
                self.note(id, &why);
                Looked::NotFound(why)
            }
            Ok(None) => Looked::Moved,
            Err(e) => Looked::Failed(format!("the found request could not be recorded: {e}")),
        }
    }

    /// Reads the history around the job's submit and matches it.
    async fn search(&self, job: &Job) -> Result<Match, String> {
        let Some(input) = job.input.as_ref() else {
            return Ok(Match::None(Default::default()));
        };
        let now = Utc::now();
        let sent_at = job.submit_sent_at.unwrap_or(job.state_changed_at);
        let noticed_at = job.unknown.as_ref().map_or(now, |u| u.noticed_at);
        let mut items: Vec<HistoryItem> = Vec::new();
        let hint = job.unknown.as_ref().and_then(|u| u.request_id_hint.clone());
        let end = now.max(noticed_at) + chrono::Duration::minutes(1);
        if let Some(hint) = hint {
            let by_id = HistoryQuery {
                endpoint_id: job.endpoint_id.clone(),
                start: sent_at - chrono::Duration::hours(1),
                end,
                request_id: Some(hint),
                payloads: true,
                limit: 10,
            };
            // A hint that is not fal's request id finds nothing; the window search follows.
            if let Ok(found) = self.client.request_history(&by_id, 1).await {
                items.extend(found.items);
            }
        }
        let window = HistoryQuery {
            endpoint_id: job.endpoint_id.clone(),
            start: sent_at - CLOCK_SKEW,
            end,
            request_id: None,
            payloads: true,
            limit: MAX_LIMIT,
        };
        let listed = self
            .client
            .request_history(&window, MAX_PAGES)
            .await
            .map_err(|e| e.user_message())?;
        items.extend(listed.items);
        let mut taken: HashSet<String> = self
            .journal
            .request_ids_in_use()
            .map_err(|e| e.to_string())?;
        if let Some(own) = &job.request_id {
            taken.remove(own);
        }
        let sent = Sent {
            endpoint_id: &job.endpoint_id,
            input,
            sent_at,
            noticed_at,
        };
        Ok(matching::find(sent, &items, &taken))
    }

    /// Gives the job the request id found in the history, unless the job moved on meanwhile
    /// (`None`) or another job holds the id (`Some(false)`). The journal check and the
    /// in-memory change happen under one lock, so a "submit again" cannot slip in between.
    fn adopt(
        &self,
        id: &JobId,
        item: &HistoryItem,
        text: &str,
        expected: JobState,
    ) -> Result<Option<bool>, JournalError> {
        let handle = self.client.handle_for(&item.endpoint_id, &item.request_id);
        let mut jobs = lock(&self.jobs);
        let Some(job) = jobs.get_mut(id) else {
            return Ok(None);
        };
        if job.state != expected {
            return Ok(None);
        }
        let mut next = job.clone();
        next.request_id = Some(item.request_id.clone());
        next.handle = serde_json::to_value(&handle).ok();
        next.unknown = None;
        next.submissions += 1;
        next.submitted_at = item.sent_at.or(next.submit_sent_at);
        next.push_log(note(text));
        next.set_state(JobState::Submitted);
        match self.journal.save_adopted(&next)? {
            Adoption::Adopted => {
                *job = next.clone();
                drop(jobs);
                self.emit(&next, ChangeKind::State);
                Ok(Some(true))
            }
            Adoption::HeldBy(other) => {
                tracing::warn!(
                    "job {id}: request {} is held by job {other}",
                    item.request_id
                );
                Ok(Some(false))
            }
        }
    }

    /// The output fal's request history kept for the job's request (its queue result is gone).
    pub(crate) async fn archived_result(&self, job: &Job) -> Archived {
        let Some(request_id) = job.request_id.clone() else {
            return Archived::Missing("the job has no request id".into());
        };
        let since = job
            .submit_sent_at
            .or(job.submitted_at)
            .unwrap_or(job.created_at);
        let query = HistoryQuery {
            endpoint_id: job.endpoint_id.clone(),
            start: since - chrono::Duration::days(1),
            end: Utc::now() + chrono::Duration::minutes(1),
            request_id: Some(request_id.clone()),
            payloads: true,
            limit: 10,
        };
        let listed = match self.client.request_history(&query, 1).await {
            Ok(l) => l,
            Err(e) => return Archived::Missing(e.user_message()),
        };
        let Some(item) = listed
            .items
            .into_iter()
            .find(|i| i.request_id == request_id)
        else {
            return Archived::Missing(format!(
                "fal's request history has no request {request_id} either"
            ));
        };
        let ok = |c: u16| (200..300).contains(&c);
        match (item.status_code, item.json_output) {
            (None, _) => Archived::Missing(format!(
                "fal's request history lists request {request_id} as not finished"
            )),
            (Some(code), Some(output)) if ok(code) => Archived::Output(output),
            (Some(code), output) if !ok(code) => {
                let detail = output
                    .as_ref()
                    .map(|o| {
                        let body =
                            crate::fal::error::parse_error_body(o.to_string().as_bytes(), None);
                        format!(": {}", body.message)
                    })
                    .unwrap_or_default();
                Archived::Failed(format!("the request ended with HTTP {code} at fal{detail}"))
            }
            (Some(_), _) => Archived::Missing(format!(
                "fal's request history lists request {request_id} as finished but without its \
                 output (payloads expire after about 30 days)"
            )),
        }
    }
}
