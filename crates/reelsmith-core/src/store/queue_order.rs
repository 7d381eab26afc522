//! The order the user gave to jobs not yet submitted: the next free slot goes to the first.

use rusqlite::params;

use super::{Journal, JournalError};
use crate::jobs::state::JobId;

impl Journal {
    /// Replaces the stored order with `ids` (first starts first).
    pub fn set_queue_order(&self, ids: &[JobId]) -> Result<(), JournalError> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM queue_order", [])?;
            for (position, id) in ids.iter().enumerate() {
                tx.execute(
                    "INSERT INTO queue_order (job_id, position) VALUES (?1, ?2)",
                    params![id.as_str(), position as i64],
                )?;
            }
            tx.commit()
        })
    }

    /// The stored order, first first (jobs since removed may still be named).
    pub fn queue_order(&self) -> Result<Vec<JobId>, JournalError> {
        self.with(|conn| {
            let mut stmt = conn.prepare("SELECT job_id FROM queue_order ORDER BY position")?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0).map(JobId))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_kept_across_opens() {
        let dir = tempfile::tempdir().unwrap();
        let ids = [JobId("b".into()), JobId("a".into()), JobId("c".into())];
        Journal::open_in(dir.path())
            .unwrap()
            .set_queue_order(&ids)
            .unwrap();
        let back = Journal::open_in(dir.path()).unwrap().queue_order().unwrap();
        assert_eq!(back, ids);
    }
}
