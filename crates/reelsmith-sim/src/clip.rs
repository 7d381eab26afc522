//! The simulator's result video: a real, playable H.264 MP4 made in-process.
//!
//! Frames are a slow pan across a source image (the job's first input image) or, without one, a
//! synthetic pattern (gradient, a moving bar and the frame number as black/white blocks) so every
//! frame differs. They are encoded with OpenH264 and muxed with the `mp4` crate: SPS/PPS go into
//! the `avcC` box, each frame becomes one sample of 4-byte length-prefixed NAL units.

use std::io::Cursor;

use image::RgbImage;
use image::imageops::FilterType;
use openh264::OpenH264API;
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate, IntraFramePeriod, QpRange,
    RateControlMode,
};
use openh264::formats::{RgbSliceU8, YUVBuffer};
use reelsmith_core::media::audio::AAC_FRAME_SAMPLES;
use reelsmith_core::media::mp4::{AvcConfigRecord, Mp4Writer, TrackKind, TrackSpec};

use crate::sound::{PRIMING, SoundSpec, sound_frames};

/// Size, rate and length of a clip.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClipSpec {
    /// Frame width in pixels (even).
    pub width: u32,
    /// Frame height in pixels (even).
    pub height: u32,
    /// Frames per second.
    pub fps: u32,
    /// Number of frames.
    pub frames: u32,
}

/// The long side of the small frames the simulator renders (kept small so renders are quick).
pub const LONG_SIDE: u32 = 320;

impl ClipSpec {
    /// The frame size for an aspect ratio `w:h`: long side [`LONG_SIDE`], both sides multiples of 16.
    pub fn frame_size(aspect_w: f64, aspect_h: f64) -> (u32, u32) {
        let round16 = |x: f64| ((x / 16.0).round() as u32).max(1) * 16;
        if !(aspect_w > 0.0 && aspect_h > 0.0 && aspect_w.is_finite() && aspect_h.is_finite()) {
            return (LONG_SIDE, round16(LONG_SIDE as f64 * 9.0 / 16.0));
        }
        if aspect_w >= aspect_h {
            (LONG_SIDE, round16(LONG_SIDE as f64 * aspect_h / aspect_w))
        } else {
            (round16(LONG_SIDE as f64 * aspect_w / aspect_h), LONG_SIDE)
        }
    }

    fn problem(&self) -> Option<&'static str> {
        if self.width < 16 || self.height < 16 || self.width > 1920 || self.height > 1920 {
            Some("width and height must be between 16 and 1920")
        } else if !self.width.is_multiple_of(2) || !self.height.is_multiple_of(2) {
            Some("width and height must be even (4:2:0 chroma)")
        } else if self.fps == 0 || self.fps > 120 {
            Some("fps must be between 1 and 120")
        } else if self.frames == 0 || self.frames > 100_000 {
            Some("frames must be between 1 and 100000")
        } else {
            None
        }
    }
}

/// Why a clip could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ClipError {
    /// The spec cannot be encoded.
    #[error("cannot render a {}x{} clip at {} fps with {} frames: {reason}", spec.width, spec.height, spec.fps, spec.frames)]
    InvalidSpec {
        /// The spec asked for.
        spec: ClipSpec,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// OpenH264 refused to encode.
    #[error("the H.264 encoder failed on frame {frame}: {message}")]
    Encode {
        /// Frame index.
        frame: u32,
        /// The encoder's message.
        message: String,
    },
    /// The MP4 could not be written.
    #[error("writing the MP4 container failed: {0}")]
    Mux(String),
}

/// Renders the clip: MP4 bytes with one H.264 video track.
pub fn render_clip(spec: &ClipSpec, source: Option<&RgbImage>) -> Result<Vec<u8>, ClipError> {
    render_clip_with_sound(spec, source, None)
}

/// Renders the clip, with an AAC soundtrack as long as the picture when `sound` is given.
pub fn render_clip_with_sound(
    spec: &ClipSpec,
    source: Option<&RgbImage>,
    sound: Option<&SoundSpec>,
) -> Result<Vec<u8>, ClipError> {
    if let Some(reason) = spec.problem() {
        return Err(ClipError::InvalidSpec {
            spec: *spec,
            reason,
        });
    }
    let painter = Painter::new(spec, source);
    let encoded = encode_frames(spec, &painter)?;
    match sound {
        None => mux(spec, &encoded),
        Some(sound) => mux_with_sound(spec, &encoded, sound),
    }
}

/// The exact RGB picture fed to the encoder as frame `index` (clamped to the last frame); an
/// empty image for a spec [`render_clip`] refuses, since no frame of it is ever encoded.
pub fn clip_frame(spec: &ClipSpec, source: Option<&RgbImage>, index: u32) -> RgbImage {
    if spec.problem().is_some() {
        return RgbImage::new(0, 0);
    }
    Painter::new(spec, source).frame(index)
}

/// Draws frames: the backdrop is made once, so each frame is a crop or a copy plus a few fills.
struct Painter {
    spec: ClipSpec,
    backdrop: Backdrop,
}

enum Backdrop {
    /// The source scaled to cover the frame plus room to pan across.
    Pan(RgbImage),
    /// The gradient under the synthetic pattern.
    Pattern(RgbImage),
}

impl Painter {
    fn new(spec: &ClipSpec, source: Option<&RgbImage>) -> Painter {
        let (w, h) = (spec.width, spec.height);
        let backdrop = match source.filter(|s| s.width() > 0 && s.height() > 0 && w > 0 && h > 0) {
            Some(source) => Backdrop::Pan(scale_for_pan(source, w, h)),
            None => Backdrop::Pattern(gradient(w, h)),
        };
        Painter {
            spec: *spec,
            backdrop,
        }
    }

    fn frame(&self, index: u32) -> RgbImage {
        let (w, h) = (self.spec.width, self.spec.height);
        let last = self.spec.frames.saturating_sub(1);
        let index = index.min(last);
        match &self.backdrop {
            Backdrop::Pan(scaled) => {
                let span = (scaled.width() - w) as u64;
                let x = if last == 0 {
                    0
                } else {
                    (span * index as u64 / last as u64) as u32
                };
                let y = (scaled.height() - h) / 2;
                crop(scaled, x, y, w, h)
            }
            Backdrop::Pattern(background) => pattern_frame(background, index),
        }
    }
}

/// Scales `source` to cover `w × h` plus a quarter of `w` to pan across.
fn scale_for_pan(source: &RgbImage, w: u32, h: u32) -> RgbImage {
    let target_w = w + (w / 4).max(8);
    let (sw, sh) = (source.width() as f64, source.height() as f64);
    let scale = (target_w as f64 / sw).max(h as f64 / sh);
    let new_w = ((sw * scale).ceil() as u32).max(target_w);
    let new_h = ((sh * scale).ceil() as u32).max(h);
    // Through DynamicImage: its resize is compiled (optimised) inside the image crate, while a
    // generic imageops::resize call would be compiled here, unoptimised in debug builds.
    image::DynamicImage::ImageRgb8(source.clone())
        .resize_exact(new_w, new_h, FilterType::Triangle)
        .into_rgb8()
}

/// The `w × h` window of `img` at (`x`, `y`), copied row by row.
fn crop(img: &RgbImage, x: u32, y: u32, w: u32, h: u32) -> RgbImage {
    let stride = img.width() as usize * 3;
    let src: &[u8] = img;
    let mut out = Vec::with_capacity(w as usize * h as usize * 3);
    for row in y as usize..(y + h) as usize {
        let start = row * stride + x as usize * 3;
        out.extend_from_slice(&src[start..start + w as usize * 3]);
    }
    RgbImage::from_raw(w, h, out).unwrap_or_else(|| RgbImage::new(0, 0))
}

/// Red grows to the right, green downwards, blue is constant.
fn gradient(w: u32, h: u32) -> RgbImage {
    let wx = u64::from(w.max(2) - 1);
    let hy = u64::from(h.max(2) - 1);
    RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (u64::from(x) * 255 / wx) as u8,
            (u64::from(y) * 255 / hy) as u8,
            128,
        ])
    })
}

/// Fills columns `x0..x1` of rows `y0..y1` with one grey level.
fn fill_rect(img: &mut RgbImage, (x0, x1): (u32, u32), (y0, y1): (u32, u32), value: u8) {
    let w = img.width() as usize;
    let buf: &mut [u8] = img;
    for y in y0 as usize..y1 as usize {
        let row = &mut buf[(y * w + x0 as usize) * 3..(y * w + x1 as usize) * 3];
        row.fill(value);
    }
}

/// The gradient with a white bar moving right and the frame number in binary as 16×16 blocks
/// along the bottom edge (white = 1, least significant bit on the left).
fn pattern_frame(background: &RgbImage, index: u32) -> RgbImage {
    let mut img = background.clone();
    let (w, h) = img.dimensions();
    if w >= 4 {
        let bar_w = (w / 20).max(4);
        let bar_x = ((u64::from(index) * 4) % u64::from(w)) as u32;
        fill_rect(&mut img, (bar_x, (bar_x + bar_w).min(w)), (0, h), 255);
    }
    const BLOCK: u32 = 16;
    if h >= BLOCK * 2 {
        for bit in 0..(w / BLOCK).min(16) {
            let value = if (index >> bit) & 1 == 1 { 255 } else { 0 };
            fill_rect(
                &mut img,
                (bit * BLOCK, (bit + 1) * BLOCK),
                (h - BLOCK, h),
                value,
            );
        }
    }
    img
}

/// One encoded frame: length-prefixed NAL units, and whether it is a key frame (IDR).
struct EncodedFrame {
    data: Vec<u8>,
    sync: bool,
}

struct Encoded {
    sps: Vec<u8>,
    pps: Vec<u8>,
    frames: Vec<EncodedFrame>,
}

/// Strips an Annex-B start code (`00 00 01` or `00 00 00 01`) from a NAL unit.
fn strip_start_code(nal: &[u8]) -> &[u8] {
    if nal.starts_with(&[0, 0, 0, 1]) {
        &nal[4..]
    } else if nal.starts_with(&[0, 0, 1]) {
        &nal[3..]
    } else {
        nal
    }
}

fn encode_frames(spec: &ClipSpec, painter: &Painter) -> Result<Encoded, ClipError> {
    let config = EncoderConfig::new()
        .skip_frames(false)
        .max_frame_rate(FrameRate::from_hz(spec.fps as f32))
        .bitrate(BitRate::from_bps(1_000_000))
        // Rate control off: a fixed quality, and no encoder warning about frame skipping.
        .rate_control_mode(RateControlMode::Off)
        .qp(QpRange::new(10, 32))
        .complexity(Complexity::Low)
        .intra_frame_period(IntraFramePeriod::from_num_frames(spec.fps * 2))
        .num_threads(1);
    let mut encoder =
        Encoder::with_api_config(OpenH264API::from_source(), config).map_err(|e| {
            ClipError::Encode {
                frame: 0,
                message: e.to_string(),
            }
        })?;
    let (w, h) = (spec.width as usize, spec.height as usize);
    let mut sps = None;
    let mut pps = None;
    let mut frames = Vec::with_capacity(spec.frames as usize);
    for index in 0..spec.frames {
        let picture = painter.frame(index);
        let yuv = YUVBuffer::from_rgb8_source(RgbSliceU8::new(picture.as_raw(), (w, h)));
        let timestamp = openh264::Timestamp::from_millis(index as u64 * 1000 / spec.fps as u64);
        let bitstream = encoder
            .encode_at(&yuv, timestamp)
            .map_err(|e| ClipError::Encode {
                frame: index,
                message: e.to_string(),
            })?;
        let mut frame = EncodedFrame {
            data: Vec::new(),
            sync: false,
        };
        for l in 0..bitstream.num_layers() {
            let Some(layer) = bitstream.layer(l) else {
                continue;
            };
            for n in 0..layer.nal_count() {
                let Some(nal) = layer.nal_unit(n).map(strip_start_code) else {
                    continue;
                };
                let Some(&header) = nal.first() else { continue };
                match header & 0x1f {
                    // Parameter sets live in the avcC box, not in samples.
                    7 => {
                        sps.get_or_insert_with(|| nal.to_vec());
                    }
                    8 => {
                        pps.get_or_insert_with(|| nal.to_vec());
                    }
                    // Access unit delimiters carry nothing an MP4 needs.
                    9 => {}
                    kind => {
                        frame.sync |= kind == 5;
                        frame
                            .data
                            .extend_from_slice(&(nal.len() as u32).to_be_bytes());
                        frame.data.extend_from_slice(nal);
                    }
                }
            }
        }
        if frame.data.is_empty() {
            return Err(ClipError::Encode {
                frame: index,
                message: "the encoder produced no picture data".into(),
            });
        }
        frames.push(frame);
    }
    match (sps, pps) {
        (Some(sps), Some(pps)) => Ok(Encoded { sps, pps, frames }),
        _ => Err(ClipError::Encode {
            frame: 0,
            message: "the encoder produced no SPS/PPS".into(),
        }),
    }
}

/// Timescale ticks per frame: the track's timescale is `fps * FRAME_TICKS`.
const FRAME_TICKS: u32 = 1000;

fn mux(spec: &ClipSpec, encoded: &Encoded) -> Result<Vec<u8>, ClipError> {
    let mux_err = |e: mp4::Error| ClipError::Mux(e.to_string());
    let config = mp4::Mp4Config {
        major_brand: mp4::FourCC::from(*b"isom"),
        minor_version: 512,
        compatible_brands: vec![
            mp4::FourCC::from(*b"isom"),
            mp4::FourCC::from(*b"iso2"),
            mp4::FourCC::from(*b"avc1"),
            mp4::FourCC::from(*b"mp41"),
        ],
        // The movie and track share one timescale so the mp4 crate's per-sample conversion
        // of durations is exact (24 fps in a 1000 timescale would lose 2/3 ms per frame).
        timescale: spec.fps * FRAME_TICKS,
    };
    let mut writer =
        mp4::Mp4Writer::write_start(Cursor::new(Vec::new()), &config).map_err(mux_err)?;
    let frame_ticks = FRAME_TICKS;
    let track = mp4::TrackConfig {
        track_type: mp4::TrackType::Video,
        timescale: spec.fps * frame_ticks,
        language: "und".to_string(),
        media_conf: mp4::MediaConfig::AvcConfig(mp4::AvcConfig {
            width: spec.width as u16,
            height: spec.height as u16,
            seq_param_set: encoded.sps.clone(),
            pic_param_set: encoded.pps.clone(),
        }),
    };
    writer.add_track(&track).map_err(mux_err)?;
    for (i, frame) in encoded.frames.iter().enumerate() {
        let sample = mp4::Mp4Sample {
            start_time: i as u64 * frame_ticks as u64,
            duration: frame_ticks,
            rendering_offset: 0,
            is_sync: frame.sync,
            bytes: bytes::Bytes::copy_from_slice(&frame.data),
        };
        writer.write_sample(1, &sample).map_err(mux_err)?;
    }
    writer.write_end().map_err(mux_err)?;
    Ok(writer.into_writer().into_inner())
}

/// Muxes picture and sound with reelsmith's own muxer (the `mp4` crate writes no edit lists,
/// which AAC priming needs), interleaved about every half second as encoders do.
fn mux_with_sound(
    spec: &ClipSpec,
    encoded: &Encoded,
    sound: &SoundSpec,
) -> Result<Vec<u8>, ClipError> {
    let mux_err = |e: std::io::Error| ClipError::Mux(e.to_string());
    let rate = sound.config.sample_rate;
    let presented = u64::from(spec.frames) * u64::from(rate) / u64::from(spec.fps);
    let frames = sound_frames(sound, presented);
    let sps = &encoded.sps;
    let avcc = AvcConfigRecord {
        profile: sps.get(1).copied().unwrap_or(66),
        compatibility: sps.get(2).copied().unwrap_or(0),
        level: sps.get(3).copied().unwrap_or(30),
        nal_length_size: 4,
        sps: vec![encoded.sps.clone()],
        pps: vec![encoded.pps.clone()],
    };
    let specs = vec![
        TrackSpec {
            kind: TrackKind::Video {
                width: spec.width,
                height: spec.height,
                avcc,
            },
            timescale: spec.fps * FRAME_TICKS,
            media_start: 0,
            presented: None,
        },
        TrackSpec {
            kind: TrackKind::Audio(sound.config),
            timescale: rate,
            media_start: u64::from(PRIMING),
            presented: Some(presented),
        },
    ];
    let mut writer = Mp4Writer::new(Cursor::new(Vec::new()), specs).map_err(mux_err)?;
    // Half-second chunks: video frames and sound frames whose start falls in each.
    let (mut v, mut a) = (0usize, 0usize);
    let mut until = 0.0f64;
    while v < encoded.frames.len() || a < frames.len() {
        until += 0.5;
        while v < encoded.frames.len() && (v as f64) / f64::from(spec.fps) < until {
            let frame = &encoded.frames[v];
            writer
                .write_sample(0, &frame.data, FRAME_TICKS, 0, frame.sync)
                .map_err(mux_err)?;
            v += 1;
        }
        while a < frames.len()
            && (a as f64 * f64::from(AAC_FRAME_SAMPLES) - f64::from(PRIMING)) / f64::from(rate)
                < until
        {
            writer
                .write_sample(1, &frames[a], AAC_FRAME_SAMPLES, 0, true)
                .map_err(mux_err)?;
            a += 1;
        }
    }
    Ok(writer.finish().map_err(mux_err)?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: ClipSpec = ClipSpec {
        width: 64,
        height: 48,
        fps: 24,
        frames: 12,
    };

    #[test]
    fn frame_sizes_follow_the_aspect_ratio() {
        assert_eq!(ClipSpec::frame_size(16.0, 9.0), (320, 176));
        assert_eq!(ClipSpec::frame_size(9.0, 16.0), (176, 320));
        assert_eq!(ClipSpec::frame_size(1.0, 1.0), (320, 320));
        assert_eq!(ClipSpec::frame_size(0.0, 1.0), (320, 176));
    }

    #[test]
    fn synthetic_frames_differ_and_encode_their_index() {
        let a = clip_frame(&SPEC, None, 0);
        let b = clip_frame(&SPEC, None, 5);
        assert_eq!(a.dimensions(), (64, 48));
        assert_ne!(a, b);
        // Frame 5 = bits 0 and 2 set: the first and third blocks are white, the second black.
        assert_eq!(b.get_pixel(8, 40).0, [255, 255, 255]);
        assert_eq!(b.get_pixel(24, 40).0, [0, 0, 0]);
        assert_eq!(b.get_pixel(40, 40).0, [255, 255, 255]);
    }

    #[test]
    fn pans_across_the_source_image() {
        let source = RgbImage::from_fn(200, 100, |x, _| image::Rgb([x as u8, 0, 0]));
        let first = clip_frame(&SPEC, Some(&source), 0);
        let last = clip_frame(&SPEC, Some(&source), SPEC.frames - 1);
        assert!(last.get_pixel(0, 10).0[0] > first.get_pixel(0, 10).0[0]);
        assert_eq!(clip_frame(&SPEC, Some(&source), 99), last);
    }

    #[test]
    fn renders_an_mp4_with_one_sample_per_frame() {
        let bytes = render_clip(&SPEC, None).expect("render");
        let size = bytes.len() as u64;
        let mut reader = mp4::Mp4Reader::read_header(Cursor::new(bytes), size).expect("parse");
        let track = reader.tracks().get(&1).expect("track 1");
        assert_eq!(track.box_type().expect("box type").to_string(), "avc1");
        assert_eq!((track.width(), track.height()), (64, 48));
        assert_eq!(reader.sample_count(1).expect("count"), 12);
        let first = reader.read_sample(1, 1).expect("read").expect("sample 1");
        assert!(first.is_sync);
    }

    #[test]
    fn sound_is_veo_layout_aac_as_long_as_the_picture_and_beeps() {
        use reelsmith_core::media::audio::{AacConfig, decode_track};
        let spec = ClipSpec { frames: 48, ..SPEC };
        let bytes = render_clip_with_sound(&spec, None, Some(&SoundSpec::default())).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sound.mp4");
        std::fs::write(&path, bytes).unwrap();
        let file = reelsmith_core::media::mp4::Mp4File::open(&path).unwrap();
        assert_eq!(file.video.as_ref().unwrap().samples.len(), 48);
        let audio = file.audio.as_ref().unwrap();
        assert_eq!(audio.config, Ok(AacConfig::STEREO_48K));
        assert_eq!(audio.media_start, 1024);
        let sound = decode_track(&path).unwrap().unwrap();
        assert_eq!(sound.frames(), 96_000, "2 s at 48 kHz");
        let rms = |from: f64, to: f64| {
            let (a, b) = ((from * 48_000.0) as usize * 2, (to * 48_000.0) as usize * 2);
            let s = &sound.samples[a..b];
            (s.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>() / s.len() as f64).sqrt()
        };
        for second in [0.0, 1.0] {
            let on = rms(second + 0.05, second + 0.45);
            let off = rms(second + 0.55, second + 0.95);
            assert!(on > 0.03 && on < 0.5, "beep rms {on}");
            assert!(off < 1e-4, "gap rms {off}");
        }
        // The old decoder still sees the same picture.
        let demux = reelsmith_core::media::video::Demuxer::open(&path).unwrap();
        assert_eq!(demux.info().frame_count, 48);
        assert!((demux.info().duration_secs - 2.0).abs() < 1e-9);
    }

    #[test]
    fn bad_specs_are_refused() {
        let spec = ClipSpec { width: 15, ..SPEC };
        assert!(matches!(
            render_clip(&spec, None),
            Err(ClipError::InvalidSpec { .. })
        ));
        let empty = clip_frame(
            &ClipSpec {
                width: 100_000,
                height: 0,
                fps: 1,
                frames: u32::MAX,
            },
            Some(&RgbImage::new(4, 4)),
            u32::MAX,
        );
        assert_eq!(empty.dimensions(), (0, 0));
    }
}
