//! The library index (kept in the journal) rebuilt from the sidecars.

use std::path::{Path, PathBuf};

use crate::library::item::LibraryItem;
use crate::library::sidecar::{Sidecar, SidecarError};
use crate::store::{Journal, JournalError};

/// What a rebuild found.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct IndexReport {
    /// How many videos were indexed.
    pub indexed: usize,
    /// Sidecars that could not be used, each with the reason (also logged as warnings).
    pub skipped: Vec<(PathBuf, String)>,
}

/// True when `text` claims to be a reelsmith sidecar (so a parse failure means damage, not a
/// foreign JSON file).
fn looks_like_sidecar(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|bytes| {
        bytes
            .windows(b"reelsmith.sidecar/".len())
            .any(|w| w == b"reelsmith.sidecar/")
    })
}

/// Scans `dirs` (not recursively) for sidecars whose video exists and adds each to the index
/// in `journal`. A damaged sidecar is skipped with a warning, never fatal; foreign JSON files
/// are skipped quietly. Only a journal write failing stops the rebuild.
pub fn rebuild_index(journal: &Journal, dirs: &[PathBuf]) -> Result<IndexReport, JournalError> {
    let mut report = IndexReport::default();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let sidecar = match Sidecar::read(&path) {
                Ok(s) => s,
                Err(SidecarError::Format { .. }) if !looks_like_sidecar(&path) => continue,
                Err(e) => {
                    tracing::warn!("skipping a sidecar the library cannot use: {e}");
                    report.skipped.push((path, e.to_string()));
                    continue;
                }
            };
            let Some(item) = LibraryItem::from_sidecar(&sidecar, &path) else {
                let why = format!(
                    "its video name {:?} would leave the folder {}",
                    sidecar.file,
                    dir.display()
                );
                tracing::warn!("skipping the sidecar {}: {why}", path.display());
                report.skipped.push((path, why));
                continue;
            };
            if !item.path.is_file() {
                continue;
            }
            journal.index_item(&item)?;
            report.indexed += 1;
        }
    }
    Ok(report)
}

/// [`rebuild_index`], returning how many videos were indexed.
pub fn rebuild_index_from_sidecars(
    journal: &Journal,
    dirs: &[PathBuf],
) -> Result<usize, JournalError> {
    rebuild_index(journal, dirs).map(|r| r.indexed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::sidecar::{SIDECAR_FORMAT, SidecarTimings};

    fn sidecar(job: &str, file: &str) -> Sidecar {
        Sidecar {
            format: SIDECAR_FORMAT.into(),
            job_id: job.into(),
            endpoint_id: "fal-ai/veo3.1".into(),
            request_id: None,
            prompt: "p".into(),
            input: serde_json::json!({}),
            references: vec![],
            seed: None,
            file: file.into(),
            file_size: 1,
            blake3: "h".into(),
            video_url: None,
            result: None,
            cost: Default::default(),
            timings: SidecarTimings::default(),
            simulated: true,
        }
    }

    #[test]
    fn damaged_sidecars_are_skipped_with_a_warning_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().to_path_buf();
        std::fs::write(lib.join("good.mp4"), b"v").unwrap();
        sidecar("good", "good.mp4")
            .write(&lib.join("good.json"))
            .unwrap();
        // Cut short mid-write by some other tool.
        std::fs::write(lib.join("cut.mp4"), b"v").unwrap();
        let full = serde_json::to_string(&sidecar("cut", "cut.mp4")).unwrap();
        std::fs::write(lib.join("cut.json"), &full[..full.len() / 2]).unwrap();
        // Not UTF-8 at all, but claiming the format.
        std::fs::write(lib.join("bytes.json"), b"\xff\xfe reelsmith.sidecar/1 \x00").unwrap();
        // Escaping its folder.
        sidecar("esc", "../outside.mp4")
            .write(&lib.join("esc.json"))
            .unwrap();
        // Somebody else's JSON: skipped quietly.
        std::fs::write(lib.join("notes.json"), br#"{"todo": 1}"#).unwrap();
        let journal = Journal::open_in(&dir.path().join("data")).unwrap();
        let report = rebuild_index(&journal, std::slice::from_ref(&lib)).unwrap();
        assert_eq!(report.indexed, 1);
        let mut skipped: Vec<String> = report
            .skipped
            .iter()
            .map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        skipped.sort();
        assert_eq!(skipped, ["bytes.json", "cut.json", "esc.json"]);
        assert!(report.skipped.iter().all(|(_, why)| !why.is_empty()));
        assert_eq!(journal.library_items().unwrap().len(), 1);
    }
}
