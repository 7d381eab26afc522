//! The journal's schema, versioned with `PRAGMA user_version` and brought up to date on open.

use std::path::Path;

use rusqlite::Connection;

use super::JournalError;

/// The schema version this code writes: one version per step of [`STEPS`].
pub(super) const SCHEMA_VERSION: i64 = STEPS.len() as i64;

/// The table of version 1.
const V1: &str = "CREATE TABLE IF NOT EXISTS jobs (
        id TEXT PRIMARY KEY,
        endpoint_id TEXT NOT NULL,
        prompt TEXT NOT NULL DEFAULT '',
        state TEXT NOT NULL,
        form_json TEXT NOT NULL,
        input_json TEXT,
        request_id TEXT,
        handle_json TEXT,
        queue_position INTEGER,
        uploads_json TEXT NOT NULL DEFAULT '[]',
        download_json TEXT,
        logs_json TEXT NOT NULL DEFAULT '[]',
        requested_output TEXT,
        output_path TEXT,
        result_json TEXT,
        video_url TEXT,
        seed INTEGER,
        fail_kind TEXT,
        fail_message TEXT,
        fail_type TEXT,
        submissions INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        submitted_at INTEGER,
        started_at INTEGER,
        completed_at INTEGER,
        finished_at INTEGER,
        state_changed_at INTEGER NOT NULL,
        simulated INTEGER NOT NULL DEFAULT 0,
        cancel_requested INTEGER NOT NULL DEFAULT 0,
        claimed_by TEXT
     );
     CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state);
     CREATE TABLE IF NOT EXISTS uploads (
        blake3 TEXT PRIMARY KEY,
        url TEXT NOT NULL,
        size INTEGER NOT NULL,
        content_type TEXT,
        uploaded_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
     );
     CREATE TABLE IF NOT EXISTS library (
        job_id TEXT PRIMARY KEY,
        path TEXT NOT NULL UNIQUE,
        sidecar TEXT NOT NULL,
        endpoint_id TEXT NOT NULL,
        prompt TEXT NOT NULL,
        request_id TEXT,
        seed INTEGER,
        size INTEGER NOT NULL,
        blake3 TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        finished_at INTEGER NOT NULL
     );";

/// Version 2: when the last submit went out, and what is known of a lost answer.
const V2: &str = "ALTER TABLE jobs ADD COLUMN submit_sent_at INTEGER;
     ALTER TABLE jobs ADD COLUMN unknown_json TEXT;
     CREATE INDEX IF NOT EXISTS jobs_request_id ON jobs(request_id);";

/// What a job cost: its estimate at submit and what fal billed (issue 14).
const COSTS: &str = "ALTER TABLE jobs ADD COLUMN cost_json TEXT;";

/// The migration steps in order: step `n` takes a journal from version `n` to `n + 1`. New
/// steps go last.
const STEPS: &[&str] = &[V1, V2, COSTS];

/// Brings the schema to [`SCHEMA_VERSION`], one step per version, each in a transaction that
/// reads the version again first: several processes may open a new journal at once, and only
/// the first applies each step.
pub(super) fn migrate(conn: &Connection, path: &Path) -> Result<(), JournalError> {
    let err = |source| JournalError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    loop {
        conn.execute_batch("BEGIN IMMEDIATE").map_err(err)?;
        let step = (|| -> Result<bool, JournalError> {
            let version: i64 = conn
                .pragma_query_value(None, "user_version", |r| r.get(0))
                .map_err(err)?;
            if version > SCHEMA_VERSION {
                return Err(JournalError::TooNew {
                    path: path.to_path_buf(),
                    found: version,
                    known: SCHEMA_VERSION,
                });
            }
            let Some(sql) = usize::try_from(version).ok().and_then(|v| STEPS.get(v)) else {
                return Ok(false);
            };
            conn.execute_batch(sql).map_err(err)?;
            conn.pragma_update(None, "user_version", version + 1)
                .map_err(err)?;
            Ok(true)
        })();
        match step {
            Ok(more) => {
                conn.execute_batch("COMMIT").map_err(err)?;
                if !more {
                    return Ok(());
                }
            }
            Err(e) => {
                // The step's error is what matters; a failed rollback changes nothing more.
                if let Err(rollback) = conn.execute_batch("ROLLBACK") {
                    tracing::warn!(
                        "rolling back a failed migration of {}: {rollback}",
                        path.display()
                    );
                }
                return Err(e);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{JOURNAL_FILE, Journal};

    #[test]
    fn a_version_1_journal_gains_the_new_columns() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        {
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE jobs (id TEXT PRIMARY KEY, endpoint_id TEXT NOT NULL,
                    prompt TEXT NOT NULL DEFAULT '', state TEXT NOT NULL, form_json TEXT NOT NULL,
                    input_json TEXT, request_id TEXT, handle_json TEXT, queue_position INTEGER,
                    uploads_json TEXT NOT NULL DEFAULT '[]', download_json TEXT,
                    logs_json TEXT NOT NULL DEFAULT '[]', requested_output TEXT, output_path TEXT,
                    result_json TEXT, video_url TEXT, seed INTEGER, fail_kind TEXT,
                    fail_message TEXT, fail_type TEXT, submissions INTEGER NOT NULL DEFAULT 0,
                    created_at INTEGER NOT NULL, submitted_at INTEGER, started_at INTEGER,
                    completed_at INTEGER, finished_at INTEGER, state_changed_at INTEGER NOT NULL,
                    simulated INTEGER NOT NULL DEFAULT 0,
                    cancel_requested INTEGER NOT NULL DEFAULT 0, claimed_by TEXT);
                 CREATE TABLE uploads (blake3 TEXT PRIMARY KEY, url TEXT NOT NULL,
                    size INTEGER NOT NULL, content_type TEXT, uploaded_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL);
                 CREATE TABLE library (job_id TEXT PRIMARY KEY, path TEXT NOT NULL UNIQUE,
                    sidecar TEXT NOT NULL, endpoint_id TEXT NOT NULL, prompt TEXT NOT NULL,
                    request_id TEXT, seed INTEGER, size INTEGER NOT NULL, blake3 TEXT NOT NULL,
                    created_at INTEGER NOT NULL, finished_at INTEGER NOT NULL);
                 INSERT INTO jobs (id, endpoint_id, state, form_json, request_id, created_at,
                    state_changed_at) VALUES ('abcd', 'fal-ai/veo3.1', 'submitted', '{}', 'r-1', 0, 0);
                 PRAGMA user_version = 1;",
            )
            .unwrap();
        }
        let journal = Journal::open(&path).unwrap();
        let job = journal
            .job(&crate::jobs::JobId("abcd".into()))
            .unwrap()
            .unwrap();
        assert_eq!(job.request_id.as_deref(), Some("r-1"));
        assert_eq!(job.submit_sent_at, None);
        assert_eq!(job.unknown, None);
    }

    #[test]
    fn two_processes_opening_a_new_journal_at_once_both_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        let threads: Vec<_> = (0..6)
            .map(|_| {
                let path = path.clone();
                std::thread::spawn(move || Journal::open(&path).map(|_| ()))
            })
            .collect();
        for t in threads {
            t.join().unwrap().unwrap();
        }
        let journal = Journal::open(&path).unwrap();
        assert!(journal.recovery().is_none());
    }

    #[test]
    fn newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        {
            let conn = Connection::open(&path).unwrap();
            conn.pragma_update(None, "user_version", 99).unwrap();
        }
        assert!(matches!(
            Journal::open(&path),
            Err(JournalError::TooNew { found: 99, .. })
        ));
    }
}
