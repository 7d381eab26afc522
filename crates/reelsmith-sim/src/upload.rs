//! Uploads: `initiate` on the REST host hands out a pre-signed upload URL and the future CDN URL;
//! the upload URL takes the bytes in one PUT, or in numbered parts plus `complete`. Bodies are
//! streamed to disk (hashed on the way), never held in memory.

use std::collections::HashMap;
use std::io::Write;
use std::path::Path as FsPath;
use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::Response;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;

use super::StoredKind;
use super::multipart::{self, MultipartState};
use super::queue::{json_response, key_rejection};
use super::state::{Shared, lock};
use super::storage::{PendingUpload, StoreError, Written, io_err, new_id, sanitize_name};

/// Write buffer for uploads: large enough that each disk write is big.
pub(crate) const WRITE_BUFFER: usize = 1 << 20;

/// Body chunks queued between the socket reader and the disk writer.
const PIPELINE_DEPTH: usize = 32;

/// The query parameter that stands in for a cloud storage signature.
const SIGNATURE_PARAM: &str = "X-Sim-Signature";

/// Where the bytes of a body go, on a blocking thread.
pub(crate) trait ChunkSink: Send + 'static {
    /// Takes the next chunk of the body.
    fn put(&mut self, chunk: &[u8]) -> std::io::Result<()>;
    /// Flushes once the body has ended.
    fn finish(&mut self) -> std::io::Result<()>;
}

/// A whole file written from the start and hashed on the way.
struct FileSink {
    out: std::io::BufWriter<std::fs::File>,
    hasher: blake3::Hasher,
}

impl ChunkSink for FileSink {
    fn put(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        self.hasher.update(chunk);
        self.out.write_all(chunk)
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}

/// Streams a request body into `sink`; returns the sink and the number of bytes. A blocking
/// thread writes (and hashes) while the async side keeps reading the socket, so network,
/// hashing and disk overlap; the bounded channel caps memory at a few chunks whatever the size.
pub(crate) async fn pump<S: ChunkSink>(
    body: Body,
    mut sink: S,
    path: &FsPath,
) -> Result<(S, u64), StoreError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Bytes>(PIPELINE_DEPTH);
    let target = path.to_path_buf();
    let writer = tokio::task::spawn_blocking(move || -> Result<(S, u64), StoreError> {
        let mut size = 0u64;
        while let Some(chunk) = rx.blocking_recv() {
            sink.put(&chunk).map_err(io_err(&target))?;
            size += chunk.len() as u64;
        }
        sink.finish().map_err(io_err(&target))?;
        Ok((sink, size))
    });
    let mut stream = body.into_data_stream();
    let mut body_error = None;
    while let Some(chunk) = stream.next().await {
        match chunk {
            // A closed channel means the writer failed; its error is reported below.
            Ok(chunk) => {
                if tx.send(chunk).await.is_err() {
                    break;
                }
            }
            Err(err) => {
                body_error = Some(err.to_string());
                break;
            }
        }
    }
    drop(tx);
    let done = writer
        .await
        .map_err(|err| StoreError::Body(format!("the writer stopped: {err}")))??;
    match body_error {
        Some(message) => Err(StoreError::Body(message)),
        None => Ok(done),
    }
}

/// The response for a body that could not be stored.
pub(crate) fn store_failed(err: &StoreError) -> Response {
    match err {
        StoreError::Body(_) => json_response(400, json!({"detail": err.to_string()})),
        StoreError::Io { .. } => json_response(500, json!({"detail": err.to_string()})),
    }
}

/// The ETag of whole files: the first 32 hex digits of the BLAKE3 of the bytes.
pub(crate) fn etag_of(hash: &blake3::Hash) -> String {
    hash.to_hex()[..32].to_string()
}

/// Sets the `ETag` header (quoted, as HTTP wants it).
pub(crate) fn insert_etag(response: &mut Response, etag: &str) {
    if let Ok(value) = HeaderValue::from_str(&format!("\"{etag}\"")) {
        response.headers_mut().insert(header::ETAG, value);
    }
}

/// The body of `initiate`: what the client says about the file.
#[derive(Debug, Default, Deserialize)]
struct InitiateBody {
    content_type: Option<String>,
    file_name: Option<String>,
}

/// `POST /rest/storage/upload/initiate[-multipart]?storage_type=fal-cdn-v3`.
pub(crate) async fn initiate(
    State(shared): State<Arc<Shared>>,
    Path(kind): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if let Some(response) = key_rejection(&shared, &headers) {
        return response;
    }
    let multipart = match kind.as_str() {
        "initiate" => false,
        "initiate-multipart" => true,
        _ => return json_response(404, json!({"detail": "Not Found"})),
    };
    match query.get("storage_type").map(String::as_str) {
        None | Some("fal-cdn-v3") | Some("fal-cdn") | Some("gcs") => {}
        Some(other) => {
            return json_response(
                400,
                json!({"detail": format!("Unknown storage_type '{other}'; use fal-cdn-v3")}),
            );
        }
    }
    let info: InitiateBody = if body.is_empty() {
        InitiateBody::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(info) => info,
            Err(err) => {
                return json_response(
                    422,
                    json!({"detail": [{"loc": ["body"], "msg": format!("JSON decode error: {err}"),
                                       "type": "json_invalid"}]}),
                );
            }
        }
    };
    let file_name = sanitize_name(info.file_name.as_deref().unwrap_or("upload.bin"));
    let content_type = info
        .content_type
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| "application/octet-stream".to_string());
    let token = new_id();
    let upload = PendingUpload {
        file_key: format!("{}/{file_name}", new_id()),
        content_type,
        signature: new_id(),
        multipart: multipart.then(|| MultipartState::new(shared.storage.new_file_path())),
    };
    let body = json!({
        "upload_url": format!("{}/upload/{token}?{SIGNATURE_PARAM}={}", shared.base_url, upload.signature),
        "file_url": format!("{}/cdn/files/{}", shared.base_url, upload.file_key),
    });
    lock(&shared.storage.uploads).insert(token, upload);
    json_response(200, body)
}

/// Every request to a pre-signed upload URL: `PUT /upload/{token}`, `PUT /upload/{token}/{n}`,
/// `POST /upload/{token}/complete`.
pub(crate) async fn upload(
    State(shared): State<Arc<Shared>>,
    method: Method,
    Path(rest): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if headers.contains_key(header::AUTHORIZATION) {
        return json_response(
            400,
            json!({"detail": "Pre-signed upload URLs carry their own signature; \
                    do not send an Authorization header to them."}),
        );
    }
    let (token, tail) = match rest.split_once('/') {
        Some((token, tail)) => (token.to_string(), Some(tail.to_string())),
        None => (rest.clone(), None),
    };
    let Some(pending) = lock(&shared.storage.uploads).get(&token).cloned() else {
        return json_response(404, json!({"detail": "No upload is under way at this URL"}));
    };
    if query.get(SIGNATURE_PARAM) != Some(&pending.signature) {
        return json_response(
            403,
            json!({"detail": "The upload URL's signature is missing or does not match"}),
        );
    }
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| pending.content_type.clone());

    match (tail.as_deref(), &method, pending.multipart.is_some()) {
        (None, &Method::PUT, false) => put_whole(&shared, &pending, &content_type, body).await,
        (Some("complete"), &Method::POST, true) => multipart::complete(&shared, &token, body).await,
        (Some(part), &Method::PUT, true) => match part.parse::<u32>() {
            Ok(number) if (1..=multipart::MAX_PARTS).contains(&number) => {
                multipart::put_part(&shared, &token, number, body).await
            }
            _ => json_response(
                400,
                json!({"detail": format!("Part numbers run from 1 to {}", multipart::MAX_PARTS)}),
            ),
        },
        _ => json_response(405, json!({"detail": "Method Not Allowed"})),
    }
}

async fn put_whole(
    shared: &Shared,
    pending: &PendingUpload,
    content_type: &str,
    body: Body,
) -> Response {
    let storage = &shared.storage;
    let tmp = storage.root.join("tmp").join(new_id());
    let file = match std::fs::File::create(&tmp) {
        Ok(file) => file,
        Err(err) => return store_failed(&io_err(&tmp)(err)),
    };
    let sink = FileSink {
        out: std::io::BufWriter::with_capacity(WRITE_BUFFER, file),
        hasher: blake3::Hasher::new(),
    };
    let written = match pump(body, sink, &tmp).await {
        Ok((sink, size)) => Written {
            size,
            hash: sink.hasher.finalize(),
        },
        Err(err) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return store_failed(&err);
        }
    };
    let path = storage.new_file_path();
    if let Err(err) = tokio::fs::rename(&tmp, &path).await {
        return store_failed(&io_err(&path)(err));
    }
    storage.register(
        &shared.base_url,
        &pending.file_key,
        content_type,
        &written,
        path,
        StoredKind::Upload,
    );
    let mut response = json_response(200, json!({}));
    insert_etag(&mut response, &etag_of(&written.hash));
    response
}
