//! Time limits for media work: every probe, check, thumbnail, poster and frame has one.
//!
//! Two layers, because a hostile file may find a loop we did not foresee. Our own loops (box
//! walks, sample tables, frame decoding) look at a [`Deadline`] and stop with
//! [`MediaError::TimedOut`]; and [`within`] runs the whole job on a thread of its own and
//! stops waiting for it at the limit, so code we do not control (a decoder) can hang its own
//! thread but never its caller. A panic in the job becomes an error too.

use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use super::error::MediaError;

/// Checking a dropped or submitted file: header, box walk, decoding its picture data or first
/// frame.
pub const CHECK_LIMIT: Duration = Duration::from_secs(20);
/// One thumbnail (decode and resize).
pub const THUMBNAIL_LIMIT: Duration = Duration::from_secs(15);
/// A clip's poster frame.
pub const POSTER_LIMIT: Duration = Duration::from_secs(20);
/// A clip's last frame, or any frame (decoding may start a whole group of pictures earlier).
pub const FRAME_LIMIT: Duration = Duration::from_secs(45);
/// Opening a clip for the preview player (box walk and sample tables, no decoding).
pub const OPEN_LIMIT: Duration = Duration::from_secs(10);
/// Re-encoding a picture over its field's limits before upload (decode, resize, encode).
pub const PREPARE_LIMIT: Duration = Duration::from_secs(90);

/// How long the caller waits past the limit for the job to notice its own deadline.
const GRACE: Duration = Duration::from_secs(2);

/// When a piece of media work must stop.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    started: Instant,
    limit: Duration,
}

impl Deadline {
    /// A deadline `limit` from now.
    pub fn after(limit: Duration) -> Deadline {
        Deadline {
            started: Instant::now(),
            limit,
        }
    }

    /// The limit this deadline was made with.
    pub fn limit(&self) -> Duration {
        self.limit
    }

    /// True once the time is up.
    pub fn expired(&self) -> bool {
        self.started.elapsed() > self.limit
    }

    /// `Err(TimedOut)` once the time is up: for loops that work on `path`.
    pub fn check(&self, path: &Path, what: &'static str) -> Result<(), MediaError> {
        if self.expired() {
            return Err(timed_out(path, what, self.limit));
        }
        Ok(())
    }
}

/// The error for `what` on `path` taking longer than `limit`.
pub fn timed_out(path: &Path, what: &'static str, limit: Duration) -> MediaError {
    MediaError::TimedOut {
        path: path.to_path_buf(),
        what,
        secs: limit.as_secs().max(1),
    }
}

/// Runs `work` on its own thread with a deadline of `limit`, and returns its result, or
/// [`MediaError::TimedOut`] when it has not finished shortly after the limit (the thread is
/// then left to notice its deadline on its own), or [`MediaError::Decode`] if it panicked.
pub fn within<T, F>(
    limit: Duration,
    path: &Path,
    what: &'static str,
    work: F,
) -> Result<T, MediaError>
where
    T: Send + 'static,
    F: FnOnce(&Deadline) -> Result<T, MediaError> + Send + 'static,
{
    let deadline = Deadline::after(limit);
    let (tx, rx) = mpsc::sync_channel(1);
    let owned: PathBuf = path.to_path_buf();
    let spawned = std::thread::Builder::new()
        .name(format!("media-{what}"))
        .spawn(move || {
            let outcome = catch(&owned, || work(&deadline));
            // The caller may have given up waiting; then nobody needs the result.
            let _ = tx.send(outcome);
        });
    if let Err(e) = spawned {
        return Err(MediaError::Decode {
            path: path.to_path_buf(),
            reason: format!("no thread could be started for the {what} ({e})"),
        });
    }
    match rx.recv_timeout(limit + GRACE) {
        Ok(outcome) => outcome,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            tracing::warn!(
                "media: the {what} of {} is still running after {} s; left behind",
                path.display(),
                limit.as_secs()
            );
            Err(timed_out(path, what, limit))
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => Err(crashed(path)),
    }
}

/// Runs `work` on this thread, turning a panic into [`MediaError::Decode`].
pub fn catch<T>(
    path: &Path,
    work: impl FnOnce() -> Result<T, MediaError>,
) -> Result<T, MediaError> {
    std::panic::catch_unwind(AssertUnwindSafe(work)).unwrap_or_else(|_| Err(crashed(path)))
}

fn crashed(path: &Path) -> MediaError {
    MediaError::Decode {
        path: path.to_path_buf(),
        reason: "the decoder crashed on this file".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_job_past_its_limit_is_given_up_on_and_its_thread_stops_by_itself() {
        let started = Instant::now();
        let r: Result<(), _> = within(
            Duration::from_millis(100),
            Path::new("slow.mp4"),
            "test",
            |d| {
                while !d.expired() {
                    std::thread::sleep(Duration::from_millis(5));
                }
                d.check(Path::new("slow.mp4"), "test")
            },
        );
        assert!(matches!(r, Err(MediaError::TimedOut { .. })), "{r:?}");
        assert!(started.elapsed() < Duration::from_secs(3));
    }

    #[test]
    fn a_job_that_never_looks_at_its_deadline_still_returns_to_the_caller() {
        let started = Instant::now();
        let r: Result<(), _> = within(Duration::ZERO, Path::new("x"), "test", |_| {
            loop {
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        assert!(matches!(r, Err(MediaError::TimedOut { .. })));
        assert!(started.elapsed() < GRACE + Duration::from_secs(1));
    }

    #[test]
    fn a_panic_is_an_error_naming_the_file() {
        let r: Result<(), _> = within(Duration::from_secs(5), Path::new("bad.jpg"), "test", |_| {
            panic!("boom")
        });
        let e = r.unwrap_err().to_string();
        assert!(e.contains("bad.jpg") && e.contains("crashed"), "{e}");
    }
}
