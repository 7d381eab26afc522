//! Following a job to the end: the SSE status stream, with polling when the stream fails.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Method;
use reqwest::header::ACCEPT;
use serde_json::Value;

use super::body::MAX_SSE_EVENT_BYTES;
use super::client::FalClient;
use super::error::{FalError, Phase, error_chain};
use super::queue::{LogLine, QueueHandle, QueueState, QueueStatus, parse_status, with_query};

/// Progress of a followed job, in the order it happened.
#[derive(Debug, Clone, PartialEq)]
pub enum StatusEvent {
    /// Waiting in the queue (emitted when the position changes).
    Queued {
        /// 0-based place in the queue, when fal says.
        position: Option<u64>,
    },
    /// A worker started the job (emitted once).
    Running,
    /// A new log line.
    Log(LogLine),
    /// The status stream failed; status now comes from polling.
    FellBackToPolling {
        /// Why the stream was abandoned.
        reason: String,
    },
}

/// A successfully finished job (fetch the output with `FalClient::result`).
#[derive(Debug, Clone, PartialEq)]
pub struct Completed {
    /// fal's `metrics`, e.g. `{"inference_time": 41.2}`.
    pub metrics: Option<Value>,
    /// Every log line seen while following.
    pub logs: Vec<LogLine>,
}

/// Turns status answers into events, remembering what was already reported.
struct Tracker<F: FnMut(StatusEvent)> {
    on_event: F,
    logs: Vec<LogLine>,
    last_position: Option<Option<u64>>,
    running: bool,
}

impl<F: FnMut(StatusEvent)> Tracker<F> {
    /// `incremental`: the answer carries only new log lines (SSE), else all of them (polling).
    fn observe(&mut self, status: &QueueStatus, incremental: bool) {
        match &status.state {
            QueueState::InQueue { position }
                if !self.running && self.last_position != Some(*position) =>
            {
                self.last_position = Some(*position);
                (self.on_event)(StatusEvent::Queued {
                    position: *position,
                });
            }
            QueueState::InProgress | QueueState::Completed if !self.running => {
                self.running = true;
                (self.on_event)(StatusEvent::Running);
            }
            _ => {}
        }
        let new: &[LogLine] = if incremental {
            &status.logs
        } else {
            status.logs.get(self.logs.len()..).unwrap_or(&[])
        };
        for line in new {
            self.logs.push(line.clone());
            (self.on_event)(StatusEvent::Log(line.clone()));
        }
    }
}

/// How following the stream ended.
enum StreamEnd {
    Completed(QueueStatus),
    Fallback(String),
}

/// Splits complete SSE events off the front of `buf` and returns their `data` payloads.
pub(crate) fn take_events(buf: &mut Vec<u8>) -> Vec<String> {
    let mut out = Vec::new();
    while let Some(end) = buf.windows(2).position(|w| w == b"\n\n") {
        let block: Vec<u8> = buf.drain(..end + 2).collect();
        let text = String::from_utf8_lossy(&block);
        let data: Vec<&str> = text
            .lines()
            .filter_map(|line| line.strip_prefix("data:"))
            .map(|d| d.strip_prefix(' ').unwrap_or(d))
            .collect();
        // Comment-only blocks (`: ping`) carry no data; they only prove the stream is alive.
        if !data.is_empty() {
            out.push(data.join("\n"));
        }
    }
    out
}

impl FalClient {
    /// Follows the job to COMPLETED through the status stream, polling if the stream breaks,
    /// ends early or stays silent; a failed job returns `FalError::Service` with fal's message.
    pub async fn follow(
        &self,
        handle: &QueueHandle,
        on_event: impl FnMut(StatusEvent) + Send,
    ) -> Result<Completed, FalError> {
        let mut tracker = Tracker {
            on_event,
            logs: Vec::new(),
            last_position: None,
            running: false,
        };
        let final_status = match self.follow_stream(handle, &mut tracker).await? {
            StreamEnd::Completed(status) => status,
            StreamEnd::Fallback(reason) => {
                tracing::info!(request_id = %handle.request_id, %reason, "polling the status instead");
                (tracker.on_event)(StatusEvent::FellBackToPolling { reason });
                self.follow_polling(handle, &mut tracker).await?
            }
        };
        if final_status.error.is_some() || final_status.error_type.is_some() {
            return Err(self.failure(handle, &final_status).await);
        }
        Ok(Completed {
            metrics: final_status.metrics,
            logs: tracker.logs,
        })
    }

    async fn follow_stream<F: FnMut(StatusEvent)>(
        &self,
        handle: &QueueHandle,
        tracker: &mut Tracker<F>,
    ) -> Result<StreamEnd, FalError> {
        let stall = self.inner.options.stream_stall_timeout;
        let mut url = url::Url::parse(&handle.status_url).map_err(|e| {
            FalError::Protocol(format!(
                "fal gave an invalid status URL \"{}\": {e}",
                handle.status_url
            ))
        })?;
        let path = format!("{}/stream", url.path().trim_end_matches('/'));
        url.set_path(&path);
        let url = with_query(url.as_str(), "logs", "1")?;
        let what = format!("status stream of request {}", handle.request_id);
        let request = self
            .keyed(Method::GET, &url)
            .header(ACCEPT, "text/event-stream")
            .send();
        let resp = match tokio::time::timeout(stall, request).await {
            Err(_) => {
                return Ok(StreamEnd::Fallback(format!(
                    "the status stream did not answer within {} s",
                    secs(stall)
                )));
            }
            Ok(Err(e)) => {
                return Ok(StreamEnd::Fallback(format!(
                    "the status stream could not be opened: {}",
                    error_chain(&e)
                )));
            }
            Ok(Ok(resp)) => resp,
        };
        let code = resp.status().as_u16();
        if !resp.status().is_success() {
            // Key and id problems would fail polling the same way: report them now.
            if matches!(code, 401 | 403 | 404) {
                return Err(self.error_from(resp, Phase::Other, &what).await);
            }
            return Ok(StreamEnd::Fallback(format!(
                "the status stream answered HTTP {code}"
            )));
        }
        let mut body = resp.bytes_stream();
        let mut buf: Vec<u8> = Vec::new();
        loop {
            let chunk = match tokio::time::timeout(stall, body.next()).await {
                Err(_) => {
                    return Ok(StreamEnd::Fallback(format!(
                        "the status stream sent nothing for {} s",
                        secs(stall)
                    )));
                }
                Ok(None) => {
                    return Ok(StreamEnd::Fallback(
                        "the status stream ended before the job completed".into(),
                    ));
                }
                Ok(Some(Err(e))) => {
                    return Ok(StreamEnd::Fallback(format!(
                        "the status stream broke: {}",
                        error_chain(&e)
                    )));
                }
                Ok(Some(Ok(chunk))) => chunk,
            };
            // SSE allows CRLF line ends; dropping CR makes event splitting uniform.
            buf.extend(chunk.iter().copied().filter(|&b| b != b'\r'));
            let events = take_events(&mut buf);
            // What is left is one unfinished event: a server that never ends it must not grow
            // the buffer without bound. Polling (bounded too) takes over.
            if buf.len() > MAX_SSE_EVENT_BYTES
                || events.iter().any(|e| e.len() > MAX_SSE_EVENT_BYTES)
            {
                let too_large = FalError::TooLarge {
                    what: what.clone(),
                    path: url_path(&url),
                    limit: MAX_SSE_EVENT_BYTES,
                };
                return Ok(StreamEnd::Fallback(too_large.to_string()));
            }
            for data in events {
                let status = match serde_json::from_str::<Value>(&data)
                    .map_err(|e| e.to_string())
                    .and_then(|v| parse_status(&v).map_err(|e| e.to_string()))
                {
                    Ok(status) => status,
                    Err(e) => {
                        return Ok(StreamEnd::Fallback(format!(
                            "the status stream sent an unreadable event ({e})"
                        )));
                    }
                };
                tracker.observe(&status, true);
                if status.state == QueueState::Completed {
                    return Ok(StreamEnd::Completed(status));
                }
            }
        }
    }

    async fn follow_polling<F: FnMut(StatusEvent)>(
        &self,
        handle: &QueueHandle,
        tracker: &mut Tracker<F>,
    ) -> Result<QueueStatus, FalError> {
        let options = &self.inner.options;
        let mut interval = options.poll_interval;
        loop {
            let status = self.status(handle, true).await?;
            tracker.observe(&status, false);
            if status.state == QueueState::Completed {
                return Ok(status);
            }
            tokio::time::sleep(interval).await;
            interval = interval
                .mul_f64(1.5)
                .min(options.max_poll_interval.max(options.poll_interval));
        }
    }

    /// The error for a job that COMPLETED with `error`/`error_type`; the result body often has
    /// the fuller message and the HTTP status.
    async fn failure(&self, handle: &QueueHandle, status: &QueueStatus) -> FalError {
        let (code, result_type, result_message) = match self.result(handle).await {
            Err(FalError::Service {
                status,
                error_type,
                message,
            }) => (status, error_type, Some(message)),
            _ => (None, None, None),
        };
        let message = status
            .error
            .clone()
            .filter(|m| !m.trim().is_empty())
            .or(result_message)
            .unwrap_or_else(|| "the job failed without a message".to_string());
        FalError::Service {
            status: code,
            error_type: status.error_type.clone().or(result_type),
            message: self.scrub(&message),
        }
    }
}

/// The path of `url` (no host, no query), for messages.
fn url_path(url: &str) -> String {
    url::Url::parse(url)
        .map(|u| u.path().to_string())
        .unwrap_or_default()
}

fn secs(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_events_and_skips_pings() {
        let mut buf =
            b": ping\n\ndata: {\"a\":1}\n\ndata: {\"b\"\ndata: :2}\n\ndata: partial".to_vec();
        let events = take_events(&mut buf);
        assert_eq!(
            events,
            vec!["{\"a\":1}".to_string(), "{\"b\"\n:2}".to_string()]
        );
        assert_eq!(buf, b"data: partial");
    }

    #[test]
    fn tracker_reports_changes_once_and_dedupes_polled_logs() {
        let mut events = Vec::new();
        let mut t = Tracker {
            on_event: |e| events.push(e),
            logs: Vec::new(),
            last_position: None,
            running: false,
        };
        let line = |m: &str| LogLine {
            message: m.into(),
            level: None,
            timestamp: None,
        };
        let st = |state, logs| QueueStatus {
            state,
            logs,
            metrics: None,
            error: None,
            error_type: None,
        };
        t.observe(&st(QueueState::InQueue { position: Some(2) }, vec![]), true);
        t.observe(&st(QueueState::InQueue { position: Some(2) }, vec![]), true);
        t.observe(&st(QueueState::InQueue { position: Some(1) }, vec![]), true);
        t.observe(&st(QueueState::InProgress, vec![line("a")]), true);
        // Polling returns all lines so far: only "b" is new.
        t.observe(
            &st(QueueState::InProgress, vec![line("a"), line("b")]),
            false,
        );
        t.observe(
            &st(QueueState::Completed, vec![line("a"), line("b")]),
            false,
        );
        drop(t);
        assert_eq!(
            events,
            vec![
                StatusEvent::Queued { position: Some(2) },
                StatusEvent::Queued { position: Some(1) },
                StatusEvent::Running,
                StatusEvent::Log(line("a")),
                StatusEvent::Log(line("b")),
            ]
        );
    }
}
