//! Single frames of a clip: the poster (first picture), the last frame, a frame at a time.

use std::io::Read;
use std::path::{Path, PathBuf};

use super::decode::H264Decoder;
use super::demux::Demuxer;
use crate::media::deadline::{self, Deadline};
use crate::media::error::MediaError;
use crate::media::picture::Picture;
use crate::media::thumb_cache::ThumbCache;

/// Which frame to decode.
#[derive(Debug, Clone, Copy)]
enum Which {
    /// The first frame that decodes.
    Poster,
    /// The last frame.
    Last,
    /// The frame shown at this many seconds.
    At(f64),
}

impl Which {
    fn what(self) -> &'static str {
        match self {
            Which::Poster => "poster frame",
            Which::Last => "last frame",
            Which::At(_) => "frame",
        }
    }

    fn limit(self) -> std::time::Duration {
        match self {
            Which::Poster => deadline::POSTER_LIMIT,
            _ => deadline::FRAME_LIMIT,
        }
    }

    fn decode(self, path: &Path, d: &Deadline) -> Result<Picture, MediaError> {
        let mut demux = Demuxer::open_within(path, d)?;
        let (index, first_decodable) = match self {
            Which::Poster => (0, true),
            Which::Last => (demux.info().frame_count.saturating_sub(1), false),
            Which::At(seconds) => (demux.index_at(seconds), false),
        };
        decode_up_to(&mut demux, index, first_decodable, d)
    }
}

/// Decodes `which` frame of `path` on a thread of its own, within its time limit.
fn decode(path: &Path, which: Which) -> Result<Picture, MediaError> {
    let owned = path.to_path_buf();
    deadline::within(which.limit(), path, which.what(), move |d| {
        which.decode(&owned, d)
    })
}

/// The first frame of the clip that decodes: what the gallery shows for it.
pub fn poster_frame(path: &Path) -> Result<Picture, MediaError> {
    decode(path, Which::Poster)
}

/// The first frame of an open clip that decodes, within the caller's deadline on the
/// caller's thread (the media check uses it inside its own time limit).
pub fn first_frame(demux: &mut Demuxer, d: &Deadline) -> Result<Picture, MediaError> {
    decode_up_to(demux, 0, true, d)
}

/// The last frame of the clip (for "use the last frame as the next first frame").
pub fn last_frame(path: &Path) -> Result<Picture, MediaError> {
    decode(path, Which::Last)
}

/// The frame shown `seconds` into the clip.
pub fn frame_at(path: &Path, seconds: f64) -> Result<Picture, MediaError> {
    decode(path, Which::At(seconds))
}

/// [`poster_frame`], cached on disk by the clip's content hash.
pub fn cached_poster(path: &Path, cache: &ThumbCache) -> Result<Picture, MediaError> {
    cached(path, cache, "poster", Which::Poster)
}

/// [`last_frame`], cached on disk by the clip's content hash.
pub fn cached_last_frame(path: &Path, cache: &ThumbCache) -> Result<Picture, MediaError> {
    cached(path, cache, "last", Which::Last)
}

fn cached(
    path: &Path,
    cache: &ThumbCache,
    variant: &'static str,
    which: Which,
) -> Result<Picture, MediaError> {
    let (owned, cache): (PathBuf, ThumbCache) = (path.to_path_buf(), cache.clone());
    deadline::within(which.limit(), path, which.what(), move |d| {
        let key = format!("{}-{variant}", hash_file(&owned, d)?);
        if let Some(hit) = cache.get(&key) {
            return Ok(hit);
        }
        let picture = which.decode(&owned, d)?;
        if let Err(e) = cache.put(&key, &picture) {
            tracing::warn!("video frame cache: {e}");
        }
        Ok(picture)
    })
}

/// blake3 of the file, streamed (clips can be large).
fn hash_file(path: &Path, d: &Deadline) -> Result<String, MediaError> {
    let mut file = std::fs::File::open(path).map_err(|e| MediaError::io("open", path, e))?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| MediaError::io("read", path, e))?;
        if n == 0 {
            break;
        }
        d.check(path, "hash")?;
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().to_hex().to_string())
}

/// Decodes from the key frame before `index` up to `index` and returns that frame.
///
/// With `first_decodable`, returns the first frame that decodes at or after `index` instead
/// (a damaged opening frame should not leave a clip without a poster).
pub(crate) fn decode_up_to(
    demux: &mut Demuxer,
    index: u32,
    first_decodable: bool,
    d: &Deadline,
) -> Result<Picture, MediaError> {
    let mut decoder = H264Decoder::new(demux.path(), demux.parameter_sets())?;
    let start = demux.sync_at_or_before(index);
    let end = if first_decodable {
        demux.info().frame_count.saturating_sub(1)
    } else {
        index
    };
    let mut latest = None;
    let mut last_error = None;
    for i in start..=end {
        d.check(demux.path(), "frame decoding")?;
        let Some(au) = demux.sample(i)? else { break };
        match decoder.decode(&au) {
            Ok(Some(picture)) => {
                latest = Some(picture);
                if first_decodable && i >= index {
                    break;
                }
            }
            Ok(None) => {}
            // One broken frame is survivable; later frames (or the flush) may still decode.
            Err(e) => last_error = Some(e),
        }
    }
    if (!first_decodable || latest.is_none())
        && let Some(flushed) = decoder.flush()?.pop()
    {
        latest = Some(flushed);
    }
    latest.ok_or_else(|| {
        last_error.unwrap_or_else(|| MediaError::VideoDecode {
            path: demux.path().into(),
            reason: format!("no picture decoded up to frame {index}"),
        })
    })
}
