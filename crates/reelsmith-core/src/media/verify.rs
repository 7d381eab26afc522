//! Decoding a picture's data before it is used: a header that looks right is not enough.
//!
//! A crafted or damaged file can carry a valid header over picture data that does not decode;
//! the model's loader would then fail after the upload was paid for. So every picture is
//! decoded once, within a memory allowance and on a deadline, and refused if that fails:
//! - JPEG: the DC decoder reads every entropy-coded block (it refuses blocks that run past
//!   their data, missing restart markers, a second frame); files it does not handle
//!   (progressive, CMYK, 12-bit) go through jpeg-decoder at 1/8 scale;
//! - PNG: every row is decompressed and unfiltered, one row at a time, checksums included;
//! - WebP: the (first) frame is decoded whole, if it fits the allowance.

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::Path;

use super::deadline::Deadline;
use super::error::MediaError;
use super::probe::{ImageFormat, ImageInfo, JpegFrame};

/// Most memory one picture's decoding may take.
pub const DECODE_BUDGET: u64 = 128 << 20;
/// Largest JPEG read into memory for the DC decoder; larger ones are streamed.
const IN_MEMORY_JPEG: u64 = 64 << 20;

fn decode_error(path: &Path, reason: impl Into<String>) -> MediaError {
    MediaError::Decode {
        path: path.into(),
        reason: reason.into(),
    }
}

fn too_large(path: &Path, info: &ImageInfo, needed: u64, advice: &'static str) -> MediaError {
    MediaError::TooLargeToDecode {
        path: path.into(),
        width: info.stored_width,
        height: info.stored_height,
        needed_mb: needed.div_ceil(1 << 20),
        budget_mb: DECODE_BUDGET >> 20,
        advice,
    }
}

/// Decodes the picture at `path` (already probed as `info`) and says whether its data is whole.
pub fn verify_image(path: &Path, info: &ImageInfo, d: &Deadline) -> Result<(), MediaError> {
    let open = || {
        File::open(path)
            .map(BufReader::new)
            .map_err(|e| MediaError::io("open", path, e))
    };
    match info.format {
        ImageFormat::Jpeg => {
            let frame = info.jpeg.as_ref();
            if frame.is_some_and(JpegFrame::dc_decodable) && info.file_size <= IN_MEMORY_JPEG {
                let bytes = std::fs::read(path).map_err(|e| MediaError::io("read", path, e))?;
                return verify_jpeg_bytes(path, &bytes, info);
            }
            verify_jpeg_scaled(path, open()?, info)
        }
        ImageFormat::Png => verify_png(path, open()?, info, d),
        ImageFormat::WebP => verify_webp(path, open()?, info),
    }
}

/// [`verify_image`] for a picture in memory (`path` only names it).
pub fn verify_image_bytes(
    path: &Path,
    bytes: &[u8],
    info: &ImageInfo,
    d: &Deadline,
) -> Result<(), MediaError> {
    match info.format {
        ImageFormat::Jpeg => verify_jpeg_bytes(path, bytes, info),
        ImageFormat::Png => verify_png(path, Cursor::new(bytes), info, d),
        ImageFormat::WebP => verify_webp(path, Cursor::new(bytes), info),
    }
}

fn verify_jpeg_bytes(path: &Path, bytes: &[u8], info: &ImageInfo) -> Result<(), MediaError> {
    if !info.jpeg.as_ref().is_some_and(JpegFrame::dc_decodable) {
        return verify_jpeg_scaled(path, Cursor::new(bytes), info);
    }
    match jpeg_dc::decode_eighth(bytes) {
        Some(_) => Ok(()),
        None => Err(decode_error(
            path,
            "its compressed picture data is damaged or cut short (it does not decode)",
        )),
    }
}

/// Memory jpeg-decoder needs for `frame`: a progressive file keeps every coefficient (two
/// bytes each) until its last scan; a sequential one only its output at 1/8 scale.
pub(crate) fn jpeg_memory(info: &ImageInfo, frame: Option<&JpegFrame>) -> u64 {
    let (w, h) = (u64::from(info.stored_width), u64::from(info.stored_height));
    let Some(frame) = frame.filter(|f| f.progressive()) else {
        return (w.div_ceil(8) + 1) * (h.div_ceil(8) + 1) * 4 * 4;
    };
    let hmax = u64::from(frame.sampling.iter().map(|s| s.0).max().unwrap_or(1).max(1));
    let vmax = u64::from(frame.sampling.iter().map(|s| s.1).max().unwrap_or(1).max(1));
    frame
        .sampling
        .iter()
        .map(|&(hs, vs)| {
            let bw = (w * u64::from(hs)).div_ceil(hmax).div_ceil(8) + 2;
            let bh = (h * u64::from(vs)).div_ceil(vmax).div_ceil(8) + 2;
            bw * bh * 64 * 2
        })
        .sum()
}

fn verify_jpeg_scaled(path: &Path, r: impl Read, info: &ImageInfo) -> Result<(), MediaError> {
    let needed = jpeg_memory(info, info.jpeg.as_ref());
    if needed > DECODE_BUDGET {
        return Err(too_large(
            path,
            info,
            needed,
            "save it as a baseline (non-progressive) JPEG, or scale it down",
        ));
    }
    let mut decoder = jpeg_decoder::Decoder::new(r);
    decoder.set_max_decoding_buffer_size(DECODE_BUDGET as usize);
    let small = |v: u32| u16::try_from(v.div_ceil(8)).unwrap_or(u16::MAX).max(1);
    decoder
        .scale(small(info.stored_width), small(info.stored_height))
        .and_then(|_| decoder.decode())
        .map(|_| ())
        .map_err(|e| decode_error(path, e.to_string()))
}

fn verify_png(
    path: &Path,
    r: impl std::io::BufRead + Seek,
    info: &ImageInfo,
    d: &Deadline,
) -> Result<(), MediaError> {
    let mut decoder = png::Decoder::new_with_limits(
        r,
        png::Limits {
            bytes: DECODE_BUDGET as usize,
        },
    );
    decoder.set_transformations(png::Transformations::IDENTITY);
    let fail = |e: png::DecodingError| match e {
        png::DecodingError::LimitsExceeded => too_large(
            path,
            info,
            DECODE_BUDGET + 1,
            "save it without interlacing or large metadata, or scale it down",
        ),
        e => decode_error(path, e.to_string()),
    };
    let mut reader = decoder.read_info().map_err(fail)?;
    let mut rows = 0u64;
    while reader.next_row().map_err(fail)?.is_some() {
        rows += 1;
        if rows.is_multiple_of(256) {
            d.check(path, "check")?;
        }
    }
    reader.finish().map_err(fail)
}

fn verify_webp(
    path: &Path,
    r: impl std::io::BufRead + Seek,
    info: &ImageInfo,
) -> Result<(), MediaError> {
    let mut decoder =
        image_webp::WebPDecoder::new(r).map_err(|e| decode_error(path, e.to_string()))?;
    let needed = decoder.output_buffer_size().map_or(u64::MAX, |n| n as u64);
    if needed > DECODE_BUDGET {
        return Err(too_large(
            path,
            info,
            needed,
            "save it as JPEG, or scale it down",
        ));
    }
    decoder.set_memory_limit(DECODE_BUDGET as usize);
    let mut buf = vec![0u8; needed as usize];
    decoder
        .read_image(&mut buf)
        .map_err(|e| decode_error(path, e.to_string()))
}
