//! Whole-queue commands of the engine against the simulator over loopback, with a real journal:
//! pause, reorder, cancel queued / all, retry all failed, and the cost of what waits.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reelsmith_core::fal::ClientOptions;
use reelsmith_core::jobs::{
    BundledModels, EngineConfig, EngineHandle, FailKind, Job, JobEngine, JobId, JobState,
    ModelSource, NewJob,
};
use reelsmith_core::schema::FormState;
use reelsmith_core::store::Journal;
use reelsmith_sim::{SimConfig, Simulator};

use crate::common;

const T2V: &str = "fal-ai/veo3.1";

async fn sim(run: Duration) -> Simulator {
    Simulator::start(SimConfig {
        port: 0,
        queue_time: Duration::from_millis(50),
        run_time: run,
        ..common::sim_config(module_path!())
    })
    .await
    .expect("simulator starts")
}

fn engine(sim: &Simulator, dir: &Path, max_in_flight: usize) -> EngineHandle {
    let client = common::client_for(
        sim,
        &sim.key(),
        Duration::from_millis(50),
        Duration::from_millis(300),
        ClientOptions {
            poll_interval: Duration::from_millis(50),
            max_poll_interval: Duration::from_millis(100),
            ..ClientOptions::default()
        },
    );
    let journal = Arc::new(Journal::open_in(&dir.join("data")).unwrap());
    let config = EngineConfig {
        output_dir: dir.join("videos"),
        resume_on_start: false,
        max_in_flight,
        ..EngineConfig::default()
    };
    JobEngine::start(config, client, Arc::new(BundledModels), journal)
        .unwrap()
        .0
}

fn job(prompt: &str) -> NewJob {
    let model = BundledModels.model(T2V).unwrap();
    let mut form = FormState::from_defaults(&model);
    form.set_from_str(&model, "prompt", prompt).unwrap();
    NewJob {
        endpoint_id: T2V.into(),
        form,
        output: None,
        overwrite_output: false,
    }
}

fn prompts_submitted(sim: &Simulator) -> Vec<String> {
    sim.submissions()
        .iter()
        .map(|s| s.input["prompt"].as_str().unwrap_or("").to_string())
        .collect()
}

async fn until(what: &str, check: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !check() {
        assert!(Instant::now() < deadline, "never happened: {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn state(engine: &EngineHandle, id: &JobId) -> JobState {
    engine.job(id).unwrap().state
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn paused_jobs_wait_reordered_jobs_start_in_the_new_order() {
    let sim = sim(Duration::from_millis(50)).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&sim, dir.path(), 1);
    engine.set_paused(true);
    let a = engine.submit(job("first")).await.unwrap();
    let b = engine.submit(job("second")).await.unwrap();
    let c = engine.submit(job("third")).await.unwrap();
    assert_eq!(engine.queued_order(), [a.clone(), b.clone(), c.clone()]);
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(sim.submissions().is_empty(), "a paused queue sent a job");
    assert_eq!(state(&engine, &a), JobState::Prepared);

    // Three jobs at $3.20 (8 s of Veo 3.1 with audio at $0.40/s) wait.
    let cost = engine.queue_cost();
    assert_eq!((cost.jobs, cost.unpriced), (3, 0));
    assert!((cost.usd - 9.60).abs() < 1e-9, "{cost:?}");

    let order = engine.move_queued(&c, 0).unwrap();
    assert_eq!(order, [c.clone(), a.clone(), b.clone()]);
    assert_eq!(
        Journal::open_in(&dir.path().join("data"))
            .unwrap()
            .queue_order()
            .unwrap(),
        order,
        "the order is in the journal"
    );
    engine.set_paused(false);
    for id in [&a, &b, &c] {
        assert_eq!(
            engine.wait_finished(id).await.unwrap().state,
            JobState::Done
        );
    }
    assert_eq!(prompts_submitted(&sim), ["third", "first", "second"]);
    assert_eq!(engine.queue_cost().jobs, 0);
    // A job fal has cannot be moved.
    assert!(engine.move_queued(&a, 0).is_err());
    engine.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pause_lets_the_running_job_finish_and_cancel_queued_leaves_it_alone() {
    let sim = sim(Duration::from_millis(1500)).await;
    let dir = tempfile::tempdir().unwrap();
    let engine = engine(&sim, dir.path(), 1);
    let running = engine.submit(job("running")).await.unwrap();
    until("the first job runs", || {
        state(&engine, &running) == JobState::Running
    })
    .await;
    let waiting: Vec<JobId> = vec![
        engine.submit(job("w1")).await.unwrap(),
        engine.submit(job("w2")).await.unwrap(),
    ];
    let outcomes = engine.cancel_queued().await;
    assert_eq!(outcomes.len(), 2);
    assert!(outcomes.iter().all(|(_, r)| r.is_ok()));
    for id in &waiting {
        assert_eq!(state(&engine, id), JobState::Cancelled);
    }
    assert_eq!(state(&engine, &running), JobState::Running);
    assert!(!engine.is_paused(), "cancelling leaves the pause as it was");

    engine.set_paused(true);
    let later = engine.submit(job("later")).await.unwrap();
    let done = engine.wait_finished(&running).await.unwrap();
    assert_eq!(
        done.state,
        JobState::Done,
        "a pause never stops a running job"
    );
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(state(&engine, &later), JobState::Prepared);
    assert_eq!(prompts_submitted(&sim), ["running"]);

    let all = engine.cancel_all().await;
    assert_eq!(all.len(), 1);
    assert_eq!(state(&engine, &later), JobState::Cancelled);
    assert_eq!(prompts_submitted(&sim), ["running"]);
    engine.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retry_all_failed_never_resends_a_job_fal_may_have() {
    let sim = sim(Duration::from_millis(50)).await;
    let dir = tempfile::tempdir().unwrap();
    // A job the app stopped sending: unknown whether fal got it.
    let mut unknown = Job::new(
        T2V,
        "unknown",
        serde_json::to_value(&job("unknown").form).unwrap(),
    );
    unknown.fail(FailKind::Interrupted, "stopped mid-submit", None);
    Journal::open_in(&dir.path().join("data"))
        .unwrap()
        .save_job(&unknown)
        .unwrap();
    let engine = engine(&sim, dir.path(), 2);
    sim.model_error_next("content_policy_violation", "flagged");
    let flagged = engine.submit(job("flagged")).await.unwrap();
    assert_eq!(
        engine.wait_finished(&flagged).await.unwrap().state,
        JobState::Failed
    );

    let report = engine.retry_failed().await;
    assert_eq!(report.retried, std::slice::from_ref(&flagged));
    assert_eq!(report.need_confirmation, [unknown.id.clone()]);
    assert!(report.errors.is_empty());
    assert_eq!(
        engine.wait_finished(&flagged).await.unwrap().state,
        JobState::Done
    );
    assert_eq!(state(&engine, &unknown.id), JobState::Failed);
    assert_eq!(prompts_submitted(&sim), ["flagged", "flagged"]);
    engine.shutdown().await;
    sim.shutdown().await;
}
