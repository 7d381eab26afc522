//! The storyboard model: an ordered list of shots, each a library clip with a frame-accurate
//! trim, or a job still being made whose result takes the slot when it arrives.
//!
//! The operations here are pure (they change a [`Storyboard`] value and check what they can
//! without the disk); [`super::boards`] runs them against the journal.

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::error::FilmError;
use super::plan::FrameRange;

/// A clip of the library as a shot refers to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClipRef {
    /// The video file.
    pub path: PathBuf,
    /// blake3 of its content when it was added, hex (a changed file is noticed at export).
    pub blake3: String,
    /// The library id (the job that made it, or `import-…`), when it is in the library.
    pub job_id: Option<String>,
}

/// Why a job was started for a slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShotPurpose {
    /// Veo extend-video of the shot before.
    Extend,
    /// A new shot from the shot before's last frame.
    NextShot,
    /// The same shot made again; its clip stays until the new one arrives.
    Redo,
    /// A job added to the storyboard as it is.
    Added,
}

/// A job whose clip will fill (or replace) a slot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingJob {
    /// The job's id in the journal.
    pub job_id: String,
    /// Why it was started.
    pub purpose: ShotPurpose,
}

/// One slot of a storyboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shot {
    /// Stable id of the slot (for the window to keep a selection across edits).
    pub id: String,
    /// The clip on show; `None` while only a job fills the slot.
    pub clip: Option<ClipRef>,
    /// Frames of the clip used; `None` for the whole clip.
    pub trim: Option<FrameRange>,
    /// A job that will fill the slot, or replace its clip when it finishes.
    pub pending: Option<PendingJob>,
}

impl Shot {
    /// A slot showing `clip`, untrimmed.
    pub fn of_clip(clip: ClipRef) -> Shot {
        Shot {
            id: new_id(),
            clip: Some(clip),
            trim: None,
            pending: None,
        }
    }

    /// A slot waiting for `job_id`.
    pub fn of_job(job_id: &str, purpose: ShotPurpose) -> Shot {
        Shot {
            id: new_id(),
            clip: None,
            trim: None,
            pending: Some(PendingJob {
                job_id: job_id.to_string(),
                purpose,
            }),
        }
    }
}

/// A storyboard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Storyboard {
    /// Stable id.
    pub id: String,
    /// The name shown and used on the command line (unique, case-insensitively).
    pub name: String,
    /// The slots, in order.
    pub shots: Vec<Shot>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
}

fn new_id() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

/// Checks a storyboard name: 1–80 characters, not only spaces, no control characters.
pub fn check_name(name: &str) -> Result<String, FilmError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(FilmError::NotPossible(format!(
            "{name:?} cannot name a storyboard: use 1 to 80 characters, no control characters"
        )));
    }
    Ok(name.to_string())
}

impl Storyboard {
    /// An empty storyboard called `name`.
    pub fn new(name: &str) -> Result<Storyboard, FilmError> {
        let now = Utc::now();
        Ok(Storyboard {
            id: new_id(),
            name: check_name(name)?,
            shots: Vec::new(),
            created_at: now,
            updated_at: now,
        })
    }

    fn no_shot(&self, index: usize) -> FilmError {
        FilmError::NoShot {
            storyboard: self.name.clone(),
            index: index + 1,
            count: self.shots.len(),
        }
    }

    /// The slot at `index` (0-based).
    pub fn shot(&self, index: usize) -> Result<&Shot, FilmError> {
        self.shots.get(index).ok_or_else(|| self.no_shot(index))
    }

    /// The index of the slot with id `shot_id`.
    pub fn index_of(&self, shot_id: &str) -> Option<usize> {
        self.shots.iter().position(|s| s.id == shot_id)
    }

    /// Inserts `shot` at `index` (the end for `None` or past the end); returns where it went.
    pub fn insert(&mut self, index: Option<usize>, shot: Shot) -> usize {
        let at = index.unwrap_or(self.shots.len()).min(self.shots.len());
        self.shots.insert(at, shot);
        at
    }

    /// Moves the slot at `from` to `to` (both 0-based; `to` is clamped to the end).
    pub fn move_shot(&mut self, from: usize, to: usize) -> Result<(), FilmError> {
        if from >= self.shots.len() {
            return Err(self.no_shot(from));
        }
        let shot = self.shots.remove(from);
        let to = to.min(self.shots.len());
        self.shots.insert(to, shot);
        Ok(())
    }

    /// Removes the slot at `index` and returns it.
    pub fn remove(&mut self, index: usize) -> Result<Shot, FilmError> {
        if index >= self.shots.len() {
            return Err(self.no_shot(index));
        }
        Ok(self.shots.remove(index))
    }

    /// Trims the slot at `index` to `range` of its clip, which has `frames` frames; the whole
    /// clip clears the trim.
    pub fn trim(&mut self, index: usize, range: FrameRange, frames: u32) -> Result<(), FilmError> {
        let name = self.name.clone();
        let shot = self.shots.get_mut(index).ok_or_else(|| FilmError::NoShot {
            storyboard: name,
            index: index + 1,
            count: 0,
        })?;
        let Some(clip) = &shot.clip else {
            return Err(FilmError::NotPossible(format!(
                "shot {} has no clip yet (its job is still running); trim it once it has one",
                index + 1
            )));
        };
        if range.is_empty() || range.end > frames {
            return Err(FilmError::BadTrim {
                path: clip.path.clone(),
                in_frame: range.start,
                out_frame: range.end,
                frames,
            });
        }
        shot.trim = (range
            != FrameRange {
                start: 0,
                end: frames,
            })
        .then_some(range);
        Ok(())
    }

    /// Puts the finished clip of `job_id` into every slot waiting for it; returns how many.
    /// The new clip is untrimmed (it is a different clip).
    pub fn resolve(&mut self, job_id: &str, clip: &ClipRef) -> usize {
        let mut n = 0;
        for shot in &mut self.shots {
            if shot.pending.as_ref().is_some_and(|p| p.job_id == job_id) {
                shot.clip = Some(clip.clone());
                shot.trim = None;
                shot.pending = None;
                n += 1;
            }
        }
        n
    }

    /// Forgets the job of every slot waiting for `job_id` that still shows a clip (a redo that
    /// failed or was cancelled keeps the old clip); returns how many.
    pub fn drop_pending(&mut self, job_id: &str) -> usize {
        let mut n = 0;
        for shot in &mut self.shots {
            if shot.clip.is_some() && shot.pending.as_ref().is_some_and(|p| p.job_id == job_id) {
                shot.pending = None;
                n += 1;
            }
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip(name: &str) -> ClipRef {
        ClipRef {
            path: PathBuf::from(name),
            blake3: "00".into(),
            job_id: None,
        }
    }

    #[test]
    fn shots_are_added_moved_trimmed_and_removed() {
        let mut b = Storyboard::new("  Trailer ").unwrap();
        assert_eq!(b.name, "Trailer");
        b.insert(None, Shot::of_clip(clip("a")));
        b.insert(None, Shot::of_clip(clip("c")));
        b.insert(Some(1), Shot::of_clip(clip("b")));
        let names = |b: &Storyboard| -> Vec<String> {
            b.shots
                .iter()
                .map(|s| s.clip.as_ref().unwrap().path.display().to_string())
                .collect()
        };
        assert_eq!(names(&b), ["a", "b", "c"]);
        b.move_shot(0, 9).unwrap();
        assert_eq!(names(&b), ["b", "c", "a"]);
        b.trim(0, FrameRange { start: 2, end: 10 }, 48).unwrap();
        assert_eq!(b.shots[0].trim, Some(FrameRange { start: 2, end: 10 }));
        b.trim(0, FrameRange { start: 0, end: 48 }, 48).unwrap();
        assert_eq!(b.shots[0].trim, None);
        assert!(b.trim(0, FrameRange { start: 40, end: 49 }, 48).is_err());
        assert!(b.trim(0, FrameRange { start: 5, end: 5 }, 48).is_err());
        b.remove(1).unwrap();
        assert_eq!(names(&b), ["b", "a"]);
        let err = b.remove(5).unwrap_err().to_string();
        assert!(err.contains("no shot 6"), "{err}");
        assert!(Storyboard::new("   ").is_err());
    }

    #[test]
    fn a_finished_job_takes_its_slot() {
        let mut b = Storyboard::new("s").unwrap();
        b.insert(None, Shot::of_clip(clip("a")));
        b.insert(None, Shot::of_job("job-1", ShotPurpose::NextShot));
        b.shots[0].pending = Some(PendingJob {
            job_id: "job-2".into(),
            purpose: ShotPurpose::Redo,
        });
        b.shots[0].trim = Some(FrameRange { start: 1, end: 2 });
        assert!(b.trim(1, FrameRange { start: 0, end: 1 }, 10).is_err());
        assert_eq!(b.resolve("job-1", &clip("new")), 1);
        assert_eq!(b.shots[1].clip.as_ref().unwrap().path, PathBuf::from("new"));
        assert!(b.shots[1].pending.is_none());
        // A failed redo keeps the old clip and its trim.
        assert_eq!(b.drop_pending("job-2"), 1);
        assert_eq!(b.shots[0].clip.as_ref().unwrap().path, PathBuf::from("a"));
        assert!(b.shots[0].trim.is_some());
    }
}
