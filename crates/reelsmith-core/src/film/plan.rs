//! Deciding how each shot goes into the film: its groups of pictures copied as they are where
//! the cut allows, re-encoded where it does not (the partial group at a cut), or the whole
//! shot re-encoded when its size or frame rate differs from the film's.

use serde::{Deserialize, Serialize};

use super::error::FilmError;
use super::h264::{NalIds, read_ids};
use super::source::{FrameRate, SourceClip};
use crate::media::audio::AacConfig;

/// Frames `start..end` of a clip, in presentation order (frame-accurate trims).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FrameRange {
    /// First frame shown.
    pub start: u32,
    /// One past the last frame shown.
    pub end: u32,
}

impl FrameRange {
    /// Number of frames.
    pub fn len(&self) -> u32 {
        self.end.saturating_sub(self.start)
    }

    /// True when no frame is in the range.
    pub fn is_empty(&self) -> bool {
        self.end <= self.start
    }
}

/// One part of a shot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Piece {
    /// Samples `start..end` (decoding order; whole groups of pictures) copied byte for byte.
    Copy {
        /// First sample.
        start: usize,
        /// One past the last.
        end: usize,
    },
    /// Frames `start..end` (presentation order) decoded and encoded again as `frames` frames.
    Encode {
        /// First source frame.
        start: u32,
        /// One past the last.
        end: u32,
        /// Frames written (differs from the range when the frame rate differs).
        frames: u32,
    },
}

/// What a shot's sound becomes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShotSound {
    /// Its AAC frames are copied.
    Copied,
    /// It is silent in the film, and why.
    Silence(String),
}

/// The film's format: the first shot's picture and the first sound's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilmFormat {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Frame rate.
    pub rate: FrameRate,
    /// The sound's layout; `None` when no shot has sound.
    pub audio: Option<AacConfig>,
}

/// One shot of the plan.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedShot {
    /// The frames used.
    pub trim: FrameRange,
    /// Frames it has in the film.
    pub film_frames: u32,
    /// Its parts, in order.
    pub pieces: Vec<Piece>,
    /// Its sound.
    pub sound: ShotSound,
    /// Why it is re-encoded whole, when it is.
    pub reencode_reason: Option<String>,
}

impl PlannedShot {
    /// Frames copied and frames encoded.
    pub fn counts(&self) -> (u32, u32) {
        self.pieces.iter().fold((0, 0), |(c, e), p| match p {
            Piece::Copy { start, end } => (c + (end - start) as u32, e),
            Piece::Encode { frames, .. } => (c, e + frames),
        })
    }
}

/// The whole plan.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// The film's format.
    pub format: FilmFormat,
    /// One entry per shot.
    pub shots: Vec<PlannedShot>,
}

impl Plan {
    /// Frames in the film.
    pub fn total_frames(&self) -> u64 {
        self.shots.iter().map(|s| u64::from(s.film_frames)).sum()
    }

    /// The film's length in seconds.
    pub fn duration_secs(&self) -> f64 {
        self.total_frames() as f64 / self.format.rate.fps()
    }
}

/// Plans the film of `sources` trimmed to `trims` (`None` = the whole clip). With
/// `reencode_all`, nothing is copied.
pub fn plan(
    sources: &[SourceClip],
    trims: &[Option<FrameRange>],
    reencode_all: bool,
) -> Result<Plan, FilmError> {
    let first = sources
        .first()
        .ok_or_else(|| FilmError::Empty("the storyboard has no shots with a clip".into()))?;
    let rate = first.rate.unwrap_or(FrameRate {
        timescale: (first.fps().round().max(1.0) as u32) * 1000,
        frame_ticks: 1000,
    });
    let format = FilmFormat {
        width: first.video.width,
        height: first.video.height,
        rate,
        audio: sources.iter().find_map(SourceClip::audio_config),
    };
    let mut registry = ParamRegistry::default();
    let mut shots = Vec::with_capacity(sources.len());
    for (i, source) in sources.iter().enumerate() {
        let frames = source.frame_count();
        let trim = trims.get(i).copied().flatten().unwrap_or(FrameRange {
            start: 0,
            end: frames,
        });
        if trim.is_empty() || trim.end > frames {
            return Err(FilmError::BadTrim {
                path: source.path(),
                in_frame: trim.start,
                out_frame: trim.end,
                frames,
            });
        }
        let mut reason = incompatibility(source, &format, reencode_all);
        let mut pieces = match reason {
            None => cut_pieces(source, trim),
            Some(_) => Vec::new(),
        };
        if reason.is_none()
            && pieces.iter().any(|p| matches!(p, Piece::Copy { .. }))
            && let Err(why) = registry.admit(source)
        {
            reason = Some(why);
        }
        if reason.is_some() {
            let seconds = f64::from(trim.len()) / source.fps().max(1e-9);
            let out = ((seconds * format.rate.fps()).round() as u32).max(1);
            pieces = vec![Piece::Encode {
                start: trim.start,
                end: trim.end,
                frames: out,
            }];
        }
        let film_frames = pieces
            .iter()
            .map(|p| match p {
                Piece::Copy { start, end } => (end - start) as u32,
                Piece::Encode { frames, .. } => *frames,
            })
            .sum();
        shots.push(PlannedShot {
            trim,
            film_frames,
            pieces,
            sound: sound_of(source, &format),
            reencode_reason: reason,
        });
    }
    Ok(Plan { format, shots })
}

/// Why a shot cannot be copied into a film of `format`, if it cannot.
fn incompatibility(source: &SourceClip, format: &FilmFormat, reencode_all: bool) -> Option<String> {
    if reencode_all {
        return Some("re-encoding was asked for".into());
    }
    if (source.video.width, source.video.height) != (format.width, format.height) {
        return Some(format!(
            "it is {}×{}, the film {}×{}",
            source.video.width, source.video.height, format.width, format.height
        ));
    }
    match &source.rate {
        Some(r) if r.same_as(&format.rate) => None,
        Some(r) => Some(format!(
            "it runs at {:.3} fps, the film at {:.3}",
            r.fps(),
            format.rate.fps()
        )),
        None => Some("its frame rate varies".into()),
    }
}

/// Copies whole closed groups of pictures inside `trim`; the rest is re-encoded.
fn cut_pieces(source: &SourceClip, trim: FrameRange) -> Vec<Piece> {
    let mut pieces: Vec<Piece> = Vec::new();
    let end = trim.end as usize;
    let mut pos = trim.start as usize;
    while pos < end {
        if source.is_clean_cut(pos) && source.next_key(pos) <= end {
            let next = source.next_key(pos);
            pieces.push(Piece::Copy {
                start: pos,
                end: next,
            });
            pos = next;
            continue;
        }
        let next = (pos + 1..end)
            .find(|q| source.is_clean_cut(*q) && source.next_key(*q) <= end)
            .unwrap_or(end);
        match pieces.last_mut() {
            Some(Piece::Encode { end: e, frames, .. }) => {
                *e = next as u32;
                *frames += (next - pos) as u32;
            }
            _ => pieces.push(Piece::Encode {
                start: pos as u32,
                end: next as u32,
                frames: (next - pos) as u32,
            }),
        }
        pos = next;
    }
    pieces
}

fn sound_of(source: &SourceClip, format: &FilmFormat) -> ShotSound {
    let Some(film) = format.audio else {
        return ShotSound::Silence("no shot has sound".into());
    };
    if let Some(problem) = &source.audio_problem {
        return ShotSound::Silence(format!("its sound is {problem}"));
    }
    match source.audio_config() {
        None => ShotSound::Silence("it has no sound".into()),
        Some(c) if c == film => ShotSound::Copied,
        Some(c) => ShotSound::Silence(format!(
            "its sound is {}, the film's {}; reelsmith does not convert sound yet",
            c.describe(),
            film.describe()
        )),
    }
}

/// The parameter sets of the copied sources, by id: two sources may share an id only with
/// the same bytes, since all sit in one `avcC`.
#[derive(Debug, Default)]
pub(crate) struct ParamRegistry {
    /// (id, bytes) of each SPS.
    pub sps: Vec<(u32, Vec<u8>)>,
    /// (id, bytes) of each PPS.
    pub pps: Vec<(u32, Vec<u8>)>,
}

impl ParamRegistry {
    /// Adds a source's parameter sets, or says why they clash with those already in.
    fn admit(&mut self, source: &SourceClip) -> Result<(), String> {
        let mut new_sps = Vec::new();
        let mut new_pps = Vec::new();
        for sps in &source.video.avcc.sps {
            let Some(NalIds::Sps(id)) = read_ids(sps) else {
                return Err("its SPS cannot be read".into());
            };
            match self.sps.iter().find(|(i, _)| *i == id) {
                Some((_, bytes)) if bytes == sps => {}
                Some(_) => return Err("its parameter sets differ from an earlier clip's".into()),
                None => new_sps.push((id, sps.clone())),
            }
        }
        for pps in &source.video.avcc.pps {
            let Some(NalIds::Pps { pps: id, .. }) = read_ids(pps) else {
                return Err("its PPS cannot be read".into());
            };
            match self.pps.iter().find(|(i, _)| *i == id) {
                Some((_, bytes)) if bytes == pps => {}
                Some(_) => return Err("its parameter sets differ from an earlier clip's".into()),
                None => new_pps.push((id, pps.clone())),
            }
        }
        self.sps.extend(new_sps);
        self.pps.extend(new_pps);
        Ok(())
    }
}

/// The registry the copied pieces of `plan` need (rebuilt in the same order as [`plan`]).
pub(crate) fn registry_for(sources: &[SourceClip], plan: &Plan) -> ParamRegistry {
    let mut registry = ParamRegistry::default();
    for (source, shot) in sources.iter().zip(&plan.shots) {
        if shot.pieces.iter().any(|p| matches!(p, Piece::Copy { .. })) {
            // Admitted once already while planning, so this cannot fail now.
            if registry.admit(source).is_err() {
                tracing::warn!("parameter sets of {} changed", source.path().display());
            }
        }
    }
    registry
}
