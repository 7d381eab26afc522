//! Parsers of outside data that are private to their modules, reachable here for the fuzz
//! targets (fuzz/) and the mutation tests only. Not an API: nothing else may use them.

pub mod crafted;
pub mod mp4;

use serde_json::Value;

/// The SSE splitter of the status stream (`fal::stream`): complete events off the front of
/// `buf`, as their joined `data:` payloads.
pub fn sse_take_events(buf: &mut Vec<u8>) -> Vec<String> {
    crate::fal::stream::take_events(buf)
}

/// The queue's status-body parser (`fal::queue`); `Ok(true)` when the status is COMPLETED.
pub fn parse_status(value: &Value) -> Result<bool, String> {
    crate::fal::queue::parse_status(value)
        .map(|s| s.state == crate::fal::QueueState::Completed)
        .map_err(|e| e.to_string())
}

/// The download's `Content-Range` parser (`fal::download`): `(start, total)`.
pub fn parse_content_range(value: &str) -> Option<(u64, Option<u64>)> {
    crate::fal::download::parse_content_range(value)
}
