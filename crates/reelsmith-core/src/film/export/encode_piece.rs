//! Re-encoding one piece of a shot (decode its source frames, fit them to the film's size,
//! encode), handing each sample on as it is made; and the helper thread that encodes every
//! second piece ahead of the writer, so a re-encoded film keeps two cores busy.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, sync_channel};

use super::{Progress, Stop};
use crate::film::encode::{EncodedSample, IdPlan, PieceEncoder};
use crate::film::error::FilmError;
use crate::film::frames::{Frame420, decode_range};
use crate::film::source::SourceClip;

/// One piece to re-encode: source frames `start..end` become `frames` film frames.
#[derive(Debug, Clone)]
pub(super) struct PieceJob {
    /// The source clip (the helper opens its own reader of it).
    pub path: PathBuf,
    /// First source frame (presentation order).
    pub start: u32,
    /// One past the last source frame.
    pub end: u32,
    /// Film frames to make.
    pub frames: u32,
    /// The film's frame rate.
    pub fps: f64,
    /// The film's picture size.
    pub size: (usize, usize),
    /// The bit rate to aim at.
    pub bitrate: u32,
    /// Parameter set ids of re-encoded pieces.
    pub ids: IdPlan,
}

/// The SPS and PPS an encoder wrote (the same for every piece of one film).
pub(super) type ParameterSets = (Option<Vec<u8>>, Option<Vec<u8>>);

/// Encodes `job` from `source`, calling `sink` with each sample in film order.
pub(super) fn encode_piece(
    source: &mut SourceClip,
    job: &PieceJob,
    stop: &dyn Fn() -> Result<(), FilmError>,
    progress: &Progress,
    sink: &mut dyn FnMut(EncodedSample) -> Result<(), FilmError>,
) -> Result<ParameterSets, FilmError> {
    let PieceJob {
        start, end, frames, ..
    } = *job;
    let path = source.path();
    let codec = |frame: u32, reason: String| FilmError::Codec {
        path: path.clone(),
        frame,
        reason,
    };
    let mut encoder =
        PieceEncoder::new(job.fps, job.bitrate, job.ids).map_err(|r| codec(start, r))?;
    let ratio = source.fps() / job.fps;
    let span = end - start;
    let (w, h) = job.size;
    // Film frame j shows source frame start + round(j × ratio).
    let source_of =
        |j: u32| -> u32 { start + ((f64::from(j) * ratio).round() as u32).min(span - 1) };
    let mut written = 0u32;
    let mut last: Option<Frame420> = None;
    let mut each = |index: u32, frame: Frame420| -> Result<bool, FilmError> {
        while written < frames && source_of(written) == index {
            stop()?;
            let fitted = frame.fitted(w, h).map_err(|r| codec(index, r))?;
            let sample = encoder.encode(&fitted).map_err(|r| codec(index, r))?;
            sink(sample)?;
            written += 1;
            progress.advance(1, true);
            last = Some(fitted);
        }
        Ok(written < frames)
    };
    decode_range(source, start, end, &mut each)?;
    // A decoder that gave fewer frames than asked: hold the last one.
    while written < frames {
        stop()?;
        let Some(frame) = &last else {
            return Err(codec(start, "no frame of this piece decoded".into()));
        };
        let sample = encoder.encode(frame).map_err(|r| codec(end - 1, r))?;
        sink(sample)?;
        written += 1;
        progress.advance(1, true);
    }
    Ok((encoder.sps.clone(), encoder.pps.clone()))
}

/// A piece the helper encoded: its samples and parameter sets.
pub(super) type Encoded = Result<(Vec<EncodedSample>, ParameterSets), FilmError>;

/// Starts, in `scope`, a thread that encodes `jobs` in order into memory, at most one piece
/// ahead of the writer. It stops early when the receiver is dropped or `abandon` is set.
pub(super) fn spawn_helper<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    jobs: Vec<PieceJob>,
    stop: &'scope Stop,
    abandon: &'scope AtomicBool,
    progress: &'scope Progress,
) -> Receiver<Encoded> {
    let (tx, rx) = sync_channel::<Encoded>(1);
    scope.spawn(move || {
        let halt = || {
            if abandon.load(Ordering::Relaxed) {
                return Err(FilmError::Cancelled);
            }
            stop.check()
        };
        for job in jobs {
            let outcome = SourceClip::open(&job.path).and_then(|mut source| {
                let mut samples = Vec::with_capacity(job.frames as usize);
                let sets = encode_piece(&mut source, &job, &halt, progress, &mut |s| {
                    samples.push(s);
                    Ok(())
                })?;
                Ok((samples, sets))
            });
            let failed = outcome.is_err();
            // A writer that has gone (it failed or finished) needs nothing more.
            if tx.send(outcome).is_err() || failed {
                return;
            }
        }
    });
    rx
}
