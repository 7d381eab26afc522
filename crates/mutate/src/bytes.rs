//! Generic byte mutations: they know nothing of the format, so they find what structure-aware
//! ones would not think of (and break structure the parser relies on).

use crate::{Rng, Seed};

/// Single bytes worth trying: the extremes and the sign boundary.
pub const INTERESTING_U8: [u8; 4] = [0x00, 0xFF, 0x7F, 0x80];

/// 16-bit values worth trying (written big-endian): zero, one, the byte and sign boundaries,
/// and the largest values.
pub const INTERESTING_U16: [u16; 10] = [
    0x0000, 0x0001, 0x007F, 0x0080, 0x00FF, 0x0100, 0x7FFF, 0x8000, 0xFFFE, 0xFFFF,
];

/// Applies one generic mutation to `input`, keeping it at most `max_len` bytes; `seeds` are
/// what a splice may copy from. Returns what it did.
pub fn mutate_bytes(input: &mut Vec<u8>, rng: &mut Rng, seeds: &[Seed], max_len: usize) -> String {
    let len = input.len();
    // Only growing mutations make sense on an empty input.
    let op = if len == 0 {
        if seeds.is_empty() || rng.chance(50) {
            4
        } else {
            7
        }
    } else {
        rng.below(9)
    };
    let at = rng.below(len);
    let what = match op {
        0 => {
            let bit = rng.below(8);
            input[at] ^= 1 << bit;
            format!("flip bit {bit} of byte {at}")
        }
        1 => {
            let v = rng.byte();
            input[at] = v;
            format!("byte {at} := {v:#04x}")
        }
        2 => {
            let v = *rng.pick(&INTERESTING_U8).unwrap_or(&0);
            input[at] = v;
            format!("byte {at} := {v:#04x}")
        }
        3 if len >= 2 => {
            let at = rng.below(len - 1);
            let v = *rng.pick(&INTERESTING_U16).unwrap_or(&0);
            input[at..at + 2].copy_from_slice(&v.to_be_bytes());
            format!("u16 at {at} := {v:#06x}")
        }
        4 => {
            let at = rng.between(0, len);
            let n = rng.between(1, 16);
            let bytes: Vec<u8> = (0..n).map(|_| rng.byte()).collect();
            input.splice(at..at, bytes);
            format!("insert {n} random bytes at {at}")
        }
        5 => {
            let n = rng.between(1, (len - at).min(64));
            input.drain(at..at + n);
            format!("delete {n} bytes at {at}")
        }
        6 => {
            let n = rng.between(1, (len - at).min(256));
            let to = rng.between(0, len);
            let copy = input[at..at + n].to_vec();
            input.splice(to..to, copy);
            format!("duplicate {n} bytes from {at} at {to}")
        }
        7 => splice(input, rng, seeds),
        _ => {
            input.truncate(at);
            format!("truncate to {at} bytes")
        }
    };
    input.truncate(max_len);
    what
}

/// Copies a run of bytes from a random seed over or into `input`.
fn splice(input: &mut Vec<u8>, rng: &mut Rng, seeds: &[Seed]) -> String {
    let Some(seed) = rng.pick(seeds) else {
        return "splice: no seeds".into();
    };
    let from = rng.below(seed.bytes.len());
    let n = rng.between(1, (seed.bytes.len() - from.min(seed.bytes.len())).min(256));
    let chunk = seed.bytes.get(from..from + n).unwrap_or(&[]).to_vec();
    let at = rng.between(0, input.len());
    if rng.chance(50) {
        let end = (at + chunk.len()).min(input.len());
        input.splice(at..end, chunk);
        format!(
            "overwrite from {at} with {n} bytes of seed {:?} at {from}",
            seed.name
        )
    } else {
        input.splice(at..at, chunk);
        format!("insert at {at} {n} bytes of seed {:?} at {from}", seed.name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mutation_keeps_to_the_length_and_says_what_it_did() {
        let seeds = vec![Seed::new("s", (0..=255).collect())];
        for case in 0..2000 {
            let mut rng = Rng::new(case);
            let mut input: Vec<u8> = (0..rng.below(40) as u8).collect();
            let what = mutate_bytes(&mut input, &mut rng, &seeds, 48);
            assert!(input.len() <= 48, "case {case}: {what}");
            assert!(!what.is_empty());
        }
    }

    #[test]
    fn empty_inputs_grow() {
        let seeds = vec![Seed::new("s", vec![1, 2, 3])];
        for case in 0..50 {
            let mut input = Vec::new();
            mutate_bytes(&mut input, &mut Rng::new(case), &seeds, 100);
            assert!(!input.is_empty(), "case {case}");
        }
    }
}
