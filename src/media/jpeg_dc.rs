//! A 1/8-scale JPEG decoder that keeps only each block's DC coefficient.
//!
//! A block's DC coefficient is its average colour, so the DC values alone are the picture
//! shrunk eight times (what libjpeg's 1/8 scaling produces). Skipping dequantisation, the inverse
//! DCT and full-size colour conversion leaves only the entropy decoding, which this does with
//! lookup tables that swallow a code and its extra bits in one step. jpeg-decoder's own 1/8
//! path is several times slower, as it still walks every coefficient through generic readers.
//!
//! Only the common case is handled: baseline or extended sequential Huffman JPEG, 8-bit, one
//! or three components (YCbCr), any sampling factors, restart intervals, one or several scans.
//! Anything else returns `None` and the caller falls back to jpeg-decoder.

/// Bits looked up at once: covers nearly all codes in real files.
const LUT_BITS: u32 = 11;

/// A Huffman table ready for decoding.
struct Huffman {
    /// For each LUT_BITS-bit prefix: symbol << 8 | code length, or 0 when the code is longer.
    lut: Box<[u16; 1 << LUT_BITS]>,
    /// Canonical decoding for longer codes, indexed by length 1..=16.
    max_code: [i32; 18],
    val_offset: [i32; 17],
    values: Vec<u8>,
}

impl Huffman {
    fn new(counts: &[u8; 16], values: &[u8]) -> Option<Huffman> {
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        if total > 256 || total > values.len() {
            return None;
        }
        let mut lut = Box::new([0u16; 1 << LUT_BITS]);
        let mut max_code = [-1i32; 18];
        let mut val_offset = [0i32; 17];
        let mut code: u32 = 0;
        let mut k = 0usize;
        for len in 1..=16u32 {
            let n = usize::from(counts[len as usize - 1]);
            val_offset[len as usize] = k as i32 - code as i32;
            for _ in 0..n {
                // More codes than this length has room for: not a valid table.
                if code >= 1 << len {
                    return None;
                }
                let symbol = values[k];
                if len <= LUT_BITS {
                    let shift = LUT_BITS - len;
                    let first = (code << shift) as usize;
                    for e in &mut lut[first..first + (1 << shift)] {
                        *e = (u16::from(symbol) << 8) | len as u16;
                    }
                }
                code += 1;
                k += 1;
            }
            if n > 0 {
                max_code[len as usize] = code as i32 - 1;
            }
            code <<= 1;
        }
        max_code[17] = i32::MAX;
        Some(Huffman {
            lut,
            max_code,
            val_offset,
            values: values[..total].to_vec(),
        })
    }
}

/// Reads entropy-coded bits, undoing 0xFF00 stuffing and stopping at markers.
struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    acc: u64,
    n: u32,
    at_marker: bool,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8], pos: usize) -> Bits<'a> {
        Bits {
            data,
            pos,
            acc: 0,
            n: 0,
            at_marker: false,
        }
    }

    #[inline]
    fn fill(&mut self) {
        // Fast path: when the next eight bytes hold no 0xFF (no stuffing, no marker), take
        // as many whole bytes as fit in one go.
        if self.n > 56 {
            return;
        }
        if !self.at_marker
            && let Some(chunk) = self.data.get(self.pos..self.pos + 8)
            && let Ok(bytes) = <[u8; 8]>::try_from(chunk)
        {
            let word = u64::from_be_bytes(bytes);
            let inverted = !word;
            let has_ff =
                inverted.wrapping_sub(0x0101_0101_0101_0101) & word & 0x8080_8080_8080_8080 != 0;
            if !has_ff {
                let take = (64 - self.n) / 8;
                let bits = 8 * take;
                self.acc |= (word >> (64 - bits)) << (64 - bits - self.n);
                self.pos += take as usize;
                self.n += bits;
                return;
            }
        }
        while self.n <= 56 {
            let mut byte = 0u8;
            if !self.at_marker {
                match self.data.get(self.pos) {
                    Some(0xFF) => {
                        if self.data.get(self.pos + 1) == Some(&0) {
                            byte = 0xFF;
                            self.pos += 2;
                        } else {
                            self.at_marker = true;
                        }
                    }
                    Some(&b) => {
                        byte = b;
                        self.pos += 1;
                    }
                    None => self.at_marker = true,
                }
            }
            // Past a marker the stream reads as zeros, as decoders conventionally do.
            self.acc |= u64::from(byte) << (56 - self.n);
            self.n += 8;
        }
    }

    #[inline]
    fn peek(&self, k: u32) -> u32 {
        (self.acc >> (64 - k)) as u32
    }

    #[inline]
    fn consume(&mut self, k: u32) {
        self.acc <<= k;
        self.n -= k;
    }

    #[inline]
    fn decode(&mut self, h: &Huffman) -> Option<u8> {
        if self.n < 32 {
            self.fill();
        }
        let e = h.lut[self.peek(LUT_BITS) as usize];
        if e != 0 {
            self.consume(u32::from(e & 0xFF));
            return Some((e >> 8) as u8);
        }
        for len in LUT_BITS + 1..=16 {
            let code = self.peek(len) as i32;
            if code <= h.max_code[len as usize] {
                self.consume(len);
                let i = (h.val_offset[len as usize] + code) as usize;
                return h.values.get(i).copied();
            }
        }
        None
    }

    /// Reads `s` magnitude bits and sign-extends them (JPEG's EXTEND).
    #[inline]
    fn receive_extend(&mut self, s: u32) -> i32 {
        if s == 0 {
            return 0;
        }
        if self.n < 32 {
            self.fill();
        }
        let v = self.peek(s) as i32;
        self.consume(s);
        if v < 1 << (s - 1) {
            v - (1 << s) + 1
        } else {
            v
        }
    }

    /// Skips the AC coefficients of one block.
    ///
    /// Their values are never needed, so a code and its magnitude bits go in one shift.
    #[inline]
    fn skip_ac(&mut self, h: &Huffman) -> Option<()> {
        let mut k = 1u32;
        loop {
            if self.n < 32 {
                self.fill();
            }
            let e = h.lut[self.peek(LUT_BITS) as usize];
            let symbol = if e != 0 {
                self.consume(u32::from(e & 0xFF));
                (e >> 8) as u8
            } else {
                self.decode(h)?
            };
            let (run, size) = (u32::from(symbol >> 4), u32::from(symbol & 15));
            // After a fill at least 32 bits are buffered: a code (≤ 16) plus size (≤ 15) fits.
            self.consume(size);
            if size == 0 {
                if run != 15 {
                    return Some(()); // end of block
                }
                k += 16;
            } else {
                k += run + 1;
            }
            if k >= 64 {
                return Some(());
            }
        }
    }
}

#[derive(Clone, Copy)]
struct Component {
    id: u8,
    h: usize,
    v: usize,
    quant: usize,
}

fn be16(data: &[u8], at: usize) -> Option<usize> {
    Some(usize::from(u16::from_be_bytes([
        *data.get(at)?,
        *data.get(at + 1)?,
    ])))
}

/// Decodes `jpeg` at 1/8 scale (each side rounded up) to packed RGB8; `None` when this
/// decoder does not handle the file (the caller then uses a general decoder).
pub fn decode_eighth(jpeg: &[u8]) -> Option<(u32, u32, Vec<u8>)> {
    if jpeg.get(0..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut quant_dc = [0i32; 4];
    let mut dc_tables: [Option<Huffman>; 4] = [None, None, None, None];
    let mut ac_tables: [Option<Huffman>; 4] = [None, None, None, None];
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
                        (0, 0..=3) => dc_tables[id] = Some(table),
                        (1, 0..=3) => ac_tables[id] = Some(table),
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

struct ScanParams<'a> {
    comps: &'a [Component],
    scan: &'a [(usize, usize, usize)],
    quant_dc: &'a [i32; 4],
    dc_tables: &'a [Option<Huffman>; 4],
    ac_tables: &'a [Option<Huffman>; 4],
    restart_interval: usize,
    mcux: usize,
    mcuy: usize,
    width: usize,
    height: usize,
    hmax: usize,
    vmax: usize,
}

/// Decodes one scan's blocks into `planes` (DC averages); returns where the data ended.
fn decode_scan(
    jpeg: &[u8],
    start: usize,
    p: &ScanParams<'_>,
    planes: &mut [Vec<i16>],
) -> Option<usize> {
    let mut tables = Vec::with_capacity(p.scan.len());
    for &(ci, td, ta) in p.scan {
        let c = p.comps[ci];
        tables.push((
            ci,
            c,
            p.dc_tables[td].as_ref()?,
            p.ac_tables[ta].as_ref()?,
            p.quant_dc[c.quant],
        ));
    }
    let mut bits = Bits::new(jpeg, start);
    let mut pred = [0i32; 4];
    // A single-component scan is not interleaved: its blocks cover only the component's own
    // size, in raster order, one block per MCU.
    let (units_x, units_y) = if tables.len() == 1 {
        let c = tables[0].1;
        let cw = (p.width * c.h).div_ceil(p.hmax);
        let ch = (p.height * c.v).div_ceil(p.vmax);
        (cw.div_ceil(8), ch.div_ceil(8))
    } else {
        (p.mcux, p.mcuy)
    };
    let total = units_x * units_y;
    for unit in 0..total {
        if p.restart_interval > 0 && unit > 0 && unit % p.restart_interval == 0 {
            // The next marker (after at most the last padding byte) must be RSTn; then
            // everything starts afresh.
            let at = next_marker(jpeg, bits.pos);
            if !(0xD0..=0xD7).contains(jpeg.get(at + 1)?) {
                return None;
            }
            bits = Bits::new(jpeg, at + 2);
            pred = [0; 4];
        }
        let (ux, uy) = (unit % units_x, unit / units_x);
        for (slot, &(ci, c, dc, ac, q)) in tables.iter().enumerate() {
            let (bw, bh) = if tables.len() == 1 {
                (1, 1)
            } else {
                (c.h, c.v)
            };
            let stride = p.mcux * c.h;
            for by in 0..bh {
                for bx in 0..bw {
                    let s = u32::from(bits.decode(dc)?);
                    if s > 11 {
                        return None;
                    }
                    pred[slot] += bits.receive_extend(s);
                    bits.skip_ac(ac)?;
                    let (x, y) = (ux * bw + bx, uy * bh + by);
                    if let Some(v) = planes[ci].get_mut(y * stride + x) {
                        // DC × quantiser / 8 is the block's mean offset from mid-grey.
                        *v = ((pred[slot] * q + 4) >> 3).clamp(-128, 127) as i16;
                    }
                }
            }
        }
    }
    // Resume marker parsing where the entropy-coded data stopped.
    Some(next_marker(jpeg, bits.pos))
}

/// The position of the next marker (0xFF not followed by a stuffing 0x00) at or after `from`.
fn next_marker(jpeg: &[u8], from: usize) -> usize {
    let mut at = from;
    while at < jpeg.len()
        && !(jpeg[at] == 0xFF && jpeg.get(at + 1).is_some_and(|&b| b != 0 && b != 0xFF))
    {
        at += 1;
    }
    at
}

/// Converts the DC planes to RGB at 1/8 of the picture size.
fn to_rgb(
    comps: &[Component],
    planes: &[Vec<i16>],
    width: usize,
    height: usize,
    mcux: usize,
    hmax: usize,
    vmax: usize,
) -> (u32, u32, Vec<u8>) {
    let (ow, oh) = (width.div_ceil(8), height.div_ceil(8));
    let mut rgb = Vec::with_capacity(ow * oh * 3);
    let clamp = |v: i32| v.clamp(0, 255) as u8;
    for y in 0..oh {
        for x in 0..ow {
            let sample = |i: usize| -> i32 {
                let c = comps[i];
                let (cx, cy) = (x * c.h / hmax, y * c.v / vmax);
                i32::from(planes[i].get(cy * mcux * c.h + cx).copied().unwrap_or(0))
            };
            let luma = sample(0) + 128;
            if comps.len() == 1 {
                let l = clamp(luma);
                rgb.extend_from_slice(&[l, l, l]);
            } else {
                let (cb, cr) = (sample(1), sample(2));
                // JFIF YCbCr → RGB in 16.16 fixed point.
                let r = luma + ((91881 * cr + 32768) >> 16);
                let g = luma - ((22554 * cb + 46802 * cr - 32768) >> 16);
                let b = luma + ((116130 * cb + 32768) >> 16);
                rgb.extend_from_slice(&[clamp(r), clamp(g), clamp(b)]);
            }
        }
    }
    (ow as u32, oh as u32, rgb)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A tiny baseline JPEG writer for synthetic coefficients, so the tests control sampling
    /// factors, restart intervals, long Huffman codes and byte stuffing.
    struct Writer {
        out: Vec<u8>,
        acc: u32,
        n: u32,
    }

    impl Writer {
        fn bits(&mut self, value: u32, len: u32) {
            for i in (0..len).rev() {
                self.acc = (self.acc << 1) | ((value >> i) & 1);
                self.n += 1;
                if self.n == 8 {
                    let b = self.acc as u8;
                    self.out.push(b);
                    if b == 0xFF {
                        self.out.push(0);
                    }
                    self.acc = 0;
                    self.n = 0;
                }
            }
        }
        fn pad(&mut self) {
            while self.n != 0 {
                self.bits(1, 1);
            }
        }
    }

    /// Canonical codes (code, length) per symbol for a counts/values table.
    fn codes(counts: &[u8; 16], values: &[u8]) -> Vec<Option<(u32, u32)>> {
        let mut table = vec![None; 256];
        let (mut code, mut k) = (0u32, 0usize);
        for len in 1..=16u32 {
            for _ in 0..counts[len as usize - 1] {
                table[usize::from(values[k])] = Some((code, len));
                code += 1;
                k += 1;
            }
            code <<= 1;
        }
        table
    }

    fn category(v: i32) -> u32 {
        32 - v.unsigned_abs().leading_zeros()
    }

    fn value_bits(v: i32, s: u32) -> u32 {
        if v < 0 {
            (v + (1 << s) - 1) as u32
        } else {
            v as u32
        }
    }

    struct Synthetic {
        bytes: Vec<u8>,
    }

    /// Writes a JPEG of `w`×`h` with the given (h, v) sampling per component, restart
    /// interval and pseudo-random coefficients.
    fn synthetic(
        w: usize,
        h: usize,
        sampling: &[(usize, usize)],
        restart: usize,
        seed: u32,
    ) -> Synthetic {
        // DC: 12 symbols of 4 bits. AC: EOB in 2 bits, six short codes, the rest 12 bits long.
        let dc_counts = [0, 0, 0, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        let dc_values: Vec<u8> = (0..12).collect();
        let mut ac_values = vec![0x00u8, 0x01, 0x02, 0x11, 0x03, 0x21, 0xF0];
        for r in 0..16u8 {
            for s in 1..=10u8 {
                let sym = (r << 4) | s;
                if !ac_values.contains(&sym) {
                    ac_values.push(sym);
                }
            }
        }
        let mut ac_counts = [0u8; 16];
        ac_counts[1] = 1;
        ac_counts[3] = 6;
        ac_counts[11] = (ac_values.len() - 7) as u8;
        let dc_codes = codes(&dc_counts, &dc_values);
        let ac_codes = codes(&ac_counts, &ac_values);
        let q_dc = 4u8;

        let hmax = sampling.iter().map(|s| s.0).max().unwrap();
        let vmax = sampling.iter().map(|s| s.1).max().unwrap();
        let (mcux, mcuy) = (w.div_ceil(8 * hmax), h.div_ceil(8 * vmax));
        let mut rng = seed;
        let mut next = move || {
            rng ^= rng << 13;
            rng ^= rng >> 17;
            rng ^= rng << 5;
            rng
        };
        let mut wr = Writer {
            out: Vec::new(),
            acc: 0,
            n: 0,
        };
        let mut pred = vec![0i32; sampling.len()];
        let mut rst = 0u8;
        for m in 0..mcux * mcuy {
            if restart > 0 && m > 0 && m % restart == 0 {
                wr.pad();
                wr.out.extend_from_slice(&[0xFF, 0xD0 + rst]);
                rst = (rst + 1) % 8;
                pred.iter_mut().for_each(|p| *p = 0);
            }
            for (ci, &(sh, sv)) in sampling.iter().enumerate() {
                for _ in 0..sh * sv {
                    // Luma: a ramp with noise. Chroma: a smooth ramp, so that nearest and
                    // interpolated upsampling agree and any misplaced block would show.
                    let (mx, my) = ((m % mcux) as i32, (m / mcux) as i32);
                    let dc = if ci == 0 {
                        ((m as i32 * 7) % 200) - 100 + (next() % 9) as i32 - 4
                    } else {
                        mx * 3 + my * 2 - 40 + ci as i32 * 10
                    };
                    let diff = dc - pred[ci];
                    pred[ci] = dc;
                    let s = category(diff);
                    let (c, l) = dc_codes[s as usize].unwrap();
                    wr.bits(c, l);
                    wr.bits(value_bits(diff, s), s);
                    let mut run = 0;
                    for _k in 1..64 {
                        let r = next() % 100;
                        let v = if r < 8 {
                            (next() % 600) as i32 - 300
                        } else {
                            0
                        };
                        if v == 0 {
                            run += 1;
                            continue;
                        }
                        while run > 15 {
                            let (c, l) = ac_codes[0xF0].unwrap();
                            wr.bits(c, l);
                            run -= 16;
                        }
                        let s = category(v);
                        let (c, l) = ac_codes[((run << 4) | s) as usize].unwrap();
                        wr.bits(c, l);
                        wr.bits(value_bits(v, s), s);
                        run = 0;
                    }
                    if run > 0 {
                        let (c, l) = ac_codes[0].unwrap();
                        wr.bits(c, l);
                    }
                }
            }
        }
        wr.pad();

        let mut f = vec![0xFF, 0xD8];
        let mut seg = |marker: u8, body: &[u8]| {
            f.extend_from_slice(&[0xFF, marker]);
            f.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
            f.extend_from_slice(body);
        };
        let mut dqt = vec![0u8, q_dc];
        dqt.extend_from_slice(&[1u8; 63]);
        seg(0xDB, &dqt);
        let mut sof = vec![8];
        sof.extend_from_slice(&(h as u16).to_be_bytes());
        sof.extend_from_slice(&(w as u16).to_be_bytes());
        sof.push(sampling.len() as u8);
        for (i, &(sh, sv)) in sampling.iter().enumerate() {
            sof.extend_from_slice(&[i as u8 + 1, ((sh << 4) | sv) as u8, 0]);
        }
        seg(0xC0, &sof);
        let mut dht = vec![0x00];
        dht.extend_from_slice(&dc_counts);
        dht.extend_from_slice(&dc_values);
        dht.push(0x10);
        dht.extend_from_slice(&ac_counts);
        dht.extend_from_slice(&ac_values);
        seg(0xC4, &dht);
        if restart > 0 {
            seg(0xDD, &(restart as u16).to_be_bytes());
        }
        let mut sos = vec![sampling.len() as u8];
        for i in 0..sampling.len() {
            sos.extend_from_slice(&[i as u8 + 1, 0x00]);
        }
        sos.extend_from_slice(&[0, 63, 0]);
        seg(0xDA, &sos);
        f.extend_from_slice(&wr.out);
        f.extend_from_slice(&[0xFF, 0xD9]);
        Synthetic { bytes: f }
    }

    /// jpeg-decoder's own 1/8-scale decode, as RGB.
    fn reference(jpeg: &[u8]) -> (u32, u32, Vec<u8>) {
        let mut d = jpeg_decoder::Decoder::new(jpeg);
        let info = d.info();
        assert!(info.is_none());
        let (w, h) = d.scale(1, 1).unwrap();
        let px = d.decode().unwrap();
        let rgb = match d.info().unwrap().pixel_format {
            jpeg_decoder::PixelFormat::L8 => px.iter().flat_map(|&l| [l, l, l]).collect(),
            _ => px,
        };
        (u32::from(w), u32::from(h), rgb)
    }

    fn mean_abs(a: &[u8], b: &[u8]) -> f64 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(x, y)| f64::from(x.abs_diff(*y)))
            .sum::<f64>()
            / a.len() as f64
    }

    #[test]
    fn matches_jpeg_decoder_for_all_samplings_with_and_without_restarts() {
        let cases: [(&[(usize, usize)], usize); 6] = [
            (&[(1, 1)], 0),
            (&[(1, 1)], 3),
            (&[(1, 1), (1, 1), (1, 1)], 0),
            (&[(2, 2), (1, 1), (1, 1)], 0),
            (&[(2, 2), (1, 1), (1, 1)], 5),
            (&[(2, 1), (1, 1), (1, 1)], 7),
        ];
        for (i, (sampling, restart)) in cases.into_iter().enumerate() {
            let jpeg = synthetic(100, 60, sampling, restart, 0x1234_5678 + i as u32).bytes;
            let (rw, rh, want) = reference(&jpeg);
            let (w, h, got) = decode_eighth(&jpeg).expect("handled");
            assert_eq!((w, h), (rw, rh), "case {i}");
            assert_eq!((w, h), (13, 8), "case {i}");
            let e = mean_abs(&got, &want);
            // Grey and 4:4:4 agree up to rounding (we round the DC, jpeg-decoder truncates);
            // subsampled chroma is also upsampled differently (nearest here, interpolated there).
            let limit = if sampling[0] == (1, 1) { 2.0 } else { 3.0 };
            println!("case {i}: mean abs difference {e:.2}");
            assert!(e <= limit, "case {i}: mean abs difference {e}");
        }
    }

    #[test]
    fn matches_jpeg_decoder_on_real_encoder_output() {
        let img = image::RgbImage::from_fn(333, 251, |x, y| {
            image::Rgb([(x % 256) as u8, ((x * y) % 251) as u8, (y * 3 % 256) as u8])
        });
        for quality in [50u8, 90, 100] {
            let mut jpeg = Vec::new();
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality)
                .encode_image(&img)
                .unwrap();
            let (rw, rh, want) = reference(&jpeg);
            let (w, h, got) = decode_eighth(&jpeg).expect("handled");
            assert_eq!((w, h), (rw, rh));
            let e = mean_abs(&got, &want);
            assert!(e <= 2.0, "quality {quality}: mean abs difference {e}");
        }
    }

    #[test]
    fn overfull_huffman_tables_are_refused() {
        // Three codes of length 1 cannot exist.
        let mut counts = [0u8; 16];
        counts[0] = 3;
        assert!(Huffman::new(&counts, &[1, 2, 3]).is_none());
        counts[0] = 2;
        assert!(Huffman::new(&counts, &[1, 2]).is_some());
    }

    #[test]
    fn declines_what_it_does_not_handle_and_survives_garbage() {
        let jpeg = synthetic(64, 64, &[(1, 1)], 0, 7).bytes;
        // Progressive frame header.
        let mut progressive = jpeg.clone();
        let sof = progressive
            .windows(2)
            .position(|w| w == [0xFF, 0xC0])
            .unwrap();
        progressive[sof + 1] = 0xC2;
        assert!(decode_eighth(&progressive).is_none());
        assert!(decode_eighth(b"not a jpeg").is_none());
        // Every truncation and a few corruptions terminate without panicking.
        for cut in (0..jpeg.len()).step_by(7) {
            let _ = decode_eighth(&jpeg[..cut]);
        }
        let mut broken = jpeg.clone();
        for i in (200..broken.len() - 2).step_by(13) {
            broken[i] ^= 0x5A;
        }
        let _ = decode_eighth(&broken);
    }
}
