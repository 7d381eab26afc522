//! Checking files against a field's `x-fal` limits before they are uploaded (and paid for).
//!
//! Pictures that are too large are re-encoded into a scratch folder (the original is never
//! touched); pictures that are too small are refused before any request; odd aspect ratios get
//! a warning. Videos cannot be re-encoded here, so any broken limit is an error.

use std::path::{Path, PathBuf};

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

use super::check::{self, Inspected, Level, MediaKind, display_name, max_dimensions};
use super::deadline;
use super::error::MediaError;
use super::picture::Picture;
use super::probe::probe_image;
use super::thumbnail::decode_rgba;
use super::video::VideoInfo;
use crate::schema::MediaLimits;

/// JPEG qualities tried in turn, best first, before the picture is made smaller.
const QUALITY_LADDER: [u8; 5] = [92, 86, 80, 72, 64];
/// How many times the picture may be shrunk further to meet the file-size limit.
const MAX_SHRINK_STEPS: usize = 12;

/// A file ready to upload, and what the user should be told about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Prepared {
    /// The file to upload: the original, or a re-encoded copy in the scratch folder.
    pub path: PathBuf,
    /// What was done to the file (empty when it is uploaded as is).
    pub notes: Vec<String>,
    /// Things the user should know that do not stop the upload (e.g. cropping).
    pub warnings: Vec<String>,
    /// Displayed width of the file to upload.
    pub width: u32,
    /// Displayed height of the file to upload.
    pub height: u32,
    /// MIME type of the file to upload.
    pub mime_type: &'static str,
}

/// Checks the picture at `path` against `limits`, re-encoding a copy into `scratch_dir` when
/// it is above the maximum file size or dimensions; on a thread of its own, within
/// [`deadline::PREPARE_LIMIT`].
pub fn prepare_image(
    path: &Path,
    limits: &MediaLimits,
    scratch_dir: &Path,
) -> Result<Prepared, MediaError> {
    let (owned, limits, scratch) = (
        path.to_path_buf(),
        limits.clone(),
        scratch_dir.to_path_buf(),
    );
    deadline::within(deadline::PREPARE_LIMIT, path, "preparation", move |_| {
        prepare_now(&owned, &limits, &scratch)
    })
}

fn prepare_now(
    path: &Path,
    limits: &MediaLimits,
    scratch_dir: &Path,
) -> Result<Prepared, MediaError> {
    let info = probe_image(path)?;
    let (w, h) = (info.width, info.height);
    let (min_w, min_h) = (
        limits.min_width.unwrap_or(0),
        limits.min_height.unwrap_or(0),
    );
    let name = display_name(path);
    // The one media check decides, so the upload does what the form and preflight said.
    let problems = check::problems(&Inspected::Image(info.clone()), limits, &name);
    if problems.iter().any(|p| p.level == Level::Block) {
        return Err(MediaError::TooSmall {
            path: path.into(),
            width: w,
            height: h,
            min_width: min_w,
            min_height: min_h,
        });
    }
    let warnings = problems
        .iter()
        .filter(|p| p.level == Level::Warn)
        .map(|p| p.message.clone())
        .collect();
    let over_dims =
        limits.max_width.is_some_and(|m| w > m) || limits.max_height.is_some_and(|m| h > m);
    let over_size = limits.max_file_size.is_some_and(|m| info.file_size > m);
    if !problems.iter().any(|p| p.level == Level::Reencode) {
        return Ok(Prepared {
            path: path.into(),
            notes: Vec::new(),
            warnings,
            width: w,
            height: h,
            mime_type: info.format.mime_type(),
        });
    }

    let bytes = std::fs::read(path).map_err(|e| MediaError::io("read", path, e))?;
    let upright = info
        .orientation
        .apply(decode_rgba(path, &bytes, info.format)?);
    let (rgb, had_alpha) = flatten_on_white(&upright);
    drop(upright);

    // Largest scale that fits the dimension limits; the file-size limit may shrink it further.
    let mut scale = 1.0f64;
    if let Some(m) = limits.max_width.filter(|m| w > *m) {
        scale = scale.min(f64::from(m) / f64::from(w));
    }
    if let Some(m) = limits.max_height.filter(|m| h > *m) {
        scale = scale.min(f64::from(m) / f64::from(h));
    }
    let max_bytes = limits.max_file_size;
    let mut attempt = 0;
    let (jpeg, tw, th, quality) = loop {
        let (tw, th) = scaled(w, h, scale, limits);
        if tw < min_w.max(1) || th < min_h.max(1) {
            return Err(MediaError::CannotFit {
                path: path.into(),
                max_bytes: max_bytes.unwrap_or(0),
            });
        }
        let pixels = resize_rgb(path, &rgb, w, h, tw, th)?;
        let mut smallest = 0usize;
        let mut fitting = None;
        for q in QUALITY_LADDER {
            let jpeg = encode_jpeg(path, &pixels, tw, th, q)?;
            smallest = jpeg.len();
            if max_bytes.is_none_or(|m| jpeg.len() as u64 <= m) {
                fitting = Some((jpeg, q));
                break;
            }
        }
        if let Some((jpeg, q)) = fitting {
            break (jpeg, tw, th, q);
        }
        attempt += 1;
        if attempt > MAX_SHRINK_STEPS {
            return Err(MediaError::CannotFit {
                path: path.into(),
                max_bytes: max_bytes.unwrap_or(0),
            });
        }
        // File size grows roughly with the pixel count: aim just under the limit.
        let ratio = max_bytes.unwrap_or(1) as f64 / smallest.max(1) as f64;
        scale *= (ratio.sqrt() * 0.95).clamp(0.5, 0.95);
    };

    let out = scratch_path(path, scratch_dir, &bytes, tw, th)?;
    let tmp = out.with_extension("jpg.part");
    std::fs::write(&tmp, &jpeg).map_err(|e| MediaError::io("write", &tmp, e))?;
    std::fs::rename(&tmp, &out).map_err(|e| MediaError::io("write", &out, e))?;

    let mut why = Vec::new();
    if over_dims {
        why.push(format!(
            "larger than the field's {} px",
            max_dimensions(limits)
        ));
    }
    if let Some(m) = max_bytes.filter(|_| over_size) {
        why.push(format!(
            "larger than the field's {} file limit",
            crate::human::bytes(m)
        ));
    }
    let mut notes = vec![format!(
        "{name} was {w}×{h} px, {} ({}); a JPEG copy of {tw}×{th} px at quality {quality} ({}) will be uploaded instead; the original is unchanged",
        crate::human::bytes(info.file_size),
        why.join(" and "),
        crate::human::bytes(jpeg.len() as u64),
    )];
    if info.orientation.exif_value() != 1 {
        notes.push(format!(
            "{name}: the copy is turned upright as its EXIF orientation says"
        ));
    }
    if had_alpha {
        notes.push(format!(
            "{name}: transparent areas are white in the copy (JPEG has no transparency)"
        ));
    }
    Ok(Prepared {
        path: out,
        notes,
        warnings,
        width: tw,
        height: th,
        mime_type: "image/jpeg",
    })
}

/// A video and what the user should know about it after [`check_video`].
#[derive(Debug, Clone, PartialEq)]
pub struct VideoCheck {
    /// What the container says about the clip.
    pub info: VideoInfo,
    /// Things that do not stop the upload (e.g. cropping).
    pub warnings: Vec<String>,
}

/// Checks the video at `path` against `limits` (duration, frame rate, dimensions, file size)
/// with the one media check, decoding its first frame.
///
/// Every broken limit is listed in one error, so the user can fix them all at once.
pub fn check_video(path: &Path, limits: &MediaLimits) -> Result<VideoCheck, MediaError> {
    let inspected = check::inspect(path, MediaKind::Video)?;
    let Inspected::Video(info) = &inspected else {
        return Err(MediaError::NotAVideo {
            path: path.into(),
            detected: None,
        });
    };
    let found = check::problems(&inspected, limits, &display_name(path));
    let (blocking, warnings): (Vec<_>, Vec<_>) = found.into_iter().partition(|p| p.blocks());
    if !blocking.is_empty() {
        return Err(MediaError::VideoOutOfLimits {
            path: path.into(),
            problems: blocking.into_iter().map(|p| p.message).collect(),
        });
    }
    Ok(VideoCheck {
        info: info.clone(),
        warnings: warnings.into_iter().map(|p| p.message).collect(),
    })
}

/// Scaled size keeping the aspect ratio; never below the minimum dimensions when avoidable.
fn scaled(w: u32, h: u32, scale: f64, limits: &MediaLimits) -> (u32, u32) {
    let round = |v: u32, cap: Option<u32>| {
        let s = (f64::from(v) * scale).round().max(1.0) as u32;
        cap.map_or(s, |c| s.min(c))
    };
    (round(w, limits.max_width), round(h, limits.max_height))
}

/// Drops the alpha channel, compositing on white; also says whether any pixel was see-through.
fn flatten_on_white(picture: &Picture) -> (Vec<u8>, bool) {
    let mut any_alpha = false;
    let mut rgb = Vec::with_capacity(picture.rgba.len() / 4 * 3);
    for p in picture.rgba.chunks_exact(4) {
        let a = u32::from(p[3]);
        if a == 255 {
            rgb.extend_from_slice(&p[..3]);
        } else {
            any_alpha = true;
            for &c in &p[..3] {
                rgb.push(((u32::from(c) * a + 255 * (255 - a) + 127) / 255) as u8);
            }
        }
    }
    (rgb, any_alpha)
}

fn resize_rgb(
    path: &Path,
    rgb: &[u8],
    w: u32,
    h: u32,
    tw: u32,
    th: u32,
) -> Result<Vec<u8>, MediaError> {
    if (w, h) == (tw, th) {
        return Ok(rgb.to_vec());
    }
    let fail = |reason: String| MediaError::Encode {
        path: path.into(),
        reason,
    };
    let src = ImageRef::new(w, h, rgb, PixelType::U8x3).map_err(|e| fail(e.to_string()))?;
    let mut dst = Image::new(tw, th, PixelType::U8x3);
    let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| fail(e.to_string()))?;
    Ok(dst.into_vec())
}

fn encode_jpeg(
    path: &Path,
    rgb: &[u8],
    w: u32,
    h: u32,
    quality: u8,
) -> Result<Vec<u8>, MediaError> {
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode(rgb, w, h, image::ExtendedColorType::Rgb8)
        .map_err(|e| MediaError::Encode {
            path: path.into(),
            reason: e.to_string(),
        })?;
    Ok(out)
}

/// Where the prepared copy goes: named after the original, its content and its new size.
fn scratch_path(
    path: &Path,
    scratch_dir: &Path,
    bytes: &[u8],
    w: u32,
    h: u32,
) -> Result<PathBuf, MediaError> {
    std::fs::create_dir_all(scratch_dir)
        .map_err(|e| MediaError::io("create the folder", scratch_dir, e))?;
    let stem = path
        .file_stem()
        .map_or_else(|| "image".to_string(), |s| s.to_string_lossy().into_owned());
    let hash = blake3::hash(bytes).to_hex();
    Ok(scratch_dir.join(format!("{stem}-{}-{w}x{h}.jpg", &hash[..12])))
}
