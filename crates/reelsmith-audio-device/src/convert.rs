//! From the clip's layout to the device's: channels copied or mixed, the rate resampled by
//! linear interpolation when the device cannot play the clip's own.

use reelsmith_core::media::playback::SampleQueue;

/// Turns the queue's samples into the device's.
#[derive(Debug)]
pub struct Converter {
    src_channels: usize,
    dst_channels: usize,
    /// Source frames per device frame.
    step: f64,
    /// Position between `prev` and `next` (0..1); it starts at 1 so the first device frame
    /// pulls the first source frame instead of interpolating from two frames of silence.
    phase: f64,
    prev: Vec<f32>,
    next: Vec<f32>,
    scratch: Vec<f32>,
}

impl Converter {
    /// A converter from `src_rate`/`src_channels` to `dst_rate`/`dst_channels`.
    pub fn new(src_rate: u32, src_channels: u16, dst_rate: u32, dst_channels: u16) -> Converter {
        let src_channels = usize::from(src_channels.max(1));
        Converter {
            src_channels,
            dst_channels: usize::from(dst_channels.max(1)),
            step: f64::from(src_rate.max(1)) / f64::from(dst_rate.max(1)),
            phase: 1.0,
            prev: vec![0.0; src_channels],
            next: vec![0.0; src_channels],
            scratch: Vec::new(),
        }
    }

    /// One source frame mapped to the device's channels.
    fn map(&self, frame: &[f32], out: &mut [f32]) {
        match (self.src_channels, self.dst_channels) {
            (s, d) if s == d => out.copy_from_slice(frame),
            (1, _) => out.fill(frame[0]),
            (s, 1) => out[0] = frame.iter().sum::<f32>() / s as f32,
            // Stereo on a surround device: the clip's channels on the first outputs.
            (s, _) => {
                for (i, o) in out.iter_mut().enumerate() {
                    *o = if i < s { frame[i] } else { 0.0 };
                }
            }
        }
    }

    /// Fills `out` (interleaved in the device's channels) from `queue`.
    pub fn render(&mut self, queue: &SampleQueue, out: &mut [f32]) {
        let frames = out.len() / self.dst_channels;
        if (self.step - 1.0).abs() < 1e-9 {
            self.scratch.resize(frames * self.src_channels, 0.0);
            queue.fill(&mut self.scratch);
            for f in 0..frames {
                let src = &self.scratch[f * self.src_channels..(f + 1) * self.src_channels];
                let dst = &mut out[f * self.dst_channels..(f + 1) * self.dst_channels];
                self.map(src, dst);
            }
            return;
        }
        let mut frame = vec![0.0f32; self.src_channels];
        let mut one = vec![0.0f32; self.src_channels];
        for f in 0..frames {
            while self.phase >= 1.0 {
                self.phase -= 1.0;
                std::mem::swap(&mut self.prev, &mut self.next);
                queue.fill(&mut one);
                self.next.copy_from_slice(&one);
            }
            let t = self.phase as f32;
            for ((f, p), n) in frame.iter_mut().zip(&self.prev).zip(&self.next) {
                *f = p * (1.0 - t) + n * t;
            }
            let dst = &mut out[f * self.dst_channels..(f + 1) * self.dst_channels];
            self.map(&frame, dst);
            self.phase += self.step;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_copied_or_mixed_and_the_rate_resampled() {
        let q = SampleQueue::new(2);
        q.push(&[0.2, 0.4, 0.2, 0.4]);
        let mut mono = Converter::new(48_000, 2, 48_000, 1);
        let mut out = [0.0f32; 2];
        mono.render(&q, &mut out);
        assert!((out[0] - 0.3).abs() < 1e-6 && (out[1] - 0.3).abs() < 1e-6);

        let q = SampleQueue::new(1);
        q.push(&[1.0; 8]);
        let mut up = Converter::new(24_000, 1, 48_000, 2);
        let mut out = [0.0f32; 16];
        up.render(&q, &mut out);
        // Two device frames per source frame, and both channels the same.
        assert_eq!(q.played_frames(), 4);
        assert!(out.chunks(2).all(|f| f[0] == f[1]));
        assert!(out[8..].iter().all(|s| (*s - 1.0).abs() < 1e-6), "{out:?}");
    }
}
