//! "Save copies" of a selection: each video with its sidecar copied into one folder, with
//! progress over the whole selection; a name already taken there gets a number (`name (2).mp4`),
//! and nothing in the folder is ever replaced.

use std::path::{Path, PathBuf};

use crate::library::export::{ExportError, ExportOptions, Exported, export_copy};
use crate::library::item::LibraryItem;
use crate::library::sidecar::sidecar_path;

/// How far a selection's copy is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SelectionProgress {
    /// Videos finished (copied or failed).
    pub videos_done: usize,
    /// Videos in the selection.
    pub videos: usize,
    /// Bytes copied so far over the selection.
    pub bytes_done: u64,
    /// Bytes of all the selection's videos.
    pub bytes: u64,
}

/// What became of each video, in the selection's order.
#[derive(Debug, Default)]
pub struct SelectionReport {
    /// Copies made (the copy's name may carry a number).
    pub copied: Vec<(String, Exported)>,
    /// Videos not copied, with why.
    pub failed: Vec<(String, ExportError)>,
}

/// How many numbered names are tried before giving up on one video.
const MAX_TRIES: u32 = 1000;

/// `name (n).ext` for n ≥ 2.
fn numbered(file_name: &str, n: u32) -> String {
    let path = Path::new(file_name);
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    match path.extension() {
        Some(ext) => format!("{stem} ({n}).{}", ext.to_string_lossy()),
        None => format!("{stem} ({n})"),
    }
}

/// True when neither the name nor its sidecar name is taken in the folder.
fn free(dest: &Path) -> bool {
    dest.symlink_metadata().is_err() && sidecar_path(dest).symlink_metadata().is_err()
}

/// Copies every item of `items` into `folder` (made if missing), calling `progress` as it goes.
pub fn export_selection(
    items: &[LibraryItem],
    folder: &Path,
    progress: &mut dyn FnMut(SelectionProgress),
) -> SelectionReport {
    let mut report = SelectionReport::default();
    let mut state = SelectionProgress {
        videos: items.len(),
        bytes: items
            .iter()
            .map(|i| std::fs::metadata(&i.path).map_or(i.size, |m| m.len()))
            .sum(),
        ..Default::default()
    };
    progress(state);
    if let Err(source) = std::fs::create_dir_all(folder) {
        for item in items {
            let error = ExportError::Io {
                action: "write",
                path: folder.to_path_buf(),
                source: std::io::Error::new(source.kind(), source.to_string()),
            };
            report.failed.push((item.job_id.clone(), error));
        }
        return report;
    }
    for item in items {
        let base = state.bytes_done;
        let outcome = copy_one(item, folder, &mut |done, _| {
            state.bytes_done = base + done;
            progress(state);
        });
        match outcome {
            Ok(exported) => report.copied.push((item.job_id.clone(), exported)),
            Err(e) => report.failed.push((item.job_id.clone(), e)),
        }
        state.videos_done += 1;
        progress(state);
    }
    report
}

/// One video under the first free name; a name taken meanwhile (another program, or two videos
/// of one name in the selection) moves on to the next number.
fn copy_one(
    item: &LibraryItem,
    folder: &Path,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<Exported, ExportError> {
    let name = item
        .path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| format!("{}.mp4", item.job_id));
    let mut last = None;
    for n in 1..=MAX_TRIES {
        let candidate: PathBuf = if n == 1 {
            folder.join(&name)
        } else {
            folder.join(numbered(&name, n))
        };
        if !free(&candidate) {
            continue;
        }
        match export_copy(
            &item.path,
            &item.sidecar,
            &candidate,
            ExportOptions::default(),
            progress,
        ) {
            Err(e @ (ExportError::VideoExists(_) | ExportError::SidecarExists { .. })) => {
                last = Some(e);
            }
            other => return other,
        }
    }
    Err(last.unwrap_or_else(|| ExportError::VideoExists(folder.join(name))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::library::indexer::tests::add_video;
    use crate::library::search::IndexEntry;
    use crate::library::sidecar::Sidecar;

    fn item(dir: &Path, name: &str) -> LibraryItem {
        let sidecar = dir.join(format!("{name}.json"));
        IndexEntry::from_sidecar(&Sidecar::read(&sidecar).unwrap(), &sidecar)
            .unwrap()
            .item
    }

    #[test]
    fn copies_a_selection_with_sidecars_numbering_clashes_and_never_replacing() {
        let dir = tempfile::tempdir().unwrap();
        let lib = dir.path().join("lib");
        let other = dir.path().join("other");
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::create_dir_all(&other).unwrap();
        add_video(&lib, "fox", "a fox");
        add_video(&lib, "owl", "an owl");
        // A second library video of the same name, from another folder.
        add_video(&other, "fox", "another fox");
        let out = dir.path().join("out");
        std::fs::create_dir_all(&out).unwrap();
        // Taken in the destination already: an unrelated file, and a lone JSON.
        std::fs::write(out.join("owl.mp4"), b"mine").unwrap();
        std::fs::write(out.join("fox (2).json"), b"notes").unwrap();
        let items = [item(&lib, "fox"), item(&lib, "owl"), item(&other, "fox")];
        let mut seen = Vec::new();
        let report = export_selection(&items, &out, &mut |p| seen.push(p));
        assert!(report.failed.is_empty(), "{:?}", report.failed);
        let names: Vec<String> = report
            .copied
            .iter()
            .map(|(_, e)| e.video.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["fox.mp4", "owl (2).mp4", "fox (3).mp4"]);
        assert_eq!(std::fs::read(out.join("owl.mp4")).unwrap(), b"mine");
        assert_eq!(std::fs::read(out.join("fox (2).json")).unwrap(), b"notes");
        let copied = Sidecar::read(&out.join("fox (3).json")).unwrap();
        assert_eq!(copied.prompt, "another fox");
        assert_eq!(copied.file, "fox (3).mp4");
        let last = seen.last().unwrap();
        assert_eq!((last.videos_done, last.videos), (3, 3));
        assert_eq!(last.bytes_done, last.bytes);
        assert_eq!(last.bytes, 15);
        // Progress only ever grows.
        assert!(seen.windows(2).all(|w| w[1].bytes_done >= w[0].bytes_done));
    }

    #[test]
    fn a_missing_video_is_reported_and_the_rest_still_copied() {
        let dir = tempfile::tempdir().unwrap();
        add_video(dir.path(), "a", "a");
        add_video(dir.path(), "b", "b");
        let items = [item(dir.path(), "a"), item(dir.path(), "b")];
        std::fs::remove_file(dir.path().join("a.mp4")).unwrap();
        let report = export_selection(&items, &dir.path().join("out"), &mut |_| {});
        assert_eq!(report.copied.len(), 1);
        assert_eq!(report.failed.len(), 1);
        assert_eq!(report.failed[0].0, "job-a");
        assert!(dir.path().join("out/b.mp4").is_file());
    }
}
