//! The preview player with sound: the core's [`Player`] (its clock is the sound the device
//! played) on the system's output from [`crate::ui::config::SoundOutput`]. Opening (device,
//! decoder) and closing (thread joins) run off the UI thread; the panel draws from what the
//! player last reported and returns [`PlayerCommand`]s.

mod clip;
mod controls;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use poll_promise::Promise;
use reelsmith_core::media::playback::{AudioDevice, Player, PlayerState, Speed};

pub use clip::clip_preview;
pub use controls::{keys, show};

use crate::ui::config::SoundOutput;

/// Something the user asked of the player.
#[derive(Debug, Clone, PartialEq)]
pub enum PlayerCommand {
    /// Space: play at 1× or pause.
    TogglePlay,
    /// J: play backward, faster each press.
    Backward,
    /// K: pause.
    Pause,
    /// L: play forward, faster each press.
    Forward,
    /// Jump to this second (a click on the bar, a cut marker).
    Seek(f64),
    /// Dragging the playhead: show this second, with a blip of its sound.
    Scrub(f64),
    /// Volume, 0..=1.
    Volume(f32),
    /// Mute on or off.
    Mute(bool),
}

/// What the panel draws: a snapshot of the player taken once per frame.
#[derive(Debug, Clone, PartialEq)]
pub struct PlayerView {
    /// Seconds, playing, speed, sound on, note.
    pub state: PlayerState,
    /// The clip's length in seconds.
    pub duration: f64,
    /// Frames per second (for frame-accurate times).
    pub fps: f64,
    /// Volume and mute.
    pub volume: f32,
    /// Muted.
    pub muted: bool,
    /// Where the cuts fall, in seconds (a storyboard's film).
    pub cuts: Vec<f64>,
    /// The decoder's problem, if the picture stopped.
    pub error: Option<String>,
}

/// The preview player of one clip (or a storyboard's film).
pub struct PlayerPanel {
    sound: SoundOutput,
    device: Arc<OnceLock<Option<Arc<dyn AudioDevice>>>>,
    path: Option<PathBuf>,
    cuts: Vec<f64>,
    player: Option<Player>,
    opening: Option<Promise<Result<Player, String>>>,
    error: Option<String>,
    texture: Option<egui::TextureHandle>,
    shown: Option<(u32, f64)>,
    /// Volume the user set (kept across clips).
    volume: (f32, bool),
}

impl PlayerPanel {
    /// A closed player whose sound goes to `sound`'s device (looked up once, off the UI thread).
    pub fn new(sound: SoundOutput) -> PlayerPanel {
        PlayerPanel {
            sound,
            device: Arc::new(OnceLock::new()),
            path: None,
            cuts: Vec::new(),
            player: None,
            opening: None,
            error: None,
            texture: None,
            shown: None,
            volume: (1.0, false),
        }
    }

    /// The clip open or opening.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// True while the player is being opened.
    pub fn is_opening(&self) -> bool {
        self.opening.is_some()
    }

    /// Why the last clip could not be opened.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Opens `path` (cut markers at `cuts` seconds), paused on its first frame, or playing
    /// when `play`. The previous clip is closed off the UI thread.
    pub fn open(&mut self, ctx: &egui::Context, path: &Path, cuts: Vec<f64>, play: bool) {
        self.close();
        self.path = Some(path.to_path_buf());
        self.cuts = cuts;
        let sound = self.sound.clone();
        let device = self.device.clone();
        let volume = self.volume;
        let path = path.to_path_buf();
        let notify = ctx.clone();
        self.opening = Some(super::task::blocking(
            ctx,
            move || {
                let device = device.get_or_init(|| sound()).clone();
                let player = Player::open(&path, device, move || notify.request_repaint())
                    .map_err(|e| format!("The preview could not start: {e}"))?;
                player.set_volume(volume.0);
                player.set_muted(volume.1);
                if play {
                    player.play();
                }
                Ok(player)
            },
            |m| {
                Err(format!(
                    "The preview could not start: the decoder crashed ({m})."
                ))
            },
        ));
    }

    /// Stops and forgets the clip; its threads are joined on a blocking task, not here.
    pub fn close(&mut self) {
        if let Some(p) = self.player.take() {
            drop_off_thread(p);
        }
        if let Some(p) = self.opening.take() {
            // Still opening: whatever it gives back is closed once it is ready.
            off_thread(move || drop(p.block_and_take()));
        }
        self.path = None;
        self.cuts.clear();
        self.error = None;
        self.shown = None;
    }

    /// Takes in a finished open and the newest picture. Call once per frame.
    pub fn poll(&mut self, ctx: &egui::Context) {
        if let Some(p) = self.opening.take() {
            match p.try_take() {
                Ok(Ok(player)) => self.player = Some(player),
                Ok(Err(e)) => self.error = Some(e),
                Err(p) => self.opening = Some(p),
            }
        }
        let Some(frame) = self.player.as_ref().and_then(Player::latest_frame) else {
            return;
        };
        let key = (frame.index, frame.time_secs);
        if self.shown == Some(key) {
            return;
        }
        self.shown = Some(key);
        let image = egui::ColorImage::from_rgba_unmultiplied(
            [frame.picture.width as usize, frame.picture.height as usize],
            &frame.picture.rgba,
        );
        match &mut self.texture {
            Some(t) => t.set(image, egui::TextureOptions::LINEAR),
            None => {
                self.texture =
                    Some(ctx.load_texture("player-frame", image, egui::TextureOptions::LINEAR));
            }
        }
    }

    /// The picture on show.
    pub fn texture(&self) -> Option<&egui::TextureHandle> {
        self.player.as_ref().and(self.texture.as_ref())
    }

    /// A snapshot for drawing, when a clip is open.
    pub fn view(&self) -> Option<PlayerView> {
        let player = self.player.as_ref()?;
        let info = player.info();
        let (volume, muted) = player.volume();
        Some(PlayerView {
            state: player.state(),
            duration: info.duration_secs,
            fps: info.fps,
            volume,
            muted,
            cuts: self.cuts.clone(),
            error: player.error(),
        })
    }

    /// Carries out a command (each one a message to the player's own thread).
    pub fn apply(&mut self, command: PlayerCommand) {
        let Some(player) = self.player.as_ref() else {
            return;
        };
        // The player's state says what was last asked even before its thread applied it, so
        // two quick L presses make 2×.
        let state = player.state();
        let current = state.playing.then_some(state.speed);
        match command {
            PlayerCommand::TogglePlay => {
                if state.playing {
                    player.pause();
                } else {
                    player.set_speed(Speed::NORMAL);
                    player.play();
                }
            }
            PlayerCommand::Backward => {
                player.set_speed(Speed::after_j(current));
                player.play();
            }
            PlayerCommand::Pause => player.pause(),
            PlayerCommand::Forward => {
                player.set_speed(Speed::after_l(current));
                player.play();
            }
            PlayerCommand::Seek(t) => player.seek(t),
            PlayerCommand::Scrub(t) => player.scrub(t),
            PlayerCommand::Volume(v) => {
                player.set_volume(v);
                self.volume.0 = v;
            }
            PlayerCommand::Mute(m) => {
                player.set_muted(m);
                self.volume.1 = m;
            }
        }
    }
}

impl Drop for PlayerPanel {
    fn drop(&mut self) {
        self.close();
    }
}

/// Drops a player (which joins its threads) on tokio's blocking pool.
fn drop_off_thread(player: Player) {
    off_thread(move || drop(player));
}

/// Runs `work` on tokio's blocking pool (here, when there is no runtime: the end of a test).
fn off_thread(work: impl FnOnce() + Send + 'static) {
    match tokio::runtime::Handle::try_current() {
        Ok(rt) => {
            rt.spawn_blocking(work);
        }
        Err(_) => work(),
    }
}

/// `seconds` as `m:ss.ff` (frames after the dot) at `fps`.
pub fn timecode(seconds: f64, fps: f64) -> String {
    let fps = if fps > 0.0 { fps } else { 24.0 };
    let frames_per_sec = fps.round().max(1.0) as u64;
    let total = (seconds.max(0.0) * fps).round() as u64;
    let secs = total / frames_per_sec;
    let frame = total % frames_per_sec;
    format!("{}:{:02}.{:02}", secs / 60, secs % 60, frame)
}

#[cfg(test)]
mod tests {
    use super::timecode;

    #[test]
    fn timecodes_count_frames_after_the_seconds() {
        assert_eq!(timecode(0.0, 24.0), "0:00.00");
        assert_eq!(timecode(1.5, 24.0), "0:01.12");
        assert_eq!(timecode(61.0 + 23.0 / 24.0, 24.0), "1:01.23");
        assert_eq!(timecode(-3.0, 0.0), "0:00.00");
    }
}
