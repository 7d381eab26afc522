//! One finished video as the library index lists it.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::library::sidecar::Sidecar;

/// One finished video in the library.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LibraryItem {
    /// The job that made it.
    pub job_id: String,
    /// The video file.
    pub path: PathBuf,
    /// Its sidecar.
    pub sidecar: PathBuf,
    /// The fal endpoint id.
    pub endpoint_id: String,
    /// The prompt.
    pub prompt: String,
    /// fal's request id.
    pub request_id: Option<String>,
    /// The seed.
    pub seed: Option<i64>,
    /// Size in bytes.
    pub size: u64,
    /// blake3 of the file, hex.
    pub blake3: String,
    /// When the job was created.
    pub created_at: DateTime<Utc>,
    /// When the video was saved.
    pub finished_at: DateTime<Utc>,
}

impl LibraryItem {
    /// The index entry a sidecar describes (the video must sit beside it).
    pub fn from_sidecar(sidecar: &Sidecar, sidecar_path: &Path) -> Option<LibraryItem> {
        let path = sidecar.video_path(sidecar_path)?;
        let created_at = sidecar.timings.created_at.unwrap_or_default();
        Some(LibraryItem {
            job_id: sidecar.job_id.clone(),
            path,
            sidecar: sidecar_path.to_path_buf(),
            endpoint_id: sidecar.endpoint_id.clone(),
            prompt: sidecar.prompt.clone(),
            request_id: sidecar.request_id.clone(),
            seed: sidecar.seed,
            size: sidecar.file_size,
            blake3: sidecar.blake3.clone(),
            created_at,
            finished_at: sidecar.timings.saved_at.unwrap_or(created_at),
        })
    }
}
