//! A journal file SQLite cannot read is kept aside, never deleted, so a fresh one can start.

use std::path::{Path, PathBuf};

use chrono::Utc;

use super::{JOURNAL_FILE, JournalError};

/// True when SQLite says the file is not a database or is corrupt.
pub(super) fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::NotADatabase) | Some(rusqlite::ErrorCode::DatabaseCorrupt)
    )
}

/// Renames a damaged journal (and its WAL/SHM companions) aside; returns the new name.
pub(super) fn set_aside(path: &Path) -> Result<PathBuf, JournalError> {
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
        journal.save_job(&sample_job()).unwrap();
        assert_eq!(journal.jobs().unwrap().len(), 1);
    }
}
