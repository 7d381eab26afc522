//! Structure-aware mutations of pictures: JPEG segments (lengths, frame sizes, removed or
//! duplicated segments, hostile EXIF), PNG chunks (lengths, IHDR sizes, CRCs) and WebP RIFF
//! chunks (lengths, canvas sizes).

use reelsmith_core::fuzzing::crafted;
use reelsmith_mutate::{Rng, Seed};

/// A length-prefixed part of a picture: where its length field is, how wide, and its extent.
struct Part {
    /// Offset of the part's first byte.
    start: usize,
    /// Offset just past it.
    end: usize,
    /// Offset of its length field.
    len_at: usize,
    /// Its kind (JPEG marker, or PNG/RIFF chunk type).
    kind: [u8; 4],
}

fn jpeg_parts(b: &[u8]) -> Vec<Part> {
    let mut out = Vec::new();
    let mut at = 2;
    while at + 4 <= b.len() && b[at] == 0xFF {
        let marker = b[at + 1];
        if marker == 0xD9 || (0xD0..=0xD7).contains(&marker) {
            break;
        }
        let len = usize::from(u16::from_be_bytes([b[at + 2], b[at + 3]]));
        let end = (at + 2 + len).min(b.len());
        out.push(Part {
            start: at,
            end,
            len_at: at + 2,
            kind: [0xFF, marker, 0, 0],
        });
        if marker == 0xDA || len < 2 {
            break;
        }
        at = end;
    }
    out
}

fn png_parts(b: &[u8]) -> Vec<Part> {
    let mut out = Vec::new();
    let mut at = 8;
    while at + 12 <= b.len() {
        let len = u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize;
        let end = at.saturating_add(12).saturating_add(len).min(b.len());
        out.push(Part {
            start: at,
            end,
            len_at: at,
            kind: [b[at + 4], b[at + 5], b[at + 6], b[at + 7]],
        });
        at = end;
    }
    out
}

fn riff_parts(b: &[u8]) -> Vec<Part> {
    let mut out = Vec::new();
    let mut at = 12;
    while at + 8 <= b.len() {
        let len = u32::from_le_bytes([b[at + 4], b[at + 5], b[at + 6], b[at + 7]]) as usize;
        let end = at
            .saturating_add(8)
            .saturating_add(len + (len & 1))
            .min(b.len());
        out.push(Part {
            start: at,
            end,
            len_at: at + 4,
            kind: [b[at], b[at + 1], b[at + 2], b[at + 3]],
        });
        at = end;
    }
    out
}

/// One structure-aware mutation; `None` for an input of no known format.
pub fn mutate_image(input: &mut Vec<u8>, rng: &mut Rng, _seeds: &[Seed]) -> Option<String> {
    let (parts, big_endian, width) = if input.starts_with(&[0xFF, 0xD8]) {
        (jpeg_parts(input), true, 2)
    } else if input.starts_with(b"\x89PNG") {
        (png_parts(input), true, 4)
    } else if input.starts_with(b"RIFF") {
        (riff_parts(input), false, 4)
    } else {
        return None;
    };
    let p = rng.pick(&parts)?;
    let (start, end, len_at, kind) = (p.start, p.end, p.len_at, p.kind);
    let size = (end - start) as u64;
    Some(match rng.below(6) {
        0 => {
            let v = *rng
                .pick(&[
                    0u64,
                    1,
                    2,
                    size.saturating_sub(1),
                    size + 1,
                    0xFFFF,
                    0xFFFF_FFFF,
                ])
                .unwrap_or(&0);
            let bytes = if width == 2 {
                (v as u16).to_be_bytes().to_vec()
            } else if big_endian {
                (v as u32).to_be_bytes().to_vec()
            } else {
                (v as u32).to_le_bytes().to_vec()
            };
            input[len_at..len_at + width].copy_from_slice(&bytes);
            format!("length of {kind:?} := {v}")
        }
        1 => {
            input.drain(start..end);
            format!("remove {kind:?}")
        }
        2 => {
            let copy = input[start..end].to_vec();
            input.splice(end..end, copy);
            format!("duplicate {kind:?}")
        }
        3 => {
            // Sizes: JPEG SOF height/width, PNG IHDR, WebP VP8X canvas.
            let v = *rng
                .pick(&[0u32, 1, 20_000, 20_001, 65_535, 0x7FFF_FFFF])
                .unwrap_or(&0);
            let at = match (kind, width) {
                ([0xFF, 0xC0..=0xC3, ..], 2) => start + 5,
                (k, 4) if &k == b"IHDR" => start + 8 + 4 * rng.below(2),
                (k, 4) if &k == b"VP8X" => start + 12,
                _ => return None,
            };
            let n = if width == 2 { 2 } else { 4 };
            if at + n <= input.len() {
                let bytes = if width == 2 {
                    (v as u16).to_be_bytes().to_vec()
                } else if big_endian {
                    v.to_be_bytes().to_vec()
                } else {
                    v.to_le_bytes()[..4].to_vec()
                };
                input[at..at + n].copy_from_slice(&bytes);
            }
            format!("a size in {kind:?} := {v}")
        }
        4 if width == 2 => {
            *input = crafted::jpeg_with_exif(input, &crafted::exif_loop());
            "insert a looping EXIF block".into()
        }
        _ => {
            let cut = start + rng.below((end - start).max(1));
            input.truncate(cut);
            format!("cut inside {kind:?} at {cut}")
        }
    })
}
