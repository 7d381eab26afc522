//! A shot's clip opened for export: its picture's format and frames in presentation order,
//! and its sound.

use std::path::{Path, PathBuf};

use crate::media::audio::AacConfig;
use crate::media::mp4::{AudioTrackInfo, Mp4File, SampleEntry, VideoTrackInfo};

use super::error::FilmError;

/// A frame rate as a ratio of track ticks: `timescale / frame_ticks` frames per second.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameRate {
    /// Ticks per second.
    pub timescale: u32,
    /// Ticks per frame.
    pub frame_ticks: u32,
}

impl FrameRate {
    /// Frames per second.
    pub fn fps(&self) -> f64 {
        f64::from(self.timescale) / f64::from(self.frame_ticks.max(1))
    }

    /// True when both describe the same rate (24000/1000 = 12288/512).
    pub fn same_as(&self, other: &FrameRate) -> bool {
        u64::from(self.timescale) * u64::from(other.frame_ticks)
            == u64::from(other.timescale) * u64::from(self.frame_ticks)
    }
}

/// An open clip.
#[derive(Debug)]
pub struct SourceClip {
    /// The file's samples.
    pub file: Mp4File,
    /// The picture.
    pub video: VideoTrackInfo,
    /// The constant frame rate, when it has one.
    pub rate: Option<FrameRate>,
    /// Decoding-order index of each frame in presentation order.
    pub presentation: Vec<usize>,
    /// The sound, when it is AAC-LC (mono or stereo).
    pub audio: Option<AudioTrackInfo>,
    /// Why the sound cannot be used, when it exists but is not AAC-LC.
    pub audio_problem: Option<String>,
}

impl SourceClip {
    /// Opens the clip at `path`, which must have an H.264 track.
    pub fn open(path: &Path) -> Result<SourceClip, FilmError> {
        let file = Mp4File::open(path).map_err(|e| FilmError::Source {
            path: path.into(),
            reason: e.to_string(),
        })?;
        let video = file.video.clone().ok_or_else(|| FilmError::Source {
            path: path.into(),
            reason: "it has no H.264 video track; reelsmith joins MP4 clips with H.264 video"
                .into(),
        })?;
        if video.samples.is_empty() {
            return Err(FilmError::Source {
                path: path.into(),
                reason: "its video track has no frames".into(),
            });
        }
        let rate = video.samples.constant_duration().map(|d| FrameRate {
            timescale: video.timescale,
            frame_ticks: d,
        });
        let mut presentation: Vec<usize> = (0..video.samples.len()).collect();
        let samples = &video.samples.samples;
        presentation.sort_by_key(|i| samples[*i].dts as i64 + i64::from(samples[*i].cts_offset));
        let (audio, audio_problem) = match file.audio.clone() {
            Some(a) => match &a.config {
                Ok(_) if !a.samples.is_empty() => (Some(a), None),
                Ok(_) => (None, None),
                Err(what) => (None, Some(what.clone())),
            },
            None => (None, None),
        };
        Ok(SourceClip {
            file,
            video,
            rate,
            presentation,
            audio,
            audio_problem,
        })
    }

    /// The file.
    pub fn path(&self) -> PathBuf {
        self.file.path().to_path_buf()
    }

    /// Frames in the clip.
    pub fn frame_count(&self) -> u32 {
        self.video.samples.len() as u32
    }

    /// Frames per second (average over the clip when the rate varies).
    pub fn fps(&self) -> f64 {
        match &self.rate {
            Some(r) => r.fps(),
            None => {
                let ticks = self.video.samples.total_duration().max(1) as f64;
                self.video.samples.len() as f64 * f64::from(self.video.timescale) / ticks
            }
        }
    }

    /// The sound's configuration, when usable.
    pub fn audio_config(&self) -> Option<AacConfig> {
        self.audio.as_ref().and_then(|a| a.config.clone().ok())
    }

    /// The sample shown as frame `index` (presentation order).
    pub fn sample_at(&self, index: u32) -> Option<&SampleEntry> {
        let i = *self.presentation.get(index as usize)?;
        self.video.samples.samples.get(i)
    }

    /// Whether decoding can start at decoding index `i` and the frames from there to the next
    /// key frame show in the same range (a closed group of pictures starting with a key frame).
    pub fn is_clean_cut(&self, i: usize) -> bool {
        let samples = &self.video.samples.samples;
        if !samples.get(i).is_some_and(|s| s.sync) {
            return false;
        }
        let end = self.next_key(i);
        // Presentation indices of decoding range [i, end) must be exactly [i, end).
        (i..end).all(|p| {
            self.presentation
                .get(p)
                .is_some_and(|d| (i..end).contains(d))
        })
    }

    /// The next key frame after decoding index `i` (or the frame count).
    pub fn next_key(&self, i: usize) -> usize {
        let samples = &self.video.samples.samples;
        (i + 1..samples.len())
            .find(|j| samples[*j].sync)
            .unwrap_or(samples.len())
    }

    /// The last key frame at or before decoding index `i`.
    pub fn key_at_or_before(&self, i: usize) -> usize {
        let samples = &self.video.samples.samples;
        (0..=i.min(samples.len().saturating_sub(1)))
            .rev()
            .find(|j| samples[*j].sync)
            .unwrap_or(0)
    }
}
