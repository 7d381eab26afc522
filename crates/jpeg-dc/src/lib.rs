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

/// Bits looked up at once when decoding a single code: covers nearly all codes in real files.
const LUT_BITS: u32 = 11;

/// Bits looked up at once for a DC code and its magnitude; 2^12 four-byte entries.
const DC_BITS: u32 = 12;

/// Bits looked up at once when skipping AC coefficients; 2^13 two-byte entries stay in L1.
const MULTI_BITS: u32 = 12;

/// A Huffman table ready for decoding.
struct Huffman {
    /// For each LUT_BITS-bit prefix: symbol << 8 | code length, or 0 when the code is longer.
    lut: [u16; 1 << LUT_BITS],
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
        let mut lut = [0u16; 1 << LUT_BITS];
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

    /// The symbol and code length at the top of `window` (bits left-aligned in 32), if any.
    #[inline(always)]
    fn lookup(&self, window: u32) -> Option<(u8, u32)> {
        let e = self.lut[(window >> (32 - LUT_BITS)) as usize];
        if e != 0 {
            return Some(((e >> 8) as u8, u32::from(e & 0xFF)));
        }
        self.lookup_long(window)
    }

    /// Canonical decoding of a code longer than [`LUT_BITS`].
    #[cold]
    fn lookup_long(&self, window: u32) -> Option<(u8, u32)> {
        for len in LUT_BITS + 1..=16 {
            let code = (window >> (32 - len)) as i32;
            if code <= self.max_code[len as usize] {
                let i = (self.val_offset[len as usize] + code) as usize;
                return Some((*self.values.get(i)?, len));
            }
        }
        None
    }
}

/// JPEG's EXTEND: `s` magnitude bits `v` as a signed value (a leading 0 bit means negative).
fn extend(v: u32, s: u32) -> i32 {
    if s == 0 {
        0
    } else if v < 1 << (s - 1) {
        v as i32 - (1 << s) + 1
    } else {
        v as i32
    }
}

/// A DC Huffman table whose lookups read the magnitude bits too.
struct DcTable {
    /// For each [`DC_BITS`]-bit window: the difference (high 16 bits, signed) and the bits its
    /// code and magnitude take (low 8 bits), or 0 when they do not fit in the window.
    table: [u32; 1 << DC_BITS],
    huffman: Huffman,
}

impl DcTable {
    fn new(huffman: Huffman) -> Box<DcTable> {
        let mut table = [0u32; 1 << DC_BITS];
        for (window, entry) in table.iter_mut().enumerate() {
            let window = window as u32;
            let Some((symbol, len)) = huffman.lookup(window << (32 - DC_BITS)) else {
                continue;
            };
            let s = u32::from(symbol);
            if s > 11 || len + s > DC_BITS {
                continue;
            }
            let v = (window >> (DC_BITS - len - s)) & ((1 << s) - 1);
            *entry = ((extend(v, s) as u32) << 16) | (len + s);
        }
        // Boxed, with the tables inline, so a lookup needs only the one pointer.
        Box::new(DcTable { table, huffman })
    }
}

/// How far an AC symbol moves the coefficient index: 0 ends the block (EOB).
fn ac_advance(symbol: u8) -> u32 {
    match symbol {
        0x00 => 0,
        0xF0 => 16,
        s => u32::from(s >> 4) + 1,
    }
}

/// An [`AcSkip`] entry: bits taken (low six bits, so it can be a shift count as it is), then
/// the move of the coefficient index, then the EOB flag.
const ADV_SHIFT: u32 = 6;
const EOB_FLAG: u16 = 1 << 13;
/// A move no block can take, so entries without a whole pair fail the range check.
const NO_PAIRS: u16 = 127;

/// An AC Huffman table turned into a skipping table.
///
/// For each [`MULTI_BITS`]-bit window an entry says how many bits the whole (code, magnitude)
/// pairs in the window take, how far they move the coefficient index (not counting a final
/// EOB) and whether the last of them is an EOB. The pairs may be taken together only when the
/// block cannot end before the last of them, which the decoder checks against the current
/// index; otherwise it goes one symbol at a time.
struct AcSkip {
    table: [u16; 1 << MULTI_BITS],
    huffman: Huffman,
}

impl AcSkip {
    fn new(huffman: Huffman) -> Box<AcSkip> {
        let mut table = [0u16; 1 << MULTI_BITS];
        for (window, entry) in table.iter_mut().enumerate() {
            let (mut used, mut adv, mut eob, mut pairs) = (0u32, 0u32, false, 0);
            while used < MULTI_BITS && !eob && adv < 64 {
                // The unused bits of the window, left-aligned; the bits after it read as 0, so
                // only codes and magnitudes that end inside the window count.
                let rest = ((window as u32) << (32 - MULTI_BITS)) << used;
                let Some((symbol, len)) = huffman.lookup(rest) else {
                    break;
                };
                let take = len + u32::from(symbol & 15);
                if used + take > MULTI_BITS {
                    break;
                }
                used += take;
                pairs += 1;
                match ac_advance(symbol) {
                    0 => eob = true,
                    a => adv += a,
                }
            }
            *entry = if pairs == 0 {
                NO_PAIRS << ADV_SHIFT
            } else {
                used as u16
                    | ((adv.min(u32::from(NO_PAIRS) - 1) as u16) << ADV_SHIFT)
                    | if eob { EOB_FLAG } else { 0 }
            };
        }
        Box::new(AcSkip { table, huffman })
    }
}

/// Padding after a segment's unstuffed bytes, so the bit reader can always load eight.
const PAD: usize = 8;

/// Copies the entropy-coded bytes starting at `from` into `out` without their 0xFF00 stuffing,
/// followed by [`PAD`] zero bytes; returns where the data stopped (a marker or the end).
fn unstuff(jpeg: &[u8], from: usize, out: &mut Vec<u8>) -> usize {
    out.clear();
    let mut at = from.min(jpeg.len());
    loop {
        let rest = &jpeg[at..];
        match memchr::memchr(0xFF, rest) {
            None => {
                out.extend_from_slice(rest);
                at = jpeg.len();
                break;
            }
            Some(i) => {
                out.extend_from_slice(&rest[..i]);
                at += i;
                if jpeg.get(at + 1) == Some(&0) {
                    out.push(0xFF);
                    at += 2;
                } else {
                    break;
                }
            }
        }
    }
    out.extend_from_slice(&[0; PAD]);
    at
}

/// Reads bits from an unstuffed segment; past its end the stream reads as zeros, as decoders
/// conventionally do.
#[derive(Clone, Copy)]
struct Bits<'a> {
    data: &'a [u8],
    /// The next byte not yet wholly in `acc`.
    pos: usize,
    /// Bits left-aligned; the top `n` are valid, and the top one is bit `8 * pos - n` of `data`.
    acc: u64,
    n: u32,
}

impl<'a> Bits<'a> {
    /// A reader of `data` from its first bit.
    fn new(data: &'a [u8]) -> Bits<'a> {
        Bits {
            data,
            pos: 0,
            acc: 0,
            n: 0,
        }
    }

    /// A reader of `data` from bit `bit`.
    fn at(data: &'a [u8], bit: usize) -> Bits<'a> {
        let mut bits = Bits {
            data,
            pos: bit / 8,
            acc: 0,
            n: 0,
        };
        bits.refill();
        bits.consume((bit % 8) as u32);
        bits
    }

    /// The position of the next unread bit.
    #[inline(always)]
    fn bit_pos(&self) -> usize {
        8 * self.pos - self.n as usize
    }

    /// Tops the buffer up to at least 56 bits without a branch on the data.
    #[inline(always)]
    fn refill(&mut self) {
        // Segments end with PAD zero bytes, so a load that would run off the end reads only
        // padding and can be zero.
        let word = match self.data.get(self.pos..self.pos + 8) {
            Some(b) => u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
            None => 0,
        };
        // Bits below `n` already hold these same values, so OR-ing them again is harmless.
        self.acc |= word >> self.n;
        self.pos += ((63 - self.n) >> 3) as usize;
        self.n |= 56;
    }

    #[inline(always)]
    fn peek(&self, k: u32) -> u32 {
        (self.acc >> (64 - k)) as u32
    }

    #[inline(always)]
    fn consume(&mut self, k: u32) {
        self.acc <<= k;
        self.n -= k;
    }

    /// Decodes a DC difference: its code and its sign-extended magnitude bits. Takes at most
    /// [`DC_BITS`] of the buffered bits, or refills first.
    #[inline(always)]
    fn dc_diff(&mut self, t: &DcTable) -> Option<i32> {
        let e = t.table[self.peek(DC_BITS) as usize];
        if e & 0xFF != 0 {
            self.consume(e & 0xFF);
            return Some(e as i32 >> 16);
        }
        // After a refill 56 bits are buffered: a code (≤ 16) plus magnitude (≤ 11) fits.
        self.refill();
        let (symbol, len) = t.huffman.lookup(self.peek(32))?;
        let s = u32::from(symbol);
        if s > 11 {
            return None;
        }
        self.consume(len);
        let v = self.peek(s);
        self.consume(s);
        self.refill();
        Some(extend(v, s))
    }

    /// Takes one lookup's worth of AC pairs, `k` being the next coefficient's index; `Some(true)`
    /// when the block has ended. Takes at most [`MULTI_BITS`] of the buffered bits, or refills.
    #[inline(always)]
    fn ac_step(&mut self, t: &AcSkip, k: &mut u32) -> Option<bool> {
        let e = t.table[self.peek(MULTI_BITS) as usize];
        let adv = u32::from(e >> ADV_SHIFT) & 127;
        if *k + adv < 64 {
            // The low six bits are the bit count; a shift takes only those.
            self.acc = self.acc.wrapping_shl(u32::from(e));
            self.n -= u32::from(e) & 63;
            *k += adv;
            return Some(e & EOB_FLAG != 0);
        }
        // Near the block's end, or a code or magnitude longer than the window: one symbol. A
        // fresh refill holds a code (≤ 16) and its magnitude (≤ 15); a second one restores the
        // room the caller's remaining lookups count on.
        self.refill();
        let (symbol, len) = t.huffman.lookup(self.peek(32))?;
        self.consume(len + u32::from(symbol & 15));
        self.refill();
        Some(match ac_advance(symbol) {
            0 => true,
            a => {
                *k += a;
                *k >= 64
            }
        })
    }

    /// Skips the rest of a block's AC coefficients from index `k`.
    #[inline(always)]
    fn skip_ac(&mut self, t: &AcSkip, mut k: u32) -> Option<()> {
        loop {
            // One refill serves several lookups, so loading the next bytes (which waits on
            // how many bits the last lookup took) stays off most steps' critical path.
            self.refill();
            for _ in 0..LOOKUPS_PER_REFILL {
                if self.ac_step(t, &mut k)? {
                    return Some(());
                }
            }
        }
    }
}

/// Lookups of at most [`MULTI_BITS`] (or [`DC_BITS`]) bits that the 56 bits of one refill always
/// cover.
const LOOKUPS_PER_REFILL: u32 = 56
    / if MULTI_BITS > DC_BITS {
        MULTI_BITS
    } else {
        DC_BITS
    };

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

struct ScanParams<'a> {
    comps: &'a [Component],
    scan: &'a [(usize, usize, usize)],
    quant_dc: &'a [i32; 4],
    dc_tables: &'a [Option<Box<DcTable>>; 4],
    ac_tables: &'a [Option<Box<AcSkip>>; 4],
    restart_interval: usize,
    mcux: usize,
    mcuy: usize,
    width: usize,
    height: usize,
    hmax: usize,
    vmax: usize,
    /// Whether long segments may be decoded as two halves at once.
    two_halves: bool,
}

/// One block of a unit (MCU): which of the scan's components, where in the unit, and its
/// tables.
struct BlockKind<'t> {
    slot: usize,
    dx: usize,
    dy: usize,
    dc: &'t DcTable,
    ac: &'t AcSkip,
}

/// Decodes one scan's blocks into `planes` (DC averages); returns where the data ended.
///
/// The entropy-coded data is first turned into each block's DC difference, in stream order;
/// then the differences are summed and placed.
fn decode_scan(
    jpeg: &[u8],
    start: usize,
    p: &ScanParams<'_>,
    planes: &mut [Vec<i16>],
) -> Option<usize> {
    // A single-component scan is not interleaved: its blocks cover only the component's own
    // size, in raster order, one block per unit.
    let single = p.scan.len() == 1;
    let mut slots = Vec::with_capacity(p.scan.len());
    let mut kinds = Vec::new();
    for (slot, &(ci, td, ta)) in p.scan.iter().enumerate() {
        let c = p.comps[ci];
        let (dc, ac) = (p.dc_tables[td].as_ref()?, p.ac_tables[ta].as_ref()?);
        slots.push((ci, c, p.quant_dc[c.quant]));
        let (bw, bh) = if single { (1, 1) } else { (c.h, c.v) };
        for dy in 0..bh {
            for dx in 0..bw {
                kinds.push(BlockKind {
                    slot,
                    dx,
                    dy,
                    dc,
                    ac,
                });
            }
        }
    }
    let (units_x, units_y) = if single {
        let c = slots[0].1;
        let cw = (p.width * c.h).div_ceil(p.hmax);
        let ch = (p.height * c.v).div_ceil(p.vmax);
        (cw.div_ceil(8), ch.div_ceil(8))
    } else {
        (p.mcux, p.mcuy)
    };
    let units = units_x * units_y;
    let per_unit = kinds.len();
    let mut diffs = Vec::with_capacity(units * per_unit);
    let mut segment = Vec::new();
    let mut end = unstuff(jpeg, start, &mut segment);
    if p.restart_interval == 0 {
        if p.two_halves && segment.len() >= TWO_HALVES_MIN_BYTES {
            decode_halves(&segment, &kinds, units * per_unit, &mut diffs)?;
        } else {
            decode_blocks(
                &mut Bits::new(&segment),
                &kinds,
                0,
                units * per_unit,
                &mut diffs,
            )?;
        }
    } else {
        let mut done = 0;
        loop {
            let n = p.restart_interval.min(units - done);
            let mut bits = Bits::new(&segment);
            decode_blocks(&mut bits, &kinds, 0, n * per_unit, &mut diffs)?;
            done += n;
            if done >= units {
                break;
            }
            // The segment must end at RSTn (after fill bytes, if any); then everything starts
            // afresh.
            let at = next_marker(jpeg, end);
            if !(0xD0..=0xD7).contains(jpeg.get(at + 1)?) {
                return None;
            }
            end = unstuff(jpeg, at + 2, &mut segment);
        }
    }
    let places: Vec<Place> = kinds
        .iter()
        .map(|kind| {
            let (ci, c, q) = slots[kind.slot];
            let (bw, bh) = if single { (1, 1) } else { (c.h, c.v) };
            let stride = p.mcux * c.h;
            Place {
                slot: kind.slot,
                plane: ci,
                q,
                across: bw,
                down: bh * stride,
                offset: kind.dy * stride + kind.dx,
            }
        })
        .collect();
    place_dc(&diffs, &places, units_x, p.restart_interval, planes);
    // Resume marker parsing where the entropy-coded data stopped.
    Some(next_marker(jpeg, end))
}

/// Where one block of a unit goes in its component's plane.
struct Place {
    /// The scan's component slot (its DC predictor).
    slot: usize,
    plane: usize,
    /// The DC quantiser.
    q: i32,
    /// How far the unit's position moves this block: per unit across, per row of units down.
    across: usize,
    down: usize,
    offset: usize,
}

/// Sums the DC differences (restarting at each restart interval) and stores each block's mean
/// in its plane.
fn place_dc(
    diffs: &[i16],
    places: &[Place],
    units_x: usize,
    restart_interval: usize,
    planes: &mut [Vec<i16>],
) {
    let mut pred = [0i32; 4];
    let mut units_done = 0;
    for (uy, row) in diffs.chunks(units_x * places.len()).enumerate() {
        for (ux, unit) in row.chunks_exact(places.len()).enumerate() {
            if restart_interval > 0 && units_done % restart_interval == 0 {
                pred = [0; 4];
            }
            units_done += 1;
            for (place, &d) in places.iter().zip(unit) {
                let pred = &mut pred[place.slot & 3];
                // Valid files stay far inside this range; corrupt ones must not overflow.
                *pred = (*pred + i32::from(d)).clamp(-32768, 32767);
                let at = uy * place.down + ux * place.across + place.offset;
                if let Some(v) = planes.get_mut(place.plane).and_then(|p| p.get_mut(at)) {
                    // DC × quantiser / 8 is the block's mean offset from mid-grey.
                    *v = ((*pred * place.q + 4) >> 3).clamp(-128, 127) as i16;
                }
            }
        }
    }
}

/// The kind after `phase` in a unit of `per_unit` blocks.
#[inline(always)]
fn next_phase(phase: usize, per_unit: usize) -> usize {
    if phase + 1 == per_unit { 0 } else { phase + 1 }
}

/// Decodes `count` blocks from `bits`, the first of kind `phase`, appending their DC
/// differences to `diffs`.
fn decode_blocks(
    bits: &mut Bits<'_>,
    kinds: &[BlockKind<'_>],
    mut phase: usize,
    count: usize,
    diffs: &mut Vec<i16>,
) -> Option<()> {
    // A local copy stays in registers; writes through `bits` would go to memory every step.
    let mut local = *bits;
    for _ in 0..count {
        let kind = kinds.get(phase)?;
        local.refill();
        diffs.push(local.dc_diff(kind.dc)? as i16);
        local.skip_ac(kind.ac, 1)?;
        phase = next_phase(phase, kinds.len());
    }
    *bits = local;
    Some(())
}

/// Segments at least this long are decoded as two halves at once; shorter ones are not worth
/// the set-up.
const TWO_HALVES_MIN_BYTES: usize = 64 * 1024;

/// How many of the second half's first blocks are remembered for finding where the first half
/// meets it.
const MEETING_WINDOW: usize = 16 * 1024;

/// The reader of a segment's second half, started at a guessed block boundary.
struct SecondHalf<'a> {
    bits: Bits<'a>,
    phase: usize,
    diffs: Vec<i16>,
    /// Where its first [`MEETING_WINDOW`] blocks started, in bits.
    starts: Vec<usize>,
    running: bool,
    /// How often it has started again after decoding an invalid code.
    restarts: usize,
}

/// The second reader gives up after this many fresh starts.
const MAX_RESTARTS: usize = 64;

/// Decodes the `count` blocks of one unstuffed segment (which starts with a block of kind 0).
///
/// Huffman decoding is one long chain of dependent steps, so a core mostly waits on it. Long
/// segments are therefore decoded as two chains at once, a block from each in turn: the first
/// from the start, the second from the middle bit, guessing that a block starts there. A wrong
/// guess decodes garbage for a while, but variable-length codes fall back into step with the
/// real ones within a few codes, and from then on both readers pass the same block starts.
/// When the first reader reaches a block start that the second recorded (same bit, and a kind
/// of block decoded with the same tables), the two are in the same state, so the second
/// reader's differences from there on are the real ones. An invalid code in the second half
/// starts it again a bit further on. If they never meet, the first reader carries on alone:
/// the result is always what one reader would have produced.
fn decode_halves(
    segment: &[u8],
    kinds: &[BlockKind<'_>],
    count: usize,
    diffs: &mut Vec<i16>,
) -> Option<()> {
    let data_bits = 8 * segment.len().saturating_sub(PAD);
    let middle = data_bits / 2;
    let start = diffs.len();
    let per_unit = kinds.len();
    // Readers at the same bit whose block kinds differ by a shift that maps every kind to one
    // with the same tables decode alike from there on (in a grey picture, any shift does).
    let alike: Vec<bool> = (0..per_unit)
        .map(|shift| {
            (0..per_unit).all(|i| {
                let (x, y) = (&kinds[i], &kinds[(i + shift) % per_unit]);
                std::ptr::eq(x.dc, y.dc) && std::ptr::eq(x.ac, y.ac)
            })
        })
        .collect();
    let mut first = Bits::new(segment);
    let mut phase = 0;
    let mut second = SecondHalf {
        bits: Bits::at(segment, middle),
        phase: 0,
        diffs: Vec::with_capacity(count / 2 + MEETING_WINDOW),
        starts: Vec::with_capacity(MEETING_WINDOW),
        running: true,
        restarts: 0,
    };
    // Both halves at once, a block each, until the first reaches the middle or the second
    // stops.
    while second.running && first.bit_pos() < middle && diffs.len() - start < count {
        let at = second.bits.bit_pos();
        // Past the end, or more blocks than the whole segment has: stop.
        if at >= data_bits || second.diffs.len() > count {
            second.running = false;
            break;
        }
        if second.starts.len() < MEETING_WINDOW {
            second.starts.push(at);
        }
        let (a, b) = (kinds.get(phase)?, kinds.get(second.phase)?);
        first.refill();
        second.bits.refill();
        diffs.push(first.dc_diff(a.dc)? as i16);
        // An error in the second half is most likely the guess still decoding garbage (a
        // real one the first reader meets too): it starts again a bit further on.
        let (mut ka, mut kb) = (1u32, 1u32);
        let mut a_done = false;
        let mut b_failed = false;
        let mut b_done = match second.bits.dc_diff(b.dc) {
            Some(d) => {
                second.diffs.push(d as i16);
                false
            }
            None => {
                b_failed = true;
                true
            }
        };
        while !(a_done && b_done) {
            first.refill();
            second.bits.refill();
            for _ in 0..LOOKUPS_PER_REFILL {
                if !a_done {
                    a_done = first.ac_step(a.ac, &mut ka)?;
                }
                if !b_done {
                    match second.bits.ac_step(b.ac, &mut kb) {
                        Some(end) => b_done = end,
                        None => {
                            b_failed = true;
                            b_done = true;
                        }
                    }
                }
            }
        }
        phase = next_phase(phase, per_unit);
        second.phase = next_phase(second.phase, per_unit);
        if b_failed {
            second.restarts += 1;
            second.running = second.restarts <= MAX_RESTARTS;
            second.bits = Bits::at(segment, at + 1);
            second.phase = 0;
            second.diffs.clear();
            second.starts.clear();
        }
    }
    // The first reader alone, looking for the second's block starts once past the middle.
    let mut next_start = 0;
    loop {
        let block = diffs.len() - start;
        if block == count {
            return Some(());
        }
        let at = first.bit_pos();
        if at >= middle {
            while second.starts.get(next_start).is_some_and(|&s| s < at) {
                next_start += 1;
            }
            if second.starts.get(next_start) == Some(&at)
                && alike[(phase + per_unit - next_start % per_unit) % per_unit]
            {
                break;
            }
            if next_start == second.starts.len() {
                // Past every start the second recorded: they will not meet.
                return decode_blocks(&mut first, kinds, phase, count - block, diffs);
            }
        }
        decode_blocks(&mut first, kinds, phase, 1, diffs)?;
        phase = next_phase(phase, per_unit);
    }
    // Met: the second reader's differences from `next_start` on are the real ones.
    #[cfg(test)]
    tests::MEETINGS.with(|m| m.set(m.get() + 1));
    let block = diffs.len() - start;
    let needed = count - block;
    let have = second.diffs.len() - next_start;
    if have < needed && second.running {
        // It stopped at a block start when the first reached the middle; let it finish.
        decode_blocks(
            &mut second.bits,
            kinds,
            second.phase,
            needed - have,
            &mut second.diffs,
        )?;
    }
    match second.diffs.get(next_start..next_start + needed) {
        Some(rest) => diffs.extend_from_slice(rest),
        // It stopped short (an error or the end of the data): the first finishes alone.
        None => decode_blocks(&mut first, kinds, phase, needed, diffs)?,
    }
    Some(())
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
    let mut rgb = vec![0u8; ow * oh * 3];
    let clamp = |v: i32| v.clamp(0, 255) as u8;
    // Which plane column each output column reads, per component (nearest upsampling).
    let columns: Vec<Vec<usize>> = comps
        .iter()
        .map(|c| (0..ow).map(|x| x * c.h / hmax).collect())
        .collect();
    let mut rows: Vec<&[i16]> = Vec::with_capacity(comps.len());
    for (y, out) in rgb.chunks_exact_mut(ow * 3).enumerate() {
        rows.clear();
        for (c, plane) in comps.iter().zip(planes) {
            let stride = mcux * c.h;
            let start = (y * c.v / vmax) * stride;
            rows.push(plane.get(start..start + stride).unwrap_or(&[]));
        }
        let sample = |i: usize, x: usize| -> i32 {
            i32::from(rows[i].get(columns[i][x]).copied().unwrap_or(0))
        };
        for (x, px) in out.chunks_exact_mut(3).enumerate() {
            let luma = sample(0, x) + 128;
            if comps.len() == 1 {
                px.fill(clamp(luma));
            } else {
                let (cb, cr) = (sample(1, x), sample(2, x));
                // JFIF YCbCr → RGB in 16.16 fixed point.
                px[0] = clamp(luma + ((91881 * cr + 32768) >> 16));
                px[1] = clamp(luma - ((22554 * cb + 46802 * cr - 32768) >> 16));
                px[2] = clamp(luma + ((116130 * cb + 32768) >> 16));
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

    thread_local! {
        /// How often the two halves of a segment met on this thread.
        pub(super) static MEETINGS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    }

    /// A noisy picture, so the entropy-coded data is long enough for two halves.
    fn noisy_jpeg(w: u32, h: u32, quality: u8) -> Vec<u8> {
        let mut seed = 0x2545_F491u32;
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let n = (seed % 41) as i32 - 20;
            let c = |v: i32| v.clamp(0, 255) as u8;
            image::Rgb([
                c((x % 256) as i32 + n),
                c(((x / 9) ^ (y / 7)) as i32 % 200 + n),
                c((y * 255 / h) as i32 - n),
            ])
        });
        let mut jpeg = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut jpeg, quality)
            .encode_image(&img)
            .unwrap();
        jpeg
    }

    #[test]
    fn two_halves_give_what_one_reader_gives() {
        let mut cases = vec![
            ("noisy 4:4:4 q90", noisy_jpeg(900, 700, 90)),
            ("noisy 4:4:4 q100", noisy_jpeg(640, 480, 100)),
        ];
        for (i, (name, sampling)) in [
            ("synthetic grey", &[(1, 1)][..]),
            ("synthetic 4:2:0", &[(2, 2), (1, 1), (1, 1)][..]),
            ("synthetic 4:2:2", &[(2, 1), (1, 1), (1, 1)][..]),
        ]
        .into_iter()
        .enumerate()
        {
            cases.push((name, synthetic(1200, 900, sampling, 0, 99 + i as u32).bytes));
        }
        for (name, jpeg) in cases {
            assert!(
                jpeg.len() > 2 * TWO_HALVES_MIN_BYTES,
                "{name}: {} bytes",
                jpeg.len()
            );
            let met = MEETINGS.with(|m| m.get());
            let two = decode_eighth_with(&jpeg, true).expect(name);
            assert_eq!(
                MEETINGS.with(|m| m.get()),
                met + 1,
                "{name}: the halves never met"
            );
            let one = decode_eighth_with(&jpeg, false).expect(name);
            assert!(
                two == one,
                "{name}: two halves decode differently from one reader"
            );
            let (rw, rh, want) = reference(&jpeg);
            assert_eq!((two.0, two.1), (rw, rh), "{name}");
            let e = mean_abs(&two.2, &want);
            assert!(
                e <= 3.0,
                "{name}: mean abs difference {e} from jpeg-decoder"
            );
        }
    }

    #[test]
    fn two_halves_agree_with_one_reader_on_damaged_data() {
        let jpeg = noisy_jpeg(900, 700, 90);
        let sos = jpeg.windows(2).rposition(|w| w == [0xFF, 0xDA]).unwrap();
        let data = sos + 20..jpeg.len() - 2;
        // Cut short at several places, including just after the middle of the data.
        for percent in [55, 70, 90, 99] {
            let cut = data.start + (data.end - data.start) * percent / 100;
            let short = &jpeg[..cut];
            assert!(
                decode_eighth_with(short, true) == decode_eighth_with(short, false),
                "cut at {percent} %"
            );
        }
        // Damage before, at and after the middle, alone and together: a few fixed cases, then
        // pseudo-random ones.
        let len = data.end - data.start;
        let mut cases = vec![vec![10], vec![48, 50, 52], vec![75], vec![25, 60, 95]];
        let mut seed = 0x1234_5678u32;
        for _ in 0..12 {
            let spots = (0..1 + seed % 4)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 17;
                    seed ^= seed << 5;
                    (seed % 100) as usize
                })
                .collect();
            cases.push(spots);
        }
        for (i, spots) in cases.into_iter().enumerate() {
            let mut broken = jpeg.clone();
            for percent in spots {
                let at = data.start + len * percent / 100;
                broken[at] = if broken[at] == 0x5A { 0x3C } else { 0x5A };
            }
            assert!(
                decode_eighth_with(&broken, true) == decode_eighth_with(&broken, false),
                "damage case {i}"
            );
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
