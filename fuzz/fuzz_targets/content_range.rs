//! The download's `Content-Range` parser on arbitrary text: no panic, and what it accepts is
//! exactly a valid `bytes FIRST-LAST/TOTAL` (RFC 9110 §14.4) with the numbers it returns.

#![no_main]

use libfuzzer_sys::fuzz_target;
use reelsmith_core::fuzzing::parse_content_range;

/// An independent reading of the header: `(first, last, total)`.
fn reference(value: &str) -> Option<(u64, u64, Option<u64>)> {
    let digits = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    let rest = value.trim().strip_prefix("bytes")?;
    // At least one space after the unit.
    let rest = rest.strip_prefix(|c: char| c == ' ' || c == '\t')?.trim();
    let (range, total) = rest.split_once('/')?;
    let (first, last) = range.trim().split_once('-')?;
    let (first, last) = (digits(first.trim())?, digits(last.trim())?);
    let total = match total.trim() {
        "*" => None,
        t => Some(digits(t)?),
    };
    (first <= last && total.is_none_or(|t| last < t)).then_some((first, last, total))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let got = parse_content_range(text);
    let want = reference(text).map(|(first, _, total)| (first, total));
    assert_eq!(got, want, "{text:?}");
});
