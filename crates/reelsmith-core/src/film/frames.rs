//! Decoded pictures for re-encoding: a shot's frames in presentation order as I420 planes,
//! fitted to the film's size when they differ (scaled, with black bars to keep the shape).

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};
use openh264::OpenH264API;
use openh264::decoder::{DecodedYUV, Decoder, DecoderConfig};
use openh264::formats::YUVSource;

use super::error::FilmError;
use super::h264::split_length_prefixed;
use super::source::SourceClip;

/// One picture in I420: Y, then U, then V, each tightly packed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame420 {
    /// Width in pixels (even).
    pub width: usize,
    /// Height in pixels (even).
    pub height: usize,
    /// The planes, Y then U then V.
    pub data: Vec<u8>,
}

impl Frame420 {
    fn from_decoded(yuv: &DecodedYUV<'_>) -> Frame420 {
        let (w, h) = yuv.dimensions();
        let (sy, su, sv) = yuv.strides();
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let mut data = Vec::with_capacity(w * h + 2 * cw * ch);
        for row in 0..h {
            data.extend_from_slice(&yuv.y()[row * sy..row * sy + w]);
        }
        for (plane, stride) in [(yuv.u(), su), (yuv.v(), sv)] {
            for row in 0..ch {
                data.extend_from_slice(&plane[row * stride..row * stride + cw]);
            }
        }
        Frame420 {
            width: w,
            height: h,
            data,
        }
    }

    fn planes(&self) -> (&[u8], &[u8], &[u8]) {
        let ys = self.width * self.height;
        let cs = self.width.div_ceil(2) * self.height.div_ceil(2);
        (
            &self.data[..ys],
            &self.data[ys..ys + cs],
            &self.data[ys + cs..ys + 2 * cs],
        )
    }

    /// This picture scaled to fit `width × height`, centred on black.
    pub fn fitted(&self, width: usize, height: usize) -> Result<Frame420, String> {
        if (self.width, self.height) == (width, height) {
            return Ok(self.clone());
        }
        let scale = (width as f64 / self.width as f64).min(height as f64 / self.height as f64);
        // Even sizes and offsets keep the chroma planes aligned with the luma plane.
        let even = |x: f64| ((x / 2.0).round() as usize * 2).max(2);
        let (tw, th) = (
            even(self.width as f64 * scale).min(width),
            even(self.height as f64 * scale).min(height),
        );
        let (ox, oy) = ((width - tw) / 4 * 2, (height - th) / 4 * 2);
        let cw = width / 2;
        let ch = height / 2;
        let mut data = vec![16u8; width * height];
        data.extend(std::iter::repeat_n(128u8, 2 * cw * ch));
        let (sy, su, sv) = self.planes();
        let (scw, sch) = (self.width.div_ceil(2), self.height.div_ceil(2));
        let planes = [
            (sy, self.width, self.height, tw, th, ox, oy, width, 0usize),
            (
                su,
                scw,
                sch,
                tw / 2,
                th / 2,
                ox / 2,
                oy / 2,
                cw,
                width * height,
            ),
            (
                sv,
                scw,
                sch,
                tw / 2,
                th / 2,
                ox / 2,
                oy / 2,
                cw,
                width * height + cw * ch,
            ),
        ];
        let mut resizer = Resizer::new();
        let options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
        for (src, sw, sh, dw, dh, dx, dy, stride, base) in planes {
            let src = ImageRef::new(sw as u32, sh as u32, src, PixelType::U8)
                .map_err(|e| e.to_string())?;
            let mut dst = Image::new(dw as u32, dh as u32, PixelType::U8);
            resizer
                .resize(&src, &mut dst, &options)
                .map_err(|e| e.to_string())?;
            let scaled = dst.buffer();
            for row in 0..dh {
                let at = base + (dy + row) * stride + dx;
                data[at..at + dw].copy_from_slice(&scaled[row * dw..row * dw + dw]);
            }
        }
        Ok(Frame420 {
            width,
            height,
            data,
        })
    }
}

impl YUVSource for Frame420 {
    fn dimensions(&self) -> (usize, usize) {
        (self.width, self.height)
    }

    fn strides(&self) -> (usize, usize, usize) {
        let c = self.width.div_ceil(2);
        (self.width, c, c)
    }

    fn y(&self) -> &[u8] {
        self.planes().0
    }

    fn u(&self) -> &[u8] {
        self.planes().1
    }

    fn v(&self) -> &[u8] {
        self.planes().2
    }
}

/// Decodes frames `start..end` (presentation order) of `source`, calling `each(index, frame)`
/// for each in order; `each` returns `false` to stop early.
pub fn decode_range(
    source: &mut SourceClip,
    start: u32,
    end: u32,
    each: &mut dyn FnMut(u32, Frame420) -> Result<bool, FilmError>,
) -> Result<(), FilmError> {
    let path = source.path();
    let codec = |frame: u32, reason: String| FilmError::Codec {
        path: path.clone(),
        frame,
        reason,
    };
    let key = source.key_at_or_before(start as usize);
    let mut decoder = Decoder::with_api_config(OpenH264API::from_source(), DecoderConfig::new())
        .map_err(|e| codec(start, format!("the H.264 decoder could not start: {e}")))?;
    let mut params = Vec::new();
    for nal in source.video.avcc.sps.iter().chain(&source.video.avcc.pps) {
        params.extend_from_slice(&[0, 0, 0, 1]);
        params.extend_from_slice(nal);
    }
    decoder
        .decode(&params)
        .map_err(|e| codec(start, format!("its SPS/PPS are invalid: {e}")))?;
    let length_size = usize::from(source.video.avcc.nal_length_size);
    // Frames come out of the decoder in presentation order, counted from the key frame.
    let mut shown = key as u32;
    let mut buf = Vec::new();
    let count = source.video.samples.len();
    for i in key..count {
        let entry = source.video.samples.samples[i];
        source
            .file
            .read_into(&entry, &mut buf)
            .map_err(|e| codec(shown, e.to_string()))?;
        let nals = split_length_prefixed(&buf, length_size)
            .ok_or_else(|| codec(shown, "a NAL length runs past the end of its sample".into()))?;
        let mut au = Vec::with_capacity(buf.len() + 16);
        for nal in nals {
            au.extend_from_slice(&[0, 0, 0, 1]);
            au.extend_from_slice(nal);
        }
        let picture = match decoder.decode(&au) {
            Ok(p) => p.map(|yuv| Frame420::from_decoded(&yuv)),
            Err(e) => {
                // A broken frame: show the last good one instead of stopping the export.
                tracing::warn!("{}: frame {shown}: {e}", path.display());
                None
            }
        };
        if let Some(frame) = picture {
            if shown >= start && !each(shown, frame)? {
                return Ok(());
            }
            shown += 1;
            if shown >= end {
                return Ok(());
            }
        }
    }
    let rest = decoder
        .flush_remaining()
        .map_err(|e| codec(shown, e.to_string()))?;
    for yuv in rest {
        if shown >= end {
            break;
        }
        let frame = Frame420::from_decoded(&yuv);
        if shown >= start && !each(shown, frame)? {
            return Ok(());
        }
        shown += 1;
    }
    Ok(())
}
