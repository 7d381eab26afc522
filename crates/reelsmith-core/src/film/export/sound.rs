//! The film's sound: AAC frames copied one by one from each shot's clip, silence where a shot
//! has none, placed by absolute sample positions so nothing drifts across cuts.
//!
//! Output frame `j` plays film samples from `j × 1024 − PRIMING` (the film starts with one
//! frame of priming, skipped by its edit list, like an encoder's). It takes the source frame
//! whose start is nearest the same moment of its shot's clip, so each frame is off by at most
//! half a frame (10.7 ms at 48 kHz) and the error never adds up.

use std::io::{Seek, Write};

use crate::film::error::FilmError;
use crate::film::plan::{Plan, ShotSound};
use crate::film::source::SourceClip;
use crate::media::audio::{AAC_FRAME_SAMPLES, AacConfig, silent_frame};
use crate::media::mp4::{Mp4File, Mp4Writer, SampleEntry};

/// Priming of the film's sound track, in samples.
pub const PRIMING: u64 = AAC_FRAME_SAMPLES as u64;

/// One shot's place in the sound track.
#[derive(Debug)]
struct ShotSpan {
    /// First film sample of the shot.
    start: u64,
    /// The source's sample shown at the shot's first frame plus its priming, when copied.
    source_origin: Option<u64>,
    /// The clip's sound: its own handle on the file (the picture reads through another) and
    /// its frames.
    source: Option<(Mp4File, Vec<SampleEntry>)>,
}

/// Writes the sound track's frames as the picture advances.
#[derive(Debug)]
pub struct SoundWriter {
    config: AacConfig,
    spans: Vec<ShotSpan>,
    silent: Vec<u8>,
    /// Samples the film presents.
    pub total: u64,
    next: u64,
    frames: u64,
    /// Frames copied and silent frames written.
    pub copied: u64,
    /// See `copied`.
    pub silent_frames: u64,
}

impl SoundWriter {
    /// The sound of `plan` (of `sources`, in order); `None` when the film has no sound.
    pub fn new(plan: &Plan, sources: &[SourceClip]) -> Result<Option<SoundWriter>, FilmError> {
        let Some(config) = plan.format.audio else {
            return Ok(None);
        };
        let rate = u128::from(config.sample_rate);
        let r = plan.format.rate;
        // Film frame f starts at sample f × frame_ticks × rate / timescale.
        let at = |frame: u64| -> u64 {
            // Rounded to the nearest sample: (2x + 1) / 2, halves up.
            (u128::from(frame) * u128::from(r.frame_ticks) * rate * 2
                / u128::from(r.timescale.max(1)))
            .div_ceil(2) as u64
        };
        let mut spans = Vec::with_capacity(plan.shots.len());
        let mut frame = 0u64;
        for (shot, source) in plan.shots.iter().zip(sources) {
            let start = at(frame);
            frame += u64::from(shot.film_frames);
            let mut own = None;
            let source_origin = match (&shot.sound, &source.audio) {
                (ShotSound::Copied, Some(audio)) => {
                    // Presentation time of the first frame used, in the clip's sound samples.
                    let video = &source.video;
                    let pts = source.sample_at(shot.trim.start).map_or(0, |s| {
                        (s.dts as i64 + i64::from(s.cts_offset) - video.media_start as i64).max(0)
                            as u128
                    });
                    let in_samples = pts * rate / u128::from(video.timescale.max(1));
                    let priming =
                        u128::from(audio.media_start) * rate / u128::from(audio.timescale.max(1));
                    let file =
                        Mp4File::open(source.file.path()).map_err(|e| FilmError::Source {
                            path: source.path(),
                            reason: e.to_string(),
                        })?;
                    own = Some((file, audio.samples.samples.clone()));
                    Some((in_samples + priming) as u64)
                }
                _ => None,
            };
            spans.push(ShotSpan {
                start,
                source_origin,
                source: own,
            });
        }
        let total = at(frame);
        let frame_len = u64::from(AAC_FRAME_SAMPLES);
        Ok(Some(SoundWriter {
            config,
            silent: silent_frame(&config),
            spans,
            total,
            next: 0,
            frames: (total + PRIMING).div_ceil(frame_len),
            copied: 0,
            silent_frames: 0,
        }))
    }

    /// The layout.
    pub fn config(&self) -> AacConfig {
        self.config
    }

    /// Writes every frame that starts before film sample `until` (all, for `u64::MAX`).
    pub fn write_until<W: Write + Seek>(
        &mut self,
        until: u64,
        track: usize,
        writer: &mut Mp4Writer<W>,
    ) -> Result<(), FilmError> {
        let frame_len = u64::from(AAC_FRAME_SAMPLES);
        while self.next < self.frames {
            let film_pos = (self.next * frame_len) as i64 - PRIMING as i64;
            if film_pos >= 0 && film_pos as u64 >= until {
                break;
            }
            let bytes = self.frame_bytes(film_pos)?;
            let copied = bytes.is_some();
            let data = bytes.as_deref().unwrap_or(&self.silent);
            writer
                .write_sample(track, data, AAC_FRAME_SAMPLES, 0, true)
                .map_err(|source| FilmError::Io {
                    action: "write",
                    path: "the film".into(),
                    source,
                })?;
            if copied {
                self.copied += 1;
            } else {
                self.silent_frames += 1;
            }
            self.next += 1;
        }
        Ok(())
    }

    /// The source frame for the output frame playing from `film_pos`; `None` for silence.
    fn frame_bytes(&mut self, film_pos: i64) -> Result<Option<Vec<u8>>, FilmError> {
        let frame_len = i64::from(AAC_FRAME_SAMPLES);
        // The shot the middle of this frame belongs to.
        let middle = (film_pos + frame_len / 2).max(0) as u64;
        let Some(k) = self.spans.iter().rposition(|s| s.start <= middle) else {
            return Ok(None);
        };
        let span = &mut self.spans[k];
        let (Some(origin), Some((file, frames))) = (span.source_origin, span.source.as_mut())
        else {
            return Ok(None);
        };
        let wanted = film_pos - span.start as i64 + origin as i64;
        let index = (wanted + frame_len / 2).div_euclid(frame_len);
        let Some(entry) = usize::try_from(index)
            .ok()
            .and_then(|i| frames.get(i))
            .copied()
        else {
            // Before or past the clip's sound: silence.
            return Ok(None);
        };
        file.read(&entry).map(Some).map_err(|e| FilmError::Source {
            path: file.path().to_path_buf(),
            reason: e.to_string(),
        })
    }
}
