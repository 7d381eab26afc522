//! What can go wrong with the journal.

use std::path::PathBuf;

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
