//! The job rows: a job saved whole after every step, and read back by id, prefix or state.

use std::path::PathBuf;

use rusqlite::{OptionalExtension, Row, params};

use super::{Journal, JournalError, from_ms, ms, opt_ms};
use crate::jobs::state::{FailKind, Failure, Job, JobId, JobState};

impl Journal {
    /// Writes a job (insert or full update) in one transaction. The cancel flag and the claim
    /// are not touched: other processes write those.
    pub fn save_job(&self, job: &Job) -> Result<(), JournalError> {
        let uploads = serde_json::to_string(&job.uploads).unwrap_or_else(|_| "[]".into());
        let logs = serde_json::to_string(&job.logs).unwrap_or_else(|_| "[]".into());
        let download = job
            .download
            .map(|d| serde_json::to_string(&d).unwrap_or_default());
        let form = job.form.to_string();
        let input = job.input.as_ref().map(|v| v.to_string());
        let handle = job.handle.as_ref().map(|v| v.to_string());
        let result = job.result.as_ref().map(|v| v.to_string());
        let (fail_kind, fail_message, fail_type) = match &job.failure {
            Some(f) => (
                Some(f.kind.as_str()),
                Some(f.message.clone()),
                f.error_type.clone(),
            ),
            None => (None, None, None),
        };
        self.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT INTO jobs (id, endpoint_id, prompt, state, form_json, input_json, request_id,
                    handle_json, queue_position, uploads_json, download_json, logs_json,
                    requested_output, output_path, result_json, video_url, seed, fail_kind,
                    fail_message, fail_type, submissions, created_at, submitted_at, started_at,
                    completed_at, finished_at, state_changed_at, simulated, overwrite_output)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                    ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29)
                 ON CONFLICT(id) DO UPDATE SET endpoint_id=excluded.endpoint_id,
                    prompt=excluded.prompt, state=excluded.state, form_json=excluded.form_json,
                    input_json=excluded.input_json, request_id=excluded.request_id,
                    handle_json=excluded.handle_json, queue_position=excluded.queue_position,
                    uploads_json=excluded.uploads_json, download_json=excluded.download_json,
                    logs_json=excluded.logs_json, requested_output=excluded.requested_output,
                    output_path=excluded.output_path, result_json=excluded.result_json,
                    video_url=excluded.video_url, seed=excluded.seed, fail_kind=excluded.fail_kind,
                    fail_message=excluded.fail_message, fail_type=excluded.fail_type,
                    submissions=excluded.submissions, created_at=excluded.created_at,
                    submitted_at=excluded.submitted_at, started_at=excluded.started_at,
                    completed_at=excluded.completed_at, finished_at=excluded.finished_at,
                    state_changed_at=excluded.state_changed_at, simulated=excluded.simulated,
                    overwrite_output=excluded.overwrite_output",
                params![
                    job.id.as_str(),
                    job.endpoint_id,
                    job.prompt,
                    job.state.as_str(),
                    form,
                    input,
                    job.request_id,
                    handle,
                    job.queue_position.map(|p| p as i64),
                    uploads,
                    download,
                    logs,
                    job.requested_output
                        .as_ref()
                        .map(|p| p.to_string_lossy().into_owned()),
                    job.output_path
                        .as_ref()
                        .map(|p| p.to_string_lossy().into_owned()),
                    result,
                    job.video_url,
                    job.seed,
                    fail_kind,
                    fail_message,
                    fail_type,
                    job.submissions,
                    ms(job.created_at),
                    opt_ms(job.submitted_at),
                    opt_ms(job.started_at),
                    opt_ms(job.completed_at),
                    opt_ms(job.finished_at),
                    ms(job.state_changed_at),
                    job.simulated,
                    job.overwrite_output,
                ],
            )?;
            tx.commit()
        })
    }

    /// One job by id.
    pub fn job(&self, id: &JobId) -> Result<Option<Job>, JournalError> {
        let row = self.with(|conn| {
            conn.query_row(
                &format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?1"),
                [id.as_str()],
                read_row,
            )
            .optional()
        })?;
        row.map(|r| self.decode(r)).transpose()
    }

    /// The job whose id is `text` or starts with it (at least 4 characters), if exactly one matches.
    pub fn find_job(&self, text: &str) -> Result<Option<Job>, JournalError> {
        let text = text.trim().to_ascii_lowercase();
        if let Some(job) = self.job(&JobId(text.clone()))? {
            return Ok(Some(job));
        }
        if text.len() < 4 || !text.chars().all(|c| c.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let rows = self.with(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE substr(id, 1, ?2) = ?1 LIMIT 2"
            ))?;
            let rows = stmt
                .query_map(params![text, text.len() as i64], read_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })?;
        if rows.len() == 1 {
            rows.into_iter().next().map(|r| self.decode(r)).transpose()
        } else {
            Ok(None)
        }
    }

    /// All jobs, oldest first.
    pub fn jobs(&self) -> Result<Vec<Job>, JournalError> {
        self.query_jobs("1 = 1")
    }

    /// Jobs that are not done, failed or cancelled, oldest first.
    pub fn unfinished_jobs(&self) -> Result<Vec<Job>, JournalError> {
        self.query_jobs("state NOT IN ('done', 'failed', 'cancelled')")
    }

    /// Jobs matching an SQL `condition` (only ever a constant of this file), oldest first.
    fn query_jobs(&self, condition: &str) -> Result<Vec<Job>, JournalError> {
        let rows = self.with(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE {condition} ORDER BY created_at, id"
            ))?;
            let rows = stmt
                .query_map([], read_row)?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })?;
        rows.into_iter().map(|r| self.decode(r)).collect()
    }

    /// Deletes a job record (not its video).
    pub fn remove_job(&self, id: &JobId) -> Result<bool, JournalError> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let n = tx.execute("DELETE FROM jobs WHERE id = ?1", [id.as_str()])?;
            tx.commit()?;
            Ok(n > 0)
        })
    }

    /// A stored row back as a job; a column that does not decode names the job and the column.
    fn decode(&self, r: RawJob) -> Result<Job, JournalError> {
        let damaged = |detail: String| JournalError::Damaged {
            path: self.path.clone(),
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
            created_at: from_ms(r.created_at),
            submitted_at: r.submitted_at.map(from_ms),
            started_at: r.started_at.map(from_ms),
            completed_at: r.completed_at.map(from_ms),
            finished_at: r.finished_at.map(from_ms),
            state_changed_at: from_ms(r.state_changed_at),
            simulated: r.simulated,
        })
    }
}

/// The columns [`read_row`] reads, in its order.
const JOB_COLUMNS: &str = "id, endpoint_id, prompt, state, form_json, input_json, request_id,
    handle_json, queue_position, uploads_json, download_json, logs_json, requested_output,
    output_path, result_json, video_url, seed, fail_kind, fail_message, fail_type, submissions,
    created_at, submitted_at, started_at, completed_at, finished_at, state_changed_at, simulated,
    overwrite_output";

/// A job row as stored, before JSON decoding.
struct RawJob {
    id: String,
    endpoint_id: String,
    prompt: String,
    state: String,
    form_json: String,
    input_json: Option<String>,
    request_id: Option<String>,
    handle_json: Option<String>,
    queue_position: Option<i64>,
    uploads_json: String,
    download_json: Option<String>,
    logs_json: String,
    requested_output: Option<String>,
    output_path: Option<String>,
    result_json: Option<String>,
    video_url: Option<String>,
    seed: Option<i64>,
    fail_kind: Option<String>,
    fail_message: Option<String>,
    fail_type: Option<String>,
    submissions: i64,
    created_at: i64,
    submitted_at: Option<i64>,
    started_at: Option<i64>,
    completed_at: Option<i64>,
    finished_at: Option<i64>,
    state_changed_at: i64,
    simulated: bool,
    overwrite_output: bool,
}

/// One row of [`JOB_COLUMNS`] as stored.
fn read_row(r: &Row<'_>) -> rusqlite::Result<RawJob> {
    Ok(RawJob {
        id: r.get(0)?,
        endpoint_id: r.get(1)?,
        prompt: r.get(2)?,
        state: r.get(3)?,
        form_json: r.get(4)?,
        input_json: r.get(5)?,
        request_id: r.get(6)?,
        handle_json: r.get(7)?,
        queue_position: r.get(8)?,
        uploads_json: r.get(9)?,
        download_json: r.get(10)?,
        logs_json: r.get(11)?,
        requested_output: r.get(12)?,
        output_path: r.get(13)?,
        result_json: r.get(14)?,
        video_url: r.get(15)?,
        seed: r.get(16)?,
        fail_kind: r.get(17)?,
        fail_message: r.get(18)?,
        fail_type: r.get(19)?,
        submissions: r.get(20)?,
        created_at: r.get(21)?,
        submitted_at: r.get(22)?,
        started_at: r.get(23)?,
        completed_at: r.get(24)?,
        finished_at: r.get(25)?,
        state_changed_at: r.get(26)?,
        simulated: r.get(27)?,
        overwrite_output: r.get(28)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::state::JobLog;
    use crate::store::migrations::SCHEMA_VERSION;
    use crate::store::tests::sample_job;

    #[test]
    fn job_round_trips_through_a_real_file() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open_in(dir.path()).unwrap();
        let mut job = sample_job();
        journal.save_job(&job).unwrap();
        job.set_state(JobState::Submitted);
        job.request_id = Some("req-1".into());
        job.handle = Some(serde_json::json!({"request_id": "req-1"}));
        job.push_log(JobLog {
            message: "hello".into(),
            level: Some("INFO".into()),
            timestamp: None,
        });
        journal.save_job(&job).unwrap();
        drop(journal);

        let journal = Journal::open_in(dir.path()).unwrap();
        let back = journal.job(&job.id).unwrap().unwrap();
        assert_eq!(back.request_id.as_deref(), Some("req-1"));
        assert_eq!(back.state, JobState::Submitted);
        assert_eq!(back.logs.len(), 1);
        assert_eq!(back.uploads, job.uploads);
        assert_eq!(
            back.created_at.timestamp_millis(),
            job.created_at.timestamp_millis()
        );
        assert_eq!(journal.unfinished_jobs().unwrap().len(), 1);
        let mode: String = journal
            .with(|c| c.query_row("PRAGMA journal_mode", [], |r| r.get(0)))
            .unwrap();
        assert_eq!(mode, "wal");
        let version: i64 = journal
            .with(|c| c.pragma_query_value(None, "user_version", |r| r.get(0)))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }

    #[test]
    fn prefix_lookup_and_remove() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open_in(dir.path()).unwrap();
        let job = sample_job();
        journal.save_job(&job).unwrap();
        let found = journal.find_job(&job.id.as_str()[..8]).unwrap().unwrap();
        assert_eq!(found.id, job.id);
        assert!(journal.find_job("zz").unwrap().is_none());
        assert!(journal.remove_job(&job.id).unwrap());
        assert!(journal.job(&job.id).unwrap().is_none());
    }
}
