//! The journal: a SQLite file that records every job before money is spent and every step after.
//!
//! WAL mode, one transaction per write, schema versioned with `PRAGMA user_version`; the rows
//! that decide whether money is spent twice are synced to disk before the call returns
//! ([`Journal::save_job_durably`]). A file that cannot be opened as a database gives up what
//! still reads (every job fal has, first) to a fresh journal and is then moved aside, never
//! deleted; [`open_journal`] then rebuilds the library index from the sidecars.
//!
//! One file per table or concern: [`jobs`] (job rows), [`claims`] (which engine runs a job, and
//! cancel requests), [`uploads`] (the upload cache), [`library`] (the library index), [`marks`] (favourites and rejects), [`queue_order`] (the
//! user's order of waiting jobs),
//! [`migrations`] (the schema) and [`recovery`] (a damaged file set aside).

mod claims;
mod error;
mod jobs;
mod library;
mod marks;
mod migrations;
mod open;
mod queue_order;
mod recovery;
mod rows;
mod storyboards;
mod uploads;

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use rusqlite::Connection;

pub use error::JournalError;
pub use jobs::Adoption;
pub use marks::Marks;
pub use open::{OpenedJournal, open_journal};
pub use recovery::Recovered;
pub use rows::DamagedRow;
pub use uploads::CachedUpload;

/// The journal's file name inside the data directory.
pub const JOURNAL_FILE: &str = "journal.sqlite3";

/// The job journal (also home of the upload cache and the library index).
pub struct Journal {
    conn: Mutex<Connection>,
    path: PathBuf,
    recovery: Option<Recovered>,
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("path", &self.path).finish()
    }
}

/// Times are stored as Unix milliseconds (UTC).
fn ms(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// A stored time back; an out-of-range value reads as the epoch rather than failing the row.
fn from_ms(v: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(v).single().unwrap_or_default()
}

/// [`ms`] of an optional time.
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

    /// Opens (or creates) the journal at `path`. A damaged file gives what still reads of it to
    /// a new journal, then is moved aside to `<path>.damaged-<time>`; see
    /// [`Journal::recovery`].
    pub fn open(path: &Path) -> Result<Journal, JournalError> {
        match Journal::open_patiently(path) {
            Ok(conn) => Ok(Journal {
                conn: Mutex::new(conn),
                path: path.to_path_buf(),
                recovery: None,
            }),
            Err(JournalError::Sqlite { source, .. }) if recovery::is_corruption(&source) => {
                let recovered = recovery::replace_damaged(path)?;
                tracing::warn!(
                    "the job journal {} was damaged; {} job(s) carried into a new one, kept it as {}",
                    path.display(),
                    recovered.carried,
                    recovered.aside.display()
                );
                let conn = Journal::open_checked(path)?;
                Ok(Journal {
                    conn: Mutex::new(conn),
                    path: path.to_path_buf(),
                    recovery: Some(recovered),
                })
            }
            Err(e) => Err(e),
        }
    }

    /// [`Journal::open_checked`], again while another process holds the file: SQLite answers
    /// "database is locked" without waiting in a few places of opening (switching a new file
    /// to WAL, reading the WAL index while another connection sets it up), so the window and a
    /// command started together would otherwise fail. Each step is its own transaction, so a
    /// retry starts clean.
    fn open_patiently(path: &Path) -> Result<Connection, JournalError> {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut pause = Duration::from_millis(5);
        loop {
            match Journal::open_checked(path) {
                Err(JournalError::Sqlite { ref source, .. })
                    if is_busy(source) && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(200));
                }
                other => return other,
            }
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
        migrations::migrate(&conn, path)?;
        Ok(conn)
    }

    /// The journal file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Where the damaged journal was kept, when this open had to start a new one.
    pub fn recovered_from(&self) -> Option<&Path> {
        self.recovery.as_ref().map(|r| r.aside.as_path())
    }

    /// What this open carried over from a damaged journal, if it found one.
    pub fn recovery(&self) -> Option<&Recovered> {
        self.recovery.as_ref()
    }

    /// [`Journal::with`], with this one commit synced to disk (`synchronous=FULL`) before
    /// returning; every other commit stays at NORMAL.
    fn durably<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> rusqlite::Result<T>,
    ) -> Result<T, JournalError> {
        self.with(|conn| {
            conn.pragma_update(None, "synchronous", "FULL")?;
            let out = f(conn);
            let reset = conn.pragma_update(None, "synchronous", "NORMAL");
            let out = out?;
            reset?;
            Ok(out)
        })
    }

    /// Runs `f` on the connection (one caller at a time); an error names the journal file.
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
}

/// Whether SQLite said another connection holds the file (busy or locked).
fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use crate::jobs::state::{FileUpload, Job};

    /// A job with one local file, as the engine records it before uploading.
    pub(super) fn sample_job() -> Job {
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
}
