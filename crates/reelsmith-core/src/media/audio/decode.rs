//! AAC-LC decoding with symphonia's pure-Rust decoder, to interleaved `f32` samples.

use std::path::{Path, PathBuf};

use symphonia_core::codecs::audio::well_known::CODEC_ID_AAC;
use symphonia_core::codecs::audio::{AudioCodecParameters, AudioDecoder, AudioDecoderOptions};
use symphonia_core::packet::PacketRef;
use symphonia_core::units::{Duration, Timestamp};

use super::AAC_FRAME_SAMPLES;
use super::config::AacConfig;
use super::error::AudioError;

/// A decoder for one AAC-LC stream.
pub struct AacDecoder {
    inner: symphonia_codec_aac::AacDecoder,
    config: AacConfig,
    path: PathBuf,
    pcm: Vec<f32>,
    frame: u32,
}

impl std::fmt::Debug for AacDecoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AacDecoder")
            .field("config", &self.config)
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

impl AacDecoder {
    /// A decoder for `config` (the stream of `path`, named in errors).
    pub fn new(config: &AacConfig, path: &Path) -> Result<AacDecoder, AudioError> {
        let asc = config
            .audio_specific_config()
            .ok_or_else(|| AudioError::Unsupported {
                path: path.into(),
                found: format!("AAC at {}", config.describe()),
            })?;
        let mut params = AudioCodecParameters::new();
        params.for_codec(CODEC_ID_AAC);
        params.extra_data = Some(Box::from(&asc[..]));
        let inner =
            symphonia_codec_aac::AacDecoder::try_new(&params, &AudioDecoderOptions::default())
                .map_err(|e| AudioError::Unsupported {
                    path: path.into(),
                    found: format!("AAC the decoder refuses ({e})"),
                })?;
        Ok(AacDecoder {
            inner,
            config: *config,
            path: path.into(),
            pcm: Vec::new(),
            frame: 0,
        })
    }

    /// The stream's configuration.
    pub fn config(&self) -> &AacConfig {
        &self.config
    }

    /// Decodes one frame (1024 samples a channel) into interleaved samples in -1..1.
    pub fn decode(&mut self, frame: &[u8]) -> Result<&[f32], AudioError> {
        let index = self.frame;
        self.frame = self.frame.saturating_add(1);
        let packet = PacketRef::new(
            0,
            Timestamp::new(i64::from(index) * i64::from(AAC_FRAME_SAMPLES)),
            Duration::new(u64::from(AAC_FRAME_SAMPLES)),
            frame,
        );
        // symphonia validates with asserts in a few places; a hostile frame must not panic us.
        let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            match self.inner.decode_ref(&packet) {
                Ok(buf) => {
                    let mut pcm = Vec::with_capacity(buf.frames() * buf.num_planes());
                    buf.copy_to_vec_interleaved(&mut pcm);
                    Ok(pcm)
                }
                Err(e) => Err(e.to_string()),
            }
        }));
        let pcm = match decoded {
            Ok(Ok(pcm)) => pcm,
            Ok(Err(reason)) => {
                return Err(AudioError::Decode {
                    path: self.path.clone(),
                    frame: index,
                    reason,
                });
            }
            Err(_) => {
                self.inner.reset();
                return Err(AudioError::Decode {
                    path: self.path.clone(),
                    frame: index,
                    reason: "the frame is malformed".into(),
                });
            }
        };
        self.pcm = pcm;
        Ok(&self.pcm)
    }

    /// Forgets the previous frame (after a jump), so the next one is decoded on its own.
    pub fn reset(&mut self) {
        self.inner.reset();
    }

    /// Where the next frame is counted from (for error messages after a jump).
    pub fn set_frame_index(&mut self, index: u32) {
        self.frame = index;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::audio::encode::{NoiseBand, noise_frame, silent_frame};

    fn rms(pcm: &[f32]) -> f64 {
        (pcm.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>() / pcm.len().max(1) as f64).sqrt()
    }

    #[test]
    fn our_frames_decode_to_silence_and_noise() {
        for config in [
            AacConfig::STEREO_48K,
            AacConfig {
                sample_rate: 44_100,
                channels: 1,
            },
        ] {
            let mut dec = AacDecoder::new(&config, Path::new("test")).unwrap();
            let silent = silent_frame(&config);
            let pcm = dec.decode(&silent).unwrap().to_vec();
            assert_eq!(pcm.len(), 1024 * usize::from(config.channels));
            assert!(pcm.iter().all(|s| *s == 0.0));
            let band = NoiseBand {
                first: 4,
                end: 20,
                energy: 80,
            };
            let mut loud = 0.0;
            for _ in 0..4 {
                loud = rms(dec.decode(&noise_frame(&config, band)).unwrap());
            }
            let quiet = {
                let band = NoiseBand { energy: 72, ..band };
                for _ in 0..4 {
                    dec.decode(&noise_frame(&config, band)).unwrap();
                }
                rms(dec.decode(&noise_frame(&config, band)).unwrap())
            };
            assert!(loud > 0.01 && loud < 0.9, "loud noise rms {loud}");
            // 8 steps down is a quarter of the amplitude.
            let ratio = loud / quiet;
            assert!((3.0..5.5).contains(&ratio), "ratio {ratio}");
            // And back to silence after the overlap of one frame.
            dec.decode(&silent).unwrap();
            assert_eq!(rms(dec.decode(&silent).unwrap()), 0.0);
        }
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut dec = AacDecoder::new(&AacConfig::STEREO_48K, Path::new("x.mp4")).unwrap();
        for junk in [&[][..], &[0xff; 7][..], &[0x20, 0x00, 0xff, 0xff, 0xff][..]] {
            if let Err(e) = dec.decode(junk) {
                assert!(e.to_string().contains("x.mp4"));
            }
        }
    }
}
