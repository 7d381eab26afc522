//! Errors of storyboards and film export; every message says what to do.

use std::path::PathBuf;

/// What went wrong making a film or editing a storyboard.
#[derive(Debug, thiserror::Error)]
pub enum FilmError {
    /// A clip could not be used.
    #[error("cannot use {path}: {reason}")]
    Source {
        /// The clip.
        path: PathBuf,
        /// Why.
        reason: String,
    },
    /// A trim does not fit the clip.
    #[error(
        "the trim {in_frame}..{out_frame} does not fit {path}, which has {frames} frames; trim within 0..{frames}"
    )]
    BadTrim {
        /// The clip.
        path: PathBuf,
        /// First frame asked for.
        in_frame: u32,
        /// One past the last frame asked for.
        out_frame: u32,
        /// Frames in the clip.
        frames: u32,
    },
    /// Nothing to export.
    #[error("there is nothing to export: {0}")]
    Empty(String),
    /// The output exists and overwriting was not asked for.
    #[error("{0} already exists; choose another name or allow overwriting it (--force)")]
    Exists(PathBuf),
    /// Reading or writing a file failed.
    #[error("cannot {action} {path}: {source}")]
    Io {
        /// What was being done.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// Decoding or encoding a picture failed.
    #[error("cannot re-encode {path} at frame {frame}: {reason}")]
    Codec {
        /// The clip.
        path: PathBuf,
        /// Frame (presentation order).
        frame: u32,
        /// What went wrong.
        reason: String,
    },
    /// Another export is writing the same file.
    #[error("another export is writing {0} right now; wait for it or choose another name")]
    Busy(PathBuf),
    /// The export was cancelled.
    #[error("the export was cancelled; nothing was written")]
    Cancelled,
    /// No such storyboard.
    #[error("there is no storyboard {0:?}; `reelsmith storyboard list` shows them")]
    NoStoryboard(String),
    /// A storyboard of this name exists.
    #[error("a storyboard called {0:?} already exists; pick another name")]
    NameTaken(String),
    /// A shot index out of range.
    #[error("storyboard {storyboard:?} has {count} shots; there is no shot {index}")]
    NoShot {
        /// The storyboard's name.
        storyboard: String,
        /// The index asked for (1-based as shown).
        index: usize,
        /// How many shots it has.
        count: usize,
    },
    /// The operation does not apply to this shot.
    #[error("{0}")]
    NotPossible(String),
    /// The engine refused a job.
    #[error(transparent)]
    Engine(#[from] crate::jobs::EngineError),
    /// The journal failed.
    #[error(transparent)]
    Journal(#[from] crate::store::JournalError),
}
