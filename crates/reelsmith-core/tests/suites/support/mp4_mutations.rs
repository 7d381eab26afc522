//! Structure-aware mutations of MP4 files: box sizes (0, 1 with a 64-bit size, below the
//! header, past the parent), types, nesting (removed, duplicated, moved, zero-size boxes
//! inserted), sample-table counts and entries, and cuts at box boundaries.

use reelsmith_core::fuzzing::mp4::{BoxAt, boxes, get_u32, insert_into, put_u32, remove_box};
use reelsmith_mutate::{Rng, Seed};

/// Types worth swapping in: containers the crate descends into, tables, and skipped ones.
const TYPES: [&[u8; 4]; 16] = [
    b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd", b"avc1", b"avcC", b"stsz", b"stco",
    b"co64", b"stsc", b"stts", b"meta", b"free", b"mdat",
];

/// The offset of a table box's entry count, for the tables the walk checks.
fn count_field(b: &BoxAt) -> Option<usize> {
    match &b.kind {
        b"stsz" => Some(b.payload() + 8),
        b"stco" | b"co64" | b"stts" | b"stsc" | b"ctts" | b"stss" | b"stsd" | b"dref" => {
            Some(b.payload() + 4)
        }
        _ => None,
    }
}

fn pick(rng: &mut Rng, all: &[BoxAt], want: impl Fn(&BoxAt) -> bool) -> Option<usize> {
    let candidates: Vec<usize> = (0..all.len()).filter(|&i| want(&all[i])).collect();
    rng.pick(&candidates).copied()
}

/// One structure-aware mutation (see the module comment); `None` when the input has no boxes.
pub fn mutate_mp4(input: &mut Vec<u8>, rng: &mut Rng, _seeds: &[Seed]) -> Option<String> {
    let all = boxes(input);
    if all.is_empty() {
        return None;
    }
    let i = rng.below(all.len());
    let b = all[i];
    let name = String::from_utf8_lossy(&b.kind).into_owned();
    Some(match rng.below(10) {
        0 => {
            let size = (b.end - b.start) as u32;
            let size = size.min(u32::MAX - 8);
            let room = b
                .parent
                .map_or(input.len(), |p| all[p].end)
                .saturating_sub(b.start) as u32;
            let v = *rng
                .pick(&[
                    0,
                    1,
                    2,
                    7,
                    8,
                    size - 1,
                    size + 1,
                    size + 8,
                    room,
                    room.saturating_add(1),
                    u32::MAX,
                ])
                .unwrap_or(&0);
            put_u32(input, b.start, v);
            format!("{name} size := {v}")
        }
        1 if b.header_len == 8 => {
            let size = (b.end - b.start) as u64;
            let large = *rng.pick(&[size + 8, 0, 8, 15, 16, u64::MAX]).unwrap_or(&0);
            // The 8 bytes go in first (the box list is still the unmodified file's), then the
            // 32-bit size says "64-bit size follows".
            match b.parent {
                Some(p) => insert_into(input, p, b.start + 8, &large.to_be_bytes()),
                None => {
                    input.splice(b.start + 8..b.start + 8, large.to_be_bytes());
                }
            }
            put_u32(input, b.start, 1);
            format!("{name} as a 64-bit size {large}")
        }
        2 => {
            let t = **rng.pick(&TYPES).unwrap_or(&b"free");
            input[b.start + 4..b.start + 8].copy_from_slice(&t);
            format!("{name} type := {}", String::from_utf8_lossy(&t))
        }
        3 | 4 => {
            let t = pick(rng, &all, |b| {
                count_field(b).is_some_and(|at| at + 4 <= b.end)
            })?;
            let at = count_field(&all[t])?;
            let count = get_u32(input, at);
            let v = *rng
                .pick(&[
                    0,
                    1,
                    count.wrapping_sub(1),
                    count.wrapping_add(1),
                    1 << 19,
                    (1 << 19) + 1,
                    u32::MAX,
                ])
                .unwrap_or(&0);
            put_u32(input, at, v);
            format!("{} count := {v}", String::from_utf8_lossy(&all[t].kind))
        }
        5 => {
            let t = pick(rng, &all, |b| {
                count_field(b).is_some() && b.end - b.payload() > 12
            })?;
            let tb = all[t];
            let slots = (tb.end - tb.payload() - 8) / 4;
            let at = tb.payload() + 8 + 4 * rng.below(slots.max(1));
            let len = input.len() as u32;
            let v = *rng
                .pick(&[0, 1, u32::MAX, 0xFFFF_FFF0, len, len - 1, 1 << 25])
                .unwrap_or(&0);
            if at + 4 <= tb.end {
                put_u32(input, at, v);
            }
            format!("{} entry at {at} := {v}", String::from_utf8_lossy(&tb.kind))
        }
        6 => {
            remove_box(input, i);
            format!("remove {name}")
        }
        7 => {
            let copy = input[b.start..b.end].to_vec();
            match b.parent {
                Some(p) => insert_into(input, p, b.end, &copy),
                None => {
                    input.splice(b.end..b.end, copy);
                }
            }
            format!("duplicate {name}")
        }
        8 => {
            let c = pick(rng, &all, |b| {
                reelsmith_core::fuzzing::mp4::children_offset(&b.kind).is_some()
            })?;
            let at = all[c].end;
            let what = if rng.chance(50) {
                b"\0\0\0\0free".to_vec()
            } else {
                // A box moved in from elsewhere (a copy; its original stays).
                input[b.start..b.end].to_vec()
            };
            insert_into(input, c, at, &what);
            format!(
                "insert {} bytes into {}",
                what.len(),
                String::from_utf8_lossy(&all[c].kind)
            )
        }
        _ => {
            let cut = if rng.chance(50) {
                b.end
            } else {
                b.start + rng.below(b.end - b.start)
            };
            input.truncate(cut);
            format!("cut at {cut}")
        }
    })
}
