//! Two halves against one reader: needs the crate's private entry point and its count of
//! meetings, so these stay unit tests.

#[path = "../tests/support/mod.rs"]
mod support;

use crate::decode;
use crate::halves::{MEETINGS, TWO_HALVES_MIN_BYTES};
use support::writer::Picture;
use support::{mean_abs, noisy_jpeg, reference};

#[test]
fn two_halves_give_what_one_reader_gives() {
    let mut cases = vec![
        ("noisy 4:4:4 q90", noisy_jpeg(900, 700, 90)),
        ("noisy 4:4:4 q100", noisy_jpeg(640, 480, 100)),
    ];
    for (i, (name, sampling)) in [
        ("synthetic grey", &[(1, 1)][..]),
        ("synthetic 4:2:0", &[(2, 2), (1, 1), (1, 1)][..]),
        ("synthetic 4:2:2", &[(2, 1), (1, 1), (1, 1)][..]),
    ]
    .into_iter()
    .enumerate()
    {
        let picture = Picture::new(1200, 900, sampling).seed(99 + i as u32);
        cases.push((name, picture.baseline()));
    }
    for (name, jpeg) in cases {
        assert!(
            jpeg.len() > 2 * TWO_HALVES_MIN_BYTES,
            "{name}: {} bytes",
            jpeg.len()
        );
        let met = MEETINGS.with(|m| m.get());
        let two = decode(&jpeg, TWO_HALVES_MIN_BYTES).expect(name);
        assert_eq!(
            MEETINGS.with(|m| m.get()),
            met + 1,
            "{name}: the halves never met"
        );
        let one = decode(&jpeg, usize::MAX).expect(name);
        assert!(
            two == one,
            "{name}: two halves decode differently from one reader"
        );
        let (rw, rh, want) = reference(&jpeg);
        assert_eq!((two.0, two.1), (rw, rh), "{name}");
        let e = mean_abs(&two.2, &want);
        assert!(
            e <= 3.0,
            "{name}: mean abs difference {e} from jpeg-decoder"
        );
    }
}

#[test]
fn two_halves_agree_with_one_reader_on_damaged_data() {
    let jpeg = noisy_jpeg(900, 700, 90);
    let sos = jpeg.windows(2).rposition(|w| w == [0xFF, 0xDA]).unwrap();
    let data = sos + 20..jpeg.len() - 2;
    // Cut short at several places, including just after the middle of the data.
    for percent in [55, 70, 90, 99] {
        let cut = data.start + (data.end - data.start) * percent / 100;
        let short = &jpeg[..cut];
        assert!(
            decode(short, TWO_HALVES_MIN_BYTES) == decode(short, usize::MAX),
            "cut at {percent} %"
        );
    }
    // Damage before, at and after the middle, alone and together: a few fixed cases, then
    // pseudo-random ones.
    let len = data.end - data.start;
    let mut cases = vec![vec![10], vec![48, 50, 52], vec![75], vec![25, 60, 95]];
    let mut seed = 0x1234_5678u32;
    for _ in 0..12 {
        let spots = (0..1 + seed % 4)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 17;
                seed ^= seed << 5;
                (seed % 100) as usize
            })
            .collect();
        cases.push(spots);
    }
    for (i, spots) in cases.into_iter().enumerate() {
        let mut broken = jpeg.clone();
        for percent in spots {
            let at = data.start + len * percent / 100;
            broken[at] = if broken[at] == 0x5A { 0x3C } else { 0x5A };
        }
        assert!(
            decode(&broken, TWO_HALVES_MIN_BYTES) == decode(&broken, usize::MAX),
            "damage case {i}"
        );
    }
}
