//! Uploads to fal storage: initiate, then a streamed PUT (multipart above the threshold).

use std::path::Path;

use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::{StreamExt, TryStreamExt};
use reqwest::header::{CONTENT_LENGTH, CONTENT_TYPE, ETAG};
use reqwest::{Method, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::io::AsyncReadExt;

use super::body::{MAX_ERROR_BYTES, read_limited};
use super::client::{FalClient, TransportRetry};
use super::diskio::read_ahead;
use super::error::{FalError, Phase, transport_error};
use super::mime::detect_mime;
use super::retry::is_retryable_status;

/// A file now on fal's CDN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadedFile {
    /// The public URL to put in a model's input.
    pub url: String,
    /// The MIME type it was uploaded with.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
}

#[derive(Deserialize)]
struct Initiated {
    upload_url: String,
    file_url: String,
}

/// Parts of a multipart upload sent at the same time.
const PARTS_IN_FLIGHT: usize = 4;

fn io_err(path: &Path, source: std::io::Error) -> FalError {
    FalError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// One slice of the file being sent.
struct Slice<'a> {
    path: &'a Path,
    offset: u64,
    len: u64,
    content_type: &'a str,
}

impl FalClient {
    /// Uploads a local file (streamed from disk) and returns its CDN URL; files larger than
    /// the multipart threshold go up in parts.
    pub async fn upload_file(
        &self,
        path: &Path,
        progress: impl Fn(u64, u64) + Send + Sync,
    ) -> Result<UploadedFile, FalError> {
        let meta = tokio::fs::metadata(path)
            .await
            .map_err(|e| io_err(path, e))?;
        if !meta.is_file() {
            return Err(io_err(path, std::io::Error::other("not a regular file")));
        }
        let size = meta.len();
        let mut head = vec![0u8; 8192];
        let mut file = tokio::fs::File::open(path)
            .await
            .map_err(|e| io_err(path, e))?;
        let n = read_up_to(&mut file, &mut head)
            .await
            .map_err(|e| io_err(path, e))?;
        head.truncate(n);
        drop(file);
        let content_type = detect_mime(path, &head);
        let file_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "upload.bin".to_string());
        let body = json!({"content_type": content_type, "file_name": file_name});
        progress(0, size);
        let options = &self.inner.options;
        let url = if size > options.multipart_threshold {
            let init = self.initiate("initiate-multipart", &body).await?;
            self.put_multipart(&init.upload_url, path, size, &content_type, &progress)
                .await?;
            init.file_url
        } else {
            let init = self.initiate("initiate", &body).await?;
            let slice = Slice {
                path,
                offset: 0,
                len: size,
                content_type: &content_type,
            };
            self.put_slice(&init.upload_url, &slice, &|sent| progress(sent, size))
                .await?;
            init.file_url
        };
        Ok(UploadedFile {
            url,
            content_type,
            size,
        })
    }

    async fn initiate(&self, which: &str, body: &Value) -> Result<Initiated, FalError> {
        let url = format!(
            "{}/storage/upload/{which}?storage_type=fal-cdn-v3",
            self.inner.urls.rest_base()
        );
        let what = format!("upload {which}");
        let timeout = self.inner.options.request_timeout;
        let resp = self
            .send_ok(&what, Phase::Input, TransportRetry::Any, || {
                self.keyed(Method::POST, &url).timeout(timeout).json(body)
            })
            .await?;
        self.json_body(resp, &what).await
    }

    async fn put_multipart(
        &self,
        upload_url: &str,
        path: &Path,
        size: u64,
        content_type: &str,
        progress: &(impl Fn(u64, u64) + Send + Sync),
    ) -> Result<(), FalError> {
        let mut parsed = url::Url::parse(upload_url)
            .map_err(|e| FalError::Protocol(format!("fal gave an invalid upload URL: {e}")))?;
        let query = parsed.query().map(|q| format!("?{q}")).unwrap_or_default();
        parsed.set_query(None);
        parsed.set_fragment(None);
        let base = parsed.as_str().trim_end_matches('/').to_string();
        let part_size = self.inner.options.part_size.max(1);
        let count = size.div_ceil(part_size).max(1);
        // Bytes sent per part; progress is their sum, since parts go up side by side.
        let sent: Vec<AtomicU64> = (0..count).map(|_| AtomicU64::new(0)).collect();
        let report = |index: usize, bytes: u64| {
            sent[index].store(bytes, Ordering::Relaxed);
            progress(sent.iter().map(|a| a.load(Ordering::Relaxed)).sum(), size);
        };
        let report = &report;
        let base = &base;
        let query = &query;
        let uploads = (1..=count).map(|n| async move {
            let offset = (n - 1) * part_size;
            let slice = Slice {
                path,
                offset,
                len: part_size.min(size - offset),
                content_type,
            };
            let index = (n - 1) as usize;
            let resp = self
                .put_slice(&format!("{base}/{n}{query}"), &slice, &|b| report(index, b))
                .await?;
            let etag = part_etag(resp).await.ok_or_else(|| {
                FalError::Protocol(format!("the upload of part {n} returned no etag"))
            })?;
            Ok::<_, FalError>(json!({"partNumber": n, "etag": etag}))
        });
        // A few parts in flight hide per-request latency; `buffered` keeps them in order and
        // bounds memory to a few chunks per part.
        let parts: Vec<Value> = futures_util::stream::iter(uploads)
            .buffered(PARTS_IN_FLIGHT)
            .try_collect()
            .await?;
        let url = format!("{base}/complete{query}");
        let body = json!({"parts": parts});
        let timeout = self.inner.options.request_timeout;
        self.send_ok(
            "upload completion",
            Phase::Transfer,
            TransportRetry::Any,
            || {
                // Part of the pre-signed upload: its signature is in the URL, never the key.
                self.anonymous(Method::POST, &url)
                    .timeout(timeout)
                    .json(&body)
            },
        )
        .await?;
        Ok(())
    }

    /// PUTs one slice of the file, read from disk as it goes out; retried from the slice's start.
    async fn put_slice(
        &self,
        url: &str,
        slice: &Slice<'_>,
        sent: &(dyn Fn(u64) + Send + Sync),
    ) -> Result<Response, FalError> {
        let policy = self.inner.retry;
        let what = format!("upload of {}", slice.path.display());
        let stall = self.inner.options.transfer_stall_timeout;
        let answer_wait = self.inner.options.request_timeout;
        let mut retry = 0;
        loop {
            // Fail early and clearly if the file went away, before anything is sent.
            tokio::fs::metadata(slice.path)
                .await
                .map_err(|e| io_err(slice.path, e))?;
            let (tx, mut rx) = tokio::sync::watch::channel(0u64);
            let mut counted = 0u64;
            let stream = read_ahead(slice.path.to_path_buf(), slice.offset, slice.len).inspect_ok(
                move |chunk| {
                    counted += chunk.len() as u64;
                    tx.send_replace(counted);
                },
            );
            // Pre-signed: the URL carries its own signature and the key never goes with it.
            let request = self
                .anonymous(Method::PUT, url)
                .header(CONTENT_TYPE, slice.content_type)
                .header(CONTENT_LENGTH, slice.len)
                .body(reqwest::Body::wrap_stream(stream))
                .send();
            tokio::pin!(request);
            // No total timeout (a large file on a slow uplink takes as long as it takes): the
            // upload fails only when no chunk goes out for `stall`, or the answer to a fully
            // sent body takes longer than an ordinary request may.
            let mut deadline = tokio::time::Instant::now() + stall;
            let mut body_sent = slice.len == 0;
            if body_sent {
                deadline = tokio::time::Instant::now() + answer_wait;
            }
            let outcome: Result<Response, (String, Option<reqwest::Error>)> = loop {
                tokio::select! {
                    outcome = &mut request => break outcome.map_err(|e| (String::new(), Some(e))),
                    changed = rx.changed(), if !body_sent => {
                        let now = *rx.borrow_and_update();
                        sent(now);
                        if changed.is_err() || now >= slice.len {
                            body_sent = true;
                            deadline = tokio::time::Instant::now() + answer_wait;
                        } else {
                            deadline = tokio::time::Instant::now() + stall;
                        }
                    }
                    _ = tokio::time::sleep_until(deadline) => {
                        let reason = if body_sent {
                            format!("no answer within {} s after the last byte", answer_wait.as_secs())
                        } else {
                            format!("nothing could be sent for {} s", stall.as_secs())
                        };
                        break Err((reason, None));
                    }
                }
            };
            match outcome {
                Ok(resp) if resp.status().is_success() => {
                    sent(slice.len);
                    return Ok(resp);
                }
                Ok(resp) => {
                    if retry < policy.max_retries
                        && is_retryable_status(resp.status(), resp.headers())
                    {
                        tokio::time::sleep(policy.delay(retry)).await;
                        retry += 1;
                        continue;
                    }
                    return Err(self.error_from(resp, Phase::Transfer, &what).await);
                }
                Err((reason, error)) => {
                    let builder = error.as_ref().is_some_and(|e| e.is_builder());
                    if retry < policy.max_retries && !builder {
                        tracing::debug!(%reason, ?error, retry, "upload failed, retrying");
                        tokio::time::sleep(policy.delay(retry)).await;
                        retry += 1;
                        continue;
                    }
                    return Err(match error {
                        Some(e) => transport_error(&e, &what),
                        None => FalError::Timeout(format!("{what}: {reason}")),
                    });
                }
            }
        }
    }
}

/// The etag of an uploaded part: the JSON body's `etag`, else the `ETag` header.
async fn part_etag(resp: Response) -> Option<String> {
    let header = resp
        .headers()
        .get(ETAG)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // A part's answer is tiny; a huge one is not worth reading for its etag.
    let body = read_limited(resp, MAX_ERROR_BYTES).await.ok();
    let from_json = body
        .as_deref()
        .and_then(|b| serde_json::from_slice::<Value>(b).ok())
        .and_then(|v| v.get("etag").and_then(Value::as_str).map(str::to_string));
    from_json.or(header)
}

async fn read_up_to(file: &mut tokio::fs::File, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        let n = file.read(&mut buf[filled..]).await?;
        if n == 0 {
            break;
        }
        filled += n;
    }
    Ok(filled)
}
