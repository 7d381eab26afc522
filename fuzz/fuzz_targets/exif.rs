//! The EXIF orientation reader on arbitrary TIFF blocks: no panic, no hang (an IFD whose
//! offsets loop, counts past the block), and a value only from 1–8.

#![no_main]

use libfuzzer_sys::fuzz_target;
use reelsmith_core::media::exif::orientation_from_tiff;

fuzz_target!(|data: &[u8]| {
    if let Some(o) = orientation_from_tiff(data) {
        assert!((1..=8).contains(&o.exif_value()));
    }
});
