//! Single frames of a clip: the poster (first picture), the last frame, a frame at a time.

use std::io::Read;
use std::path::Path;

use super::decode::H264Decoder;
use super::demux::Demuxer;
use crate::media::error::MediaError;
use crate::media::picture::Picture;
use crate::media::thumb_cache::ThumbCache;

/// The first frame of the clip that decodes: what the gallery shows for it.
pub fn poster_frame(path: &Path) -> Result<Picture, MediaError> {
    let mut demux = Demuxer::open(path)?;
    decode_up_to(&mut demux, 0, true)
}

/// The last frame of the clip (for "use the last frame as the next first frame").
pub fn last_frame(path: &Path) -> Result<Picture, MediaError> {
    let mut demux = Demuxer::open(path)?;
    let last = demux.info().frame_count.saturating_sub(1);
    decode_up_to(&mut demux, last, false)
}

/// The frame shown `seconds` into the clip.
pub fn frame_at(path: &Path, seconds: f64) -> Result<Picture, MediaError> {
    let mut demux = Demuxer::open(path)?;
    let index = demux.index_at(seconds);
    decode_up_to(&mut demux, index, false)
}

/// [`poster_frame`], cached on disk by the clip's content hash.
pub fn cached_poster(path: &Path, cache: &ThumbCache) -> Result<Picture, MediaError> {
    cached(path, cache, "poster", poster_frame)
}

/// [`last_frame`], cached on disk by the clip's content hash.
pub fn cached_last_frame(path: &Path, cache: &ThumbCache) -> Result<Picture, MediaError> {
    cached(path, cache, "last", last_frame)
}

fn cached(
    path: &Path,
    cache: &ThumbCache,
    variant: &str,
    make: fn(&Path) -> Result<Picture, MediaError>,
) -> Result<Picture, MediaError> {
    let key = format!("{}-{variant}", hash_file(path)?);
    if let Some(hit) = cache.get(&key) {
        return Ok(hit);
    }
    let picture = make(path)?;
    if let Err(e) = cache.put(&key, &picture) {
        tracing::warn!("video frame cache: {e}");
    }
    Ok(picture)
}

/// blake3 of the file, streamed (clips can be large).
fn hash_file(path: &Path) -> Result<String, MediaError> {
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
