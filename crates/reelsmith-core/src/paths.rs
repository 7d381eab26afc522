//! Where reelsmith keeps its files: config, data (journal, library index) and cache.
//!
//! Each directory can be overridden by an environment variable so that tests and portable
//! installs never touch the user's real folders.

use std::path::PathBuf;

/// Environment variable overriding the config directory.
pub const CONFIG_DIR_ENV: &str = "REELSMITH_CONFIG_DIR";
/// Environment variable overriding the data directory.
pub const DATA_DIR_ENV: &str = "REELSMITH_DATA_DIR";
/// Environment variable overriding the cache directory.
pub const CACHE_DIR_ENV: &str = "REELSMITH_CACHE_DIR";

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("ai", "reelsmith", "reelsmith")
}

fn dir_from(env: &str, pick: fn(&directories::ProjectDirs) -> PathBuf) -> PathBuf {
    if let Some(dir) = std::env::var_os(env).filter(|v| !v.is_empty()) {
        return PathBuf::from(dir);
    }
    match project_dirs() {
        Some(dirs) => pick(&dirs),
        // No home directory at all (a bare container): fall back to the working directory.
        None => PathBuf::from(".reelsmith"),
    }
}

/// The config directory (settings, `credentials.json`).
pub fn config_dir() -> PathBuf {
    dir_from(CONFIG_DIR_ENV, |d| d.config_dir().to_path_buf())
}

/// The data directory (the job journal and library index).
pub fn data_dir() -> PathBuf {
    dir_from(DATA_DIR_ENV, |d| d.data_dir().to_path_buf())
}

/// The cache directory (thumbnails, poster frames, fetched schemas).
pub fn cache_dir() -> PathBuf {
    dir_from(CACHE_DIR_ENV, |d| d.cache_dir().to_path_buf())
}
