//! A `reelsmith generate` killed (SIGKILL) in each phase of its job, or interrupted with Ctrl+C,
//! and then `resume`: the job is finished from the journal without a second submit. The Ctrl+C
//! test goes on to a job read from `--input-json` with `--set` on top.

use std::path::PathBuf;
use std::time::Duration;

use reelsmith_core::jobs::JobState;
use reelsmith_sim::Route;
use serde_json::Value;

mod support;
use support::checks::check_video;
use support::inputs::png;
use support::run::{Reelsmith, assert_code, stdout_path, text};
use support::sim_env::{I2V, SimEnv};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn crash_drills_sigkill_then_resume_submits_once_and_saves_a_complete_mp4() {
    let env = SimEnv::new(200, 200).await;
    let phases = ["uploading", "in_queue", "running", "downloading"];
    for (n, phase) in phases.iter().enumerate() {
        let photo = png(&env.file(&format!("crash{n}.png")), 1280, 720, 40 + n as u8);
        match *phase {
            "uploading" => env.sim.fail_next(Route::UploadPut, 4, 503),
            "in_queue" => env
                .sim
                .set_timing(Duration::from_secs(4), Duration::from_millis(200)),
            "running" => env
                .sim
                .set_timing(Duration::from_millis(200), Duration::from_secs(4)),
            _ => {
                env.sim
                    .set_timing(Duration::from_millis(200), Duration::from_millis(200));
                env.sim.drop_download_after(2000, 4);
            }
        }
        let mut child = env.spawn(&[
            "generate",
            "-e",
            I2V,
            "-p",
            &format!("crash {phase}"),
            "--image",
            &photo,
        ]);
        let job = env.wait_for_job(phase, |j| {
            j.prompt == format!("crash {phase}") && j.state.as_str() == *phase
        });
        child.kill().unwrap(); // SIGKILL on Unix: no chance to clean up.
        child.wait().unwrap();
        env.sim
            .set_timing(Duration::from_millis(200), Duration::from_millis(200));

        let after_kill = env.jobs().into_iter().find(|j| j.id == job.id).unwrap();
        assert!(
            !after_kill.state.is_terminal(),
            "{phase}: {:?}",
            after_kill.state
        );
        let resumed = env.run(&["resume", "--json"]);
        assert_code(&resumed, 0);
        let results: Value = serde_json::from_slice(&resumed.stdout).unwrap();
        let mine = results
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["job_id"] == job.id.as_str())
            .unwrap_or_else(|| panic!("{phase}: resume did not finish the job: {results}"));
        assert_eq!(mine["status"], "done");
        let output = PathBuf::from(mine["output"].as_str().unwrap());
        let sidecar = check_video(&output, I2V);
        // The MP4 is the complete file fal made.
        let stored = env
            .sim
            .stored_files()
            .into_iter()
            .find(|f| Some(&f.file_url) == sidecar.video_url.as_ref())
            .expect("the result is on the simulator's CDN");
        assert_eq!(stored.blake3_hex, sidecar.blake3, "{phase}");
        assert!(!reelsmith_core::fal::download::part_path(&output).exists());
        // Exactly one submit per job so far.
        assert_eq!(env.sim.submissions().len(), n + 1, "{phase}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ctrl_c_leaves_the_job_for_resume_and_input_json_takes_set_on_top() {
    let env = SimEnv::new(3_000, 200).await;
    let photo = png(&env.file("p.png"), 1280, 720, 8);
    let child = env.spawn(&[
        "generate",
        "-e",
        I2V,
        "-p",
        "interrupt me",
        "--image",
        &photo,
    ]);
    let job = env.wait_for_job("queued", |j| j.state == JobState::InQueue);
    // SIGINT is what Ctrl+C sends.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    assert_code(&out, 130);
    assert!(
        text(&out.stderr).contains("resume"),
        "{}",
        text(&out.stderr)
    );
    let recorded = env.jobs().into_iter().find(|j| j.id == job.id).unwrap();
    assert!(!recorded.state.is_terminal());
    assert_eq!(
        env.count(Route::Cancel),
        0,
        "an interrupt does not cancel at fal"
    );
    env.sim
        .set_timing(Duration::from_millis(100), Duration::from_millis(100));
    let resumed = env.run(&["resume"]);
    assert_code(&resumed, 0);
    check_video(&stdout_path(&resumed), I2V);
    assert_eq!(env.sim.submissions().len(), 1);

    // The whole input from a file ("@PATH" is a local file), with --set on top.
    let input = env.file("input.json");
    std::fs::write(
        &input,
        serde_json::json!({
            "prompt": "from a file",
            "image_url": format!("@{photo}"),
            "resolution": "1080p",
            "duration": "4s",
        })
        .to_string(),
    )
    .unwrap();
    let out = env.run(&[
        "generate",
        "-e",
        I2V,
        "--input-json",
        input.to_str().unwrap(),
        "--set",
        "duration=6s",
        "--json",
    ]);
    assert_code(&out, 0);
    let submitted = env.sim.submissions().last().unwrap().input.clone();
    assert_eq!(submitted["prompt"], "from a file");
    assert_eq!(submitted["resolution"], "1080p");
    assert_eq!(submitted["duration"], "6s");
    assert!(
        submitted["image_url"]
            .as_str()
            .unwrap()
            .starts_with(&env.sim.base_url())
    );
    assert_eq!(
        env.count(Route::UploadInitiate),
        1,
        "the same photo again: no new upload"
    );
}
