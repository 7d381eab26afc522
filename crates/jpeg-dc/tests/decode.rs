//! The decoder against jpeg-decoder's own 1/8-scale decode, and what it declines.

mod support;

use jpeg_dc::decode_eighth;
use support::writer::Picture;
use support::{gradient_jpeg, mean_abs, reference};

#[test]
fn matches_jpeg_decoder_for_all_samplings_with_and_without_restarts() {
    let cases: [(&[(usize, usize)], usize); 6] = [
        (&[(1, 1)], 0),
        (&[(1, 1)], 3),
        (&[(1, 1), (1, 1), (1, 1)], 0),
        (&[(2, 2), (1, 1), (1, 1)], 0),
        (&[(2, 2), (1, 1), (1, 1)], 5),
        (&[(2, 1), (1, 1), (1, 1)], 7),
    ];
    for (i, (sampling, restart)) in cases.into_iter().enumerate() {
        for separate in [false, true] {
            let mut picture = Picture::new(100, 60, sampling)
                .restart(restart)
                .seed(0x1234_5678 + i as u32);
            if separate {
                picture = picture.separate_scans();
            }
            let jpeg = picture.baseline();
            let (rw, rh, want) = reference(&jpeg);
            let (w, h, got) = decode_eighth(&jpeg).expect("handled");
            assert_eq!((w, h), (rw, rh), "case {i}");
            assert_eq!((w, h), (13, 8), "case {i}");
            let e = mean_abs(&got, &want);
            // Grey and 4:4:4 agree up to rounding (we round the DC, jpeg-decoder truncates);
            // subsampled chroma is also upsampled differently (nearest here, interpolated
            // there).
            let limit = if sampling[0] == (1, 1) { 2.0 } else { 3.0 };
            println!("case {i}, separate scans {separate}: mean abs difference {e:.2}");
            assert!(e <= limit, "case {i}: mean abs difference {e}");
        }
    }
}

#[test]
fn matches_jpeg_decoder_on_real_encoder_output() {
    for quality in [50u8, 90, 100] {
        let jpeg = gradient_jpeg(333, 251, quality);
        let (rw, rh, want) = reference(&jpeg);
        let (w, h, got) = decode_eighth(&jpeg).expect("handled");
        assert_eq!((w, h), (rw, rh));
        let e = mean_abs(&got, &want);
        assert!(e <= 2.0, "quality {quality}: mean abs difference {e}");
    }
}

#[test]
fn declines_what_it_does_not_handle_and_survives_garbage() {
    let jpeg = Picture::new(64, 64, &[(1, 1)]).seed(7).baseline();
    // Progressive frame header.
    let mut progressive = jpeg.clone();
    let sof = progressive
        .windows(2)
        .position(|w| w == [0xFF, 0xC0])
        .unwrap();
    progressive[sof + 1] = 0xC2;
    assert!(decode_eighth(&progressive).is_none());
    assert!(decode_eighth(b"not a jpeg").is_none());
    // Every truncation and a few corruptions terminate without panicking.
    for cut in (0..jpeg.len()).step_by(7) {
        let _ = decode_eighth(&jpeg[..cut]);
    }
    let mut broken = jpeg.clone();
    for i in (200..broken.len() - 2).step_by(13) {
        broken[i] ^= 0x5A;
    }
    let _ = decode_eighth(&broken);
}
