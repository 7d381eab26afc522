//! Build script: checks every endpoint document in the repository's `assets/endpoints/` and
//! embeds the catalog.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

// The same check the library exposes as `reelsmith_core::catalog::check` (and tests).
#[path = "src/catalog/check.rs"]
mod check;

/// The repository root, relative to this crate's folder (cargo runs build scripts there).
const ROOT: &str = "../..";
/// The endpoint documents, relative to the repository root.
const DOCUMENTS: &str = "assets/endpoints";

fn main() {
    embed_catalog();
}

/// `path` as the user knows it: relative to the repository root, not to this crate.
fn from_root(path: &Path) -> PathBuf {
    path.strip_prefix(ROOT).unwrap_or(path).to_path_buf()
}

/// Validates `assets/endpoints/*.json` and writes the catalog table into `OUT_DIR`.
fn embed_catalog() {
    let dir = Path::new(ROOT).join(DOCUMENTS);
    println!("cargo::rerun-if-changed={}", dir.display());
    println!("cargo::rerun-if-changed=src/catalog/check.rs");
    for file in check::document_files(&dir) {
        println!("cargo::rerun-if-changed={}", file.display());
    }
    let documents = match check::check_catalog_dir(&dir) {
        Ok(documents) => documents,
        Err(mut invalid) => {
            invalid.path = from_root(&invalid.path);
            if let check::Problem::DuplicateId(_, other) = &mut invalid.problem {
                *other = from_root(other);
            }
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
