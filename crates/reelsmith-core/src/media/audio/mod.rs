//! Sound: AAC-LC configuration, decoding (symphonia), the few frames we encode ourselves
//! (silence for shots without sound, noise for the simulator) and the AAC track of an MP4.

pub mod config;
pub mod decode;
pub mod encode;
pub mod error;
pub mod track;

mod bits;

pub use config::AacConfig;
pub use decode::AacDecoder;
pub use encode::{NoiseBand, noise_frame, silent_frame};
pub use error::AudioError;
pub use track::{AudioTrack, DecodedSound, decode_track};

/// Samples per channel in one AAC-LC frame.
pub const AAC_FRAME_SAMPLES: u32 = 1024;
