//! Who runs a job: the engine instance that claimed it, and cancel requests from other processes.
//!
//! These columns of the job rows are written by other processes too, so a job save never
//! touches them.

use rusqlite::{OptionalExtension, params};

use super::rows::{JOB_COLUMNS, decode, read_row_at};
use super::{Journal, JournalError};
use crate::jobs::state::{Job, JobId};

impl Journal {
    /// Marks a job for cancellation (read by the process that runs it).
    pub fn request_cancel(&self, id: &JobId) -> Result<bool, JournalError> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            let n = tx.execute(
                "UPDATE jobs SET cancel_requested = 1 WHERE id = ?1",
                [id.as_str()],
            )?;
            tx.commit()?;
            Ok(n > 0)
        })
    }

    /// True when someone asked for this job to be cancelled.
    pub fn cancel_requested(&self, id: &JobId) -> Result<bool, JournalError> {
        self.with(|conn| {
            conn.query_row(
                "SELECT cancel_requested FROM jobs WHERE id = ?1",
                [id.as_str()],
                |r| r.get::<_, bool>(0),
            )
            .optional()
            .map(|v| v.unwrap_or(false))
        })
    }

    /// Clears the cancel flag (a retry of a cancelled job).
    pub fn clear_cancel(&self, id: &JobId) -> Result<(), JournalError> {
        self.with(|conn| {
            conn.execute(
                "UPDATE jobs SET cancel_requested = 0 WHERE id = ?1",
                [id.as_str()],
            )
            .map(|_| ())
        })
    }

    /// The engine instance that runs a job, if any claimed it.
    pub fn claim_of(&self, id: &JobId) -> Result<Option<String>, JournalError> {
        self.with(|conn| {
            conn.query_row(
                "SELECT claimed_by FROM jobs WHERE id = ?1",
                [id.as_str()],
                |r| r.get::<_, Option<String>>(0),
            )
            .optional()
            .map(Option::flatten)
        })
    }

    /// Claims a job for engine `instance` unless another live instance holds it, and returns
    /// the row as read inside the claim's own transaction: a caller never acts on a copy read
    /// before another process wrote (say) the request id. `is_live(other)` says whether the
    /// holder still runs. `None` when another holds it, or there is no such job.
    pub fn claim_job(
        &self,
        id: &JobId,
        instance: &str,
        is_live: &dyn Fn(&str) -> bool,
    ) -> Result<Option<Job>, JournalError> {
        let raw = self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let row = tx
                .query_row(
                    &format!("SELECT claimed_by, {JOB_COLUMNS} FROM jobs WHERE id = ?1"),
                    [id.as_str()],
                    |r| Ok((r.get::<_, Option<String>>(0)?, read_row_at(r, 1)?)),
                )
                .optional()?;
            let Some((holder, raw)) = row else {
                return Ok(None);
            };
            if let Some(other) = holder
                && other != instance
                && is_live(&other)
            {
                return Ok(None);
            }
            tx.execute(
                "UPDATE jobs SET claimed_by = ?2 WHERE id = ?1",
                params![id.as_str(), instance],
            )?;
            tx.commit()?;
            Ok(Some(raw))
        })?;
        raw.map(|r| decode(&self.path, r)).transpose()
    }

    /// Releases every claim of an engine instance (on shutdown).
    pub fn release_claims(&self, instance: &str) -> Result<(), JournalError> {
        self.with(|conn| {
            conn.execute(
                "UPDATE jobs SET claimed_by = NULL WHERE claimed_by = ?1",
                [instance],
            )
            .map(|_| ())
        })
    }

    /// Ids of jobs held by `instance` that someone asked to cancel.
    pub fn cancels_for(&self, instance: &str) -> Result<Vec<JobId>, JournalError> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT id FROM jobs WHERE claimed_by = ?1 AND cancel_requested = 1
                   AND state NOT IN ('done', 'failed', 'cancelled')",
            )?;
            let ids = stmt
                .query_map([instance], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(ids.into_iter().map(JobId).collect())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::state::JobState;
    use crate::store::tests::sample_job;

    #[test]
    fn save_keeps_cancel_flag_written_by_another_process() {
        let dir = tempfile::tempdir().unwrap();
        let a = Journal::open_in(dir.path()).unwrap();
        let b = Journal::open_in(dir.path()).unwrap();
        let mut job = sample_job();
        a.save_job(&job).unwrap();
        assert!(b.request_cancel(&job.id).unwrap());
        job.set_state(JobState::Uploading);
        a.save_job(&job).unwrap();
        assert!(a.cancel_requested(&job.id).unwrap());
    }

    #[test]
    fn claims_respect_live_holders() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open_in(dir.path()).unwrap();
        let job = sample_job();
        journal.save_job(&job).unwrap();
        assert!(
            journal
                .claim_job(&job.id, "one", &|_| true)
                .unwrap()
                .is_some()
        );
        assert!(
            journal
                .claim_job(&job.id, "two", &|_| true)
                .unwrap()
                .is_none()
        );
        assert!(
            journal
                .claim_job(&job.id, "two", &|_| false)
                .unwrap()
                .is_some()
        );
        assert_eq!(journal.claim_of(&job.id).unwrap().as_deref(), Some("two"));
        journal.release_claims("two").unwrap();
        assert_eq!(journal.claim_of(&job.id).unwrap(), None);
    }

    #[test]
    fn a_claim_returns_the_row_another_process_wrote_last() {
        let dir = tempfile::tempdir().unwrap();
        let resumer = Journal::open_in(dir.path()).unwrap();
        let submitter = Journal::open_in(dir.path()).unwrap();
        let mut job = sample_job();
        job.set_state(JobState::Submitting);
        resumer.save_job(&job).unwrap();
        // The resumer's list is read first…
        let stale = resumer.unfinished_jobs().unwrap().remove(0);
        assert_eq!(stale.request_id, None);
        // …then the submitting process records fal's answer and dies (its claim is dead).
        assert!(
            submitter
                .claim_job(&job.id, "dead", &|_| false)
                .unwrap()
                .is_some()
        );
        job.request_id = Some("req-from-fal".into());
        job.set_state(JobState::Submitted);
        submitter.save_job_durably(&job).unwrap();
        // The claim hands over the row as it is now, not the stale copy.
        let claimed = resumer
            .claim_job(&job.id, "resumer", &|_| false)
            .unwrap()
            .unwrap();
        assert_eq!(claimed.request_id.as_deref(), Some("req-from-fal"));
        assert_eq!(claimed.state, JobState::Submitted);
        assert!(
            resumer
                .claim_job(&JobId("nope".into()), "resumer", &|_| false)
                .unwrap()
                .is_none()
        );
    }
}
