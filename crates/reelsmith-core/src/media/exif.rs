//! Just enough EXIF to find the orientation tag: the TIFF header and the first IFD.
//!
//! A full EXIF library would be overkill; the orientation lives in IFD0, a few bytes in.

use super::orientation::Orientation;

/// The prefix of a JPEG APP1 segment that carries EXIF.
pub const EXIF_APP1_PREFIX: &[u8] = b"Exif\0\0";

const ORIENTATION_TAG: u16 = 0x0112;
const TYPE_SHORT: u16 = 3;

/// Reads the orientation from a TIFF-structured EXIF block (starting at "II*\0" or "MM\0*").
///
/// Returns `None` when the block is malformed or has no (valid) orientation tag: a broken
/// EXIF block must never make a good picture unusable.
pub fn orientation_from_tiff(tiff: &[u8]) -> Option<Orientation> {
    let big_endian = match tiff.get(0..4)? {
        [b'I', b'I', 42, 0] => false,
        [b'M', b'M', 0, 42] => true,
        _ => return None,
    };
    let u16_at = |at: usize| -> Option<u16> {
        let b: [u8; 2] = tiff.get(at..at + 2)?.try_into().ok()?;
        Some(if big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    };
    let u32_at = |at: usize| -> Option<u32> {
        let b: [u8; 4] = tiff.get(at..at + 4)?.try_into().ok()?;
        Some(if big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    };
    let ifd = u32_at(4)? as usize;
    let count = u16_at(ifd)? as usize;
    for i in 0..count {
        let entry = ifd + 2 + i * 12;
        if u16_at(entry)? != ORIENTATION_TAG {
            continue;
        }
        if u16_at(entry + 2)? != TYPE_SHORT {
            return None;
        }
        // A SHORT value sits left-aligned in the 4-byte value field.
        let value = u16_at(entry + 8)?;
        return Orientation::from_exif(value);
    }
    None
}

/// Builds a minimal EXIF block (TIFF, little-endian, one IFD) holding only an orientation tag.
///
/// Used by tests and by anything that wants to tag a picture it writes.
pub fn tiff_with_orientation(value: u16) -> Vec<u8> {
    let mut t = Vec::with_capacity(26);
    t.extend_from_slice(b"II");
    t.extend_from_slice(&42u16.to_le_bytes());
    t.extend_from_slice(&8u32.to_le_bytes()); // IFD0 right after the header
    t.extend_from_slice(&1u16.to_le_bytes()); // one entry
    t.extend_from_slice(&ORIENTATION_TAG.to_le_bytes());
    t.extend_from_slice(&TYPE_SHORT.to_le_bytes());
    t.extend_from_slice(&1u32.to_le_bytes()); // count
    t.extend_from_slice(&value.to_le_bytes());
    t.extend_from_slice(&[0, 0]); // padding of the 4-byte value field
    t.extend_from_slice(&0u32.to_le_bytes()); // no next IFD
    t
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_back_every_orientation_in_both_byte_orders() {
        for v in 1..=8u16 {
            let le = tiff_with_orientation(v);
            assert_eq!(orientation_from_tiff(&le).map(|o| o.exif_value()), Some(v));
            // Same block in Motorola order.
            let mut be = vec![
                b'M', b'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1,
            ];
            be.extend_from_slice(&v.to_be_bytes());
            be.extend_from_slice(&[0, 0, 0, 0, 0, 0]);
            assert_eq!(orientation_from_tiff(&be).map(|o| o.exif_value()), Some(v));
        }
    }

    #[test]
    fn malformed_blocks_give_none_not_a_panic() {
        assert_eq!(orientation_from_tiff(b""), None);
        assert_eq!(orientation_from_tiff(b"II*\0\xff\xff\xff\xff"), None);
        assert_eq!(orientation_from_tiff(&tiff_with_orientation(9)), None);
        let full = tiff_with_orientation(6);
        for cut in 0..full.len() - 6 {
            let _ = orientation_from_tiff(&full[..cut]);
        }
    }
}
