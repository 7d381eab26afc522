//! Storage: `initiate` on the REST host hands out a pre-signed upload URL and the future CDN URL;
//! the upload URL takes the bytes in one PUT or in numbered parts plus `complete`. Bodies are
//! streamed to disk (hashed on the way), never held in memory.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::response::Response;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt, BufWriter};

use super::queue::{json_response, key_rejection};
use super::state::{Shared, lock};
use super::{StoredFile, StoredKind};

/// Write buffer for uploads: large enough that each disk write is big.
const WRITE_BUFFER: usize = 1 << 20;

/// The query parameter that stands in for a cloud storage signature.
const SIGNATURE_PARAM: &str = "X-Sim-Signature";

#[derive(Debug, Clone)]
struct PartInfo {
    path: PathBuf,
    etag: String,
}

#[derive(Debug, Clone)]
struct PendingUpload {
    file_key: String,
    content_type: String,
    signature: String,
    multipart: bool,
    parts: BTreeMap<u32, PartInfo>,
}

/// Files on disk and the uploads under way.
pub(crate) struct Storage {
    root: PathBuf,
    files: Mutex<Vec<StoredFile>>,
    by_key: Mutex<HashMap<String, usize>>,
    uploads: Mutex<HashMap<String, PendingUpload>>,
}

/// Why a body could not be stored.
#[derive(Debug, thiserror::Error)]
pub(crate) enum StoreError {
    #[error("the upload body was cut off: {0}")]
    Body(String),
    #[error("could not write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io_err(path: &FsPath) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |source| StoreError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Keeps file names URL- and disk-safe: letters, digits, `.`, `-`, `_`.
fn sanitize_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let clean = clean.trim_start_matches('.').to_string();
    if clean.is_empty() {
        "upload.bin".to_string()
    } else {
        clean
    }
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Storage {
    /// Storage rooted at `root` (created with its sub-directories).
    pub fn new(root: PathBuf) -> std::io::Result<Storage> {
        for sub in ["files", "tmp", "parts"] {
            std::fs::create_dir_all(root.join(sub))?;
        }
        Ok(Storage {
            root,
            files: Mutex::new(Vec::new()),
            by_key: Mutex::new(HashMap::new()),
            uploads: Mutex::new(HashMap::new()),
        })
    }

    /// Every stored file, oldest first.
    pub fn all_files(&self) -> Vec<StoredFile> {
        lock(&self.files).clone()
    }

    /// The stored file behind a CDN key (`{id}/{name}`).
    pub fn lookup_key(&self, key: &str) -> Option<StoredFile> {
        let index = *lock(&self.by_key).get(key)?;
        lock(&self.files).get(index).cloned()
    }

    /// The stored file a full URL points at, if it is this simulator's CDN and the file exists.
    pub fn lookup_url(&self, base_url: &str, url: &str) -> Option<StoredFile> {
        let key = url.strip_prefix(base_url)?.strip_prefix("/cdn/files/")?;
        let key = key.split(['?', '#']).next().unwrap_or(key);
        self.lookup_key(key)
    }

    /// Makes `file` reachable at its CDN key; a second PUT to the same upload URL replaces the
    /// file, as object stores do.
    fn register(&self, key: &str, file: StoredFile) -> StoredFile {
        let mut files = lock(&self.files);
        let mut by_key = lock(&self.by_key);
        match by_key.get(key) {
            Some(&index) => files[index] = file.clone(),
            None => {
                by_key.insert(key.to_string(), files.len());
                files.push(file.clone());
            }
        }
        file
    }

    /// Stores bytes made by the simulator itself (a job's result) under a new CDN URL.
    pub async fn store_bytes(
        &self,
        base_url: &str,
        file_name: &str,
        content_type: &str,
        bytes: &[u8],
    ) -> Result<StoredFile, StoreError> {
        let id = new_id();
        let path = self.root.join("files").join(&id);
        tokio::fs::write(&path, bytes)
            .await
            .map_err(io_err(&path))?;
        let key = format!("{id}/{}", sanitize_name(file_name));
        let written = Written {
            size: bytes.len() as u64,
            hash: blake3::hash(bytes),
        };
        let file = file_record(
            base_url,
            &key,
            content_type,
            &written,
            path,
            StoredKind::Result,
        );
        Ok(self.register(&key, file))
    }
}

/// Size and hash of bytes written.
struct Written {
    size: u64,
    hash: blake3::Hash,
}

/// The record of a file at CDN key `key` (`{id}/{name}`).
fn file_record(
    base_url: &str,
    key: &str,
    content_type: &str,
    written: &Written,
    path: PathBuf,
    kind: StoredKind,
) -> StoredFile {
    StoredFile {
        file_url: format!("{base_url}/cdn/files/{key}"),
        content_type: content_type.to_string(),
        size: written.size,
        blake3_hex: written.hash.to_hex().to_string(),
        path,
        kind,
    }
}

/// Streams a request body into `path`, hashing it on the way.
async fn write_body(body: Body, path: &FsPath) -> Result<Written, StoreError> {
    let file = tokio::fs::File::create(path).await.map_err(io_err(path))?;
    let mut writer = BufWriter::with_capacity(WRITE_BUFFER, file);
    let mut hasher = blake3::Hasher::new();
    let mut size = 0u64;
    let mut stream = body.into_data_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.map_err(|e| StoreError::Body(e.to_string()))?;
        hasher.update(&chunk);
        writer.write_all(&chunk).await.map_err(io_err(path))?;
        size += chunk.len() as u64;
    }
    writer.flush().await.map_err(io_err(path))?;
    Ok(Written {
        size,
        hash: hasher.finalize(),
    })
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
    body: axum::body::Bytes,
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
        multipart,
        parts: BTreeMap::new(),
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

    match (tail.as_deref(), &method, pending.multipart) {
        (None, &Method::PUT, false) => put_whole(&shared, &pending, &content_type, body).await,
        (Some("complete"), &Method::POST, true) => complete(&shared, &token, body).await,
        (Some(part), &Method::PUT, true) => match part.parse::<u32>() {
            Ok(number) if number >= 1 => put_part(&shared, &token, number, body).await,
            _ => json_response(400, json!({"detail": "Part numbers start at 1"})),
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
    let written = match write_body(body, &tmp).await {
        Ok(done) => done,
        Err(err) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return store_failed(&err);
        }
    };
    let path = storage.root.join("files").join(new_id());
    if let Err(err) = tokio::fs::rename(&tmp, &path).await {
        return store_failed(&StoreError::Io { path, source: err });
    }
    let file = file_record(
        &shared.base_url,
        &pending.file_key,
        content_type,
        &written,
        path,
        StoredKind::Upload,
    );
    storage.register(&pending.file_key, file);
    let mut response = json_response(200, json!({}));
    insert_etag(&mut response, &written.hash);
    response
}

fn store_failed(err: &StoreError) -> Response {
    match err {
        StoreError::Body(_) => json_response(400, json!({"detail": err.to_string()})),
        StoreError::Io { .. } => json_response(500, json!({"detail": err.to_string()})),
    }
}

/// ETags are the first 32 hex digits of the BLAKE3 of the bytes.
fn etag_of(hash: &blake3::Hash) -> String {
    hash.to_hex()[..32].to_string()
}

fn insert_etag(response: &mut Response, hash: &blake3::Hash) {
    if let Ok(value) = HeaderValue::from_str(&format!("\"{}\"", etag_of(hash))) {
        response.headers_mut().insert(header::ETAG, value);
    }
}

async fn put_part(shared: &Shared, token: &str, number: u32, body: Body) -> Response {
    let storage = &shared.storage;
    let dir = storage.root.join("parts").join(token);
    if let Err(err) = tokio::fs::create_dir_all(&dir).await {
        return store_failed(&StoreError::Io {
            path: dir,
            source: err,
        });
    }
    let path = dir.join(number.to_string());
    let hash = match write_body(body, &path).await {
        Ok(written) => written.hash,
        Err(err) => {
            let _ = tokio::fs::remove_file(&path).await;
            return store_failed(&err);
        }
    };
    let etag = etag_of(&hash);
    if let Some(pending) = lock(&storage.uploads).get_mut(token) {
        pending.parts.insert(
            number,
            PartInfo {
                path,
                etag: etag.clone(),
            },
        );
    }
    let mut response = json_response(200, json!({"partNumber": number, "etag": etag}));
    insert_etag(&mut response, &hash);
    response
}

#[derive(Debug, Deserialize)]
struct CompleteBody {
    parts: Vec<CompletePart>,
}

#[derive(Debug, Deserialize)]
struct CompletePart {
    #[serde(rename = "partNumber")]
    part_number: u32,
    etag: String,
}

async fn complete(shared: &Shared, token: &str, body: Body) -> Response {
    let storage = &shared.storage;
    let bytes = match axum::body::to_bytes(body, 1 << 20).await {
        Ok(bytes) => bytes,
        Err(err) => return json_response(400, json!({"detail": err.to_string()})),
    };
    let request: CompleteBody = match serde_json::from_slice(&bytes) {
        Ok(request) => request,
        Err(err) => {
            return json_response(
                422,
                json!({"detail": [{"loc": ["body", "parts"], "msg": err.to_string(), "type": "json_invalid"}]}),
            );
        }
    };
    let Some(pending) = lock(&storage.uploads).get(token).cloned() else {
        return json_response(404, json!({"detail": "No upload is under way at this URL"}));
    };
    if request.parts.is_empty() {
        return json_response(
            400,
            json!({"detail": "A multipart upload needs at least one part"}),
        );
    }
    let mut ordered = Vec::with_capacity(request.parts.len());
    for (i, part) in request.parts.iter().enumerate() {
        if part.part_number as usize != i + 1 {
            return json_response(
                400,
                json!({"detail": format!("Parts must be listed in order 1..n; entry {} is part {}", i + 1, part.part_number)}),
            );
        }
        let Some(info) = pending.parts.get(&part.part_number) else {
            return json_response(
                400,
                json!({"detail": format!("Part {} was never uploaded", part.part_number)}),
            );
        };
        if part.etag.trim_matches('"') != info.etag {
            return json_response(
                400,
                json!({"detail": format!("The etag of part {} does not match the uploaded part", part.part_number)}),
            );
        }
        ordered.push(info.path.clone());
    }
    let path = storage.root.join("files").join(new_id());
    let written = match concatenate(&ordered, &path).await {
        Ok(done) => done,
        Err(err) => return store_failed(&err),
    };
    let _ = tokio::fs::remove_dir_all(storage.root.join("parts").join(token)).await;
    let file = file_record(
        &shared.base_url,
        &pending.file_key,
        &pending.content_type,
        &written,
        path,
        StoredKind::Upload,
    );
    let file = storage.register(&pending.file_key, file);
    lock(&storage.uploads).remove(token);
    let mut response = json_response(200, json!({"file_url": file.file_url}));
    insert_etag(&mut response, &written.hash);
    response
}

/// Joins part files into `dest`, hashing the whole; returns (size, hash).
async fn concatenate(parts: &[PathBuf], dest: &FsPath) -> Result<Written, StoreError> {
    let file = tokio::fs::File::create(dest).await.map_err(io_err(dest))?;
    let mut writer = BufWriter::with_capacity(WRITE_BUFFER, file);
    let mut hasher = blake3::Hasher::new();
    let mut size = 0u64;
    let mut buffer = vec![0u8; WRITE_BUFFER];
    for part in parts {
        let mut reader = tokio::fs::File::open(part).await.map_err(io_err(part))?;
        loop {
            let n = reader.read(&mut buffer).await.map_err(io_err(part))?;
            if n == 0 {
                break;
            }
            hasher.update(&buffer[..n]);
            writer.write_all(&buffer[..n]).await.map_err(io_err(dest))?;
            size += n as u64;
        }
    }
    writer.flush().await.map_err(io_err(dest))?;
    Ok(Written {
        size,
        hash: hasher.finalize(),
    })
}

/// The content type a stored upload is likely to be, from its bytes (for picking source images).
pub(crate) fn looks_like_image(file: &StoredFile) -> bool {
    if file.content_type.starts_with("image/") {
        return true;
    }
    let mut head = [0u8; 64];
    let Ok(mut f) = std::fs::File::open(&file.path) else {
        return false;
    };
    let n = std::io::Read::read(&mut f, &mut head).unwrap_or(0);
    infer::get(&head[..n]).is_some_and(|kind| kind.matcher_type() == infer::MatcherType::Image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_sanitized() {
        assert_eq!(sanitize_name("my photo (1).PNG"), "my_photo__1_.PNG");
        assert_eq!(sanitize_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_name(".."), "upload.bin");
        assert_eq!(sanitize_name(""), "upload.bin");
    }
}
