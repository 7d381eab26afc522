//! Deleting library videos undoably. The video and its sidecar are first moved (renamed, same
//! disk) into `.reelsmith-trash/<batch>/` inside the library folder, where "undo" puts them
//! back; once the undo time has passed, the batch goes to the OS trash (recycle bin), or stays
//! in our trash folder where the OS has none. Nothing is ever deleted outright.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::library::search::{IndexEntry, LibraryIndex};
use crate::store::Journal;

/// The trash folder's name inside the library folder (hidden on Unix; never indexed).
pub const TRASH_DIR: &str = ".reelsmith-trash";

/// Why deleting or restoring a video failed.
#[derive(Debug, thiserror::Error)]
pub enum TrashError {
    /// A file could not be moved.
    #[error("could not move {from} to {to}: {source}")]
    Move {
        /// Where it was.
        from: PathBuf,
        /// Where it was going.
        to: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// Something now sits where a restored file goes; it was left alone.
    #[error(
        "{0} exists now, so the deleted video was not put back over it; it stays in the trash \
         folder. Move that file away and undo again."
    )]
    Occupied(PathBuf),
    /// The undo time of that deletion has passed (or it was never made).
    #[error("that deletion can no longer be undone; the files are in the trash")]
    Expired,
}

/// How the trash behaves.
#[derive(Debug, Clone)]
pub struct TrashOptions {
    /// How long a deletion can be undone.
    pub undo_for: Duration,
    /// Hand expired deletions to the OS trash (else they stay in our trash folder).
    pub os_trash: bool,
}

impl Default for TrashOptions {
    fn default() -> Self {
        TrashOptions {
            undo_for: Duration::from_secs(60),
            os_trash: cfg!(any(
                target_os = "windows",
                target_os = "macos",
                all(unix, not(target_os = "android"))
            )),
        }
    }
}

/// One deleted video and where its files wait.
#[derive(Debug, Clone)]
struct Staged {
    entry: IndexEntry,
    video: PathBuf,
    sidecar: Option<PathBuf>,
}

/// One deletion (one or many videos at once), undoable until it expires.
#[derive(Debug)]
struct Batch {
    id: u64,
    dir: PathBuf,
    at: Instant,
    items: Vec<Staged>,
}

/// What a deletion did.
#[derive(Debug, Default)]
pub struct Deleted {
    /// The deletion to pass to [`Trash::undo`].
    pub batch: u64,
    /// The videos moved to the trash (by job id).
    pub moved: Vec<String>,
    /// The videos that could not be moved, with why (they stay in the library).
    pub failed: Vec<(String, TrashError)>,
}

/// What an undo put back.
#[derive(Debug, Default)]
pub struct Restored {
    /// The entries back in the library (for the caller's index).
    pub entries: Vec<IndexEntry>,
    /// The videos that could not go back, with why (they stay undoable).
    pub failed: Vec<(String, TrashError)>,
}

/// The library's trash; lives as long as the window (or the CLI command).
#[derive(Debug)]
pub struct Trash {
    root: PathBuf,
    options: TrashOptions,
    batches: Vec<Batch>,
    next: u64,
}

fn moved(from: &Path, to: &Path) -> Result<(), TrashError> {
    std::fs::rename(from, to).map_err(|source| TrashError::Move {
        from: from.to_path_buf(),
        to: to.to_path_buf(),
        source,
    })
}

impl Trash {
    /// The trash of the library at `library`. Deletions left waiting by an earlier run that
    /// stopped are sent on to the OS trash now (or stay in the trash folder); one younger than
    /// the undo time is left alone, as another process (the window) may still undo it.
    pub fn new(library: &Path, options: TrashOptions) -> Trash {
        let root = library.join(TRASH_DIR);
        let trash = Trash {
            root,
            options,
            batches: Vec::new(),
            next: 0,
        };
        if trash.options.os_trash
            && let Ok(leftovers) = std::fs::read_dir(&trash.root)
        {
            let undo_for = trash.options.undo_for;
            let stale = |p: &Path| {
                std::fs::metadata(p)
                    .and_then(|m| m.modified())
                    .ok()
                    .and_then(|t| t.elapsed().ok())
                    .is_none_or(|age| age >= undo_for)
            };
            for dir in leftovers
                .flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir() && stale(p))
            {
                trash.to_os_trash(&dir);
            }
        }
        trash
    }

    /// The trash folder.
    pub fn folder(&self) -> &Path {
        &self.root
    }

    /// Moves the videos (and sidecars) of `entries` into the trash and out of the journal's
    /// library index; the caller removes `moved` from its own index.
    pub fn delete(&mut self, entries: Vec<IndexEntry>, journal: Option<&Journal>) -> Deleted {
        self.next += 1;
        let id = self.next;
        let dir = self.root.join(format!(
            "{}-{id}",
            chrono::Utc::now().format("%Y%m%d-%H%M%S")
        ));
        let mut out = Deleted {
            batch: id,
            ..Default::default()
        };
        if let Err(source) = std::fs::create_dir_all(&dir) {
            for e in entries {
                let err = TrashError::Move {
                    from: e.item.path.clone(),
                    to: dir.clone(),
                    source: std::io::Error::new(source.kind(), source.to_string()),
                };
                out.failed.push((e.item.job_id, err));
            }
            return out;
        }
        let mut items = Vec::new();
        for (n, entry) in entries.into_iter().enumerate() {
            // A numbered subfolder per video: two videos of one name never meet.
            let slot = dir.join(n.to_string());
            let staged = std::fs::create_dir(&slot)
                .map_err(|source| TrashError::Move {
                    from: entry.item.path.clone(),
                    to: slot.clone(),
                    source,
                })
                .and_then(|()| stage(&entry, &slot));
            match staged {
                Ok(staged) => {
                    if let Some(journal) = journal
                        && let Err(e) = journal.unindex(&entry.item.job_id)
                    {
                        tracing::warn!("{} stays in the journal's index: {e}", entry.item.job_id);
                    }
                    out.moved.push(entry.item.job_id.clone());
                    items.push(staged);
                }
                Err(e) => out.failed.push((entry.item.job_id.clone(), e)),
            }
        }
        self.batches.push(Batch {
            id,
            dir,
            at: Instant::now(),
            items,
        });
        out
    }

    /// Moves every video that is not a favourite to the trash ("clear history, keep
    /// favourites"), undoable like [`Trash::delete`].
    pub fn clear_keep_favourites(
        &mut self,
        index: &LibraryIndex,
        journal: Option<&Journal>,
    ) -> Deleted {
        let rest: Vec<IndexEntry> = index
            .entries()
            .filter(|e| !e.marks.favourite)
            .cloned()
            .collect();
        self.delete(rest, journal)
    }

    /// Deletions that can still be undone, newest last.
    pub fn undoable(&self) -> Vec<u64> {
        self.batches.iter().map(|b| b.id).collect()
    }

    /// Puts a deletion back: files to where they were, entries into the journal's index.
    /// Returns the entries restored (for the caller's index) and what could not be.
    pub fn undo(&mut self, batch: u64, journal: Option<&Journal>) -> Result<Restored, TrashError> {
        let at = self
            .batches
            .iter()
            .position(|b| b.id == batch)
            .ok_or(TrashError::Expired)?;
        let mut batch = self.batches.remove(at);
        let mut restored = Vec::new();
        let mut failed = Vec::new();
        let mut kept = Vec::new();
        for staged in batch.items.drain(..) {
            match unstage(&staged) {
                Ok(()) => {
                    if let Some(journal) = journal
                        && let Err(e) = journal.index_item(&staged.entry.item)
                    {
                        tracing::warn!(
                            "{} not back in the journal's index: {e}",
                            staged.entry.item.job_id
                        );
                    }
                    restored.push(staged.entry);
                }
                Err(e) => {
                    failed.push((staged.entry.item.job_id.clone(), e));
                    kept.push(staged);
                }
            }
        }
        if kept.is_empty() {
            remove_empty_dirs(&batch.dir);
        } else {
            // What could not go back stays undoable.
            batch.items = kept;
            self.batches.insert(at, batch);
        }
        Ok(Restored {
            entries: restored,
            failed,
        })
    }

    /// Sends deletions older than the undo time on to the OS trash (where there is one).
    /// Call now and then (the window does once a second, the CLI at exit with `all`).
    pub fn expire(&mut self, all: bool) {
        let undo_for = self.options.undo_for;
        let (old, young): (Vec<Batch>, Vec<Batch>) = self
            .batches
            .drain(..)
            .partition(|b| all || b.at.elapsed() >= undo_for);
        self.batches = young;
        if self.options.os_trash {
            for batch in old {
                self.to_os_trash(&batch.dir);
            }
        }
    }

    /// Moves a batch folder to the OS trash; where that fails it stays in our trash folder.
    fn to_os_trash(&self, dir: &Path) {
        if let Err(e) = trash::delete(dir) {
            tracing::info!(
                "the OS trash did not take {} ({e}); it stays in reelsmith's trash folder",
                dir.display()
            );
        }
    }
}

fn stage(entry: &IndexEntry, slot: &Path) -> Result<Staged, TrashError> {
    let name = |p: &Path| slot.join(p.file_name().unwrap_or_else(|| "video".as_ref()));
    let video = name(&entry.item.path);
    moved(&entry.item.path, &video)?;
    let sidecar = if entry.item.sidecar.is_file() {
        let to = name(&entry.item.sidecar);
        if let Err(e) = moved(&entry.item.sidecar, &to) {
            // The video goes back so the pair is never split.
            if let Err(back) = moved(&video, &entry.item.path) {
                tracing::error!("{back}; the video is in {}", slot.display());
            }
            return Err(e);
        }
        Some(to)
    } else {
        None
    };
    Ok(Staged {
        entry: entry.clone(),
        video,
        sidecar,
    })
}

fn unstage(staged: &Staged) -> Result<(), TrashError> {
    let item = &staged.entry.item;
    for target in [
        Some(&item.path),
        staged.sidecar.as_ref().map(|_| &item.sidecar),
    ]
    .into_iter()
    .flatten()
    {
        if target.symlink_metadata().is_ok() {
            return Err(TrashError::Occupied(target.clone()));
        }
    }
    moved(&staged.video, &item.path)?;
    if let Some(sidecar) = &staged.sidecar {
        moved(sidecar, &item.sidecar)?;
    }
    if let Some(slot) = staged.video.parent() {
        // Empty now; a leftover folder is harmless.
        let _ = std::fs::remove_dir(slot);
    }
    Ok(())
}

fn remove_empty_dirs(dir: &Path) {
    // Only empty folders go (remove_dir refuses others): nothing is deleted that holds a file.
    if let Ok(slots) = std::fs::read_dir(dir) {
        for slot in slots.flatten() {
            let _ = std::fs::remove_dir(slot.path());
        }
    }
    let _ = std::fs::remove_dir(dir);
}

#[cfg(test)]
mod tests;
