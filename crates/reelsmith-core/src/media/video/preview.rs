//! A silent preview player: a thread decodes frames at the clip's rate; the UI reads the latest.
//!
//! Commands (play, pause, seek, looping) go over a channel; the newest frame is swapped into a
//! shared slot under a lock held only for the swap, so the UI thread never waits on decoding.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::VideoInfo;
use super::decode::H264Decoder;
use super::demux::Demuxer;
use crate::media::deadline::{self, Deadline};
use crate::media::error::MediaError;
use crate::media::picture::Picture;

/// One decoded frame of the preview.
#[derive(Debug, Clone, PartialEq)]
pub struct PreviewFrame {
    /// 0-based frame number.
    pub index: u32,
    /// Where the frame sits in the clip, in seconds.
    pub time_secs: f64,
    /// The pixels.
    pub picture: Picture,
}

enum Command {
    Play,
    Pause,
    Seek(f64),
    SetLooping(bool),
}

struct Shared {
    latest: Mutex<Option<Arc<PreviewFrame>>>,
    generation: AtomicU64,
    playing: AtomicBool,
    /// Set when the preview is dropped: a long decode stops at its next frame.
    stopped: AtomicBool,
    error: Mutex<Option<String>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A clip being previewed. Dropping it stops its thread.
pub struct VideoPreview {
    path: PathBuf,
    info: VideoInfo,
    commands: Option<mpsc::Sender<Command>>,
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

impl VideoPreview {
    /// Opens the clip at `path` (paused on its first frame, once decoded).
    pub fn open(path: &Path) -> Result<VideoPreview, MediaError> {
        VideoPreview::open_with_notify(path, || {})
    }

    /// Like [`VideoPreview::open`], calling `notify` from the decoding thread whenever a new
    /// frame is ready (e.g. to ask the UI for a repaint).
    pub fn open_with_notify(
        path: &Path,
        notify: impl Fn() + Send + Sync + 'static,
    ) -> Result<VideoPreview, MediaError> {
        // Opening walks the boxes and primes the decoder: bounded in time like any media job.
        let owned = path.to_path_buf();
        let (demux, decoder) = deadline::within(deadline::OPEN_LIMIT, path, "preview", move |d| {
            let demux = Demuxer::open_within(&owned, d)?;
            let decoder = H264Decoder::new(&owned, demux.parameter_sets())?;
            Ok((demux, decoder))
        })?;
        let info = demux.info().clone();
        let shared = Arc::new(Shared {
            latest: Mutex::new(None),
            generation: AtomicU64::new(0),
            playing: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
            error: Mutex::new(None),
        });
        let (tx, rx) = mpsc::channel();
        let watch = Arc::clone(&shared);
        let player = Player {
            demux,
            decoder,
            shared: Arc::clone(&shared),
            notify: Arc::new(notify),
            shown: None,
            next: 0,
            looping: false,
        };
        let thread = std::thread::Builder::new()
            .name("video-preview".into())
            .spawn(move || {
                // A decoder bug on a hostile clip stops this preview, with a message.
                let notify = Arc::clone(&player.notify);
                let ran =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| player.run(&rx)));
                if ran.is_err() {
                    *lock(&watch.error) = Some("the decoder crashed on this clip".into());
                    watch.playing.store(false, Ordering::SeqCst);
                    notify();
                }
            })
            .map_err(|e| MediaError::VideoDecode {
                path: path.into(),
                reason: format!("the preview thread could not start: {e}"),
            })?;
        Ok(VideoPreview {
            path: path.into(),
            info,
            commands: Some(tx),
            shared,
            thread: Some(thread),
        })
    }

    /// What the container says about the clip.
    pub fn info(&self) -> &VideoInfo {
        &self.info
    }

    fn send(&self, command: Command) -> Result<(), MediaError> {
        let stopped = || MediaError::PreviewStopped {
            path: self.path.clone(),
        };
        self.commands
            .as_ref()
            .ok_or_else(stopped)?
            .send(command)
            .map_err(|_| stopped())
    }

    /// Starts (or resumes) playing at the clip's frame rate; at the end it restarts.
    pub fn play(&self) -> Result<(), MediaError> {
        self.send(Command::Play)
    }

    /// Stops on the current frame.
    pub fn pause(&self) -> Result<(), MediaError> {
        self.send(Command::Pause)
    }

    /// Shows the frame at `seconds` (clamped to the clip), playing on from there if playing.
    pub fn seek(&self, seconds: f64) -> Result<(), MediaError> {
        self.send(Command::Seek(seconds))
    }

    /// Whether playing past the last frame starts over instead of pausing there.
    pub fn set_looping(&self, looping: bool) -> Result<(), MediaError> {
        self.send(Command::SetLooping(looping))
    }

    /// The newest decoded frame, without waiting for the decoder.
    pub fn latest_frame(&self) -> Option<Arc<PreviewFrame>> {
        lock(&self.shared.latest).clone()
    }

    /// Counts published frames: a change means [`VideoPreview::latest_frame`] has news.
    pub fn generation(&self) -> u64 {
        self.shared.generation.load(Ordering::SeqCst)
    }

    /// True while playing.
    pub fn is_playing(&self) -> bool {
        self.shared.playing.load(Ordering::SeqCst)
    }

    /// The decoding problem that stopped playback, if any.
    pub fn error(&self) -> Option<String> {
        lock(&self.shared.error).clone()
    }
}

impl VideoPreview {
    /// Stops the decoding thread and waits for it (never on the UI thread: dropping the
    /// preview stops the thread without waiting).
    pub fn close(mut self) {
        self.commands.take();
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::warn!("the preview thread of {} panicked", self.path.display());
        }
    }
}

impl Drop for VideoPreview {
    fn drop(&mut self) {
        // Closing the channel is the stop signal; the thread ends at its next look at the
        // channel, or at the next frame of a long decode. Not joined: the UI drops previews,
        // and must not wait on a decoder.
        self.shared.stopped.store(true, Ordering::SeqCst);
        self.commands.take();
        self.thread.take();
    }
}

/// The decoding thread's state.
struct Player {
    demux: Demuxer,
    decoder: H264Decoder,
    shared: Arc<Shared>,
    notify: Arc<dyn Fn() + Send + Sync>,
    /// Index of the frame on show.
    shown: Option<u32>,
    /// Next sample the decoder expects, in decoding order.
    next: u32,
    looping: bool,
}

/// When playback of `from_index` started, to schedule the frames after it.
struct Clock {
    started: Instant,
    from_index: u32,
}

impl Player {
    fn run(mut self, commands: &mpsc::Receiver<Command>) {
        self.show(0);
        let mut clock: Option<Clock> = None;
        let frame_time = 1.0 / self.demux.info().fps.max(1.0);
        loop {
            let command = match &clock {
                None => match commands.recv() {
                    Ok(c) => Some(c),
                    Err(_) => return,
                },
                Some(c) => {
                    let shown = self.shown.unwrap_or(0);
                    let due = c.started
                        + Duration::from_secs_f64(
                            f64::from((shown + 1).saturating_sub(c.from_index)) * frame_time,
                        );
                    match commands.recv_timeout(due.saturating_duration_since(Instant::now())) {
                        Ok(c) => Some(c),
                        Err(RecvTimeoutError::Timeout) => None,
                        Err(RecvTimeoutError::Disconnected) => return,
                    }
                }
            };
            match command {
                Some(Command::Play) => {
                    let last = self.demux.info().frame_count.saturating_sub(1);
                    if self.shown == Some(last) {
                        self.show(0);
                    }
                    clock = Some(Clock {
                        started: Instant::now(),
                        from_index: self.shown.unwrap_or(0),
                    });
                }
                Some(Command::Pause) => clock = None,
                Some(Command::Seek(t)) => {
                    let index = self.demux.index_at(t);
                    self.show(index);
                    if clock.is_some() {
                        clock = Some(Clock {
                            started: Instant::now(),
                            from_index: index,
                        });
                    }
                }
                Some(Command::SetLooping(l)) => self.looping = l,
                None => {
                    // A frame is due. If decoding fell behind, jump to the frame due now.
                    let Some(c) = &clock else { continue };
                    let elapsed = c.started.elapsed().as_secs_f64();
                    let due = c.from_index + (elapsed / frame_time).floor() as u32;
                    let last = self.demux.info().frame_count.saturating_sub(1);
                    if due > last {
                        if self.shown != Some(last) {
                            self.show(last);
                        } else if self.looping {
                            self.show(0);
                            clock = Some(Clock {
                                started: Instant::now(),
                                from_index: 0,
                            });
                        } else {
                            clock = None;
                        }
                    } else {
                        let next = due.max(self.shown.map_or(0, |s| s + 1));
                        self.show(next.min(last));
                    }
                }
            }
            if self.error_set() {
                clock = None;
            }
            self.shared.playing.store(clock.is_some(), Ordering::SeqCst);
        }
    }

    fn error_set(&self) -> bool {
        lock(&self.shared.error).is_some()
    }

    /// Decodes up to frame `index` (restarting at a key frame when jumping) and publishes it.
    fn show(&mut self, index: u32) {
        if self.shown == Some(index) {
            return;
        }
        let key = self.demux.sync_at_or_before(index);
        // Decoding on from where we are works only if no earlier key frame is needed.
        if index < self.next || key > self.next {
            match H264Decoder::new(self.demux.path(), self.demux.parameter_sets()) {
                Ok(d) => self.decoder = d,
                Err(e) => return self.fail(e),
            }
            self.next = key;
        }
        let mut picture = None;
        // Reaching a frame far from its key frame may take long: never past the frame limit,
        // and not at all once nobody watches.
        let d = Deadline::after(deadline::FRAME_LIMIT);
        while self.next <= index {
            if self.shared.stopped.load(Ordering::SeqCst) {
                return;
            }
            if let Err(e) = d.check(self.demux.path(), "preview") {
                return self.fail(e);
            }
            let au = match self.demux.sample(self.next) {
                Ok(Some(au)) => au,
                Ok(None) => break,
                Err(e) => return self.fail(e),
            };
            self.next += 1;
            match self.decoder.decode(&au) {
                Ok(Some(p)) => picture = Some(p),
                Ok(None) => {}
                Err(e) => tracing::debug!("preview: {e}"),
            }
        }
        let Some(picture) = picture else {
            return self.fail(MediaError::VideoDecode {
                path: self.demux.path().into(),
                reason: format!("frame {index} did not decode"),
            });
        };
        self.shown = Some(index);
        let frame = PreviewFrame {
            index,
            time_secs: f64::from(index) / self.demux.info().fps.max(1.0),
            picture,
        };
        *lock(&self.shared.latest) = Some(Arc::new(frame));
        self.shared.generation.fetch_add(1, Ordering::SeqCst);
        (self.notify)();
    }

    fn fail(&mut self, error: MediaError) {
        tracing::warn!("preview stopped: {error}");
        *lock(&self.shared.error) = Some(error.to_string());
        (self.notify)();
    }
}
