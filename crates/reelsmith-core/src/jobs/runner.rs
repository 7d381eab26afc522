//! One job's way from its last recorded step to its end: uploads ([`upload_step`]), submit
//! ([`submission`]), follow ([`follow_step`]), download, sidecar and index ([`delivery`]).
//! Every step is written to the journal before the next begins.
//!
//! [`upload_step`]: crate::jobs::upload_step
//! [`submission`]: crate::jobs::submission
//! [`follow_step`]: crate::jobs::follow_step
//! [`delivery`]: crate::jobs::delivery

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::future::try_join_all;
use rand::Rng;
use serde_json::Value;

use crate::fal::{FalClient, FalError, LostAnswer, QueueHandle};
use crate::jobs::delivery::download;
use crate::jobs::events::ChangeKind;
use crate::jobs::follow_step::follow;
use crate::jobs::preflight;
use crate::jobs::shared::Inner;
use crate::jobs::state::{FailKind, FileUpload, Job, JobId, JobLog, JobState};
use crate::jobs::submission::SubmitEnd;
use crate::jobs::upload_step::upload_one;
use crate::schema::{FieldKind, FormModel, FormState};

/// The largest seed reelsmith picks (fal's models take 32-bit seeds).
const SEED_MAX: i64 = 2_147_483_647;

/// A log line written by reelsmith itself (not by the model).
pub(crate) fn note(message: &str) -> JobLog {
    JobLog {
        message: message.to_string(),
        level: Some("REELSMITH".into()),
        timestamp: Some(chrono::Utc::now().to_rfc3339()),
    }
}

/// The queue handle of a job that reached fal: the stored one, else rebuilt from the request id.
pub(crate) fn queue_handle(client: &FalClient, job: &Job) -> Option<QueueHandle> {
    let request_id = job.request_id.as_ref()?;
    job.handle
        .as_ref()
        .and_then(|v| serde_json::from_value::<QueueHandle>(v.clone()).ok())
        .filter(|h| &h.request_id == request_id)
        .or_else(|| Some(client.handle_for(&job.endpoint_id, request_id)))
}

/// How a failure from the client is recorded.
pub(crate) fn classify(e: &FalError) -> (FailKind, Option<String>) {
    match e {
        FalError::MissingCredentials
        | FalError::NoKeyForBase { .. }
        | FalError::RejectedCredentials { .. } => (FailKind::Credentials, None),
        FalError::Validation { errors, .. } => {
            (FailKind::Invalid, errors.first().map(|f| f.kind.clone()))
        }
        FalError::RateLimited { .. } => (FailKind::Service, Some("rate_limited".into())),
        // Gateway errors that outlasted the retries: fal was unreachable, not the job at fault.
        FalError::Service {
            status: Some(502..=504),
            error_type,
            ..
        } => (FailKind::Network, error_type.clone()),
        FalError::Service { error_type, .. } => (FailKind::Service, error_type.clone()),
        FalError::UserTimeout { .. } => (FailKind::Timeout, Some("request_timeout".into())),
        FalError::NotFound { .. } => (FailKind::Lost, None),
        FalError::Network(_) => (FailKind::Network, None),
        FalError::Timeout(_) => (FailKind::Timeout, None),
        FalError::Io { .. } => (FailKind::Storage, None),
        FalError::Protocol(_) => (FailKind::Protocol, None),
        FalError::TooLarge { .. } => (FailKind::Protocol, Some("answer_too_large".into())),
        FalError::AnswerLost { .. } => (FailKind::Interrupted, None),
    }
}

/// Failures worth waiting out for a job fal already has.
fn is_transient(e: &FalError) -> bool {
    matches!(e, FalError::Network(_) | FalError::Timeout(_)) || e.is_retryable()
}

/// Runs `op` again after transient failures, backing off, for at most `patience` in all.
pub(crate) async fn patiently<T, F, Fut>(
    inner: &Inner,
    id: &JobId,
    what: &str,
    mut op: F,
) -> Result<T, FalError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, FalError>>,
{
    let started = Instant::now();
    let mut delay = Duration::from_secs(1);
    loop {
        match op().await {
            Ok(v) => return Ok(v),
            Err(e) if is_transient(&e) && started.elapsed() < inner.config.network_patience => {
                tracing::warn!("job {id}: {what} failed ({e}); trying again in {delay:?}");
                let _ = inner.update(id, ChangeKind::Log, |job| {
                    job.push_log(note(&format!("{what} failed ({e}); trying again")))
                });
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(30));
            }
            Err(e) => return Err(e),
        }
    }
}

/// Drives a job from its recorded state to done, failed or cancelled, or to "submission
/// unknown" when the history has no trace of a submit whose answer was lost.
pub(crate) async fn drive(inner: &Arc<Inner>, id: &JobId) {
    loop {
        // Once shutdown began no new step starts (a submit in flight finishes on its own task).
        if inner.gate.is_closed() {
            return;
        }
        let Some(job) = inner.get(id) else { return };
        let step = match job.state {
            JobState::Prepared | JobState::Uploading => upload_and_submit(inner, id, job).await,
            JobState::Submitting => {
                // reelsmith died while the submit was on its way: fal may have the job.
                let sent = job
                    .submit_sent_at
                    .map(|t| format!(" (sent at {})", t.format("%Y-%m-%d %H:%M:%S UTC")))
                    .unwrap_or_default();
                inner.record_lost(
                    id,
                    LostAnswer {
                        detail: format!("reelsmith stopped while the submit was on its way{sent}"),
                        request_id: None,
                    },
                );
                continue;
            }
            JobState::SubmissionUnknown => {
                inner.recover_unknown(id).await;
                if inner
                    .get(id)
                    .is_none_or(|j| j.state == JobState::SubmissionUnknown)
                {
                    return;
                }
                continue;
            }
            JobState::Submitted | JobState::InQueue | JobState::Running => {
                follow(inner, id, job).await
            }
            JobState::Downloading => download(inner, id, job).await,
            JobState::Done | JobState::Failed | JobState::Cancelled => return,
        };
        if let Err((kind, message, error_type)) = step {
            // A job cancelled from elsewhere (`reelsmith cancel`) ends at fal with an error:
            // that is the cancellation, not a failure.
            if inner.journal.cancel_requested(id).unwrap_or(false) {
                let _ = inner.update(id, ChangeKind::State, |job| {
                    job.set_state(JobState::Cancelled)
                });
            } else {
                inner.fail(id, kind, message, error_type);
            }
            return;
        }
    }
}

/// Why a step failed: the kind, the message for the user, fal's error type.
pub(crate) type StepError = (FailKind, String, Option<String>);

/// How a step ended.
pub(crate) type StepResult = Result<(), StepError>;

/// A failure from the client, as recorded.
pub(crate) fn fal_failure(e: &FalError) -> StepError {
    let (kind, error_type) = classify(e);
    (kind, e.user_message(), error_type)
}

/// A failure before fal accepted the job: nothing was sent, so the advice differs.
pub(crate) fn pre_submit_failure(e: &FalError) -> StepError {
    let (kind, error_type) = classify(e);
    let message = if kind.is_transient() {
        format!(
            "{e}. The job was not sent to fal; check the connection, then run `reelsmith resume` \
             (or retry it) to try again."
        )
    } else {
        e.user_message()
    };
    (kind, message, error_type)
}

/// A journal write that failed.
pub(crate) fn journal_failure(e: impl std::fmt::Display) -> StepError {
    (FailKind::Storage, e.to_string(), None)
}

async fn upload_and_submit(inner: &Arc<Inner>, id: &JobId, job: Job) -> StepResult {
    let model = inner.models.model(&job.endpoint_id).map_err(|detail| {
        (
            FailKind::Invalid,
            format!("the endpoint {} is not known: {detail}", job.endpoint_id),
            None,
        )
    })?;
    let form: FormState = serde_json::from_value(job.form.clone()).map_err(|e| {
        (
            FailKind::Storage,
            format!("the recorded form of this job cannot be read ({e}); submit it again"),
            None,
        )
    })?;
    let files = preflight::local_files(&form);
    let uploads: Vec<FileUpload> = files
        .iter()
        .map(|p| FileUpload {
            path: p.clone(),
            size: std::fs::metadata(p).map(|m| m.len()).unwrap_or(0),
            sent: 0,
            blake3: None,
            url: None,
            reused: false,
        })
        .collect();
    inner
        .update(id, ChangeKind::State, |job| {
            job.uploads = uploads;
            job.set_state(JobState::Uploading);
        })
        .map_err(journal_failure)?;

    let limits = preflight::local_file_limits(&model, &form);
    let urls: Vec<(PathBuf, String)> = try_join_all(
        files
            .iter()
            .enumerate()
            .map(|(index, path)| upload_one(inner, id, index, path, limits.get(path).cloned())),
    )
    .await?;
    let map: HashMap<PathBuf, String> = urls.into_iter().collect();
    let resolve = |p: &Path| map.get(p).cloned();
    let input = crate::schema::build_payload(&model, &form, &resolve).map_err(|e| {
        (
            FailKind::Invalid,
            format!("the input could not be built: {e}"),
            None,
        )
    })?;
    let input = with_seed(&model, input);
    match inner.submit_shielded(id, input).await {
        SubmitEnd::Queued | SubmitEnd::Unknown | SubmitEnd::Stopped => Ok(()),
        SubmitEnd::Failed(e) => Err(e),
    }
}

/// The input with an explicit random seed when the endpoint takes one and none was chosen:
/// the model picks a random seed anyway, and a seed of our own makes this request's input
/// tell apart from any other in fal's history, should its answer be lost.
fn with_seed(model: &FormModel, mut input: Value) -> Value {
    let Some(field) = model.field("seed").filter(|f| f.kind == FieldKind::Integer) else {
        return input;
    };
    if let Value::Object(map) = &mut input
        && map.get("seed").is_none_or(Value::is_null)
    {
        let low = field.min.map_or(0, |m| m.ceil().max(0.0) as i64);
        let high = field
            .max
            .map_or(SEED_MAX, |m| (m.floor() as i64).min(SEED_MAX))
            .max(low);
        let seed = rand::rng().random_range(low..=high);
        map.insert("seed".into(), Value::from(seed));
    }
    input
}
