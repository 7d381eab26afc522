//! Build script: checks every endpoint document in `assets/endpoints/` and embeds the catalog.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() {
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
