//! Finished videos on disk with sidecar metadata, and the gallery index.

pub mod durable;
pub mod export;
pub mod export_selection;
pub mod index;
pub mod indexer;
pub mod item;
pub mod naming;
pub mod query;
pub mod reuse;
pub mod search;
pub mod sidecar;
pub mod snapshot;
pub mod trash;

use std::path::PathBuf;

pub use export::{ExportError, ExportOptions, Exported, export_copy};
pub use index::{IndexReport, rebuild_index, rebuild_index_from_sidecars};
pub use item::LibraryItem;
pub use search::{IndexEntry, LibraryIndex, LibraryQuery, SortKey};
pub use sidecar::{Sidecar, sidecar_path};

/// Environment variable overriding the output folder.
pub const OUTPUT_DIR_ENV: &str = "REELSMITH_OUTPUT_DIR";

/// The default output folder: the OS videos folder under `reelsmith/`, else the home folder's
/// `Videos/reelsmith`, else `reelsmith-videos` in the data directory.
pub fn default_output_dir() -> PathBuf {
    if let Some(dirs) = directories::UserDirs::new() {
        if let Some(videos) = dirs.video_dir() {
            return videos.join("reelsmith");
        }
        return dirs.home_dir().join("Videos").join("reelsmith");
    }
    crate::paths::data_dir().join("reelsmith-videos")
}

/// The output folder in use: `REELSMITH_OUTPUT_DIR` when set, else [`default_output_dir`].
pub fn output_dir() -> PathBuf {
    match std::env::var_os(OUTPUT_DIR_ENV).filter(|v| !v.is_empty()) {
        Some(dir) => PathBuf::from(dir),
        None => default_output_dir(),
    }
}
