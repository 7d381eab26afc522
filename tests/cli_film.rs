//! `reelsmith storyboard`, `reelsmith export` and `reelsmith import` as a user runs them: the
//! binary against a simulator on loopback, with temp folders for data and the library.

use std::path::{Path, PathBuf};
use std::process::Stdio;

use reelsmith_core::film::FilmSidecar;
use reelsmith_core::film::export::part_path;
use reelsmith_core::media::mp4::Mp4File;
use serde_json::Value;

mod support;
use support::inputs::{clip, clip_with_sound, png};
use support::run::{Reelsmith, assert_code, stdout_path, text};
use support::sim_env::{I2V, SimEnv};

fn job_id_of(video: &Path) -> String {
    reelsmith_core::library::Sidecar::read(&reelsmith_core::library::sidecar_path(video))
        .unwrap()
        .job_id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storyboard_of_generated_clips_lists_shows_and_exports() {
    let env = SimEnv::new(100, 100).await;
    let mut clips = Vec::new();
    for seed in 1..=2 {
        let image = png(&env.file(&format!("{seed}.png")), 1280, 720, seed);
        let out = env.ok(&[
            "generate",
            "-e",
            I2V,
            "-p",
            "a fox in snow",
            "--image",
            &image,
            "--set",
            "duration=4s",
        ]);
        clips.push(PathBuf::from(out.trim()));
    }
    env.ok(&["storyboard", "create", "Fox"]);
    // By library id and by path; the second first.
    let id = job_id_of(&clips[0]);
    env.ok(&["storyboard", "add", "Fox", &id]);
    env.ok(&[
        "storyboard",
        "add",
        "Fox",
        &clips[1].to_string_lossy(),
        "--at",
        "1",
    ]);
    env.ok(&["storyboard", "trim", "Fox", "2", "0.5:3"]);
    env.ok(&["storyboard", "trim", "Fox", "1", "12f:60f"]);
    let out = env.run(&["storyboard", "trim", "Fox", "1", "0:99"]);
    assert_code(&out, 2);
    assert!(
        text(&out.stderr).contains("frames"),
        "{}",
        text(&out.stderr)
    );

    let list: Value = serde_json::from_str(&env.ok(&["storyboard", "list", "--json"])).unwrap();
    assert_eq!(list[0]["name"], "Fox");
    assert_eq!(list[0]["shots"], 2);
    let show: Value =
        serde_json::from_str(&env.ok(&["storyboard", "show", "fox", "--json"])).unwrap();
    let shots = show["shots"].as_array().unwrap();
    assert_eq!(shots[0]["trim"]["start"], 12);
    assert_eq!(shots[0]["trim"]["end"], 60);
    assert_eq!(shots[1]["trim"]["start"], 12);
    assert_eq!(shots[1]["trim"]["end"], 72);
    assert_eq!(shots[1]["status"], "ready");
    let table = env.ok(&["storyboard", "show", "Fox"]);
    assert!(
        table.contains("12..60") && table.contains("2.00s"),
        "{table}"
    );

    let film = env.path("fox.mp4");
    let out = env.run(&["storyboard", "export", "Fox", "-o", &film.to_string_lossy()]);
    assert_code(&out, 0);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("exporting:") && stderr.contains("100%"),
        "{stderr}"
    );
    let sidecar = FilmSidecar::read(&reelsmith_core::library::sidecar_path(&film)).unwrap();
    assert_eq!(sidecar.storyboard.as_ref().unwrap().name, "Fox");
    assert_eq!(
        sidecar.shots[0].provenance.endpoint_id.as_deref(),
        Some(I2V)
    );
    assert!(sidecar.shots[0].provenance.request_id.is_some());
    assert!(
        (sidecar.duration_secs - 4.5).abs() < 1e-9,
        "{}",
        sidecar.duration_secs
    );
    assert_eq!(sidecar.sound.as_deref(), Some("48 kHz stereo"));
    let file = Mp4File::open(&film).unwrap();
    assert_eq!(file.video.unwrap().samples.len(), 108);

    // Never overwritten without --force.
    let before = std::fs::read(&film).unwrap();
    let out = env.run(&["storyboard", "export", "Fox", "-o", &film.to_string_lossy()]);
    assert_code(&out, 2);
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&film).unwrap(), before);
    env.ok(&[
        "storyboard",
        "export",
        "Fox",
        "-o",
        &film.to_string_lossy(),
        "--force",
        "--reencode",
    ]);
    let again = FilmSidecar::read(&reelsmith_core::library::sidecar_path(&film)).unwrap();
    assert!(
        again.exported_at > sidecar.exported_at,
        "--force replaced the film"
    );

    env.ok(&["storyboard", "remove", "Fox", "1"]);
    env.ok(&["storyboard", "rename", "Fox", "Fox 2"]);
    let show: Value =
        serde_json::from_str(&env.ok(&["storyboard", "show", "Fox 2", "--json"])).unwrap();
    assert_eq!(show["shots"].as_array().unwrap().len(), 1);
    env.ok(&["storyboard", "delete", "Fox 2"]);
    let out = env.run(&["storyboard", "show", "Fox 2"]);
    assert_code(&out, 2);
    assert!(
        text(&out.stderr).contains("no storyboard"),
        "{}",
        text(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_joins_files_with_trims_and_import_adds_footage() {
    let env = SimEnv::new(100, 100).await;
    let a = env.write_file("a.mp4", &clip_with_sound(320, 176, 24, 48));
    let b = env.write_file("b.mp4", &clip(320, 176, 24, 48));
    let film = env.path("join.mp4");
    let (a_s, b_s, film_s) = (
        a.to_string_lossy(),
        b.to_string_lossy(),
        film.to_string_lossy(),
    );
    let out = env.run(&[
        "export", &a_s, &b_s, "--trim", "0.5:", "--trim", ":24f", "-o", &film_s,
    ]);
    assert_code(&out, 0);
    assert_eq!(text(&out.stdout).trim(), film_s);
    let file = Mp4File::open(&film).unwrap();
    assert_eq!(file.video.unwrap().samples.len(), 36 + 24);
    assert!(
        text(&out.stderr).contains("shot 2 is silent"),
        "{}",
        text(&out.stderr)
    );
    // Bad input: nothing written.
    let bad = env.path("bad.mp4");
    let out = env.run(&[
        "export",
        &a_s,
        "--trim",
        "3:1",
        "-o",
        &bad.to_string_lossy(),
    ]);
    assert_code(&out, 2);
    assert!(!bad.exists());
    let out = env.run(&["export", "no-such-clip", "-o", &bad.to_string_lossy()]);
    assert_code(&out, 2);
    assert!(text(&out.stderr).contains("no-such-clip"));

    // Imported footage joins by its library id.
    let out = env.run(&["import", &a_s]);
    assert_code(&out, 0);
    let imported = stdout_path(&out);
    assert!(imported.starts_with(env.path("videos")));
    let id = job_id_of(&imported);
    assert!(id.starts_with("import-"));
    let again = env.path("again.mp4");
    env.ok(&["export", &id, "-o", &again.to_string_lossy()]);
    let out = env.run(&["import", &env.file("missing.mp4").to_string_lossy()]);
    assert_code(&out, 2);
    assert!(text(&out.stderr).contains("missing.mp4"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_export_leaves_nothing_under_the_final_name() {
    let env = SimEnv::new(100, 100).await;
    let clip = env.write_file("long.mp4", &clip_with_sound(640, 352, 24, 480));
    let film = env.path("killed.mp4");
    let mut child = env
        .command(&[
            "export",
            &clip.to_string_lossy(),
            "--reencode",
            "-o",
            &film.to_string_lossy(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Kill it once its progress says it is part-way through (not a tty: one line per 10 %).
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut lines = std::io::BufRead::lines(stderr);
    let part = part_path(&film);
    loop {
        let line = lines
            .next()
            .expect("the export ended before it was killed")
            .unwrap();
        let under_way =
            line.starts_with("exporting:") && !line.contains(" 0%") && !line.contains("100%");
        if under_way {
            break;
        }
    }
    assert!(part.exists(), "it writes under a temporary name");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!film.exists(), "a half-written film under the final name");
    assert!(!reelsmith_core::library::sidecar_path(&film).exists());
    // The next export of the same name takes over the stale temporary file.
    let out = env.run(&[
        "export",
        &clip.to_string_lossy(),
        "-o",
        &film.to_string_lossy(),
    ]);
    assert_code(&out, 0);
    assert!(film.exists() && !part.exists());
}
