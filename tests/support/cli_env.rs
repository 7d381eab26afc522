//! A user's folders for running the `reelsmith` binary in a test: data, config, cache, the
//! library and a home of its own (so the OS trash and keyring files land inside the temp dir).

#![allow(dead_code)] // Each test binary uses a part of it.

use std::path::PathBuf;
use std::process::{Command, Output};

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

    /// A folder (or file) under the root.
    pub fn path(&self, sub: &str) -> PathBuf {
        self.dir.path().join(sub)
    }

    /// `reelsmith ARGS` with this environment and no fal key or keyring.
    pub fn command(&self, args: &[&str]) -> Command {
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
            .env_remove("RUST_LOG");
        cmd
    }

    /// Runs `reelsmith ARGS`.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("reelsmith runs")
    }

    /// Runs `reelsmith ARGS`, which must exit 0; its stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_code(&out, 0);
        text(&out.stdout)
    }
}

/// Bytes as text, lossily.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Fails with both streams unless the process exited with `code`.
pub fn assert_code(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        text(&out.stdout),
        text(&out.stderr)
    );
}
