//! Playback with sound: the clip's AAC sound goes to an audio output whose consumed samples
//! are the master clock, and the picture ([`super::video::VideoPreview`]) follows that clock.
//! J/K/L speeds, seeking and scrubbing, volume and mute. No audio device (a headless machine,
//! CI) plays silent against the wall clock, with a note, never an error.
//!
//! The device itself is behind [`AudioDevice`]: the core stays free of any sound library, and
//! the `reelsmith-audio-device` crate implements it with cpal.

mod feed;
mod player;
mod queue;
mod speed;

pub use player::{NO_DEVICE_NOTE, Player, PlayerState};
pub use queue::SampleQueue;
pub use speed::Speed;

use std::sync::Arc;

/// An open stream on a device; dropping it stops the sound.
pub trait AudioStream: Send {
    /// How long a sample handed to the device takes to be heard (its buffer); the clock
    /// subtracts it so the picture waits for the sound.
    fn latency(&self) -> std::time::Duration {
        std::time::Duration::ZERO
    }
}

/// A sound output the player can play through.
pub trait AudioDevice: Send + Sync {
    /// Starts a stream that plays `queue` (interleaved `channels` at `rate` Hz) until dropped;
    /// `Err` says why the device cannot (the player then plays silent).
    fn open_stream(
        &self,
        rate: u32,
        channels: u16,
        queue: Arc<SampleQueue>,
    ) -> Result<Box<dyn AudioStream>, String>;

    /// The device's name, for notes and logs.
    fn name(&self) -> String;
}
