//! `reelsmith generate` against a simulator started by each test on loopback, with temp folders
//! for data, config, cache and the library: every seed endpoint end to end, input that is
//! refused before anything is sent, the exit codes of failures, `-o FILE` and a damaged journal.

use reelsmith_core::jobs::JobState;
use reelsmith_core::store::Journal;
use reelsmith_sim::Route;
use serde_json::Value;

mod support;
use support::checks::{assert_no_key_anywhere, check_video};
use support::inputs::{mp4, png};
use support::run::{Reelsmith, assert_code, stdout_path, text};
use support::sim_env::{I2V, SimEnv};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_seed_endpoint_end_to_end_with_local_files() {
    let env = SimEnv::new(200, 200).await;
    let a = png(&env.file("a.png"), 1280, 720, 1);
    let b = png(&env.file("b.png"), 1280, 720, 2);
    let front = png(&env.file("front.png"), 600, 800, 3);
    let side = png(&env.file("side.png"), 600, 800, 4);
    let clip = mp4(&env.file("clip.mp4"));
    let element = format!("{front},{side}");
    let cases: Vec<(&str, Vec<&str>)> = vec![
        (
            "fal-ai/veo3.1/reference-to-video",
            vec!["-p", "the same cat on a beach", "--images", &a, &b],
        ),
        (I2V, vec!["-p", "a slow pan", "--image", &a]),
        (
            "fal-ai/veo3.1/fast/image-to-video",
            vec!["-p", "a slow pan", "--image", &a],
        ),
        (
            "fal-ai/veo3.1/first-last-frame-to-video",
            vec!["-p", "morph", "--image", &a, "--image", &b],
        ),
        (
            "fal-ai/veo3.1/fast/first-last-frame-to-video",
            vec!["-p", "morph", "--image", &a, "--image", &b],
        ),
        (
            "fal-ai/veo3.1/extend-video",
            vec!["-p", "keep going", "--video", &clip],
        ),
        (
            "fal-ai/veo3.1/fast/extend-video",
            vec!["-p", "keep going", "--video", &clip],
        ),
        (
            "fal-ai/kling-video/o1/standard/reference-to-video",
            vec![
                "-p",
                "@Element1 walks into the scene of @Image1",
                "--image",
                &a,
                "--element",
                &element,
                "--set",
                "duration=5",
            ],
        ),
        (
            "fal-ai/video-as-prompt",
            vec![
                "-p",
                "the cat dances",
                "--video",
                &clip,
                "--image",
                &a,
                "--set",
                "video_description=a person dancing",
            ],
        ),
    ];
    for (endpoint, extra) in &cases {
        let mut args = vec!["generate", "-e", endpoint];
        args.extend(extra.iter().copied());
        let out = env.run(&args);
        assert_code(&out, 0);
        let path = stdout_path(&out);
        assert!(path.starts_with(env.path("videos")), "{}", path.display());
        let sidecar = check_video(&path, endpoint);
        assert!(!sidecar.references.is_empty());
        assert!(sidecar.references.iter().all(|r| r.url.is_some()));
        let stderr = text(&out.stderr);
        assert!(stderr.contains("uploading"), "{stderr}");
        assert!(stderr.contains("downloading"), "{stderr}");
    }
    let submissions = env.sim.submissions();
    assert_eq!(submissions.len(), cases.len());
    // The Kling element went in as an element with its reference.
    let kling = &submissions[7].input;
    assert_eq!(
        kling["elements"][0]["reference_image_urls"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Files reused across endpoints were uploaded once each: a, b, front, side, clip.
    assert_eq!(env.count(Route::UploadInitiate), 5);
    assert_no_key_anywhere(&env, &[]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invalid_input_exits_2_naming_the_field_and_sends_nothing() {
    let env = SimEnv::new(100, 100).await;
    let photo = png(&env.file("ok.png"), 1280, 720, 1);
    let notes = env.file("notes.png");
    std::fs::write(&notes, "just some text\n").unwrap();
    let empty = env.file("empty.png");
    std::fs::write(&empty, b"").unwrap();
    let missing = env.file("missing.png");
    let refs: Vec<String> = (0..8)
        .map(|i| png(&env.file(&format!("k{i}.png")), 400, 400, 20 + i))
        .collect();
    let notes = notes.to_string_lossy().into_owned();
    let empty = empty.to_string_lossy().into_owned();
    let missing = missing.to_string_lossy().into_owned();
    let mut kling = vec![
        "generate",
        "-e",
        "fal-ai/kling-video/o1/standard/reference-to-video",
        "-p",
        "many",
        "--images",
    ];
    kling.extend(refs.iter().map(String::as_str));
    let cases: Vec<(Vec<&str>, Vec<&str>)> = vec![
        (
            vec![
                "generate",
                "-e",
                I2V,
                "-p",
                "x",
                "--image",
                &photo,
                "--set",
                "resolution=9k",
            ],
            vec!["resolution"],
        ),
        (vec!["generate", "-e", I2V, "-p", "x"], vec!["image_url"]),
        (
            vec!["generate", "-e", I2V, "-p", "x", "--image", &notes],
            vec!["image_url", "notes.png"],
        ),
        (
            vec!["generate", "-e", I2V, "-p", "x", "--image", &empty],
            vec!["image_url", "empty.png"],
        ),
        (
            vec!["generate", "-e", I2V, "-p", "x", "--image", &missing],
            vec!["image_url", "missing.png"],
        ),
        (kling, vec!["7"]),
        (
            vec![
                "generate",
                "-e",
                I2V,
                "-p",
                "x",
                "--image",
                &photo,
                "--set",
                "nonsense=1",
            ],
            vec!["nonsense"],
        ),
    ];
    for (args, needles) in &cases {
        let out = env.run(args);
        assert_code(&out, 2);
        let stderr = text(&out.stderr);
        for needle in needles {
            assert!(stderr.contains(needle), "{args:?}: {stderr}");
        }
    }
    assert!(env.sim.requests().is_empty(), "{:?}", env.sim.requests());
    assert!(env.jobs().is_empty());
    // An endpoint that is not in the catalog is looked up (OpenAPI only) and refused.
    let out = env.run(&["generate", "-e", "fal-ai/no-such-model", "-p", "x"]);
    assert_code(&out, 2);
    assert!(text(&out.stderr).contains("no-such-model"));
    assert!(env.sim.requests().iter().all(|r| r.route == Route::OpenApi));
    assert_eq!(env.count(Route::Submit), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn failures_map_to_exit_codes() {
    let env = SimEnv::new(100, 100).await;
    let photo = png(&env.file("p.png"), 1280, 720, 5);
    // The model fails: exit 4, JSON says failed.
    env.sim
        .model_error_next("content_policy_violation", "flagged by the checker");
    let out = env.run(&[
        "generate", "-e", I2V, "-p", "x", "--image", &photo, "--json",
    ]);
    assert_code(&out, 4);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "failed");
    assert!(text(&out.stderr).contains("flagged"));

    // A wrong key: exit 3, and the wrong key is not echoed.
    let mut cmd = env.command(&["generate", "-e", I2V, "-p", "x", "--image", &photo]);
    cmd.env("FAL_KEY", "wrong-id:wrong-secret-value");
    let out = cmd.output().unwrap();
    assert_code(&out, 3);
    assert!(!text(&out.stderr).contains("wrong-secret-value"));

    // No key at all: exit 3 before any request.
    let before = env.sim.requests().len();
    let mut cmd = env.command(&["generate", "-e", I2V, "-p", "x", "--image", &photo]);
    cmd.env_remove("FAL_KEY");
    let out = cmd.output().unwrap();
    assert_code(&out, 3);
    assert_eq!(env.sim.requests().len(), before);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_damaged_journal_is_kept_aside_and_the_library_rebuilt() {
    let env = SimEnv::new(100, 100).await;
    let photo = png(&env.file("p.png"), 1280, 720, 7);
    let out = env.run(&["generate", "-e", I2V, "-p", "keep", "--image", &photo]);
    assert_code(&out, 0);
    let video = stdout_path(&out);
    let data = env.path("data");
    for name in ["journal.sqlite3-wal", "journal.sqlite3-shm"] {
        let _ = std::fs::remove_file(data.join(name));
    }
    std::fs::write(data.join("journal.sqlite3"), b"garbage ".repeat(1000)).unwrap();
    let listed = env.run(&["jobs", "--json"]);
    assert_code(&listed, 0);
    assert!(
        text(&listed.stderr).contains("damaged"),
        "{}",
        text(&listed.stderr)
    );
    let aside: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().contains("damaged"))
        .collect();
    assert!(!aside.is_empty());
    let journal = Journal::open_in(&data).unwrap();
    let items = journal.library_items().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].path, video);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn output_file_that_exists_is_refused_unless_force() {
    let env = SimEnv::new(100, 100).await;
    let photo = png(&env.file("p.png"), 1280, 720, 5);
    let target = env.path("home").join("taken.mp4");
    std::fs::write(&target, b"my own edit").unwrap();
    let out = env.run(&[
        "generate",
        "-e",
        I2V,
        "-p",
        "x",
        "--image",
        &photo,
        "-o",
        target.to_str().unwrap(),
    ]);
    assert_code(&out, 2);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("taken.mp4") && stderr.contains("--force"),
        "{stderr}"
    );
    assert_eq!(std::fs::read(&target).unwrap(), b"my own edit");
    // A sidecar name in the way is refused the same way.
    let fresh = env.path("home").join("fresh.mp4");
    std::fs::write(env.path("home").join("fresh.json"), b"{}").unwrap();
    let out2 = env.run(&[
        "generate",
        "-e",
        I2V,
        "-p",
        "x",
        "--image",
        &photo,
        "-o",
        fresh.to_str().unwrap(),
    ]);
    assert_code(&out2, 2);
    assert!(
        text(&out2.stderr).contains("fresh.json"),
        "{}",
        text(&out2.stderr)
    );
    assert_eq!(env.count(Route::UploadInitiate), 0, "nothing was uploaded");
    assert!(env.sim.submissions().is_empty(), "nothing was submitted");
    assert!(env.jobs().is_empty(), "no job was recorded");

    let forced = env.run(&[
        "generate",
        "-e",
        I2V,
        "-p",
        "x",
        "--image",
        &photo,
        "-o",
        target.to_str().unwrap(),
        "--force",
    ]);
    assert_code(&forced, 0);
    assert_eq!(stdout_path(&forced), target);
    check_video(&target, I2V);
    assert_eq!(env.sim.submissions().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn output_file_that_appears_while_the_job_runs_is_kept() {
    let env = SimEnv::new(1500, 200).await;
    let photo = png(&env.file("p.png"), 1280, 720, 6);
    let target = env.path("home").join("later.mp4");
    let child = env.spawn(&[
        "generate",
        "-e",
        I2V,
        "-p",
        "late file",
        "--image",
        &photo,
        "-o",
        target.to_str().unwrap(),
    ]);
    env.wait_for_job("queued", |j| j.state == JobState::InQueue);
    std::fs::write(&target, b"made meanwhile").unwrap();
    let out = child.wait_with_output().unwrap();
    assert_code(&out, 0);
    assert_eq!(std::fs::read(&target).unwrap(), b"made meanwhile");
    let saved = stdout_path(&out);
    assert!(saved.starts_with(env.path("videos")), "{}", saved.display());
    check_video(&saved, I2V);
    let stderr = text(&out.stderr);
    assert!(
        stderr.contains("later.mp4") && stderr.contains(&saved.display().to_string()),
        "{stderr}"
    );
    let job = env.jobs().pop().unwrap();
    assert!(
        job.logs.iter().any(|l| l.message.contains("later.mp4")),
        "the job's log says why: {:?}",
        job.logs
    );
}
