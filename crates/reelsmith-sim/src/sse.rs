//! The status stream: `text/event-stream` with one `data:` line per change (only new log lines
//! each time), `: ping` comments while nothing changes, closed after COMPLETED.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use futures_util::stream;

use super::jobs::{Job, Phase, Snapshot};
use super::state::{Shared, lock};

/// How often the stream looks at the job's timeline.
const TICK: Duration = Duration::from_millis(20);

/// What the last event told the client, to decide whether something changed.
#[derive(Debug, Clone, PartialEq)]
enum Told {
    Queue(u32),
    Running,
}

struct StreamState {
    shared: Arc<Shared>,
    job: Arc<Job>,
    with_logs: bool,
    cut_after: Option<u32>,
    sent_events: u32,
    told: Option<(Told, usize)>,
    logs_sent: usize,
    last_write: Instant,
    finished: bool,
}

/// The SSE response for one job; `cut_after` = break the connection after that many events.
pub(crate) fn stream_response(
    shared: Arc<Shared>,
    job: Arc<Job>,
    with_logs: bool,
    cut_after: Option<u32>,
) -> Response {
    let state = StreamState {
        shared,
        job,
        with_logs,
        cut_after,
        sent_events: 0,
        told: None,
        logs_sent: 0,
        last_write: Instant::now(),
        finished: false,
    };
    let body = Body::from_stream(stream::unfold(state, next_chunk));
    let mut response = body.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

/// What an event about `snapshot` tells; new log lines only count when logs were asked for.
fn told_of(snapshot: &Snapshot, with_logs: bool) -> Option<(Told, usize)> {
    let logs = if with_logs { snapshot.visible_logs } else { 0 };
    match snapshot.phase {
        Phase::InQueue { position } => Some((Told::Queue(position), logs)),
        Phase::InProgress => Some((Told::Running, logs)),
        Phase::Completed(_) => None,
    }
}

async fn next_chunk(mut st: StreamState) -> Option<(Result<Bytes, std::io::Error>, StreamState)> {
    if st.finished {
        return None;
    }
    loop {
        let now = Instant::now();
        let snapshot = st.job.snapshot(now);
        let completed = matches!(snapshot.phase, Phase::Completed(_));
        let changed = completed || st.told.is_none() || told_of(&snapshot, st.with_logs) != st.told;
        if changed {
            if let Some(limit) = st.cut_after
                && (st.sent_events >= limit || completed)
            {
                // An error from the body stream makes hyper abort the connection mid-response,
                // which is what a client sees when a proxy or network drops the stream.
                st.finished = true;
                tokio::time::sleep(TICK).await;
                return Some((Err(std::io::Error::other("simulated stream cut")), st));
            }
            let new_logs =
                &st.job.logs[st.logs_sent.min(snapshot.visible_logs)..snapshot.visible_logs];
            let url = st.shared.request_url(&st.job.app, &st.job.id);
            let event = st
                .job
                .status_json(&url, &snapshot, st.with_logs.then_some(new_logs));
            st.logs_sent = snapshot.visible_logs;
            st.told = told_of(&snapshot, st.with_logs);
            st.sent_events += 1;
            st.last_write = now;
            st.finished = completed;
            return Some((Ok(Bytes::from(format!("data: {event}\n\n"))), st));
        }
        let ping_interval = lock(&st.shared.settings).ping_interval;
        if now.duration_since(st.last_write) >= ping_interval {
            st.last_write = now;
            return Some((Ok(Bytes::from_static(b": ping\n\n")), st));
        }
        tokio::select! {
            _ = tokio::time::sleep(TICK) => {}
            _ = st.shared.shutdown.cancelled() => return None,
        }
    }
}
