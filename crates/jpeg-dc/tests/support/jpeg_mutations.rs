//! Structure-aware JPEG mutations for reelsmith-mutate: they parse a file's marker segments
//! and change what a decoder trusts (segment lengths, frame size, components and sampling
//! factors, scan component lists, Huffman counts, restart intervals and markers, segment order).

use reelsmith_mutate::{INTERESTING_U16, Rng, Seed};

use super::segments::{Part, is_sof, parse, write};

/// Applies one JPEG-aware mutation; `None` when `input` has nothing it applies to.
pub fn mutate_jpeg(input: &mut Vec<u8>, rng: &mut Rng, seeds: &[Seed]) -> Option<String> {
    let mut parts = parse(input);
    let what = match rng.below(14) {
        0 => segment_length(&mut parts, rng),
        1 => frame_size(&mut parts, rng),
        2 => frame_components(&mut parts, rng),
        3 => sampling(&mut parts, rng),
        4 => scan_components(&mut parts, rng),
        5 => huffman_counts(&mut parts, rng),
        6 => restart_interval(&mut parts, rng),
        7 => reorder(&mut parts, rng),
        8 => duplicate(&mut parts, rng),
        9 => remove(&mut parts, rng),
        10 => change_marker(&mut parts, rng),
        11 => restart_markers(&mut parts, rng),
        12 => damage_data(&mut parts, rng),
        _ => graft(&mut parts, rng, seeds),
    }?;
    *input = write(&parts);
    Some(what)
}

/// Indices of the segments whose marker passes `pick`.
fn segments(parts: &[Part], pick: impl Fn(u8) -> bool) -> Vec<usize> {
    (0..parts.len())
        .filter(|&i| matches!(parts[i], Part::Segment { marker, .. } if pick(marker)))
        .collect()
}

/// A random segment passing `pick`: its index, marker, length field and body.
fn one_segment<'a>(
    parts: &'a mut [Part],
    rng: &mut Rng,
    pick: impl Fn(u8) -> bool,
) -> Option<(usize, u8, &'a mut u16, &'a mut Vec<u8>)> {
    let i = *rng.pick(&segments(parts, pick))?;
    match &mut parts[i] {
        Part::Segment {
            marker,
            length,
            body,
        } => Some((i, *marker, length, body)),
        _ => None,
    }
}

fn interesting_u16(rng: &mut Rng) -> u16 {
    if rng.chance(25) {
        (rng.next_u64() >> 48) as u16
    } else {
        *rng.pick(&INTERESTING_U16).unwrap_or(&0)
    }
}

fn segment_length(parts: &mut [Part], rng: &mut Rng) -> Option<String> {
    let (i, marker, length, body) = one_segment(parts, rng, |_| true)?;
    let right = (body.len() as u16).wrapping_add(2);
    let new = match rng.below(5) {
        0 => right.wrapping_sub(1 + rng.below(4) as u16),
        1 => right.wrapping_add(1 + rng.below(4) as u16),
        2 => *rng.pick(&[0, 1, 2, 3]).unwrap_or(&0),
        _ => interesting_u16(rng),
    };
    *length = new;
    Some(format!("length of segment {i} (FF{marker:02X}) := {new}"))
}

fn frame_size(parts: &mut [Part], rng: &mut Rng) -> Option<String> {
    let (i, _, _, body) = one_segment(parts, rng, is_sof)?;
    let values = [0u16, 1, 7, 8, 9, 16, 255, 256, 2047, 20_000, 20_001, 65_535];
    let v = if rng.chance(30) {
        interesting_u16(rng)
    } else {
        *rng.pick(&values).unwrap_or(&0)
    };
    let (at, side) = if rng.chance(50) {
        (1, "height")
    } else {
        (3, "width")
    };
    body.get_mut(at..at + 2)?.copy_from_slice(&v.to_be_bytes());
    Some(format!("frame {side} of segment {i} := {v}"))
}

fn frame_components(parts: &mut [Part], rng: &mut Rng) -> Option<String> {
    let (i, _, length, body) = one_segment(parts, rng, is_sof)?;
    let n = *rng.pick(&[0u8, 1, 2, 3, 4, 5, 255]).unwrap_or(&0);
    *body.get_mut(5)? = n;
    // Half the time the component entries follow the count (and the length the body).
    if rng.chance(50) {
        body.truncate(6);
        for c in 0..n.min(8) {
            let hv = *rng.pick(&[0x11u8, 0x22, 0x21, 0x12]).unwrap_or(&0x11);
            body.extend_from_slice(&[c + 1, hv, rng.below(2) as u8]);
        }
        *length = (body.len() as u16).wrapping_add(2);
    }
    Some(format!("frame of segment {i} has {n} components"))
}

fn sampling(parts: &mut [Part], rng: &mut Rng) -> Option<String> {
    let (i, _, _, body) = one_segment(parts, rng, is_sof)?;
    let n = usize::from(*body.get(5)?).min(body.len().saturating_sub(6) / 3);
    let c = rng.below(n);
    let values = [
        0x11u8, 0x22, 0x21, 0x12, 0x41, 0x14, 0x44, 0x33, 0x00, 0xFF, 0x10, 0x01,
    ];
    let field = rng.below(3);
    let v = match field {
        0 => rng.byte(),
        1 => *rng.pick(&values).unwrap_or(&0x11),
        _ => rng.below(6) as u8,
    };
    // Field 2 is the quantisation table, the others the sampling factors.
    let at = 6 + c * 3 + if field == 2 { 2 } else { 1 };
    *body.get_mut(at)? = v;
    let name = if field == 2 { "table" } else { "sampling" };
    Some(format!("component {c} {name} in segment {i} := {v:#04x}"))
}

fn scan_components(parts: &mut [Part], rng: &mut Rng) -> Option<String> {
    let (i, _, length, body) = one_segment(parts, rng, |m| m == 0xDA)?;
    let what = match rng.below(5) {
        0 => {
            let n = rng.below(7) as u8;
            *body.get_mut(0)? = n;
            format!("scan {i} declares {n} components")
        }
        1 => {
            // Repeat an entry, keeping count and length right.
            let n = usize::from(*body.first()?);
            let e = rng.below(n);
            let entry = body.get(1 + e * 2..3 + e * 2)?.to_vec();
            if body.len() < 1 + n * 2 {
                return None;
            }
            body.splice(1 + n * 2..1 + n * 2, entry);
            body[0] = body[0].wrapping_add(1);
            *length = (body.len() as u16).wrapping_add(2);
            format!("scan {i} repeats its component entry {e}")
        }
        2 => {
            let n = usize::from(*body.first()?);
            let at = 1 + rng.below(n) * 2;
            let id = if rng.chance(50) {
                rng.between(0, 4) as u8
            } else {
                rng.byte()
            };
            *body.get_mut(at)? = id;
            format!("scan {i} component at {at} := id {id}")
        }
        3 => {
            let n = usize::from(*body.first()?);
            let at = 2 + rng.below(n) * 2;
            let v = if rng.chance(50) {
                rng.byte()
            } else {
                (rng.below(5) as u8) * 0x11
            };
            *body.get_mut(at)? = v;
            format!("scan {i} tables at {at} := {v:#04x}")
        }
        _ => {
            let at = body.len().checked_sub(1 + rng.below(3))?;
            let v = *rng.pick(&[0u8, 1, 63, 64, 0x10, 0x01, 0xFF]).unwrap_or(&0);
            body[at] = v;
            format!("scan {i} spectral/approximation byte {at} := {v}")
        }
    };
    Some(what)
}

fn huffman_counts(parts: &mut [Part], rng: &mut Rng) -> Option<String> {
    let (i, _, _, body) = one_segment(parts, rng, |m| m == 0xC4)?;
    if rng.chance(25) {
        let v = *rng
            .pick(&[0x00u8, 0x01, 0x10, 0x11, 0x02, 0x13, 0x14, 0x20])
            .unwrap_or(&0);
        *body.get_mut(0)? = v;
        return Some(format!("huffman segment {i} class/id := {v:#04x}"));
    }
    let at = 1 + rng.below(16);
    let old = *body.get(at)?;
    let v = match rng.below(4) {
        0 => old.wrapping_add(1),
        1 => old.wrapping_sub(1),
        2 => *rng.pick(&[0u8, 1, 2, 16, 255]).unwrap_or(&0),
        _ => rng.byte(),
    };
    body[at] = v;
    Some(format!("huffman segment {i} count of length {at} := {v}"))
}

fn restart_interval(parts: &mut Vec<Part>, rng: &mut Rng) -> Option<String> {
    let v = *rng.pick(&[0u16, 1, 2, 3, 7, 0xFFFF]).unwrap_or(&0);
    if let Some((i, _, _, body)) = one_segment(parts, rng, |m| m == 0xDD) {
        body.clear();
        body.extend_from_slice(&v.to_be_bytes());
        return Some(format!("restart interval of segment {i} := {v}"));
    }
    let at = *rng.pick(&segments(parts, |m| m == 0xDA))?;
    parts.insert(at, Part::segment(0xDD, v.to_be_bytes().to_vec()));
    Some(format!("restart interval {v} inserted at part {at}"))
}

fn reorder(parts: &mut [Part], rng: &mut Rng) -> Option<String> {
    if parts.len() < 3 {
        return None;
    }
    // Not the SOI: files that do not start with one are refused at once.
    let (a, b) = (
        rng.between(1, parts.len() - 1),
        rng.between(1, parts.len() - 1),
    );
    parts.swap(a, b);
    Some(format!("swap parts {a} and {b}"))
}

fn duplicate(parts: &mut Vec<Part>, rng: &mut Rng) -> Option<String> {
    if parts.len() < 2 {
        return None;
    }
    // Mostly the segments a decoder keeps state from, a scan with its data.
    let kinds = segments(parts, |m| {
        is_sof(m) || matches!(m, 0xDA | 0xC4 | 0xDB | 0xDD)
    });
    let from = match rng.pick(&kinds) {
        Some(&i) if rng.chance(75) => i,
        _ => rng.between(1, parts.len() - 1),
    };
    let mut copy = vec![parts[from].clone()];
    if parts[from].marker() == Some(0xDA)
        && let Some(data @ Part::Data(_)) = parts.get(from + 1)
    {
        copy.push(data.clone());
    }
    let to = rng.between(1, parts.len());
    parts.splice(to..to, copy);
    Some(format!("copy part {from} to {to}"))
}

fn remove(parts: &mut Vec<Part>, rng: &mut Rng) -> Option<String> {
    if parts.len() < 2 {
        return None;
    }
    let at = rng.between(1, parts.len() - 1);
    parts.remove(at);
    Some(format!("remove part {at}"))
}

fn change_marker(parts: &mut [Part], rng: &mut Rng) -> Option<String> {
    let (i, old, _, _) = one_segment(parts, rng, |_| true)?;
    let choices = [
        0xC0u8, 0xC1, 0xC2, 0xC3, 0xC4, 0xC9, 0xDA, 0xDB, 0xDD, 0xE0, 0xEE, 0xFE,
    ];
    let new = if rng.chance(20) {
        rng.byte().max(0xC0)
    } else {
        *rng.pick(&choices).unwrap_or(&0xC0)
    };
    if let Part::Segment { marker, .. } = &mut parts[i] {
        *marker = new;
    }
    Some(format!("segment {i} marker FF{old:02X} := FF{new:02X}"))
}

fn restart_markers(parts: &mut Vec<Part>, rng: &mut Rng) -> Option<String> {
    let rsts: Vec<usize> = (0..parts.len())
        .filter(|&i| matches!(parts[i], Part::Marker(0xD0..=0xD7)))
        .collect();
    match (rng.below(3), rng.pick(&rsts).copied()) {
        (0, Some(i)) => {
            let n = rng.below(8) as u8;
            parts[i] = Part::Marker(0xD0 + n);
            Some(format!("restart marker at part {i} := RST{n}"))
        }
        (1, Some(i)) => {
            parts.remove(i);
            Some(format!("remove restart marker at part {i}"))
        }
        _ => {
            let data: Vec<usize> = (0..parts.len())
                .filter(|&i| matches!(&parts[i], Part::Data(d) if d.len() > 1))
                .collect();
            let i = *rng.pick(&data)?;
            let Part::Data(d) = parts[i].clone() else {
                return None;
            };
            let at = rng.between(1, d.len() - 1);
            let n = rng.below(8) as u8;
            let (head, tail) = d.split_at(at);
            parts.splice(
                i..=i,
                [
                    Part::Data(head.to_vec()),
                    Part::Marker(0xD0 + n),
                    Part::Data(tail.to_vec()),
                ],
            );
            Some(format!("RST{n} inserted at byte {at} of part {i}"))
        }
    }
}

fn damage_data(parts: &mut [Part], rng: &mut Rng) -> Option<String> {
    let data: Vec<usize> = (0..parts.len())
        .filter(|&i| matches!(&parts[i], Part::Data(d) if !d.is_empty()))
        .collect();
    let i = *rng.pick(&data)?;
    let Part::Data(d) = &mut parts[i] else {
        return None;
    };
    let at = rng.below(d.len());
    Some(match rng.below(3) {
        0 => {
            d.truncate(at);
            format!("data part {i} cut to {at} bytes")
        }
        1 => {
            let n = rng.between(1, (d.len() - at).min(64));
            d[at..at + n].fill(0);
            format!("data part {i}: {n} zero bytes at {at}")
        }
        _ => {
            let n = rng.between(1, (d.len() - at).min(64));
            let v = rng.byte();
            // Stuffed 0xFF bytes would become markers; keep the bytes data.
            d[at..at + n].fill(if v == 0xFF { 0xFE } else { v });
            format!("data part {i}: {n} bytes of {v:#04x} at {at}")
        }
    })
}

/// Inserts a segment of another seed, so headers of one layout meet data of another.
fn graft(parts: &mut Vec<Part>, rng: &mut Rng, seeds: &[Seed]) -> Option<String> {
    if parts.is_empty() {
        return None;
    }
    let seed = rng.pick(seeds)?;
    let theirs = parse(&seed.bytes);
    let pick = *rng.pick(&segments(&theirs, |_| true))?;
    let to = rng.between(1, parts.len());
    let mut graft = vec![theirs[pick].clone()];
    if theirs[pick].marker() == Some(0xDA)
        && let Some(data @ Part::Data(_)) = theirs.get(pick + 1)
    {
        graft.push(data.clone());
    }
    parts.splice(to..to, graft);
    Some(format!("graft part {pick} of seed {:?} at {to}", seed.name))
}
