//! Hooks for this crate's tests, the mutation tests and the fuzz target; not a supported API.

/// Segments at least this long are decoded as two halves by [`decode_eighth`](crate::decode_eighth).
#[doc(hidden)]
pub const TWO_HALVES_MIN_BYTES: usize = crate::halves::TWO_HALVES_MIN_BYTES;

/// [`decode_eighth`](crate::decode_eighth), decoding segments of at least
/// `two_halves_min_bytes` as two halves at once (0: every segment; `usize::MAX`: none), so
/// the two ways can be compared on small files.
#[doc(hidden)]
pub fn decode_eighth_with(jpeg: &[u8], two_halves_min_bytes: usize) -> Option<(u32, u32, Vec<u8>)> {
    crate::decode(jpeg, two_halves_min_bytes)
}

/// The width and height the first frame header declares, found by walking the segments up to
/// the first scan as a decoder does (written apart from the decoder, to check it).
#[doc(hidden)]
pub fn declared_size(jpeg: &[u8]) -> Option<(u32, u32)> {
    if jpeg.get(..2)? != [0xFF, 0xD8] {
        return None;
    }
    let mut pos = 2usize;
    loop {
        while *jpeg.get(pos)? != 0xFF {
            pos += 1;
        }
        while *jpeg.get(pos)? == 0xFF {
            pos += 1;
        }
        let marker = *jpeg.get(pos)?;
        pos += 1;
        match marker {
            0x01 | 0xD0..=0xD7 => continue,
            0xD9 | 0xDA => return None,
            _ => {}
        }
        let len = usize::from(u16::from_be_bytes([*jpeg.get(pos)?, *jpeg.get(pos + 1)?]));
        let seg = jpeg.get(pos + 2..pos + len)?;
        let is_sof = matches!(marker, 0xC0..=0xCF) && !matches!(marker, 0xC4 | 0xC8 | 0xCC);
        if is_sof {
            let h = u16::from_be_bytes([*seg.get(1)?, *seg.get(2)?]);
            let w = u16::from_be_bytes([*seg.get(3)?, *seg.get(4)?]);
            return Some((u32::from(w), u32::from(h)));
        }
        pos += len;
    }
}
