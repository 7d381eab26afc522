//! The journal's schema, versioned with `PRAGMA user_version` and brought up to date on open.

use std::path::Path;

use rusqlite::Connection;

use super::JournalError;

/// The schema version this code writes.
pub(super) const SCHEMA_VERSION: i64 = 3;

/// Brings the schema to [`SCHEMA_VERSION`], one step per version, each in a transaction.
pub(super) fn migrate(conn: &Connection, path: &Path) -> Result<(), JournalError> {
    let err = |source| JournalError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
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
    if version < 1 {
        conn.execute_batch(
            "BEGIN IMMEDIATE;
             CREATE TABLE IF NOT EXISTS jobs (
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
             );
             PRAGMA user_version = 1;
             COMMIT;",
        )
        .map_err(err)?;
    }
    if version < 2 {
        uploads_by_storage(conn).map_err(err)?;
    }
    if version < 3 {
        storyboards(conn).map_err(err)?;
    }
    Ok(())
}

/// Version 3: storyboards, one row each with its shots as JSON.
fn storyboards(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "BEGIN IMMEDIATE;
         CREATE TABLE IF NOT EXISTS storyboards (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            shots_json TEXT NOT NULL DEFAULT '[]',
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
         );
         CREATE UNIQUE INDEX IF NOT EXISTS storyboards_name ON storyboards(name COLLATE NOCASE);
         PRAGMA user_version = 3;
         COMMIT;",
    )
}

/// Version 2: the upload cache is keyed by the storage an upload was made at (its REST base
/// URL) as well as the content hash. Rows from before have no storage (''): kept, never reused.
fn uploads_by_storage(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "BEGIN IMMEDIATE;
         CREATE TABLE uploads_by_storage (
            storage TEXT NOT NULL,
            blake3 TEXT NOT NULL,
            url TEXT NOT NULL,
            size INTEGER NOT NULL,
            content_type TEXT,
            uploaded_at INTEGER NOT NULL,
            expires_at INTEGER NOT NULL,
            PRIMARY KEY (storage, blake3)
         );
         INSERT INTO uploads_by_storage
            SELECT '', blake3, url, size, content_type, uploaded_at, expires_at FROM uploads;
         DROP TABLE uploads;
         ALTER TABLE uploads_by_storage RENAME TO uploads;
         PRAGMA user_version = 2;
         COMMIT;",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{JOURNAL_FILE, Journal};

    #[test]
    fn old_uploads_are_kept_but_never_reused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        let far = chrono::Utc::now() + chrono::Duration::days(1);
        {
            // A version 1 journal with one cached upload (keyed by hash alone).
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "CREATE TABLE uploads (blake3 TEXT PRIMARY KEY, url TEXT NOT NULL,
                    size INTEGER NOT NULL, content_type TEXT, uploaded_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL);
                 PRAGMA user_version = 1;",
            )
            .unwrap();
            conn.execute(
                "INSERT INTO uploads VALUES ('abc', 'http://127.0.0.1:9/cdn/files/a', 3, NULL, 0, ?1)",
                [far.timestamp_millis()],
            )
            .unwrap();
        }
        let journal = Journal::open(&path).unwrap();
        let now = chrono::Utc::now();
        for storage in ["https://rest.fal.ai", "http://127.0.0.1:9/rest", ""] {
            assert_eq!(journal.cached_upload(storage, "abc", now).unwrap(), None);
        }
        let version: i64 = Connection::open(&path)
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
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
