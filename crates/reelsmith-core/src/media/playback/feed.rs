//! Decoding a clip's sound from a position into the queue, a little ahead of the device.

use super::queue::SampleQueue;
use crate::media::audio::{AAC_FRAME_SAMPLES, AacDecoder, AudioError, AudioTrack};

/// Decodes the track into a queue from wherever it was last sought.
pub(crate) struct SoundFeed {
    track: AudioTrack,
    decoder: AacDecoder,
    /// Next frame to decode.
    next: usize,
    /// Samples per channel still to drop from the next output (the part before the seek).
    skip: u64,
    /// Frames whose output is only there to prime the decoder's overlap.
    discard_frames: usize,
    /// Presentation samples per channel left to queue before the sound ends.
    left: u64,
}

impl SoundFeed {
    pub(crate) fn new(track: AudioTrack) -> Result<SoundFeed, AudioError> {
        let decoder = AacDecoder::new(&track.config, track.path())?;
        let left = track.presented;
        Ok(SoundFeed {
            track,
            decoder,
            next: 0,
            skip: 0,
            discard_frames: 0,
            left,
        })
    }

    /// Sample rate and channels of the sound.
    pub(crate) fn rate(&self) -> u32 {
        self.track.config.sample_rate
    }

    /// Channels.
    pub(crate) fn channels(&self) -> u16 {
        u16::from(self.track.config.channels)
    }

    /// Seconds of sound.
    pub(crate) fn duration_secs(&self) -> f64 {
        self.track.duration_secs()
    }

    /// Goes to `seconds` into the sound: decoding restarts one frame early, so the overlap of
    /// the first frame heard is right.
    pub(crate) fn seek(&mut self, seconds: f64) {
        let rate = f64::from(self.rate());
        let presented = (seconds.max(0.0) * rate) as u64;
        let presented = presented.min(self.track.presented);
        let media = presented + self.track.priming;
        let frame_len = u64::from(AAC_FRAME_SAMPLES);
        let k = (media / frame_len) as usize;
        self.decoder.reset();
        self.next = k.saturating_sub(1);
        self.discard_frames = k - self.next;
        self.decoder.set_frame_index(self.next as u32);
        self.skip = media - k as u64 * frame_len;
        self.left = self.track.presented - presented;
    }

    /// True when all the sound has been queued.
    pub(crate) fn ended(&self) -> bool {
        self.left == 0 || self.next >= self.track.frames.len()
    }

    /// Decodes until `queue` holds at least `frames` frames or the sound ends.
    pub(crate) fn fill(&mut self, queue: &SampleQueue, frames: usize) -> Result<(), AudioError> {
        let channels = usize::from(self.track.config.channels);
        while queue.queued_frames() < frames && !self.ended() {
            let bytes = self.track.frame(self.next)?;
            self.next += 1;
            let pcm = self.decoder.decode(&bytes)?;
            if self.discard_frames > 0 {
                self.discard_frames -= 1;
                continue;
            }
            let available = (pcm.len() / channels) as u64;
            let skip = self.skip.min(available);
            self.skip -= skip;
            let take = (available - skip).min(self.left);
            let start = skip as usize * channels;
            queue.push(&pcm[start..start + take as usize * channels]);
            self.left -= take;
        }
        Ok(())
    }
}
