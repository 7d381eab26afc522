//! Just enough H.264 bitstream surgery to put parts from different encoders into one track:
//! reading the ids of SPS, PPS and slices, and renumbering them in NAL units we encoded
//! ourselves (so their parameter sets can sit beside a source's in one `avcC`).

/// NAL unit types that matter here.
pub const NAL_SLICE: u8 = 1;
/// An IDR slice.
pub const NAL_IDR: u8 = 5;
/// A sequence parameter set.
pub const NAL_SPS: u8 = 7;
/// A picture parameter set.
pub const NAL_PPS: u8 = 8;

/// The type of a NAL unit (its first byte's low five bits).
pub fn nal_type(nal: &[u8]) -> Option<u8> {
    nal.first().map(|b| b & 0x1f)
}

/// Removes emulation prevention bytes (`00 00 03` → `00 00`).
fn unescape(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len());
    let mut zeros = 0;
    for &b in payload {
        if zeros >= 2 && b == 3 {
            zeros = 0;
            continue;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

/// Inserts emulation prevention bytes where the payload would look like a start code.
fn escape(rbsp: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rbsp.len() + 8);
    let mut zeros = 0;
    for &b in rbsp {
        if zeros >= 2 && b <= 3 {
            out.push(3);
            zeros = 0;
        }
        zeros = if b == 0 { zeros + 1 } else { 0 };
        out.push(b);
    }
    out
}

struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl BitReader<'_> {
    fn bit(&mut self) -> Option<u32> {
        let byte = *self.data.get(self.pos / 8)?;
        let bit = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Some(u32::from(bit))
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        let mut v = 0;
        for _ in 0..n {
            v = (v << 1) | self.bit()?;
        }
        Some(v)
    }

    /// Exp-Golomb unsigned.
    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        Some((1u32 << zeros) - 1 + self.bits(zeros)?)
    }
}

#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    used: u32,
}

impl BitWriter {
    fn bit(&mut self, b: u32) {
        if self.used.is_multiple_of(8) {
            self.out.push(0);
        }
        if b != 0 {
            let last = self.out.len() - 1;
            self.out[last] |= 1 << (7 - self.used % 8);
        }
        self.used += 1;
    }

    fn bits(&mut self, v: u32, n: u32) {
        for i in (0..n).rev() {
            self.bit((v >> i) & 1);
        }
    }

    fn ue(&mut self, v: u32) {
        let x = u64::from(v) + 1;
        let len = 64 - x.leading_zeros();
        for _ in 0..len - 1 {
            self.bit(0);
        }
        for i in (0..len).rev() {
            self.bit(((x >> i) & 1) as u32);
        }
    }
}

/// The RBSP of a NAL unit (after its header byte) and the bit index of its stop bit.
fn rbsp_of(nal: &[u8]) -> Option<(Vec<u8>, usize)> {
    let rbsp = unescape(nal.get(1..)?);
    let last = rbsp.iter().rposition(|b| *b != 0)?;
    let stop = last * 8 + 7 - rbsp[last].trailing_zeros() as usize;
    Some((rbsp, stop))
}

/// The ids a NAL unit declares or uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NalIds {
    /// An SPS and its id.
    Sps(u32),
    /// A PPS: its id and its SPS's.
    Pps {
        /// The PPS id.
        pps: u32,
        /// The SPS it refers to.
        sps: u32,
    },
    /// A slice and the PPS it uses.
    Slice(u32),
}

/// Reads the ids of an SPS, PPS or slice NAL unit.
pub fn read_ids(nal: &[u8]) -> Option<NalIds> {
    let kind = nal_type(nal)?;
    let (rbsp, _) = rbsp_of(nal)?;
    let mut r = BitReader {
        data: &rbsp,
        pos: 0,
    };
    match kind {
        NAL_SPS => {
            r.bits(24)?;
            Some(NalIds::Sps(r.ue()?))
        }
        NAL_PPS => {
            let pps = r.ue()?;
            let sps = r.ue()?;
            Some(NalIds::Pps { pps, sps })
        }
        NAL_SLICE | NAL_IDR => {
            r.ue()?; // first_mb_in_slice
            r.ue()?; // slice_type
            Some(NalIds::Slice(r.ue()?))
        }
        _ => None,
    }
}

/// The NAL unit with its SPS id (an SPS), its PPS and SPS ids (a PPS) or its PPS id (a slice)
/// replaced: `sps` maps old SPS ids to new, `pps` old PPS ids to new. Other NAL units come
/// back unchanged; `None` when the unit is malformed.
pub fn renumber(nal: &[u8], sps: &dyn Fn(u32) -> u32, pps: &dyn Fn(u32) -> u32) -> Option<Vec<u8>> {
    let kind = nal_type(nal)?;
    if !matches!(kind, NAL_SPS | NAL_PPS | NAL_SLICE | NAL_IDR) {
        return Some(nal.to_vec());
    }
    let (rbsp, stop) = rbsp_of(nal)?;
    let mut r = BitReader {
        data: &rbsp,
        pos: 0,
    };
    let mut w = BitWriter::default();
    match kind {
        NAL_SPS => {
            w.bits(r.bits(24)?, 24);
            w.ue(sps(r.ue()?));
        }
        NAL_PPS => {
            w.ue(pps(r.ue()?));
            w.ue(sps(r.ue()?));
        }
        _ => {
            w.ue(r.ue()?);
            w.ue(r.ue()?);
            w.ue(pps(r.ue()?));
        }
    }
    if r.pos > stop {
        return None;
    }
    while r.pos < stop {
        w.bit(r.bit()?);
    }
    // rbsp_stop_one_bit and alignment.
    w.bit(1);
    while w.used % 8 != 0 {
        w.bit(0);
    }
    let mut out = vec![nal[0]];
    out.extend_from_slice(&escape(&w.out));
    Some(out)
}

/// Splits a length-prefixed sample into its NAL units; `None` if a length lies.
pub fn split_length_prefixed(sample: &[u8], length_size: usize) -> Option<Vec<&[u8]>> {
    let mut out = Vec::new();
    let mut rest = sample;
    while !rest.is_empty() {
        let len = rest
            .get(..length_size)?
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        out.push(rest.get(length_size..length_size + len)?);
        rest = &rest[length_size + len..];
    }
    Some(out)
}

/// Joins NAL units with 4-byte length prefixes (an MP4 sample).
pub fn join_length_prefixed<'a>(nals: impl IntoIterator<Item = &'a [u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for nal in nals {
        out.extend_from_slice(&(nal.len() as u32).to_be_bytes());
        out.extend_from_slice(nal);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_round_trips() {
        let raw = [0u8, 0, 1, 0, 0, 0, 0, 0, 3, 7, 0, 0];
        let escaped = escape(&raw);
        assert!(!escaped.windows(3).any(|w| w == [0, 0, 1] || w == [0, 0, 0]));
        assert_eq!(unescape(&escaped), raw);
    }

    #[test]
    fn exp_golomb_round_trips() {
        let mut w = BitWriter::default();
        for v in [0, 1, 2, 3, 7, 8, 255, 65_000] {
            w.ue(v);
        }
        let mut r = BitReader {
            data: &w.out,
            pos: 0,
        };
        for v in [0, 1, 2, 3, 7, 8, 255, 65_000] {
            assert_eq!(r.ue(), Some(v));
        }
    }

    #[test]
    fn ids_are_renumbered_and_the_rest_kept() {
        // A PPS: pps_id 0, sps_id 0, then some flags and the stop bit.
        let pps = [0x68, 0b1100_1011, 0b1000_0000];
        assert_eq!(read_ids(&pps), Some(NalIds::Pps { pps: 0, sps: 0 }));
        let moved = renumber(&pps, &|_| 1, &|_| 2).unwrap();
        assert_eq!(read_ids(&moved), Some(NalIds::Pps { pps: 2, sps: 1 }));
        // Payload bits after the ids are unchanged: 0b001011 then stop.
        let back = renumber(&moved, &|_| 0, &|_| 0).unwrap();
        assert_eq!(back, pps);
        assert!(renumber(&[0x68], &|x| x, &|x| x).is_none());
        let sei = [0x06, 1, 2, 3];
        assert_eq!(renumber(&sei, &|x| x, &|x| x).unwrap(), sei);
    }
}
