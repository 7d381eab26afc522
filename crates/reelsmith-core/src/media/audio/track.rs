//! A clip's AAC track: its configuration, frames and priming, and decoding it whole.

use std::path::{Path, PathBuf};

use super::config::AacConfig;
use super::decode::AacDecoder;
use super::error::AudioError;
use crate::media::mp4::{Mp4Error, Mp4File, SampleEntry};

/// More decoded sound than this (interleaved samples) is refused by [`decode_track`]: ten
/// minutes of 48 kHz stereo.
const MAX_DECODED_SAMPLES: usize = 48_000 * 2 * 600;

/// The sound of a clip, ready to be read frame by frame.
#[derive(Debug)]
pub struct AudioTrack {
    file: Mp4File,
    /// Sample rate and channels.
    pub config: AacConfig,
    /// The track's timescale (ticks per second of its timestamps).
    pub timescale: u32,
    /// The frames, in order.
    pub frames: Vec<SampleEntry>,
    /// Samples at the start that are the encoder's delay, not sound (from the edit list).
    pub priming: u64,
    /// Samples per channel the track presents (after the priming).
    pub presented: u64,
}

impl AudioTrack {
    /// The AAC track of the MP4 at `path`; `Ok(None)` when the clip has no sound.
    pub fn open(path: &Path) -> Result<Option<AudioTrack>, AudioError> {
        let file = Mp4File::open(path).map_err(|e| from_mp4(path, e))?;
        AudioTrack::from_file(file)
    }

    /// The AAC track of an open MP4.
    pub fn from_file(file: Mp4File) -> Result<Option<AudioTrack>, AudioError> {
        let Some(info) = file.audio.clone() else {
            return Ok(None);
        };
        let path = file.path().to_path_buf();
        let config = info.config.map_err(|found| AudioError::Unsupported {
            path: path.clone(),
            found,
        })?;
        if info.samples.is_empty() {
            return Ok(None);
        }
        // Timestamps in another timescale than the rate are scaled to samples.
        let to_samples = |ticks: u64| {
            (u128::from(ticks) * u128::from(config.sample_rate) / u128::from(info.timescale)) as u64
        };
        let total = to_samples(info.samples.total_duration());
        let priming = to_samples(info.media_start).min(total);
        let presented = info
            .presented
            .map(to_samples)
            .unwrap_or(total - priming)
            .min(total - priming);
        Ok(Some(AudioTrack {
            file,
            config,
            timescale: info.timescale,
            frames: info.samples.samples,
            priming,
            presented,
        }))
    }

    /// The file this reads.
    pub fn path(&self) -> &Path {
        self.file.path()
    }

    /// The bytes of frame `index`.
    pub fn frame(&mut self, index: usize) -> Result<Vec<u8>, AudioError> {
        let entry = *self.frames.get(index).ok_or_else(|| AudioError::Decode {
            path: self.path().into(),
            frame: index as u32,
            reason: "there is no such frame".into(),
        })?;
        let path: PathBuf = self.path().into();
        self.file.read(&entry).map_err(|e| from_mp4(&path, e))
    }

    /// Seconds of sound presented.
    pub fn duration_secs(&self) -> f64 {
        self.presented as f64 / f64::from(self.config.sample_rate)
    }
}

/// A clip's sound decoded whole: interleaved samples with the priming removed.
#[derive(Debug, Clone, PartialEq)]
pub struct DecodedSound {
    /// Rate and channels.
    pub config: AacConfig,
    /// Interleaved samples in -1..1, exactly what the edit list presents.
    pub samples: Vec<f32>,
}

impl DecodedSound {
    /// Samples per channel.
    pub fn frames(&self) -> usize {
        self.samples.len() / usize::from(self.config.channels.max(1))
    }

    /// Seconds of sound.
    pub fn duration_secs(&self) -> f64 {
        self.frames() as f64 / f64::from(self.config.sample_rate)
    }
}

/// Decodes the whole sound of the clip at `path` (`Ok(None)` when it has none).
pub fn decode_track(path: &Path) -> Result<Option<DecodedSound>, AudioError> {
    let Some(mut track) = AudioTrack::open(path)? else {
        return Ok(None);
    };
    let mut decoder = AacDecoder::new(&track.config, path)?;
    let channels = usize::from(track.config.channels);
    let mut samples = Vec::new();
    for i in 0..track.frames.len() {
        let frame = track.frame(i)?;
        samples.extend_from_slice(decoder.decode(&frame)?);
        if samples.len() > MAX_DECODED_SAMPLES {
            return Err(AudioError::Unsupported {
                path: path.into(),
                found: "more than ten minutes of sound".into(),
            });
        }
    }
    let start = (track.priming as usize * channels).min(samples.len());
    let end = (start + track.presented as usize * channels).min(samples.len());
    Ok(Some(DecodedSound {
        config: track.config,
        samples: samples[start..end].to_vec(),
    }))
}

fn from_mp4(path: &Path, e: Mp4Error) -> AudioError {
    match e {
        Mp4Error::Io { source, .. } => AudioError::Io {
            path: path.into(),
            source,
        },
        Mp4Error::Malformed { reason, .. } => AudioError::Container {
            path: path.into(),
            reason,
        },
    }
}
