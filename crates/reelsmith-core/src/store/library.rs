//! The library index: every finished video, and the output names already taken.

use std::path::PathBuf;

use rusqlite::params;

use super::{Journal, JournalError, from_ms, ms};
use crate::library::item::LibraryItem;

impl Journal {
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
}
