//! Huffman tables, and the two lookup tables built from them for the hot loops: DC codes
//! read with their magnitude, and AC codes skipped several (code, magnitude) pairs at a time.

/// Bits looked up at once when decoding a single code: covers nearly all codes in real files.
pub(crate) const LUT_BITS: u32 = 11;

/// Bits looked up at once for a DC code and its magnitude; 2^12 four-byte entries.
pub(crate) const DC_BITS: u32 = 12;

/// Bits looked up at once when skipping AC coefficients; 2^12 two-byte entries stay in L1.
pub(crate) const MULTI_BITS: u32 = 12;

/// A Huffman table as a DHT segment declares it, checked to be a prefix code.
#[derive(Clone)]
pub(crate) struct Spec {
    counts: [u8; 16],
    values: [u8; 256],
}

impl Spec {
    /// Parses the table at the start of a DHT body: its class (0 DC, 1 AC), its id and the
    /// bytes it took. Only the table's bytes are read here; the lookup tables are built when a
    /// scan uses it, so a file of many tables costs no more than its length.
    pub(crate) fn parse(s: &[u8]) -> Option<(u8, usize, Spec, usize)> {
        let (class, id) = (*s.first()? >> 4, usize::from(*s.first()? & 15));
        let counts: [u8; 16] = s.get(1..17)?.try_into().ok()?;
        let total: usize = counts.iter().map(|&c| usize::from(c)).sum();
        if total > 256 || !fits(&counts) {
            return None;
        }
        let mut values = [0u8; 256];
        values[..total].copy_from_slice(s.get(17..17 + total)?);
        Some((class, id, Spec { counts, values }, 17 + total))
    }

    /// The table ready for decoding.
    pub(crate) fn huffman(&self) -> Option<Huffman> {
        Huffman::new(&self.counts, &self.values)
    }
}

/// Whether canonical codes of these lengths fit: no length gets more codes than it has room
/// for after the shorter ones.
fn fits(counts: &[u8; 16]) -> bool {
    let mut code = 0u32;
    for (len, &n) in (1..=16u32).zip(counts) {
        code += u32::from(n);
        if code > 1 << len {
            return false;
        }
        code <<= 1;
    }
    true
}

/// A Huffman table ready for decoding.
pub(crate) struct Huffman {
    /// For each LUT_BITS-bit prefix: symbol << 8 | code length, or 0 when the code is longer.
    pub(crate) lut: [u16; 1 << LUT_BITS],
    /// Canonical decoding for longer codes, indexed by length 1..=16.
    pub(crate) max_code: [i32; 18],
    pub(crate) val_offset: [i32; 17],
    /// The symbols in code order; the first `total` are the table's.
    pub(crate) values: [u8; 256],
    pub(crate) total: usize,
}

impl Huffman {
    /// The table of `counts` codes of each length 1..=16 for `values`; `None` unless they
    /// form a prefix code of at most 256 symbols.
    pub(crate) fn new(counts: &[u8; 16], values: &[u8]) -> Option<Huffman> {
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
        let mut table = [0u8; 256];
        table[..total].copy_from_slice(&values[..total]);
        Some(Huffman {
            lut,
            max_code,
            val_offset,
            values: table,
            total,
        })
    }

    /// The symbol and code length at the top of `window` (bits left-aligned in 32), if any.
    #[inline(always)]
    pub(crate) fn lookup(&self, window: u32) -> Option<(u8, u32)> {
        let e = self.lut[(window >> (32 - LUT_BITS)) as usize];
        if e != 0 {
            return Some(((e >> 8) as u8, u32::from(e & 0xFF)));
        }
        self.lookup_long(window)
    }

    /// Canonical decoding of a code longer than [`LUT_BITS`].
    #[cold]
    pub(crate) fn lookup_long(&self, window: u32) -> Option<(u8, u32)> {
        for len in LUT_BITS + 1..=16 {
            let code = (window >> (32 - len)) as i32;
            if code <= self.max_code[len as usize] {
                let i = usize::try_from(self.val_offset[len as usize] + code).ok()?;
                return Some((*self.values[..self.total].get(i)?, len));
            }
        }
        None
    }
}

/// JPEG's EXTEND: `s` magnitude bits `v` as a signed value (a leading 0 bit means negative).
pub(crate) fn extend(v: u32, s: u32) -> i32 {
    if s == 0 {
        0
    } else if v < 1 << (s - 1) {
        v as i32 - (1 << s) + 1
    } else {
        v as i32
    }
}

/// A DC Huffman table whose lookups read the magnitude bits too.
pub(crate) struct DcTable {
    /// For each [`DC_BITS`]-bit window: the difference (high 16 bits, signed) and the bits its
    /// code and magnitude take (low 8 bits), or 0 when they do not fit in the window.
    pub(crate) table: [u32; 1 << DC_BITS],
    pub(crate) huffman: Huffman,
}

impl DcTable {
    pub(crate) fn new(huffman: Huffman) -> Box<DcTable> {
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
pub(crate) fn ac_advance(symbol: u8) -> u32 {
    match symbol {
        0x00 => 0,
        0xF0 => 16,
        s => u32::from(s >> 4) + 1,
    }
}

/// An [`AcSkip`] entry: bits taken (low six bits, so it can be a shift count as it is), then
/// the move of the coefficient index, then the EOB flag.
pub(crate) const ADV_SHIFT: u32 = 6;
pub(crate) const EOB_FLAG: u16 = 1 << 13;
/// A move no block can take, so entries without a whole pair fail the range check.
pub(crate) const NO_PAIRS: u16 = 127;

/// An AC Huffman table turned into a skipping table.
///
/// For each [`MULTI_BITS`]-bit window an entry says how many bits the whole (code, magnitude)
/// pairs in the window take, how far they move the coefficient index (not counting a final
/// EOB) and whether the last of them is an EOB. The pairs may be taken together only when the
/// block cannot end before the last of them, which the decoder checks against the current
/// index; otherwise it goes one symbol at a time.
pub(crate) struct AcSkip {
    pub(crate) table: [u16; 1 << MULTI_BITS],
    pub(crate) huffman: Huffman,
}

impl AcSkip {
    pub(crate) fn new(huffman: Huffman) -> Box<AcSkip> {
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

#[cfg(test)]
mod tests {
    use super::*;

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
    fn table_specs_are_checked_when_read() {
        let table = |counts: [u8; 16]| {
            let mut s = vec![0x10];
            s.extend_from_slice(&counts);
            s.extend((0..counts.iter().map(|&c| usize::from(c)).sum::<usize>()).map(|v| v as u8));
            s
        };
        let mut counts = [0u8; 16];
        counts[1] = 4;
        let (class, id, spec, used) = Spec::parse(&table(counts)).unwrap();
        assert_eq!((class, id, used), (1, 0, 21));
        assert!(spec.huffman().is_some());
        // Five codes of length 2 do not fit; 17 of every length are more than 256 symbols.
        counts[1] = 5;
        assert!(Spec::parse(&table(counts)).is_none());
        assert!(Spec::parse(&table([17; 16])).is_none());
        // Cut short.
        counts[1] = 4;
        assert!(Spec::parse(&table(counts)[..20]).is_none());
    }
}
