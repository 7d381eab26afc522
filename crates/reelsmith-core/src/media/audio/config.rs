//! An AAC-LC stream's configuration: sample rate and channels, and its AudioSpecificConfig
//! (the two bytes an MP4's `esds` box carries).

use serde::{Deserialize, Serialize};

/// The sampling rates AAC can signal by index (ISO/IEC 14496-3, table 1.18).
const RATES: [u32; 13] = [
    96_000, 88_200, 64_000, 48_000, 44_100, 32_000, 24_000, 22_050, 16_000, 12_000, 11_025, 8_000,
    7_350,
];

/// Audio object type of AAC-LC.
const OBJECT_TYPE_LC: u8 = 2;

/// Sample rate and channel count of an AAC-LC stream (1024 samples a frame).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct AacConfig {
    /// Samples per second per channel.
    pub sample_rate: u32,
    /// 1 (mono) or 2 (stereo).
    pub channels: u8,
}

impl AacConfig {
    /// Veo's layout (and the simulator's): 48 kHz stereo.
    pub const STEREO_48K: AacConfig = AacConfig {
        sample_rate: 48_000,
        channels: 2,
    };

    /// The sampling-frequency index of the rate, if AAC has one for it.
    pub fn rate_index(&self) -> Option<u8> {
        RATES
            .iter()
            .position(|r| *r == self.sample_rate)
            .map(|i| i as u8)
    }

    /// The AudioSpecificConfig: object type, rate index, channel configuration and a
    /// GASpecificConfig of 1024-sample frames; `None` for a rate or layout AAC-LC cannot signal.
    pub fn audio_specific_config(&self) -> Option<[u8; 2]> {
        let rate = self.rate_index()?;
        if !(1..=2).contains(&self.channels) {
            return None;
        }
        let bits: u16 = (u16::from(OBJECT_TYPE_LC) << 11)
            | (u16::from(rate) << 7)
            | (u16::from(self.channels) << 3);
        Some(bits.to_be_bytes())
    }

    /// Reads object type, rate index and channel configuration as an MP4's `esds` gives them;
    /// `Err` names what is not AAC-LC mono or stereo.
    pub fn from_esds(profile: u8, freq_index: u8, chan_conf: u8) -> Result<AacConfig, String> {
        if profile != OBJECT_TYPE_LC {
            return Err(match profile {
                5 | 29 => "HE-AAC (with SBR/PS)".to_string(),
                other => format!("AAC of object type {other}"),
            });
        }
        let sample_rate = *RATES
            .get(usize::from(freq_index))
            .ok_or_else(|| format!("AAC with sampling index {freq_index}"))?;
        if !(1..=2).contains(&chan_conf) {
            return Err(format!("AAC with channel configuration {chan_conf}"));
        }
        Ok(AacConfig {
            sample_rate,
            channels: chan_conf,
        })
    }

    /// The long-window scalefactor band count at this rate (what `max_sfb` may reach).
    pub(crate) fn long_bands(&self) -> u8 {
        match self.sample_rate {
            96_000 | 88_200 => 41,
            64_000 => 47,
            48_000 | 44_100 | 32_000 => 49,
            24_000 | 22_050 => 47,
            16_000 | 12_000 | 11_025 => 43,
            _ => 40,
        }
    }

    /// A short description ("48 kHz stereo").
    pub fn describe(&self) -> String {
        let layout = match self.channels {
            1 => "mono".to_string(),
            2 => "stereo".to_string(),
            n => format!("{n} channels"),
        };
        let khz = f64::from(self.sample_rate) / 1000.0;
        format!("{khz} kHz {layout}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stereo_48k_is_0x1190() {
        assert_eq!(
            AacConfig::STEREO_48K.audio_specific_config(),
            Some([0x11, 0x90])
        );
        let mono = AacConfig {
            sample_rate: 44_100,
            channels: 1,
        };
        assert_eq!(mono.audio_specific_config(), Some([0x12, 0x08]));
        assert_eq!(AacConfig::from_esds(2, 3, 2), Ok(AacConfig::STEREO_48K));
        assert!(
            AacConfig::from_esds(5, 3, 2)
                .unwrap_err()
                .contains("HE-AAC")
        );
        assert!(AacConfig::from_esds(2, 3, 6).is_err());
        assert_eq!(AacConfig::STEREO_48K.describe(), "48 kHz stereo");
    }
}
