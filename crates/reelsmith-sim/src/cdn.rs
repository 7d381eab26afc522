//! The CDN: serves uploads and results from disk, honours `Range`, refuses credentials, and can
//! drop the connection part-way through a body.

use std::io::SeekFrom;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt, stream};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::queue::json_response;
use super::state::{Shared, lock};

/// Read size when streaming a file out.
const READ_CHUNK: usize = 256 * 1024;

/// How long a cut download waits before dropping the connection.
const FLUSH_PAUSE: std::time::Duration = std::time::Duration::from_millis(50);

/// A byte range to send, inclusive at both ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ByteRange {
    pub start: u64,
    pub end: u64,
}

/// What a `Range` header asks of a file of `size` bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RangeRequest {
    /// No (usable) range: send everything with 200.
    Whole,
    /// One satisfiable range: send it with 206.
    Part(ByteRange),
    /// A range that starts past the end: 416.
    Unsatisfiable,
}

/// Parses `bytes=a-b`, `bytes=a-` and `bytes=-n`; several ranges or other units are ignored
/// (a server may always answer with the whole file).
pub(crate) fn parse_range(value: Option<&str>, size: u64) -> RangeRequest {
    let Some(spec) = value.and_then(|v| v.trim().strip_prefix("bytes=")) else {
        return RangeRequest::Whole;
    };
    if spec.contains(',') {
        return RangeRequest::Whole;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Whole;
    };
    let (first, last) = (first.trim(), last.trim());
    if first.is_empty() {
        let Ok(suffix) = last.parse::<u64>() else {
            return RangeRequest::Whole;
        };
        if suffix == 0 || size == 0 {
            return RangeRequest::Unsatisfiable;
        }
        let start = size.saturating_sub(suffix);
        return RangeRequest::Part(ByteRange {
            start,
            end: size - 1,
        });
    }
    let Ok(start) = first.parse::<u64>() else {
        return RangeRequest::Whole;
    };
    if start >= size {
        return RangeRequest::Unsatisfiable;
    }
    let end = if last.is_empty() {
        size - 1
    } else {
        match last.parse::<u64>() {
            Ok(end) if end >= start => end.min(size - 1),
            _ => return RangeRequest::Whole,
        }
    };
    RangeRequest::Part(ByteRange { start, end })
}

/// `GET|HEAD /cdn/files/{key}`.
pub(crate) async fn serve_file(
    State(shared): State<Arc<Shared>>,
    method: Method,
    Path(key): Path<String>,
    headers: HeaderMap,
) -> Response {
    if headers.contains_key(header::AUTHORIZATION) {
        return json_response(
            403,
            json!({"detail": "The CDN serves public URLs and refuses requests that carry \
                    an Authorization header; fetch the URL without credentials."}),
        );
    }
    let Some(file) = shared.storage.lookup_key(&key) else {
        return json_response(404, json!({"detail": "File not found"}));
    };
    let range = parse_range(
        headers.get(header::RANGE).and_then(|v| v.to_str().ok()),
        file.size,
    );
    let (status, start, len) = match range {
        RangeRequest::Whole => (StatusCode::OK, 0, file.size),
        RangeRequest::Part(r) => (StatusCode::PARTIAL_CONTENT, r.start, r.end - r.start + 1),
        RangeRequest::Unsatisfiable => {
            let mut response = (StatusCode::RANGE_NOT_SATISFIABLE, Body::empty()).into_response();
            if let Ok(value) = HeaderValue::from_str(&format!("bytes */{}", file.size)) {
                response.headers_mut().insert(header::CONTENT_RANGE, value);
            }
            return response;
        }
    };

    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        let mut reader = match tokio::fs::File::open(&file.path).await {
            Ok(reader) => reader,
            Err(err) => {
                return json_response(
                    500,
                    json!({"detail": format!("Could not read the file: {err}")}),
                );
            }
        };
        if start > 0
            && let Err(err) = reader.seek(SeekFrom::Start(start)).await
        {
            return json_response(
                500,
                json!({"detail": format!("Could not read the file: {err}")}),
            );
        }
        let chunks = ReaderStream::with_capacity(reader.take(len), READ_CHUNK);
        match lock(&shared.faults).take_download_drop() {
            Some(limit) => Body::from_stream(cut_after(chunks, limit)),
            None => Body::from_stream(chunks),
        }
    };

    let mut response = (status, body).into_response();
    let h = response.headers_mut();
    let mut set = |name: header::HeaderName, value: String| {
        if let Ok(value) = HeaderValue::from_str(&value) {
            h.insert(name, value);
        }
    };
    set(header::CONTENT_TYPE, file.content_type.clone());
    set(header::CONTENT_LENGTH, len.to_string());
    set(header::ACCEPT_RANGES, "bytes".into());
    set(header::ETAG, format!("\"{}\"", &file.blake3_hex[..32]));
    set(header::CACHE_CONTROL, "public, max-age=31536000".into());
    if status == StatusCode::PARTIAL_CONTENT {
        set(
            header::CONTENT_RANGE,
            format!("bytes {}-{}/{}", start, start + len - 1, file.size),
        );
    }
    response
}

/// Passes `limit` bytes of `chunks` through, then fails: hyper then aborts the connection with
/// the body shorter than its `Content-Length`, as a dropped network connection looks.
fn cut_after<S>(chunks: S, limit: u64) -> impl Stream<Item = std::io::Result<Bytes>> + Send
where
    S: Stream<Item = std::io::Result<Bytes>> + Send + Unpin + 'static,
{
    stream::unfold(
        (chunks, 0u64, false),
        move |(mut chunks, sent, done)| async move {
            if done {
                return None;
            }
            if sent >= limit {
                // Pausing first lets hyper flush what was sent; an error straight after the
                // last chunk would abort with those bytes still in its write buffer.
                tokio::time::sleep(FLUSH_PAUSE).await;
                let cut = Err(std::io::Error::other("simulated dropped connection"));
                return Some((cut, (chunks, sent, true)));
            }
            match chunks.next().await {
                Some(Ok(chunk)) => {
                    let room = (limit - sent) as usize;
                    let chunk = if chunk.len() > room {
                        chunk.slice(..room)
                    } else {
                        chunk
                    };
                    let sent = sent + chunk.len() as u64;
                    Some((Ok(chunk), (chunks, sent, false)))
                }
                Some(Err(err)) => Some((Err(err), (chunks, sent, true))),
                // The body was shorter than the limit: nothing to cut.
                None => None,
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse() {
        let part = |start, end| RangeRequest::Part(ByteRange { start, end });
        assert_eq!(parse_range(None, 100), RangeRequest::Whole);
        assert_eq!(parse_range(Some("bytes=0-9"), 100), part(0, 9));
        assert_eq!(parse_range(Some("bytes=90-"), 100), part(90, 99));
        assert_eq!(parse_range(Some("bytes=90-200"), 100), part(90, 99));
        assert_eq!(parse_range(Some("bytes=-10"), 100), part(90, 99));
        assert_eq!(parse_range(Some("bytes=-500"), 100), part(0, 99));
        assert_eq!(
            parse_range(Some("bytes=100-"), 100),
            RangeRequest::Unsatisfiable
        );
        assert_eq!(parse_range(Some("bytes=5-2"), 100), RangeRequest::Whole);
        assert_eq!(parse_range(Some("bytes=0-1,5-6"), 100), RangeRequest::Whole);
        assert_eq!(parse_range(Some("items=0-1"), 100), RangeRequest::Whole);
    }

    #[tokio::test]
    async fn cut_stream_stops_at_the_limit_then_fails() {
        let chunks = stream::iter(vec![
            Ok(Bytes::from_static(b"hello ")),
            Ok(Bytes::from_static(b"world")),
        ]);
        let items: Vec<_> = cut_after(chunks, 8).collect().await;
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].as_ref().ok(), Some(&Bytes::from_static(b"hello ")));
        assert_eq!(items[1].as_ref().ok(), Some(&Bytes::from_static(b"wo")));
        assert!(items[2].is_err());
    }
}
