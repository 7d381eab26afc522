//! A most-significant-bit-first bit writer, as AAC's raw data blocks are laid out.

/// Collects bits into bytes, first bit in the high bit of the first byte.
#[derive(Debug, Default)]
pub(crate) struct BitWriter {
    bytes: Vec<u8>,
    /// Bits used in the last byte (0 when it is full or there is none).
    used: u8,
}

impl BitWriter {
    /// Appends the low `count` bits of `value` (at most 32), high bit first.
    pub(crate) fn put(&mut self, value: u32, count: u8) {
        debug_assert!(count <= 32);
        for i in (0..count).rev() {
            let bit = ((value >> i) & 1) as u8;
            if self.used == 0 {
                self.bytes.push(0);
            }
            let last = self.bytes.len() - 1;
            self.bytes[last] |= bit << (7 - self.used);
            self.used = (self.used + 1) % 8;
        }
    }

    /// Pads with zero bits to the next byte boundary and returns the bytes.
    pub(crate) fn finish(self) -> Vec<u8> {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits_pack_high_first() {
        let mut w = BitWriter::default();
        w.put(0b101, 3);
        w.put(0b1, 1);
        w.put(0xAB, 8);
        assert_eq!(w.finish(), vec![0b1011_1010, 0b1011_0000]);
    }
}
