//! Build script: checks every endpoint document in `assets/endpoints/` and embeds the catalog,
//! records the git commit for `--version` and the About box, and on Windows embeds the icon.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;

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
    let dir = Path::new("assets/endpoints");
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    let mut out = String::from("/// Bundled endpoint documents as (endpoint id, JSON text).\n");
    out.push_str("static BUNDLED_ENDPOINTS: &[(&str, &str)] = &[\n");
    for file in &files {
        println!("cargo:rerun-if-changed={}", file.display());
        let id = match check_document(file) {
            Ok(id) => id,
            Err(reason) => {
                eprintln!(
                    "error: endpoint document {} is invalid: {reason}",
                    file.display()
                );
                panic!("endpoint document {} is invalid: {reason}", file.display());
            }
        };
        let abs = std::fs::canonicalize(file).expect("a file just read can be canonicalised");
        let _ = writeln!(
            out,
            "    ({id:?}, include_str!({:?})),",
            abs.display().to_string()
        );
    }
    out.push_str("];\n");
    let out_dir = PathBuf::from(std::env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    std::fs::write(out_dir.join("bundled_endpoints.rs"), out).expect("OUT_DIR is writable");
}

/// Checks one document and returns its endpoint id.
fn check_document(file: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(file).map_err(|e| format!("cannot be read: {e}"))?;
    let doc: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| format!("is not valid JSON: {e}"))?;
    let id = doc
        .pointer("/info/x-fal-metadata/endpointId")
        .and_then(|v| v.as_str())
        .ok_or("has no info.x-fal-metadata.endpointId")?
        .to_string();
    let post = doc
        .get("paths")
        .and_then(|p| p.get(format!("/{id}")))
        .and_then(|p| p.get("post"))
        .ok_or_else(|| format!("has no POST path /{id}"))?;
    let input_ref = post
        .pointer("/requestBody/content/application~1json/schema/$ref")
        .and_then(|v| v.as_str())
        .ok_or("the POST path has no requestBody schema $ref")?;
    let name = input_ref
        .strip_prefix("#/components/schemas/")
        .ok_or_else(|| format!("the input $ref {input_ref} is not under #/components/schemas/"))?;
    let input = doc
        .pointer(&format!("/components/schemas/{name}"))
        .ok_or_else(|| format!("the input schema {name} is missing from components.schemas"))?;
    if input
        .get("properties")
        .and_then(|p| p.as_object())
        .is_none()
    {
        return Err(format!("the input schema {name} has no properties"));
    }
    Ok(id)
}
