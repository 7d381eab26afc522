//! The library as the folder holds it right now, for readers that run once (the command line):
//! one pass of the same indexer the window keeps running in the background, so both front ends
//! see the same videos, marks and skipped sidecars.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::library::indexer::{IndexEvent, Indexer, IndexerOptions};
use crate::library::search::LibraryIndex;
use crate::store::Journal;

/// Why the folder could not be read in full.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// The scan did not finish in time (a slow or hung network drive).
    #[error("reading the library folder {folder} took longer than {secs} s; try again", secs = .after.as_secs())]
    TimedOut {
        /// The folder.
        folder: PathBuf,
        /// How long it was given.
        after: Duration,
    },
    /// The indexer stopped before it finished (it could not start a thread).
    #[error("the library folder {0} could not be read: the indexer stopped")]
    Stopped(PathBuf),
}

/// One full read of the library folder.
#[derive(Default)]
pub struct Snapshot {
    /// Every video with its sidecar, with its marks.
    pub index: LibraryIndex,
    /// Sidecars that could not be used, with why.
    pub skipped: Vec<(PathBuf, String)>,
}

/// Reads `folder` once (with `journal`, its index and marks are brought up to date too).
pub fn scan_now(
    folder: &Path,
    journal: Option<Arc<Journal>>,
    timeout: Duration,
) -> Result<Snapshot, SnapshotError> {
    let options = IndexerOptions {
        // One pass: no watcher, and no second scan before this one is read.
        watch: false,
        rescan_every: timeout.saturating_mul(2),
        ..IndexerOptions::default()
    };
    let (indexer, events) = Indexer::start(folder.to_path_buf(), journal, options);
    let deadline = Instant::now() + timeout;
    let mut snapshot = Snapshot::default();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = events.recv_timeout(left).map_err(|e| match e {
            std::sync::mpsc::RecvTimeoutError::Timeout => SnapshotError::TimedOut {
                folder: folder.to_path_buf(),
                after: timeout,
            },
            std::sync::mpsc::RecvTimeoutError::Disconnected => {
                SnapshotError::Stopped(folder.to_path_buf())
            }
        })?;
        match event {
            IndexEvent::Upserted(entries) => {
                entries.into_iter().for_each(|e| snapshot.index.upsert(e))
            }
            IndexEvent::Removed(jobs) => jobs.iter().for_each(|j| {
                snapshot.index.remove(j);
            }),
            IndexEvent::Skipped(path, why) => snapshot.skipped.push((path, why)),
            IndexEvent::FolderChanged(_) | IndexEvent::FolderMissing(_) => {}
            IndexEvent::ScanFinished { .. } => break,
        }
    }
    drop(indexer);
    Ok(snapshot)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::sidecar::{SIDECAR_FORMAT, Sidecar, sidecar_path};
    use crate::store::Marks;

    fn video(dir: &Path, n: usize) -> String {
        let file = format!("clip-{n}.mp4");
        std::fs::write(dir.join(&file), b"not really a video").unwrap();
        let job_id = format!("job-{n}");
        let sidecar = Sidecar {
            format: SIDECAR_FORMAT.into(),
            job_id: job_id.clone(),
            endpoint_id: "fal-ai/veo3.1".into(),
            request_id: None,
            prompt: format!("shot {n}"),
            input: serde_json::json!({"prompt": format!("shot {n}")}),
            references: Vec::new(),
            seed: Some(n as i64),
            file: file.clone(),
            file_size: 18,
            blake3: String::new(),
            video_url: None,
            result: None,
            cost: Default::default(),
            timings: Default::default(),
            simulated: true,
        };
        sidecar.write(&sidecar_path(&dir.join(file))).unwrap();
        job_id
    }

    #[test]
    fn one_pass_finds_every_video_with_its_marks_and_names_a_damaged_sidecar() {
        let dir = tempfile::tempdir().unwrap();
        let data = tempfile::tempdir().unwrap();
        let journal = Arc::new(Journal::open_in(data.path()).unwrap());
        let ids: Vec<String> = (0..3).map(|n| video(dir.path(), n)).collect();
        let favourite = Marks {
            favourite: true,
            rejected: false,
        };
        journal.set_marks(&ids[1], favourite).unwrap();
        std::fs::write(
            dir.path().join("broken.json"),
            b"{\"format\":\"reelsmith.sidecar/1\"",
        )
        .unwrap();

        let snap = scan_now(dir.path(), Some(journal.clone()), Duration::from_secs(10)).unwrap();
        assert_eq!(snap.index.len(), 3);
        assert_eq!(snap.index.get(&ids[1]).map(|e| e.marks), Some(favourite));
        assert_eq!(
            snap.index.get(&ids[0]).map(|e| e.marks.favourite),
            Some(false)
        );
        assert_eq!(snap.skipped.len(), 1, "{:?}", snap.skipped);
        assert!(snap.skipped[0].0.ends_with("broken.json"));
        // The journal's index follows the folder.
        assert_eq!(journal.library_items().unwrap().len(), 3);
    }

    #[test]
    fn a_folder_not_made_yet_is_an_empty_library() {
        let dir = tempfile::tempdir().unwrap();
        let snap = scan_now(&dir.path().join("none"), None, Duration::from_secs(10)).unwrap();
        assert!(snap.index.is_empty());
    }
}
