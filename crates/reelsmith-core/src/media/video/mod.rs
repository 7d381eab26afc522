//! Videos: MP4 demuxing, H.264 decoding, poster and last frames, and a silent preview player.

mod boxes;
pub mod decode;
pub mod demux;
mod layout;
mod overlay;
pub mod poster;
pub mod preview;
mod tables;

use std::path::Path;

pub use decode::H264Decoder;
pub use demux::Demuxer;
pub use poster::{cached_last_frame, cached_poster, frame_at, last_frame, poster_frame};
pub use preview::{PreviewFrame, VideoPreview};
pub use tables::{MAX_SAMPLE_BYTES, MAX_SAMPLES};

use super::error::MediaError;

/// What the container says about a clip.
#[derive(Debug, Clone, PartialEq)]
pub struct VideoInfo {
    /// Coded width in pixels.
    pub width: u32,
    /// Coded height in pixels.
    pub height: u32,
    /// Length in seconds.
    pub duration_secs: f64,
    /// Frames per second (frame count over length).
    pub fps: f64,
    /// Number of frames.
    pub frame_count: u32,
    /// File size in bytes.
    pub file_size: u64,
}

/// Reads duration, resolution and frame rate of the MP4 at `path` without decoding it.
pub fn probe_video(path: &Path) -> Result<VideoInfo, MediaError> {
    Ok(Demuxer::open(path)?.info().clone())
}
