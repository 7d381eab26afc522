//! A job row as stored and its decoding into a [`Job`]; a row that does not decode is a
//! [`DamagedRow`] naming the job and the column, never a reason to stop reading the others.

use std::path::{Path, PathBuf};

use rusqlite::Row;

use super::{JournalError, from_ms};
use crate::jobs::state::{FailKind, Failure, Job, JobId, JobState};

/// A job row that could not be read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DamagedRow {
    /// The job's id, when even that could be read.
    pub id: Option<String>,
    /// What was wrong.
    pub detail: String,
}

impl std::fmt::Display for DamagedRow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.id {
            Some(id) => write!(f, "job {id}: {}", self.detail),
            None => write!(f, "a job record: {}", self.detail),
        }
    }
}

/// The columns [`read_row`] reads, in its order.
pub(super) const JOB_COLUMNS: &str = "id, endpoint_id, prompt, state, form_json, input_json,
    request_id, handle_json, queue_position, uploads_json, download_json, logs_json,
    requested_output, output_path, result_json, video_url, seed, fail_kind, fail_message,
    fail_type, submissions, created_at, submitted_at, started_at, completed_at, finished_at,
    state_changed_at, simulated, submit_sent_at, unknown_json, overwrite_output, cost_json";

/// A job row as stored, before JSON decoding.
pub(super) struct RawJob {
    pub(super) id: String,
    pub(super) endpoint_id: String,
    pub(super) prompt: String,
    pub(super) state: String,
    pub(super) form_json: String,
    pub(super) input_json: Option<String>,
    pub(super) request_id: Option<String>,
    pub(super) handle_json: Option<String>,
    pub(super) queue_position: Option<i64>,
    pub(super) uploads_json: String,
    pub(super) download_json: Option<String>,
    pub(super) logs_json: String,
    pub(super) requested_output: Option<String>,
    pub(super) output_path: Option<String>,
    pub(super) result_json: Option<String>,
    pub(super) video_url: Option<String>,
    pub(super) seed: Option<i64>,
    pub(super) fail_kind: Option<String>,
    pub(super) fail_message: Option<String>,
    pub(super) fail_type: Option<String>,
    pub(super) submissions: i64,
    pub(super) created_at: i64,
    pub(super) submitted_at: Option<i64>,
    pub(super) started_at: Option<i64>,
    pub(super) completed_at: Option<i64>,
    pub(super) finished_at: Option<i64>,
    pub(super) state_changed_at: i64,
    pub(super) simulated: bool,
    pub(super) submit_sent_at: Option<i64>,
    pub(super) unknown_json: Option<String>,
    pub(super) overwrite_output: bool,
    pub(super) cost_json: Option<String>,
}

/// One row of [`JOB_COLUMNS`] (starting at column `at`) as stored.
pub(super) fn read_row_at(r: &Row<'_>, at: usize) -> rusqlite::Result<RawJob> {
    Ok(RawJob {
        id: r.get(at)?,
        endpoint_id: r.get(at + 1)?,
        prompt: r.get(at + 2)?,
        state: r.get(at + 3)?,
        form_json: r.get(at + 4)?,
        input_json: r.get(at + 5)?,
        request_id: r.get(at + 6)?,
        handle_json: r.get(at + 7)?,
        queue_position: r.get(at + 8)?,
        uploads_json: r.get(at + 9)?,
        download_json: r.get(at + 10)?,
        logs_json: r.get(at + 11)?,
        requested_output: r.get(at + 12)?,
        output_path: r.get(at + 13)?,
        result_json: r.get(at + 14)?,
        video_url: r.get(at + 15)?,
        seed: r.get(at + 16)?,
        fail_kind: r.get(at + 17)?,
        fail_message: r.get(at + 18)?,
        fail_type: r.get(at + 19)?,
        submissions: r.get(at + 20)?,
        created_at: r.get(at + 21)?,
        submitted_at: r.get(at + 22)?,
        started_at: r.get(at + 23)?,
        completed_at: r.get(at + 24)?,
        finished_at: r.get(at + 25)?,
        state_changed_at: r.get(at + 26)?,
        simulated: r.get(at + 27)?,
        submit_sent_at: r.get(at + 28)?,
        unknown_json: r.get(at + 29)?,
        // NULL in a journal salvaged from before the column existed.
        overwrite_output: r.get::<_, Option<bool>>(at + 30)?.unwrap_or(false),
        cost_json: r.get(at + 31)?,
    })
}

/// One row of [`JOB_COLUMNS`] as stored.
pub(super) fn read_row(r: &Row<'_>) -> rusqlite::Result<RawJob> {
    read_row_at(r, 0)
}

/// A row [`read_row`] refused: its id if that column reads, and SQLite's complaint.
pub(super) fn refused_row(r: &Row<'_>, at: usize, e: &rusqlite::Error) -> DamagedRow {
    DamagedRow {
        id: r.get::<_, String>(at).ok(),
        detail: format!("a column cannot be read ({e})"),
    }
}

/// A stored row back as a job; a column that does not decode names the job and the column.
/// Columns only shown to the user (logs, download progress) fall back to empty instead.
pub(super) fn decode(path: &Path, r: RawJob) -> Result<Job, JournalError> {
    let damaged = |detail: String| JournalError::Damaged {
        path: path.to_path_buf(),
        detail,
    };
    let json = |text: &str, what: &str| {
        serde_json::from_str::<serde_json::Value>(text)
            .map_err(|e| damaged(format!("job {}: {what}: {e}", r.id)))
    };
    let state = JobState::parse(&r.state)
        .ok_or_else(|| damaged(format!("job {}: unknown state {:?}", r.id, r.state)))?;
    let failure = match r.fail_kind.as_deref() {
        Some(kind) => Some(Failure {
            kind: FailKind::parse(kind).unwrap_or(FailKind::Protocol),
            message: r.fail_message.clone().unwrap_or_default(),
            error_type: r.fail_type.clone(),
        }),
        None => None,
    };
    Ok(Job {
        id: JobId(r.id.clone()),
        endpoint_id: r.endpoint_id.clone(),
        prompt: r.prompt.clone(),
        state,
        form: json(&r.form_json, "form")?,
        input: r
            .input_json
            .as_deref()
            .map(|t| json(t, "input"))
            .transpose()?,
        request_id: r.request_id.clone(),
        handle: r
            .handle_json
            .as_deref()
            .map(|t| json(t, "handle"))
            .transpose()?,
        queue_position: r.queue_position.map(|p| p.max(0) as u64),
        uploads: serde_json::from_str(&r.uploads_json)
            .map_err(|e| damaged(format!("job {}: uploads: {e}", r.id)))?,
        download: r
            .download_json
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok()),
        logs: serde_json::from_str(&r.logs_json).unwrap_or_default(),
        requested_output: r.requested_output.clone().map(PathBuf::from),
        overwrite_output: r.overwrite_output,
        output_path: r.output_path.clone().map(PathBuf::from),
        result: r
            .result_json
            .as_deref()
            .map(|t| json(t, "result"))
            .transpose()?,
        video_url: r.video_url.clone(),
        seed: r.seed,
        failure,
        submissions: r.submissions.max(0) as u32,
        submit_sent_at: r.submit_sent_at.map(from_ms),
        unknown: r
            .unknown_json
            .as_deref()
            .map(|t| {
                serde_json::from_str(t)
                    .map_err(|e| damaged(format!("job {}: lost submit: {e}", r.id)))
            })
            .transpose()?,
        created_at: from_ms(r.created_at),
        submitted_at: r.submitted_at.map(from_ms),
        started_at: r.started_at.map(from_ms),
        completed_at: r.completed_at.map(from_ms),
        finished_at: r.finished_at.map(from_ms),
        state_changed_at: from_ms(r.state_changed_at),
        simulated: r.simulated,
        // Only shown and summed, never used to decide a submit: unreadable means unknown.
        cost: r
            .cost_json
            .as_deref()
            .and_then(|t| serde_json::from_str(t).ok())
            .unwrap_or_default(),
    })
}
