//! The picture header probe (JPEG segments, PNG chunks, WebP RIFF, EXIF inside each) on
//! arbitrary bytes: no panic, no hang, and what it accepts is within the limits, with its
//! displayed size the stored size turned by its orientation.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use reelsmith_core::media::{MAX_PIXELS, MAX_SIDE, Picture, probe_image_bytes};

fuzz_target!(|data: &[u8]| {
    let Ok(info) = probe_image_bytes(Path::new("fuzz.img"), data) else {
        return;
    };
    let (w, h) = (info.stored_width, info.stored_height);
    assert!(w >= 1 && h >= 1 && w <= MAX_SIDE && h <= MAX_SIDE);
    assert!(u64::from(w) * u64::from(h) <= MAX_PIXELS);
    assert_eq!((info.width, info.height), info.orientation.display_size(w, h));
    assert_eq!(info.file_size, data.len() as u64);
    // Turning a small picture of that size gives the displayed size.
    if u64::from(w) * u64::from(h) <= 4096 {
        let stored = Picture {
            width: w,
            height: h,
            rgba: vec![7; (w * h * 4) as usize],
        };
        let shown = info.orientation.apply(stored);
        assert_eq!((shown.width, shown.height), (info.width, info.height));
    }
});
