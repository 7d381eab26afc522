//! The queue API: submit, status, result, cancel, and the handle that names a job.

use reqwest::Method;
use reqwest::header::ACCEPT;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::{FalClient, TransportRetry};
use super::error::{FalError, Phase};

/// The URLs of one queued job, as submit returned them (stored in the journal to resume).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueHandle {
    /// The endpoint id it was submitted to, e.g. `fal-ai/veo3.1/reference-to-video`.
    pub endpoint_id: String,
    /// fal's request id.
    pub request_id: String,
    /// `GET` for the status (`/stream` appended for SSE).
    pub status_url: String,
    /// `GET` for the result.
    pub response_url: String,
    /// `PUT` to cancel.
    pub cancel_url: String,
}

/// Where a job is in fal's queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QueueState {
    /// Waiting; `position` 0 means next.
    InQueue {
        /// 0-based place in the queue, when fal says.
        position: Option<u64>,
    },
    /// Running on a worker.
    InProgress,
    /// Finished, successfully or not (see `QueueStatus::error`).
    Completed,
}

/// One line of a job's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// The text.
    pub message: String,
    /// `INFO`, `ERROR`, … when given.
    pub level: Option<String>,
    /// When it was written, as fal gave it.
    pub timestamp: Option<String>,
}

/// A status answer (from polling or one SSE event).
#[derive(Debug, Clone, PartialEq)]
pub struct QueueStatus {
    /// Queue state.
    pub state: QueueState,
    /// Log lines carried by this answer (all so far when polled, only new ones on the stream).
    pub logs: Vec<LogLine>,
    /// fal's `metrics` (e.g. `inference_time`) once completed.
    pub metrics: Option<Value>,
    /// fal's error message when the job failed.
    pub error: Option<String>,
    /// fal's error type when the job failed (e.g. `content_policy_violation`).
    pub error_type: Option<String>,
}

/// What a cancel request achieved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// fal accepted the cancellation (202).
    Requested,
    /// The job had already finished (400).
    AlreadyCompleted,
}

/// The body of an accepted submit.
#[derive(Deserialize)]
pub(crate) struct SubmitAnswer {
    pub(crate) request_id: String,
    pub(crate) status_url: Option<String>,
    pub(crate) response_url: Option<String>,
    pub(crate) cancel_url: Option<String>,
}

fn log_line(value: &Value) -> Option<LogLine> {
    let text = |k: &str| value.get(k).and_then(Value::as_str).map(str::to_string);
    match value {
        Value::String(s) => Some(LogLine {
            message: s.clone(),
            level: None,
            timestamp: None,
        }),
        Value::Object(_) => Some(LogLine {
            message: text("message")?,
            level: text("level"),
            timestamp: text("timestamp").or_else(|| {
                value
                    .get("timestamp")
                    .filter(|t| !t.is_null())
                    .map(Value::to_string)
            }),
        }),
        _ => None,
    }
}

/// Parses a status body (`{"status": "IN_QUEUE", "queue_position": 2, "logs": [...], ...}`).
pub(crate) fn parse_status(value: &Value) -> Result<QueueStatus, FalError> {
    let status = value.get("status").and_then(Value::as_str).ok_or_else(|| {
        FalError::Protocol(format!(
            "a status answer has no \"status\" field: {}",
            short(value)
        ))
    })?;
    let state = match status {
        "IN_QUEUE" => QueueState::InQueue {
            position: value.get("queue_position").and_then(Value::as_u64),
        },
        "IN_PROGRESS" => QueueState::InProgress,
        "COMPLETED" => QueueState::Completed,
        other => {
            return Err(FalError::Protocol(format!(
                "unknown queue status \"{other}\""
            )));
        }
    };
    let text = |k: &str| {
        value.get(k).and_then(|v| match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        })
    };
    Ok(QueueStatus {
        state,
        logs: value
            .get("logs")
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(log_line).collect())
            .unwrap_or_default(),
        metrics: value.get("metrics").filter(|m| !m.is_null()).cloned(),
        error: text("error"),
        error_type: text("error_type"),
    })
}

fn short(value: &Value) -> String {
    let s = value.to_string();
    s.chars().take(200).collect()
}

/// `owner/alias` of an endpoint id (`workflows/` and `comfy/` ids keep one more segment).
pub(crate) fn app_prefix(endpoint_id: &str) -> String {
    let parts: Vec<&str> = endpoint_id.trim_matches('/').split('/').collect();
    let keep = if matches!(parts.first(), Some(&"workflows") | Some(&"comfy")) {
        3
    } else {
        2
    };
    parts[..parts.len().min(keep)].join("/")
}

/// Whether two URLs share scheme, host and port.
pub(crate) fn same_origin(a: &str, b: &str) -> bool {
    match (url::Url::parse(a), url::Url::parse(b)) {
        (Ok(a), Ok(b)) => a.origin() == b.origin(),
        _ => false,
    }
}

/// `url` with `name=value` appended to its query.
pub(crate) fn with_query(url: &str, name: &str, value: &str) -> Result<String, FalError> {
    let mut u = url::Url::parse(url)
        .map_err(|e| FalError::Protocol(format!("fal gave an invalid URL \"{url}\": {e}")))?;
    u.query_pairs_mut().append_pair(name, value);
    Ok(u.to_string())
}

impl FalClient {
    /// The handle of an existing job from its id, in fal's owner/alias URL form.
    pub fn handle_for(&self, endpoint_id: &str, request_id: &str) -> QueueHandle {
        let base = format!(
            "{}/{}/requests/{}",
            self.inner.urls.queue_base(),
            app_prefix(endpoint_id),
            request_id.trim()
        );
        QueueHandle {
            endpoint_id: endpoint_id.trim().trim_matches('/').to_string(),
            request_id: request_id.trim().to_string(),
            status_url: format!("{base}/status"),
            cancel_url: format!("{base}/cancel"),
            response_url: base,
        }
    }

    /// One status poll; `logs` asks for all log lines so far.
    pub async fn status(&self, handle: &QueueHandle, logs: bool) -> Result<QueueStatus, FalError> {
        let url = with_query(&handle.status_url, "logs", if logs { "1" } else { "0" })?;
        let what = format!("status of request {}", handle.request_id);
        let timeout = self.inner.options.request_timeout;
        let resp = self
            .send_ok(&what, Phase::Other, TransportRetry::Any, || {
                self.keyed(Method::GET, &url)
                    .header(ACCEPT, "application/json")
                    .timeout(timeout)
            })
            .await?;
        let value: Value = self.json_body(resp, &what).await?;
        parse_status(&value)
    }

    /// The finished job's output JSON; a failed job comes back as `FalError::Service`.
    pub async fn result(&self, handle: &QueueHandle) -> Result<Value, FalError> {
        Ok(self.result_billed(handle).await?.0)
    }

    /// The output JSON and the units fal billed for it (its `X-Fal-Billable-Units` header, a
    /// decimal string; `None` when absent or unreadable).
    pub async fn result_billed(
        &self,
        handle: &QueueHandle,
    ) -> Result<(Value, Option<f64>), FalError> {
        let what = format!("result of request {}", handle.request_id);
        let timeout = self.inner.options.request_timeout;
        let resp = self
            .send_ok(&what, Phase::Result, TransportRetry::Any, || {
                self.keyed(Method::GET, &handle.response_url)
                    .header(ACCEPT, "application/json")
                    .timeout(timeout)
            })
            .await?;
        let units = billable_units(resp.headers());
        Ok((self.json_body(resp, &what).await?, units))
    }

    /// Asks fal to cancel the job.
    pub async fn cancel(&self, handle: &QueueHandle) -> Result<CancelOutcome, FalError> {
        let what = format!("cancel of request {}", handle.request_id);
        let timeout = self.inner.options.request_timeout;
        let resp = self
            .send_raw(&what, TransportRetry::Any, || {
                self.keyed(Method::PUT, &handle.cancel_url).timeout(timeout)
            })
            .await?;
        match resp.status().as_u16() {
            200..=299 => Ok(CancelOutcome::Requested),
            400 => Ok(CancelOutcome::AlreadyCompleted),
            _ => Err(self.error_from(resp, Phase::Other, &what).await),
        }
    }

    /// Checks the key with a harmless authenticated request (a made-up request id: 404 = key ok).
    pub async fn check_key(&self) -> Result<(), FalError> {
        let url = format!(
            "{}/fal-ai/veo3.1/requests/00000000-0000-0000-0000-000000000000/status",
            self.inner.urls.queue_base()
        );
        let what = "key check";
        let timeout = self.inner.options.request_timeout;
        let resp = self
            .send_raw(what, TransportRetry::Any, || {
                self.keyed(Method::GET, &url).timeout(timeout)
            })
            .await?;
        match resp.status().as_u16() {
            200..=299 | 404 => Ok(()),
            _ => Err(self.error_from(resp, Phase::Other, what).await),
        }
    }
}

/// The header fal's apps set to say how many units a request is billed.
pub const BILLABLE_UNITS_HEADER: &str = "x-fal-billable-units";

/// `X-Fal-Billable-Units` as a number: finite and not negative, else `None`.
pub fn billable_units(headers: &reqwest::header::HeaderMap) -> Option<f64> {
    headers
        .get(BILLABLE_UNITS_HEADER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|u| u.is_finite() && *u >= 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fal::{ApiKey, FalUrls};
    use serde_json::json;

    #[test]
    fn app_prefix_drops_the_sub_path() {
        assert_eq!(
            app_prefix("fal-ai/veo3.1/reference-to-video"),
            "fal-ai/veo3.1"
        );
        assert_eq!(
            app_prefix("fal-ai/kling-video/o1/standard/reference-to-video"),
            "fal-ai/kling-video"
        );
        assert_eq!(
            app_prefix("fal-ai/video-as-prompt"),
            "fal-ai/video-as-prompt"
        );
        assert_eq!(
            app_prefix("workflows/me/my-flow/run"),
            "workflows/me/my-flow"
        );
    }

    #[test]
    fn handle_for_builds_owner_alias_urls() {
        let client = FalClient::new(
            FalUrls {
                queue: "https://queue.fal.run/".into(),
                rest: "https://rest.fal.ai".into(),
                openapi: "https://fal.ai/api/openapi/queue/openapi.json".into(),
                api: "https://api.fal.ai/v1".into(),
            },
            Some(ApiKey::new("k:s")),
        )
        .unwrap();
        let h = client.handle_for("fal-ai/veo3.1/fast/image-to-video", "abc");
        assert_eq!(
            h.status_url,
            "https://queue.fal.run/fal-ai/veo3.1/requests/abc/status"
        );
        assert_eq!(
            h.response_url,
            "https://queue.fal.run/fal-ai/veo3.1/requests/abc"
        );
        assert_eq!(
            h.cancel_url,
            "https://queue.fal.run/fal-ai/veo3.1/requests/abc/cancel"
        );
        assert_eq!(h.endpoint_id, "fal-ai/veo3.1/fast/image-to-video");
    }

    #[test]
    fn parses_status_bodies() {
        let q = parse_status(&json!({"status":"IN_QUEUE","queue_position":2,"request_id":"r"}))
            .unwrap();
        assert_eq!(q.state, QueueState::InQueue { position: Some(2) });
        let p = parse_status(&json!({"status":"IN_PROGRESS","logs":[
            {"message":"step 1","level":"INFO","source":"user","timestamp":"2026-01-01T00:00:00Z"}]}))
        .unwrap();
        assert_eq!(p.state, QueueState::InProgress);
        assert_eq!(p.logs[0].message, "step 1");
        assert_eq!(p.logs[0].level.as_deref(), Some("INFO"));
        let c = parse_status(
            &json!({"status":"COMPLETED","logs":null,"metrics":{"inference_time":1.5},
            "error":"flagged","error_type":"content_policy_violation"}),
        )
        .unwrap();
        assert_eq!(c.state, QueueState::Completed);
        assert!(c.logs.is_empty());
        assert_eq!(c.error_type.as_deref(), Some("content_policy_violation"));
        assert!(parse_status(&json!({"status":"WEIRD"})).is_err());
        assert!(parse_status(&json!({"queue_position":1})).is_err());
    }

    #[test]
    fn origins_compare_scheme_host_and_port() {
        assert!(same_origin(
            "https://queue.fal.run/fal-ai/x/requests/r/status",
            "https://queue.fal.run"
        ));
        assert!(!same_origin(
            "https://queue.fal.run.evil.example/x",
            "https://queue.fal.run"
        ));
        assert!(!same_origin(
            "http://queue.fal.run/x",
            "https://queue.fal.run"
        ));
        assert!(!same_origin("http://127.0.0.1:1/x", "http://127.0.0.1:2"));
        assert!(!same_origin("not a url", "https://queue.fal.run"));
    }

    #[test]
    fn with_query_appends() {
        assert_eq!(
            with_query("http://h/queue/a/b/requests/x/status", "logs", "1").unwrap(),
            "http://h/queue/a/b/requests/x/status?logs=1"
        );
        assert!(with_query("not a url", "logs", "1").is_err());
    }
}
