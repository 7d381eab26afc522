//! From fal's result to the library: the file name, the download (with a fresh link when the
//! old one expired), the sidecar and the index entry.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::Local;
use serde_json::Value;

use crate::fal::FalError;
use crate::jobs::events::ChangeKind;
use crate::jobs::runner::{
    StepResult, fal_failure, journal_failure, note, patiently, queue_handle,
};
use crate::jobs::shared::Inner;
use crate::jobs::state::{FailKind, Job, JobId, JobState, Transfer};
use crate::jobs::upload_cache::hash_file;
use crate::library::item::LibraryItem;
use crate::library::naming;
use crate::library::sidecar::{
    SIDECAR_FORMAT, Sidecar, SidecarReference, SidecarTimings, sidecar_path,
};

/// The video URL and size in a result: `video.url`, else the first object with a `url`.
pub(crate) fn video_of(result: &Value) -> Option<(String, Option<u64>)> {
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
pub(crate) struct Destination {
    pub(crate) path: PathBuf,
    pub(crate) note: Option<String>,
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
pub(crate) fn reserve_output(inner: &Arc<Inner>, job: &Job) -> std::io::Result<Destination> {
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

/// Downloads the finished video, writes its sidecar and indexes it.
pub(crate) async fn download(inner: &Arc<Inner>, id: &JobId, job: Job) -> StepResult {
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
        cost: job.cost.clone(),
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
