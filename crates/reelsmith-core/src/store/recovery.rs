//! A journal file SQLite cannot read: what can still be read of it is carried into a new
//! journal first — above all the request id of every job fal still has, since losing one loses
//! a paid job — and only then is the damaged file moved aside (never deleted).

use std::path::{Path, PathBuf};

use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{JOB_COLUMNS, decode, read_row_at};
use super::{JOURNAL_FILE, JournalError, from_ms};
use crate::jobs::state::{Job, JobId, JobLog, JobState};

/// Rowids probed at most past the last readable one when the table cannot be scanned.
const MAX_PROBES: i64 = 200_000;

/// What a damaged journal gave up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recovered {
    /// Where the damaged file now is.
    pub aside: PathBuf,
    /// Job rows carried into the new journal.
    pub carried: usize,
    /// Of those, jobs fal has (a request id) that had not finished.
    pub at_fal: usize,
    /// Rows seen but not readable enough to carry.
    pub lost: usize,
}

/// True when SQLite says the file is not a database or is corrupt.
pub(super) fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase) | Some(rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

fn companions(path: &Path) -> [(PathBuf, &'static str); 2] {
    let name = file_name(path);
    ["-wal", "-shm"].map(|suffix| (path.with_file_name(format!("{name}{suffix}")), suffix))
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| JOURNAL_FILE.to_string())
}

/// Renames a damaged journal (and its WAL/SHM companions) aside; returns the new name.
pub(super) fn set_aside(path: &Path) -> Result<PathBuf, JournalError> {
    let stamp = Utc::now().format("%Y%m%d-%H%M%S%.3f");
    let name = file_name(path);
    let aside = path.with_file_name(format!("{name}.damaged-{stamp}"));
    std::fs::rename(path, &aside).map_err(|source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    for (companion, suffix) in companions(path) {
        if companion.exists() {
            let _ = std::fs::rename(
                &companion,
                path.with_file_name(format!("{name}.damaged-{stamp}{suffix}")),
            );
        }
    }
    Ok(aside)
}

/// What could be read of a damaged journal's job table.
#[derive(Debug, Default)]
pub(super) struct Salvage {
    pub(super) jobs: Vec<Job>,
    pub(super) lost: usize,
}

/// Reads what it can of the job rows of the damaged journal at `path`, from a copy (the damaged
/// file itself is left exactly as it is).
pub(super) fn salvage(path: &Path) -> Salvage {
    let stamp = uuid::Uuid::new_v4().simple().to_string();
    let copy = path.with_file_name(format!("{}.salvage-{stamp}", file_name(path)));
    let mut made = vec![copy.clone()];
    let mut out = Salvage::default();
    if std::fs::copy(path, &copy).is_ok() {
        if let Some((wal, _)) = companions(path)
            .into_iter()
            .find(|(p, s)| *s == "-wal" && p.exists())
        {
            let wal_copy = copy.with_file_name(format!("{}-wal", file_name(&copy)));
            if std::fs::copy(&wal, &wal_copy).is_ok() {
                made.push(wal_copy);
            }
        }
        if let Ok(conn) = Connection::open(&copy) {
            out = read_what_reads(&conn, path);
        }
    }
    for (p, _) in companions(&copy) {
        made.push(p);
    }
    for p in made {
        let _ = std::fs::remove_file(p);
    }
    out
}

/// The select list of [`JOB_COLUMNS`], with NULL for columns an older schema lacks.
fn select_list(conn: &Connection) -> Option<String> {
    let mut stmt = conn
        .prepare("SELECT name FROM pragma_table_info('jobs')")
        .ok()?;
    let present: Vec<String> = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .ok()?
        .filter_map(Result::ok)
        .collect();
    if present.is_empty() {
        return None;
    }
    let list: Vec<String> = JOB_COLUMNS
        .split(',')
        .map(|c| c.trim().to_string())
        .map(|c| {
            if present.contains(&c) {
                c
            } else {
                "NULL".into()
            }
        })
        .collect();
    Some(list.join(", "))
}

/// Decodes one row (rowid first); a row that does not decode is carried in its bare form when
/// it names a request id.
fn take_row(row: &rusqlite::Row<'_>, path: &Path, out: &mut Salvage) {
    match read_row_at(row, 1).map(|raw| decode(path, raw)) {
        Ok(Ok(job)) => out.jobs.push(job),
        _ => match bare_job(row) {
            Some(job) => out.jobs.push(job),
            None => out.lost += 1,
        },
    }
}

/// The least a job fal has needs: its id, endpoint and request id. The rest (form, logs) is
/// lost; the job is followed again from fal.
fn bare_job(row: &rusqlite::Row<'_>) -> Option<Job> {
    let id: String = row.get(1).ok()?;
    let endpoint_id: String = row.get(2).ok()?;
    let request_id: String = row.get::<_, Option<String>>(7).ok()??;
    let state = row
        .get::<_, String>(4)
        .ok()
        .and_then(|s| JobState::parse(&s));
    if matches!(state, Some(JobState::Done | JobState::Cancelled)) {
        return None;
    }
    let prompt: String = row.get(3).unwrap_or_default();
    let mut job = Job::new(&endpoint_id, &prompt, serde_json::json!({}));
    job.id = JobId(id);
    job.request_id = Some(request_id);
    if let Ok(created) = row.get::<_, i64>(22) {
        job.created_at = from_ms(created);
    }
    job.simulated = row.get(28).unwrap_or(false);
    job.set_state(JobState::Submitted);
    job.push_log(JobLog {
        message: "carried over from a damaged journal: only the request id survived; followed \
                  again from fal"
            .into(),
        level: Some("REELSMITH".into()),
        timestamp: Some(Utc::now().to_rfc3339()),
    });
    Some(job)
}

/// A scan in rowid order, then (if the scan broke off) rowid by rowid past the break, so one
/// damaged page costs only its own rows.
fn read_what_reads(conn: &Connection, path: &Path) -> Salvage {
    let mut out = Salvage::default();
    let Some(list) = select_list(conn) else {
        return out;
    };
    let mut last: i64 = 0;
    let scan_broke = (|| -> rusqlite::Result<()> {
        let mut stmt = conn.prepare(&format!("SELECT rowid, {list} FROM jobs ORDER BY rowid"))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            last = row.get(0).unwrap_or(last + 1);
            take_row(row, path, &mut out);
        }
        Ok(())
    })()
    .is_err();
    if !scan_broke {
        return out;
    }
    let max: i64 = conn
        .query_row("SELECT max(rowid) FROM jobs", [], |r| {
            r.get::<_, Option<i64>>(0)
        })
        .ok()
        .flatten()
        .unwrap_or(last + MAX_PROBES);
    let Ok(mut one) = conn.prepare(&format!("SELECT rowid, {list} FROM jobs WHERE rowid = ?1"))
    else {
        return out;
    };
    for rowid in (last + 1)..=max.min(last + MAX_PROBES) {
        let found = one
            .query_row(params![rowid], |row| {
                take_row(row, path, &mut out);
                Ok(())
            })
            .optional();
        if found.is_err() {
            out.lost += 1;
        }
    }
    out
}

/// Carries what reads of the damaged journal at `path` into a new journal, then moves the
/// damaged file aside and puts the new one in its place. If the new journal cannot be written,
/// nothing is moved and the error is returned.
pub(super) fn replace_damaged(path: &Path) -> Result<Recovered, JournalError> {
    let salvage = salvage(path);
    let fresh = path.with_file_name(format!("{}.new", file_name(path)));
    let err = |source| JournalError::Sqlite {
        path: fresh.clone(),
        source,
    };
    let _ = std::fs::remove_file(&fresh);
    {
        let mut conn = Connection::open(&fresh).map_err(err)?;
        // A rollback journal, so the finished file is complete by itself before the rename.
        conn.pragma_update(None, "journal_mode", "DELETE")
            .map_err(err)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(err)?;
        super::migrations::migrate(&conn, &fresh)?;
        let tx = conn.transaction().map_err(err)?;
        for job in &salvage.jobs {
            super::jobs::write_job(&tx, job).map_err(err)?;
        }
        tx.commit().map_err(err)?;
    }
    let at_fal = salvage
        .jobs
        .iter()
        .filter(|j| j.request_id.is_some() && !j.state.is_terminal())
        .count();
    let aside = set_aside(path)?;
    std::fs::rename(&fresh, path).map_err(|source| JournalError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(Recovered {
        aside,
        carried: salvage.jobs.len(),
        at_fal,
        lost: salvage.lost,
    })
}

#[cfg(test)]
mod tests {
    use crate::store::tests::sample_job;
    use crate::store::{JOURNAL_FILE, Journal};

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
        assert_eq!(journal.recovery().unwrap().carried, 0);
        journal.save_job(&sample_job()).unwrap();
        assert_eq!(journal.jobs().unwrap().len(), 1);
    }
}
