//! Small upright previews of pictures: JPEG shrunk while decoding, then resized exactly.
//!
//! JPEG is decoded at reduced scale in the DCT domain (our DC-only decoder for 1/8, else
//! jpeg-decoder's `scale` at 1/4 or 1/2), so a 12-megapixel photo never exists in memory at
//! full size. PNG is shrunk while it is decoded, row by row (see `png_stream`); WebP has no
//! such shortcut and is decoded whole. Either way `fast_image_resize` makes the final size and
//! the EXIF orientation is applied last, on the small picture. No decode may take more than
//! the media module's memory allowance (`verify::DECODE_BUDGET`).

use std::io::Cursor;
use std::path::Path;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::deadline::{Deadline, THUMBNAIL_LIMIT};
use super::error::MediaError;
use super::picture::Picture;
use super::png_stream;
use super::probe::{ImageFormat, ImageInfo, probe_image_bytes};
use super::thumb_cache::ThumbCache;
use super::verify::{DECODE_BUDGET, jpeg_memory};

/// Makes a thumbnail of the picture at `path` whose longer displayed side is `max_side`
/// (pictures already smaller keep their size).
pub fn make_thumbnail(path: &Path, max_side: u32) -> Result<Picture, MediaError> {
    let bytes = std::fs::read(path).map_err(|e| MediaError::io("read", path, e))?;
    thumbnail_from_bytes(path, &bytes, max_side)
}

/// Like [`make_thumbnail`], but looks in `cache` first (keyed by content hash and size) and
/// stores what it makes there.
pub fn cached_thumbnail(
    path: &Path,
    max_side: u32,
    cache: &ThumbCache,
) -> Result<Picture, MediaError> {
    let bytes = std::fs::read(path).map_err(|e| MediaError::io("read", path, e))?;
    let key = ThumbCache::key(&bytes, &format!("thumb{max_side}"));
    if let Some(hit) = cache.get(&key) {
        return Ok(hit);
    }
    let thumb = thumbnail_from_bytes(path, &bytes, max_side)?;
    if let Err(e) = cache.put(&key, &thumb) {
        // A cache that cannot be written only costs speed next time.
        tracing::warn!("thumbnail cache: {e}");
    }
    Ok(thumb)
}

/// Makes a thumbnail from a picture already in memory; `path` is only used in messages.
pub fn thumbnail_from_bytes(
    path: &Path,
    bytes: &[u8],
    max_side: u32,
) -> Result<Picture, MediaError> {
    let info = probe_image_bytes(path, bytes)?;
    // Target size in stored orientation: the displayed box turned back if needed.
    let (tw, th) = fit_within(info.stored_width, info.stored_height, max_side.max(1));
    let small = match info.format {
        ImageFormat::Jpeg => jpeg_rgb_shrunk(path, bytes, &info, tw, th)?,
        ImageFormat::Png => {
            // Shrunk while decoding: no full-size copy of a large PNG.
            let d = Deadline::after(THUMBNAIL_LIMIT);
            let grid = png_stream::decode_shrunk(path, Cursor::new(bytes), tw, th, &d)?;
            resize(path, grid, tw, th, PixelType::U8x4)?
        }
        ImageFormat::WebP => {
            let rgba = decode_rgba(path, bytes, info.format)?;
            resize(path, rgba, tw, th, PixelType::U8x4)?
        }
    };
    Ok(info.orientation.apply(small))
}

/// The largest size with the same aspect ratio whose longer side is at most `max_side`.
pub fn fit_within(width: u32, height: u32, max_side: u32) -> (u32, u32) {
    let longest = width.max(height);
    if longest <= max_side {
        return (width, height);
    }
    let scale = f64::from(max_side) / f64::from(longest);
    let w = ((f64::from(width) * scale).round() as u32).clamp(1, max_side);
    let h = ((f64::from(height) * scale).round() as u32).clamp(1, max_side);
    (w, h)
}

/// Decodes a whole picture to RGBA8 (no orientation applied), refusing one whose decoding
/// would take more than [`DECODE_BUDGET`] rather than allocating it.
pub fn decode_rgba(path: &Path, bytes: &[u8], format: ImageFormat) -> Result<Picture, MediaError> {
    let fmt = match format {
        ImageFormat::Jpeg => image::ImageFormat::Jpeg,
        ImageFormat::Png => image::ImageFormat::Png,
        ImageFormat::WebP => image::ImageFormat::WebP,
    };
    let mut reader = image::ImageReader::with_format(Cursor::new(bytes), fmt);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(DECODE_BUDGET);
    reader.limits(limits);
    let (w, h) = image::ImageReader::with_format(Cursor::new(bytes), fmt)
        .into_dimensions()
        .unwrap_or((0, 0));
    let img = reader.decode().map_err(|e| match e {
        image::ImageError::Limits(_) => MediaError::TooLargeToDecode {
            path: path.into(),
            width: w,
            height: h,
            needed_mb: (u64::from(w) * u64::from(h) * 4).div_ceil(1 << 20),
            budget_mb: DECODE_BUDGET >> 20,
            advice: "scale it down",
        },
        e => MediaError::Decode {
            path: path.into(),
            reason: e.to_string(),
        },
    })?;
    let rgba = img.into_rgba8();
    Ok(Picture {
        width: rgba.width(),
        height: rgba.height(),
        rgba: rgba.into_raw(),
    })
}

/// Decodes a JPEG at the smallest DCT scale still at least `tw`×`th`, then resizes to exactly
/// that; the result is RGBA in stored orientation.
fn jpeg_rgb_shrunk(
    path: &Path,
    bytes: &[u8],
    info: &ImageInfo,
    tw: u32,
    th: u32,
) -> Result<Picture, MediaError> {
    let decode_err = |e: jpeg_decoder::Error| MediaError::Decode {
        path: path.into(),
        reason: e.to_string(),
    };
    // The DC-only decoder is several times faster whenever 1/8 scale is still big enough.
    let (ew, eh) = (
        info.stored_width.div_ceil(8),
        info.stored_height.div_ceil(8),
    );
    if ew >= tw
        && eh >= th
        && let Some((w, h, rgb)) = jpeg_dc::decode_eighth(bytes)
    {
        let shrunk = resize_raw(path, w, h, &rgb, tw, th, PixelType::U8x3)?;
        return Ok(Picture::from_rgb(tw, th, &shrunk));
    }
    let needed = jpeg_memory(info, info.jpeg.as_ref());
    if needed > DECODE_BUDGET {
        return Err(MediaError::TooLargeToDecode {
            path: path.into(),
            width: info.stored_width,
            height: info.stored_height,
            needed_mb: needed.div_ceil(1 << 20),
            budget_mb: DECODE_BUDGET >> 20,
            advice: "save it as a baseline (non-progressive) JPEG, or scale it down",
        });
    }
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.set_max_decoding_buffer_size(DECODE_BUDGET as usize);
    let req = |v: u32| u16::try_from(v).unwrap_or(u16::MAX);
    let (sw, sh) = decoder.scale(req(tw), req(th)).map_err(decode_err)?;
    let raw = decoder.decode().map_err(decode_err)?;
    let format = decoder
        .info()
        .map(|i| i.pixel_format)
        .ok_or_else(|| MediaError::Decode {
            path: path.into(),
            reason: "the decoder returned no frame information".into(),
        })?;
    let (sw, sh) = (u32::from(sw), u32::from(sh));
    let rgb = to_rgb(raw, format);
    if rgb.len() < sw as usize * sh as usize * 3 {
        return Err(MediaError::Decode {
            path: path.into(),
            reason: format!(
                "it decoded to fewer pixels than its {}×{} header declares",
                info.stored_width, info.stored_height
            ),
        });
    }
    let shrunk = resize_raw(path, sw, sh, &rgb, tw, th, PixelType::U8x3)?;
    Ok(Picture::from_rgb(tw, th, &shrunk))
}

/// Converts jpeg-decoder output of any pixel format to packed RGB8.
fn to_rgb(raw: Vec<u8>, format: jpeg_decoder::PixelFormat) -> Vec<u8> {
    use jpeg_decoder::PixelFormat as F;
    match format {
        F::RGB24 => raw,
        F::L8 => raw.iter().flat_map(|&l| [l, l, l]).collect(),
        // 16-bit samples are big-endian; the high byte is plenty for a preview.
        F::L16 => raw
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0]])
            .collect(),
        // Adobe writes CMYK inverted, so each channel already reads as "amount of light".
        F::CMYK32 => raw
            .chunks_exact(4)
            .flat_map(|p| {
                let k = u16::from(p[3]);
                [0, 1, 2].map(|i| (u16::from(p[i]) * k / 255) as u8)
            })
            .collect(),
    }
}

fn resize(
    path: &Path,
    src: Picture,
    tw: u32,
    th: u32,
    pixel: PixelType,
) -> Result<Picture, MediaError> {
    if (src.width, src.height) == (tw, th) {
        return Ok(src);
    }
    let rgba = resize_raw(path, src.width, src.height, &src.rgba, tw, th, pixel)?;
    Ok(Picture {
        width: tw,
        height: th,
        rgba,
    })
}

/// Resizes packed pixels of `pixel` type from `sw`×`sh` to `tw`×`th`.
fn resize_raw(
    path: &Path,
    sw: u32,
    sh: u32,
    src: &[u8],
    tw: u32,
    th: u32,
    pixel: PixelType,
) -> Result<Vec<u8>, MediaError> {
    if (sw, sh) == (tw, th) {
        return Ok(src[..sw as usize * sh as usize * pixel.size()].to_vec());
    }
    let fail = |reason: String| MediaError::Decode {
        path: path.into(),
        reason,
    };
    let src_view = ImageRef::new(sw, sh, src, pixel).map_err(|e| fail(e.to_string()))?;
    let mut dst = Image::new(tw, th, pixel);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&src_view, &mut dst, &options)
        .map_err(|e| fail(e.to_string()))?;
    Ok(dst.into_vec())
}
