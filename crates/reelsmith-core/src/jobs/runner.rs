//! One job's way from its last recorded step to its end: uploads, submit, follow, result,
//! download, sidecar, index. Every step is written to the journal before the next begins.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Local;
use futures_util::future::try_join_all;
use serde_json::Value;

use crate::fal::{FalClient, FalError, QueueHandle, StatusEvent};
use crate::jobs::events::ChangeKind;
use crate::jobs::preflight;
use crate::jobs::shared::Inner;
use crate::jobs::state::{FailKind, FileUpload, Job, JobId, JobLog, JobState, Transfer};
use crate::jobs::upload_cache::{CacheError, Uploaded, hash_file};
use crate::library::item::LibraryItem;
use crate::library::naming;
use crate::library::sidecar::{
    SIDECAR_FORMAT, Sidecar, SidecarReference, SidecarTimings, sidecar_path,
};
use crate::schema::{FieldKind, FormState, MediaLimits};

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
    }
}

/// Failures worth waiting out for a job fal already has.
fn is_transient(e: &FalError) -> bool {
    matches!(e, FalError::Network(_) | FalError::Timeout(_)) || e.is_retryable()
}

/// Runs `op` again after transient failures, backing off, for at most `patience` in all.
async fn patiently<T, F, Fut>(
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

/// Drives a job from its recorded state to done, failed or cancelled.
pub(crate) async fn drive(inner: &Arc<Inner>, id: &JobId) {
    loop {
        let Some(job) = inner.get(id) else { return };
        let step = match job.state {
            JobState::Prepared | JobState::Uploading => upload_and_submit(inner, id, job).await,
            JobState::Submitting => {
                inner.fail(
                    id,
                    FailKind::Interrupted,
                    "reelsmith stopped while sending this job to fal, so it is unknown whether fal \
                     received it. Check your requests on fal.ai; retry to submit it again."
                        .into(),
                    None,
                );
                return;
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

type StepResult = Result<(), (FailKind, String, Option<String>)>;

fn fal_failure(e: &FalError) -> (FailKind, String, Option<String>) {
    let (kind, error_type) = classify(e);
    (kind, e.user_message(), error_type)
}

/// A failure before fal accepted the job: nothing was sent, so the advice differs.
fn pre_submit_failure(e: &FalError) -> (FailKind, String, Option<String>) {
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

fn journal_failure(e: impl std::fmt::Display) -> (FailKind, String, Option<String>) {
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
    let prompt = input
        .get("prompt")
        .and_then(Value::as_str)
        .map(str::to_string);
    // Recorded before the request: if reelsmith dies during the submit, the next start knows
    // fal may have the job and does not send it blindly again.
    inner
        .update(id, ChangeKind::State, |job| {
            job.input = Some(input.clone());
            if let Some(p) = prompt {
                job.prompt = p;
            }
            job.set_state(JobState::Submitting);
        })
        .map_err(journal_failure)?;
    let handle = inner
        .client
        .submit(&job.endpoint_id, &input)
        .await
        .map_err(|e| pre_submit_failure(&e))?;
    let handle_json = serde_json::to_value(&handle).ok();
    inner
        .update(id, ChangeKind::State, |job| {
            job.request_id = Some(handle.request_id.clone());
            job.handle = handle_json;
            job.submissions += 1;
            job.set_state(JobState::Submitted);
        })
        .map_err(journal_failure)?;
    Ok(())
}

/// Re-encodes a picture over its field's limits into the scratch folder; returns the file to
/// upload (the original when nothing had to change).
async fn prepared_source(
    inner: &Arc<Inner>,
    id: &JobId,
    path: &Path,
    field: Option<(FieldKind, MediaLimits)>,
) -> Result<PathBuf, (FailKind, String, Option<String>)> {
    let Some((kind, limits)) = field else {
        return Ok(path.to_path_buf());
    };
    let is_image = matches!(kind, FieldKind::Image | FieldKind::ImageList);
    let has_max =
        limits.max_file_size.is_some() || limits.max_width.is_some() || limits.max_height.is_some();
    if !is_image || !has_max {
        return Ok(path.to_path_buf());
    }
    let scratch = inner.config.scratch_dir.clone();
    let source = path.to_path_buf();
    let prepared = tokio::task::spawn_blocking(move || {
        std::fs::create_dir_all(&scratch)
            .map_err(|e| crate::media::MediaError::io("create the folder for", &scratch, e))?;
        crate::media::prepare::prepare_image(&source, &limits, &scratch)
    })
    .await
    .map_err(|e| (FailKind::Storage, e.to_string(), None))?
    .map_err(|e| (FailKind::Invalid, e.to_string(), None))?;
    if !prepared.notes.is_empty() {
        let text = prepared.notes.join("; ");
        let _ = inner.update(id, ChangeKind::Log, |job| job.push_log(note(&text)));
    }
    Ok(prepared.path)
}

async fn upload_one(
    inner: &Arc<Inner>,
    id: &JobId,
    index: usize,
    path: &Path,
    field: Option<(FieldKind, MediaLimits)>,
) -> Result<(PathBuf, String), (FailKind, String, Option<String>)> {
    let original = path;
    let source = prepared_source(inner, id, path, field).await?;
    let path = source.as_path();
    let (hash, size) = hash_file(path).await.map_err(|e| {
        (
            FailKind::Storage,
            format!(
                "the reference file {} cannot be read ({e}); check that it still exists",
                path.display()
            ),
            None,
        )
    })?;
    inner.progress(id, |job| {
        if let Some(u) = job.uploads.get_mut(index) {
            u.blake3 = Some(hash.clone());
            u.size = size;
        }
    });
    let progress_inner = inner.clone();
    let progress_id = id.clone();
    // Uploads are reused only at the storage they were made at (fal, or one simulator).
    let storage = inner.client.urls().rest_base().to_string();
    let result = inner
        .uploads
        .get_or_upload(&storage, &hash, size, || async {
            let uploaded = inner
                .client
                .upload_file(path, move |sent, _total| {
                    progress_inner.progress(&progress_id, |job| {
                        if let Some(u) = job.uploads.get_mut(index) {
                            u.sent = sent;
                        }
                    })
                })
                .await?;
            Ok::<_, FalError>(Uploaded {
                url: uploaded.url,
                content_type: Some(uploaded.content_type),
            })
        })
        .await;
    let (entry, reused) = match result {
        Ok(v) => v,
        Err(CacheError::Journal(e)) => return Err(journal_failure(e)),
        Err(CacheError::Upload(e)) => return Err(pre_submit_failure(&e)),
    };
    inner
        .update(id, ChangeKind::Progress, |job| {
            if let Some(u) = job.uploads.get_mut(index) {
                u.url = Some(entry.url.clone());
                u.sent = size;
                u.reused = reused;
            }
        })
        .map_err(journal_failure)?;
    Ok((original.to_path_buf(), entry.url))
}

async fn follow(inner: &Arc<Inner>, id: &JobId, job: Job) -> StepResult {
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
    if let Err(e) = followed {
        return Err(fal_failure(&e));
    }
    let result = patiently(inner, id, "fetching the result", || {
        inner.client.result(&handle)
    })
    .await
    .map_err(|e| fal_failure(&e))?;
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

/// The video URL and size in a result: `video.url`, else the first object with a `url`.
fn video_of(result: &Value) -> Option<(String, Option<u64>)> {
    let file = result
        .get("video")
        .filter(|v| v.get("url").is_some())
        .or_else(|| {
            result
                .as_object()?
                .values()
                .find(|v| v.get("url").and_then(Value::as_str).is_some())
        })?;
    let url = file.get("url")?.as_str()?.to_string();
    let size = file.get("file_size").and_then(Value::as_u64);
    Some((url, size))
}

/// A download refused because its link is gone or no longer allowed.
fn is_expired_link(e: &FalError) -> bool {
    matches!(e, FalError::NotFound { .. })
        || matches!(
            e,
            FalError::Service {
                status: Some(401 | 403 | 404 | 410),
                ..
            }
        )
}

/// Asks fal for the result again and records its (new) video URL.
async fn refreshed_video_url(inner: &Arc<Inner>, id: &JobId, job: &Job) -> Option<String> {
    let handle = queue_handle(&inner.client, job)?;
    let result = inner.client.result(&handle).await.ok()?;
    let (url, _) = video_of(&result)?;
    let _ = inner.update(id, ChangeKind::Log, |job| {
        job.push_log(note("the download link had expired; fal gave it again"));
        job.video_url = Some(url.clone());
        job.result = Some(result.clone());
    });
    Some(url)
}

/// Where a job's video goes, and what to tell the user about the choice.
struct Destination {
    path: PathBuf,
    note: Option<String>,
}

/// True when `-o` names a folder (an existing one, or one written with a trailing separator).
fn is_folder_request(req: &Path) -> bool {
    req.is_dir() || req.as_os_str().to_string_lossy().ends_with(['/', '\\'])
}

/// Picks and reserves the file the video is saved to. Library names are reserved on disk with
/// create-new placeholders (see [`naming::reserve`]), so no other job in this or another
/// process gets the same one; names other jobs recorded in the journal are skipped too. An
/// `-o` file is used only if it is still free (or `--force` allowed replacing it); otherwise
/// the library name is used and the job's log says why. The caller holds `inner.naming` until
/// the choice is recorded.
fn reserve_output(inner: &Arc<Inner>, job: &Job) -> std::io::Result<Destination> {
    if let Some(existing) = &job.output_path {
        return Ok(Destination {
            path: existing.clone(),
            note: None,
        });
    }
    let mut note = None;
    let dir = match &job.requested_output {
        Some(req) if is_folder_request(req) => req.clone(),
        Some(req) => {
            if let Some(parent) = req.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)?;
            }
            // With --force the `.part` is the reservation (the download grows into it and is
            // renamed over the old file); without, an empty placeholder at the name itself.
            let part = crate::fal::download::part_path(req);
            let ours = if job.overwrite_output {
                naming::reserve_exact(&part)?
            } else {
                !naming::companions_exist(req) && naming::reserve_exact(req)?
            };
            if ours {
                crate::library::durable::sync_dir(&crate::library::durable::parent_dir(req))?;
                return Ok(Destination {
                    path: req.clone(),
                    note: None,
                });
            }
            note = Some(if job.overwrite_output {
                format!(
                    "{} is being written by another download; the video is saved under its \
                     library name instead",
                    part.display()
                )
            } else {
                format!(
                    "{} (or its sidecar) appeared while the job ran and was left as it was; the \
                     video is saved under its library name instead (--force replaces it)",
                    req.display()
                )
            });
            inner.config.output_dir.clone()
        }
        None => inner.config.output_dir.clone(),
    };
    std::fs::create_dir_all(&dir)?;
    let reserved: std::collections::HashSet<PathBuf> = inner
        .journal
        .reserved_outputs()
        .map_err(std::io::Error::other)?
        .into_iter()
        .collect();
    let name = naming::video_file_name(
        job.created_at.with_timezone(&Local),
        &job.endpoint_id,
        &job.prompt,
    );
    let path = naming::reserve(&dir, &name, &|p| reserved.contains(p))?;
    Ok(Destination { path, note })
}

async fn download(inner: &Arc<Inner>, id: &JobId, job: Job) -> StepResult {
    let (Some(url), Some(dest)) = (job.video_url.clone(), job.output_path.clone()) else {
        return Err((
            FailKind::Protocol,
            "the job has no video URL or destination to download".into(),
            None,
        ));
    };
    let expected = job.download.and_then(|d| d.total);
    let part = crate::fal::download::part_path(&dest);
    // A previous run may have finished the download and died before recording it: the file is
    // complete (right size), and newer than the moment fal finished the job.
    let already = !part.exists()
        && expected.is_some()
        && std::fs::metadata(&dest).is_ok_and(|m| {
            let fresh = m.modified().ok().is_some_and(|t| {
                job.completed_at
                    .is_some_and(|c| chrono::DateTime::<chrono::Utc>::from(t) >= c)
            });
            m.is_file() && Some(m.len()) == expected && fresh
        });
    let size = if already {
        std::fs::metadata(&dest).map(|m| m.len()).unwrap_or(0)
    } else {
        let progress_inner = inner.clone();
        let progress_id = id.clone();
        let progress = move |done: u64, total: Option<u64>| {
            progress_inner.progress(&progress_id, |job| {
                job.download = Some(Transfer { done, total });
            })
        };
        let progress = Arc::new(progress);
        let fetch = |url: String| {
            let progress = progress.clone();
            let dest = dest.clone();
            async move {
                patiently(inner, id, "downloading the video", || {
                    let progress = progress.clone();
                    inner
                        .client
                        .download(&url, &dest, expected, move |d, t| progress(d, t))
                })
                .await
            }
        };
        match fetch(url).await {
            Ok(size) => size,
            // The CDN link expired or was refused: fal's result gives the link anew.
            Err(e) if is_expired_link(&e) => {
                let fresh = refreshed_video_url(inner, id, &job)
                    .await
                    .ok_or_else(|| fal_failure(&e))?;
                fetch(fresh).await.map_err(|e| fal_failure(&e))?
            }
            Err(e) => return Err(fal_failure(&e)),
        }
    };
    let hash = hash_file(&dest).await.map_err(|e| {
        (
            FailKind::Storage,
            format!(
                "the saved video {} cannot be read back ({e})",
                dest.display()
            ),
            None,
        )
    })?;
    let job = inner.get(id).unwrap_or(job);
    let saved_at = chrono::Utc::now();
    let sidecar = Sidecar {
        format: SIDECAR_FORMAT.to_string(),
        job_id: job.id.to_string(),
        endpoint_id: job.endpoint_id.clone(),
        request_id: job.request_id.clone(),
        prompt: job.prompt.clone(),
        input: job.input.clone().unwrap_or(Value::Null),
        references: job
            .uploads
            .iter()
            .map(|u| SidecarReference {
                path: u.path.clone(),
                url: u.url.clone(),
                blake3: u.blake3.clone(),
                size: u.size,
            })
            .collect(),
        seed: job.seed,
        file: dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        file_size: size,
        blake3: hash.0.clone(),
        video_url: job.video_url.clone(),
        result: job.result.clone(),
        timings: SidecarTimings {
            created_at: Some(job.created_at),
            submitted_at: job.submitted_at,
            started_at: job.started_at,
            completed_at: job.completed_at,
            saved_at: Some(saved_at),
        },
        simulated: job.simulated,
    };
    let side = sidecar_path(&dest);
    // Synced, renamed, and the folder synced after the rename: that folder sync also makes the
    // download's rename of the video durable (the sidecar sits in the same folder).
    sidecar.write(&side).map_err(journal_failure)?;
    if let Some(item) = LibraryItem::from_sidecar(&sidecar, &side) {
        inner.journal.index_item(&item).map_err(journal_failure)?;
    }
    inner
        .update(id, ChangeKind::State, |job| {
            job.download = Some(Transfer {
                done: size,
                total: Some(size),
            });
            job.set_state(JobState::Done);
        })
        .map_err(journal_failure)?;
    Ok(())
}
