//! Decoding a long segment as two halves at once.

use crate::bits::{Bits, LOOKUPS_PER_REFILL, data_bits};
use crate::scan::{BlockKind, decode_blocks, next_phase};

/// Segments at least this long are decoded as two halves at once; shorter ones are not worth
/// the set-up.
pub(crate) const TWO_HALVES_MIN_BYTES: usize = 64 * 1024;

/// How many of the second half's first blocks are remembered for finding where the first half
/// meets it.
pub(crate) const MEETING_WINDOW: usize = 16 * 1024;

/// The reader of a segment's second half, started at a guessed block boundary.
pub(crate) struct SecondHalf<'a> {
    pub(crate) bits: Bits<'a>,
    pub(crate) phase: usize,
    pub(crate) diffs: Vec<i16>,
    /// Where its first [`MEETING_WINDOW`] blocks started, in bits.
    pub(crate) starts: Vec<usize>,
    pub(crate) running: bool,
    /// How often it has started again after decoding an invalid code.
    pub(crate) restarts: usize,
}

/// The second reader gives up after this many fresh starts.
pub(crate) const MAX_RESTARTS: usize = 64;

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
/// the result is always what one reader would have produced, including `None` when the last
/// block ends past the segment's data.
pub(crate) fn decode_halves(
    segment: &[u8],
    kinds: &[BlockKind<'_>],
    count: usize,
    diffs: &mut Vec<i16>,
) -> Option<()> {
    let data_bits = data_bits(segment);
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
        diffs: Vec::new(),
        starts: Vec::new(),
        running: true,
        restarts: 0,
    };
    // It stops once it has more blocks than the segment (count + 1), or finishes from a
    // meeting block it recorded (fewer than MEETING_WINDOW) with at most count more: either
    // way the reservation is never outgrown.
    second
        .diffs
        .try_reserve_exact(count.checked_add(MEETING_WINDOW + 1)?)
        .ok()?;
    second.starts.try_reserve_exact(MEETING_WINDOW).ok()?;
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
            return (first.bit_pos() <= data_bits).then_some(());
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
                decode_blocks(&mut first, kinds, phase, count - block, diffs)?;
                return (first.bit_pos() <= data_bits).then_some(());
            }
        }
        decode_blocks(&mut first, kinds, phase, 1, diffs)?;
        phase = next_phase(phase, per_unit);
    }
    // Met: the second reader's differences from `next_start` on are the real ones.
    #[cfg(test)]
    MEETINGS.with(|m| m.set(m.get() + 1));
    let block = diffs.len() - start;
    let needed = count - block;
    let have = second.diffs.len().saturating_sub(next_start);
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
    let have = second.diffs.len().saturating_sub(next_start);
    let end = match second.diffs.get(next_start..next_start + needed) {
        Some(rest) => {
            diffs.extend_from_slice(rest);
            // A block after the last one started inside the data (the second reader starts
            // none past it), so the last one ended there; otherwise the second reader stands
            // where the last one ended.
            if have > needed {
                0
            } else {
                second.bits.bit_pos()
            }
        }
        // It stopped short (an error or the end of the data): the first finishes alone.
        None => {
            decode_blocks(&mut first, kinds, phase, needed, diffs)?;
            first.bit_pos()
        }
    };
    (end <= data_bits).then_some(())
}

#[cfg(test)]
thread_local! {
    /// How often the two halves of a segment met on this thread.
    pub(crate) static MEETINGS: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}
