//! The samples between the decoder and the device, and the count of those played: the
//! player's clock. The device's callback takes samples with [`SampleQueue::fill`].

use std::collections::VecDeque;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};

#[derive(Debug, Default)]
struct State {
    samples: VecDeque<f32>,
    /// Frames (samples per channel) handed to the device since the last [`SampleQueue::reset`].
    played: u64,
}

/// A queue of interleaved samples with volume and mute applied as the device takes them.
#[derive(Debug)]
pub struct SampleQueue {
    channels: usize,
    state: Mutex<State>,
    /// f32 bits of the volume (0..=1).
    volume: AtomicU32,
    muted: AtomicBool,
}

impl SampleQueue {
    /// An empty queue of `channels` interleaved channels.
    pub fn new(channels: u16) -> SampleQueue {
        SampleQueue {
            channels: usize::from(channels.max(1)),
            state: Mutex::new(State::default()),
            volume: AtomicU32::new(1.0f32.to_bits()),
            muted: AtomicBool::new(false),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Interleaved channels.
    pub fn channels(&self) -> usize {
        self.channels
    }

    /// Adds decoded samples at the end.
    pub fn push(&self, samples: &[f32]) {
        self.lock().samples.extend(samples.iter().copied());
    }

    /// Frames waiting to be played.
    pub fn queued_frames(&self) -> usize {
        self.lock().samples.len() / self.channels
    }

    /// Frames played since the last reset.
    pub fn played_frames(&self) -> u64 {
        self.lock().played
    }

    /// Drops what is queued and restarts the played count (after a seek or a speed change).
    pub fn reset(&self) {
        let mut s = self.lock();
        s.samples.clear();
        s.played = 0;
    }

    /// Sets the volume (clamped to 0..=1).
    pub fn set_volume(&self, volume: f32) {
        let v = if volume.is_finite() {
            volume.clamp(0.0, 1.0)
        } else {
            1.0
        };
        self.volume.store(v.to_bits(), Ordering::Relaxed);
    }

    /// The volume.
    pub fn volume(&self) -> f32 {
        f32::from_bits(self.volume.load(Ordering::Relaxed))
    }

    /// Mutes or unmutes (a muted queue still plays, silently, so the clock runs on).
    pub fn set_muted(&self, muted: bool) {
        self.muted.store(muted, Ordering::Relaxed);
    }

    /// Whether muted.
    pub fn muted(&self) -> bool {
        self.muted.load(Ordering::Relaxed)
    }

    /// Fills `out` (interleaved, this queue's channels) for the device: queued samples with the
    /// volume applied, then silence if the queue runs dry (silence is not counted as played,
    /// so the clock waits for the decoder). Returns the frames taken from the queue.
    pub fn fill(&self, out: &mut [f32]) -> usize {
        let gain = if self.muted() { 0.0 } else { self.volume() };
        let mut s = self.lock();
        let whole = out.len() / self.channels * self.channels;
        let n = whole.min(s.samples.len() / self.channels * self.channels);
        for (o, v) in out.iter_mut().zip(s.samples.drain(..n)) {
            *o = v * gain;
        }
        out[n..].fill(0.0);
        let frames = n / self.channels;
        s.played += frames as u64;
        frames
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_counts_only_real_samples_and_applies_the_volume() {
        let q = SampleQueue::new(2);
        q.push(&[0.5, -0.5, 1.0, -1.0]);
        q.set_volume(0.5);
        let mut out = [9.0f32; 6];
        assert_eq!(q.fill(&mut out), 2);
        assert_eq!(out, [0.25, -0.25, 0.5, -0.5, 0.0, 0.0]);
        assert_eq!(q.played_frames(), 2);
        q.push(&[1.0, 1.0]);
        q.set_muted(true);
        assert_eq!(q.fill(&mut out), 1);
        assert_eq!(out[..2], [0.0, 0.0]);
        assert_eq!(q.played_frames(), 3);
        q.reset();
        assert_eq!((q.played_frames(), q.queued_frames()), (0, 0));
    }
}
