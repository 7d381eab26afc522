//! Fetching one endpoint's OpenAPI document from fal's public schema service.

use std::time::Duration;

use serde_json::Value;

use super::CatalogError;
use crate::fal::body::{BodyError, MAX_ERROR_BYTES, MAX_OPENAPI_BYTES, read_limited};

/// Environment variable naming the OpenAPI service (the simulator's in tests).
pub const OPENAPI_URL_ENV: &str = "REELSMITH_OPENAPI_URL";
/// fal's OpenAPI service.
pub const DEFAULT_OPENAPI_URL: &str = "https://fal.ai/api/openapi/queue/openapi.json";
/// Longest wait for one document.
const TIMEOUT: Duration = Duration::from_secs(30);
/// How much of an error answer is quoted back.
const BODY_QUOTE: usize = 300;

/// The OpenAPI service to use: `REELSMITH_OPENAPI_URL` if set, else fal's.
pub fn openapi_url() -> String {
    std::env::var(OPENAPI_URL_ENV)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| DEFAULT_OPENAPI_URL.to_string())
}

/// `GET {openapi_url}?endpoint_id=ID` → the parsed JSON document (not yet checked as a form).
pub(crate) async fn get_document(id: &str, openapi_url: &str) -> Result<Value, CatalogError> {
    let mut url = url::Url::parse(openapi_url).map_err(|e| CatalogError::Unreachable {
        id: id.to_string(),
        url: openapi_url.to_string(),
        reason: format!("the address is not a valid URL ({e})"),
    })?;
    url.query_pairs_mut().append_pair("endpoint_id", id);
    let unreachable = |reason: String| CatalogError::Unreachable {
        id: id.to_string(),
        url: url.to_string(),
        reason,
    };
    // The schema service is public: no key is ever sent to it.
    let client = reqwest::Client::builder()
        .timeout(TIMEOUT)
        .build()
        .map_err(|e| unreachable(describe(&e)))?;
    let response = client
        .get(url.clone())
        .header("accept", "application/json")
        .send()
        .await
        .map_err(|e| unreachable(describe(&e)))?;
    let status = response.status();
    let limit = if status.is_success() {
        MAX_OPENAPI_BYTES
    } else {
        MAX_ERROR_BYTES
    };
    let body = match read_limited(response, limit).await {
        Ok(body) => body,
        Err(BodyError::TooLarge { limit }) => {
            return Err(CatalogError::TooLarge {
                id: id.to_string(),
                path: url.path().to_string(),
                limit,
            });
        }
        Err(BodyError::Transport(e)) => return Err(unreachable(describe(&e))),
    };
    if status == reqwest::StatusCode::NOT_FOUND {
        return Err(CatalogError::NotFound {
            id: id.to_string(),
            url: url.to_string(),
        });
    }
    if !status.is_success() {
        let text = String::from_utf8_lossy(&body);
        return Err(CatalogError::Http {
            id: id.to_string(),
            status: status.as_u16(),
            body: text.chars().take(BODY_QUOTE).collect(),
        });
    }
    serde_json::from_slice(&body).map_err(|e| CatalogError::Invalid {
        id: id.to_string(),
        reason: format!("the answer is not JSON ({e})"),
    })
}

/// A network error in a few words: its innermost cause, without repeating the URL.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("no answer within {} s", TIMEOUT.as_secs());
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let detail = cause.to_string();
    if e.is_connect() {
        format!("could not connect ({detail})")
    } else {
        detail
    }
}
