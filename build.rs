//! Build script: records the git commit for `--version` and the About box, and on Windows
//! embeds the icon. (The endpoint documents are checked and embedded by `reelsmith-core`.)

use std::process::Command;

fn main() {
    record_git_commit();
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("windows") {
        embed_windows_resources();
    }
}

/// Exposes the commit as `REELSMITH_GIT_COMMIT` ("unknown" outside a git checkout).
fn record_git_commit() {
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".into());
    println!("cargo:rustc-env=REELSMITH_GIT_COMMIT={commit}");
    // Rebuild when HEAD moves: HEAD itself (branch switch) and the ref it points at (new commit).
    if let Some(head) = git(&["rev-parse", "--git-path", "HEAD"]) {
        println!("cargo:rerun-if-changed={head}");
    }
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"])
        && let Some(path) = git(&["rev-parse", "--git-path", &branch])
    {
        println!("cargo:rerun-if-changed={path}");
    }
}

/// Icon and version information in the Windows executable.
fn embed_windows_resources() {
    let mut res = winresource::WindowsResource::new();
    res.set_icon("assets/icons/reelsmith.ico");
    res.set("ProductName", "reelsmith");
    res.set("FileDescription", "reelsmith: video generation studio");
    if let Err(err) = res.compile() {
        panic!("could not embed the Windows icon and version resource: {err}");
    }
}
