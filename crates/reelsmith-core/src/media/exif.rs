//! Just enough EXIF to find the orientation tag: the TIFF header and the first IFD.
//!
//! A full EXIF library would be overkill; the orientation lives in IFD0, a few bytes in.

use super::orientation::Orientation;

/// The prefix of a JPEG APP1 segment that carries EXIF.
pub const EXIF_APP1_PREFIX: &[u8] = b"Exif\0\0";

const ORIENTATION_TAG: u16 = 0x0112;
const TYPE_SHORT: u16 = 3;

/// Most directories (IFDs) one EXIF block may chain together.
const MAX_IFDS: usize = 64;
/// Tags whose value points at a sub-directory: Exif, GPS and Interoperability.
const SUB_IFD_TAGS: [u16; 3] = [0x8769, 0x8825, 0xA005];

/// A TIFF block's integers in its byte order.
struct Tiff<'a> {
    bytes: &'a [u8],
    big_endian: bool,
}

impl<'a> Tiff<'a> {
    /// `None` unless `bytes` starts with a TIFF header ("II*\0" or "MM\0*").
    fn new(bytes: &'a [u8]) -> Option<Tiff<'a>> {
        let big_endian = match bytes.get(0..4)? {
            [b'I', b'I', 42, 0] => false,
            [b'M', b'M', 0, 42] => true,
            _ => return None,
        };
        Some(Tiff { bytes, big_endian })
    }

    fn u16_at(&self, at: usize) -> Option<u16> {
        let b: [u8; 2] = self.bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
        Some(if self.big_endian {
            u16::from_be_bytes(b)
        } else {
            u16::from_le_bytes(b)
        })
    }

    fn u32_at(&self, at: usize) -> Option<u32> {
        let b: [u8; 4] = self.bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
        Some(if self.big_endian {
            u32::from_be_bytes(b)
        } else {
            u32::from_le_bytes(b)
        })
    }
}

/// Reads the orientation from a TIFF-structured EXIF block (starting at "II*\0" or "MM\0*").
///
/// Returns `None` when the block is malformed or has no (valid) orientation tag: a broken
/// EXIF block must never make a good picture unusable. Only the first directory is read.
pub fn orientation_from_tiff(tiff: &[u8]) -> Option<Orientation> {
    let t = Tiff::new(tiff)?;
    let ifd = t.u32_at(4)? as usize;
    let count = t.u16_at(ifd)? as usize;
    for i in 0..count {
        let entry = ifd.checked_add(2 + i * 12)?;
        if t.u16_at(entry)? != ORIENTATION_TAG {
            continue;
        }
        if t.u16_at(entry + 2)? != TYPE_SHORT {
            return None;
        }
        // A SHORT value sits left-aligned in the 4-byte value field.
        let value = t.u16_at(entry + 8)?;
        return Orientation::from_exif(value);
    }
    None
}

/// Checks how an EXIF block's directories link up: the chain from the first one ("next
/// directory") and the Exif, GPS and Interoperability sub-directories. Directories that point
/// back at one another would make any reader that follows them loop (the model's loader reads
/// them to turn the picture upright), so they are an error; links past the block's end are
/// where a reader stops, and are ignored. A block that is not TIFF at all is not looked at.
pub fn check_tiff(tiff: &[u8]) -> Result<(), &'static str> {
    let Some(t) = Tiff::new(tiff) else {
        return Ok(());
    };
    let mut pending: Vec<u32> = t.u32_at(4).into_iter().collect();
    let mut seen: Vec<u32> = Vec::new();
    while let Some(offset) = pending.pop() {
        if offset == 0 {
            continue;
        }
        if seen.contains(&offset) {
            return Err("its EXIF directories point back at each other");
        }
        seen.push(offset);
        if seen.len() > MAX_IFDS {
            return Err("its EXIF metadata chains too many directories");
        }
        let at = offset as usize;
        let Some(count) = t.u16_at(at) else {
            continue;
        };
        let mut complete = true;
        for i in 0..usize::from(count) {
            let entry = at + 2 + i * 12;
            let Some(tag) = t.u16_at(entry) else {
                complete = false;
                break;
            };
            if SUB_IFD_TAGS.contains(&tag)
                && let Some(sub) = t.u32_at(entry + 8)
            {
                pending.push(sub);
            }
        }
        if complete && let Some(next) = t.u32_at(at + 2 + usize::from(count) * 12) {
            pending.push(next);
        }
    }
    Ok(())
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
    fn directories_that_loop_are_refused_and_a_plain_block_passes() {
        assert_eq!(check_tiff(&tiff_with_orientation(6)), Ok(()));
        assert!(check_tiff(&crate::fuzzing::crafted::exif_loop()).is_err());
        // Next directory pointing past the end: where a reader stops.
        let mut past = tiff_with_orientation(1);
        let n = past.len();
        past[n - 4..].copy_from_slice(&9999u32.to_le_bytes());
        assert_eq!(check_tiff(&past), Ok(()));
        assert_eq!(check_tiff(b"not tiff"), Ok(()));
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
