//! Storyboards against the journal: what the window and the command line call. Each edit is
//! one journal transaction; clips are probed before it, never inside it.

use std::path::Path;

use super::error::FilmError;
use super::export::{ExportRequest, ExportShot};
use super::plan::FrameRange;
use super::sidecar::StoryboardRecord;
use super::source::SourceClip;
use super::storyboard::{ClipRef, Shot, ShotPurpose, Storyboard, check_name};
use crate::jobs::{Job, JobState};
use crate::store::Journal;

/// Creates an empty storyboard.
pub fn create(journal: &Journal, name: &str) -> Result<Storyboard, FilmError> {
    let board = Storyboard::new(name)?;
    if !journal.save_storyboard(&board)? {
        return Err(FilmError::NameTaken(board.name));
    }
    Ok(board)
}

/// The storyboard with this id or name.
pub fn find(journal: &Journal, id_or_name: &str) -> Result<Storyboard, FilmError> {
    journal
        .storyboard(id_or_name)?
        .ok_or_else(|| FilmError::NoStoryboard(id_or_name.to_string()))
}

/// Applies `f` to the storyboard in one transaction and returns `f`'s value and the result.
pub fn edit<T>(
    journal: &Journal,
    id_or_name: &str,
    f: impl FnOnce(&mut Storyboard) -> Result<T, FilmError>,
) -> Result<(T, Storyboard), FilmError> {
    let id = find(journal, id_or_name)?.id;
    journal
        .update_storyboard(&id, f)?
        .ok_or_else(|| FilmError::NoStoryboard(id_or_name.to_string()))?
}

/// Renames a storyboard.
pub fn rename(
    journal: &Journal,
    id_or_name: &str,
    new_name: &str,
) -> Result<Storyboard, FilmError> {
    let name = check_name(new_name)?;
    edit(journal, id_or_name, |b| {
        b.name = name;
        Ok(())
    })
    .map(|(_, b)| b)
}

/// Deletes a storyboard (its clips stay in the library).
pub fn delete(journal: &Journal, id_or_name: &str) -> Result<(), FilmError> {
    let board = find(journal, id_or_name)?;
    journal.delete_storyboard(&board.id)?;
    Ok(())
}

/// How a shot refers to the clip at `path`: by its library id when the library has it, and
/// by the hash of its content. The clip must be an MP4 with H.264 video.
pub fn clip_ref(journal: &Journal, path: &Path) -> Result<ClipRef, FilmError> {
    SourceClip::open(path)?;
    let path = std::fs::canonicalize(path).map_err(|source| FilmError::Io {
        action: "find",
        path: path.into(),
        source,
    })?;
    let item = journal
        .library_items()?
        .into_iter()
        .find(|i| std::fs::canonicalize(&i.path).is_ok_and(|p| p == path));
    let blake3 = hash(&path)?;
    Ok(ClipRef {
        job_id: item.map(|i| i.job_id),
        path,
        blake3,
    })
}

fn hash(path: &Path) -> Result<String, FilmError> {
    super::export::hash_file(path)
}

/// Adds the clip at `path` at `index` (0-based; the end for `None`); returns where it went.
pub fn add_clip(
    journal: &Journal,
    id_or_name: &str,
    index: Option<usize>,
    path: &Path,
) -> Result<(usize, Storyboard), FilmError> {
    let clip = clip_ref(journal, path)?;
    edit(journal, id_or_name, |b| {
        Ok(b.insert(index, Shot::of_clip(clip)))
    })
}

/// Adds a slot that the job `job_id` fills when it finishes.
pub fn add_job(
    journal: &Journal,
    id_or_name: &str,
    index: Option<usize>,
    job_id: &str,
    purpose: ShotPurpose,
) -> Result<(usize, Storyboard), FilmError> {
    edit(journal, id_or_name, |b| {
        Ok(b.insert(index, Shot::of_job(job_id, purpose)))
    })
}

/// Moves shot `from` to `to` (0-based).
pub fn move_shot(
    journal: &Journal,
    id_or_name: &str,
    from: usize,
    to: usize,
) -> Result<Storyboard, FilmError> {
    edit(journal, id_or_name, |b| b.move_shot(from, to)).map(|(_, b)| b)
}

/// Removes shot `index` (0-based).
pub fn remove_shot(
    journal: &Journal,
    id_or_name: &str,
    index: usize,
) -> Result<Storyboard, FilmError> {
    edit(journal, id_or_name, |b| b.remove(index).map(|_| ())).map(|(_, b)| b)
}

/// Trims shot `index` (0-based) to `range` of its clip (checked against the clip).
pub fn trim_shot(
    journal: &Journal,
    id_or_name: &str,
    index: usize,
    range: FrameRange,
) -> Result<Storyboard, FilmError> {
    let board = find(journal, id_or_name)?;
    let clip = board
        .shot(index)?
        .clip
        .clone()
        .ok_or_else(|| FilmError::NotPossible(format!("shot {} has no clip yet", index + 1)))?;
    let frames = SourceClip::open(&clip.path)?.frame_count();
    edit(journal, &board.id, |b| b.trim(index, range, frames)).map(|(_, b)| b)
}

/// Brings every storyboard up to date with a job that ended: its clip fills the slots that
/// waited for it; a redo that failed or was cancelled keeps the old clip. Returns the
/// storyboards changed.
pub fn job_finished(journal: &Journal, job: &Job) -> Result<Vec<Storyboard>, FilmError> {
    if !job.state.is_terminal() {
        return Ok(Vec::new());
    }
    let id = job.id.as_str();
    let waiting: Vec<String> = journal
        .storyboards()?
        .into_iter()
        .filter(|b| {
            b.shots
                .iter()
                .any(|s| s.pending.as_ref().is_some_and(|p| p.job_id == id))
        })
        .map(|b| b.id)
        .collect();
    if waiting.is_empty() {
        return Ok(Vec::new());
    }
    let clip = match (job.state, &job.output_path) {
        (JobState::Done, Some(path)) if path.is_file() => Some(clip_ref(journal, path)?),
        _ => None,
    };
    let mut changed = Vec::new();
    for board in waiting {
        let (n, b) = edit(journal, &board, |b| {
            Ok(match &clip {
                Some(c) => b.resolve(id, c),
                None => b.drop_pending(id),
            })
        })?;
        if n > 0 {
            changed.push(b);
        }
    }
    Ok(changed)
}

/// What a slot shows.
#[derive(Debug, Clone, PartialEq)]
pub enum ShotState {
    /// A clip (and, during a redo, the job that will replace it).
    Clip {
        /// The clip.
        clip: ClipRef,
        /// Its trim.
        trim: Option<FrameRange>,
        /// The redo under way, if any: its state.
        replacing: Option<JobState>,
    },
    /// A job still making the clip: its live state from the queue.
    Making {
        /// The job.
        job_id: String,
        /// Its state (`None` when the journal no longer has it).
        state: Option<JobState>,
        /// Its queue position while queued.
        queue_position: Option<u64>,
        /// Why it was started.
        purpose: ShotPurpose,
    },
    /// The job failed or was cancelled and there is no clip: remove the slot or retry the job.
    Failed {
        /// The job.
        job_id: String,
        /// What went wrong.
        message: String,
    },
}

/// What the slot `shot` shows, given the job it waits for (looked up by the caller in the
/// engine or the journal).
pub fn shot_state(shot: &Shot, job: Option<&Job>) -> ShotState {
    match (&shot.clip, &shot.pending) {
        (Some(clip), pending) => ShotState::Clip {
            clip: clip.clone(),
            trim: shot.trim,
            replacing: pending.as_ref().and(job.map(|j| j.state)),
        },
        (None, Some(p)) => match job {
            Some(j) if matches!(j.state, JobState::Failed | JobState::Cancelled) => {
                ShotState::Failed {
                    job_id: p.job_id.clone(),
                    message: j
                        .failure
                        .as_ref()
                        .map(|f| f.message.clone())
                        .unwrap_or_else(|| "cancelled".into()),
                }
            }
            _ => ShotState::Making {
                job_id: p.job_id.clone(),
                state: job.map(|j| j.state),
                queue_position: job.and_then(|j| j.queue_position),
                purpose: p.purpose,
            },
        },
        (None, None) => ShotState::Failed {
            job_id: String::new(),
            message: "this slot has neither a clip nor a job".into(),
        },
    }
}

/// The export of a storyboard to `output`. Every slot must have a clip whose content is the
/// one added (a changed file is refused, naming the shot).
pub fn export_request(
    board: &Storyboard,
    output: &Path,
    overwrite: bool,
) -> Result<ExportRequest, FilmError> {
    if board.shots.is_empty() {
        return Err(FilmError::Empty(format!(
            "storyboard {:?} has no shots; add clips to it first",
            board.name
        )));
    }
    let mut shots = Vec::with_capacity(board.shots.len());
    for (i, shot) in board.shots.iter().enumerate() {
        let Some(clip) = &shot.clip else {
            let job = shot.pending.as_ref().map_or("", |p| p.job_id.as_str());
            return Err(FilmError::NotPossible(format!(
                "shot {} of {:?} is still being made (job {job}); wait for it or remove the shot",
                i + 1,
                board.name
            )));
        };
        let now = hash(&clip.path).map_err(|_| {
            FilmError::NotPossible(format!(
                "shot {}'s clip {} is missing; put it back or remove the shot",
                i + 1,
                clip.path.display()
            ))
        })?;
        if now != clip.blake3 {
            return Err(FilmError::NotPossible(format!(
                "shot {}'s clip {} changed since it was added; add it again or remove the shot",
                i + 1,
                clip.path.display()
            )));
        }
        shots.push(ExportShot {
            path: clip.path.clone(),
            trim: shot.trim,
        });
    }
    Ok(ExportRequest {
        shots,
        output: output.to_path_buf(),
        overwrite,
        reencode_all: false,
        storyboard: Some(StoryboardRecord {
            id: board.id.clone(),
            name: board.name.clone(),
        }),
    })
}
