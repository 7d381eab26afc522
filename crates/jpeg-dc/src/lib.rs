//! A 1/8-scale JPEG decoder that keeps only each block's DC coefficient.
//!
//! A block's DC coefficient is its average colour, so the DC values alone are the picture
//! shrunk eight times (what libjpeg's 1/8 scaling produces). Skipping dequantisation, the inverse
//! DCT and full-size colour conversion leaves only the entropy decoding, which is what the time
//! goes on, so it is built for speed:
//! - each entropy-coded segment is first copied without its 0xFF00 stuffing, so the bit reader
//!   can refill without branches (one unaligned load per symbol);
//! - AC coefficients are never needed, only how far they reach, so one lookup of
//!   [`MULTI_BITS`] bits skips every whole (code, magnitude) pair those bits hold.
//!
//! jpeg-decoder's own 1/8 path is several times slower, as it still walks every coefficient
//! through generic readers.
//!
//! Only the common case is handled: baseline or extended sequential Huffman JPEG, 8-bit, one
//! or three components (YCbCr), any sampling factors, restart intervals, one or several scans.
//! Anything else returns `None` and the caller falls back to jpeg-decoder.

#![forbid(unsafe_code)]

mod bits;
mod colour;
mod halves;
mod huffman;
mod markers;
mod scan;
#[cfg(test)]
mod tests;

use colour::to_rgb;
use huffman::{AcSkip, DcTable, Huffman};
use markers::{Component, be16};
use scan::{ScanParams, decode_scan};

/// Decodes `jpeg` at 1/8 scale (each side rounded up) to packed RGB8; `None` when this
/// decoder does not handle the file (the caller then uses a general decoder).
pub fn decode_eighth(jpeg: &[u8]) -> Option<(u32, u32, Vec<u8>)> {
    decode_eighth_with(jpeg, true)
}

/// [`decode_eighth`], with or without decoding long segments as two halves at once (the
/// tests compare the two).
fn decode_eighth_with(jpeg: &[u8], two_halves: bool) -> Option<(u32, u32, Vec<u8>)> {
    if jpeg.get(0..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut quant_dc = [0i32; 4];
    let mut dc_tables: [Option<Box<DcTable>>; 4] = [None, None, None, None];
    let mut ac_tables: [Option<Box<AcSkip>>; 4] = [None, None, None, None];
    let mut comps: Vec<Component> = Vec::new();
    let (mut width, mut height) = (0usize, 0usize);
    let mut restart_interval = 0usize;
    let mut adobe_rgb = false;
    let mut planes: Vec<Vec<i16>> = Vec::new();
    let (mut hmax, mut vmax, mut mcux, mut mcuy) = (1usize, 1usize, 0usize, 0usize);
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
                if seg.len() < 6 || seg[0] != 8 {
                    return None;
                }
                height = be16(seg, 1)?;
                width = be16(seg, 3)?;
                let n = usize::from(seg[5]);
                if !(n == 1 || n == 3) || width == 0 || height == 0 {
                    return None;
                }
                for c in 0..n {
                    let b = seg.get(6 + c * 3..9 + c * 3)?;
                    let (h, v) = (usize::from(b[1] >> 4), usize::from(b[1] & 15));
                    if !(1..=4).contains(&h) || !(1..=4).contains(&v) || b[2] > 3 {
                        return None;
                    }
                    comps.push(Component {
                        id: b[0],
                        h,
                        v,
                        quant: usize::from(b[2]),
                    });
                }
                hmax = comps.iter().map(|c| c.h).max()?;
                vmax = comps.iter().map(|c| c.v).max()?;
                // The first component must carry full resolution, or our output grid is wrong.
                if comps[0].h != hmax || comps[0].v != vmax {
                    return None;
                }
                mcux = width.div_ceil(8 * hmax);
                mcuy = height.div_ceil(8 * vmax);
                planes = comps
                    .iter()
                    .map(|c| vec![0i16; mcux * c.h * mcuy * c.v])
                    .collect();
            }
            // Progressive, lossless, hierarchical or arithmetic-coded: not for this decoder.
            0xC2 | 0xC3 | 0xC5..=0xC7 | 0xC9..=0xCB | 0xCD..=0xCF => return None,
            0xDB => {
                let mut s = seg;
                while !s.is_empty() {
                    let (precision, id) = (s[0] >> 4, usize::from(s[0] & 15));
                    if id > 3 {
                        return None;
                    }
                    let size = if precision == 0 { 64 } else { 128 };
                    let table = s.get(1..1 + size)?;
                    quant_dc[id] = if precision == 0 {
                        i32::from(table[0])
                    } else {
                        be16(table, 0)? as i32
                    };
                    s = &s[1 + size..];
                }
            }
            0xC4 => {
                let mut s = seg;
                while !s.is_empty() {
                    let (class, id) = (s[0] >> 4, usize::from(s[0] & 15));
                    let counts: [u8; 16] = s.get(1..17)?.try_into().ok()?;
                    let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
                    let values = s.get(17..17 + total)?;
                    let table = Huffman::new(&counts, values)?;
                    match (class, id) {
                        (0, 0..=3) => dc_tables[id] = Some(DcTable::new(table)),
                        (1, 0..=3) => ac_tables[id] = Some(AcSkip::new(table)),
                        _ => return None,
                    }
                    s = &s[17 + total..];
                }
            }
            0xDD => restart_interval = be16(seg, 0)?,
            // Adobe: transform 0 with three components means RGB, not YCbCr.
            0xEE if seg.starts_with(b"Adobe") && seg.get(11) == Some(&0) => adobe_rgb = true,
            0xDA => {
                if comps.is_empty() {
                    return None;
                }
                let ns = usize::from(*seg.first()?);
                let mut scan = Vec::with_capacity(ns);
                for i in 0..ns {
                    let b = seg.get(1 + i * 2..3 + i * 2)?;
                    let ci = comps.iter().position(|c| c.id == b[0])?;
                    let (td, ta) = (usize::from(b[1] >> 4), usize::from(b[1] & 15));
                    if td > 3 || ta > 3 {
                        return None;
                    }
                    scan.push((ci, td, ta));
                }
                // Ss, Se, Ah/Al must describe a full sequential scan.
                let tail = seg.get(1 + ns * 2..4 + ns * 2)?;
                if tail[0] != 0 || tail[1] != 63 || tail[2] != 0 {
                    return None;
                }
                let params = ScanParams {
                    comps: &comps,
                    scan: &scan,
                    quant_dc: &quant_dc,
                    dc_tables: &dc_tables,
                    ac_tables: &ac_tables,
                    restart_interval,
                    mcux,
                    mcuy,
                    width,
                    height,
                    hmax,
                    vmax,
                    two_halves,
                };
                pos = decode_scan(jpeg, next, &params, &mut planes)?;
                continue;
            }
            _ => {}
        }
        pos = next;
    }
    if planes.is_empty() || adobe_rgb {
        return None;
    }
    Some(to_rgb(&comps, &planes, width, height, mcux, hmax, vmax))
}
