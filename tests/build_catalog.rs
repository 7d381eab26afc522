//! The build-time endpoint document check (`reelsmith_core::catalog::check`, also run by the
//! core's `build.rs`) on copies of the real bundled documents, intact and broken in files on disk.

use std::fs;
use std::path::{Path, PathBuf};

use reelsmith_core::catalog::bundled::bundled_documents;
use reelsmith_core::catalog::check::{Problem, check_catalog_dir, check_document_file};

mod support;
use support::inputs::in_checkout;

/// A temp folder holding a copy of every bundled document.
fn copy_of_assets() -> (tempfile::TempDir, Vec<PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let mut files = Vec::new();
    for entry in fs::read_dir(in_checkout("assets/endpoints")).unwrap() {
        let path = entry.unwrap().path();
        let to = dir.path().join(path.file_name().unwrap());
        fs::copy(&path, &to).unwrap();
        files.push(to);
    }
    files.sort();
    (dir, files)
}

fn rewrite(path: &Path, edit: impl Fn(&str) -> String) {
    let text = fs::read_to_string(path).unwrap();
    let edited = edit(&text);
    assert_ne!(edited, text, "the edit must change {}", path.display());
    fs::write(path, edited).unwrap();
}

#[test]
fn the_real_documents_pass_and_match_what_the_build_embedded() {
    let (dir, files) = copy_of_assets();
    let checked = check_catalog_dir(dir.path()).unwrap();
    assert_eq!(checked.len(), files.len());
    let ids: Vec<&str> = checked.iter().map(|(id, _)| id.as_str()).collect();
    let mut embedded: Vec<&str> = bundled_documents().iter().map(|(id, _)| *id).collect();
    let mut sorted_ids = ids.clone();
    sorted_ids.sort();
    embedded.sort();
    assert_eq!(sorted_ids, embedded);
    assert!(ids.contains(&"fal-ai/veo3.1/image-to-video"), "{ids:?}");
}

#[test]
fn truncated_json_fails_naming_the_file_and_the_parse_error() {
    let (dir, files) = copy_of_assets();
    let victim = &files[3];
    rewrite(victim, |t| t[..t.len() / 2].to_string());
    let err = check_catalog_dir(dir.path()).unwrap_err();
    assert_eq!(&err.path, victim);
    assert!(matches!(err.problem, Problem::NotJson(_)), "{err:?}");
    let message = err.to_string();
    let name = victim.file_name().unwrap().to_str().unwrap();
    assert!(message.contains(name), "{message}");
    assert!(message.contains("not valid JSON"), "{message}");
    assert!(
        message.contains("line "),
        "the parse error says where: {message}"
    );
}

#[test]
fn a_document_without_its_input_schema_names_the_schema() {
    let (_dir, files) = copy_of_assets();
    let victim = files
        .iter()
        .find(|p| p.ends_with("fal-ai__veo3.1__image-to-video.json"))
        .unwrap();
    // Rename the input schema so the POST's $ref dangles.
    rewrite(victim, |t| {
        t.replace("\"Veo31ImageToVideoInput\": {", "\"RenamedInput\": {")
    });
    let err = check_document_file(victim).unwrap_err();
    assert_eq!(
        err.problem,
        Problem::MissingInputSchema("Veo31ImageToVideoInput".into())
    );
    let message = err.to_string();
    assert!(
        message.contains("fal-ai__veo3.1__image-to-video.json")
            && message.contains("Veo31ImageToVideoInput is missing from components.schemas"),
        "{message}"
    );
}

#[test]
fn a_second_file_for_the_same_endpoint_is_refused() {
    let (dir, files) = copy_of_assets();
    let copy = dir.path().join("zz-copy.json");
    fs::copy(&files[0], &copy).unwrap();
    let err = check_catalog_dir(dir.path()).unwrap_err();
    assert_eq!(err.path, copy);
    match &err.problem {
        Problem::DuplicateId(_, first) => assert_eq!(first, &files[0]),
        other => panic!("expected a duplicate, got {other:?}"),
    }
}

#[test]
fn only_json_files_count_and_a_missing_folder_is_empty() {
    let (dir, files) = copy_of_assets();
    fs::write(dir.path().join("notes.txt"), "not a document").unwrap();
    assert_eq!(check_catalog_dir(dir.path()).unwrap().len(), files.len());
    assert!(
        check_catalog_dir(&dir.path().join("absent"))
            .unwrap()
            .is_empty()
    );
}
