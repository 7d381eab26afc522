//! The upload step: each local reference file of a job, re-encoded if over its field's limits,
//! then uploaded (or found in the upload cache), its URL recorded.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::fal::FalError;
use crate::jobs::events::ChangeKind;
use crate::jobs::runner::{StepError, journal_failure, note, pre_submit_failure};
use crate::jobs::shared::Inner;
use crate::jobs::state::{FailKind, JobId};
use crate::jobs::upload_cache::{CacheError, Uploaded, hash_file};
use crate::schema::{FieldKind, MediaLimits};

/// Re-encodes a picture over its field's limits into the scratch folder; returns the file to
/// upload (the original when nothing had to change).
async fn prepared_source(
    inner: &Arc<Inner>,
    id: &JobId,
    path: &Path,
    field: Option<(FieldKind, MediaLimits)>,
) -> Result<PathBuf, StepError> {
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

/// Uploads one reference file (index `index` of the job's uploads); returns its URL.
pub(crate) async fn upload_one(
    inner: &Arc<Inner>,
    id: &JobId,
    index: usize,
    path: &Path,
    field: Option<(FieldKind, MediaLimits)>,
) -> Result<(PathBuf, String), StepError> {
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
