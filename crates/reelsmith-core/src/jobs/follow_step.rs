//! The follow step: status until fal completes the job, then the result (from the queue, or
//! from fal's request history once the queue forgot it), and the file it will be saved to.

use std::sync::Arc;

use serde_json::Value;

use crate::fal::{FalError, StatusEvent};
use crate::jobs::delivery::{Destination, reserve_output, video_of};
use crate::jobs::events::ChangeKind;
use crate::jobs::lookup::Archived;
use crate::jobs::real_cost::Billed;
use crate::jobs::runner::{
    StepResult, fal_failure, journal_failure, note, patiently, queue_handle,
};
use crate::jobs::shared::Inner;
use crate::jobs::state::{FailKind, Job, JobId, JobLog, JobState, Transfer};

/// Follows a job fal has until its result is recorded and the download can start.
pub(crate) async fn follow(inner: &Arc<Inner>, id: &JobId, job: Job) -> StepResult {
    let Some(handle) = queue_handle(&inner.client, &job) else {
        return Err((
            FailKind::Protocol,
            "the job has no request id to follow".into(),
            None,
        ));
    };
    let on_event = |event: StatusEvent| on_status(inner, id, event);
    let followed = patiently(inner, id, "following the job", || {
        inner.client.follow(&handle, on_event)
    })
    .await;
    let fetched = match followed {
        Ok(_) => {
            patiently(inner, id, "fetching the result", || {
                inner.client.result_billed(&handle)
            })
            .await
        }
        Err(e) => Err(e),
    };
    let (result, units) = match fetched {
        Ok(answer) => answer,
        // fal's queue keeps a finished result only for a while (1 h, 6 min when it is 10 KB
        // or more); its request history keeps the output about 30 days.
        Err(FalError::NotFound { what }) => (from_history(inner, id, &job, &what).await?, None),
        Err(e) => return Err(fal_failure(&e)),
    };
    let billed = match units {
        Some(u) => Some(Billed::Units(u)),
        None => crate::jobs::real_cost::billing_event(inner, &job).await,
    };
    let Some((video_url, size)) = video_of(&result) else {
        return Err((
            FailKind::Protocol,
            "fal's result has no video URL; the raw result is kept in the job".into(),
            None,
        ));
    };
    let seed = result.get("seed").and_then(Value::as_i64).or_else(|| {
        job.input
            .as_ref()
            .and_then(|i| i.get("seed"))
            .and_then(Value::as_i64)
    });
    // Held until the name is in the journal, so two jobs finishing together never share it.
    let naming = inner.naming.lock().await;
    let Destination {
        path: dest,
        note: dest_note,
    } = reserve_output(inner, &job).map_err(|e| {
        (
            FailKind::Storage,
            format!("the output folder cannot be used: {e}; check that it is writable"),
            None,
        )
    })?;
    inner
        .update(id, ChangeKind::State, |job| {
            job.result = Some(result.clone());
            match billed {
                Some(Billed::Units(u)) => job.cost.record_units(u),
                Some(Billed::Event { cost, units }) => job.cost.record_billing_event(cost, units),
                None => {}
            }
            job.video_url = Some(video_url);
            job.seed = seed;
            job.output_path = Some(dest);
            if let Some(message) = &dest_note {
                job.push_log(note(message));
            }
            job.queue_position = None;
            job.download = Some(Transfer {
                done: 0,
                total: size,
            });
            job.set_state(JobState::Downloading);
        })
        .map_err(journal_failure)?;
    drop(naming);
    Ok(())
}

fn on_status(inner: &Arc<Inner>, id: &JobId, event: StatusEvent) {
    let outcome = match event {
        StatusEvent::Queued { position } => inner.update(id, ChangeKind::State, |job| {
            if job.queue_position != position || job.state != JobState::InQueue {
                job.state_changed_at = chrono::Utc::now();
            }
            job.queue_position = position;
            job.set_state(JobState::InQueue);
        }),
        StatusEvent::Running => inner.update(id, ChangeKind::State, |job| {
            job.queue_position = None;
            job.set_state(JobState::Running);
        }),
        StatusEvent::Log(line) => inner.update(id, ChangeKind::Log, |job| {
            job.state_changed_at = chrono::Utc::now();
            job.push_log(JobLog {
                message: line.message,
                level: line.level,
                timestamp: line.timestamp,
            })
        }),
        StatusEvent::FellBackToPolling { reason } => inner.update(id, ChangeKind::Log, |job| {
            job.push_log(note(&format!(
                "status stream lost ({reason}); polling instead"
            )))
        }),
    };
    if let Err(e) = outcome {
        tracing::error!("job {id}: could not record a status change: {e}");
    }
}

/// The output of a job the queue no longer knows, from fal's request history.
async fn from_history(
    inner: &Arc<Inner>,
    id: &JobId,
    job: &Job,
    what: &str,
) -> Result<Value, crate::jobs::runner::StepError> {
    inner.note(
        id,
        "fal's queue no longer knows this request (its result is kept only a while); reading \
         the output from fal's request history",
    );
    match inner.archived_result(job).await {
        Archived::Output(output) => {
            inner.note(id, "the output came from fal's request history");
            Ok(output)
        }
        Archived::Failed(message) => Err((FailKind::Service, message, None)),
        Archived::Missing(why) => Err((
            FailKind::Lost,
            format!(
                "fal no longer knows this request ({what}), and its output could not be read \
                 from the request history: {why}. Check the request on fal.ai/dashboard."
            ),
            None,
        )),
    }
}
