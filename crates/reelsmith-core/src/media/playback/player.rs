//! The player: a clock thread that keeps the sound queued, reads the master clock (samples
//! the device played, or the wall clock when there is no sound to follow) and shows the
//! picture of that moment through a [`VideoPreview`].

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::feed::SoundFeed;
use super::queue::SampleQueue;
use super::speed::Speed;
use super::{AudioDevice, AudioStream};
use crate::media::audio::AudioTrack;
use crate::media::error::MediaError;
use crate::media::video::{PreviewFrame, VideoInfo, VideoPreview};

/// The note shown when sound cannot be played.
pub const NO_DEVICE_NOTE: &str = "No audio device: playing silent";

/// How much sound is kept decoded ahead of the device.
const AHEAD_SECS: f64 = 0.25;
/// How often the clock thread looks at the clock when nothing else wakes it.
const TICK: Duration = Duration::from_millis(5);
/// Sound played by a scrub while paused.
const SCRUB_SECS: f64 = 0.08;

enum Command {
    Play,
    Pause,
    Seek(f64),
    Scrub(f64),
    Speed(Speed),
}

/// Where playback stands (what the window draws besides the picture).
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerState {
    /// Seconds into the clip.
    pub position: f64,
    /// Playing (at `speed`) or paused.
    pub playing: bool,
    /// The speed it plays at when playing.
    pub speed: Speed,
    /// True while sound is being heard (1×, a device, a clip with sound, not past its end).
    pub sound_on: bool,
    /// Something the user should know ("No audio device: playing silent").
    pub note: Option<String>,
}

struct Clock {
    /// Media seconds at the last (re)start.
    base: f64,
    /// When the wall clock started counting from `base`.
    since: Instant,
    /// Whether the device's played samples drive the clock.
    audio: bool,
}

struct Shared {
    /// The state the clock thread published, and how many commands it had applied by then.
    state: Mutex<(PlayerState, u64)>,
    /// What the commands sent so far ask for, so that the state reads as asked at once.
    asked: Mutex<Asked>,
}

/// Playing and speed as the commands sent so far leave them.
struct Asked {
    /// Commands sent (the thread counts those it applied).
    sent: u64,
    playing: bool,
    speed: Speed,
}

/// A clip being played. Dropping it stops its threads and its sound.
pub struct Player {
    path: PathBuf,
    info: VideoInfo,
    queue: Option<Arc<SampleQueue>>,
    commands: Option<mpsc::Sender<Command>>,
    shared: Arc<Shared>,
    preview: Arc<VideoPreview>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for Player {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Player")
            .field("path", &self.path)
            .field("state", &self.state())
            .finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Player {
    /// Opens the clip at `path`, paused on its first frame, with its sound on `device` (none:
    /// silent with a note). `notify` is called when a new frame or state is ready.
    pub fn open(
        path: &Path,
        device: Option<Arc<dyn AudioDevice>>,
        notify: impl Fn() + Send + Sync + 'static,
    ) -> Result<Player, MediaError> {
        let notify: Arc<dyn Fn() + Send + Sync> = Arc::new(notify);
        let preview = {
            let notify = notify.clone();
            Arc::new(VideoPreview::open_with_notify(path, move || notify())?)
        };
        let info = preview.info().clone();
        // A clip whose sound cannot be read plays silent; the picture is what matters most.
        let feed = match AudioTrack::open(path) {
            Ok(Some(track)) => match SoundFeed::new(track) {
                Ok(f) => Some(f),
                Err(e) => {
                    tracing::warn!("{e}");
                    None
                }
            },
            Ok(None) => None,
            Err(e) => {
                tracing::warn!("{e}");
                None
            }
        };
        let mut note = None;
        let mut queue = None;
        let mut stream: Option<Box<dyn AudioStream>> = None;
        if let Some(f) = &feed {
            let q = Arc::new(SampleQueue::new(f.channels()));
            match device
                .as_ref()
                .map(|d| d.open_stream(f.rate(), f.channels(), q.clone()))
            {
                Some(Ok(s)) => {
                    stream = Some(s);
                    queue = Some(q);
                }
                Some(Err(why)) => {
                    tracing::info!("no sound: {why}");
                    note = Some(NO_DEVICE_NOTE.to_string());
                }
                None => note = Some(NO_DEVICE_NOTE.to_string()),
            }
        }
        let shared = Arc::new(Shared {
            state: Mutex::new((
                PlayerState {
                    position: 0.0,
                    playing: false,
                    speed: Speed::NORMAL,
                    sound_on: false,
                    note,
                },
                0,
            )),
            asked: Mutex::new(Asked {
                sent: 0,
                playing: false,
                speed: Speed::NORMAL,
            }),
        });
        let (tx, rx) = mpsc::channel();
        let engine = Engine {
            duration: info.duration_secs,
            fps: info.fps.max(1.0),
            feed: if queue.is_some() { feed } else { None },
            queue: queue.clone(),
            _stream: stream,
            shared: shared.clone(),
            preview: preview.clone(),
            notify,
            playing: false,
            speed: Speed::NORMAL,
            clock: Clock {
                base: 0.0,
                since: Instant::now(),
                audio: false,
            },
            shown: None,
            applied: 0,
        };
        let thread = std::thread::Builder::new()
            .name("playback-clock".into())
            .spawn(move || engine.run(&rx))
            .map_err(|e| MediaError::VideoDecode {
                path: path.into(),
                reason: format!("the playback thread could not start: {e}"),
            })?;
        Ok(Player {
            path: path.into(),
            info,
            queue,
            commands: Some(tx),
            shared,
            preview,
            thread: Some(thread),
        })
    }

    /// Records what `c` asks (so that [`Player::state`] says it at once: two quick L presses
    /// make 2× even before the thread applied the first), then sends it.
    fn send(&self, c: Command) {
        let now = self.state();
        let (playing, speed) = match &c {
            Command::Play => (true, now.speed),
            Command::Pause | Command::Scrub(_) => (false, now.speed),
            Command::Speed(s) => (true, *s),
            Command::Seek(_) => (now.playing, now.speed),
        };
        let mut asked = lock(&self.shared.asked);
        asked.sent += 1;
        asked.playing = playing;
        asked.speed = speed;
        // Sent under the lock: the thread's count of applied commands never passes `sent`.
        if let Some(tx) = &self.commands
            && tx.send(c).is_err()
        {
            tracing::debug!("playback of {} has stopped", self.path.display());
        }
    }

    /// What the container says about the clip.
    pub fn info(&self) -> &VideoInfo {
        &self.info
    }

    /// Plays at the current speed (1× unless changed).
    pub fn play(&self) {
        self.send(Command::Play);
    }

    /// Pauses (K).
    pub fn pause(&self) {
        self.send(Command::Pause);
    }

    /// Plays at `speed` (J/L; see [`Speed::after_j`] and [`Speed::after_l`]).
    pub fn set_speed(&self, speed: Speed) {
        self.send(Command::Speed(speed));
    }

    /// Jumps to `seconds` (clamped to the clip), playing on if playing.
    pub fn seek(&self, seconds: f64) {
        self.send(Command::Seek(seconds));
    }

    /// Jumps to `seconds` while the user drags the playhead: paused, a short snatch of sound.
    pub fn scrub(&self, seconds: f64) {
        self.send(Command::Scrub(seconds));
    }

    /// Sets the volume (0..=1).
    pub fn set_volume(&self, volume: f32) {
        if let Some(q) = &self.queue {
            q.set_volume(volume);
        }
    }

    /// Mutes or unmutes.
    pub fn set_muted(&self, muted: bool) {
        if let Some(q) = &self.queue {
            q.set_muted(muted);
        }
    }

    /// The volume and whether muted (1.0 and false without sound).
    pub fn volume(&self) -> (f32, bool) {
        self.queue
            .as_ref()
            .map_or((1.0, false), |q| (q.volume(), q.muted()))
    }

    /// Where playback stands; playing and speed as last asked while a command is on its way.
    pub fn state(&self) -> PlayerState {
        let (mut state, applied) = lock(&self.shared.state).clone();
        let asked = lock(&self.shared.asked);
        if asked.sent > applied {
            state.playing = asked.playing;
            state.speed = asked.speed;
            // Sound plays only when playing at 1×: a command that leaves that silences the
            // state at once (whether sound resumes at 1× is the clock's to say).
            state.sound_on &= asked.playing && asked.speed.has_sound();
        }
        state
    }

    /// The picture on show, without waiting for the decoder.
    pub fn latest_frame(&self) -> Option<Arc<PreviewFrame>> {
        self.preview.latest_frame()
    }

    /// The decoding problem that stopped the picture, if any.
    pub fn error(&self) -> Option<String> {
        self.preview.error()
    }
}

impl Drop for Player {
    fn drop(&mut self) {
        self.commands.take();
        if let Some(t) = self.thread.take()
            && t.join().is_err()
        {
            tracing::warn!("the playback thread of {} panicked", self.path.display());
        }
    }
}

/// The clock thread's state.
struct Engine {
    duration: f64,
    fps: f64,
    feed: Option<SoundFeed>,
    queue: Option<Arc<SampleQueue>>,
    _stream: Option<Box<dyn AudioStream>>,
    shared: Arc<Shared>,
    preview: Arc<VideoPreview>,
    notify: Arc<dyn Fn() + Send + Sync>,
    playing: bool,
    speed: Speed,
    clock: Clock,
    shown: Option<u32>,
    /// Commands applied (published with the state).
    applied: u64,
}

impl Engine {
    fn run(mut self, commands: &mpsc::Receiver<Command>) {
        loop {
            match commands.recv_timeout(TICK) {
                Ok(c) => self.apply(c),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => return,
            }
            self.tick();
        }
    }

    /// The media time now.
    fn position(&self) -> f64 {
        if !self.playing {
            return self.clock.base;
        }
        let elapsed = match (&self.queue, &self.feed, self.clock.audio) {
            (Some(q), Some(f), true) => {
                let latency = self
                    ._stream
                    .as_ref()
                    .map_or(0.0, |s| s.latency().as_secs_f64());
                (q.played_frames() as f64 / f64::from(f.rate()) - latency).max(0.0)
            }
            _ => self.clock.since.elapsed().as_secs_f64() * self.speed.0,
        };
        (self.clock.base + elapsed).clamp(0.0, self.duration)
    }

    /// Restarts the clock at `at`, with sound if it can be heard there.
    fn restart(&mut self, at: f64) {
        let at = at.clamp(0.0, self.duration);
        let sound = self.playing
            && self.speed.has_sound()
            && self.feed.as_ref().is_some_and(|f| at < f.duration_secs());
        if let Some(q) = &self.queue {
            q.reset();
        }
        if sound && let Some(f) = self.feed.as_mut() {
            f.seek(at);
        }
        self.clock = Clock {
            base: at,
            since: Instant::now(),
            audio: sound,
        };
    }

    fn apply(&mut self, command: Command) {
        self.applied += 1;
        let now = self.position();
        match command {
            Command::Play => {
                self.playing = true;
                let at = if now >= self.duration && self.speed.0 > 0.0 {
                    0.0
                } else {
                    now
                };
                self.restart(at);
            }
            Command::Pause => {
                self.playing = false;
                self.restart(now);
            }
            Command::Speed(s) => {
                self.speed = s;
                self.playing = true;
                self.restart(now);
            }
            Command::Seek(t) => self.restart(t),
            Command::Scrub(t) => {
                self.playing = false;
                self.restart(t);
                // A snatch of the sound there, so a cut can be found by ear.
                if let (Some(f), Some(q)) = (self.feed.as_mut(), &self.queue) {
                    f.seek(t);
                    let frames = (SCRUB_SECS * f64::from(f.rate())) as usize;
                    if let Err(e) = f.fill(q, frames) {
                        tracing::debug!("scrub: {e}");
                    }
                }
            }
        }
        self.publish();
    }

    fn tick(&mut self) {
        if self.playing && self.clock.audio {
            let mut fall_back = false;
            if let (Some(f), Some(q)) = (self.feed.as_mut(), &self.queue) {
                let ahead = (AHEAD_SECS * f64::from(f.rate())) as usize;
                if let Err(e) = f.fill(q, ahead) {
                    tracing::warn!("sound stopped: {e}");
                    fall_back = true;
                }
                // The sound ran out before the picture: the wall clock takes over.
                fall_back |= f.ended() && q.queued_frames() == 0;
            }
            if fall_back {
                let now = self.position();
                self.clock = Clock {
                    base: now,
                    since: Instant::now(),
                    audio: false,
                };
            }
        }
        let now = self.position();
        if self.playing
            && ((self.speed.0 > 0.0 && now >= self.duration) || (self.speed.0 < 0.0 && now <= 0.0))
        {
            self.playing = false;
            self.restart(now);
        }
        self.publish();
    }

    /// Shows the frame of the moment and publishes the state.
    fn publish(&mut self) {
        let now = self.position();
        let last = ((self.duration * self.fps).round() as u32).saturating_sub(1);
        let index = ((now * self.fps + 1e-6).floor() as u32).min(last);
        let new_frame = self.shown != Some(index);
        if new_frame {
            self.shown = Some(index);
            if let Err(e) = self.preview.seek(f64::from(index) / self.fps) {
                tracing::debug!("preview: {e}");
            }
        }
        let state = PlayerState {
            position: now,
            playing: self.playing,
            speed: self.speed,
            sound_on: self.playing
                && self.clock.audio
                && !self.queue.as_ref().is_some_and(|q| q.muted()),
            note: lock(&self.shared.state).0.note.clone(),
        };
        let changed = {
            let mut s = lock(&self.shared.state);
            // The position alone changes every tick; a repaint is worth it on a new frame.
            let changed = (s.0.playing, s.0.speed, s.0.sound_on)
                != (state.playing, state.speed, state.sound_on);
            *s = (state, self.applied);
            changed || new_frame
        };
        if changed {
            (self.notify)();
        }
    }
}
