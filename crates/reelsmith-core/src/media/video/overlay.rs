//! A reader that shows chosen boxes' types as `free`, so the `mp4` crate skips them unread.
//!
//! Only the four type bytes of each hidden box change; sizes and everything else read as in
//! the file, so sample offsets stay right.

use std::io::{Read, Seek, SeekFrom};

use super::boxes::Source;
use super::layout::FREE;

/// `inner`, with the 4 bytes at each offset of `hidden` (sorted) read as `free`.
pub struct Overlay {
    inner: Box<dyn Source>,
    hidden: Vec<u64>,
    pos: u64,
}

impl Overlay {
    /// Wraps `inner`; `hidden` must be sorted.
    pub fn new(inner: Box<dyn Source>, hidden: Vec<u64>) -> Overlay {
        Overlay {
            inner,
            hidden,
            pos: 0,
        }
    }
}

impl Read for Overlay {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        let (from, to) = (self.pos, self.pos + n as u64);
        // Patches that start before `to` and end after `from`.
        let first = self.hidden.partition_point(|&at| at + 4 <= from);
        for &at in self.hidden[first..].iter().take_while(|&&at| at < to) {
            for (i, &b) in FREE.iter().enumerate() {
                let p = at + i as u64;
                if (from..to).contains(&p) {
                    buf[(p - from) as usize] = b;
                }
            }
        }
        self.pos = to;
        Ok(n)
    }
}

impl Seek for Overlay {
    fn seek(&mut self, to: SeekFrom) -> std::io::Result<u64> {
        self.pos = self.inner.seek(to)?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn hidden_types_read_as_free_however_the_reads_are_cut() {
        let data: Vec<u8> = (0..40u8).collect();
        let mut want = data.clone();
        want[10..14].copy_from_slice(b"free");
        want[30..34].copy_from_slice(b"free");
        for step in 1..=40 {
            let mut o = Overlay::new(Box::new(Cursor::new(data.clone())), vec![10, 30]);
            let mut got = Vec::new();
            let mut buf = vec![0u8; step];
            loop {
                let n = o.read(&mut buf).unwrap();
                if n == 0 {
                    break;
                }
                got.extend_from_slice(&buf[..n]);
            }
            assert_eq!(got, want, "reads of {step}");
        }
        let mut o = Overlay::new(Box::new(Cursor::new(data)), vec![10]);
        o.seek(SeekFrom::Start(12)).unwrap();
        let mut two = [0u8; 3];
        o.read_exact(&mut two).unwrap();
        assert_eq!(&two, b"ee\x0e");
    }
}
