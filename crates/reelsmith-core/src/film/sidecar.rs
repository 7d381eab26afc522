//! The film's sidecar `<name>.json`: the storyboard it came from and, for every shot, its clip,
//! its trim, how it was put in, and the clip's own provenance (endpoint, request id, seed).

use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::FilmError;
use super::export::{ExportRequest, WriteStats};
use super::plan::{FrameRange, Plan, ShotSound};
use crate::library::{Sidecar, sidecar_path};

/// The format marker of film sidecars.
pub const FILM_SIDECAR_FORMAT: &str = "reelsmith.film/1";

/// The storyboard a film was made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoryboardRecord {
    /// Its id.
    pub id: String,
    /// Its name when exported.
    pub name: String,
}

/// Where a clip came from, as its own sidecar says.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Provenance {
    /// The local job id (`import-…` for imported footage).
    pub job_id: Option<String>,
    /// The fal endpoint (none for imported footage).
    pub endpoint_id: Option<String>,
    /// fal's request id.
    pub request_id: Option<String>,
    /// The seed.
    pub seed: Option<i64>,
    /// The prompt.
    pub prompt: Option<String>,
    /// True when made by the simulator.
    pub simulated: bool,
    /// True when the clip was imported from disk rather than generated.
    pub imported: bool,
}

impl Provenance {
    /// What the sidecar beside `clip` says; empty when it has none.
    pub fn of_clip(clip: &Path) -> Provenance {
        match Sidecar::read(&sidecar_path(clip)) {
            Ok(s) => Provenance {
                imported: super::import::is_imported(&s),
                job_id: Some(s.job_id),
                endpoint_id: Some(s.endpoint_id).filter(|e| !e.is_empty()),
                request_id: s.request_id,
                seed: s.seed,
                prompt: Some(s.prompt).filter(|p| !p.is_empty()),
                simulated: s.simulated,
            },
            Err(_) => Provenance::default(),
        }
    }
}

/// One shot of the film.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShotRecord {
    /// The clip.
    pub source: PathBuf,
    /// Frames of it used.
    pub trim: FrameRange,
    /// The same in seconds of the clip.
    pub trim_secs: (f64, f64),
    /// Where the shot starts in the film, in seconds.
    pub film_start_secs: f64,
    /// Frames copied as they were, and frames re-encoded.
    pub frames_copied: u32,
    /// See `frames_copied`.
    pub frames_reencoded: u32,
    /// Why the whole shot was re-encoded, if it was.
    pub reencoded_because: Option<String>,
    /// Its sound: copied, or silence and why.
    pub sound: ShotSound,
    /// Where the clip came from.
    pub provenance: Provenance,
}

/// The sidecar's content.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FilmSidecar {
    /// Always [`FILM_SIDECAR_FORMAT`].
    pub format: String,
    /// The film's file name.
    pub file: String,
    /// Size in bytes.
    pub file_size: u64,
    /// blake3 of the film, hex.
    pub blake3: String,
    /// Length in seconds.
    pub duration_secs: f64,
    /// Picture size.
    pub width: u32,
    /// See `width`.
    pub height: u32,
    /// Frames per second.
    pub fps: f64,
    /// The sound's layout ("48 kHz stereo"), if any.
    pub sound: Option<String>,
    /// The storyboard, if it was one.
    pub storyboard: Option<StoryboardRecord>,
    /// The shots, in order.
    pub shots: Vec<ShotRecord>,
    /// Things worth knowing about how it was made.
    pub warnings: Vec<String>,
    /// When it was written.
    pub exported_at: DateTime<Utc>,
}

impl FilmSidecar {
    /// The record of an export of `request` along `plan`.
    pub(crate) fn new(
        request: &ExportRequest,
        plan: &Plan,
        _stats: &WriteStats,
        size: u64,
        blake3: String,
        output: &Path,
    ) -> FilmSidecar {
        let fps = plan.format.rate.fps();
        let mut start_frame = 0u64;
        let mut warnings = Vec::new();
        let mut shots = Vec::new();
        for (i, (shot, planned)) in request.shots.iter().zip(&plan.shots).enumerate() {
            let (copied, encoded) = planned.counts();
            if let ShotSound::Silence(why) = &planned.sound
                && plan.format.audio.is_some()
            {
                warnings.push(format!("shot {} is silent: {why}", i + 1));
            }
            let clip_fps = super::source::SourceClip::open(&shot.path)
                .map(|s| s.fps())
                .unwrap_or(fps);
            shots.push(ShotRecord {
                source: shot.path.clone(),
                trim: planned.trim,
                trim_secs: (
                    f64::from(planned.trim.start) / clip_fps,
                    f64::from(planned.trim.end) / clip_fps,
                ),
                film_start_secs: start_frame as f64 / fps,
                frames_copied: copied,
                frames_reencoded: encoded,
                reencoded_because: planned.reencode_reason.clone(),
                sound: planned.sound.clone(),
                provenance: Provenance::of_clip(&shot.path),
            });
            start_frame += u64::from(planned.film_frames);
        }
        FilmSidecar {
            format: FILM_SIDECAR_FORMAT.into(),
            file: output
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            file_size: size,
            blake3,
            duration_secs: plan.duration_secs(),
            width: plan.format.width,
            height: plan.format.height,
            fps,
            sound: plan.format.audio.map(|a| a.describe()),
            storyboard: request.storyboard.clone(),
            shots,
            warnings,
            exported_at: Utc::now(),
        }
    }

    /// Writes the sidecar to `path` (the caller renames it into place).
    pub fn write(&self, path: &Path) -> Result<(), FilmError> {
        let text = serde_json::to_vec_pretty(self).map_err(|e| FilmError::Io {
            action: "write",
            path: path.into(),
            source: std::io::Error::other(e),
        })?;
        std::fs::write(path, text).map_err(|source| FilmError::Io {
            action: "write",
            path: path.into(),
            source,
        })
    }

    /// Reads a film sidecar.
    pub fn read(path: &Path) -> Result<FilmSidecar, FilmError> {
        let text = std::fs::read(path).map_err(|source| FilmError::Io {
            action: "read",
            path: path.into(),
            source,
        })?;
        let s: FilmSidecar = serde_json::from_slice(&text).map_err(|e| FilmError::Source {
            path: path.into(),
            reason: format!("it is not a film sidecar: {e}"),
        })?;
        if s.format != FILM_SIDECAR_FORMAT {
            return Err(FilmError::Source {
                path: path.into(),
                reason: format!("unknown format {:?}", s.format),
            });
        }
        Ok(s)
    }
}
