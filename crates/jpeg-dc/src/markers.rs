//! Marker segments: what the headers declare, checked before anything is allocated for it.
//!
//! Every check here guards the decoder against a header that would make it allocate, loop or
//! index beyond what the file can back; they refuse (`None`) rather than repair.

use crate::{MAX_PIXELS, MAX_SIDE};

/// A frame component.
#[derive(Clone, Copy)]
pub(crate) struct Component {
    pub(crate) id: u8,
    /// Sampling factors, each 1..=4.
    pub(crate) h: usize,
    pub(crate) v: usize,
    /// Its quantisation table, 0..=3.
    pub(crate) quant: usize,
}

/// What a baseline or extended sequential frame header (SOF0, SOF1) declares.
pub(crate) struct Frame {
    /// Each 1..=[`MAX_SIDE`], together at most [`MAX_PIXELS`].
    pub(crate) width: usize,
    pub(crate) height: usize,
    /// One (grey) or three (YCbCr) components with distinct ids; the first has the largest
    /// sampling factors.
    pub(crate) comps: Vec<Component>,
    pub(crate) hmax: usize,
    pub(crate) vmax: usize,
    /// Units (MCUs) across and down.
    pub(crate) mcux: usize,
    pub(crate) mcuy: usize,
}

/// The most blocks one interleaved unit may hold (ITU T.81, B.2.3).
const MAX_BLOCKS_PER_UNIT: usize = 10;

/// The fewest bits one block can take (a one-bit DC code and a one-bit end of block), so a
/// file of `n` bytes holds at most `4 n` blocks.
const MIN_BITS_PER_BLOCK: usize = 2;

impl Frame {
    /// Parses a SOF0/SOF1 body of a file `file_len` bytes long; `None` for what this decoder
    /// does not handle, breaks the size limits, or declares more blocks than the file could
    /// hold.
    pub(crate) fn parse(seg: &[u8], file_len: usize) -> Option<Frame> {
        if seg.len() < 6 || seg[0] != 8 {
            return None;
        }
        let height = be16(seg, 1)?;
        let width = be16(seg, 3)?;
        let pixels = u64::try_from(width).ok()? * u64::try_from(height).ok()?;
        if width == 0 || height == 0 {
            return None;
        }
        if width > MAX_SIDE as usize || height > MAX_SIDE as usize || pixels > MAX_PIXELS {
            return None;
        }
        let n = usize::from(seg[5]);
        if !(n == 1 || n == 3) {
            return None;
        }
        let mut comps = Vec::with_capacity(n);
        for c in 0..n {
            let b = seg.get(6 + c * 3..9 + c * 3)?;
            let (h, v) = (usize::from(b[1] >> 4), usize::from(b[1] & 15));
            if !(1..=4).contains(&h) || !(1..=4).contains(&v) || b[2] > 3 {
                return None;
            }
            // Scans name components by id, so two with one id could not both be decoded.
            if comps.iter().any(|k: &Component| k.id == b[0]) {
                return None;
            }
            comps.push(Component {
                id: b[0],
                h,
                v,
                quant: usize::from(b[2]),
            });
        }
        let hmax = comps.iter().map(|c| c.h).max()?;
        let vmax = comps.iter().map(|c| c.v).max()?;
        // The first component must carry full resolution, or the output grid is wrong.
        if comps[0].h != hmax || comps[0].v != vmax {
            return None;
        }
        let frame = Frame {
            width,
            height,
            mcux: width.div_ceil(8 * hmax),
            mcuy: height.div_ceil(8 * vmax),
            comps,
            hmax,
            vmax,
        };
        // Every component is decoded from the file's own bits (past the end of a segment is
        // refused), at least MIN_BITS_PER_BLOCK each: a header declaring more blocks than the
        // file could hold is refused before anything is allocated for them.
        let mut blocks = 0usize;
        for c in &frame.comps {
            let (bx, by) = frame.own_blocks(c);
            blocks = blocks.checked_add(bx.checked_mul(by)?)?;
        }
        if blocks > file_len.saturating_mul(8) / MIN_BITS_PER_BLOCK {
            return None;
        }
        Some(frame)
    }

    /// The size in blocks of a component scanned on its own: its share of the picture,
    /// rounded up to whole blocks.
    pub(crate) fn own_blocks(&self, c: &Component) -> (usize, usize) {
        let cw = (self.width * c.h).div_ceil(self.hmax);
        let ch = (self.height * c.v).div_ceil(self.vmax);
        (cw.div_ceil(8), ch.div_ceil(8))
    }

    /// A component's plane: blocks across (its stride) and down, whole units of them.
    pub(crate) fn plane_size(&self, c: &Component) -> (usize, usize) {
        (self.mcux * c.h, self.mcuy * c.v)
    }
}

/// A scan's components: (frame component index, DC table, AC table), one to four of them.
pub(crate) type ScanComps = Vec<(usize, usize, usize)>;

/// Parses a SOS body against the frame; `scanned` says which components earlier scans
/// decoded and is updated. `None` for a scan with no components or more than four, a
/// component not in the frame, named twice or already decoded, more than ten blocks per
/// unit, or anything but a whole sequential scan.
pub(crate) fn parse_scan(seg: &[u8], frame: &Frame, scanned: &mut [bool; 3]) -> Option<ScanComps> {
    let ns = usize::from(*seg.first()?);
    if !(1..=4).contains(&ns) {
        return None;
    }
    let mut scan: ScanComps = Vec::with_capacity(ns);
    let mut blocks = 0;
    for i in 0..ns {
        let b = seg.get(1 + i * 2..3 + i * 2)?;
        let ci = frame.comps.iter().position(|c| c.id == b[0])?;
        // A sequential scan holds all of its components' data, so a second scan of one is
        // not a file this decoder reads (and would let a small file cost many passes).
        if *scanned.get(ci)? || scan.iter().any(|s| s.0 == ci) {
            return None;
        }
        let (td, ta) = (usize::from(b[1] >> 4), usize::from(b[1] & 15));
        if td > 3 || ta > 3 {
            return None;
        }
        blocks += frame.comps[ci].h * frame.comps[ci].v;
        scan.push((ci, td, ta));
    }
    if ns > 1 && blocks > MAX_BLOCKS_PER_UNIT {
        return None;
    }
    // Ss, Se, Ah/Al must describe a full sequential scan.
    let tail = seg.get(1 + ns * 2..4 + ns * 2)?;
    if tail != [0, 63, 0] {
        return None;
    }
    for &(ci, _, _) in &scan {
        scanned[ci] = true;
    }
    Some(scan)
}

/// Parses a DQT body into the DC quantisers of tables 0..=3.
pub(crate) fn parse_quant(seg: &[u8], quant_dc: &mut [Option<i32>; 4]) -> Option<()> {
    let mut s = seg;
    while let Some(&pq_tq) = s.first() {
        let (precision, id) = (pq_tq >> 4, usize::from(pq_tq & 15));
        let size = match precision {
            0 => 64,
            1 => 128,
            _ => return None,
        };
        let table = s.get(1..1 + size)?;
        let q = if precision == 0 {
            i32::from(table[0])
        } else {
            i32::from(u16::from_be_bytes([table[0], table[1]]))
        };
        *quant_dc.get_mut(id)? = Some(q);
        s = &s[1 + size..];
    }
    Some(())
}

/// A big-endian u16 at `at`.
pub(crate) fn be16(data: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes([
        *data.get(at)?,
        *data.get(at.checked_add(1)?)?,
    ])))
}

/// The position of the next marker (0xFF not followed by a stuffing 0x00) at or after `from`.
pub(crate) fn next_marker(jpeg: &[u8], from: usize) -> usize {
    let mut at = from;
    while at < jpeg.len()
        && !(jpeg[at] == 0xFF && jpeg.get(at + 1).is_some_and(|&b| b != 0 && b != 0xFF))
    {
        at += 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sof(width: u16, height: u16, comps: &[(u8, u8, u8)]) -> Vec<u8> {
        let mut body = vec![8];
        body.extend_from_slice(&height.to_be_bytes());
        body.extend_from_slice(&width.to_be_bytes());
        body.push(comps.len() as u8);
        for &(id, hv, tq) in comps {
            body.extend_from_slice(&[id, hv, tq]);
        }
        body
    }

    const BIG_FILE: usize = 1 << 30;

    #[test]
    fn the_size_limits_hold() {
        let grey = [(1, 0x11, 0)];
        assert!(Frame::parse(&sof(20_000, 5_000, &grey), BIG_FILE).is_some());
        assert!(Frame::parse(&sof(20_001, 8, &grey), BIG_FILE).is_none());
        assert!(Frame::parse(&sof(8, 20_001, &grey), BIG_FILE).is_none());
        assert!(Frame::parse(&sof(10_000, 10_000, &grey), BIG_FILE).is_some());
        assert!(Frame::parse(&sof(10_001, 10_000, &grey), BIG_FILE).is_none());
        assert!(Frame::parse(&sof(0, 8, &grey), BIG_FILE).is_none());
        assert!(Frame::parse(&sof(8, 0, &grey), BIG_FILE).is_none());
    }

    #[test]
    fn a_frame_must_fit_in_its_file() {
        // 100×100 grey is 13×13 = 169 blocks: at least 338 bits, so 43 bytes.
        let body = sof(100, 100, &[(1, 0x11, 0)]);
        assert!(Frame::parse(&body, 43).is_some());
        assert!(Frame::parse(&body, 42).is_none());
    }

    #[test]
    fn scans_name_each_frame_component_once() {
        let frame = Frame::parse(
            &sof(32, 32, &[(1, 0x22, 0), (2, 0x11, 1), (3, 0x11, 1)]),
            BIG_FILE,
        )
        .unwrap();
        let scan = |comps: &[u8]| {
            let mut body = vec![comps.len() as u8];
            for &id in comps {
                body.extend_from_slice(&[id, 0x00]);
            }
            body.extend_from_slice(&[0, 63, 0]);
            body
        };
        let mut scanned = [false; 3];
        assert!(parse_scan(&scan(&[]), &frame, &mut scanned).is_none());
        assert!(parse_scan(&scan(&[1, 2, 3, 1, 2]), &frame, &mut scanned).is_none());
        assert!(parse_scan(&scan(&[1, 1]), &frame, &mut scanned).is_none());
        assert!(parse_scan(&scan(&[1, 4]), &frame, &mut scanned).is_none());
        assert_eq!(scanned, [false; 3]);
        assert_eq!(
            parse_scan(&scan(&[1]), &frame, &mut scanned),
            Some(vec![(0, 0, 0)])
        );
        assert!(parse_scan(&scan(&[1, 2]), &frame, &mut scanned).is_none());
        assert_eq!(
            parse_scan(&scan(&[2, 3]), &frame, &mut scanned),
            Some(vec![(1, 0, 0), (2, 0, 0)])
        );
        assert_eq!(scanned, [true; 3]);
    }

    #[test]
    fn at_most_ten_blocks_per_unit() {
        let frame = Frame::parse(
            &sof(48, 48, &[(1, 0x33, 0), (2, 0x11, 0), (3, 0x11, 0)]),
            BIG_FILE,
        )
        .unwrap();
        let body = [3, 1, 0, 2, 0, 3, 0, 0, 63, 0];
        assert!(parse_scan(&body, &frame, &mut [false; 3]).is_none());
        // 3×3 + 1 = 10 is allowed.
        let body = [2, 1, 0, 2, 0, 0, 63, 0];
        assert!(parse_scan(&body, &frame, &mut [false; 3]).is_some());
    }
}
