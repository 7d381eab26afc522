//! What the job subcommands print: a job as JSON, an unknown submission in words, and one line
//! per state change while a job is followed.

use serde_json::{Value, json};

use reelsmith_core::jobs::{Job, JobState};

/// The JSON object printed for a job by `generate --json`, `jobs --json` and `resume --json`.
pub fn job_json(job: &Job, stalled: bool) -> Value {
    let mut obj = json!({
        "job_id": job.id.as_str(),
        "request_id": job.request_id,
        "endpoint": job.endpoint_id,
        "status": job.state.as_str(),
        "output": job.output_path.as_ref().filter(|_| job.state == JobState::Done)
            .map(|p| p.to_string_lossy().into_owned()),
        "video_url": job.video_url,
    });
    if let Some(map) = obj.as_object_mut() {
        map.insert("prompt".into(), json!(job.prompt));
        map.insert("created_at".into(), json!(job.created_at.to_rfc3339()));
        map.insert("stalled".into(), json!(stalled));
        if let Some(seed) = job.seed {
            map.insert("seed".into(), json!(seed));
        }
        if let Some(path) = job
            .output_path
            .as_ref()
            .filter(|_| job.state == JobState::Done)
        {
            map.insert(
                "sidecar".into(),
                json!(reelsmith_core::library::sidecar_path(path).to_string_lossy()),
            );
        }
        if !job.cost.is_empty() {
            map.insert("cost".into(), json!(job.cost));
        }
        if let Some(f) = &job.failure {
            map.insert(
                "error".into(),
                json!({"kind": f.kind.as_str(), "message": f.message, "error_type": f.error_type}),
            );
        }
        if let Some(u) = reelsmith_core::jobs::unknown::summary(job) {
            map.insert(
                "unknown".into(),
                json!({
                    "reason": u.reason,
                    "sent_at": u.sent_at.map(|t| t.to_rfc3339()),
                    "last_lookup": u.last_lookup.as_ref().map(|(_, text)| text),
                    "resubmit_cost_usd": u.resubmit_cost.as_ref().map(|c| c.usd),
                }),
            );
        }
    }
    obj
}

/// Prints what is known of a job whose submission is unknown, and what the user can do: the
/// same words the window shows.
pub fn print_unknown(job: &Job) {
    let Some(u) = reelsmith_core::jobs::unknown::summary(job) else {
        return;
    };
    let short = &job.id.as_str()[..8.min(job.id.as_str().len())];
    eprintln!("[{short}] {}", u.headline);
    if let Some(at) = u.sent_at {
        eprintln!(
            "  sent at {} to {}",
            at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S"),
            job.endpoint_id
        );
    }
    eprintln!("  what happened: {}", u.reason);
    if let Some((at, text)) = &u.last_lookup {
        eprintln!(
            "  looked at {}: {text}",
            at.with_timezone(&chrono::Local).format("%H:%M:%S")
        );
    }
    eprintln!("  what was sent:");
    for line in u.sent.lines() {
        eprintln!("    {line}");
    }
    let cost = u
        .resubmit_cost
        .as_ref()
        .map(|c| format!("costs ≈ ${:.2}", c.usd))
        .unwrap_or_else(|| "cost unknown".into());
    eprintln!(
        "  fal may have this job: check your requests at fal.ai/dashboard. `reelsmith resume` \
         looks again; `reelsmith resume --resubmit-unknown {}` submits it again ({cost}; if fal \
         has the first one, you pay twice).",
        job.id
    );
}

/// Prints one line per state change of a job to stderr, with byte progress for transfers.
#[derive(Default)]
pub struct ProgressPrinter {
    last: std::collections::HashMap<String, (JobState, Option<u64>, u64)>,
}

impl ProgressPrinter {
    /// Prints what is new in `job` (nothing when only a detail changed).
    pub fn show(&mut self, job: &Job, stalled: bool) {
        let short = &job.id.as_str()[..8.min(job.id.as_str().len())];
        let key = job.id.to_string();
        let (done, total) = match job.state {
            JobState::Uploading => job.upload_progress(),
            JobState::Downloading => job
                .download
                .map(|d| (d.done, d.total.unwrap_or(0)))
                .unwrap_or((0, 0)),
            _ => (0, 0),
        };
        // Byte progress is printed in tenths, so a transfer shows about ten lines.
        let tenth = (done * 10).checked_div(total).unwrap_or(0);
        let now = (job.state, job.queue_position, tenth);
        if self.last.get(&key) == Some(&now) {
            return;
        }
        self.last.insert(key, now);
        let line = match job.state {
            JobState::Prepared => "prepared".to_string(),
            JobState::Uploading if total > 0 => format!(
                "uploading {} file(s): {} of {} ({}%)",
                job.uploads.len(),
                reelsmith_core::human::bytes(done),
                reelsmith_core::human::bytes(total),
                done * 100 / total
            ),
            JobState::Uploading => "uploading".to_string(),
            JobState::Submitting => "submitting".to_string(),
            JobState::SubmissionUnknown => {
                "submission unknown: the answer was lost; looking in fal's request history \
                 (nothing is sent again)"
                    .to_string()
            }
            JobState::Submitted => format!(
                "submitted, request id {}",
                job.request_id.as_deref().unwrap_or("?")
            ),
            JobState::InQueue => match job.queue_position {
                Some(p) => format!("in queue, position {p}"),
                None => "in queue".to_string(),
            },
            JobState::Running => "running".to_string(),
            JobState::Downloading if total > 0 => format!(
                "downloading: {} of {} ({}%)",
                reelsmith_core::human::bytes(done),
                reelsmith_core::human::bytes(total),
                done * 100 / total
            ),
            JobState::Downloading => format!("downloading: {}", reelsmith_core::human::bytes(done)),
            JobState::Done => format!(
                "done: {}",
                job.output_path
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            ),
            JobState::Failed => format!(
                "failed: {}",
                job.failure
                    .as_ref()
                    .map(|f| f.message.clone())
                    .unwrap_or_default()
            ),
            JobState::Cancelled => "cancelled".to_string(),
        };
        let flag = if stalled {
            " (stalled: no change for a long time; still waiting)"
        } else {
            ""
        };
        eprintln!("[{short}] {line}{flag}");
    }
}
