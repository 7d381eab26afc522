//! Exporting a film: one MP4 (H.264 + AAC) of a list of trimmed clips, written on its own
//! thread under a temporary name and renamed when whole, with progress, time left and cancel.

mod encode_piece;
mod publish;
mod sound;
mod write;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub use publish::{hash_file, part_path};
pub use sound::PRIMING;
pub use write::WriteStats;

use super::error::FilmError;
use super::plan::{FrameRange, Piece, Plan, plan};
use super::sidecar::FilmSidecar;
use super::source::SourceClip;

/// One shot to export: a clip and the frames of it to use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportShot {
    /// The clip.
    pub path: PathBuf,
    /// Frames to use; `None` for all of them.
    pub trim: Option<FrameRange>,
}

/// What to export and where.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportRequest {
    /// The shots, in order.
    pub shots: Vec<ExportShot>,
    /// The film to write.
    pub output: PathBuf,
    /// Replace `output` (and its sidecar) if they exist.
    pub overwrite: bool,
    /// Re-encode everything instead of copying what can be copied.
    pub reencode_all: bool,
    /// The storyboard this is a film of, for the sidecar.
    pub storyboard: Option<super::sidecar::StoryboardRecord>,
}

/// Where an export stands.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportProgress {
    /// Film frames written.
    pub frames_done: u64,
    /// Film frames in all.
    pub frames_total: u64,
    /// Share of the work done, 0..=1 (re-encoded frames weigh more than copied ones).
    pub fraction: f64,
    /// Since the export started.
    pub elapsed: Duration,
    /// Estimated time left, once there is enough to go by.
    pub remaining: Option<Duration>,
    /// Finished (whether it worked or not).
    pub finished: bool,
}

/// What a finished export made.
#[derive(Debug, Clone, PartialEq)]
pub struct ExportReport {
    /// The film.
    pub output: PathBuf,
    /// Its sidecar.
    pub sidecar: PathBuf,
    /// Its length in seconds.
    pub duration_secs: f64,
    /// Frames, sound frames and how they were made.
    pub stats: WriteStats,
    /// Size in bytes.
    pub size: u64,
    /// Things the user should know (a shot whose sound could not be used, …).
    pub warnings: Vec<String>,
    /// How long it took.
    pub elapsed: Duration,
}

/// A re-encoded frame counts this many times a copied one in the progress.
const ENCODE_WEIGHT: u64 = 40;

/// Shared progress counters (written by the export thread, read by anyone).
#[derive(Debug)]
pub(crate) struct Progress {
    started: Instant,
    frames_total: u64,
    weight_total: u64,
    frames_done: AtomicU64,
    weight_done: AtomicU64,
    finished: AtomicBool,
}

impl Progress {
    fn new(plan: &Plan) -> Progress {
        let weight_total: u64 = plan
            .shots
            .iter()
            .flat_map(|s| &s.pieces)
            .map(|p| match p {
                Piece::Copy { start, end } => (end - start) as u64,
                Piece::Encode { frames, .. } => u64::from(*frames) * ENCODE_WEIGHT,
            })
            .sum();
        Progress {
            started: Instant::now(),
            frames_total: plan.total_frames(),
            weight_total: weight_total.max(1),
            frames_done: AtomicU64::new(0),
            weight_done: AtomicU64::new(0),
            finished: AtomicBool::new(false),
        }
    }

    pub(crate) fn advance(&self, frames: u64, encoded: bool) {
        self.frames_done.fetch_add(frames, Ordering::Relaxed);
        let w = if encoded {
            frames * ENCODE_WEIGHT
        } else {
            frames
        };
        self.weight_done.fetch_add(w, Ordering::Relaxed);
    }

    fn snapshot(&self) -> ExportProgress {
        let done = self.weight_done.load(Ordering::Relaxed);
        let fraction = (done as f64 / self.weight_total as f64).clamp(0.0, 1.0);
        let elapsed = self.started.elapsed();
        let remaining = (fraction > 0.02 && elapsed > Duration::from_millis(300))
            .then(|| Duration::from_secs_f64(elapsed.as_secs_f64() * (1.0 - fraction) / fraction));
        ExportProgress {
            frames_done: self.frames_done.load(Ordering::Relaxed),
            frames_total: self.frames_total,
            fraction,
            elapsed,
            remaining,
            finished: self.finished.load(Ordering::Relaxed),
        }
    }
}

/// The cancel flag, checked before every frame.
#[derive(Debug, Clone, Default)]
pub(crate) struct Stop(Arc<AtomicBool>);

impl Stop {
    pub(crate) fn check(&self) -> Result<(), FilmError> {
        if self.0.load(Ordering::Relaxed) {
            Err(FilmError::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// An export running on its own thread. Dropping the handle does not stop it; call
/// [`ExportHandle::cancel`] first for that.
pub struct ExportHandle {
    progress: Arc<Mutex<Option<Arc<Progress>>>>,
    stop: Stop,
    thread: Option<JoinHandle<Result<ExportReport, FilmError>>>,
    result: Option<Result<ExportReport, FilmError>>,
}

impl std::fmt::Debug for ExportHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportHandle")
            .field("progress", &self.progress())
            .finish_non_exhaustive()
    }
}

impl ExportHandle {
    /// Starts exporting on a new thread; problems (a missing clip, an existing output) come
    /// back from [`ExportHandle::wait`] or [`ExportHandle::try_result`].
    pub fn start(request: ExportRequest) -> ExportHandle {
        ExportHandle::start_with_notify(request, || {})
    }

    /// Like [`ExportHandle::start`], calling `notify` from the export thread about ten times a
    /// second and at the end (e.g. to ask a window to repaint).
    pub fn start_with_notify(
        request: ExportRequest,
        notify: impl Fn() + Send + Sync + 'static,
    ) -> ExportHandle {
        let progress = Arc::new(Mutex::new(None));
        let stop = Stop::default();
        let thread = {
            let progress = progress.clone();
            let stop = stop.clone();
            std::thread::Builder::new()
                .name("film-export".into())
                .spawn(move || {
                    let r = run(&request, &progress, &stop, &notify);
                    if let Some(p) = lock(&progress).as_ref() {
                        p.finished.store(true, Ordering::Relaxed);
                    }
                    notify();
                    r
                })
        };
        match thread {
            Ok(thread) => ExportHandle {
                progress,
                stop,
                thread: Some(thread),
                result: None,
            },
            Err(source) => ExportHandle {
                progress,
                stop,
                thread: None,
                result: Some(Err(FilmError::Io {
                    action: "start the export thread for",
                    path: PathBuf::from("the film"),
                    source,
                })),
            },
        }
    }

    /// Where the export stands (all zero while the clips are being opened).
    pub fn progress(&self) -> ExportProgress {
        match lock(&self.progress).as_ref() {
            Some(p) => p.snapshot(),
            None => ExportProgress {
                frames_done: 0,
                frames_total: 0,
                fraction: 0.0,
                elapsed: Duration::ZERO,
                remaining: None,
                finished: self.thread.as_ref().is_none_or(|t| t.is_finished()),
            },
        }
    }

    /// Asks the export to stop; it removes its temporary file and ends with
    /// [`FilmError::Cancelled`].
    pub fn cancel(&self) {
        self.stop.0.store(true, Ordering::Relaxed);
    }

    /// True once the export thread has ended.
    pub fn is_finished(&self) -> bool {
        self.result.is_some() || self.thread.as_ref().is_none_or(|t| t.is_finished())
    }

    /// The outcome, once finished (without waiting).
    pub fn try_result(&mut self) -> Option<&Result<ExportReport, FilmError>> {
        if self.result.is_none() && self.thread.as_ref().is_some_and(|t| t.is_finished()) {
            self.collect();
        }
        self.result.as_ref()
    }

    /// Waits for the outcome (blocking: not for a UI thread).
    pub fn wait(mut self) -> Result<ExportReport, FilmError> {
        self.collect();
        self.result.take().unwrap_or(Err(FilmError::Cancelled))
    }

    fn collect(&mut self) {
        if let Some(t) = self.thread.take() {
            self.result = Some(t.join().unwrap_or_else(|_| {
                Err(FilmError::NotPossible(
                    "the export stopped unexpectedly (a bug); nothing was written".into(),
                ))
            }));
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Opens the clips and plans the film (what `reelsmith export --dry-run` would show).
pub fn plan_export(
    shots: &[ExportShot],
    reencode_all: bool,
) -> Result<(Vec<SourceClip>, Plan), FilmError> {
    if shots.is_empty() {
        return Err(FilmError::Empty("no clips were given".into()));
    }
    let sources = shots
        .iter()
        .map(|s| SourceClip::open(&s.path))
        .collect::<Result<Vec<_>, _>>()?;
    let trims: Vec<Option<FrameRange>> = shots.iter().map(|s| s.trim).collect();
    let plan = plan(&sources, &trims, reencode_all)?;
    Ok((sources, plan))
}

fn run(
    request: &ExportRequest,
    progress_slot: &Mutex<Option<Arc<Progress>>>,
    stop: &Stop,
    notify: &(dyn Fn() + Send + Sync),
) -> Result<ExportReport, FilmError> {
    let output = &request.output;
    let sidecar_path = crate::library::sidecar_path(output);
    if !request.overwrite {
        for p in [output, &sidecar_path] {
            if p.exists() {
                return Err(FilmError::Exists(p.clone()));
            }
        }
    }
    let (mut sources, plan) = plan_export(&request.shots, request.reencode_all)?;
    let progress = Arc::new(Progress::new(&plan));
    *lock(progress_slot) = Some(progress.clone());
    // A ticker asks for repaints while the export works (a scoped thread: joined here).
    let ticking = AtomicBool::new(true);
    let result = std::thread::scope(|scope| {
        scope.spawn(|| {
            while ticking.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(100));
                notify();
            }
        });
        let result = publish::write_and_publish(
            output,
            &sidecar_path,
            request.overwrite,
            |file| write::write_film(file, &mut sources, &plan, &progress, stop),
            |stats, size, blake3| FilmSidecar::new(request, &plan, stats, size, blake3, output),
        );
        ticking.store(false, Ordering::Relaxed);
        result
    });
    let (stats, size, sidecar) = result?;
    Ok(ExportReport {
        output: output.clone(),
        sidecar: sidecar_path,
        duration_secs: plan.duration_secs(),
        stats,
        size,
        warnings: sidecar.warnings.clone(),
        elapsed: progress.started.elapsed(),
    })
}

/// The frames `start..end` of the clip at `path` that a trim in seconds (`in_secs..out_secs`,
/// either open) covers, at the clip's frame rate. A time past the clip's end is not clamped:
/// exporting refuses it, naming the clip's length.
pub fn trim_from_seconds(
    path: &Path,
    in_secs: Option<f64>,
    out_secs: Option<f64>,
) -> Result<FrameRange, FilmError> {
    let source = SourceClip::open(path)?;
    let fps = source.fps();
    let frames = source.frame_count();
    let to_frame = |s: f64| (s * fps).round().clamp(0.0, f64::from(u32::MAX)) as u32;
    Ok(FrameRange {
        start: in_secs.map_or(0, to_frame),
        end: out_secs.map_or(frames, to_frame),
    })
}
