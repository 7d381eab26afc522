//! A simulated job and its timeline: IN_QUEUE (position falling) → IN_PROGRESS (log lines) →
//! COMPLETED. The state is computed from the time elapsed since submit, so no task ticks per job;
//! only the result (an MP4) is produced by a task, and COMPLETED waits for it.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::state::lock;

/// The `error_type` a cancelled job completes with. fal does not document the value it uses,
/// so the simulator picks this self-explanatory one; its result URL then answers 400 with
/// `{"detail": ..., "error_type": "request_cancelled"}`.
pub const CANCELLED_ERROR_TYPE: &str = "request_cancelled";

/// How a job ended.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Outcome {
    /// The model output JSON, answered by the result URL with 200.
    Success { result: Value },
    /// A failure: `error`/`error_type` on the COMPLETED status, `status` + `body` on the result URL.
    Failure {
        error: String,
        error_type: String,
        status: u16,
        body: Value,
    },
}

impl Outcome {
    /// A model error (as `model_error_next` asks): 422 with fal's detail list on the prompt.
    pub fn model_error(error_type: &str, message: &str) -> Outcome {
        Outcome::Failure {
            error: message.to_string(),
            error_type: error_type.to_string(),
            status: 422,
            body: json!({"detail": [{"loc": ["body", "prompt"], "msg": message, "type": error_type}]}),
        }
    }

    /// An input URL the model could not fetch: `file_download_error` naming the field.
    pub fn download_failed(loc: &[Value], url: &str) -> Outcome {
        let field = super::inputs::describe_loc(loc);
        let msg = format!(
            "Failed to download the file given in `{field}` ({url}): it is not a file on this \
             simulator's CDN. Upload the file first and pass the URL the upload returned."
        );
        let mut full_loc = vec![Value::from("body")];
        full_loc.extend(loc.iter().cloned());
        Outcome::Failure {
            error: msg.clone(),
            error_type: "file_download_error".into(),
            status: 422,
            body: json!({"detail": [{
                "loc": full_loc,
                "msg": msg,
                "type": "file_download_error",
                "url": "https://docs.fal.ai/errors/#file_download_error",
                "input": url,
            }]}),
        }
    }
}

/// Where a job is on its timeline at one instant.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Phase {
    InQueue { position: u32 },
    InProgress,
    Completed(Outcome),
}

impl Phase {
    /// fal's status name.
    pub fn name(&self) -> &'static str {
        match self {
            Phase::InQueue { .. } => "IN_QUEUE",
            Phase::InProgress => "IN_PROGRESS",
            Phase::Completed(_) => "COMPLETED",
        }
    }

    /// 202 while queued or running, 200 once completed (as fal's status route answers).
    pub fn http_status(&self) -> u16 {
        match self {
            Phase::Completed(_) => 200,
            _ => 202,
        }
    }
}

/// A job's state at one instant plus how many of its log lines are visible by then.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Snapshot {
    pub phase: Phase,
    pub visible_logs: usize,
}

/// One log line and when (after submit) it appears.
#[derive(Debug, Clone)]
pub(crate) struct LogLine {
    pub at: Duration,
    pub level: &'static str,
    pub message: String,
}

#[derive(Debug, Default)]
struct JobInner {
    cancelled: bool,
    /// When the cancel came (the job completes then).
    cancelled_at: Option<Instant>,
    outcome: Option<Outcome>,
    /// When the outcome was recorded (a slow render can complete a job after its run time).
    outcome_at: Option<Instant>,
}

/// One submitted request.
#[derive(Debug)]
pub(crate) struct Job {
    pub id: String,
    pub endpoint_id: String,
    /// `owner/alias` (with a `workflows`/`comfy` namespace when present): the status URL form.
    pub app: String,
    pub submitted: Instant,
    pub submitted_wall: DateTime<Utc>,
    pub queue_time: Duration,
    pub run_time: Duration,
    pub initial_position: u32,
    pub logs: Vec<LogLine>,
    /// The submitted JSON body, for the request history.
    pub input: Value,
    inner: Mutex<JobInner>,
}

/// What a cancel request found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CancelOutcome {
    Requested,
    AlreadyCompleted,
}

/// `owner/alias` of an endpoint id (`fal-ai/veo3.1/fast/image-to-video` → `fal-ai/veo3.1`).
pub(crate) fn app_of(endpoint_id: &str) -> String {
    let parts: Vec<&str> = endpoint_id.split('/').filter(|p| !p.is_empty()).collect();
    let keep = if matches!(parts.first(), Some(&"workflows") | Some(&"comfy")) {
        3
    } else {
        2
    };
    parts[..parts.len().min(keep)].join("/")
}

impl Job {
    /// A job whose log lines are spread evenly over its run time.
    pub fn new(
        id: String,
        endpoint_id: String,
        queue_time: Duration,
        run_time: Duration,
        initial_position: u32,
        messages: Vec<(&'static str, String)>,
        input: Value,
    ) -> Job {
        let count = messages.len().max(1) as u32;
        let logs = messages
            .into_iter()
            .enumerate()
            .map(|(i, (level, message))| LogLine {
                at: queue_time.saturating_add(run_time.saturating_mul(i as u32) / count),
                level,
                message,
            })
            .collect();
        Job {
            app: app_of(&endpoint_id),
            id,
            endpoint_id,
            submitted: Instant::now(),
            submitted_wall: Utc::now(),
            queue_time,
            run_time,
            initial_position,
            logs,
            input,
            inner: Mutex::new(JobInner::default()),
        }
    }

    /// The wall-clock time of an instant of this job's timeline.
    pub fn wall(&self, at: Instant) -> DateTime<Utc> {
        chrono::Duration::from_std(at.saturating_duration_since(self.submitted))
            .ok()
            .and_then(|offset| self.submitted_wall.checked_add_signed(offset))
            .unwrap_or(self.submitted_wall)
    }

    /// When a runner took the job, if one has by `now` (a job cancelled in the queue never ran).
    pub fn started_at(&self, now: Instant) -> Option<Instant> {
        let start = self.submitted + self.queue_time;
        let inner = lock(&self.inner);
        if inner.cancelled_at.is_some_and(|c| c < start) || now < start {
            return None;
        }
        Some(start)
    }

    /// When the job completed, if it has by `now`.
    pub fn completed_at(&self, now: Instant) -> Option<Instant> {
        if !matches!(self.snapshot(now).phase, Phase::Completed(_)) {
            return None;
        }
        let inner = lock(&self.inner);
        if let Some(at) = inner.cancelled_at {
            return Some(at);
        }
        let planned = self.submitted + self.queue_time + self.run_time;
        Some(inner.outcome_at.map_or(planned, |at| at.max(planned)))
    }

    /// Records how the job ends, unless it already has an outcome (a cancel wins over a render).
    pub fn set_outcome(&self, outcome: Outcome) {
        let mut inner = lock(&self.inner);
        if inner.outcome.is_none() {
            inner.outcome = Some(outcome);
            inner.outcome_at = Some(Instant::now());
        }
    }

    /// Where the job is at `now`.
    pub fn snapshot(&self, now: Instant) -> Snapshot {
        let inner = lock(&self.inner);
        let all = self.logs.len();
        if inner.cancelled
            && let Some(outcome) = &inner.outcome
        {
            let visible = self.visible_logs(now);
            return Snapshot {
                phase: Phase::Completed(outcome.clone()),
                visible_logs: visible,
            };
        }
        let elapsed = now.saturating_duration_since(self.submitted);
        if elapsed < self.queue_time {
            let steps = self.initial_position as f64 + 1.0;
            let fraction = elapsed.as_secs_f64() / self.queue_time.as_secs_f64();
            let fallen = (fraction * steps).floor() as u32;
            return Snapshot {
                phase: Phase::InQueue {
                    position: self.initial_position.saturating_sub(fallen),
                },
                visible_logs: 0,
            };
        }
        match &inner.outcome {
            Some(outcome) if elapsed >= self.queue_time.saturating_add(self.run_time) => Snapshot {
                phase: Phase::Completed(outcome.clone()),
                visible_logs: all,
            },
            _ => Snapshot {
                phase: Phase::InProgress,
                visible_logs: self.visible_logs(now),
            },
        }
    }

    fn visible_logs(&self, now: Instant) -> usize {
        let elapsed = now.saturating_duration_since(self.submitted);
        self.logs.iter().take_while(|l| l.at <= elapsed).count()
    }

    /// Cancels a job that has not completed; it then completes at once with a cancellation error.
    pub fn cancel(&self, now: Instant) -> CancelOutcome {
        if matches!(self.snapshot(now).phase, Phase::Completed(_)) {
            return CancelOutcome::AlreadyCompleted;
        }
        let mut inner = lock(&self.inner);
        inner.cancelled = true;
        inner.cancelled_at = Some(now);
        inner.outcome_at = Some(now);
        inner.outcome = Some(Outcome::Failure {
            error: "The request was cancelled by the caller before it finished.".into(),
            error_type: CANCELLED_ERROR_TYPE.into(),
            status: 400,
            body: json!({
                "detail": "The request was cancelled before it produced a result.",
                "error_type": CANCELLED_ERROR_TYPE,
            }),
        });
        CancelOutcome::Requested
    }

    /// The status JSON as fal sends it; `logs` is the slice of lines to include (None = no field).
    pub fn status_json(
        &self,
        request_url: &str,
        snapshot: &Snapshot,
        logs: Option<&[LogLine]>,
    ) -> Value {
        let mut body = Map::new();
        body.insert("status".into(), Value::from(snapshot.phase.name()));
        body.insert("request_id".into(), Value::from(self.id.clone()));
        body.insert("response_url".into(), Value::from(request_url));
        body.insert(
            "status_url".into(),
            Value::from(format!("{request_url}/status")),
        );
        body.insert(
            "cancel_url".into(),
            Value::from(format!("{request_url}/cancel")),
        );
        if let Phase::InQueue { position } = snapshot.phase {
            body.insert("queue_position".into(), Value::from(position));
        }
        if let Some(lines) = logs {
            let lines: Vec<Value> = lines.iter().map(|l| self.log_json(l)).collect();
            body.insert("logs".into(), Value::Array(lines));
        }
        if let Phase::Completed(outcome) = &snapshot.phase {
            body.insert(
                "metrics".into(),
                json!({ "inference_time": self.run_time.as_secs_f64() }),
            );
            if let Outcome::Failure {
                error, error_type, ..
            } = outcome
            {
                body.insert("error".into(), Value::from(error.clone()));
                body.insert("error_type".into(), Value::from(error_type.clone()));
            }
        }
        Value::Object(body)
    }

    fn log_json(&self, line: &LogLine) -> Value {
        let at = self.wall(self.submitted + line.at);
        json!({
            "message": line.message,
            "level": line.level,
            "source": "USER",
            "timestamp": at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(queue_ms: u64, run_ms: u64) -> Job {
        Job::new(
            "id".into(),
            "fal-ai/veo3.1/fast".into(),
            Duration::from_millis(queue_ms),
            Duration::from_millis(run_ms),
            3,
            vec![("INFO", "a".into()), ("INFO", "b".into())],
            json!({"prompt": "p"}),
        )
    }

    #[test]
    fn app_drops_the_sub_path() {
        assert_eq!(app_of("fal-ai/veo3.1/fast/image-to-video"), "fal-ai/veo3.1");
        assert_eq!(app_of("fal-ai/video-as-prompt"), "fal-ai/video-as-prompt");
        assert_eq!(app_of("workflows/me/flow/x"), "workflows/me/flow");
    }

    #[test]
    fn timeline_moves_from_queue_to_completed() {
        let j = job(400, 400);
        let t0 = j.submitted;
        assert_eq!(j.snapshot(t0).phase, Phase::InQueue { position: 3 });
        assert_eq!(
            j.snapshot(t0 + Duration::from_millis(350)).phase,
            Phase::InQueue { position: 0 }
        );
        let running = j.snapshot(t0 + Duration::from_millis(450));
        assert_eq!(running.phase, Phase::InProgress);
        assert_eq!(running.visible_logs, 1);
        // Without an outcome (render unfinished) the job stays in progress past its run time.
        assert_eq!(
            j.snapshot(t0 + Duration::from_secs(5)).phase,
            Phase::InProgress
        );
        j.set_outcome(Outcome::Success { result: json!({}) });
        let done = j.snapshot(t0 + Duration::from_secs(5));
        assert!(matches!(done.phase, Phase::Completed(_)));
        assert_eq!(done.visible_logs, 2);
        assert_eq!(
            j.cancel(t0 + Duration::from_secs(5)),
            CancelOutcome::AlreadyCompleted
        );
    }

    #[test]
    fn start_and_completion_times_follow_the_timeline() {
        let j = job(100, 100);
        let t0 = j.submitted;
        assert_eq!(j.started_at(t0), None);
        assert_eq!(
            j.started_at(t0 + Duration::from_millis(150)),
            Some(t0 + Duration::from_millis(100))
        );
        assert_eq!(
            j.completed_at(t0 + Duration::from_secs(1)),
            None,
            "no outcome yet"
        );
        j.set_outcome(Outcome::Success { result: json!({}) });
        let done = j
            .completed_at(Instant::now() + Duration::from_secs(1))
            .unwrap();
        assert!(done >= t0 + Duration::from_millis(200));
        let cancelled = job(10_000, 10_000);
        let at = Instant::now();
        cancelled.cancel(at);
        assert_eq!(cancelled.started_at(at + Duration::from_secs(20)), None);
        assert_eq!(cancelled.completed_at(at), Some(at));
    }

    #[test]
    fn cancel_completes_at_once_with_an_error() {
        let j = job(10_000, 10_000);
        assert_eq!(j.cancel(Instant::now()), CancelOutcome::Requested);
        j.set_outcome(Outcome::Success { result: json!({}) });
        let snap = j.snapshot(Instant::now());
        let status = j.status_json("u", &snap, None);
        assert_eq!(status["status"], "COMPLETED");
        assert_eq!(status["error_type"], CANCELLED_ERROR_TYPE);
    }
}
