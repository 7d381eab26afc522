//! `reelsmith generate --batch-images / --batch-csv / --batch-prompts` and presets, against a
//! simulator on loopback: the simulator's log shows exactly the submissions the batch makes
//! after one "yes", and none after "no".

use reelsmith_core::library::Sidecar;

mod support;
use support::inputs::png;
use support::run::{Reelsmith, assert_code, text};
use support::sim_env::{I2V, SimEnv, T2V};

/// Quick jobs: a batch of five finishes in a few seconds.
async fn env() -> SimEnv {
    SimEnv::new(50, 50).await
}

/// The sidecars of the saved videos, by prompt.
fn videos(env: &SimEnv) -> Vec<Sidecar> {
    let mut out: Vec<Sidecar> = std::fs::read_dir(env.path("videos"))
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .map(|p| Sidecar::read(&p).unwrap())
        .collect();
    out.sort_by(|a, b| a.prompt.cmp(&b.prompt));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batch_images_asks_once_and_sends_one_job_per_photo_only_after_yes() {
    let env = env().await;
    let photos = env.path("files/photos");
    std::fs::create_dir_all(&photos).unwrap();
    for i in 0..5u8 {
        png(&photos.join(format!("p{i}.png")), 1280, 720, 40 + i);
    }
    std::fs::write(photos.join("readme.txt"), b"not a photo").unwrap();
    let dir = photos.to_string_lossy().into_owned();
    let args = [
        "generate",
        "-e",
        I2V,
        "-p",
        "the same prompt",
        "--batch-images",
        &dir,
    ];

    let no = env.run_with_stdin(&args, "n\n");
    assert_code(&no, 130);
    let err = text(&no.stderr);
    assert!(err.contains("5 job(s), about $16.00 in all"), "{err}");
    assert!(err.contains("[y/N]"), "{err}");
    assert!(err.contains("nothing was sent"), "{err}");
    assert!(
        env.submitted().is_empty(),
        "a declined batch sent something"
    );

    // No answer at all (stdin closed) is a no too.
    assert_code(&env.run_with_stdin(&args, ""), 130);
    assert!(env.submitted().is_empty());

    let mut yes = args.to_vec();
    yes.push("--yes");
    let out = env.run_with_stdin(&yes, "");
    assert_code(&out, 0);
    let inputs = env.submitted();
    assert_eq!(inputs.len(), 5, "exactly one submission per photo");
    let mut urls: Vec<&str> = inputs
        .iter()
        .map(|i| i["image_url"].as_str().unwrap())
        .collect();
    urls.sort();
    urls.dedup();
    assert_eq!(urls.len(), 5, "each job has its own photo");
    assert!(inputs.iter().all(|i| i["prompt"] == "the same prompt"));
    let videos = videos(&env);
    assert_eq!(videos.len(), 5);
    let mut refs: Vec<String> = videos
        .iter()
        .map(|s| {
            s.references[0]
                .path
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    refs.sort();
    assert_eq!(refs, ["p0.png", "p1.png", "p2.png", "p3.png", "p4.png"]);
    assert_eq!(
        text(&out.stdout).lines().count(),
        5,
        "one saved path per job"
    );
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn batch_csv_makes_one_job_per_row_and_names_a_bad_cell() {
    let env = env().await;
    let csv = env.path("files/jobs.csv");
    std::fs::write(
        &csv,
        "prompt,duration,generate_audio\n\
         a fox in snow,4s,false\n\
         \"an owl, at night\",6s,\n\
         a whale,,\n",
    )
    .unwrap();
    let csv_arg = csv.to_string_lossy().into_owned();
    let out = env.run_with_stdin(&["generate", "-e", T2V, "--batch-csv", &csv_arg], "y\n");
    assert_code(&out, 0);
    let err = text(&out.stderr);
    // 4 s × $0.20 + 6 s × $0.40 + 8 s × $0.40.
    assert!(err.contains("3 job(s), about $6.40 in all"), "{err}");
    let inputs = env.submitted();
    assert_eq!(inputs.len(), 3);
    let mut rows: Vec<(String, String, bool)> = inputs
        .iter()
        .map(|i| {
            (
                i["prompt"].as_str().unwrap().to_string(),
                i["duration"].as_str().unwrap_or("default").to_string(),
                i["generate_audio"].as_bool().unwrap_or(true),
            )
        })
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            ("a fox in snow".into(), "4s".into(), false),
            ("a whale".into(), "8s".into(), true),
            ("an owl, at night".into(), "6s".into(), true),
        ]
    );

    std::fs::write(&csv, "prompt,duration\nfine,4s\nbad,99s\n").unwrap();
    let out = env.run_with_stdin(
        &["generate", "-e", T2V, "--batch-csv", &csv_arg, "--yes"],
        "",
    );
    assert_code(&out, 2);
    let err = text(&out.stderr);
    assert!(err.contains("row 3, column duration"), "{err}");
    std::fs::write(&csv, "prompt,colour\nfine,red\n").unwrap();
    let out = env.run_with_stdin(
        &["generate", "-e", T2V, "--batch-csv", &csv_arg, "--yes"],
        "",
    );
    assert_code(&out, 2);
    assert!(
        text(&out.stderr).contains("column \"colour\""),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(env.submitted().len(), 3, "an invalid CSV sends nothing");
    env.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn presets_are_saved_applied_listed_and_deleted() {
    let env = env().await;
    let prompts = env.path("files/prompts.txt");
    std::fs::write(&prompts, "a fox\n\nan owl\n").unwrap();
    let prompts_arg = prompts.to_string_lossy().into_owned();
    // Saving happens before the question: a declined batch still keeps the preset.
    let out = env.run_with_stdin(
        &[
            "generate",
            "-e",
            T2V,
            "--set",
            "duration=4s",
            "--set",
            "generate_audio=false",
            "--save-preset",
            "short quiet",
            "--batch-prompts",
            &prompts_arg,
        ],
        "no\n",
    );
    assert_code(&out, 130);
    assert!(env.submitted().is_empty());
    let preset_dir = env.path("config/presets/fal-ai~veo3.1");
    assert!(preset_dir.join("short quiet.json").is_file());

    let list = env.run_with_stdin(&["presets", "list"], "");
    assert_code(&list, 0);
    assert_eq!(text(&list.stdout).trim(), format!("{T2V}\tshort quiet"));

    let out = env.run_with_stdin(
        &[
            "generate",
            "-e",
            T2V,
            "--preset",
            "short quiet",
            "--batch-prompts",
            &prompts_arg,
            "-y",
        ],
        "",
    );
    assert_code(&out, 0);
    let inputs = env.submitted();
    assert_eq!(inputs.len(), 2);
    assert!(
        inputs
            .iter()
            .all(|i| i["duration"] == "4s" && i["generate_audio"] == false)
    );

    let missing = env.run_with_stdin(&["generate", "-e", T2V, "-p", "x", "--preset", "nope"], "");
    assert_code(&missing, 2);
    assert!(
        text(&missing.stderr).contains("no preset \"nope\""),
        "{}",
        text(&missing.stderr)
    );
    assert_code(
        &env.run_with_stdin(&["presets", "delete", "-e", T2V, "short quiet"], ""),
        0,
    );
    assert!(!preset_dir.join("short quiet.json").exists());
    assert_eq!(env.submitted().len(), 2);
    env.shutdown().await;
}
