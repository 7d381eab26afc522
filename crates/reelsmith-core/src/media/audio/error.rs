//! Errors of the sound module; every message names the file.

use std::path::PathBuf;

/// What went wrong reading or decoding a clip's sound.
#[derive(Debug, thiserror::Error)]
pub enum AudioError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}; check that the file exists and is readable")]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        #[source]
        source: std::io::Error,
    },
    /// The container is not an MP4 we can read.
    #[error("{path} is not a readable MP4 ({reason}); export it again as MP4 (H.264 + AAC)")]
    Container {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The sound is not AAC-LC, mono or stereo.
    #[error(
        "the sound of {path} is {found}; reelsmith plays and joins AAC-LC (mono or stereo) sound"
    )]
    Unsupported {
        /// The file (or "sound" when none).
        path: PathBuf,
        /// What was found.
        found: String,
    },
    /// A frame did not decode.
    #[error("the sound of {path} did not decode at frame {frame}: {reason}")]
    Decode {
        /// The file.
        path: PathBuf,
        /// 0-based AAC frame index.
        frame: u32,
        /// The decoder's message.
        reason: String,
    },
}
