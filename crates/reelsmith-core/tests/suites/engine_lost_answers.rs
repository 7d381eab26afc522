//! Drills of submits whose answer is lost, against the simulator over loopback with real
//! journals and real MP4s: whatever happens to the answer, the simulator ends up with exactly
//! one job, found again in its request history, unless the user says to submit again.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reelsmith_core::fal::{ClientOptions, FalClient};
use reelsmith_core::jobs::unknown::{LookOutcome, summary};
use reelsmith_core::jobs::{
    BundledModels, EngineConfig, EngineError, EngineHandle, JobEngine, JobId, JobState,
    ModelSource, NewJob,
};
use reelsmith_core::schema::FormState;
use reelsmith_core::store::Journal;
use reelsmith_sim::{LostAnswer, Route, SimConfig, Simulator};

use crate::common;
use crate::engine_support::{i2v_job, png, setup};

const T2V: &str = "fal-ai/veo3.1";

async fn start_sim() -> Simulator {
    let sim = Simulator::start(SimConfig {
        port: 0,
        queue_time: Duration::from_millis(150),
        run_time: Duration::from_millis(150),
        ..common::sim_config(module_path!())
    })
    .await
    .expect("simulator starts");
    sim.set_max_clip_seconds(0.5);
    sim
}

/// A client whose read timeout is `read` (the drills' "answer delayed past the timeout").
fn client_for(sim: &Simulator, read: Duration) -> FalClient {
    common::client_for(
        sim,
        &sim.key(),
        Duration::from_millis(50),
        Duration::from_millis(200),
        ClientOptions {
            request_timeout: read,
            poll_interval: Duration::from_millis(100),
            max_poll_interval: Duration::from_millis(300),
            stream_stall_timeout: Duration::from_secs(3),
            ..ClientOptions::default()
        },
    )
}

fn config(out: &Path, resume_on_start: bool, lookup_patience: Duration) -> EngineConfig {
    EngineConfig {
        output_dir: out.to_path_buf(),
        resume_on_start,
        network_patience: Duration::from_secs(20),
        lookup_patience,
        ..EngineConfig::default()
    }
}

fn start_engine(
    sim: &Simulator,
    data: &Path,
    config: EngineConfig,
    read: Duration,
) -> EngineHandle {
    let journal = Arc::new(Journal::open_in(data).unwrap());
    let (handle, _rx) = JobEngine::start(
        config,
        client_for(sim, read),
        Arc::new(BundledModels),
        journal,
    )
    .unwrap();
    handle
}

fn t2v_job(prompt: &str) -> NewJob {
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

async fn settle(engine: &EngineHandle, id: &JobId) -> reelsmith_core::jobs::Job {
    tokio::time::timeout(Duration::from_secs(60), engine.wait_finished(id))
        .await
        .expect("the job settles in time")
        .expect("the job exists")
}

async fn wait_state(engine: &EngineHandle, id: &JobId, state: JobState) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while engine.job(id).map(|j| j.state) != Some(state) {
        assert!(
            Instant::now() < deadline,
            "never {state}: {:?}",
            engine.job(id)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

fn assert_video(job: &reelsmith_core::jobs::Job) {
    assert_eq!(
        job.state,
        JobState::Done,
        "{:?} {:?}",
        job.failure,
        job.logs.last()
    );
    let bytes = std::fs::read(job.output_path.as_ref().unwrap()).unwrap();
    assert_eq!(&bytes[4..8], b"ftyp", "a real MP4");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn every_lost_answer_ends_with_one_job_at_fal_and_the_video_saved() {
    let sim = start_sim().await;
    let s = setup();
    let photo = png(&s.files.join("p.png"), 9);
    let engine = start_engine(
        &sim,
        &s.data,
        config(&s.out, false, Duration::from_secs(10)),
        Duration::from_millis(800),
    );
    let cases = [
        ("gateway 504 without request id", LostAnswer::GatewayTimeout),
        (
            "connection closed after the body",
            LostAnswer::CloseConnection,
        ),
        (
            "answer later than the read timeout",
            LostAnswer::Delay(Duration::from_secs(3)),
        ),
    ];
    for (n, (what, lost)) in cases.into_iter().enumerate() {
        sim.lose_next_submit_answers(lost, 1);
        let new = if n == 0 {
            i2v_job(&photo, what)
        } else {
            t2v_job(what)
        };
        let id = engine.submit(new).await.unwrap();
        let job = settle(&engine, &id).await;
        assert_video(&job);
        assert_eq!(
            sim.submissions().len(),
            n + 1,
            "{what}: exactly one job at fal"
        );
        let submitted = sim.submissions().last().unwrap().clone();
        assert_eq!(
            job.request_id.as_deref(),
            Some(submitted.request_id.as_str()),
            "{what}"
        );
        assert_eq!(job.submissions, 1, "{what}");
        assert!(
            job.logs
                .iter()
                .any(|l| l.message.contains("found in fal's request history")),
            "{what}: {:?}",
            job.logs
        );
    }
    // Each case was one POST (a timed-out one is not in the request log: its handler was
    // dropped when the client gave up), and the history was read for each.
    let posts = sim
        .requests()
        .iter()
        .filter(|r| r.route == Route::Submit)
        .count();
    assert!(posts <= 3, "no submit was sent twice ({posts})");
    let looks = sim
        .requests()
        .iter()
        .filter(|r| r.route == Route::History)
        .count();
    assert!(looks >= 3, "{looks}");
    engine.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_ingress_page_with_nothing_queued_is_sent_again_after_the_history_agrees() {
    let sim = start_sim().await;
    let s = setup();
    let engine = start_engine(
        &sim,
        &s.data,
        config(&s.out, false, Duration::from_secs(10)),
        Duration::from_secs(5),
    );
    sim.fail_next_ingress(Route::Submit, 2, 503);
    let id = engine.submit(t2v_job("busy gateway")).await.unwrap();
    let job = settle(&engine, &id).await;
    assert_video(&job);
    let posts: Vec<u16> = sim
        .requests()
        .iter()
        .filter(|r| r.route == Route::Submit)
        .map(|r| r.status)
        .collect();
    assert_eq!(posts, [503, 503, 200]);
    assert_eq!(sim.submissions().len(), 1);
    let looks = sim
        .requests()
        .iter()
        .filter(|r| r.route == Route::History)
        .count();
    assert!(
        looks >= 2,
        "the history was read before each resend ({looks})"
    );
    engine.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unknown_job_survives_restarts_unsent_until_found_or_the_user_says_so() {
    let sim = start_sim().await;
    let s = setup();
    // fal's history lags: the lost request is not listed for a long while.
    sim.set_history_delay(Duration::from_secs(3600));
    sim.lose_next_submit_answers(LostAnswer::CloseConnection, 2);
    let cfg = || config(&s.out, true, Duration::from_millis(300));
    let engine = start_engine(&sim, &s.data, cfg(), Duration::from_secs(5));
    let id = engine.submit(t2v_job("look for me")).await.unwrap();
    let other = engine.submit(t2v_job("submit me again")).await.unwrap();
    let job = settle(&engine, &id).await;
    assert_eq!(job.state, JobState::SubmissionUnknown, "{:?}", job.logs);
    settle(&engine, &other).await;
    assert_eq!(sim.submissions().len(), 2);
    let shown = summary(&job).unwrap();
    assert_eq!(shown.headline, "Unknown — check before paying again");
    assert!(shown.sent.contains("look for me"));
    assert!(shown.sent_at.is_some());
    assert!(
        shown
            .resubmit_label()
            .starts_with("Submit again (costs ≈ $"),
        "{}",
        shown.resubmit_label()
    );
    assert!(
        shown
            .last_lookup
            .as_ref()
            .is_some_and(|(_, t)| t.contains("not found"))
    );
    // Retry (and "Retry all") is for failed jobs only.
    assert!(matches!(
        engine.retry(&id).await,
        Err(EngineError::NotAllowed { .. })
    ));
    engine.shutdown().await;

    // A restart of the window's engine (resume on start): looked up again, not sent.
    let engine = start_engine(&sim, &s.data, cfg(), Duration::from_secs(5));
    let job = settle(&engine, &id).await;
    assert_eq!(job.state, JobState::SubmissionUnknown);
    assert_eq!(sim.submissions().len(), 2, "a restart sends nothing");
    assert!(job.unknown.as_ref().unwrap().lookups >= 2);

    // The other, at the user's word, while fal still lists neither (the engine's own lookups
    // would otherwise adopt it first): sent exactly once more.
    let before = engine.job(&other).unwrap();
    assert_eq!(before.state, JobState::SubmissionUnknown);
    engine.resubmit_unknown(&other).await.unwrap();
    let job = settle(&engine, &other).await;
    assert_video(&job);
    assert_eq!(sim.submissions().len(), 3, "exactly one more submit");
    assert_eq!(job.submissions, 1);
    assert!(
        job.logs
            .iter()
            .any(|l| l.message.contains("at the user's word"))
    );

    // Once fal lists it, "look again" finds it and the job finishes.
    sim.set_history_delay(Duration::ZERO);
    match engine.look_again(&id).await.unwrap() {
        LookOutcome::Found(request_id) => {
            assert!(sim.submissions().iter().any(|s| s.request_id == request_id))
        }
        other => panic!("{other:?}"),
    }
    let job = settle(&engine, &id).await;
    assert_video(&job);
    assert_eq!(sim.submissions().len(), 3, "finding it sends nothing");
    assert!(matches!(
        engine.resubmit_unknown(&other).await,
        Err(EngineError::NotAllowed { .. })
    ));
    engine.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_job_resumed_after_fal_forgot_its_result_still_saves_the_video() {
    let sim = start_sim().await;
    let s = setup();
    let engine = start_engine(
        &sim,
        &s.data,
        config(&s.out, false, Duration::from_secs(10)),
        Duration::from_secs(5),
    );
    let id = engine.submit(t2v_job("friday")).await.unwrap();
    wait_state(&engine, &id, JobState::InQueue).await;
    engine.shutdown().await;
    // The weekend: the job completes at fal and the queue forgets its result.
    sim.forget_results_after(Some(Duration::from_millis(50)));
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let status_url = reelsmith_core::jobs::engine::handle_of(
        &client_for(&sim, Duration::from_secs(5)),
        &Journal::open_in(&s.data)
            .unwrap()
            .job(&id)
            .unwrap()
            .unwrap(),
    )
    .unwrap();
    let gone = client_for(&sim, Duration::from_secs(5))
        .status(&status_url, false)
        .await;
    assert!(gone.is_err(), "the queue no longer knows it: {gone:?}");

    let engine = start_engine(
        &sim,
        &s.data,
        config(&s.out, true, Duration::from_secs(10)),
        Duration::from_secs(5),
    );
    let job = settle(&engine, &id).await;
    assert_video(&job);
    assert!(
        job.logs
            .iter()
            .any(|l| l.message.contains("output came from fal's request history"))
    );
    assert_eq!(sim.submissions().len(), 1);
    engine.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn shutting_down_lets_a_submit_on_its_way_finish_and_records_its_answer() {
    let sim = start_sim().await;
    let s = setup();
    let engine = start_engine(
        &sim,
        &s.data,
        config(&s.out, false, Duration::from_secs(10)),
        Duration::from_secs(5),
    );
    sim.lose_next_submit_answers(LostAnswer::Delay(Duration::from_millis(1500)), 1);
    let id = engine.submit(t2v_job("slow answer")).await.unwrap();
    wait_state(&engine, &id, JobState::Submitting).await;
    let deadline = Instant::now() + Duration::from_secs(5);
    while engine.submits_in_flight() == 0 {
        assert!(Instant::now() < deadline);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let started = Instant::now();
    engine.shutdown().await;
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "it waited for the answer"
    );
    assert_eq!(engine.submits_in_flight(), 0);
    let recorded = Journal::open_in(&s.data)
        .unwrap()
        .job(&id)
        .unwrap()
        .unwrap();
    assert_eq!(recorded.state, JobState::Submitted, "{:?}", recorded.logs);
    assert_eq!(
        recorded.request_id.as_deref(),
        Some(sim.submissions()[0].request_id.as_str())
    );
    let engine = start_engine(
        &sim,
        &s.data,
        config(&s.out, true, Duration::from_secs(10)),
        Duration::from_secs(5),
    );
    assert_video(&settle(&engine, &id).await);
    assert_eq!(sim.submissions().len(), 1);
    engine.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unreadable_row_does_not_stop_the_engine() {
    let sim = start_sim().await;
    let s = setup();
    {
        let journal = Journal::open_in(&s.data).unwrap();
        let mut broken = reelsmith_core::jobs::Job::new(T2V, "broken", serde_json::json!({}));
        broken.request_id = Some("r".into());
        journal.save_job(&broken).unwrap();
    }
    // Damage the row behind the journal's back.
    let conn = rusqlite::Connection::open(s.data.join("journal.sqlite3")).unwrap();
    conn.execute("UPDATE jobs SET state = 'exploded'", [])
        .unwrap();
    drop(conn);
    let engine = start_engine(
        &sim,
        &s.data,
        config(&s.out, true, Duration::from_secs(10)),
        Duration::from_secs(5),
    );
    assert_eq!(engine.damaged_rows().len(), 1);
    assert!(engine.damaged_rows()[0].to_string().contains("exploded"));
    let id = engine.submit(t2v_job("still works")).await.unwrap();
    assert_video(&settle(&engine, &id).await);
    engine.shutdown().await;
    sim.shutdown().await;
}
