//! jpeg-dc's `decode_eighth` on arbitrary bytes: no panic, hang or oversized allocation
//! (libFuzzer's limits, see fuzz/README.md), and a decoded picture is its declared size / 8,
//! the same whether segments are read by one reader or as two halves.

#![no_main]

use jpeg_dc::testing::{declared_size, decode_eighth_with};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let default = jpeg_dc::decode_eighth(data);
    let one = decode_eighth_with(data, usize::MAX);
    // Every segment as two halves, however short, so small inputs reach that code too.
    let two = decode_eighth_with(data, 0);
    assert!(default == one, "decode_eighth differs from one reader");
    assert!(two == one, "two halves differ from one reader");
    if let Some((w, h, rgb)) = one {
        let (dw, dh) = declared_size(data).expect("a decoded file has a frame header");
        assert_eq!(
            (w, h),
            (dw.div_ceil(8), dh.div_ceil(8)),
            "size against the frame"
        );
        assert_eq!(rgb.len(), w as usize * h as usize * 3, "RGB length");
    }
});
