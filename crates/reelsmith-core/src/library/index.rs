//! The library index (kept in the journal) rebuilt from the sidecars.

use std::path::PathBuf;

use crate::library::item::LibraryItem;
use crate::library::sidecar::Sidecar;
use crate::store::{Journal, JournalError};

/// Scans `dirs` (not recursively) for sidecars whose video exists and adds each to the index
/// in `journal`; foreign JSON files are skipped. Returns how many videos were indexed.
pub fn rebuild_index_from_sidecars(
    journal: &Journal,
    dirs: &[PathBuf],
) -> Result<usize, JournalError> {
    let mut count = 0;
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let Ok(sidecar) = Sidecar::read(&path) else {
                continue;
            };
            let Some(item) = LibraryItem::from_sidecar(&sidecar, &path) else {
                continue;
            };
            if !item.path.is_file() {
                continue;
            }
            journal.index_item(&item)?;
            count += 1;
        }
    }
    Ok(count)
}
