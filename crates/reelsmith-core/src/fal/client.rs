//! `FalClient`: the shared HTTP client, key placement, and the retry loop every call uses.
//!
//! The key goes with the call, never by the URL: the queue calls (submit, status, stream,
//! result, cancel) and storage initiate are built with [`FalClient::keyed`]; pre-signed uploads,
//! their parts and completion, and CDN downloads with [`FalClient::anonymous`], whatever their
//! host (a proxy may serve all of them on one origin).

use std::sync::Arc;

use reqwest::header::{AUTHORIZATION, HeaderValue, USER_AGENT};
use reqwest::{Method, RequestBuilder, Response};

use super::body::{BodyError, MAX_ERROR_BYTES, MAX_JSON_BYTES, read_limited};
use super::config::{ClientOptions, FalUrls};
use super::credentials::ApiKey;
use super::error::{FalError, Phase, error_from_response, transport_error};
use super::retry::{RetryPolicy, is_retryable_status};

/// A client for fal's queue, storage and CDN. Cheap to clone (shared state behind an `Arc`).
#[derive(Clone)]
pub struct FalClient {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Clone)]
pub(crate) struct Inner {
    pub(crate) http: reqwest::Client,
    pub(crate) urls: FalUrls,
    pub(crate) key: Option<ApiKey>,
    pub(crate) retry: RetryPolicy,
    pub(crate) options: ClientOptions,
}

impl std::fmt::Debug for FalClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FalClient")
            .field("urls", &self.inner.urls)
            .field("key", &self.inner.key)
            .field("retry", &self.inner.retry)
            .finish()
    }
}

/// Which transport failures a request may be retried after. Only idempotent requests go
/// through this loop; the submit POST has its own (`fal::submit`), since sending it again after
/// an unclear failure could start, and charge for, a second job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TransportRetry {
    /// Any transport error (idempotent requests).
    Any,
}

fn build_http(options: &ClientOptions) -> Result<reqwest::Client, FalError> {
    reqwest::Client::builder()
        .connect_timeout(options.connect_timeout)
        .build()
        .map_err(|e| FalError::Network(format!("could not set up the HTTP client: {e}")))
}

impl FalClient {
    /// A client for these base URLs; without a key, requests go out unauthenticated.
    pub fn new(urls: FalUrls, key: Option<ApiKey>) -> Result<FalClient, FalError> {
        let options = ClientOptions::default();
        Ok(FalClient {
            inner: Arc::new(Inner {
                http: build_http(&options)?,
                urls,
                key,
                retry: RetryPolicy::default(),
                options,
            }),
        })
    }

    /// The same client with another retry policy (tests use short delays).
    pub fn with_retry(self, policy: RetryPolicy) -> FalClient {
        let mut inner = (*self.inner).clone();
        inner.retry = policy;
        FalClient {
            inner: Arc::new(inner),
        }
    }

    /// The same client with other timeouts and transfer sizes.
    pub fn with_options(self, options: ClientOptions) -> Result<FalClient, FalError> {
        let mut inner = (*self.inner).clone();
        inner.http = build_http(&options)?;
        inner.options = options;
        Ok(FalClient {
            inner: Arc::new(inner),
        })
    }

    /// The base URLs in use.
    pub fn urls(&self) -> &FalUrls {
        &self.inner.urls
    }

    /// The retry policy in use.
    pub fn retry_policy(&self) -> RetryPolicy {
        self.inner.retry
    }

    /// The timing and transfer settings in use.
    pub fn options(&self) -> &ClientOptions {
        &self.inner.options
    }

    /// A short fingerprint of the key (never the key): caches of per-account data (prices)
    /// are only used with the key they were fetched with. `None` without a key.
    pub fn key_fingerprint(&self) -> Option<String> {
        let key = self.inner.key.as_ref()?;
        let hash = blake3::hash(key.expose().as_bytes()).to_hex();
        Some(hash.as_str()[..16].to_string())
    }

    /// A request that carries the key: the calls fal's own clients authenticate (queue calls,
    /// storage initiate, the key check).
    pub(crate) fn keyed(&self, method: Method, url: &str) -> RequestBuilder {
        let mut rb = self.anonymous(method, url);
        if let Some(key) = &self.inner.key
            && let Ok(mut value) = HeaderValue::from_str(&format!("Key {}", key.expose()))
        {
            // Sensitive values are left out of the header map's Debug output.
            value.set_sensitive(true);
            rb = rb.header(AUTHORIZATION, value);
        }
        rb
    }

    /// A request that never carries the key, whatever its host: pre-signed upload URLs (parts
    /// and completion too) and CDN downloads.
    pub(crate) fn anonymous(&self, method: Method, url: &str) -> RequestBuilder {
        self.inner
            .http
            .request(method, url)
            .header(USER_AGENT, concat!("reelsmith/", env!("CARGO_PKG_VERSION")))
    }

    /// Removes any echo of the key from text that came from a server.
    pub(crate) fn scrub(&self, text: &str) -> String {
        match &self.inner.key {
            Some(key) if !key.expose().is_empty() => text.replace(key.expose(), &key.masked()),
            _ => text.to_string(),
        }
    }

    /// Sends the request `build` makes, again after retryable answers and transport failures,
    /// and returns the last answer whatever its status.
    pub(crate) async fn send_raw(
        &self,
        what: &str,
        transport: TransportRetry,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response, FalError> {
        let policy = self.inner.retry;
        let mut retry = 0u32;
        loop {
            match build().send().await {
                Ok(resp) => {
                    if retry < policy.max_retries
                        && is_retryable_status(resp.status(), resp.headers())
                    {
                        tracing::debug!(what, status = resp.status().as_u16(), retry, "retrying");
                        tokio::time::sleep(policy.delay(retry)).await;
                        retry += 1;
                        continue;
                    }
                    return Ok(resp);
                }
                Err(e) => {
                    if e.is_builder() {
                        return Err(FalError::Protocol(format!("{what}: invalid request: {e}")));
                    }
                    let may_retry = match transport {
                        TransportRetry::Any => true,
                    };
                    if may_retry && retry < policy.max_retries {
                        tracing::debug!(what, error = %e, retry, "retrying after a transport error");
                        tokio::time::sleep(policy.delay(retry)).await;
                        retry += 1;
                        continue;
                    }
                    return Err(transport_error(&e, what));
                }
            }
        }
    }

    /// `send_raw`, then any non-2xx answer as a typed error.
    pub(crate) async fn send_ok(
        &self,
        what: &str,
        phase: Phase,
        transport: TransportRetry,
        build: impl Fn() -> RequestBuilder,
    ) -> Result<Response, FalError> {
        let resp = self.send_raw(what, transport, build).await?;
        if resp.status().is_success() {
            Ok(resp)
        } else {
            Err(self.error_from(resp, phase, what).await)
        }
    }

    /// Reads a non-2xx answer into a typed error.
    pub(crate) async fn error_from(&self, resp: Response, phase: Phase, what: &str) -> FalError {
        let status = resp.status();
        let headers = resp.headers().clone();
        let path = resp.url().path().to_string();
        // Error bodies are small; a failure to read one still leaves the status to go on.
        let body = match read_limited(resp, MAX_ERROR_BYTES).await {
            Ok(body) => body.to_vec(),
            Err(BodyError::TooLarge { limit }) => {
                return FalError::TooLarge {
                    what: format!("{what} (HTTP {})", status.as_u16()),
                    path,
                    limit,
                };
            }
            Err(BodyError::Transport(_)) => Vec::new(),
        };
        let has_key = self.inner.key.is_some();
        error_from_response(status, &headers, &body, phase, what, has_key, &|s| {
            self.scrub(s)
        })
    }

    /// Reads a 2xx answer's JSON body.
    pub(crate) async fn json_body<T: serde::de::DeserializeOwned>(
        &self,
        resp: Response,
        what: &str,
    ) -> Result<T, FalError> {
        let path = resp.url().path().to_string();
        let bytes = read_limited(resp, MAX_JSON_BYTES)
            .await
            .map_err(|e| body_error(e, what, &path))?;
        serde_json::from_slice(&bytes).map_err(|e| {
            FalError::Protocol(format!(
                "{what}: the answer is not the expected JSON ({e}): {}",
                self.scrub(&String::from_utf8_lossy(&bytes[..bytes.len().min(200)]))
            ))
        })
    }
}

/// The typed error for a body that could not be read within its limit.
pub(crate) fn body_error(e: BodyError, what: &str, path: &str) -> FalError {
    match e {
        BodyError::TooLarge { limit } => FalError::TooLarge {
            what: what.to_string(),
            path: path.to_string(),
            limit,
        },
        BodyError::Transport(e) => transport_error(&e, what),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fal::QueueHandle;

    fn assert_send<T: Send>(_: &T) {}

    /// The engine runs these on `tokio::spawn`, which needs `Send` futures.
    #[test]
    fn client_futures_are_send() {
        let client = FalClient::new(
            FalUrls {
                queue: "http://127.0.0.1:9/q".into(),
                rest: "http://127.0.0.1:9/r".into(),
                openapi: String::new(),
                api: String::new(),
            },
            None,
        )
        .unwrap();
        let h: QueueHandle = client.handle_for("fal-ai/veo3.1", "x");
        let v = serde_json::json!({});
        let p = std::path::Path::new("x");
        assert_send(&client.submit("fal-ai/veo3.1", &v));
        assert_send(&client.follow(&h, |_| {}));
        assert_send(&client.upload_file(p, |_, _| {}));
        assert_send(&client.download("http://127.0.0.1:9/c", p, None, |_, _| {}));
        assert_send(&client.cancel(&h));
    }
}
