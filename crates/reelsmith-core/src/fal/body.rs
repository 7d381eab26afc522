//! Reading answers from the network with a size limit: a server (or anything posing as one)
//! must not make the app hold an unbounded body in memory.

use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;

/// The largest JSON answer read (submit, status, result, upload initiate): real ones are a few KiB.
pub const MAX_JSON_BYTES: usize = 1 << 20;
/// The largest error answer read: fal's are a few hundred bytes.
pub const MAX_ERROR_BYTES: usize = 64 << 10;
/// The largest status-stream event (or unfinished line) kept while waiting for its end.
pub const MAX_SSE_EVENT_BYTES: usize = 1 << 20;
/// The largest OpenAPI document read: fal's are 10–60 KiB.
pub const MAX_OPENAPI_BYTES: usize = 16 << 20;

/// Why a bounded body could not be read.
#[derive(Debug)]
pub enum BodyError {
    /// The body is larger than the limit (by its Content-Length, or as it arrived).
    TooLarge {
        /// The limit that was exceeded, in bytes.
        limit: usize,
    },
    /// The connection failed while reading.
    Transport(reqwest::Error),
}

/// Reads `resp`'s body, refusing it as soon as it is known to exceed `limit` bytes.
pub async fn read_limited(resp: reqwest::Response, limit: usize) -> Result<Bytes, BodyError> {
    if resp.content_length().is_some_and(|len| len > limit as u64) {
        return Err(BodyError::TooLarge { limit });
    }
    let mut out = BytesMut::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(BodyError::Transport)?;
        if out.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge { limit });
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.freeze())
}

/// A size for messages: "1 MiB", "64 KiB", "512 bytes".
pub fn describe_limit(limit: usize) -> String {
    if limit >= 1 << 20 && limit.is_multiple_of(1 << 20) {
        format!("{} MiB", limit >> 20)
    } else if limit >= 1 << 10 && limit.is_multiple_of(1 << 10) {
        format!("{} KiB", limit >> 10)
    } else {
        format!("{limit} bytes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_read_as_sizes() {
        assert_eq!(describe_limit(MAX_JSON_BYTES), "1 MiB");
        assert_eq!(describe_limit(MAX_ERROR_BYTES), "64 KiB");
        assert_eq!(describe_limit(MAX_OPENAPI_BYTES), "16 MiB");
        assert_eq!(describe_limit(100), "100 bytes");
    }
}
