//! Who runs a job: the engine instance that claimed it, and cancel requests from other processes.
//!
//! These columns of the job rows are written by other processes too, so a job save never
//! touches them.

use rusqlite::{OptionalExtension, params};

use super::{Journal, JournalError};
use crate::jobs::state::JobId;

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

    /// Claims a job for engine `instance` unless another live instance holds it.
    /// `is_live(other)` says whether the holder still runs. Returns true when claimed.
    pub fn claim_job(
        &self,
        id: &JobId,
        instance: &str,
        is_live: &dyn Fn(&str) -> bool,
    ) -> Result<bool, JournalError> {
        self.with(|conn| {
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let holder: Option<Option<String>> = tx
                .query_row(
                    "SELECT claimed_by FROM jobs WHERE id = ?1",
                    [id.as_str()],
                    |r| r.get(0),
                )
                .optional()?;
            let Some(holder) = holder else {
                return Ok(false);
            };
            if let Some(other) = holder
                && other != instance
                && is_live(&other)
            {
                return Ok(false);
            }
            tx.execute(
                "UPDATE jobs SET claimed_by = ?2 WHERE id = ?1",
                params![id.as_str(), instance],
            )?;
            tx.commit()?;
            Ok(true)
        })
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
        assert!(journal.claim_job(&job.id, "one", &|_| true).unwrap());
        assert!(!journal.claim_job(&job.id, "two", &|_| true).unwrap());
        assert!(journal.claim_job(&job.id, "two", &|_| false).unwrap());
        assert_eq!(journal.claim_of(&job.id).unwrap().as_deref(), Some("two"));
        journal.release_claims("two").unwrap();
        assert_eq!(journal.claim_of(&job.id).unwrap(), None);
    }
}
