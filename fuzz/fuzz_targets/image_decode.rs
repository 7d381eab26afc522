//! Decoding a picture the way the media check and the thumbnails do, on arbitrary bytes that
//! pass the header probe: no panic, no hang, no allocation over the limit (the decoders run
//! within the media module's 128 MB allowance, under libFuzzer's 256 MB), and a thumbnail of
//! the size asked for.

#![no_main]

use std::path::Path;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use reelsmith_core::media::deadline::Deadline;
use reelsmith_core::media::verify::verify_image_bytes;
use reelsmith_core::media::{probe_image_bytes, thumbnail_from_bytes};

fuzz_target!(|data: &[u8]| {
    let path = Path::new("fuzz.img");
    let Ok(info) = probe_image_bytes(path, data) else {
        return;
    };
    let d = Deadline::after(Duration::from_secs(4));
    let _ = verify_image_bytes(path, data, &info, &d);
    if let Ok(t) = thumbnail_from_bytes(path, data, 48) {
        assert!(t.width.max(t.height) <= 48.max(info.width.max(info.height).min(48)));
        assert_eq!(t.rgba.len(), t.width as usize * t.height as usize * 4);
        assert_eq!((t.width >= t.height), (info.width >= info.height) || t.width == t.height);
    }
});
