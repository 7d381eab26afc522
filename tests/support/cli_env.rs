//! A user's folders for running the `reelsmith` binary in a test: data, config, cache, the
//! library, the test's input files and a home of its own (so the OS trash and keyring files
//! land inside the temp dir).

use std::path::{Path, PathBuf};
use std::process::Command;

use super::run::Reelsmith;

/// Temp folders laid out as the binary's `REELSMITH_*_DIR` variables name them.
pub struct CliEnv {
    /// The root of every folder.
    pub dir: tempfile::TempDir,
}

impl CliEnv {
    /// Makes the folders.
    pub fn new() -> CliEnv {
        let dir = tempfile::tempdir().expect("temp dir");
        for sub in ["data", "config", "cache", "videos", "files", "home"] {
            std::fs::create_dir_all(dir.path().join(sub)).expect("make a folder");
        }
        CliEnv { dir }
    }

    /// The root of every folder.
    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    /// A folder (or file) under the root.
    pub fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    /// A file in `files`, where a test keeps its inputs (never written by the binary).
    pub fn file(&self, name: &str) -> PathBuf {
        self.path("files").join(name)
    }

    /// Writes `bytes` as `files/NAME`; its path.
    pub fn write_file(&self, name: &str, bytes: &[u8]) -> PathBuf {
        let path = self.file(name);
        std::fs::write(&path, bytes).expect("write an input file");
        path
    }
}

impl Reelsmith for CliEnv {
    /// `reelsmith ARGS` with these folders and none of the user's fal keys, keyring or log filter.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_reelsmith"));
        cmd.args(args)
            .env("REELSMITH_DATA_DIR", self.path("data"))
            .env("REELSMITH_CONFIG_DIR", self.path("config"))
            .env("REELSMITH_CACHE_DIR", self.path("cache"))
            .env("REELSMITH_OUTPUT_DIR", self.path("videos"))
            .env("REELSMITH_KEYSTORE", "none")
            .env("HOME", self.path("home"))
            .env("XDG_DATA_HOME", self.path("home/.local/share"))
            .env_remove("FAL_KEY")
            .env_remove("FAL_KEY_ID")
            .env_remove("FAL_KEY_SECRET")
            .env_remove("RUST_LOG");
        cmd
    }
}
