//! `reelsmith jobs`, `resume` and `cancel` on jobs `generate` left at the simulator (detached,
//! or followed by another process): JSON output, one submit per job, and cancels sent to fal.

use std::path::PathBuf;

use reelsmith_core::jobs::JobState;
use reelsmith_sim::Route;
use serde_json::Value;

mod support;
use support::checks::{assert_no_key_anywhere, check_video};
use support::inputs::png;
use support::run::{Reelsmith, assert_code, text};
use support::sim_env::{I2V, SimEnv};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn json_output_detach_resume_and_output_path() {
    let env = SimEnv::new(800, 300).await;
    let photo = png(&env.file("p.png"), 1280, 720, 9);
    let out = env.run(&[
        "generate",
        "-e",
        I2V,
        "-p",
        "detached fox",
        "--image",
        &photo,
        "--detach",
        "--json",
    ]);
    assert_code(&out, 0);
    let detached: Value = serde_json::from_slice(&out.stdout).expect("one JSON object");
    let job_id = detached["job_id"].as_str().unwrap().to_string();
    let request_id = detached["request_id"]
        .as_str()
        .expect("request id recorded");
    assert_eq!(detached["endpoint"], I2V);
    assert!(detached["output"].is_null());
    assert_eq!(env.sim.submissions().len(), 1);
    assert_eq!(env.sim.submissions()[0].request_id, request_id);

    let listed = env.run(&["jobs", "--json"]);
    assert_code(&listed, 0);
    let list: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(list[0]["job_id"], job_id.as_str());
    assert_ne!(list[0]["status"], "done");

    let resumed = env.run(&["resume", "--json"]);
    assert_code(&resumed, 0);
    let results: Value = serde_json::from_slice(&resumed.stdout).unwrap();
    assert_eq!(results[0]["job_id"], job_id.as_str());
    assert_eq!(results[0]["status"], "done");
    assert_eq!(results[0]["request_id"], request_id);
    let output = PathBuf::from(results[0]["output"].as_str().unwrap());
    check_video(&output, I2V);
    assert_eq!(env.sim.submissions().len(), 1, "resume never submits again");

    // Nothing left: resume is a no-op.
    let again = env.run(&["resume", "--json"]);
    assert_code(&again, 0);
    assert_eq!(
        serde_json::from_slice::<Value>(&again.stdout).unwrap(),
        Value::Array(vec![])
    );

    // -o PATH saves exactly there, with the sidecar beside it; --json reports it.
    let target = env.path("home").join("mine/clip.mp4");
    let out2 = env.run(&[
        "generate",
        "-e",
        I2V,
        "-p",
        "to a path",
        "--image",
        &photo,
        "-o",
        target.to_str().unwrap(),
        "--json",
    ]);
    assert_code(&out2, 0);
    let done: Value = serde_json::from_slice(&out2.stdout).unwrap();
    assert_eq!(done["status"], "done");
    assert_eq!(done["output"], target.to_str().unwrap());
    assert!(
        done["video_url"]
            .as_str()
            .unwrap()
            .starts_with(&env.sim.base_url())
    );
    check_video(&target, I2V);
    assert_eq!(
        env.count(Route::UploadInitiate),
        1,
        "the same photo is uploaded once"
    );
    assert_no_key_anywhere(&env, &[&out, &listed, &resumed, &out2]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_a_detached_job_and_a_job_run_by_another_process() {
    let env = SimEnv::new(10_000, 100).await;
    let photo = png(&env.file("p.png"), 1280, 720, 6);
    let out = env.run(&[
        "generate", "-e", I2V, "-p", "x", "--image", &photo, "--detach", "--json",
    ]);
    assert_code(&out, 0);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    let id = v["job_id"].as_str().unwrap().to_string();
    let cancelled = env.run(&["cancel", &id]);
    assert_code(&cancelled, 0);
    assert_eq!(env.count(Route::Cancel), 1);
    let job = env
        .jobs()
        .into_iter()
        .find(|j| j.id.as_str() == id)
        .unwrap();
    assert_eq!(job.state, JobState::Cancelled);
    // Cancelling again: nothing to cancel.
    assert_code(&env.run(&["cancel", &id]), 2);
    assert_code(&env.run(&["cancel", "ffffffffffff"]), 2);

    // A job followed by a live `generate`: `cancel` asks that process, which stops with 130.
    let child = env.spawn(&["generate", "-e", I2V, "-p", "y", "--image", &photo]);
    let live = env.wait_for_job("queued", |j| {
        j.id.as_str() != id && j.state == JobState::InQueue
    });
    let cancelled = env.run(&["cancel", live.id.as_str()]);
    assert_code(&cancelled, 0);
    let out = child.wait_with_output().unwrap();
    assert_code(&out, 130);
    let job = env.jobs().into_iter().find(|j| j.id == live.id).unwrap();
    assert_eq!(job.state, JobState::Cancelled);
    assert_eq!(env.sim.submissions().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_queued_cancels_every_waiting_job_at_fal_and_leaves_finished_ones() {
    let env = SimEnv::new(10_000, 100).await;
    let photo = png(&env.file("p.png"), 1280, 720, 6);
    let mut waiting = Vec::new();
    for prompt in ["one", "two"] {
        let out = env.run(&[
            "generate", "-e", I2V, "-p", prompt, "--image", &photo, "--detach", "--json",
        ]);
        assert_code(&out, 0);
        let v: Value = serde_json::from_slice(&out.stdout).unwrap();
        waiting.push(v["job_id"].as_str().unwrap().to_string());
    }
    let out = env.run(&["cancel", "--queued"]);
    assert_code(&out, 0);
    assert!(
        text(&out.stderr).contains("2 of 2 waiting job(s) cancelled"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(
        env.count(Route::Cancel),
        2,
        "each waiting job is cancelled at fal once"
    );
    for job in env.jobs() {
        assert!(waiting.iter().any(|w| w == job.id.as_str()));
        assert_eq!(job.state, JobState::Cancelled);
    }
    // Nothing left: a second bulk cancel sends nothing.
    let out = env.run(&["cancel", "--all"]);
    assert_code(&out, 0);
    assert!(
        text(&out.stderr).contains("no unfinished job"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(env.count(Route::Cancel), 2);
    // A job id and --all together is a usage error.
    assert_code(&env.run(&["cancel", "--all", &waiting[0]]), 2);
}
