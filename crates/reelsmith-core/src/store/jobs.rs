//! The job rows: a job saved whole after every step, and read back by id, prefix or state.
//! A row that cannot be read is reported and skipped; the others are still read.

use std::collections::HashSet;

use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{DamagedRow, JOB_COLUMNS, RawJob, decode, read_row, refused_row};
use super::{Journal, JournalError, ms, opt_ms};
use crate::jobs::state::{Job, JobId};

/// Writes `job` whole (insert or full update) on `conn`; the cancel flag and the claim are
/// left alone (other processes write those).
pub(super) fn write_job(conn: &Connection, job: &Job) -> rusqlite::Result<()> {
    let uploads = serde_json::to_string(&job.uploads).unwrap_or_else(|_| "[]".into());
    let logs = serde_json::to_string(&job.logs).unwrap_or_else(|_| "[]".into());
    let download = job
        .download
        .map(|d| serde_json::to_string(&d).unwrap_or_default());
    let form = job.form.to_string();
    let input = job.input.as_ref().map(|v| v.to_string());
    let handle = job.handle.as_ref().map(|v| v.to_string());
    let result = job.result.as_ref().map(|v| v.to_string());
    let unknown = job
        .unknown
        .as_ref()
        .and_then(|u| serde_json::to_string(u).ok());
    let cost = (job.cost != crate::money::JobCost::default())
        .then(|| serde_json::to_string(&job.cost).ok())
        .flatten();
    let (fail_kind, fail_message, fail_type) = match &job.failure {
        Some(f) => (
            Some(f.kind.as_str()),
            Some(f.message.clone()),
            f.error_type.clone(),
        ),
        None => (None, None, None),
    };
    conn.execute(
        "INSERT INTO jobs (id, endpoint_id, prompt, state, form_json, input_json, request_id,
            handle_json, queue_position, uploads_json, download_json, logs_json,
            requested_output, output_path, result_json, video_url, seed, fail_kind,
            fail_message, fail_type, submissions, created_at, submitted_at, started_at,
            completed_at, finished_at, state_changed_at, simulated, submit_sent_at, unknown_json,
            overwrite_output, cost_json)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
            ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32)
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
            submit_sent_at=excluded.submit_sent_at, unknown_json=excluded.unknown_json,
            overwrite_output=excluded.overwrite_output, cost_json=excluded.cost_json",
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
            opt_ms(job.submit_sent_at),
            unknown,
            job.overwrite_output,
            cost,
        ],
    )
    .map(|_| ())
}

/// What adopting a request id for a job came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Adoption {
    /// The job now holds the id (written durably).
    Adopted,
    /// Another job of the journal already holds it; nothing was written.
    HeldBy(JobId),
}

impl Journal {
    /// Writes a job (insert or full update) in one transaction. The cancel flag and the claim
    /// are not touched: other processes write those.
    pub fn save_job(&self, job: &Job) -> Result<(), JournalError> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            write_job(&tx, job)?;
            tx.commit()
        })
    }

    /// [`Journal::save_job`], synced to disk before it returns (`synchronous=FULL` for this
    /// commit): for the rows that decide whether money is spent twice — the job about to be
    /// submitted, and the request id fal gave it.
    pub fn save_job_durably(&self, job: &Job) -> Result<(), JournalError> {
        self.durably(|conn| {
            let tx = conn.transaction()?;
            write_job(&tx, job)?;
            tx.commit()
        })
    }

    /// Saves `job` (which carries a request id found in fal's history) unless another job
    /// already holds that request id, in one transaction, durably.
    pub fn save_adopted(&self, job: &Job) -> Result<Adoption, JournalError> {
        let Some(request_id) = job.request_id.clone() else {
            return Err(JournalError::Damaged {
                path: self.path.clone(),
                detail: format!("job {}: adopted without a request id", job.id),
            });
        };
        self.durably(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let holder: Option<String> = tx
                .query_row(
                    "SELECT id FROM jobs WHERE request_id = ?1 AND id <> ?2 LIMIT 1",
                    params![request_id, job.id.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(other) = holder {
                return Ok(Adoption::HeldBy(JobId(other)));
            }
            write_job(&tx, job)?;
            tx.commit()?;
            Ok(Adoption::Adopted)
        })
    }

    /// Every request id some job of the journal holds.
    pub fn request_ids_in_use(&self) -> Result<HashSet<String>, JournalError> {
        self.with(|conn| {
            let mut stmt =
                conn.prepare("SELECT request_id FROM jobs WHERE request_id IS NOT NULL")?;
            let ids = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<HashSet<_>>>()?;
            Ok(ids)
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
        row.map(|r| decode(&self.path, r)).transpose()
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
            rows.into_iter()
                .next()
                .map(|r| decode(&self.path, r))
                .transpose()
        } else {
            Ok(None)
        }
    }

    /// All jobs, oldest first; rows that cannot be read are skipped (see
    /// [`Journal::jobs_checked`]).
    pub fn jobs(&self) -> Result<Vec<Job>, JournalError> {
        Ok(self.query_jobs("1 = 1")?.0)
    }

    /// All jobs, oldest first, and the rows that could not be read (reported, not fatal).
    pub fn jobs_checked(&self) -> Result<(Vec<Job>, Vec<DamagedRow>), JournalError> {
        self.query_jobs("1 = 1")
    }

    /// Jobs a start resumes by itself, oldest first: not done, failed or cancelled, and not
    /// waiting for the user's word on an unknown submission.
    pub fn unfinished_jobs(&self) -> Result<Vec<Job>, JournalError> {
        Ok(self
            .query_jobs("state NOT IN ('done', 'failed', 'cancelled', 'submission_unknown')")?
            .0)
    }

    /// Jobs whose submission is unknown, oldest first.
    pub fn unknown_jobs(&self) -> Result<Vec<Job>, JournalError> {
        Ok(self.query_jobs("state = 'submission_unknown'")?.0)
    }

    /// Jobs matching an SQL `condition` (only ever a constant of this file), oldest first,
    /// with the rows that did not read or decode.
    fn query_jobs(&self, condition: &str) -> Result<(Vec<Job>, Vec<DamagedRow>), JournalError> {
        let (rows, mut damaged) = self.with(|conn| {
            let mut stmt = conn.prepare(&format!(
                "SELECT {JOB_COLUMNS} FROM jobs WHERE {condition} ORDER BY created_at, id"
            ))?;
            let mut rows: Vec<RawJob> = Vec::new();
            let mut damaged = Vec::new();
            let mut cursor = stmt.query([])?;
            while let Some(row) = cursor.next()? {
                match read_row(row) {
                    Ok(raw) => rows.push(raw),
                    Err(e) => damaged.push(refused_row(row, 0, &e)),
                }
            }
            Ok((rows, damaged))
        })?;
        let mut jobs = Vec::with_capacity(rows.len());
        for raw in rows {
            let id = raw.id.clone();
            match decode(&self.path, raw) {
                Ok(job) => jobs.push(job),
                Err(e) => damaged.push(DamagedRow {
                    id: Some(id),
                    detail: e.to_string(),
                }),
            }
        }
        for row in &damaged {
            tracing::warn!(
                "skipped an unreadable row of {}: {row}",
                self.path.display()
            );
        }
        Ok((jobs, damaged))
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
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::state::{JobLog, JobState};
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
    fn an_unreadable_row_is_reported_and_the_others_still_read() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open_in(dir.path()).unwrap();
        let good = sample_job();
        let mut bad = sample_job();
        bad.prompt = "bad".into();
        let mut blob = sample_job();
        blob.prompt = "blob".into();
        for job in [&good, &bad, &blob] {
            journal.save_job(job).unwrap();
        }
        journal
            .with(|c| {
                c.execute(
                    "UPDATE jobs SET form_json = '{not json' WHERE id = ?1",
                    [bad.id.as_str()],
                )?;
                // A blob where text belongs: the row does not even read.
                c.execute(
                    "UPDATE jobs SET uploads_json = x'00ff' WHERE id = ?1",
                    [blob.id.as_str()],
                )
            })
            .unwrap();
        let (jobs, damaged) = journal.jobs_checked().unwrap();
        assert_eq!(jobs.iter().map(|j| &j.id).collect::<Vec<_>>(), [&good.id]);
        assert_eq!(damaged.len(), 2);
        let ids: Vec<_> = damaged.iter().filter_map(|d| d.id.clone()).collect();
        assert!(ids.contains(&bad.id.to_string()) && ids.contains(&blob.id.to_string()));
        assert!(damaged.iter().any(|d| d.to_string().contains("form")));
        assert_eq!(journal.jobs().unwrap().len(), 1);
        assert_eq!(journal.unfinished_jobs().unwrap().len(), 1);
    }

    #[test]
    fn a_request_id_another_job_holds_is_never_adopted() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open_in(dir.path()).unwrap();
        let mut holder = sample_job();
        holder.request_id = Some("req-1".into());
        journal.save_job(&holder).unwrap();
        let mut lost = sample_job();
        lost.set_state(JobState::SubmissionUnknown);
        journal.save_job(&lost).unwrap();
        lost.request_id = Some("req-1".into());
        lost.set_state(JobState::Submitted);
        assert_eq!(
            journal.save_adopted(&lost).unwrap(),
            Adoption::HeldBy(holder.id.clone())
        );
        let stored = journal.job(&lost.id).unwrap().unwrap();
        assert_eq!(stored.state, JobState::SubmissionUnknown);
        assert_eq!(stored.request_id, None);
        lost.request_id = Some("req-2".into());
        assert_eq!(journal.save_adopted(&lost).unwrap(), Adoption::Adopted);
        assert_eq!(
            journal.request_ids_in_use().unwrap(),
            ["req-1".to_string(), "req-2".to_string()].into()
        );
        // A durable save leaves the connection at NORMAL for everything else.
        journal.save_job_durably(&lost).unwrap();
        let sync: i64 = journal
            .with(|c| c.pragma_query_value(None, "synchronous", |r| r.get(0)))
            .unwrap();
        assert_eq!(sync, 1, "NORMAL");
        assert_eq!(journal.unknown_jobs().unwrap().len(), 0);
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
