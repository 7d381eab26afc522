//! Request history: `GET /models/requests/by-endpoint` — the requests fal received for an
//! endpoint, with their input and output when `expand=payloads` is asked for.
//!
//! It finds a submit whose answer was lost (by content and time) and the output of a job whose
//! queue result expired (by request id). fal keeps payloads about 30 days; rows of requests still
//! queued may not be listed yet, so an empty answer is not proof that nothing arrived.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;

use super::{DEFAULT_MAX_PAGES, Listing, PlatformError};
use crate::fal::client::FalClient;

/// The path of the call under the platform API base.
pub const BY_ENDPOINT_PATH: &str = "models/requests/by-endpoint";

/// The most requests fal gives per page.
pub const MAX_LIMIT: u32 = 100;

/// What to ask the request history for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryQuery {
    /// The full endpoint id the request was submitted to.
    pub endpoint_id: String,
    /// Requests from this moment on (always sent: fal's default is 24 h, or 90 d with an id).
    pub start: DateTime<Utc>,
    /// Requests up to (not including) this moment.
    pub end: DateTime<Utc>,
    /// Only this request.
    pub request_id: Option<String>,
    /// Include `json_input` and `json_output`.
    pub payloads: bool,
    /// Requests per page (1–100).
    pub limit: u32,
}

impl HistoryQuery {
    /// The query parameters as fal documents them.
    fn params(&self) -> Vec<(&'static str, String)> {
        let time = |t: DateTime<Utc>| t.to_rfc3339_opts(SecondsFormat::Millis, true);
        let mut q = vec![
            ("endpoint_id", self.endpoint_id.clone()),
            ("start", time(self.start)),
            ("end", time(self.end)),
            ("limit", self.limit.clamp(1, MAX_LIMIT).to_string()),
        ];
        if let Some(id) = &self.request_id {
            q.push(("request_id", id.clone()));
        }
        if self.payloads {
            q.push(("expand", "payloads".into()));
        }
        q
    }
}

/// One request as the history lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoryItem {
    /// fal's request id.
    pub request_id: String,
    /// The endpoint it was submitted to.
    pub endpoint_id: String,
    /// When fal received it ("sent to the backend").
    pub sent_at: Option<DateTime<Utc>>,
    /// When a runner started it.
    pub started_at: Option<DateTime<Utc>>,
    /// When it ended; `None` while it runs (or when fal does not say).
    pub ended_at: Option<DateTime<Utc>>,
    /// The HTTP status the model answered with; `None` while it runs.
    pub status_code: Option<u16>,
    /// Seconds it ran.
    pub duration: Option<f64>,
    /// The input as fal received it (only with payloads; gone after about 30 days).
    pub json_input: Option<Value>,
    /// The output (only with payloads).
    pub json_output: Option<Value>,
}

impl HistoryItem {
    /// True when the model answered with success.
    pub fn succeeded(&self) -> bool {
        self.status_code.is_some_and(|c| (200..300).contains(&c))
    }
}

/// An RFC 3339 time as fal writes them (fractional seconds, `Z` or an offset).
pub(crate) fn parse_time(value: Option<&Value>) -> Option<DateTime<Utc>> {
    let text = value?.as_str()?;
    DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Reads one item; `None` when it lacks the two required ids.
pub(crate) fn parse_item(value: &Value) -> Option<HistoryItem> {
    let text = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_string);
    let payload = |k: &str| value.get(k).filter(|v| !v.is_null()).cloned();
    Some(HistoryItem {
        request_id: text("request_id").filter(|s| !s.trim().is_empty())?,
        endpoint_id: text("endpoint_id")?,
        sent_at: parse_time(value.get("sent_at")),
        started_at: parse_time(value.get("started_at")),
        ended_at: parse_time(value.get("ended_at")),
        status_code: value
            .get("status_code")
            .and_then(Value::as_u64)
            .and_then(|c| u16::try_from(c).ok()),
        duration: value.get("duration").and_then(Value::as_f64),
        json_input: payload("json_input"),
        json_output: payload("json_output"),
    })
}

impl FalClient {
    /// The requests of `query.endpoint_id` in its time window, over up to `max_pages` pages
    /// (0 = [`DEFAULT_MAX_PAGES`]).
    pub async fn request_history(
        &self,
        query: &HistoryQuery,
        max_pages: usize,
    ) -> Result<Listing<HistoryItem>, PlatformError> {
        let what = match &query.request_id {
            Some(id) => format!(
                "the request history of {} (request {id})",
                query.endpoint_id
            ),
            None => format!("the request history of {}", query.endpoint_id),
        };
        let pages = if max_pages == 0 {
            DEFAULT_MAX_PAGES
        } else {
            max_pages
        };
        self.platform_list(
            &what,
            BY_ENDPOINT_PATH,
            &query.params(),
            "items",
            pages,
            parse_item,
        )
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_are_read_leniently() {
        let item = parse_item(&json!({
            "request_id": "a1b2", "endpoint_id": "fal-ai/flux/dev",
            "started_at": "2025-01-01T00:00:05Z", "sent_at": "2025-01-01T00:00:01.250+01:00",
            "ended_at": null, "status_code": null, "duration": 7.8,
            "json_input": {"prompt": "cat"}, "unknown_field": 1
        }))
        .unwrap();
        assert_eq!(item.request_id, "a1b2");
        assert_eq!(
            item.sent_at
                .unwrap()
                .to_rfc3339_opts(SecondsFormat::Millis, true),
            "2024-12-31T23:00:01.250Z"
        );
        assert_eq!(item.ended_at, None);
        assert!(!item.succeeded());
        assert_eq!(item.json_input, Some(json!({"prompt": "cat"})));
        assert_eq!(item.json_output, None);
        assert!(parse_item(&json!({"endpoint_id": "x"})).is_none());
        assert!(parse_item(&json!({"request_id": "", "endpoint_id": "x"})).is_none());
    }

    #[test]
    fn the_query_always_names_its_window() {
        let start = DateTime::parse_from_rfc3339("2026-03-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let q = HistoryQuery {
            endpoint_id: "fal-ai/veo3.1/image-to-video".into(),
            start,
            end: start + chrono::Duration::minutes(10),
            request_id: Some("r".into()),
            payloads: true,
            limit: 500,
        };
        let params = q.params();
        assert!(params.contains(&("start", "2026-03-01T10:00:00.000Z".into())));
        assert!(params.contains(&("end", "2026-03-01T10:10:00.000Z".into())));
        assert!(params.contains(&("limit", "100".into())));
        assert!(params.contains(&("expand", "payloads".into())));
        assert!(params.contains(&("request_id", "r".into())));
    }
}
