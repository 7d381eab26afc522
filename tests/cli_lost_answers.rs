//! The `reelsmith` binary when a submit's answer is lost, against a simulator started by each
//! test: `generate`, `resume`, a SIGKILL while submitting, Ctrl+C with a submit on its way,
//! `--resubmit-unknown`, and a resume after fal forgot the result. Whatever happens, the
//! simulator ends up with exactly one job per submission the user asked for.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use reelsmith_core::jobs::JobState;
use reelsmith_sim::LostAnswer;
use serde_json::Value;

mod support;
use support::checks::assert_mp4;
use support::run::{Reelsmith, assert_code, stdout_path, text};
use support::sim_env::{SimEnv, T2V};

/// Quick jobs with half-second clips, and timeouts short enough that a lost answer is given up
/// on (and looked up) within seconds.
async fn env() -> SimEnv {
    let env = SimEnv::new(150, 150)
        .await
        .with_env("REELSMITH_REQUEST_TIMEOUT_SECS", "2")
        .with_env("REELSMITH_LOOKUP_PATIENCE_SECS", "1");
    env.sim.set_max_clip_seconds(0.5);
    env
}

/// `reelsmith generate -p PROMPT --json` from text.
fn generate(env: &SimEnv, prompt: &str) -> Output {
    env.run(&["generate", "-e", T2V, "-p", prompt, "--json"])
}

/// The saved video of a run that printed a finished job as JSON.
fn json_output(out: &Output) -> PathBuf {
    let v: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    assert_eq!(v["status"], "done", "{v}");
    PathBuf::from(v["output"].as_str().unwrap())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn generate_recovers_every_lost_answer_with_one_job_at_fal() {
    let env = env().await;
    let cases = [
        ("gateway", LostAnswer::GatewayTimeout),
        ("closed", LostAnswer::CloseConnection),
        ("late", LostAnswer::Delay(Duration::from_secs(5))),
    ];
    for (n, (prompt, lost)) in cases.into_iter().enumerate() {
        env.sim.lose_next_submit_answers(lost, 1);
        let out = generate(&env, prompt);
        assert_code(&out, 0);
        assert_mp4(&json_output(&out));
        assert_eq!(
            env.sim.submissions().len(),
            n + 1,
            "{prompt}: one job at fal"
        );
        let job = env.job(prompt);
        assert_eq!(
            job.request_id.as_deref(),
            Some(env.sim.submissions()[n].request_id.as_str())
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unknown_job_is_listed_left_alone_by_resume_and_resubmitted_only_when_named() {
    let env = env().await;
    // fal's history lags: nothing to find for now.
    env.sim.set_history_delay(Duration::from_secs(3600));
    env.sim
        .lose_next_submit_answers(LostAnswer::CloseConnection, 2);
    let out = generate(&env, "first unknown");
    assert_code(&out, 6);
    let err = text(&out.stderr);
    assert!(err.contains("Unknown — check before paying again"), "{err}");
    assert!(
        err.contains("what was sent") && err.contains("first unknown"),
        "{err}"
    );
    assert!(err.contains("--resubmit-unknown"), "{err}");
    assert!(err.contains("costs ≈ $"), "{err}");
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["status"], "submission_unknown");
    assert!(
        v["unknown"]["reason"]
            .as_str()
            .unwrap()
            .contains("connection")
    );
    assert_code(&generate(&env, "second unknown"), 6);
    assert_eq!(env.sim.submissions().len(), 2);

    let listed = env.run(&["jobs"]);
    assert_code(&listed, 0);
    assert!(
        text(&listed.stdout).contains("submission_unknown"),
        "{}",
        text(&listed.stdout)
    );

    // `resume` looks again and sends nothing.
    let resumed = env.run(&["resume", "--json"]);
    assert_code(&resumed, 6);
    assert!(text(&resumed.stderr).contains("check before paying again"));
    assert_eq!(env.sim.submissions().len(), 2, "resume sends nothing");

    // Named: sent exactly once more; the other stays unknown and unsent.
    let second = env.job("second unknown");
    let resumed = env.run(&["resume", "--resubmit-unknown", &second.id.as_str()[..8]]);
    assert_code(&resumed, 6);
    assert_eq!(env.sim.submissions().len(), 3, "exactly one more submit");
    let second = env.job("second unknown");
    assert_eq!(second.state, JobState::Done, "{:?}", second.logs);
    assert_mp4(second.output_path.as_ref().unwrap());
    assert_eq!(env.job("first unknown").state, JobState::SubmissionUnknown);
    // A job that is not unknown cannot be resubmitted this way.
    let refused = env.run(&["resume", "--resubmit-unknown", second.id.as_str()]);
    assert_code(&refused, 2);
    assert_eq!(env.sim.submissions().len(), 3);

    // Once fal's history lists it, `resume` finds the first and saves its video.
    env.sim.set_history_delay(Duration::ZERO);
    let resumed = env.run(&["resume"]);
    assert_code(&resumed, 0);
    let first = env.job("first unknown");
    assert_eq!(first.state, JobState::Done);
    assert_mp4(first.output_path.as_ref().unwrap());
    assert_eq!(env.sim.submissions().len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_kill_while_submitting_comes_back_unknown_and_is_recovered_not_resent() {
    let env = env().await;
    env.sim
        .lose_next_submit_answers(LostAnswer::Delay(Duration::from_secs(8)), 1);
    let mut child = env.spawn(&["generate", "-e", T2V, "-p", "killed while submitting"]);
    let job = env.wait_for_job("submitting", |j| j.state == JobState::Submitting);
    // The job reached the simulator before the kill.
    let deadline = Instant::now() + Duration::from_secs(10);
    while env.sim.submissions().is_empty() {
        assert!(Instant::now() < deadline, "the submit never arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap(); // SIGKILL: nothing is recorded after this.
    child.wait().unwrap();
    let after = env.job("killed while submitting");
    assert_eq!(after.state, JobState::Submitting);
    assert!(
        after.submit_sent_at.is_some(),
        "the send time was on disk first"
    );
    assert_eq!(after.request_id, None);

    let resumed = env.run(&["resume", "--json"]);
    assert_code(&resumed, 0);
    let results: Value = serde_json::from_slice(&resumed.stdout).unwrap();
    let mine = results
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["job_id"] == job.id.as_str())
        .unwrap();
    assert_eq!(mine["status"], "done", "{mine}");
    assert_mp4(Path::new(mine["output"].as_str().unwrap()));
    assert_eq!(env.sim.submissions().len(), 1, "recovered, not resubmitted");
    let recovered = env.job("killed while submitting");
    assert_eq!(
        recovered.request_id.as_deref(),
        Some(env.sim.submissions()[0].request_id.as_str())
    );
    assert!(recovered.logs.iter().any(|l| {
        l.message
            .contains("reelsmith stopped while the submit was on its way")
    }));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ctrl_c_with_a_submit_on_its_way_lets_it_finish_and_records_it() {
    let env = env().await;
    env.sim
        .lose_next_submit_answers(LostAnswer::Delay(Duration::from_millis(1500)), 1);
    let child = env.spawn(&["generate", "-e", T2V, "-p", "interrupted submit"]);
    env.wait_for_job("submitting", |j| j.state == JobState::Submitting);
    // SIGINT is what Ctrl+C sends.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGINT);
    }
    let out = child.wait_with_output().unwrap();
    assert_code(&out, 130);
    let err = text(&out.stderr);
    assert!(
        err.contains("Finishing 1 submit so it is not lost…"),
        "{err}"
    );
    let job = env.job("interrupted submit");
    assert_eq!(job.state, JobState::Submitted, "{:?}", job.logs);
    assert_eq!(
        job.request_id.as_deref(),
        Some(env.sim.submissions()[0].request_id.as_str())
    );
    let resumed = env.run(&["resume"]);
    assert_code(&resumed, 0);
    assert_mp4(&stdout_path(&resumed));
    assert_eq!(env.sim.submissions().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_resume_after_fal_forgot_the_result_still_saves_the_video() {
    let env = env().await;
    let out = env.run(&["generate", "-e", T2V, "-p", "friday evening", "--detach"]);
    assert_code(&out, 0);
    // Monday: the job finished long ago and the queue forgot its result.
    env.sim
        .forget_results_after(Some(Duration::from_millis(50)));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let resumed = env.run(&["resume"]);
    assert_code(&resumed, 0);
    assert_mp4(&stdout_path(&resumed));
    let job = env.job("friday evening");
    assert!(
        job.logs
            .iter()
            .any(|l| l.message.contains("output came from fal's request history"))
    );
    assert_eq!(env.sim.submissions().len(), 1);
}
