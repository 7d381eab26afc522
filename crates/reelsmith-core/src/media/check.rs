//! The one check of a media file against a field's limits. The form's tiles, the engine's
//! preflight and the command line all ask this module, so what the window blocks on is what
//! the engine refuses, with the same words and the same tolerances.
//!
//! [`inspect`] reads a file as the field's kind of media (present, not empty, really that kind,
//! and its data decodes: a picture in full, a video's first frame), within a time limit;
//! [`problems`] compares what it found with the field's [`MediaLimits`]. A problem either
//! blocks the job, is fixed by re-encoding a copy before upload (pictures over a size limit),
//! or is only a warning (an aspect ratio the model will crop).

use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use super::deadline::{self, Deadline};
use super::error::MediaError;
use super::probe::{ImageInfo, probe_image};
use super::verify::verify_image;
use super::video::{Demuxer, VideoInfo, poster::first_frame};
use crate::schema::{FieldKind, MediaLimits};

/// Slack on durations, in seconds (container timing is rounded).
const DURATION_SLACK: f64 = 1e-3;
/// Slack on frame rates, in frames per second.
const FPS_SLACK: f64 = 0.01;
/// Slack on aspect ratios.
const ASPECT_SLACK: f64 = 1e-6;

/// The kind of media a field takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaKind {
    /// A picture (JPEG, PNG, WebP).
    Image,
    /// A clip (MP4 with H.264).
    Video,
    /// Any other file (audio, documents): only its size is checked.
    Other,
}

impl MediaKind {
    /// The kind of media a field of `kind` takes.
    pub fn of(kind: FieldKind) -> MediaKind {
        match kind {
            FieldKind::Image | FieldKind::ImageList => MediaKind::Image,
            FieldKind::Video | FieldKind::VideoList => MediaKind::Video,
            _ => MediaKind::Other,
        }
    }
}

/// What inspecting a file found.
#[derive(Debug, Clone, PartialEq)]
pub enum Inspected {
    /// A picture whose data decodes.
    Image(ImageInfo),
    /// A clip whose first frame decodes.
    Video(VideoInfo),
    /// Some other file.
    File {
        /// Its size in bytes.
        size: u64,
    },
}

impl Inspected {
    /// File size in bytes.
    pub fn size(&self) -> u64 {
        match self {
            Inspected::Image(i) => i.file_size,
            Inspected::Video(v) => v.file_size,
            Inspected::File { size } => *size,
        }
    }

    /// Displayed width and height (pictures and clips).
    pub fn dims(&self) -> Option<(u32, u32)> {
        match self {
            Inspected::Image(i) => Some((i.width, i.height)),
            Inspected::Video(v) => Some((v.width, v.height)),
            Inspected::File { .. } => None,
        }
    }

    /// Length in seconds (clips).
    pub fn duration(&self) -> Option<f64> {
        match self {
            Inspected::Video(v) if v.duration_secs > 0.0 => Some(v.duration_secs),
            _ => None,
        }
    }

    /// Frames per second (clips).
    pub fn fps(&self) -> Option<f64> {
        match self {
            Inspected::Video(v) if v.fps > 0.0 => Some(v.fps),
            _ => None,
        }
    }
}

/// How much a problem matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// The file cannot be used: nothing is uploaded or submitted.
    Block,
    /// A smaller JPEG copy is uploaded instead (the original is untouched).
    Reencode,
    /// Worth knowing; does not stop anything.
    Warn,
}

/// One problem of a file against a field.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// How much it matters.
    pub level: Level,
    /// A few words, for a thumbnail's caption.
    pub label: &'static str,
    /// What is wrong and what to do, naming the file.
    pub message: String,
}

impl Problem {
    fn new(level: Level, label: &'static str, message: String) -> Problem {
        Problem {
            level,
            label,
            message,
        }
    }

    /// True when the problem stops the job.
    pub fn blocks(&self) -> bool {
        self.level == Level::Block
    }
}

/// A file's inspection and its problems against one field.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked {
    /// What the file is, when it could be read as the field's kind.
    pub inspected: Option<Inspected>,
    /// Its problems, worst first.
    pub problems: Vec<Problem>,
}

impl Checked {
    /// True when some problem stops the job.
    pub fn blocks(&self) -> bool {
        self.problems.iter().any(Problem::blocks)
    }
}

/// Checks that may run at once: each decodes a whole file, and a folder of photos dropped on
/// the window must not decode them all together.
const MAX_CHECKS: usize = 2;
static RUNNING: Mutex<usize> = Mutex::new(0);
static FREED: Condvar = Condvar::new();

/// One of the [`MAX_CHECKS`] places, given back when dropped.
struct Place;

impl Place {
    fn take() -> Place {
        let mut running = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
        while *running >= MAX_CHECKS {
            running = FREED.wait(running).unwrap_or_else(|p| p.into_inner());
        }
        *running += 1;
        Place
    }
}

impl Drop for Place {
    fn drop(&mut self) {
        let mut running = RUNNING.lock().unwrap_or_else(|p| p.into_inner());
        *running = running.saturating_sub(1);
        FREED.notify_one();
    }
}

/// Reads the file at `path` as `kind` of media, decoding its data, on a thread of its own
/// within [`deadline::CHECK_LIMIT`] (waiting first while [`MAX_CHECKS`] others run).
pub fn inspect(path: &Path, kind: MediaKind) -> Result<Inspected, MediaError> {
    let _place = Place::take();
    let owned: PathBuf = path.to_path_buf();
    deadline::within(deadline::CHECK_LIMIT, path, "check", move |d| {
        inspect_within(&owned, kind, d)
    })
}

/// [`inspect`] on the caller's thread, within the caller's deadline.
pub fn inspect_within(path: &Path, kind: MediaKind, d: &Deadline) -> Result<Inspected, MediaError> {
    let meta = std::fs::metadata(path).map_err(|e| MediaError::io("open", path, e))?;
    if !meta.is_file() {
        return Err(MediaError::io(
            "read",
            path,
            std::io::Error::other("it is a folder, not a file"),
        ));
    }
    if meta.len() == 0 {
        return Err(MediaError::Empty { path: path.into() });
    }
    match kind {
        MediaKind::Image => {
            let info = probe_image(path)?;
            d.check(path, "check")?;
            verify_image(path, &info, d)?;
            Ok(Inspected::Image(info))
        }
        MediaKind::Video => {
            let mut demux = Demuxer::open_within(path, d)?;
            // The clip is only usable if its pictures decode; the first one says so.
            first_frame(&mut demux, d)?;
            Ok(Inspected::Video(demux.info().clone()))
        }
        MediaKind::Other => Ok(Inspected::File { size: meta.len() }),
    }
}

/// Inspects `path` as `kind` and lists its problems against `limits`; a file that cannot be
/// read as `kind` has one blocking problem, the reason. `shown` names the file in messages.
pub fn check_file(path: &Path, kind: MediaKind, limits: &MediaLimits, shown: &str) -> Checked {
    match inspect(path, kind) {
        Ok(inspected) => Checked {
            problems: problems(&inspected, limits, shown),
            inspected: Some(inspected),
        },
        Err(e) => Checked {
            inspected: None,
            problems: vec![Problem::new(Level::Block, e.label(), e.to_string())],
        },
    }
}

/// The problems of an inspected file against `limits` (none: it is uploaded as it is).
/// `shown` names the file in the messages.
pub fn problems(inspected: &Inspected, limits: &MediaLimits, shown: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    let size = inspected.size();
    let human = crate::human::bytes;
    let image = matches!(inspected, Inspected::Image(_));
    let (fix, fixed) = if image {
        (
            Level::Reencode,
            "; a smaller JPEG copy is uploaded instead (the original is not changed)",
        )
    } else {
        (Level::Block, "; trim or re-export it")
    };
    if let Some((w, h)) = inspected.dims() {
        let (min_w, min_h) = (
            limits.min_width.unwrap_or(0),
            limits.min_height.unwrap_or(0),
        );
        if w < min_w || h < min_h {
            out.push(Problem::new(
                Level::Block,
                "too small",
                format!(
                    "{shown} is {w}×{h} px, smaller than the minimum {min_w}×{min_h} px this \
                     field needs; use a larger {}",
                    if image { "picture" } else { "clip" }
                ),
            ));
        }
        if limits.max_width.is_some_and(|m| w > m) || limits.max_height.is_some_and(|m| h > m) {
            out.push(Problem::new(
                fix,
                if image {
                    "will be scaled down"
                } else {
                    "too large"
                },
                format!(
                    "{shown} is {w}×{h} px, larger than the field's {} px{fixed}",
                    max_dimensions(limits)
                ),
            ));
        }
    }
    if let Some(max) = limits.max_file_size.filter(|m| size > *m) {
        let level = if matches!(inspected, Inspected::File { .. }) {
            Level::Block
        } else {
            fix
        };
        let fixed = if level == Level::Reencode {
            fixed
        } else {
            "; make it smaller"
        };
        out.push(Problem::new(
            level,
            if level == Level::Reencode {
                "will be re-encoded"
            } else {
                "file too big"
            },
            format!(
                "{shown} is {}, over the field's {} file limit{fixed}",
                human(size),
                human(max)
            ),
        ));
    }
    if let Inspected::Video(v) = inspected {
        video_timing(v, limits, shown, &mut out);
    }
    if let Some(p) = aspect_problem(inspected, limits, shown) {
        out.push(p);
    }
    // Worst first: the tile shows the first one.
    out.sort_by_key(|p| match p.level {
        Level::Block => 0,
        Level::Reencode => 1,
        Level::Warn => 2,
    });
    out
}

fn video_timing(v: &VideoInfo, limits: &MediaLimits, shown: &str, out: &mut Vec<Problem>) {
    let d = v.duration_secs;
    if let Some(m) = limits.min_duration.filter(|m| d + DURATION_SLACK < *m) {
        out.push(Problem::new(
            Level::Block,
            "too short",
            format!("{shown} lasts {d:.2} s, shorter than the minimum {m} s; use a longer clip"),
        ));
    }
    if let Some(m) = limits.max_duration.filter(|m| d > *m + DURATION_SLACK) {
        out.push(Problem::new(
            Level::Block,
            "too long",
            format!("{shown} lasts {d:.2} s, longer than the maximum {m} s; trim it"),
        ));
    }
    let fps = v.fps;
    if let Some(m) = limits.min_fps.filter(|m| fps + FPS_SLACK < *m) {
        out.push(Problem::new(
            Level::Block,
            "frame rate too low",
            format!("{shown} runs at {fps:.2} fps, below the minimum {m} fps; re-export it"),
        ));
    }
    if let Some(m) = limits.max_fps.filter(|m| fps > *m + FPS_SLACK) {
        out.push(Problem::new(
            Level::Block,
            "frame rate too high",
            format!("{shown} runs at {fps:.2} fps, above the maximum {m} fps; re-export it"),
        ));
    }
}

fn aspect_problem(inspected: &Inspected, limits: &MediaLimits, shown: &str) -> Option<Problem> {
    let (w, h) = inspected.dims().filter(|(w, h)| *w > 0 && *h > 0)?;
    let ratio = f64::from(w) / f64::from(h);
    let below = limits
        .min_aspect_ratio
        .is_some_and(|m| ratio < m - ASPECT_SLACK);
    let above = limits
        .max_aspect_ratio
        .is_some_and(|m| ratio > m + ASPECT_SLACK);
    (below || above).then(|| {
        let range = |v: Option<f64>| v.map_or("any".to_string(), |v| format!("{v:.2}"));
        Problem::new(
            Level::Warn,
            "will be cropped",
            format!(
                "{shown} is {w}×{h} px (aspect ratio {ratio:.2}); this field takes {} to {}, so \
                 the model will crop it",
                range(limits.min_aspect_ratio),
                range(limits.max_aspect_ratio),
            ),
        )
    })
}

/// The field's maximum size as `W×H`, "any" standing for a side without a limit.
pub fn max_dimensions(limits: &MediaLimits) -> String {
    let side = |m: Option<u32>| m.map_or("any".to_string(), |m| m.to_string());
    format!("{}×{}", side(limits.max_width), side(limits.max_height))
}

/// How a file is named in messages: its file name.
pub fn display_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;

    #[test]
    fn no_more_than_two_checks_run_at_once() {
        let first = Place::take();
        let second = Place::take();
        let third_started = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&third_started);
        let third = std::thread::spawn(move || {
            let _place = Place::take();
            flag.store(true, Ordering::SeqCst);
        });
        std::thread::sleep(Duration::from_millis(100));
        assert!(
            !third_started.load(Ordering::SeqCst),
            "a third check started"
        );
        drop(first);
        third.join().unwrap();
        assert!(third_started.load(Ordering::SeqCst));
        drop(second);
    }
}
