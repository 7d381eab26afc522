//! Format, dimensions and orientation of a picture, read from its header without decoding it.
//!
//! The format comes from the content (magic bytes), never the extension. Besides the header,
//! only the file's tail is read, to catch truncated copies before a decoder chokes on them.

use std::fs::File;
use std::io::{Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::error::MediaError;
use super::exif::{EXIF_APP1_PREFIX, check_tiff, orientation_from_tiff};
use super::orientation::Orientation;

/// Largest side accepted, in pixels; beyond it a header is treated as a decompression bomb.
pub const MAX_SIDE: u32 = 20_000;
/// Largest pixel count accepted (100 megapixels); beyond it decoding would need gigabytes.
pub const MAX_PIXELS: u64 = 100_000_000;

/// How far back from the end a JPEG's end-of-image marker may sit (cameras append trailers).
const JPEG_TAIL_WINDOW: u64 = 64 * 1024;
/// The bytes of the first head read used to recognise a format.
const SNIFF_LEN: usize = 64;

/// The picture formats reelsmith decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    /// JPEG (baseline or progressive).
    Jpeg,
    /// PNG.
    Png,
    /// WebP (lossy or lossless).
    WebP,
}

impl ImageFormat {
    /// The usual name of the format.
    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "JPEG",
            ImageFormat::Png => "PNG",
            ImageFormat::WebP => "WebP",
        }
    }

    /// The MIME type to upload the file with.
    pub fn mime_type(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "image/jpeg",
            ImageFormat::Png => "image/png",
            ImageFormat::WebP => "image/webp",
        }
    }
}

/// What the header says about a picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageInfo {
    /// The real format, from the content.
    pub format: ImageFormat,
    /// Displayed width (after the EXIF orientation is applied).
    pub width: u32,
    /// Displayed height (after the EXIF orientation is applied).
    pub height: u32,
    /// Width of the stored pixels.
    pub stored_width: u32,
    /// Height of the stored pixels.
    pub stored_height: u32,
    /// The EXIF orientation (Normal when absent).
    pub orientation: Orientation,
    /// File size in bytes.
    pub file_size: u64,
    /// For a JPEG, how its frame is coded (which decoder can check it).
    pub jpeg: Option<JpegFrame>,
}

/// How a JPEG is coded, from its first frame header and its Adobe segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JpegFrame {
    /// The start-of-frame marker (0xC0 baseline, 0xC1 extended, 0xC2 progressive, …).
    pub marker: u8,
    /// Bits per sample.
    pub precision: u8,
    /// Each component's horizontal and vertical sampling factors.
    pub sampling: Vec<(u8, u8)>,
    /// The Adobe segment's colour transform, when there is one (0: RGB or CMYK, not YCbCr).
    pub adobe_transform: Option<u8>,
}

impl JpegFrame {
    /// Progressive coding (all coefficients are held until the last scan).
    pub fn progressive(&self) -> bool {
        matches!(self.marker, 0xC2 | 0xC6 | 0xCA | 0xCE)
    }

    /// What the 1/8-scale DC decoder reads: sequential Huffman, 8-bit, grey or YCbCr.
    pub fn dc_decodable(&self) -> bool {
        matches!(self.marker, 0xC0 | 0xC1)
            && self.precision == 8
            && matches!(self.sampling.len(), 1 | 3)
            && self.adobe_transform != Some(0)
    }
}

/// Probes the picture at `path`, reading only its header and its tail.
pub fn probe_image(path: &Path) -> Result<ImageInfo, MediaError> {
    let mut file = File::open(path).map_err(|e| MediaError::io("open", path, e))?;
    let len = file
        .metadata()
        .map_err(|e| MediaError::io("read", path, e))?
        .len();
    probe_reader(path, &mut file, len)
}

/// Probes a picture already in memory; `path` is only used in messages.
pub fn probe_image_bytes(path: &Path, bytes: &[u8]) -> Result<ImageInfo, MediaError> {
    probe_reader(path, &mut Cursor::new(bytes), bytes.len() as u64)
}

fn probe_reader<R: Read + Seek>(path: &Path, r: &mut R, len: u64) -> Result<ImageInfo, MediaError> {
    if len == 0 {
        return Err(MediaError::Empty { path: path.into() });
    }
    let mut head = vec![0u8; SNIFF_LEN.min(len as usize)];
    r.read_exact(&mut head)
        .map_err(|e| MediaError::io("read", path, e))?;
    let format = sniff(path, &head)?;
    r.seek(SeekFrom::Start(0))
        .map_err(|e| MediaError::io("read", path, e))?;
    let mut h = Header {
        r,
        path,
        len,
        format,
    };
    let mut jpeg = None;
    let (w, h_px, orientation) = match format {
        ImageFormat::Jpeg => {
            let (w, h_px, orientation, frame) = h.jpeg()?;
            jpeg = Some(frame);
            (w, h_px, orientation)
        }
        ImageFormat::Png => h.png()?,
        ImageFormat::WebP => h.webp()?,
    };
    let (width, height) = orientation.display_size(w, h_px);
    Ok(ImageInfo {
        format,
        width,
        height,
        stored_width: w,
        stored_height: h_px,
        orientation,
        file_size: len,
        jpeg,
    })
}

/// Recognises the format from the first bytes, or says what the content is instead.
fn sniff(path: &Path, head: &[u8]) -> Result<ImageFormat, MediaError> {
    if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Ok(ImageFormat::Jpeg);
    }
    if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Ok(ImageFormat::Png);
    }
    if head.len() >= 12 && &head[0..4] == b"RIFF" && &head[8..12] == b"WEBP" {
        return Ok(ImageFormat::WebP);
    }
    if head.len() < 12 && (b"\x89PNG\r\n\x1a\n".starts_with(head) || b"RIFF".starts_with(head)) {
        // Too short to even hold the signature of the format it starts like.
        return Err(MediaError::Truncated {
            path: path.into(),
            format: if head.first() == Some(&0x89) {
                "PNG"
            } else {
                "WebP"
            },
        });
    }
    Err(describe_other(path, head))
}

/// The error for content that is not one of the supported formats, naming what it is.
pub(crate) fn describe_other(path: &Path, head: &[u8]) -> MediaError {
    if let Some(kind) = infer::get(head) {
        let what = format!("{} ({})", kind.extension().to_uppercase(), kind.mime_type());
        return match kind.matcher_type() {
            infer::MatcherType::Image => MediaError::UnsupportedFormat {
                path: path.into(),
                format: format!("a {what} image"),
                supported: "JPEG, PNG or WebP",
            },
            _ => MediaError::NotAnImage {
                path: path.into(),
                detected: Some(format!("a {what} file")),
            },
        };
    }
    let looks_like_text = std::str::from_utf8(head).is_ok()
        || head
            .iter()
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace());
    MediaError::NotAnImage {
        path: path.into(),
        detected: looks_like_text.then(|| "text".to_string()),
    }
}

/// A reader positioned in a picture's header, with what is needed for messages.
struct Header<'a, R> {
    r: &'a mut R,
    path: &'a Path,
    len: u64,
    format: ImageFormat,
}

impl<R: Read + Seek> Header<'_, R> {
    fn path(&self) -> PathBuf {
        self.path.to_path_buf()
    }

    fn truncated(&self) -> MediaError {
        MediaError::Truncated {
            path: self.path(),
            format: self.format.name(),
        }
    }

    fn corrupt(&self, reason: impl Into<String>) -> MediaError {
        MediaError::Corrupt {
            path: self.path(),
            format: self.format.name(),
            reason: reason.into(),
        }
    }

    /// Reads exactly `n` bytes; running out of file means the file is truncated.
    fn bytes(&mut self, n: usize) -> Result<Vec<u8>, MediaError> {
        let mut buf = vec![0u8; n];
        match self.r.read_exact(&mut buf) {
            Ok(()) => Ok(buf),
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Err(self.truncated()),
            Err(e) => Err(MediaError::io("read", self.path, e)),
        }
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], MediaError> {
        let v = self.bytes(N)?;
        v.try_into().map_err(|_| self.truncated())
    }

    fn position(&mut self) -> Result<u64, MediaError> {
        self.r
            .stream_position()
            .map_err(|e| MediaError::io("read", self.path, e))
    }

    /// Skips `n` bytes forward; skipping past the end means the file is truncated.
    fn skip(&mut self, n: u64) -> Result<(), MediaError> {
        let to = self.position()? + n;
        if to > self.len {
            return Err(self.truncated());
        }
        self.r
            .seek(SeekFrom::Start(to))
            .map_err(|e| MediaError::io("read", self.path, e))?;
        Ok(())
    }

    /// The last `n` bytes of the file (fewer if the file is shorter than `from`).
    fn tail_from(&mut self, from: u64) -> Result<Vec<u8>, MediaError> {
        self.r
            .seek(SeekFrom::Start(from))
            .map_err(|e| MediaError::io("read", self.path, e))?;
        let mut buf = Vec::new();
        self.r
            .read_to_end(&mut buf)
            .map_err(|e| MediaError::io("read", self.path, e))?;
        Ok(buf)
    }

    fn check_size(&self, w: u32, h: u32) -> Result<(), MediaError> {
        if w == 0 || h == 0 {
            return Err(self.corrupt(format!("its header declares {w}×{h} pixels")));
        }
        if w > MAX_SIDE || h > MAX_SIDE || u64::from(w) * u64::from(h) > MAX_PIXELS {
            return Err(MediaError::DecompressionBomb {
                path: self.path(),
                width: w,
                height: h,
                max_side: MAX_SIDE,
                max_megapixels: (MAX_PIXELS / 1_000_000) as u32,
            });
        }
        Ok(())
    }

    /// Walks the JPEG segments up to the start of the scan: frame size and EXIF orientation.
    fn jpeg(&mut self) -> Result<(u32, u32, Orientation, JpegFrame), MediaError> {
        self.skip(2)?; // SOI
        let mut size = None;
        let mut frame: Option<JpegFrame> = None;
        let mut adobe_transform = None;
        let mut orientation = Orientation::Normal;
        loop {
            let [ff, mut marker] = self.array::<2>()?;
            if ff != 0xFF {
                return Err(
                    self.corrupt(format!("expected a segment marker, found byte {ff:#04x}"))
                );
            }
            while marker == 0xFF {
                // Fill bytes may pad before a marker.
                marker = self.array::<1>()?[0];
            }
            match marker {
                0x01 | 0xD0..=0xD7 => continue, // markers without a length
                0xD9 => return Err(self.corrupt("it ends before any picture data")),
                _ => {}
            }
            let seg_len = u16::from_be_bytes(self.array::<2>()?);
            if seg_len < 2 {
                return Err(self.corrupt(format!("segment {marker:#04x} has length {seg_len}")));
            }
            let body_len = usize::from(seg_len - 2);
            match marker {
                // Start-of-frame markers (all coding processes; C4, C8 and CC are not frames).
                0xC0..=0xCF if !matches!(marker, 0xC4 | 0xC8 | 0xCC) => {
                    let body = self.bytes(body_len)?;
                    if body.len() < 6 {
                        return Err(self.corrupt("its frame header is too short"));
                    }
                    let h = u32::from(u16::from_be_bytes([body[1], body[2]]));
                    let w = u32::from(u16::from_be_bytes([body[3], body[4]]));
                    // The first frame header is the picture; decoders refuse a second one.
                    if frame.is_none() {
                        size = Some((w, h));
                        let sampling = body[6..]
                            .chunks_exact(3)
                            .take(usize::from(body[5]))
                            .map(|c| (c[1] >> 4, c[1] & 0x0F))
                            .collect();
                        frame = Some(JpegFrame {
                            marker,
                            precision: body[0],
                            sampling,
                            adobe_transform: None,
                        });
                    }
                }
                0xEE => {
                    let body = self.bytes(body_len)?;
                    if body.starts_with(b"Adobe") && body.len() >= 12 {
                        adobe_transform = Some(body[11]);
                    }
                }
                0xE1 => {
                    let body = self.bytes(body_len)?;
                    if let Some(tiff) = body.strip_prefix(EXIF_APP1_PREFIX) {
                        check_tiff(tiff).map_err(|e| self.corrupt(e))?;
                        // The first EXIF block wins; later APP1s are usually XMP.
                        if orientation == Orientation::Normal {
                            orientation = orientation_from_tiff(tiff).unwrap_or_default();
                        }
                    }
                }
                0xDA => break,
                _ => self.skip(body_len as u64)?,
            }
        }
        let (Some((w, h)), Some(mut frame)) = (size, frame) else {
            return Err(self.corrupt("it has no frame header before its picture data"));
        };
        frame.adobe_transform = adobe_transform;
        self.check_size(w, h)?;
        // Entropy-coded data escapes 0xFF bytes, so an FF D9 pair after the scan start can
        // only be the end-of-image marker; without it the file was cut short.
        let scan_start = self.position()?;
        let from = scan_start.max(self.len.saturating_sub(JPEG_TAIL_WINDOW));
        let tail = self.tail_from(from)?;
        if !tail.windows(2).any(|p| p == [0xFF, 0xD9]) {
            return Err(self.truncated());
        }
        Ok((w, h, orientation, frame))
    }

    /// Reads IHDR and any eXIf chunk before the image data, then checks the IEND at the end.
    fn png(&mut self) -> Result<(u32, u32, Orientation), MediaError> {
        self.skip(8)?;
        let ihdr = self.bytes(8 + 13)?;
        if &ihdr[4..8] != b"IHDR" {
            return Err(self.corrupt("its first chunk is not IHDR"));
        }
        let w = u32::from_be_bytes([ihdr[8], ihdr[9], ihdr[10], ihdr[11]]);
        let h = u32::from_be_bytes([ihdr[12], ihdr[13], ihdr[14], ihdr[15]]);
        self.check_size(w, h)?;
        self.skip(4)?; // IHDR's CRC
        let mut orientation = Orientation::Normal;
        loop {
            let head = self.bytes(8)?;
            let len = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
            match &head[4..8] {
                b"eXIf" if len < 1 << 20 => {
                    let body = self.bytes(len as usize)?;
                    let tiff = body.strip_prefix(EXIF_APP1_PREFIX).unwrap_or(&body);
                    check_tiff(tiff).map_err(|e| self.corrupt(e))?;
                    orientation = orientation_from_tiff(tiff).unwrap_or_default();
                    self.skip(4)?;
                }
                b"IDAT" | b"IEND" => break,
                _ => self.skip(len + 4)?,
            }
        }
        let tail = self.tail_from(self.len.saturating_sub(64))?;
        if !tail.windows(4).any(|p| p == b"IEND") {
            return Err(self.truncated());
        }
        Ok((w, h, orientation))
    }

    /// Walks the RIFF chunks: canvas size (VP8X) or the frame header (VP8/VP8L), and EXIF.
    fn webp(&mut self) -> Result<(u32, u32, Orientation), MediaError> {
        let riff = self.bytes(12)?;
        let riff_len = u64::from(u32::from_le_bytes([riff[4], riff[5], riff[6], riff[7]]));
        if riff_len + 8 > self.len {
            return Err(self.truncated());
        }
        let end = riff_len + 8;
        let mut size = None;
        let mut canvas = None;
        let mut orientation = Orientation::Normal;
        while self.position()? + 8 <= end {
            let head = self.bytes(8)?;
            let len = u64::from(u32::from_le_bytes([head[4], head[5], head[6], head[7]]));
            let padded = len + (len & 1);
            match &head[0..4] {
                b"VP8X" if len >= 10 => {
                    let b = self.bytes(10)?;
                    let w = u32::from_le_bytes([b[4], b[5], b[6], 0]) + 1;
                    let h = u32::from_le_bytes([b[7], b[8], b[9], 0]) + 1;
                    canvas = Some((w, h));
                    self.skip(padded - 10)?;
                }
                b"VP8 " if len >= 10 => {
                    let b = self.bytes(10)?;
                    if b[3..6] != [0x9D, 0x01, 0x2A] {
                        return Err(self.corrupt("its VP8 frame has no start code"));
                    }
                    let w = u32::from(u16::from_le_bytes([b[6], b[7]]) & 0x3FFF);
                    let h = u32::from(u16::from_le_bytes([b[8], b[9]]) & 0x3FFF);
                    size.get_or_insert((w, h));
                    self.skip(padded - 10)?;
                }
                b"VP8L" if len >= 5 => {
                    let b = self.bytes(5)?;
                    if b[0] != 0x2F {
                        return Err(self.corrupt("its VP8L frame has a bad signature"));
                    }
                    let bits = u32::from_le_bytes([b[1], b[2], b[3], b[4]]);
                    let w = (bits & 0x3FFF) + 1;
                    let h = ((bits >> 14) & 0x3FFF) + 1;
                    size.get_or_insert((w, h));
                    self.skip(padded - 5)?;
                }
                b"EXIF" if len < 1 << 20 => {
                    let body = self.bytes(len as usize)?;
                    let tiff = body.strip_prefix(EXIF_APP1_PREFIX).unwrap_or(&body);
                    check_tiff(tiff).map_err(|e| self.corrupt(e))?;
                    orientation = orientation_from_tiff(tiff).unwrap_or_default();
                    self.skip(padded - len)?;
                }
                _ => self.skip(padded)?,
            }
        }
        let Some((w, h)) = canvas.or(size) else {
            return Err(self.corrupt("it has no image chunk"));
        };
        self.check_size(w, h)?;
        Ok((w, h, orientation))
    }
}
