//! `reelsmith library` as a user runs it: real MP4s with real sidecars in a library folder, the
//! marks in the SQLite journal, the trash and copies on disk.

use std::path::Path;

use chrono::{Duration as Days, TimeZone, Utc};
use reelsmith_core::library::sidecar::{SIDECAR_FORMAT, Sidecar, SidecarTimings, sidecar_path};
use serde_json::Value;

mod support;
use support::checks::all_files;
use support::cli_env::CliEnv;
use support::inputs::clip;
use support::run::{Reelsmith, assert_code, text};

const ANIMALS: [&str; 5] = ["fox", "owl", "cat", "dog", "elk"];

/// Five videos, `lib-0000` oldest to `lib-0004` newest, each with an animal of [`ANIMALS`].
fn library(env: &CliEnv) -> Vec<String> {
    let clip = clip(64, 36, 8, 4);
    let videos = env.path("videos");
    let start = Utc.with_ymd_and_hms(2026, 11, 1, 9, 0, 0).unwrap();
    (0..5)
        .map(|n| {
            let job_id = format!("lib-000{n}");
            let file = format!("shot-{n}.mp4");
            std::fs::write(videos.join(&file), &clip).unwrap();
            let at = start + Days::days(n);
            let endpoint = if n % 2 == 0 { "fal-ai/veo3.1" } else { "fal-ai/kling-video/o1" };
            let sidecar = Sidecar {
                format: SIDECAR_FORMAT.into(),
                job_id: job_id.clone(),
                endpoint_id: endpoint.into(),
                request_id: Some(format!("req-{n}")),
                prompt: format!("shot {n}: a {} in a harbour at dawn", ANIMALS[n as usize]),
                input: serde_json::json!({"prompt": format!("shot {n}"), "duration": format!("{}s", 4 + n)}),
                references: Vec::new(),
                seed: Some(100 + n),
                file: file.clone(),
                file_size: clip.len() as u64,
                blake3: blake3::hash(&clip).to_hex().to_string(),
                video_url: None,
                result: None,
                cost: Default::default(),
                timings: SidecarTimings {
                    created_at: Some(at),
                    saved_at: Some(at),
                    ..SidecarTimings::default()
                },
                simulated: true,
            };
            sidecar.write(&sidecar_path(&videos.join(file))).unwrap();
            job_id
        })
        .collect()
}

fn listed(env: &CliEnv, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["library", "list", "--json"];
    args.extend_from_slice(extra);
    let list: Value = serde_json::from_str(&env.ok(&args)).expect("JSON");
    list.as_array()
        .expect("an array")
        .iter()
        .map(|v| v["job_id"].as_str().unwrap_or_default().to_string())
        .collect()
}

fn on_disk(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    names.sort();
    names
}

#[test]
fn list_searches_filters_and_sorts_like_the_gallery() {
    let env = CliEnv::new();
    let ids = library(&env);
    assert_eq!(
        listed(&env, &[]),
        ids.iter().rev().cloned().collect::<Vec<_>>()
    );
    assert_eq!(listed(&env, &["--ascending"]), ids);
    assert_eq!(
        listed(&env, &["--search", "Harbour DOG"]),
        vec![ids[3].clone()]
    );
    // The seed is searched too (103 is lib-0003's).
    assert_eq!(listed(&env, &["--search", "103"]), vec![ids[3].clone()]);
    assert_eq!(
        listed(&env, &["--endpoint", "fal-ai/kling-video/o1"]),
        vec![ids[3].clone(), ids[1].clone()]
    );
    // Longest first: the requested durations are 4..8 s.
    assert_eq!(listed(&env, &["--sort", "duration"])[0], ids[4]);
    let table = env.ok(&["library", "list"]);
    assert!(table.contains("shot 2: a cat in a harbour"), "{table}");
}

#[test]
fn marks_are_kept_in_the_journal_and_clear_keeps_only_favourites() {
    let env = CliEnv::new();
    let ids = library(&env);
    env.ok(&["library", "mark", "--favourite", &ids[1], "lib-0003"]);
    env.ok(&["library", "mark", "--reject", &ids[0]]);
    assert_eq!(
        listed(&env, &["--favourites"]),
        vec![ids[3].clone(), ids[1].clone()]
    );
    assert_eq!(listed(&env, &["--not-rejected"]).len(), 4);
    env.ok(&["library", "mark", "--clear", &ids[0]]);
    assert_eq!(listed(&env, &["--not-rejected"]).len(), 5);

    let out = env.run(&["library", "clear", "--keep-favourites", "--yes"]);
    assert_code(&out, 0);
    assert!(
        text(&out.stderr).contains("3 videos moved to the trash"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        on_disk(&env.path("videos")),
        ["shot-1.json", "shot-1.mp4", "shot-3.json", "shot-3.mp4"]
    );
    assert_eq!(listed(&env, &[]), vec![ids[3].clone(), ids[1].clone()]);
}

#[test]
fn delete_moves_the_video_and_its_sidecar_out_of_the_library_never_deleting_them() {
    let env = CliEnv::new();
    let ids = library(&env);
    let video = env.path("videos/shot-2.mp4");
    let before = std::fs::read(&video).unwrap();
    env.ok(&["library", "delete", video.to_str().unwrap()]);
    assert!(!video.exists());
    assert!(!env.path("videos/shot-2.json").exists());
    assert_eq!(listed(&env, &[]).len(), 4);
    assert!(!listed(&env, &[]).contains(&ids[2]));
    // The pair is in the OS trash (XDG, under the test's home) or in reelsmith's trash folder.
    let found: Vec<_> = all_files(env.root())
        .into_iter()
        .filter(|p| p.file_name().is_some_and(|n| n == "shot-2.mp4"))
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(std::fs::read(&found[0]).unwrap(), before);
    assert!(found[0].with_extension("json").is_file());
}

#[test]
fn copy_brings_sidecars_along_and_never_replaces_a_file() {
    let env = CliEnv::new();
    let ids = library(&env);
    let out = env.path("out");
    env.ok(&[
        "library",
        "copy",
        &ids[0],
        &ids[1],
        "--to",
        out.to_str().unwrap(),
    ]);
    env.ok(&["library", "copy", &ids[0], "--to", out.to_str().unwrap()]);
    assert_eq!(
        on_disk(&out),
        [
            "shot-0 (2).json",
            "shot-0 (2).mp4",
            "shot-0.json",
            "shot-0.mp4",
            "shot-1.json",
            "shot-1.mp4"
        ]
    );
    assert_eq!(
        std::fs::read(out.join("shot-0 (2).mp4")).unwrap(),
        std::fs::read(env.path("videos/shot-0.mp4")).unwrap()
    );
    assert_eq!(
        on_disk(&env.path("videos")).len(),
        10,
        "the library is untouched"
    );
}

#[test]
fn an_unknown_or_ambiguous_video_is_a_usage_error_and_changes_nothing() {
    let env = CliEnv::new();
    library(&env);
    let out = env.run(&["library", "delete", "nope-1234"]);
    assert_code(&out, 2);
    assert!(
        text(&out.stderr).contains("no video nope-1234"),
        "{}",
        text(&out.stderr)
    );
    let out = env.run(&["library", "delete", "lib-"]);
    assert_code(&out, 2);
    assert!(
        text(&out.stderr).contains("names 5 videos"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(on_disk(&env.path("videos")).len(), 10);
}

#[test]
fn a_command_leaves_a_deletion_the_window_can_still_undo_alone() {
    let env = CliEnv::new();
    let ids = library(&env);
    // What a running window's trash holds: one deletion just made, one from long ago.
    let trash = env.path("videos/.reelsmith-trash");
    let young = trash.join("20261202-080000-1/0");
    let old = trash.join("20261101-080000-1/0");
    for dir in [&young, &old] {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("kept.mp4"), b"video").unwrap();
    }
    let long_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::open(old.parent().unwrap())
        .unwrap()
        .set_modified(long_ago)
        .unwrap();
    env.ok(&["library", "delete", &ids[0]]);
    assert!(
        young.join("kept.mp4").is_file(),
        "the window's undo would find nothing"
    );
    assert!(!old.exists(), "an expired deletion goes on to the OS trash");
}
