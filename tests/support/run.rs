//! Running the binary and reading how it ended: the exit code, and stdout as text, a path or JSON.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

/// Runs `reelsmith` in a test's environment; only [`Reelsmith::command`] differs between
/// environments, so every way of running shares it.
pub trait Reelsmith {
    /// `reelsmith ARGS`, set up but not started.
    fn command(&self, args: &[&str]) -> Command;

    /// Runs `reelsmith ARGS` to its end.
    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("reelsmith runs")
    }

    /// Runs `reelsmith ARGS`, which must exit 0; its stdout.
    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_code(&out, 0);
        text(&out.stdout)
    }

    /// Starts `reelsmith ARGS` with both output streams captured.
    fn spawn(&self, args: &[&str]) -> Child {
        self.command(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("reelsmith starts")
    }

    /// Runs `reelsmith ARGS` with `input` on its standard input, which is then closed (an
    /// answer to a question, or none at all when empty).
    fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("reelsmith starts");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
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

/// The path a run printed as its whole stdout (a saved video, a film).
pub fn stdout_path(out: &Output) -> PathBuf {
    PathBuf::from(text(&out.stdout).trim())
}

/// The JSON a run that exited 0 printed.
pub fn stdout_json(out: &Output) -> Value {
    assert_code(out, 0);
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}
