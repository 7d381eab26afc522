//! Image probing and thumbnails, upload preparation, video poster frames and preview.
//!
//! Everything here runs in-process (no external programs) and off the UI thread: the UI asks
//! the [`ThumbnailPool`] or a [`video::VideoPreview`] for pictures and uploads the RGBA pixels
//! it gets back as textures.

pub mod audio;
pub mod check;
pub mod deadline;
pub mod error;
pub mod exif;
pub mod mp4;
pub mod orientation;
pub mod picture;
pub mod playback;
pub mod png_stream;
pub mod pool;
pub mod prepare;
pub mod probe;
pub mod thumb_cache;
pub mod thumbnail;
pub mod verify;
pub mod video;

pub use check::{Checked, Inspected, Level, MediaKind, Problem, check_file, inspect};
pub use error::MediaError;
pub use orientation::Orientation;
pub use picture::Picture;
pub use pool::{PoolStats, ThumbnailHandle, ThumbnailPool};
pub use prepare::{Prepared, VideoCheck, check_video, prepare_image};
pub use probe::{
    ImageFormat, ImageInfo, JpegFrame, MAX_PIXELS, MAX_SIDE, probe_image, probe_image_bytes,
};
pub use thumb_cache::ThumbCache;
pub use thumbnail::{cached_thumbnail, make_thumbnail, thumbnail_from_bytes};
pub use video::{VideoInfo, VideoPreview, probe_video};
