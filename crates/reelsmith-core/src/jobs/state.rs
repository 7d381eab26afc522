//! The job record and its state machine: what a job is, where it stands, and why it stopped.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// A job's identifier: 32 lowercase hex digits, generated locally before anything is sent.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct JobId(pub String);

impl JobId {
    /// A fresh random id.
    pub fn new() -> JobId {
        JobId(uuid::Uuid::new_v4().simple().to_string())
    }

    /// The id as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for JobId {
    fn default() -> Self {
        JobId::new()
    }
}

impl fmt::Display for JobId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a job stands. The order of the variants is the order a healthy job goes through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Recorded in the journal; nothing sent yet.
    Prepared,
    /// Local reference files are being uploaded.
    Uploading,
    /// The submit request is being sent; if the app dies now it is unknown whether fal got it.
    Submitting,
    /// The submit's answer was lost: fal may or may not have the job. It is looked up in fal's
    /// request history and never sent again without the user's word.
    SubmissionUnknown,
    /// fal accepted the job and gave a request id.
    Submitted,
    /// Waiting in fal's queue.
    InQueue,
    /// The model is running.
    Running,
    /// The finished video is being downloaded.
    Downloading,
    /// The video is in the library.
    Done,
    /// Stopped with a reason (see [`Failure`]).
    Failed,
    /// Cancelled by the user.
    Cancelled,
}

impl JobState {
    /// Every state, in order.
    pub const ALL: [JobState; 11] = [
        JobState::Prepared,
        JobState::Uploading,
        JobState::Submitting,
        JobState::SubmissionUnknown,
        JobState::Submitted,
        JobState::InQueue,
        JobState::Running,
        JobState::Downloading,
        JobState::Done,
        JobState::Failed,
        JobState::Cancelled,
    ];

    /// The name stored in the journal and printed by the CLI.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Prepared => "prepared",
            JobState::Uploading => "uploading",
            JobState::Submitting => "submitting",
            JobState::SubmissionUnknown => "submission_unknown",
            JobState::Submitted => "submitted",
            JobState::InQueue => "in_queue",
            JobState::Running => "running",
            JobState::Downloading => "downloading",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Cancelled => "cancelled",
        }
    }

    /// Parses a name written by [`JobState::as_str`].
    pub fn parse(text: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Done, failed or cancelled: nothing more will happen without a command.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            JobState::Done | JobState::Failed | JobState::Cancelled
        )
    }

    /// Terminal, or waiting for the user's word (a submission whose outcome is unknown): no
    /// front end waits for such a job, and nothing resumes it by itself.
    pub fn is_settled(self) -> bool {
        self.is_terminal() || self == JobState::SubmissionUnknown
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why a job failed, grouped by what the user can do about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailKind {
    /// The input was refused (locally or by fal's validation): fix the named field.
    Invalid,
    /// The fal key is missing or was rejected.
    Credentials,
    /// The model or service reported an error for this request.
    Service,
    /// The network failed after all retries.
    Network,
    /// A deadline passed (fal's start timeout, or a transfer that never finished).
    Timeout,
    /// fal no longer knows the request id.
    Lost,
    /// The app stopped while sending the submit: fal may or may not have the job.
    Interrupted,
    /// Reading a reference file or writing the video failed.
    Storage,
    /// fal answered with something unexpected.
    Protocol,
}

impl FailKind {
    /// The name stored in the journal.
    pub fn as_str(self) -> &'static str {
        match self {
            FailKind::Invalid => "invalid",
            FailKind::Credentials => "credentials",
            FailKind::Service => "service",
            FailKind::Network => "network",
            FailKind::Timeout => "timeout",
            FailKind::Lost => "lost",
            FailKind::Interrupted => "interrupted",
            FailKind::Storage => "storage",
            FailKind::Protocol => "protocol",
        }
    }

    /// Parses a name written by [`FailKind::as_str`].
    pub fn parse(text: &str) -> Option<FailKind> {
        [
            FailKind::Invalid,
            FailKind::Credentials,
            FailKind::Service,
            FailKind::Network,
            FailKind::Timeout,
            FailKind::Lost,
            FailKind::Interrupted,
            FailKind::Storage,
            FailKind::Protocol,
        ]
        .into_iter()
        .find(|k| k.as_str() == text)
    }

    /// Failures of the connection rather than of the job: following it again may still succeed.
    pub fn is_transient(self) -> bool {
        matches!(self, FailKind::Network | FailKind::Timeout)
    }
}

/// A typed failure reason with a message for the user.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    /// What kind of failure.
    pub kind: FailKind,
    /// What happened and what to do, in words.
    pub message: String,
    /// fal's `error_type`, when the service gave one.
    pub error_type: Option<String>,
}

/// One local reference file of a job and what became of it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileUpload {
    /// The local file.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
    /// Bytes sent so far.
    pub sent: u64,
    /// blake3 of its content, hex.
    pub blake3: Option<String>,
    /// The URL fal gave for it.
    pub url: Option<String>,
    /// True when the URL came from the upload cache.
    pub reused: bool,
}

/// A status log line from the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobLog {
    /// The text.
    pub message: String,
    /// The level fal gave, if any.
    pub level: Option<String>,
    /// The timestamp fal gave, if any.
    pub timestamp: Option<String>,
}

/// What is known of a submit whose answer was lost (state [`JobState::SubmissionUnknown`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LostSubmit {
    /// What happened to the answer, in words.
    pub reason: String,
    /// fal's request id, when the lost answer carried one (looked up first).
    pub request_id_hint: Option<String>,
    /// When the answer was given up on: a request fal received later is not this one.
    pub noticed_at: DateTime<Utc>,
    /// Lookups in fal's request history so far.
    pub lookups: u32,
    /// When the history was last looked at.
    pub looked_at: Option<DateTime<Utc>>,
    /// What the last lookup found (or why it could not look).
    pub last_lookup: Option<String>,
}

/// Bytes moved by a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Transfer {
    /// Bytes received so far.
    pub done: u64,
    /// The total, when known.
    pub total: Option<u64>,
}

/// Everything known about one job: the journal row and what the UI draws.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The local id.
    pub id: JobId,
    /// The fal endpoint id.
    pub endpoint_id: String,
    /// The prompt (for names and lists).
    pub prompt: String,
    /// Where the job stands.
    pub state: JobState,
    /// The form as the user filled it (a serialized `schema::FormState`).
    pub form: serde_json::Value,
    /// The input exactly as submitted (local files replaced by their URLs).
    pub input: Option<serde_json::Value>,
    /// fal's request id, stored the moment it arrives.
    pub request_id: Option<String>,
    /// fal's queue handle (a serialized `fal::QueueHandle`).
    pub handle: Option<serde_json::Value>,
    /// Queue position while in queue.
    pub queue_position: Option<u64>,
    /// The local reference files.
    pub uploads: Vec<FileUpload>,
    /// Download progress.
    pub download: Option<Transfer>,
    /// The last status log lines.
    pub logs: Vec<JobLog>,
    /// The path the user asked for with `-o`, if any.
    pub requested_output: Option<PathBuf>,
    /// True when the user allowed `requested_output` to replace an existing file (`--force`).
    #[serde(default)]
    pub overwrite_output: bool,
    /// Where the video is (or is being) written.
    pub output_path: Option<PathBuf>,
    /// The result JSON fal returned.
    pub result: Option<serde_json::Value>,
    /// The result video's URL.
    pub video_url: Option<String>,
    /// The seed, from the result or the input.
    pub seed: Option<i64>,
    /// Why it failed.
    pub failure: Option<Failure>,
    /// How many times it was submitted (1 normally; retries add one each).
    pub submissions: u32,
    /// When the last submit POST was sent (written durably before it goes out).
    pub submit_sent_at: Option<DateTime<Utc>>,
    /// The lost answer of the last submit, while its outcome is unknown.
    pub unknown: Option<LostSubmit>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When fal accepted it.
    pub submitted_at: Option<DateTime<Utc>>,
    /// When the model started running.
    pub started_at: Option<DateTime<Utc>>,
    /// When fal reported it complete.
    pub completed_at: Option<DateTime<Utc>>,
    /// When it reached a terminal state.
    pub finished_at: Option<DateTime<Utc>>,
    /// When its state (or queue position) last changed: the basis of "stalled".
    pub state_changed_at: DateTime<Utc>,
    /// True when the job runs against the built-in simulator.
    pub simulated: bool,
    /// The estimate at submit and what fal billed.
    pub cost: crate::money::JobCost,
}

/// How long a job may sit without a status change before it is shown as stalled.
pub const DEFAULT_STALL_AFTER: Duration = Duration::from_secs(30 * 60);

/// How many log lines a job keeps.
pub const MAX_LOG_LINES: usize = 200;

impl Job {
    /// A new job in state `prepared`.
    pub fn new(endpoint_id: &str, prompt: &str, form: serde_json::Value) -> Job {
        let now = Utc::now();
        Job {
            id: JobId::new(),
            endpoint_id: endpoint_id.to_string(),
            prompt: prompt.to_string(),
            state: JobState::Prepared,
            form,
            input: None,
            request_id: None,
            handle: None,
            queue_position: None,
            uploads: Vec::new(),
            download: None,
            logs: Vec::new(),
            requested_output: None,
            overwrite_output: false,
            output_path: None,
            result: None,
            video_url: None,
            seed: None,
            failure: None,
            submissions: 0,
            submit_sent_at: None,
            unknown: None,
            created_at: now,
            submitted_at: None,
            started_at: None,
            completed_at: None,
            finished_at: None,
            state_changed_at: now,
            simulated: false,
            cost: crate::money::JobCost::default(),
        }
    }

    /// Moves to `state`, stamping the change time (and the finish time for terminal states).
    pub fn set_state(&mut self, state: JobState) {
        let now = Utc::now();
        if self.state != state {
            self.state_changed_at = now;
        }
        self.state = state;
        match state {
            JobState::Submitted if self.submitted_at.is_none() => self.submitted_at = Some(now),
            JobState::Running if self.started_at.is_none() => self.started_at = Some(now),
            JobState::Downloading if self.completed_at.is_none() => self.completed_at = Some(now),
            s if s.is_terminal() => self.finished_at = Some(now),
            _ => {}
        }
    }

    /// Moves to `failed` with a reason.
    pub fn fail(&mut self, kind: FailKind, message: impl Into<String>, error_type: Option<String>) {
        self.failure = Some(Failure {
            kind,
            message: message.into(),
            error_type,
        });
        self.set_state(JobState::Failed);
    }

    /// Appends a log line, keeping the last [`MAX_LOG_LINES`].
    pub fn push_log(&mut self, line: JobLog) {
        self.logs.push(line);
        if self.logs.len() > MAX_LOG_LINES {
            let extra = self.logs.len() - MAX_LOG_LINES;
            self.logs.drain(..extra);
        }
    }

    /// True when an unfinished job's status has not changed for `stall_after`.
    /// A stalled job is still running: this is a flag for the user, not a failure.
    pub fn is_stalled(&self, now: DateTime<Utc>, stall_after: Duration) -> bool {
        if self.state.is_settled() || self.state == JobState::Prepared {
            return false;
        }
        let still = now.signed_duration_since(self.state_changed_at);
        still.to_std().map(|d| d >= stall_after).unwrap_or(false)
    }

    /// Time since the model started running (or until it completed).
    pub fn running_for(&self, now: DateTime<Utc>) -> Option<Duration> {
        let start = self.started_at?;
        let end = self.completed_at.unwrap_or(now);
        end.signed_duration_since(start).to_std().ok()
    }

    /// Total bytes sent and to send over all uploads.
    pub fn upload_progress(&self) -> (u64, u64) {
        self.uploads
            .iter()
            .fold((0, 0), |(s, t), u| (s + u.sent, t + u.size))
    }

    /// True when the job reached fal (it has a request id): it must never be submitted again
    /// unless the user asks for a retry after a service failure.
    pub fn reached_fal(&self) -> bool {
        self.request_id.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_names_round_trip() {
        for s in JobState::ALL {
            assert_eq!(JobState::parse(s.as_str()), Some(s));
        }
        assert_eq!(JobState::parse("nonsense"), None);
        assert!(JobState::Done.is_terminal());
        assert!(!JobState::Running.is_terminal());
    }

    #[test]
    fn stalled_only_when_unfinished_and_quiet() {
        let mut job = Job::new("fal-ai/veo3.1", "a cat", serde_json::json!({}));
        job.set_state(JobState::InQueue);
        let later = job.state_changed_at + chrono::Duration::minutes(31);
        assert!(job.is_stalled(later, DEFAULT_STALL_AFTER));
        let soon = job.state_changed_at + chrono::Duration::minutes(29);
        assert!(!job.is_stalled(soon, DEFAULT_STALL_AFTER));
        job.set_state(JobState::Done);
        assert!(!job.is_stalled(later + chrono::Duration::hours(1), DEFAULT_STALL_AFTER));
    }

    #[test]
    fn set_state_stamps_times() {
        let mut job = Job::new("e", "p", serde_json::json!({}));
        job.set_state(JobState::Submitted);
        assert!(job.submitted_at.is_some());
        job.set_state(JobState::Running);
        assert!(job.started_at.is_some());
        job.fail(FailKind::Service, "boom", Some("x".into()));
        assert_eq!(job.state, JobState::Failed);
        assert!(job.finished_at.is_some());
        assert_eq!(
            job.failure.as_ref().map(|f| f.kind),
            Some(FailKind::Service)
        );
    }

    #[test]
    fn logs_are_bounded() {
        let mut job = Job::new("e", "p", serde_json::json!({}));
        for i in 0..(MAX_LOG_LINES + 10) {
            job.push_log(JobLog {
                message: i.to_string(),
                level: None,
                timestamp: None,
            });
        }
        assert_eq!(job.logs.len(), MAX_LOG_LINES);
        assert_eq!(job.logs[0].message, "10");
    }
}
