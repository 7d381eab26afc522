//! fal's platform API (`https://api.fal.ai/v1`, the `api` base of [`FalUrls`]): request
//! history, the model catalog, prices, usage, billing events and the balance; they share this
//! plumbing.
//!
//! The plumbing: URLs under the configured base, the key with every call (these are fal API
//! calls, like the queue's), retries of these idempotent GETs after 429,
//! 5xx and transport failures, bodies read up to a bound, the `{"error": …}` envelope, and
//! cursor paging with a loop guard and a page cap.
//!
//! [`FalUrls`]: crate::fal::FalUrls

mod error;
pub mod history;
pub mod models;
pub mod pricing;
pub mod usage;

use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderMap, RETRY_AFTER};
use reqwest::{Method, Response};
use serde_json::Value;

pub use error::{PlatformError, PlatformErrorKind};
pub use history::{HistoryItem, HistoryQuery};
pub use models::{ModelFamily, ModelInfo, ModelQuery, ModelStatus};
pub use pricing::{PriceLookup, UnitPrice};
pub use usage::{Balance, BillingEvent, UsageTotal};

use super::client::FalClient;
use super::error::error_chain;

/// The largest platform answer read (a page of 100 requests with payloads stays far below).
pub const MAX_BODY_BYTES: usize = 16 << 20;

/// Pages one listing follows at most.
pub const DEFAULT_MAX_PAGES: usize = 20;

/// A listing gathered over its pages.
#[derive(Debug, Clone, PartialEq)]
pub struct Listing<T> {
    /// The items of every page read, in the order given.
    pub items: Vec<T>,
    /// False when paging stopped before the end (page cap, a repeated cursor, `has_more`
    /// without a cursor).
    pub complete: bool,
    /// Pages read.
    pub pages: usize,
    /// Items that did not have the documented shape and were left out.
    pub skipped: usize,
}

/// The delay fal asks for in `Retry-After` (seconds) or `x-ratelimit-reset`, if any.
fn asked_delay(headers: &HeaderMap) -> Option<Duration> {
    [RETRY_AFTER.as_str(), "x-ratelimit-reset"]
        .into_iter()
        .filter_map(|name| headers.get(name)?.to_str().ok()?.trim().parse::<f64>().ok())
        .find(|s| s.is_finite() && *s >= 0.0)
        .map(Duration::from_secs_f64)
}

impl FalClient {
    /// `{api base}{path}` with `query` appended (repeated names stay repeated).
    pub(crate) fn api_url(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<String, PlatformError> {
        let base = self.inner.urls.api_base();
        let raw = format!("{base}/{}", path.trim_start_matches('/'));
        let mut url = url::Url::parse(&raw).map_err(|e| {
            PlatformError::Protocol(format!(
                "the platform API base \"{base}\" is not a URL ({e}); fix REELSMITH_API_URL"
            ))
        })?;
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (name, value) in query {
                pairs.append_pair(name, value);
            }
        }
        Ok(url.to_string())
    }

    /// Reads a body up to [`MAX_BODY_BYTES`]; a longer one is refused, not truncated.
    async fn bounded_body(&self, mut resp: Response, what: &str) -> Result<Vec<u8>, PlatformError> {
        let mut body = Vec::new();
        loop {
            match resp.chunk().await {
                Ok(Some(chunk)) => {
                    if body.len() + chunk.len() > MAX_BODY_BYTES {
                        return Err(PlatformError::Protocol(format!(
                            "{what}: the answer is larger than {} MiB",
                            MAX_BODY_BYTES >> 20
                        )));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => return Ok(body),
                Err(e) => return Err(transport(&e, what)),
            }
        }
    }

    /// One platform GET to `path` with `query`, retried after 429, 5xx and transport failures;
    /// returns the JSON of a 2xx answer.
    pub async fn platform_get(
        &self,
        what: &str,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Value, PlatformError> {
        self.platform_call(what, path, query, None).await
    }

    /// One platform POST of a JSON body to `path`; only for calls without side effects (an
    /// estimate), which are retried like GETs.
    pub async fn platform_post(
        &self,
        what: &str,
        path: &str,
        body: &Value,
    ) -> Result<Value, PlatformError> {
        self.platform_call(what, path, &[], Some(body)).await
    }

    async fn platform_call(
        &self,
        what: &str,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value, PlatformError> {
        let url = self.api_url(path, query)?;
        let policy = self.inner.retry;
        let timeout = self.inner.options.request_timeout;
        let mut retry = 0u32;
        loop {
            let mut builder = match body {
                Some(b) => self.keyed(Method::POST, &url).json(b),
                None => self.keyed(Method::GET, &url),
            };
            builder = builder.header(ACCEPT, "application/json").timeout(timeout);
            let sent = builder.send().await;
            let failure = match sent {
                Ok(resp) if resp.status().is_success() => {
                    let body = self.bounded_body(resp, what).await?;
                    return serde_json::from_slice(&body).map_err(|e| {
                        PlatformError::Protocol(format!(
                            "{what}: the answer is not JSON ({e}): {}",
                            self.scrub(&String::from_utf8_lossy(&body[..body.len().min(200)]))
                        ))
                    });
                }
                Ok(resp) => {
                    let status = resp.status();
                    let wait = asked_delay(resp.headers());
                    let body = self.bounded_body(resp, what).await.unwrap_or_default();
                    let scrubbed = self.scrub(&String::from_utf8_lossy(&body));
                    (error::from_answer(status, scrubbed.as_bytes(), what), wait)
                }
                Err(e) if e.is_builder() => {
                    return Err(PlatformError::Protocol(format!(
                        "{what}: invalid request: {e}"
                    )));
                }
                Err(e) => (transport(&e, what), None),
            };
            let (err, wait) = failure;
            if !err.is_retryable() || retry >= policy.max_retries {
                return Err(err);
            }
            let delay = wait
                .map(|w| w.min(policy.max_delay))
                .unwrap_or_else(|| policy.delay(retry));
            tracing::debug!(what, error = %err, retry, "platform call retried");
            tokio::time::sleep(delay).await;
            retry += 1;
        }
    }

    /// Every page of a cursor-paged listing: `items_field` holds each page's items, which
    /// `parse` reads (an item it refuses is counted in [`Listing::skipped`]).
    pub async fn platform_list<T>(
        &self,
        what: &str,
        path: &str,
        query: &[(&str, String)],
        items_field: &str,
        max_pages: usize,
        parse: impl Fn(&Value) -> Option<T>,
    ) -> Result<Listing<T>, PlatformError> {
        let mut listing = Listing {
            items: Vec::new(),
            complete: false,
            pages: 0,
            skipped: 0,
        };
        let mut seen: Vec<String> = Vec::new();
        let mut cursor: Option<String> = None;
        while listing.pages < max_pages.max(1) {
            let mut q = query.to_vec();
            if let Some(c) = &cursor {
                q.push(("cursor", c.clone()));
            }
            let page = self.platform_get(what, path, &q).await?;
            listing.pages += 1;
            let items = page
                .get(items_field)
                .and_then(Value::as_array)
                .ok_or_else(|| {
                    PlatformError::Protocol(format!(
                        "{what}: the answer has no \"{items_field}\" list"
                    ))
                })?;
            for item in items {
                match parse(item) {
                    Some(v) => listing.items.push(v),
                    None => listing.skipped += 1,
                }
            }
            let next = page
                .get("next_cursor")
                .and_then(Value::as_str)
                .filter(|c| !c.is_empty())
                .map(str::to_string);
            let has_more = page.get("has_more").and_then(Value::as_bool);
            match next {
                // A cursor seen before would loop forever: stop, and say the list is partial.
                Some(c) if seen.contains(&c) => return Ok(listing),
                Some(c) if has_more != Some(false) => {
                    seen.push(c.clone());
                    cursor = Some(c);
                }
                _ => {
                    // `has_more: true` with no cursor leaves no way on: partial.
                    listing.complete = has_more != Some(true);
                    return Ok(listing);
                }
            }
        }
        Ok(listing)
    }
}

fn transport(e: &reqwest::Error, what: &str) -> PlatformError {
    if e.is_timeout() {
        PlatformError::Timeout(format!("{what}: {e}"))
    } else {
        PlatformError::Network(format!("{what}: {}", error_chain(e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fal::FalUrls;

    #[test]
    fn api_urls_keep_the_base_path_and_repeat_names() {
        let client = FalClient::new(
            FalUrls {
                queue: "https://queue.fal.run".into(),
                rest: "https://rest.fal.ai".into(),
                openapi: String::new(),
                api: "https://api.fal.ai/v1/".into(),
            },
            None,
        )
        .unwrap();
        let url = client
            .api_url(
                "/models/requests/by-endpoint",
                &[
                    ("endpoint_id", "fal-ai/veo3.1/image-to-video".into()),
                    ("expand", "payloads".into()),
                    ("endpoint_id", "b/c".into()),
                ],
            )
            .unwrap();
        assert_eq!(
            url,
            "https://api.fal.ai/v1/models/requests/by-endpoint?endpoint_id=fal-ai%2Fveo3.1%2Fimage-to-video&expand=payloads&endpoint_id=b%2Fc"
        );
    }

    #[test]
    fn retry_after_and_rate_limit_reset_are_read() {
        let mut h = HeaderMap::new();
        assert_eq!(asked_delay(&h), None);
        h.insert("x-ratelimit-reset", "3".parse().unwrap());
        assert_eq!(asked_delay(&h), Some(Duration::from_secs(3)));
        h.insert(RETRY_AFTER, "1.5".parse().unwrap());
        assert_eq!(asked_delay(&h), Some(Duration::from_millis(1500)));
    }
}
