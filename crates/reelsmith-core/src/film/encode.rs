//! Re-encoding with OpenH264 (the encoder the simulator uses): each re-encoded piece gets a
//! fresh encoder, so it starts on a key frame; its parameter sets are renumbered past the ids
//! of the copied sources', so all of them fit in the film's one `avcC`.

use openh264::OpenH264API;
use openh264::encoder::{
    BitRate, Complexity, Encoder, EncoderConfig, FrameRate as EncoderRate, IntraFramePeriod,
    QpRange, RateControlMode,
};

use super::frames::Frame420;
use super::h264::{NAL_IDR, NAL_PPS, NAL_SPS, join_length_prefixed, nal_type, renumber};

/// One encoded frame as an MP4 sample.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EncodedSample {
    /// 4-byte length-prefixed NAL units.
    pub data: Vec<u8>,
    /// A key frame (IDR).
    pub sync: bool,
}

/// Parameter set ids of re-encoded pieces: openh264 numbers its sets 0; they are moved to
/// `sps` / `pps`, chosen free of the copied sources' ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdPlan {
    /// SPS id of re-encoded parts.
    pub sps: u32,
    /// PPS id of re-encoded parts.
    pub pps: u32,
}

/// An encoder for one piece.
pub struct PieceEncoder {
    encoder: Encoder,
    ids: IdPlan,
    /// The renumbered SPS and PPS, once seen.
    pub sps: Option<Vec<u8>>,
    /// See `sps`.
    pub pps: Option<Vec<u8>>,
    index: u64,
    fps: f64,
}

impl std::fmt::Debug for PieceEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PieceEncoder")
            .field("ids", &self.ids)
            .finish()
    }
}

impl PieceEncoder {
    /// An encoder at `fps` with about `bitrate` bits per second.
    pub fn new(fps: f64, bitrate: u32, ids: IdPlan) -> Result<PieceEncoder, String> {
        let config = EncoderConfig::new()
            .skip_frames(false)
            .max_frame_rate(EncoderRate::from_hz(fps as f32))
            .bitrate(BitRate::from_bps(bitrate.max(200_000)))
            // Rate control needs frame skipping, and a film must keep every frame: a fixed
            // quality range instead.
            .rate_control_mode(RateControlMode::Off)
            .qp(QpRange::new(18, 30))
            .complexity(Complexity::Low)
            .intra_frame_period(IntraFramePeriod::from_num_frames(
                (fps.round() as u32).max(1) * 2,
            ));
        let encoder = Encoder::with_api_config(OpenH264API::from_source(), config)
            .map_err(|e| format!("the H.264 encoder could not start: {e}"))?;
        Ok(PieceEncoder {
            encoder,
            ids,
            sps: None,
            pps: None,
            index: 0,
            fps,
        })
    }

    /// Encodes one frame.
    pub fn encode(&mut self, frame: &Frame420) -> Result<EncodedSample, String> {
        let ms = (self.index as f64 * 1000.0 / self.fps.max(1.0)) as u64;
        self.index += 1;
        let bitstream = self
            .encoder
            .encode_at(frame, openh264::Timestamp::from_millis(ms))
            .map_err(|e| e.to_string())?;
        let ids = self.ids;
        let sps_map = move |_| ids.sps;
        let pps_map = move |_| ids.pps;
        let mut nals: Vec<Vec<u8>> = Vec::new();
        let mut sync = false;
        for l in 0..bitstream.num_layers() {
            let Some(layer) = bitstream.layer(l) else {
                continue;
            };
            for n in 0..layer.nal_count() {
                let Some(nal) = layer.nal_unit(n).map(strip_start_code) else {
                    continue;
                };
                let Some(kind) = nal_type(nal) else { continue };
                let renumbered = renumber(nal, &sps_map, &pps_map)
                    .ok_or_else(|| "the encoder wrote a NAL unit we cannot read".to_string())?;
                match kind {
                    NAL_SPS => {
                        self.sps.get_or_insert(renumbered);
                    }
                    NAL_PPS => {
                        self.pps.get_or_insert(renumbered);
                    }
                    9 => {}
                    _ => {
                        sync |= kind == NAL_IDR;
                        nals.push(renumbered);
                    }
                }
            }
        }
        if nals.is_empty() {
            return Err("the encoder produced no picture".into());
        }
        Ok(EncodedSample {
            data: join_length_prefixed(nals.iter().map(Vec::as_slice)),
            sync,
        })
    }
}

/// Ids free of every id in `sps_used` / `pps_used` (the copied sources').
pub fn free_ids(sps_used: &[u32], pps_used: &[u32]) -> IdPlan {
    let sps = (0..32).find(|i| !sps_used.contains(i)).unwrap_or(31);
    let pps = (0..256).find(|i| !pps_used.contains(i)).unwrap_or(255);
    IdPlan { sps, pps }
}

fn strip_start_code(nal: &[u8]) -> &[u8] {
    if nal.starts_with(&[0, 0, 0, 1]) {
        &nal[4..]
    } else if nal.starts_with(&[0, 0, 1]) {
        &nal[3..]
    } else {
        nal
    }
}
