//! A 1/8-scale JPEG decoder that keeps only each block's DC coefficient.
//!
//! A block's DC coefficient is its average colour, so the DC values alone are the picture
//! shrunk eight times (what libjpeg's 1/8 scaling produces). Skipping dequantisation, the inverse
//! DCT and full-size colour conversion leaves only the entropy decoding, which is what the time
//! goes on, so it is built for speed:
//! - each entropy-coded segment is first copied without its 0xFF00 stuffing, so the bit reader
//!   can refill without branches (one unaligned load per symbol);
//! - AC coefficients are never needed, only how far they reach, so one lookup of
//!   `MULTI_BITS` bits skips every whole (code, magnitude) pair those bits hold.
//!
//! jpeg-decoder's own 1/8 path is several times slower, as it still walks every coefficient
//! through generic readers.
//!
//! Only the common case is handled: baseline or extended sequential Huffman JPEG, 8-bit, one
//! or three components (YCbCr), any sampling factors, restart intervals, one or several scans.
//! Anything else returns `None` and the caller falls back to jpeg-decoder.
//!
//! Files come from users, so malformed ones are refused rather than repaired: a second frame
//! header, a scan naming no components, more than four, unknown or repeated ones, more than
//! ten blocks per unit, a picture over [`MAX_SIDE`] or [`MAX_PIXELS`] or larger than the file
//! could hold, blocks running past their segment's data, restart markers out of sequence. So
//! no file makes it panic, loop, or allocate more than its declared (limited) size and its
//! length imply; every allocation that depends on the file is reserved with `try_reserve`.

#![forbid(unsafe_code)]

mod bits;
mod colour;
mod halves;
mod huffman;
mod markers;
mod scan;
#[doc(hidden)]
pub mod testing;
#[cfg(test)]
mod tests;

use colour::to_rgb;
use halves::TWO_HALVES_MIN_BYTES;
use huffman::{AcSkip, DcTable, Spec};
use markers::{Frame, be16, parse_quant, parse_scan};
use scan::{ScanParams, decode_scan};

/// The longest side accepted, in pixels (the app's own limit for any picture).
pub const MAX_SIDE: u32 = 20_000;

/// The most pixels accepted (the app's own limit for any picture).
pub const MAX_PIXELS: u64 = 100_000_000;

/// Decodes `jpeg` at 1/8 scale (each side rounded up) to packed RGB8; `None` when this
/// decoder does not handle the file (the caller then uses a general decoder).
pub fn decode_eighth(jpeg: &[u8]) -> Option<(u32, u32, Vec<u8>)> {
    decode(jpeg, TWO_HALVES_MIN_BYTES)
}

/// [`decode_eighth`], decoding segments of at least `two_halves_min_bytes` as two halves at
/// once (the tests compare the two ways).
fn decode(jpeg: &[u8], two_halves_min_bytes: usize) -> Option<(u32, u32, Vec<u8>)> {
    if jpeg.get(0..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut quant_dc: [Option<i32>; 4] = [None; 4];
    let mut dc_specs: [Option<Spec>; 4] = Default::default();
    let mut ac_specs: [Option<Spec>; 4] = Default::default();
    // Lookup tables, built when a scan first uses a table and dropped when it is redefined,
    // so a file of many tables costs no more than its length.
    let mut dc_tables: [Option<Box<DcTable>>; 4] = Default::default();
    let mut ac_tables: [Option<Box<AcSkip>>; 4] = Default::default();
    let mut frame: Option<Frame> = None;
    let mut planes: Vec<Vec<i16>> = Vec::new();
    // Which frame components a scan has decoded: each must be, once.
    let mut scanned = [false; 3];
    let mut restart_interval = 0usize;
    let mut adobe_rgb = false;
    let mut pos = 2usize;
    loop {
        // Find the next marker, skipping fill bytes.
        while *jpeg.get(pos)? != 0xFF {
            pos += 1;
        }
        while *jpeg.get(pos)? == 0xFF {
            pos += 1;
        }
        let marker = *jpeg.get(pos)?;
        pos += 1;
        if marker == 0xD9 {
            break;
        }
        if matches!(marker, 0x01 | 0xD0..=0xD7) {
            continue;
        }
        let len = be16(jpeg, pos)?;
        let seg = jpeg.get(pos + 2..pos + len)?;
        let next = pos + len;
        match marker {
            0xC0 | 0xC1 => {
                // One frame per file: a second header would redefine what earlier scans
                // decoded into.
                if frame.is_some() {
                    return None;
                }
                let f = Frame::parse(seg, jpeg.len())?;
                planes = alloc_planes(&f)?;
                frame = Some(f);
            }
            // Progressive, lossless, hierarchical or arithmetic-coded: not for this decoder.
            0xC2 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
            0xDB => parse_quant(seg, &mut quant_dc)?,
            0xC4 => {
                let mut s = seg;
                while !s.is_empty() {
                    let (class, id, spec, used) = Spec::parse(s)?;
                    match (class, id) {
                        (0, 0..=3) => (dc_specs[id], dc_tables[id]) = (Some(spec), None),
                        (1, 0..=3) => (ac_specs[id], ac_tables[id]) = (Some(spec), None),
                        _ => return None,
                    }
                    s = s.get(used..)?;
                }
            }
            0xDD => restart_interval = be16(seg, 0)?,
            // Adobe: transform 0 with three components means RGB, not YCbCr.
            0xEE if seg.starts_with(b"Adobe") && seg.get(11) == Some(&0) => adobe_rgb = true,
            0xDA => {
                let f = frame.as_ref()?;
                let scan = parse_scan(seg, f, &mut scanned)?;
                let mut quant = [0i32; 4];
                for (q, &(ci, _, _)) in quant.iter_mut().zip(&scan) {
                    *q = (*quant_dc.get(f.comps.get(ci)?.quant)?)?;
                }
                for &(_, td, ta) in &scan {
                    if dc_tables[td].is_none() {
                        dc_tables[td] = Some(DcTable::new(dc_specs[td].as_ref()?.huffman()?));
                    }
                    if ac_tables[ta].is_none() {
                        ac_tables[ta] = Some(AcSkip::new(ac_specs[ta].as_ref()?.huffman()?));
                    }
                }
                let params = ScanParams {
                    frame: f,
                    scan: &scan,
                    quant_dc: quant,
                    dc_tables: &dc_tables,
                    ac_tables: &ac_tables,
                    restart_interval,
                    two_halves_min_bytes,
                };
                pos = decode_scan(jpeg, next, &params, &mut planes)?;
                continue;
            }
            _ => {}
        }
        pos = next;
    }
    let frame = frame?;
    if adobe_rgb || !scanned[..frame.comps.len()].iter().all(|&s| s) {
        return None;
    }
    to_rgb(&frame, &planes)
}

/// A zeroed DC plane per component; `None` when the memory cannot be had.
fn alloc_planes(frame: &Frame) -> Option<Vec<Vec<i16>>> {
    let mut planes = Vec::new();
    planes.try_reserve_exact(frame.comps.len()).ok()?;
    for c in &frame.comps {
        let (w, h) = frame.plane_size(c);
        let n = w.checked_mul(h)?;
        let mut plane = Vec::new();
        plane.try_reserve_exact(n).ok()?;
        plane.resize(n, 0);
        planes.push(plane);
    }
    Some(planes)
}
