//! The build-time check of the bundled endpoint documents (`assets/endpoints/*.json`).
//!
//! `build.rs` includes this file with `#[path]` so a malformed document fails the build, and the
//! library declares it too so the check is unit-tested. It may therefore use only `std` and
//! `serde_json`: no other crate, nothing from this crate.

use std::fmt;
use std::path::{Path, PathBuf};

/// What is wrong inside one endpoint document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The file could not be read.
    Unreadable(String),
    /// The text is not JSON.
    NotJson(String),
    /// `info.x-fal-metadata.endpointId` is missing or not a string.
    NoEndpointId,
    /// There is no `paths./{id}.post`.
    NoPostPath(String),
    /// The POST has no `requestBody.content.application/json.schema.$ref`.
    NoInputRef,
    /// The input `$ref` points outside `#/components/schemas/`.
    ForeignInputRef(String),
    /// The schema the `$ref` names is missing.
    MissingInputSchema(String),
    /// The input schema has no `properties` object.
    NoProperties(String),
    /// Another file already bundles this endpoint id.
    DuplicateId(String, PathBuf),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Unreadable(e) => write!(f, "it cannot be read ({e})"),
            Problem::NotJson(e) => write!(f, "it is not valid JSON ({e})"),
            Problem::NoEndpointId => {
                write!(f, "it has no string at info.x-fal-metadata.endpointId")
            }
            Problem::NoPostPath(id) => write!(f, "it has no POST operation at paths./{id}"),
            Problem::NoInputRef => write!(
                f,
                "its POST operation has no requestBody.content.application/json.schema.$ref"
            ),
            Problem::ForeignInputRef(r) => {
                write!(f, "its input $ref {r} is not under #/components/schemas/")
            }
            Problem::MissingInputSchema(name) => {
                write!(
                    f,
                    "its input schema {name} is missing from components.schemas"
                )
            }
            Problem::NoProperties(name) => {
                write!(f, "its input schema {name} has no properties object")
            }
            Problem::DuplicateId(id, other) => {
                write!(f, "{} already bundles the endpoint {id}", other.display())
            }
        }
    }
}

/// A bundled endpoint document that cannot be shipped: which file, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidDocument {
    /// The file.
    pub path: PathBuf,
    /// What is wrong with it.
    pub problem: Problem,
}

impl fmt::Display for InvalidDocument {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "endpoint document {} is invalid: {}. Fix it (or fetch a fresh copy from fal's OpenAPI service) before building",
            self.path.display(),
            self.problem
        )
    }
}

impl std::error::Error for InvalidDocument {}

/// Checks one document's text and returns the endpoint id it describes.
pub fn check_document(text: &str) -> Result<String, Problem> {
    let doc: serde_json::Value =
        serde_json::from_str(text).map_err(|e| Problem::NotJson(e.to_string()))?;
    let id = doc
        .pointer("/info/x-fal-metadata/endpointId")
        .and_then(|v| v.as_str())
        .filter(|id| !id.trim().is_empty())
        .ok_or(Problem::NoEndpointId)?
        .to_string();
    let post = doc
        .get("paths")
        .and_then(|p| p.get(format!("/{id}")))
        .and_then(|p| p.get("post"))
        .ok_or_else(|| Problem::NoPostPath(id.clone()))?;
    let input_ref = post
        .pointer("/requestBody/content/application~1json/schema/$ref")
        .and_then(|v| v.as_str())
        .ok_or(Problem::NoInputRef)?;
    let name = input_ref
        .strip_prefix("#/components/schemas/")
        .ok_or_else(|| Problem::ForeignInputRef(input_ref.to_string()))?;
    let input = doc
        .get("components")
        .and_then(|c| c.get("schemas"))
        .and_then(|s| s.get(name))
        .ok_or_else(|| Problem::MissingInputSchema(name.to_string()))?;
    if !input.get("properties").is_some_and(|p| p.is_object()) {
        return Err(Problem::NoProperties(name.to_string()));
    }
    Ok(id)
}

/// Checks one document file and returns its endpoint id.
pub fn check_document_file(path: &Path) -> Result<String, InvalidDocument> {
    let invalid = |problem| InvalidDocument {
        path: path.to_path_buf(),
        problem,
    };
    let text =
        std::fs::read_to_string(path).map_err(|e| invalid(Problem::Unreadable(e.to_string())))?;
    check_document(&text).map_err(invalid)
}

/// The `*.json` files of `dir`, sorted by name (none when the folder is missing).
pub fn document_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "json"))
            .collect(),
        Err(_) => Vec::new(),
    };
    files.sort();
    files
}

/// Checks every document of `dir`; returns `(endpoint id, file)` sorted by file name, or the
/// first invalid document (including a second file for an id already bundled).
pub fn check_catalog_dir(dir: &Path) -> Result<Vec<(String, PathBuf)>, InvalidDocument> {
    let mut out: Vec<(String, PathBuf)> = Vec::new();
    for path in document_files(dir) {
        let id = check_document_file(&path)?;
        if let Some((_, first)) = out.iter().find(|(other, _)| *other == id) {
            return Err(InvalidDocument {
                path,
                problem: Problem::DuplicateId(id, first.clone()),
            });
        }
        out.push((id, path));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALID: &str = r##"{
        "info": {"x-fal-metadata": {"endpointId": "fal-ai/demo"}},
        "paths": {"/fal-ai/demo": {"post": {"requestBody": {"content": {"application/json":
            {"schema": {"$ref": "#/components/schemas/DemoInput"}}}}}}},
        "components": {"schemas": {"DemoInput": {"properties": {"prompt": {"type": "string"}}}}}
    }"##;

    #[test]
    fn a_valid_document_gives_its_endpoint_id() {
        assert_eq!(check_document(VALID), Ok("fal-ai/demo".to_string()));
    }

    #[test]
    fn each_missing_part_is_named() {
        let cases = [
            ("{\"info\": ", "not valid JSON"),
            ("{}", "info.x-fal-metadata.endpointId"),
            (
                &VALID.replace("/fal-ai/demo\"", "/fal-ai/other\""),
                "paths./fal-ai/demo",
            ),
            (&VALID.replace("$ref", "ref"), "requestBody"),
            (
                &VALID.replace("#/components/schemas/DemoInput", "#/defs/DemoInput"),
                "#/defs/DemoInput",
            ),
            (
                &VALID.replace("\"DemoInput\": {", "\"Other\": {"),
                "DemoInput is missing",
            ),
            (
                &VALID.replace("properties", "props"),
                "DemoInput has no properties",
            ),
        ];
        for (text, expected) in cases {
            let problem = check_document(text).expect_err(text);
            assert!(
                problem.to_string().contains(expected),
                "{problem} lacks {expected}"
            );
        }
    }
}
