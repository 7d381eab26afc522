//! The one error type of the media module: every message names the file and says what to do.

use std::path::PathBuf;

/// What went wrong while probing, decoding, preparing or caching a picture or a video.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The file could not be read or written.
    #[error("cannot {action} {path}: {source}; check that the file exists and is readable")]
    Io {
        /// What was being done ("read", "write", "create the folder for").
        action: &'static str,
        /// The file concerned.
        path: PathBuf,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// The file has no bytes at all.
    #[error("{path} is empty (0 bytes); pick the file again or re-export it")]
    Empty {
        /// The file concerned.
        path: PathBuf,
    },
    /// The content is not a picture at all (whatever its extension says).
    #[error("{path} is not an image{}; use a JPEG, PNG or WebP picture", detected_suffix(.detected))]
    NotAnImage {
        /// The file concerned.
        path: PathBuf,
        /// What the content looks like, when recognisable (e.g. "a text file").
        detected: Option<String>,
    },
    /// The content is not a video at all.
    #[error("{path} is not a video{}; use an MP4 (H.264) clip", detected_suffix(.detected))]
    NotAVideo {
        /// The file concerned.
        path: PathBuf,
        /// What the content looks like, when recognisable.
        detected: Option<String>,
    },
    /// A real picture or video, but in a format reelsmith cannot use.
    #[error("{path} is {format}, which is not supported; convert it to {supported}")]
    UnsupportedFormat {
        /// The file concerned.
        path: PathBuf,
        /// The format found in the content.
        format: String,
        /// The formats that would work.
        supported: &'static str,
    },
    /// The file stops before its data ends (an interrupted copy or download).
    #[error(
        "{path} is a truncated {format} file (it ends before its picture data does); copy or download it again"
    )]
    Truncated {
        /// The file concerned.
        path: PathBuf,
        /// The format found in the header.
        format: &'static str,
    },
    /// The header is malformed.
    #[error(
        "{path} is a damaged {format} file ({reason}); re-export it from the program that made it"
    )]
    Corrupt {
        /// The file concerned.
        path: PathBuf,
        /// The format found in the header.
        format: &'static str,
        /// What was wrong.
        reason: String,
    },
    /// The header declares dimensions no real photo has: decoding it would exhaust memory.
    #[error(
        "{path} declares {width}×{height} pixels, beyond the {max_side} px / {max_megapixels} megapixel limit \
         (a decompression bomb or a damaged file); scale it down before using it"
    )]
    DecompressionBomb {
        /// The file concerned.
        path: PathBuf,
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// Largest side accepted.
        max_side: u32,
        /// Largest size accepted, in megapixels.
        max_megapixels: u32,
    },
    /// Decoding the pixels failed after the header looked fine.
    #[error("cannot decode {path}: {reason}; re-export it as a standard JPEG, PNG or WebP")]
    Decode {
        /// The file concerned.
        path: PathBuf,
        /// The decoder's explanation.
        reason: String,
    },
    /// Encoding a prepared copy or a cached picture failed.
    #[error("cannot encode {path}: {reason}")]
    Encode {
        /// The file being written.
        path: PathBuf,
        /// The encoder's explanation.
        reason: String,
    },
    /// The picture is smaller than the field accepts; nothing was sent.
    #[error(
        "{path} is {width}×{height} px, smaller than the {min_width}×{min_height} px this field needs; \
         nothing was uploaded: use a larger picture"
    )]
    TooSmall {
        /// The file concerned.
        path: PathBuf,
        /// Its (orientation-adjusted) width.
        width: u32,
        /// Its (orientation-adjusted) height.
        height: u32,
        /// The field's minimum width (0 when unset).
        min_width: u32,
        /// The field's minimum height (0 when unset).
        min_height: u32,
    },
    /// Even the smallest acceptable re-encoding stays above the size limit.
    #[error(
        "{path} cannot be brought under the field's {max_bytes}-byte limit without going below its minimum \
         dimensions; crop or simplify the picture and try again"
    )]
    CannotFit {
        /// The file concerned.
        path: PathBuf,
        /// The field's file-size limit.
        max_bytes: u64,
    },
    /// A video breaks one or more of the field's limits (each problem names the file).
    #[error("{}", .problems.join("; "))]
    VideoOutOfLimits {
        /// The file concerned.
        path: PathBuf,
        /// One sentence per broken limit.
        problems: Vec<String>,
    },
    /// The MP4 container could not be read.
    #[error("cannot read the MP4 structure of {path}: {reason}; re-export the clip as MP4 (H.264)")]
    Demux {
        /// The file concerned.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The H.264 stream could not be decoded.
    #[error("cannot decode the video in {path}: {reason}; re-export the clip as MP4 (H.264)")]
    VideoDecode {
        /// The file concerned.
        path: PathBuf,
        /// What was wrong.
        reason: String,
    },
    /// The preview's decoding thread has stopped.
    #[error("the preview of {path} has stopped; open the clip again")]
    PreviewStopped {
        /// The clip that was playing.
        path: PathBuf,
    },
    /// Decoding the file would need more memory than one picture may take.
    #[error(
        "{path} is {width}×{height} px and would need about {needed_mb} MB to decode, more than the \
         {budget_mb} MB reelsmith allows for one picture; {advice}"
    )]
    TooLargeToDecode {
        /// The file concerned.
        path: PathBuf,
        /// Declared width.
        width: u32,
        /// Declared height.
        height: u32,
        /// Estimated memory, in MB.
        needed_mb: u64,
        /// The allowance, in MB.
        budget_mb: u64,
        /// What to do instead.
        advice: &'static str,
    },
    /// Media work took longer than its limit and was given up on.
    #[error(
        "the {what} of {path} took longer than {secs} s and was stopped; the file may be damaged: \
         re-export it, or try a smaller one"
    )]
    TimedOut {
        /// The file concerned.
        path: PathBuf,
        /// What was being done ("check", "thumbnail", "poster frame", …).
        what: &'static str,
        /// The limit, in seconds.
        secs: u64,
    },
    /// A thumbnail request was cancelled before it ran.
    #[error("the thumbnail of {path} was cancelled")]
    Cancelled {
        /// The file concerned.
        path: PathBuf,
    },
}

fn detected_suffix(detected: &Option<String>) -> String {
    match detected {
        Some(what) => format!(" (its content looks like {what})"),
        None => String::new(),
    }
}

impl MediaError {
    /// A few words for what went wrong, for a thumbnail's caption (the message says the rest).
    pub fn label(&self) -> &'static str {
        match self {
            MediaError::Io { .. } => "cannot read",
            MediaError::Empty { .. } => "empty file",
            MediaError::NotAnImage { .. } => "not an image",
            MediaError::NotAVideo { .. } => "not a video",
            MediaError::UnsupportedFormat { .. } => "unsupported",
            MediaError::Truncated { .. } => "truncated file",
            MediaError::Corrupt { .. } | MediaError::Demux { .. } => "damaged file",
            MediaError::DecompressionBomb { .. } | MediaError::TooLargeToDecode { .. } => {
                "too large"
            }
            MediaError::Decode { .. } | MediaError::VideoDecode { .. } => "does not decode",
            MediaError::Encode { .. } => "cannot encode",
            MediaError::TooSmall { .. } => "too small",
            MediaError::CannotFit { .. } => "cannot fit",
            MediaError::VideoOutOfLimits { .. } => "out of limits",
            MediaError::PreviewStopped { .. } => "stopped",
            MediaError::TimedOut { .. } => "timed out",
            MediaError::Cancelled { .. } => "cancelled",
        }
    }

    /// Wraps an I/O error with the action and file it concerns.
    pub fn io(action: &'static str, path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        MediaError::Io {
            action,
            path: path.into(),
            source,
        }
    }
}
