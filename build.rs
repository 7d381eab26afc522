//! Build script: checks every endpoint document in `assets/endpoints/` and embeds the catalog,
//! records the git commit for `--version` and the About box, and on Windows embeds the icon.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

// The same check the library exposes as `reelsmith::catalog::check` (and tests).
#[path = "src/catalog/check.rs"]
mod check;

fn main() {
    embed_catalog();
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

/// Validates `assets/endpoints/*.json` and writes the catalog table into `OUT_DIR`.
fn embed_catalog() {
    println!("cargo:rerun-if-changed=assets/endpoints");
    println!("cargo:rerun-if-changed=src/catalog/check.rs");
    let dir = Path::new("assets/endpoints");
    for file in check::document_files(dir) {
        println!("cargo:rerun-if-changed={}", file.display());
    }
    let documents = match check::check_catalog_dir(dir) {
        Ok(documents) => documents,
        Err(invalid) => {
            // cargo shows this as an error naming the file and fails the build.
            println!("cargo::error={invalid}");
            return;
        }
    };
    let mut out = String::from("/// Bundled endpoint documents as (endpoint id, JSON text).\n");
    out.push_str("static BUNDLED_ENDPOINTS: &[(&str, &str)] = &[\n");
    for (id, file) in &documents {
        // The path is joined to CARGO_MANIFEST_DIR when the library compiles, not baked in
        // here: a cached build-script output reused by another checkout of the same package
        // (a fresh clone, a worktree) must still read that checkout's files.
        let relative = file.to_string_lossy().replace('\\', "/");
        let _ = writeln!(
            out,
            "    ({id:?}, include_str!(concat!(env!(\"CARGO_MANIFEST_DIR\"), \"/{relative}\"))),"
        );
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("bundled_endpoints.rs"), out).expect("OUT_DIR is writable");
}
