//! Writing the film: the picture shot by shot (copied groups of pictures and re-encoded
//! pieces), the sound interleaved about every half second, then the `moov`.

use std::io::{Seek, Write};

use super::sound::SoundWriter;
use super::{Progress, Stop};
use std::sync::atomic::{AtomicBool, Ordering};

use super::encode_piece::{PieceJob, encode_piece, spawn_helper};
use crate::film::encode::{EncodedSample, free_ids};
use crate::film::error::FilmError;
use crate::film::h264::{NalIds, join_length_prefixed, read_ids, split_length_prefixed};
use crate::film::plan::{Piece, Plan, registry_for};
use crate::film::source::SourceClip;
use crate::media::mp4::{AvcConfigRecord, Mp4Writer, TrackKind, TrackSpec};

/// What was written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WriteStats {
    /// Video frames copied as they were.
    pub frames_copied: u64,
    /// Video frames re-encoded.
    pub frames_encoded: u64,
    /// Sound frames copied.
    pub sound_copied: u64,
    /// Sound frames of silence.
    pub sound_silent: u64,
    /// Sound samples presented (per channel).
    pub sound_samples: u64,
}

/// Sound is written up to this far (seconds) ahead of the picture, so chunks interleave.
const INTERLEAVE_SECS: f64 = 0.5;

fn io_err(source: std::io::Error) -> FilmError {
    FilmError::Io {
        action: "write",
        path: "the film".into(),
        source,
    }
}

/// Writes the film of `plan` to `out`.
pub(crate) fn write_film<W: Write + Seek>(
    out: W,
    sources: &mut [SourceClip],
    plan: &Plan,
    progress: &Progress,
    stop: &Stop,
) -> Result<(W, WriteStats), FilmError> {
    let format = plan.format;
    let registry = registry_for(sources, plan);
    let sps_ids: Vec<u32> = registry.sps.iter().map(|(i, _)| *i).collect();
    let pps_ids: Vec<u32> = registry.pps.iter().map(|(i, _)| *i).collect();
    let ids = free_ids(&sps_ids, &pps_ids);
    let mut sound = SoundWriter::new(plan, sources)?;
    let mut specs = vec![TrackSpec {
        kind: TrackKind::Video {
            width: format.width,
            height: format.height,
            avcc: avcc_of(&registry.sps, &registry.pps),
        },
        timescale: format.rate.timescale,
        media_start: 0,
        presented: None,
    }];
    if let Some(s) = &sound {
        specs.push(TrackSpec {
            kind: TrackKind::Audio(s.config()),
            timescale: s.config().sample_rate,
            media_start: super::sound::PRIMING,
            presented: Some(s.total),
        });
    }
    let mut writer = Mp4Writer::new(out, specs).map_err(io_err)?;
    let mut stats = WriteStats::default();
    let mut encoded_sps: Option<Vec<u8>> = None;
    let mut encoded_pps: Option<Vec<u8>> = None;
    let frame_ticks = format.rate.frame_ticks;
    let mut film_frame: u64 = 0;
    let mut next_sound_at = 0.0f64;
    let fps = format.rate.fps();
    let sound_rate = sound.as_ref().map_or(48_000, |s| s.config().sample_rate);
    // Sound up to the picture's time plus a little, whenever the picture passes a mark.
    let interleave = |writer: &mut Mp4Writer<W>,
                      film_frame: u64,
                      sound: &mut Option<SoundWriter>,
                      next_sound_at: &mut f64|
     -> Result<(), FilmError> {
        let t = film_frame as f64 / fps;
        if let Some(s) = sound.as_mut()
            && t >= *next_sound_at
        {
            *next_sound_at = t + INTERLEAVE_SECS;
            let until = (*next_sound_at * f64::from(sound_rate)) as u64;
            s.write_until(until, 1, writer)?;
        }
        Ok(())
    };
    let (width, height) = (format.width as usize, format.height as usize);
    let piece_job = |source: &SourceClip, start: u32, end: u32, frames: u32| PieceJob {
        path: source.path(),
        start,
        end,
        frames,
        fps,
        size: (width, height),
        bitrate: bitrate_of(source),
        ids,
    };
    // Every second re-encoded piece goes to a helper thread, which encodes it while this one
    // encodes (or copies) the pieces before it: two encoders on two cores.
    let helper_jobs: Vec<PieceJob> = plan
        .shots
        .iter()
        .enumerate()
        .flat_map(|(k, shot)| shot.pieces.iter().map(move |p| (k, p)))
        .filter_map(|(k, p)| match *p {
            Piece::Encode { start, end, frames } => {
                Some(piece_job(&sources[k], start, end, frames))
            }
            Piece::Copy { .. } => None,
        })
        .skip(1)
        .step_by(2)
        .collect();
    let abandon = AtomicBool::new(false);
    std::thread::scope(|scope| -> Result<(), FilmError> {
        let helper = (!helper_jobs.is_empty())
            .then(|| spawn_helper(scope, helper_jobs, stop, &abandon, progress));
        let mut encode_ordinal = 0usize;
        let written = (|| -> Result<(), FilmError> {
            for (k, shot) in plan.shots.iter().enumerate() {
                for piece in &shot.pieces {
                    match *piece {
                        Piece::Copy { start, end } => {
                            let source = &mut sources[k];
                            let length_size = usize::from(source.video.avcc.nal_length_size);
                            let src_ts = u128::from(source.video.timescale.max(1));
                            let base_cts =
                                i64::from(source.video.samples.samples[start].cts_offset);
                            let mut buf = Vec::new();
                            for i in start..end {
                                stop.check()?;
                                interleave(
                                    &mut writer,
                                    film_frame,
                                    &mut sound,
                                    &mut next_sound_at,
                                )?;
                                let source = &mut sources[k];
                                let entry = source.video.samples.samples[i];
                                source.file.read_into(&entry, &mut buf).map_err(|e| {
                                    FilmError::Source {
                                        path: source.path(),
                                        reason: e.to_string(),
                                    }
                                })?;
                                if length_size != 4 {
                                    let nals = split_length_prefixed(&buf, length_size)
                                        .ok_or_else(|| FilmError::Source {
                                            path: source.path(),
                                            reason: format!("frame {i}: a NAL length lies"),
                                        })?;
                                    buf = join_length_prefixed(nals);
                                }
                                // Composition offsets relative to the group's key frame, in film ticks.
                                let cts = i64::from(entry.cts_offset) - base_cts;
                                let cts = (i128::from(cts) * i128::from(format.rate.timescale)
                                    / src_ts as i128)
                                    as i32;
                                writer
                                    .write_sample(0, &buf, frame_ticks, cts, entry.sync)
                                    .map_err(io_err)?;
                                film_frame += 1;
                                stats.frames_copied += 1;
                                progress.advance(1, false);
                            }
                        }
                        Piece::Encode { start, end, frames } => {
                            let ordinal = encode_ordinal;
                            encode_ordinal += 1;
                            let mut put = |sample: EncodedSample| -> Result<(), FilmError> {
                                interleave(
                                    &mut writer,
                                    film_frame,
                                    &mut sound,
                                    &mut next_sound_at,
                                )?;
                                writer
                                    .write_sample(0, &sample.data, frame_ticks, 0, sample.sync)
                                    .map_err(io_err)?;
                                film_frame += 1;
                                stats.frames_encoded += 1;
                                Ok(())
                            };
                            let sets = match &helper {
                                Some(rx) if ordinal % 2 == 1 => {
                                    let (samples, sets) =
                                        rx.recv().map_err(|_| FilmError::Codec {
                                            path: sources[k].path(),
                                            frame: start,
                                            reason: "the encoder thread stopped".into(),
                                        })??;
                                    for sample in samples {
                                        stop.check()?;
                                        put(sample)?;
                                    }
                                    sets
                                }
                                _ => {
                                    let job = piece_job(&sources[k], start, end, frames);
                                    let check = || stop.check();
                                    encode_piece(&mut sources[k], &job, &check, progress, &mut put)?
                                }
                            };
                            if encoded_sps.is_none() {
                                (encoded_sps, encoded_pps) = sets;
                            }
                        }
                    }
                }
            }
            Ok(())
        })();
        // However the writing ended, the helper stops at its next frame.
        abandon.store(true, Ordering::Relaxed);
        written
    })?;
    if let Some(s) = sound.as_mut() {
        s.write_until(u64::MAX, 1, &mut writer)?;
        stats.sound_copied = s.copied;
        stats.sound_silent = s.silent_frames;
        stats.sound_samples = s.total;
    }
    let mut sps = registry.sps.clone();
    let mut pps = registry.pps.clone();
    if let (Some(s), Some(p)) = (encoded_sps, encoded_pps) {
        sps.push((ids.sps, s));
        pps.push((ids.pps, p));
    }
    writer.set_kind(
        0,
        TrackKind::Video {
            width: format.width,
            height: format.height,
            avcc: avcc_of(&sps, &pps),
        },
    );
    let out = writer.finish().map_err(io_err)?;
    Ok((out, stats))
}

/// The film's `avcC`: every parameter set; profile of the first SPS, the highest level.
fn avcc_of(sps: &[(u32, Vec<u8>)], pps: &[(u32, Vec<u8>)]) -> AvcConfigRecord {
    let first = sps.first().map(|(_, s)| s.as_slice()).unwrap_or(&[]);
    let compatibility = sps
        .iter()
        .fold(0xFF, |acc, (_, s)| acc & s.get(2).copied().unwrap_or(0));
    let level = sps
        .iter()
        .filter_map(|(_, s)| s.get(3).copied())
        .max()
        .unwrap_or(30);
    debug_assert!(
        sps.iter()
            .all(|(id, s)| read_ids(s) == Some(NalIds::Sps(*id)))
    );
    AvcConfigRecord {
        profile: first.get(1).copied().unwrap_or(66),
        compatibility,
        level,
        nal_length_size: 4,
        sps: sps.iter().map(|(_, s)| s.clone()).collect(),
        pps: pps.iter().map(|(_, p)| p.clone()).collect(),
    }
}

/// About the source's own bit rate, so re-encoded parts look like the copied ones.
fn bitrate_of(source: &SourceClip) -> u32 {
    let bytes: u64 = source
        .video
        .samples
        .samples
        .iter()
        .map(|s| u64::from(s.size))
        .sum();
    let secs = source.frame_count() as f64 / source.fps().max(1.0);
    ((bytes as f64 * 8.0 / secs.max(0.04)) * 1.2).clamp(300_000.0, 40_000_000.0) as u32
}
