//! The journal: a SQLite file that records every job before money is spent and every step after.
//!
//! WAL mode, one transaction per write, schema versioned with `PRAGMA user_version`. A file that
//! cannot be opened as a database is moved aside (never deleted) and a fresh one is created; the
//! caller then rebuilds the library index from the sidecars.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::jobs::state::{FailKind, Failure, Job, JobId, JobState};
use crate::library::item::LibraryItem;

/// The journal's file name inside the data directory.
pub const JOURNAL_FILE: &str = "journal.sqlite3";

/// The schema version this code writes.
const SCHEMA_VERSION: i64 = 1;

/// Errors of the journal.
#[derive(Debug, thiserror::Error)]
pub enum JournalError {
    /// SQLite refused an operation.
    #[error("the job journal {path} could not be used: {source}")]
    Sqlite {
        /// The journal file.
        path: PathBuf,
        /// What SQLite said.
        source: rusqlite::Error,
    },
    /// A file operation around the journal failed.
    #[error(
        "the job journal at {path} could not be prepared: {source}; check that the folder is writable"
    )]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The journal was written by a newer reelsmith.
    #[error(
        "the job journal {path} was written by a newer reelsmith (schema {found}, this one knows {known}); update reelsmith"
    )]
    TooNew {
        /// The journal file.
        path: PathBuf,
        /// The version found.
        found: i64,
        /// The version this build writes.
        known: i64,
    },
    /// A stored row could not be read back.
    #[error("a job record in {path} is damaged: {detail}")]
    Damaged {
        /// The journal file.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
}

/// An entry of the upload cache: a file's content hash and the URL fal gave for it.
#[derive(Debug, Clone, PartialEq)]
pub struct CachedUpload {
    /// blake3 of the content, hex.
    pub blake3: String,
    /// The URL fal gave.
    pub url: String,
    /// Size in bytes.
    pub size: u64,
    /// The content type sent.
    pub content_type: Option<String>,
    /// When it was uploaded.
    pub uploaded_at: DateTime<Utc>,
    /// After this the URL is not trusted any more and the file is uploaded again.
    pub expires_at: DateTime<Utc>,
}

/// The job journal (also home of the upload cache and the library index).
pub struct Journal {
    conn: Mutex<Connection>,
    path: PathBuf,
    recovered_from: Option<PathBuf>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

fn opt_ms(t: Option<DateTime<Utc>>) -> Option<i64> {
    t.map(ms)
}

impl Journal {
    /// Opens (or creates) the journal in `dir` (usually `paths::data_dir()`).
    pub fn open_in(dir: &Path) -> Result<Journal, JournalError> {
        std::fs::create_dir_all(dir).map_err(|source| JournalError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
        Journal::open(&dir.join(JOURNAL_FILE))
    }

    /// Opens (or creates) the journal at `path`. A damaged file is moved aside to
    /// `<path>.damaged-<time>` and a new journal is created; see [`Journal::recovered_from`].
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        match Journal::open_checked(path) {
            Ok(conn) => Ok(Journal {
                conn: Mutex::new(conn),
                path: path.to_path_buf(),
                recovered_from: None,
            }),
            Err(JournalError::Sqlite { source, .. }) if is_corruption(&source) => {
                let aside = set_aside(path)?;
                tracing::warn!(
                    "the job journal {} was damaged; kept it as {} and started a new one",
                    path.display(),
                    aside.display()
                );
                let conn = Journal::open_checked(path)?;
                Ok(Journal {
                    conn: Mutex::new(conn),
                    path: path.to_path_buf(),
                    recovered_from: Some(aside),
                })
            }
            Err(e) => Err(e),
        }
    }

    fn open_checked(path: &Path) -> Result<Connection, JournalError> {
        let err = |source| JournalError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let conn = Connection::open(path).map_err(err)?;
        conn.busy_timeout(Duration::from_secs(10)).map_err(err)?;
        // The first real read: a file that is not a database fails here.
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(err)?;
        if check != "ok" {
            return Err(err(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_CORRUPT),
                Some(check),
            )));
        }
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(err)?;
        // NORMAL in WAL mode is durable against application crashes (the case that matters);
        // only an OS crash can lose the last commits.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(err)?;
        migrate(&conn, path)?;
        Ok(conn)
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the damaged journal was kept, when this open had to start a new one.
    pub fn recovered_from(&self) -> Option<&Path> {
        self.recovered_from.as_deref()
    }

    fn with<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, JournalError> {
        let mut guard = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard).map_err(|source| JournalError::Sqlite {
            path: self.path.clone(),
            source,
        })
    }

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
                    completed_at, finished_at, state_changed_at, simulated)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                    ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)
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
                    state_changed_at=excluded.state_changed_at, simulated=excluded.simulated",
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

    // ---- upload cache ----

    /// The cached upload of content `blake3`, if it has not expired at `now`.
    pub fn cached_upload(
        &self,
        blake3: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<CachedUpload>, JournalError> {
        let found = self.with(|conn| {
            conn.query_row(
                "SELECT blake3, url, size, content_type, uploaded_at, expires_at
                   FROM uploads WHERE blake3 = ?1",
                [blake3],
                |r| {
                    Ok(CachedUpload {
                        blake3: r.get(0)?,
                        url: r.get(1)?,
                        size: r.get::<_, i64>(2)? as u64,
                        content_type: r.get(3)?,
                        uploaded_at: from_ms(r.get(4)?),
                        expires_at: from_ms(r.get(5)?),
                    })
                },
            )
            .optional()
        })?;
        Ok(found.filter(|c| c.expires_at > now))
    }

    /// Records an upload in the cache (replacing an older one of the same content).
    pub fn store_upload(&self, entry: &CachedUpload) -> Result<(), JournalError> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            tx.execute(
                "INSERT OR REPLACE INTO uploads (blake3, url, size, content_type, uploaded_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    entry.blake3,
                    entry.url,
                    entry.size as i64,
                    entry.content_type,
                    ms(entry.uploaded_at),
                    ms(entry.expires_at)
                ],
            )?;
            tx.commit()
        })
    }

    /// Drops cache entries that expired before `now`; returns how many.
    pub fn prune_uploads(&self, now: DateTime<Utc>) -> Result<usize, JournalError> {
        self.with(|conn| conn.execute("DELETE FROM uploads WHERE expires_at <= ?1", [ms(now)]))
    }

    // ---- library index ----

    /// Adds (or replaces) a finished video in the library index.
    pub fn index_item(&self, item: &LibraryItem) -> Result<(), JournalError> {
        self.with(|conn| {
            let tx = conn.transaction()?;
            // A file path belongs to one item: a rebuilt or re-downloaded entry replaces the old.
            tx.execute(
                "DELETE FROM library WHERE path = ?1 AND job_id <> ?2",
                params![item.path.to_string_lossy(), item.job_id],
            )?;
            tx.execute(
                "INSERT OR REPLACE INTO library (job_id, path, sidecar, endpoint_id, prompt,
                    request_id, seed, size, blake3, created_at, finished_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    item.job_id,
                    item.path.to_string_lossy(),
                    item.sidecar.to_string_lossy(),
                    item.endpoint_id,
                    item.prompt,
                    item.request_id,
                    item.seed,
                    item.size as i64,
                    item.blake3,
                    ms(item.created_at),
                    ms(item.finished_at)
                ],
            )?;
            tx.commit()
        })
    }

    /// Every video in the library index, newest first.
    pub fn library_items(&self) -> Result<Vec<LibraryItem>, JournalError> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT job_id, path, sidecar, endpoint_id, prompt, request_id, seed, size, blake3,
                        created_at, finished_at
                   FROM library ORDER BY finished_at DESC, job_id",
            )?;
            let items = stmt
                .query_map([], |r| {
                    Ok(LibraryItem {
                        job_id: r.get(0)?,
                        path: PathBuf::from(r.get::<_, String>(1)?),
                        sidecar: PathBuf::from(r.get::<_, String>(2)?),
                        endpoint_id: r.get(3)?,
                        prompt: r.get(4)?,
                        request_id: r.get(5)?,
                        seed: r.get(6)?,
                        size: r.get::<_, i64>(7)? as u64,
                        blake3: r.get(8)?,
                        created_at: from_ms(r.get(9)?),
                        finished_at: from_ms(r.get(10)?),
                    })
                })?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(items)
        })
    }

    /// Removes a video from the index (not from disk).
    pub fn unindex(&self, job_id: &str) -> Result<bool, JournalError> {
        self.with(|conn| {
            conn.execute("DELETE FROM library WHERE job_id = ?1", [job_id])
                .map(|n| n > 0)
        })
    }

    /// Output paths reserved by jobs that are not finished (so two jobs never share a name).
    pub fn reserved_outputs(&self) -> Result<Vec<PathBuf>, JournalError> {
        self.with(|conn| {
            let mut stmt = conn.prepare(
                "SELECT output_path FROM jobs WHERE output_path IS NOT NULL
                 UNION SELECT path FROM library",
            )?;
            let rows = stmt
                .query_map([], |r| r.get::<_, String>(0))?
                .collect::<rusqlite::Result<Vec<_>>>()?;
            Ok(rows.into_iter().map(PathBuf::from).collect())
        })
    }

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

const JOB_COLUMNS: &str = "id, endpoint_id, prompt, state, form_json, input_json, request_id,
    handle_json, queue_position, uploads_json, download_json, logs_json, requested_output,
    output_path, result_json, video_url, seed, fail_kind, fail_message, fail_type, submissions,
    created_at, submitted_at, started_at, completed_at, finished_at, state_changed_at, simulated";

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
}

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
    })
}

/// Brings the schema to [`SCHEMA_VERSION`], one step per version, each in a transaction.
fn migrate(conn: &Connection, path: &Path) -> Result<(), JournalError> {
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
    Ok(())
}

fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase) | Some(rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

/// Renames a damaged journal (and its WAL/SHM companions) aside; returns the new name.
fn set_aside(path: &Path) -> Result<PathBuf, JournalError> {
    let stamp = Utc::now().format("%Y%m%d-%H%M%S%.3f");
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| JOURNAL_FILE.to_string());
    let aside = path.with_file_name(format!("{name}.damaged-{stamp}"));
    std::fs::rename(path, &aside).map_err(|source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    for suffix in ["-wal", "-shm"] {
        let companion = path.with_file_name(format!("{name}{suffix}"));
        if companion.exists() {
            let _ = std::fs::rename(
                &companion,
                path.with_file_name(format!("{name}.damaged-{stamp}{suffix}")),
            );
        }
    }
    Ok(aside)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::state::{FileUpload, JobLog};

    fn sample_job() -> Job {
        let mut job = Job::new(
            "fal-ai/veo3.1/image-to-video",
            "a red fox",
            serde_json::json!({"values": {"prompt": {"Text": "a red fox"}}}),
        );
        job.uploads.push(FileUpload {
            path: PathBuf::from("/tmp/fox.png"),
            size: 10,
            sent: 0,
            blake3: Some("ab".into()),
            url: None,
            reused: false,
        });
        job
    }

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

    #[test]
    fn upload_cache_expires() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::open_in(dir.path()).unwrap();
        let now = Utc::now();
        let entry = CachedUpload {
            blake3: "abc".into(),
            url: "http://127.0.0.1/cdn/x".into(),
            size: 3,
            content_type: Some("image/png".into()),
            uploaded_at: now,
            expires_at: now + chrono::Duration::hours(1),
        };
        journal.store_upload(&entry).unwrap();
        let back = journal.cached_upload("abc", now).unwrap().unwrap();
        assert_eq!(back.url, entry.url);
        assert_eq!(
            back.expires_at.timestamp_millis(),
            entry.expires_at.timestamp_millis()
        );
        let later = now + chrono::Duration::hours(2);
        assert_eq!(journal.cached_upload("abc", later).unwrap(), None);
        assert_eq!(journal.prune_uploads(later).unwrap(), 1);
    }

    #[test]
    fn damaged_file_is_kept_aside_and_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(JOURNAL_FILE);
        std::fs::write(
            &path,
            b"this is not a database, just some text padding ".repeat(200),
        )
        .unwrap();
        let journal = Journal::open(&path).unwrap();
        let aside = journal.recovered_from().unwrap().to_path_buf();
        assert!(aside.exists());
        assert!(
            std::fs::read(&aside)
                .unwrap()
                .starts_with(b"this is not a database")
        );
        journal.save_job(&sample_job()).unwrap();
        assert_eq!(journal.jobs().unwrap().len(), 1);
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
