//! The simulator's soundtrack: AAC-LC frames of band-limited noise that beeps for the first
//! half of every second, in Veo's layout (48 kHz stereo; one frame of priming, which the
//! clip's edit list skips, as encoders such as ffmpeg's write it).
//!
//! The beeps let tests check that sound stays with the picture: frame `i` of the stream is
//! centred on presentation time `i × 1024 / rate` (the decoder overlaps each frame with the
//! next), and it is loud exactly when that time's fraction of a second is under a half.

use reelsmith_core::media::audio::{
    AAC_FRAME_SAMPLES, AacConfig, NoiseBand, noise_frame, silent_frame,
};

/// What the soundtrack sounds like.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SoundSpec {
    /// Rate and channels.
    pub config: AacConfig,
    /// Loudness of the beeps in AAC noise-energy steps (+4 doubles the amplitude).
    pub energy: i16,
}

impl Default for SoundSpec {
    fn default() -> Self {
        SoundSpec {
            config: AacConfig::STEREO_48K,
            energy: DEFAULT_ENERGY,
        }
    }
}

/// The default beep loudness (about -20 dBFS).
pub const DEFAULT_ENERGY: i16 = 80;

/// Priming samples at the start of every soundtrack.
pub const PRIMING: u32 = AAC_FRAME_SAMPLES;

/// The noise band: about 1.5 to 7 kHz at 48 kHz, a hiss that is easy to hear and to measure.
const BAND: (u8, u8) = (20, 36);

/// The frames of a soundtrack presenting `samples` samples per channel, priming included.
pub fn sound_frames(spec: &SoundSpec, samples: u64) -> Vec<Vec<u8>> {
    let frame = u64::from(AAC_FRAME_SAMPLES);
    let count = (samples + u64::from(PRIMING)).div_ceil(frame) + 1;
    let rate = u64::from(spec.config.sample_rate.max(1));
    let loud = noise_frame(
        &spec.config,
        NoiseBand {
            first: BAND.0,
            end: BAND.1,
            energy: spec.energy,
        },
    );
    let quiet = silent_frame(&spec.config);
    (0..count)
        .map(|i| {
            // Centre of frame i in presentation samples, as a fraction of a second.
            let centre = i * frame;
            if beeping_at(centre, rate) {
                loud.clone()
            } else {
                quiet.clone()
            }
        })
        .collect()
}

/// True when the beep is on at presentation sample `sample` (first half of each second).
pub fn beeping_at(sample: u64, rate: u64) -> bool {
    sample % rate.max(1) < rate / 2
}
