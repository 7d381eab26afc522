//! What `reelsmith export` and `reelsmith storyboard export` share: trims as typed, clips named
//! by path or library id, and running an export with progress on stderr and Ctrl+C to cancel.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use reelsmith_core::film::export::trim_from_seconds;
use reelsmith_core::film::{ExportHandle, ExportReport, ExportRequest, FilmError, FrameRange};
use reelsmith_core::store::Journal;

use crate::cli::engine_setup::{CliExit, exit};

/// How `--trim` is written, in `--help`.
pub const TRIM_HELP: &str = "IN:OUT of the clip: seconds (2.5 or 2.5s) or frame numbers with an f \
(60f); OUT is exclusive, either side may be empty (:4 = the first 4 s, 48f: = from frame 48 on). \
The Nth --trim trims the Nth clip; `--trim :` leaves one whole.";

/// One end of a trim as typed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum TrimPoint {
    /// Seconds into the clip.
    Seconds(f64),
    /// A frame number.
    Frame(u32),
}

/// A trim as typed: `IN:OUT`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrimArg {
    /// Where the shot starts (`None`: the clip's start).
    pub start: Option<TrimPoint>,
    /// Where it ends, exclusive (`None`: the clip's end).
    pub end: Option<TrimPoint>,
}

fn point(text: &str) -> Result<Option<TrimPoint>, String> {
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    if let Some(frames) = t.strip_suffix('f') {
        return frames
            .trim()
            .parse::<u32>()
            .map(|f| Some(TrimPoint::Frame(f)))
            .map_err(|_| format!("{t:?} is not a frame number (write 60f)"));
    }
    let secs = t.strip_suffix('s').unwrap_or(t).trim();
    match secs.parse::<f64>() {
        Ok(s) if s.is_finite() && s >= 0.0 => Ok(Some(TrimPoint::Seconds(s))),
        _ => Err(format!(
            "{t:?} is not a time in seconds (write 2.5) or a frame (60f)"
        )),
    }
}

/// Parses `IN:OUT` (clap's value parser for `--trim`).
pub fn parse_trim(text: &str) -> Result<TrimArg, String> {
    let (a, b) = text
        .split_once(':')
        .ok_or_else(|| format!("{text:?} is not IN:OUT (for example 1.5:4 or 12f:96f)"))?;
    Ok(TrimArg {
        start: point(a)?,
        end: point(b)?,
    })
}

impl TrimArg {
    /// The frames of the clip at `path` this trim covers.
    pub fn frames(&self, path: &Path) -> Result<FrameRange, FilmError> {
        let secs = |p: Option<TrimPoint>| match p {
            Some(TrimPoint::Seconds(s)) => Some(s),
            _ => None,
        };
        let whole = trim_from_seconds(path, secs(self.start), secs(self.end))?;
        let pick = |p: Option<TrimPoint>, from_secs: u32, default: u32| match p {
            Some(TrimPoint::Frame(f)) => f,
            Some(TrimPoint::Seconds(_)) => from_secs,
            None => default,
        };
        let frames = trim_from_seconds(path, None, None)?.end;
        Ok(FrameRange {
            start: pick(self.start, whole.start, 0),
            end: pick(self.end, whole.end, frames),
        })
    }
}

/// A clip named on the command line: an existing file, or else a library id (the job id
/// `reelsmith jobs` shows, or an `import-…` id).
pub fn resolve_clip(journal: Option<&Journal>, name: &str) -> Result<PathBuf, CliExit> {
    let path = PathBuf::from(name);
    if path.is_file() {
        return Ok(path);
    }
    if let Some(journal) = journal {
        let items = journal
            .library_items()
            .map_err(|e| CliExit::new(exit::OTHER, e.to_string()))?;
        if let Some(item) = items.iter().find(|i| i.job_id == name) {
            return Ok(item.path.clone());
        }
    }
    Err(CliExit::new(
        exit::INVALID,
        format!(
            "{name} is neither a video file nor a clip of the library (`reelsmith jobs` lists their ids)"
        ),
    ))
}

/// The exit code for a film error.
pub fn film_exit(e: FilmError) -> CliExit {
    let code = match &e {
        FilmError::Cancelled => exit::INTERRUPTED,
        FilmError::Io { .. } | FilmError::Journal(_) | FilmError::Codec { .. } => exit::OTHER,
        _ => exit::INVALID,
    };
    CliExit::new(code, e.to_string())
}

/// Runs the export, printing progress on stderr; Ctrl+C cancels it (nothing is left behind).
pub async fn run_export(request: ExportRequest) -> Result<ExportReport, CliExit> {
    let tty = std::io::stderr().is_terminal();
    let mut handle = ExportHandle::start(request);
    let mut last_line = Instant::now() - Duration::from_secs(10);
    let mut last_tenth = None;
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    loop {
        if handle.is_finished() {
            break;
        }
        tokio::select! {
            _ = &mut interrupted => {
                eprintln!("\nreelsmith: cancelling the export…");
                handle.cancel();
                break;
            }
            _ = tokio::time::sleep(Duration::from_millis(100)) => {}
        }
        let p = handle.progress();
        if p.frames_total == 0 {
            continue;
        }
        let left = p
            .remaining
            .map(|d| format!(", about {} left", short_duration(d)))
            .unwrap_or_default();
        let line = format!(
            "exporting: {:>3.0}% ({}/{} frames){left}",
            p.fraction * 100.0,
            p.frames_done,
            p.frames_total
        );
        let tenth = (p.fraction * 10.0) as u32;
        if tty && last_line.elapsed() > Duration::from_millis(200) {
            eprint!("\r{line}   ");
            let _ = std::io::stderr().flush();
            last_line = Instant::now();
        } else if !tty && last_tenth != Some(tenth) {
            eprintln!("{line}");
            last_tenth = Some(tenth);
        }
    }
    if tty {
        eprintln!();
    }
    // The export thread ends within a frame of being cancelled; wait for it off this thread.
    let result = tokio::task::spawn_blocking(move || {
        let _ = handle.try_result();
        handle.wait()
    })
    .await
    .map_err(|e| CliExit::new(exit::OTHER, format!("the export stopped: {e}")))?;
    result.map_err(film_exit)
}

/// "8 s", "2 min 5 s".
fn short_duration(d: Duration) -> String {
    let s = d.as_secs_f64().ceil() as u64;
    if s < 60 {
        format!("{s} s")
    } else {
        format!("{} min {} s", s / 60, s % 60)
    }
}

/// Prints what a finished export made.
pub fn print_report(report: &ExportReport) {
    let s = &report.stats;
    eprintln!(
        "reelsmith: wrote {} ({:.2} s, {} frames copied, {} re-encoded; sound: {} frames copied, {} silent) in {:.1} s",
        report.output.display(),
        report.duration_secs,
        s.frames_copied,
        s.frames_encoded,
        s.sound_copied,
        s.sound_silent,
        report.elapsed.as_secs_f64()
    );
    for w in &report.warnings {
        eprintln!("reelsmith: note: {w}");
    }
    println!("{}", report.output.display());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trims_read_seconds_and_frames() {
        assert_eq!(
            parse_trim("1.5:4").unwrap(),
            TrimArg {
                start: Some(TrimPoint::Seconds(1.5)),
                end: Some(TrimPoint::Seconds(4.0))
            }
        );
        assert_eq!(
            parse_trim("12f:").unwrap(),
            TrimArg {
                start: Some(TrimPoint::Frame(12)),
                end: None
            }
        );
        assert_eq!(
            parse_trim(":2s").unwrap().end,
            Some(TrimPoint::Seconds(2.0))
        );
        assert!(parse_trim("4").is_err());
        assert!(parse_trim("x:1").is_err());
        assert!(parse_trim("-1:2").is_err());
        assert!(parse_trim("1.5f:2").is_err());
    }
}
