//! The storyboard's actions that make new shots: "Extend" (Veo extend-video of this shot),
//! "Next shot from the last frame" (the trimmed out-frame as the next clip's first frame) and
//! "Redo this shot" (its own settings again). Each returns a prepared form that a front end
//! shows or submits through the engine; [`attach`] then puts the job in its slot, and
//! [`super::boards::job_finished`] swaps the clip in when it is done.

use std::path::{Path, PathBuf};

use super::boards::{edit, find};
use super::error::FilmError;
use super::export::{ExportHandle, ExportRequest, ExportShot};
use super::plan::FrameRange;
use super::source::SourceClip;
use super::storyboard::{PendingJob, Shot, ShotPurpose, Storyboard};
use crate::jobs::{EngineHandle, JobId, ModelSource, NewJob};
use crate::library::{Sidecar, sidecar_path};
use crate::schema::{FieldValue, FormState, MediaRef};
use crate::store::Journal;

/// Veo's extend-video endpoint.
pub const EXTEND_ENDPOINT: &str = "fal-ai/veo3.1/extend-video";

/// Which endpoint makes the next shot from a last frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NextShotEndpoint {
    /// Veo image-to-video, the frame as `image_url`.
    ImageToVideo,
    /// Veo first-last-frame-to-video, the frame as `first_frame_url` (the last frame is the
    /// user's to add).
    FirstLastFrame,
}

impl NextShotEndpoint {
    /// The endpoint id and the field the frame goes into.
    pub fn endpoint_and_field(self) -> (&'static str, &'static str) {
        match self {
            NextShotEndpoint::ImageToVideo => ("fal-ai/veo3.1/image-to-video", "image_url"),
            NextShotEndpoint::FirstLastFrame => {
                ("fal-ai/veo3.1/first-last-frame-to-video", "first_frame_url")
            }
        }
    }
}

/// Where the job's clip goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    /// A new slot after the shot with this id.
    After(String),
    /// Replacing the clip of the shot with this id (which shows the old clip until then).
    Replace(String),
}

/// A form ready to submit, and where its result goes.
#[derive(Debug, Clone, PartialEq)]
pub struct PreparedShot {
    /// The storyboard.
    pub storyboard_id: String,
    /// The endpoint to submit to.
    pub endpoint_id: String,
    /// The filled form (local files are uploaded by the engine).
    pub form: FormState,
    /// Where the result goes.
    pub placement: Placement,
    /// Why the job is made.
    pub purpose: ShotPurpose,
}

fn clip_of(board: &Storyboard, index: usize) -> Result<(&Shot, &Path), FilmError> {
    let shot = board.shot(index)?;
    let clip = shot.clip.as_ref().ok_or_else(|| {
        FilmError::NotPossible(format!(
            "shot {} has no clip yet; wait for its job to finish",
            index + 1
        ))
    })?;
    Ok((shot, clip.path.as_path()))
}

/// Prepares Veo extend-video of shot `index` (0-based): the clip as it is trimmed (a trimmed
/// shot is first exported to a file in `work_dir`, so the extension continues from its
/// out-point). Blocking (it may export): not for a UI thread.
pub fn prepare_extend(
    journal: &Journal,
    board: &str,
    index: usize,
    models: &dyn ModelSource,
    work_dir: &Path,
) -> Result<PreparedShot, FilmError> {
    let board = find(journal, board)?;
    let (shot, path) = clip_of(&board, index)?;
    let video = match shot.trim {
        None => path.to_path_buf(),
        Some(trim) => trimmed_copy(path, trim, &shot.id, work_dir)?,
    };
    let model = models
        .model(EXTEND_ENDPOINT)
        .map_err(|e| FilmError::NotPossible(format!("{EXTEND_ENDPOINT} is not available: {e}")))?;
    let mut form = FormState::from_defaults(&model);
    form.values.insert(
        "video_url".into(),
        FieldValue::Media(MediaRef::Local(video)),
    );
    Ok(PreparedShot {
        storyboard_id: board.id.clone(),
        endpoint_id: EXTEND_ENDPOINT.into(),
        form,
        placement: Placement::After(shot.id.clone()),
        purpose: ShotPurpose::Extend,
    })
}

/// The trimmed part of `path` as its own file in `work_dir` (made once per shot and trim).
fn trimmed_copy(
    path: &Path,
    trim: FrameRange,
    shot_id: &str,
    work_dir: &Path,
) -> Result<PathBuf, FilmError> {
    let out = work_dir.join(format!("shot-{shot_id}-{}-{}.mp4", trim.start, trim.end));
    if out.is_file() {
        return Ok(out);
    }
    ExportHandle::start(ExportRequest {
        shots: vec![ExportShot {
            path: path.to_path_buf(),
            trim: Some(trim),
        }],
        output: out.clone(),
        overwrite: false,
        reencode_all: false,
        storyboard: None,
    })
    .wait()?;
    Ok(out)
}

/// Prepares the next shot from shot `index`'s out-frame (the last frame of its trim), saved
/// as a PNG in `work_dir` and put into `endpoint`'s first-frame field. Blocking.
pub fn prepare_next_shot(
    journal: &Journal,
    board: &str,
    index: usize,
    endpoint: NextShotEndpoint,
    models: &dyn ModelSource,
    work_dir: &Path,
) -> Result<PreparedShot, FilmError> {
    let board = find(journal, board)?;
    let (shot, path) = clip_of(&board, index)?;
    let source = SourceClip::open(path)?;
    let out_frame = shot
        .trim
        .map_or(source.frame_count(), |t| t.end)
        .saturating_sub(1);
    let image = out_frame_png(path, out_frame, source.fps(), &shot.id, work_dir)?;
    let (endpoint_id, field) = endpoint.endpoint_and_field();
    let model = models
        .model(endpoint_id)
        .map_err(|e| FilmError::NotPossible(format!("{endpoint_id} is not available: {e}")))?;
    let mut form = FormState::from_defaults(&model);
    form.values
        .insert(field.into(), FieldValue::Media(MediaRef::Local(image)));
    Ok(PreparedShot {
        storyboard_id: board.id.clone(),
        endpoint_id: endpoint_id.into(),
        form,
        placement: Placement::After(shot.id.clone()),
        purpose: ShotPurpose::NextShot,
    })
}

/// Frame `frame` of `path` as a PNG in `work_dir` (written under a temporary name first).
pub fn out_frame_png(
    path: &Path,
    frame: u32,
    fps: f64,
    shot_id: &str,
    work_dir: &Path,
) -> Result<PathBuf, FilmError> {
    std::fs::create_dir_all(work_dir).map_err(|source| FilmError::Io {
        action: "create the folder",
        path: work_dir.into(),
        source,
    })?;
    let out = work_dir.join(format!("shot-{shot_id}-frame-{frame}.png"));
    // Mid-frame, so rounding can never land on the neighbour.
    let picture = crate::media::video::frame_at(path, (f64::from(frame) + 0.5) / fps.max(1.0))
        .map_err(|e| FilmError::Source {
            path: path.into(),
            reason: e.to_string(),
        })?;
    let img = picture.to_rgba_image().ok_or_else(|| FilmError::Codec {
        path: path.into(),
        frame,
        reason: "the decoded frame has the wrong size".into(),
    })?;
    let part = super::export::part_path(&out);
    img.save_with_format(&part, image::ImageFormat::Png)
        .map_err(|e| FilmError::Io {
            action: "write",
            path: part.clone(),
            source: std::io::Error::other(e),
        })?;
    std::fs::rename(&part, &out).map_err(|source| FilmError::Io {
        action: "rename to",
        path: out.clone(),
        source,
    })?;
    Ok(out)
}

/// Prepares shot `index` made again with its own settings: the job's form from the journal,
/// or (when the journal no longer has the job) the input recorded in the clip's sidecar.
pub fn prepare_redo(
    journal: &Journal,
    board: &str,
    index: usize,
    models: &dyn ModelSource,
) -> Result<PreparedShot, FilmError> {
    let board = find(journal, board)?;
    let (shot, path) = clip_of(&board, index)?;
    let sidecar = Sidecar::read(&sidecar_path(path)).ok();
    if sidecar.as_ref().is_some_and(super::import::is_imported) {
        return Err(FilmError::NotPossible(format!(
            "shot {} is your own footage; it has no settings to make it again",
            index + 1
        )));
    }
    let job_id = shot
        .clip
        .as_ref()
        .and_then(|c| c.job_id.clone())
        .or_else(|| sidecar.as_ref().map(|s| s.job_id.clone()));
    let from_journal = match &job_id {
        Some(id) => journal.job(&JobId(id.clone()))?,
        None => None,
    };
    let (endpoint_id, form) = match (from_journal, &sidecar) {
        (Some(job), _) => {
            let form: FormState = serde_json::from_value(job.form.clone()).map_err(|e| {
                FilmError::NotPossible(format!("the settings of job {} do not read: {e}", job.id))
            })?;
            (job.endpoint_id, form)
        }
        (None, Some(s)) => {
            let model = models.model(&s.endpoint_id).map_err(|e| {
                FilmError::NotPossible(format!("{} is not available: {e}", s.endpoint_id))
            })?;
            let form = FormState::from_input_json(&model, &s.input).map_err(|e| {
                FilmError::NotPossible(format!("the settings in its sidecar do not read: {e}"))
            })?;
            (s.endpoint_id.clone(), form)
        }
        (None, None) => {
            return Err(FilmError::NotPossible(format!(
                "shot {}'s clip has no record of how it was made (no job, no sidecar)",
                index + 1
            )));
        }
    };
    Ok(PreparedShot {
        storyboard_id: board.id.clone(),
        endpoint_id,
        form,
        placement: Placement::Replace(shot.id.clone()),
        purpose: ShotPurpose::Redo,
    })
}

/// Records `job_id` (submitted from `prepared`) in its slot: a new slot after the shot, or
/// the shot's pending replacement. A shot removed meanwhile puts the slot at the end.
pub fn attach(
    journal: &Journal,
    prepared: &PreparedShot,
    job_id: &str,
) -> Result<Storyboard, FilmError> {
    let purpose = prepared.purpose;
    edit(journal, &prepared.storyboard_id, |b| {
        match &prepared.placement {
            Placement::After(id) => {
                let at = b.index_of(id).map(|i| i + 1);
                b.insert(at, Shot::of_job(job_id, purpose));
            }
            Placement::Replace(id) => match b.index_of(id) {
                Some(i) => {
                    b.shots[i].pending = Some(PendingJob {
                        job_id: job_id.to_string(),
                        purpose,
                    });
                }
                None => {
                    b.insert(None, Shot::of_job(job_id, purpose));
                }
            },
        }
        Ok(())
    })
    .map(|(_, b)| b)
}

/// Submits `prepared` (with `form` if the user changed it) through the engine and attaches
/// the job to its slot.
pub async fn submit(
    engine: &EngineHandle,
    prepared: &PreparedShot,
    form: Option<FormState>,
) -> Result<JobId, FilmError> {
    let id = engine
        .submit(NewJob {
            endpoint_id: prepared.endpoint_id.clone(),
            form: form.unwrap_or_else(|| prepared.form.clone()),
            output: None,
            overwrite_output: false,
        })
        .await?;
    attach(engine.journal(), prepared, id.as_str())?;
    Ok(id)
}
