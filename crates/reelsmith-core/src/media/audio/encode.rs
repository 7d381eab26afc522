//! The only AAC-LC frames reelsmith writes: silence (for shots without sound) and band-limited
//! noise (the simulator's sound). Both need no spectral Huffman tables: silence has no bands,
//! and noise bands use perceptual noise substitution (ISO/IEC 14496-3, 4.6.13), where the
//! decoder makes the noise and the frame carries only its energy.
//!
//! Layout of a frame: one SCE (mono) or CPE (stereo, common window, no M/S) element of long
//! windows, then END, padded to a byte.

use super::bits::BitWriter;
use super::config::AacConfig;

/// Element ids of a raw data block.
const ID_SCE: u32 = 0;
const ID_CPE: u32 = 1;
const ID_END: u32 = 7;
/// Section codebooks.
const ZERO_HCB: u32 = 0;
const NOISE_HCB: u32 = 13;
/// Any value works for noise-only frames; noise energy is coded relative to it.
const GLOBAL_GAIN: i16 = 100;

/// Noise over scalefactor bands `first..end` at `energy` (the decoder's scale: each +4 doubles
/// the amplitude; valid -100..=155).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NoiseBand {
    /// First scalefactor band with noise.
    pub first: u8,
    /// One past the last band with noise.
    pub end: u8,
    /// Noise energy of every band, in scalefactor steps.
    pub energy: i16,
}

/// One AAC-LC frame of digital silence for `config`.
pub fn silent_frame(config: &AacConfig) -> Vec<u8> {
    frame(config, None)
}

/// One AAC-LC frame of noise in `band` on every channel (silence if the band is empty or out
/// of range for the rate).
pub fn noise_frame(config: &AacConfig, band: NoiseBand) -> Vec<u8> {
    let max = config.long_bands();
    let end = band.end.min(max);
    let usable = band.first < end && (-100..=155).contains(&band.energy);
    frame(config, usable.then_some(NoiseBand { end, ..band }))
}

fn frame(config: &AacConfig, band: Option<NoiseBand>) -> Vec<u8> {
    let mut w = BitWriter::default();
    let max_sfb = band.map_or(0, |b| b.end);
    if config.channels >= 2 {
        w.put(ID_CPE, 3);
        w.put(0, 4); // element_instance_tag
        w.put(1, 1); // common_window
        ics_info(&mut w, max_sfb);
        w.put(0, 2); // ms_mask_present
        channel_stream(&mut w, band, false);
        channel_stream(&mut w, band, false);
    } else {
        w.put(ID_SCE, 3);
        w.put(0, 4);
        channel_stream(&mut w, band, true);
    }
    w.put(ID_END, 3);
    w.finish()
}

/// ics_info of one long window: no predictor.
fn ics_info(w: &mut BitWriter, max_sfb: u8) {
    w.put(0, 1); // ics_reserved_bit
    w.put(0, 2); // window_sequence: ONLY_LONG_SEQUENCE
    w.put(0, 1); // window_shape: sine
    w.put(u32::from(max_sfb), 6);
    w.put(0, 1); // predictor_data_present
}

/// individual_channel_stream: gain, (own ics_info), sections, scale factors, no tools.
fn channel_stream(w: &mut BitWriter, band: Option<NoiseBand>, with_info: bool) {
    w.put(GLOBAL_GAIN as u32, 8);
    if with_info {
        ics_info(w, band.map_or(0, |b| b.end));
    }
    if let Some(b) = band {
        if b.first > 0 {
            section(w, ZERO_HCB, b.first);
        }
        section(w, NOISE_HCB, b.end - b.first);
        // The first noise band's energy is a 9-bit offset from global_gain - 90; the rest
        // repeat it (scalefactor delta 0, whose Huffman code is the single bit 0).
        let offset = b.energy - (GLOBAL_GAIN - 90) + 256;
        w.put(offset as u32, 9);
        for _ in b.first + 1..b.end {
            w.put(0, 1);
        }
    }
    w.put(0, 1); // pulse_data_present
    w.put(0, 1); // tns_data_present
    w.put(0, 1); // gain_control_data_present
}

/// One section of `len` bands with codebook `cb` (long windows: 5-bit lengths, 31 escapes).
fn section(w: &mut BitWriter, cb: u32, mut len: u8) {
    w.put(cb, 4);
    while len >= 31 {
        w.put(31, 5);
        len -= 31;
    }
    w.put(u32::from(len), 5);
}
