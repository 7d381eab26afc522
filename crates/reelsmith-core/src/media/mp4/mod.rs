//! MP4 files at the sample level: reading a clip's H.264 and AAC sample tables (through the
//! `mp4` crate's box parser) and writing a new MP4 (our own small muxer: several parameter
//! sets in one `avcC`, edit lists for AAC priming, 64-bit offsets, streamed to disk).

pub mod read;
pub mod table;
pub mod write;

pub use read::{AudioTrackInfo, Mp4Error, Mp4File, VideoTrackInfo};
pub use table::{SampleEntry, SampleTable};
pub use write::{AvcConfigRecord, Mp4Writer, TrackKind, TrackSpec};
