//! H.264 decoding to RGBA with openh264 (built from its bundled source, so nothing to install).

use std::path::{Path, PathBuf};

use openh264::decoder::{DecodedYUV, Decoder};
use openh264::formats::YUVSource;

use crate::media::error::MediaError;
use crate::media::picture::Picture;

/// An H.264 decoder primed with a clip's parameter sets.
pub struct H264Decoder {
    inner: Decoder,
    path: PathBuf,
}

impl H264Decoder {
    /// A decoder for the clip at `path` (named in errors), fed its SPS/PPS in Annex-B form.
    pub fn new(path: &Path, parameter_sets: &[u8]) -> Result<H264Decoder, MediaError> {
        let mut inner = Decoder::new().map_err(|e| MediaError::VideoDecode {
            path: path.into(),
            reason: format!("the H.264 decoder could not start: {e}"),
        })?;
        inner
            .decode(parameter_sets)
            .map_err(|e| MediaError::VideoDecode {
                path: path.into(),
                reason: format!("its SPS/PPS are invalid: {e}"),
            })?;
        Ok(H264Decoder {
            inner,
            path: path.into(),
        })
    }

    /// Decodes one access unit (Annex B); `None` while the decoder needs more data.
    pub fn decode(&mut self, access_unit: &[u8]) -> Result<Option<Picture>, MediaError> {
        match self.inner.decode(access_unit) {
            Ok(frame) => Ok(frame.map(|yuv| to_picture(&yuv))),
            Err(e) => Err(MediaError::VideoDecode {
                path: self.path.clone(),
                reason: e.to_string(),
            }),
        }
    }

    /// The frames still held by the decoder (call after the last access unit).
    pub fn flush(&mut self) -> Result<Vec<Picture>, MediaError> {
        let path = self.path.clone();
        let frames = self
            .inner
            .flush_remaining()
            .map_err(|e| MediaError::VideoDecode {
                path,
                reason: e.to_string(),
            })?;
        Ok(frames.iter().map(to_picture).collect())
    }
}

fn to_picture(yuv: &DecodedYUV<'_>) -> Picture {
    let (w, h) = yuv.dimensions();
    let mut rgba = vec![0u8; w * h * 4];
    yuv.write_rgba8(&mut rgba);
    Picture {
        width: w as u32,
        height: h as u32,
        rgba,
    }
}
