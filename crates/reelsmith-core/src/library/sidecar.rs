//! The sidecar `<name>.json` beside each video: everything needed to know how it was made, and to
//! rebuild the library index if the journal is lost.

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The format marker and version written into every sidecar.
pub const SIDECAR_FORMAT: &str = "reelsmith.sidecar/1";

/// Errors reading or writing a sidecar.
#[derive(Debug, thiserror::Error)]
pub enum SidecarError {
    /// The file could not be read or written.
    #[error("the sidecar {path} could not be {action}: {source}")]
    Io {
        /// The sidecar file.
        path: PathBuf,
        /// "read" or "written".
        action: &'static str,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file is not a reelsmith sidecar.
    #[error("{path} is not a reelsmith sidecar: {detail}")]
    Format {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        detail: String,
    },
}

/// A local reference file and the URL it was uploaded to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SidecarReference {
    /// The local file as the user gave it.
    pub path: PathBuf,
    /// The URL fal gave for it.
    pub url: Option<String>,
    /// blake3 of its content, hex.
    pub blake3: Option<String>,
    /// Size in bytes.
    pub size: u64,
}

/// When each step happened.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct SidecarTimings {
    /// The job was created.
    pub created_at: Option<DateTime<Utc>>,
    /// fal accepted it.
    pub submitted_at: Option<DateTime<Utc>>,
    /// The model started.
    pub started_at: Option<DateTime<Utc>>,
    /// fal reported it complete.
    pub completed_at: Option<DateTime<Utc>>,
    /// The video was on disk.
    pub saved_at: Option<DateTime<Utc>>,
}

/// The sidecar's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sidecar {
    /// Always [`SIDECAR_FORMAT`].
    pub format: String,
    /// The local job id.
    pub job_id: String,
    /// The fal endpoint id.
    pub endpoint_id: String,
    /// fal's request id.
    pub request_id: Option<String>,
    /// The prompt.
    pub prompt: String,
    /// The input exactly as submitted.
    pub input: serde_json::Value,
    /// The local reference files and their uploaded URLs.
    pub references: Vec<SidecarReference>,
    /// The seed (from the result, else from the input).
    pub seed: Option<i64>,
    /// The video file's name (in the sidecar's folder).
    pub file: String,
    /// Its size in bytes.
    pub file_size: u64,
    /// blake3 of the video, hex.
    pub blake3: String,
    /// The URL it was downloaded from (it expires).
    pub video_url: Option<String>,
    /// fal's full result JSON.
    pub result: Option<serde_json::Value>,
    /// When each step happened.
    pub timings: SidecarTimings,
    /// True when it was made by the built-in simulator, not by fal.
    pub simulated: bool,
    /// The estimate at submit and what fal billed (absent in sidecars of older versions).
    #[serde(default, skip_serializing_if = "crate::money::JobCost::is_empty")]
    pub cost: crate::money::JobCost,
}

/// The sidecar path of a video: `<name>.json` beside `<name>.mp4`. A video whose own extension
/// is `.json` gets `<name>.json.sidecar.json` so that the sidecar never overwrites it.
pub fn sidecar_path(video: &Path) -> PathBuf {
    let is_json = video
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        let mut s = video.as_os_str().to_owned();
        s.push(".sidecar.json");
        PathBuf::from(s)
    } else {
        video.with_extension("json")
    }
}

impl Sidecar {
    /// Writes the sidecar durably, replacing any file of that name: a temporary file in the
    /// same folder, synced, renamed into place, and the folder synced.
    pub fn write(&self, path: &Path) -> Result<(), SidecarError> {
        self.write_to(path, true)
    }

    /// Writes the sidecar like [`Sidecar::write`], but only if nothing is at `path` yet; an
    /// existing file is left untouched and the error's source is `AlreadyExists`.
    pub fn write_new(&self, path: &Path) -> Result<(), SidecarError> {
        self.write_to(path, false)
    }

    fn write_to(&self, path: &Path, replace: bool) -> Result<(), SidecarError> {
        let io = |source| SidecarError::Io {
            path: path.to_path_buf(),
            action: "written",
            source,
        };
        let text = serde_json::to_vec_pretty(self).map_err(|e| io(std::io::Error::other(e)))?;
        crate::library::durable::write_file(path, &text, replace).map_err(io)
    }

    /// Reads a sidecar; files without the reelsmith format marker are refused.
    pub fn read(path: &Path) -> Result<Sidecar, SidecarError> {
        let text = std::fs::read(path).map_err(|source| SidecarError::Io {
            path: path.to_path_buf(),
            action: "read",
            source,
        })?;
        let sidecar: Sidecar = serde_json::from_slice(&text).map_err(|e| SidecarError::Format {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        if sidecar.format != SIDECAR_FORMAT {
            return Err(SidecarError::Format {
                path: path.to_path_buf(),
                detail: format!("unknown format {:?}", sidecar.format),
            });
        }
        Ok(sidecar)
    }

    /// The video this sidecar describes, resolved against the sidecar's folder. `None` when
    /// the recorded name would leave that folder.
    pub fn video_path(&self, sidecar: &Path) -> Option<PathBuf> {
        let name = Path::new(&self.file);
        let mut parts = name.components();
        let only = parts.next()?;
        if parts.next().is_some() || !matches!(only, std::path::Component::Normal(_)) {
            return None;
        }
        Some(sidecar.parent().unwrap_or(Path::new(".")).join(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(file: &str) -> Sidecar {
        Sidecar {
            format: SIDECAR_FORMAT.into(),
            job_id: "j".into(),
            endpoint_id: "fal-ai/veo3.1".into(),
            request_id: Some("r".into()),
            prompt: "p".into(),
            input: serde_json::json!({"prompt": "p"}),
            references: vec![],
            seed: Some(7),
            file: file.into(),
            file_size: 1,
            blake3: "h".into(),
            video_url: None,
            result: None,
            timings: SidecarTimings::default(),
            simulated: true,
            cost: crate::money::JobCost::default(),
        }
    }

    #[test]
    fn write_read_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        sample("a.mp4").write(&path).unwrap();
        let back = Sidecar::read(&path).unwrap();
        assert_eq!(back, sample("a.mp4"));
        assert_eq!(back.video_path(&path), Some(dir.path().join("a.mp4")));
    }

    #[test]
    fn write_new_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        std::fs::write(&path, b"someone else's notes").unwrap();
        let err = sample("a.mp4").write_new(&path).unwrap_err();
        assert!(
            matches!(&err, SidecarError::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists)
        );
        assert_eq!(std::fs::read(&path).unwrap(), b"someone else's notes");
    }

    #[test]
    fn refuses_escaping_names_and_foreign_json() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        assert_eq!(sample("../x.mp4").video_path(&path), None);
        assert_eq!(sample("/etc/x.mp4").video_path(&path), None);
        std::fs::write(&path, br#"{"hello": 1}"#).unwrap();
        assert!(matches!(
            Sidecar::read(&path),
            Err(SidecarError::Format { .. })
        ));
    }

    #[test]
    fn sidecar_never_overwrites_the_video() {
        assert_eq!(sidecar_path(Path::new("/a/b.mp4")), Path::new("/a/b.json"));
        assert_eq!(
            sidecar_path(Path::new("/a/b.json")),
            Path::new("/a/b.json.sidecar.json")
        );
    }
}
