//! The journal's schema, versioned with `PRAGMA user_version` and brought up to date on open.

use std::path::Path;

use rusqlite::Connection;

use super::JournalError;

/// The schema version this code writes.
pub(super) const SCHEMA_VERSION: i64 = 7;

/// One step: the version it brings the schema to, and the change. Each runs inside its own
/// `BEGIN IMMEDIATE` transaction after reading the version under that lock, so processes opening
/// a journal at once never apply a step twice.
type Step = (i64, fn(&Connection) -> rusqlite::Result<()>);

const STEPS: [Step; 7] = [
    (1, create_tables),
    (2, uploads_by_storage),
    (3, add_overwrite_output),
    (4, submission_unknown),
    (5, storyboards),
    (6, job_costs),
    (7, marks_and_queue_order),
];

/// Brings the schema to [`SCHEMA_VERSION`], one step per version, each in a transaction.
pub(super) fn migrate(conn: &Connection, path: &Path) -> Result<(), JournalError> {
    let err = |source| JournalError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    for (target, apply) in STEPS {
        conn.execute_batch("BEGIN IMMEDIATE").map_err(err)?;
        let step = || -> Result<(), JournalError> {
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
            if version < target {
                apply(conn).map_err(err)?;
                conn.pragma_update(None, "user_version", target)
                    .map_err(err)?;
            }
            Ok(())
        };
        match step() {
            Ok(()) => conn.execute_batch("COMMIT").map_err(err)?,
            Err(e) => {
                // The step's error is the one to report; a failed rollback is only logged.
                if let Err(rollback) = conn.execute_batch("ROLLBACK") {
                    tracing::warn!("the journal migration could not be rolled back: {rollback}");
                }
                return Err(e);
            }
        }
    }
    Ok(())
}

/// Version 1: jobs, the upload cache and the library index.
fn create_tables(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "
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
             );",
    )
}

/// Version 5: storyboards, one row each with its shots as JSON. Self-contained (IF NOT EXISTS)
/// so its place in the list may change when other steps are merged.
fn storyboards(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS storyboards (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            shots_json TEXT NOT NULL DEFAULT '[]',
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
         );
         CREATE UNIQUE INDEX IF NOT EXISTS storyboards_name ON storyboards(name COLLATE NOCASE);",
    )
}

/// Version 2: the upload cache is keyed by the storage an upload was made at (its REST base
/// URL) as well as the content hash. Rows from before have no storage (''): kept, never reused.
fn uploads_by_storage(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE uploads_by_storage (
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
         ALTER TABLE uploads_by_storage RENAME TO uploads;",
    )
}

/// Version 3: whether `-o PATH --force` may replace an existing file at PATH. Added only if
/// missing, so a journal a test (or an older build) left half-way still opens.
fn add_overwrite_output(conn: &Connection) -> rusqlite::Result<()> {
    let present = conn
        .prepare("SELECT 1 FROM pragma_table_info('jobs') WHERE name = 'overwrite_output'")?
        .exists([])?;
    if !present {
        conn.execute_batch(
            "ALTER TABLE jobs ADD COLUMN overwrite_output INTEGER NOT NULL DEFAULT 0",
        )?;
    }
    Ok(())
}

/// Version 4: when the last submit went out, and what is known of a submit whose answer was
/// lost ("submission unknown"); request ids are looked up when a lost answer is adopted.
fn submission_unknown(conn: &Connection) -> rusqlite::Result<()> {
    for (column, kind) in [("submit_sent_at", "INTEGER"), ("unknown_json", "TEXT")] {
        let present = conn
            .prepare("SELECT 1 FROM pragma_table_info('jobs') WHERE name = ?1")?
            .exists([column])?;
        if !present {
            conn.execute_batch(&format!("ALTER TABLE jobs ADD COLUMN {column} {kind}"))?;
        }
    }
    conn.execute_batch("CREATE INDEX IF NOT EXISTS jobs_request_id ON jobs(request_id)")
}

/// Version 6: what a job cost, its estimate at submit and what fal billed (issue 14). Added
/// only if missing, like the other column steps.
fn job_costs(conn: &Connection) -> rusqlite::Result<()> {
    let present = conn
        .prepare("SELECT 1 FROM pragma_table_info('jobs') WHERE name = 'cost_json'")?
        .exists([])?;
    if !present {
        conn.execute_batch("ALTER TABLE jobs ADD COLUMN cost_json TEXT")?;
    }
    Ok(())
}

/// Version 7: favourite/reject marks of library videos (by job id, so they outlive a rebuilt
/// index), and the order the user gave to jobs not yet submitted.
fn marks_and_queue_order(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS marks (
            job_id TEXT PRIMARY KEY,
            favourite INTEGER NOT NULL DEFAULT 0,
            rejected INTEGER NOT NULL DEFAULT 0,
            changed_at INTEGER NOT NULL
         );
         CREATE TABLE IF NOT EXISTS queue_order (
            job_id TEXT PRIMARY KEY,
            position INTEGER NOT NULL
         );",
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
            create_tables(&conn).unwrap();
            conn.pragma_update(None, "user_version", 1).unwrap();
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
    fn a_version_2_journal_gains_the_overwrite_flag_and_keeps_its_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        let job = crate::jobs::Job::new("fal-ai/veo3.1", "kept", serde_json::json!({}));
        Journal::open(&path).unwrap().save_job(&job).unwrap();
        {
            // Back to how version 2 left it.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch(
                "ALTER TABLE jobs DROP COLUMN overwrite_output; PRAGMA user_version = 2;",
            )
            .unwrap();
        }
        let journal = Journal::open(&path).unwrap();
        let back = journal.job(&job.id).unwrap().unwrap();
        assert_eq!(back.prompt, "kept");
        assert!(!back.overwrite_output);
        let mut forced = back.clone();
        forced.overwrite_output = true;
        journal.save_job(&forced).unwrap();
        assert!(journal.job(&job.id).unwrap().unwrap().overwrite_output);
    }

    #[test]
    fn a_journal_left_at_version_2_with_the_column_opens() {
        // The column present but the version not yet raised (an interrupted or older build).
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        drop(Journal::open(&path).unwrap());
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 2)
            .unwrap();
        let journal = Journal::open(&path).unwrap();
        assert!(journal.jobs().unwrap().is_empty());
        let version: i64 = Connection::open(&path)
            .unwrap()
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }

    #[test]
    fn a_version_4_journal_gains_storyboards_and_keeps_its_jobs() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        let job = crate::jobs::Job::new("fal-ai/veo3.1", "kept", serde_json::json!({}));
        Journal::open(&path).unwrap().save_job(&job).unwrap();
        {
            // Back to how version 4 left it: no storyboards table.
            let conn = Connection::open(&path).unwrap();
            conn.execute_batch("DROP TABLE storyboards; PRAGMA user_version = 4;")
                .unwrap();
        }
        let journal = Journal::open(&path).unwrap();
        assert_eq!(journal.job(&job.id).unwrap().unwrap().prompt, "kept");
        let board = crate::film::storyboard::Storyboard::new("Opening").unwrap();
        assert!(journal.save_storyboard(&board).unwrap());
        assert_eq!(journal.storyboards().unwrap().len(), 1);
    }

    #[test]
    fn processes_opening_a_new_journal_at_once_all_succeed() {
        for _ in 0..10 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join(JOURNAL_FILE);
            std::thread::scope(|s| {
                let handles: Vec<_> = (0..4).map(|_| s.spawn(|| Journal::open(&path))).collect();
                for h in handles {
                    h.join().unwrap().unwrap();
                }
            });
            assert!(Journal::open(&path).unwrap().jobs().unwrap().is_empty());
        }
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
}
