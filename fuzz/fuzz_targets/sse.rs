//! The status stream's SSE splitter and status parser on arbitrary bytes: no panic, and
//! splitting does not depend on how the bytes were cut into chunks.

#![no_main]

use libfuzzer_sys::fuzz_target;
use reelsmith_core::fuzzing::{parse_status, sse_take_events};

/// What the client does with a chunk: CRs dropped, appended, complete events taken off.
fn feed(buf: &mut Vec<u8>, chunk: &[u8], events: &mut Vec<String>) {
    buf.extend(chunk.iter().copied().filter(|&b| b != b'\r'));
    events.extend(sse_take_events(buf));
}

fuzz_target!(|data: &[u8]| {
    // The first byte chooses the chunk length, so the same stream is also cut differently.
    let Some((&cut, body)) = data.split_first() else {
        return;
    };
    let (mut whole_buf, mut whole) = (Vec::new(), Vec::new());
    feed(&mut whole_buf, body, &mut whole);
    let (mut buf, mut chunked) = (Vec::new(), Vec::new());
    for chunk in body.chunks(usize::from(cut % 17) + 1) {
        feed(&mut buf, chunk, &mut chunked);
    }
    assert_eq!(whole, chunked, "events depend on chunking");
    assert_eq!(whole_buf, buf, "leftover depends on chunking");
    assert!(
        !buf.windows(2).any(|w| w == b"\n\n"),
        "a complete event was left in the buffer"
    );
    for data in &whole {
        if let Ok(value) = serde_json::from_str::<serde_json::Value>(data) {
            let _ = parse_status(&value);
        }
    }
});
