//! The bit reader over unstuffed entropy-coded segments.

use crate::huffman::{
    ADV_SHIFT, AcSkip, DC_BITS, DcTable, EOB_FLAG, MULTI_BITS, ac_advance, extend,
};

/// Padding after a segment's unstuffed bytes, so the bit reader can always load eight.
pub(crate) const PAD: usize = 8;

/// Copies the entropy-coded bytes starting at `from` into `out` without their 0xFF00 stuffing,
/// followed by [`PAD`] zero bytes; returns where the data stopped (a marker or the end), or
/// `None` when the memory cannot be had.
pub(crate) fn unstuff(jpeg: &[u8], from: usize, out: &mut Vec<u8>) -> Option<usize> {
    out.clear();
    let mut at = from.min(jpeg.len());
    // The rest of the file bounds the segment; reserved once, a reused buffer keeps it.
    out.try_reserve(jpeg.len() - at + PAD).ok()?;
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
    Some(at)
}

/// The bits of an unstuffed segment that came from the file (not its padding): a reader past
/// them has decoded zeros the file never held.
pub(crate) fn data_bits(segment: &[u8]) -> usize {
    8 * segment.len().saturating_sub(PAD)
}

/// Reads bits from an unstuffed segment; past its end the stream reads as zeros, as decoders
/// conventionally do.
#[derive(Clone, Copy)]
pub(crate) struct Bits<'a> {
    pub(crate) data: &'a [u8],
    /// The next byte not yet wholly in `acc`.
    pub(crate) pos: usize,
    /// Bits left-aligned; the top `n` are valid, and the top one is bit `8 * pos - n` of `data`.
    pub(crate) acc: u64,
    pub(crate) n: u32,
}

impl<'a> Bits<'a> {
    /// A reader of `data` from its first bit.
    pub(crate) fn new(data: &'a [u8]) -> Bits<'a> {
        Bits {
            data,
            pos: 0,
            acc: 0,
            n: 0,
        }
    }

    /// A reader of `data` from bit `bit`.
    pub(crate) fn at(data: &'a [u8], bit: usize) -> Bits<'a> {
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
    pub(crate) fn bit_pos(&self) -> usize {
        8 * self.pos - self.n as usize
    }

    /// Tops the buffer up to at least 56 bits without a branch on the data.
    #[inline(always)]
    pub(crate) fn refill(&mut self) {
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

    /// The next `k` bits, 1 ≤ `k` ≤ 32, without taking them.
    #[inline(always)]
    pub(crate) fn peek(&self, k: u32) -> u32 {
        debug_assert!((1..=32).contains(&k));
        (self.acc >> (64 - k)) as u32
    }

    /// Takes `k` of the buffered bits.
    #[inline(always)]
    pub(crate) fn consume(&mut self, k: u32) {
        self.acc <<= k;
        self.n -= k;
    }

    /// Decodes a DC difference: its code and its sign-extended magnitude bits. Takes at most
    /// [`DC_BITS`] of the buffered bits, or refills first.
    #[inline(always)]
    pub(crate) fn dc_diff(&mut self, t: &DcTable) -> Option<i32> {
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
        // Category 0 has no magnitude bits (and a peek of none would shift by 64).
        let diff = if s == 0 {
            0
        } else {
            let v = self.peek(s);
            self.consume(s);
            extend(v, s)
        };
        self.refill();
        Some(diff)
    }

    /// Takes one lookup's worth of AC pairs, `k` being the next coefficient's index; `Some(true)`
    /// when the block has ended. Takes at most [`MULTI_BITS`] of the buffered bits, or refills.
    #[inline(always)]
    pub(crate) fn ac_step(&mut self, t: &AcSkip, k: &mut u32) -> Option<bool> {
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
    pub(crate) fn skip_ac(&mut self, t: &AcSkip, mut k: u32) -> Option<()> {
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
pub(crate) const LOOKUPS_PER_REFILL: u32 = 56
    / if MULTI_BITS > DC_BITS {
        MULTI_BITS
    } else {
        DC_BITS
    };
