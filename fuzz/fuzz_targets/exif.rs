//! The EXIF reader on arbitrary TIFF blocks: the orientation and the check of how directories
//! link up: no panic, no hang (directories that loop, counts past the block), and an
//! orientation only from 1–8.

#![no_main]

use libfuzzer_sys::fuzz_target;
use reelsmith_core::media::exif::{check_tiff, orientation_from_tiff};

fuzz_target!(|data: &[u8]| {
    // Following the directory links must end, however they point.
    let _ = check_tiff(data);
    if let Some(o) = orientation_from_tiff(data) {
        assert!((1..=8).contains(&o.exif_value()));
    }
});
