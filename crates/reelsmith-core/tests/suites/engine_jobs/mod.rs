//! The job engine against the in-process simulator over loopback, with real SQLite journals,
//! real image files and real MP4 results.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use reelsmith_core::fal::{ClientOptions, FalClient};
use reelsmith_core::jobs::{
    BundledModels, CancelResult, ChangeKind, EngineConfig, EngineError, EngineHandle, FailKind,
    JobEngine, JobEvent, JobId, JobState,
};
use reelsmith_core::library::{Sidecar, rebuild_index_from_sidecars, sidecar_path};
use reelsmith_core::store::Journal;
use reelsmith_sim::{Route, SimConfig, Simulator};
use tokio::sync::broadcast;

use crate::common;
use crate::engine_support::{I2V, i2v_job, png, setup};

async fn start_sim(queue: Duration, run: Duration) -> Simulator {
    Simulator::start(SimConfig {
        port: 0,
        queue_time: queue,
        run_time: run,
        ..common::sim_config(module_path!())
    })
    .await
    .expect("simulator starts")
}

fn client_for(sim: &Simulator) -> FalClient {
    common::client_for(
        sim,
        &sim.key(),
        Duration::from_millis(50),
        Duration::from_millis(300),
        ClientOptions {
            poll_interval: Duration::from_millis(100),
            max_poll_interval: Duration::from_millis(300),
            stream_stall_timeout: Duration::from_secs(3),
            ..ClientOptions::default()
        },
    )
}

fn config(out: &Path) -> EngineConfig {
    EngineConfig {
        output_dir: out.to_path_buf(),
        resume_on_start: false,
        network_patience: Duration::from_secs(20),
        ..EngineConfig::default()
    }
}

fn start_engine(
    sim: &Simulator,
    data: &Path,
    config: EngineConfig,
) -> (EngineHandle, broadcast::Receiver<JobEvent>, Arc<Journal>) {
    let journal = Arc::new(Journal::open_in(data).unwrap());
    let (handle, rx) = JobEngine::start(
        config,
        client_for(sim),
        Arc::new(BundledModels),
        journal.clone(),
    )
    .unwrap();
    (handle, rx, journal)
}

fn count(sim: &Simulator, route: Route) -> usize {
    sim.requests()
        .iter()
        .filter(|r| std::mem::discriminant(&r.route) == std::mem::discriminant(&route))
        .count()
}

async fn wait_state(engine: &EngineHandle, id: &JobId, state: JobState) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let job = engine.job(id).unwrap();
        if job.state == state {
            return;
        }
        assert!(
            Instant::now() < deadline && !job.state.is_terminal(),
            "job never reached {state}: it is {} ({:?})",
            job.state,
            job.failure
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

async fn finish(engine: &EngineHandle, id: &JobId) -> reelsmith_core::jobs::Job {
    tokio::time::timeout(Duration::from_secs(60), engine.wait_finished(id))
        .await
        .expect("job finishes in time")
        .expect("job exists")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn job_goes_through_every_state_to_a_video_with_sidecar_and_index() {
    let sim = start_sim(Duration::from_millis(300), Duration::from_millis(300)).await;
    let s = setup();
    let photo = png(&s.files.join("fox.png"), 1);
    let (engine, mut rx, journal) = start_engine(&sim, &s.data, config(&s.out));
    let id = engine
        .submit(i2v_job(&photo, "A red fox runs through fresh snow"))
        .await
        .unwrap();
    // The job is in the journal before any request.
    assert!(journal.job(&id).unwrap().is_some());
    let job = finish(&engine, &id).await;
    assert_eq!(job.state, JobState::Done, "failure: {:?}", job.failure);

    let mut states = Vec::new();
    while let Ok(event) = rx.try_recv() {
        if let JobEvent::Changed {
            job,
            kind: ChangeKind::State,
            ..
        } = event
            && states.last() != Some(&job.state)
        {
            states.push(job.state);
        }
    }
    assert_eq!(
        states,
        vec![
            JobState::Prepared,
            JobState::Uploading,
            JobState::Submitting,
            JobState::Submitted,
            JobState::InQueue,
            JobState::Running,
            JobState::Downloading,
            JobState::Done
        ]
    );

    // The file: a readable name in the library, a real MP4.
    let path = job.output_path.clone().unwrap();
    assert_eq!(path.parent().unwrap(), s.out);
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.ends_with("_veo3-1-image-to-video_a-red-fox-runs-through-fresh.mp4"),
        "{name}"
    );
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(&bytes[4..8], b"ftyp");

    // The sidecar says how it was made.
    let sidecar = Sidecar::read(&sidecar_path(&path)).unwrap();
    let submissions = sim.submissions();
    assert_eq!(submissions.len(), 1);
    assert_eq!(
        sidecar.request_id.as_deref(),
        Some(submissions[0].request_id.as_str())
    );
    assert_eq!(sidecar.endpoint_id, I2V);
    assert_eq!(sidecar.input, submissions[0].input);
    assert_eq!(sidecar.references.len(), 1);
    assert_eq!(sidecar.references[0].path, photo);
    let uploaded = sidecar.references[0].url.clone().unwrap();
    assert_eq!(sidecar.input["image_url"], uploaded);
    assert!(sim.stored_files().iter().any(|f| f.file_url == uploaded));
    assert_eq!(sidecar.blake3, blake3::hash(&bytes).to_hex().to_string());
    assert_eq!(sidecar.file_size, bytes.len() as u64);
    assert!(sidecar.timings.submitted_at.is_some() && sidecar.timings.saved_at.is_some());

    // The library index knows it.
    let items = journal.library_items().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].path, path);
    engine.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn same_photo_in_two_jobs_and_after_a_restart_is_uploaded_once() {
    let sim = start_sim(Duration::from_millis(100), Duration::from_millis(100)).await;
    let s = setup();
    let photo = png(&s.files.join("same.png"), 2);
    let (engine, _rx, _journal) = start_engine(&sim, &s.data, config(&s.out));
    let a = engine.submit(i2v_job(&photo, "first")).await.unwrap();
    let b = engine.submit(i2v_job(&photo, "second")).await.unwrap();
    let (ja, jb) = (finish(&engine, &a).await, finish(&engine, &b).await);
    assert_eq!((ja.state, jb.state), (JobState::Done, JobState::Done));
    assert_eq!(count(&sim, Route::UploadInitiate), 1);
    assert_eq!(count(&sim, Route::UploadPut), 1);
    assert_eq!(ja.uploads[0].url, jb.uploads[0].url);
    engine.shutdown().await;

    // A new engine over the same journal (an app restart) reuses the URL too.
    let (engine, _rx, _journal) = start_engine(&sim, &s.data, config(&s.out));
    let c = engine.submit(i2v_job(&photo, "third")).await.unwrap();
    let jc = finish(&engine, &c).await;
    assert_eq!(jc.state, JobState::Done);
    assert!(jc.uploads[0].reused);
    assert_eq!(count(&sim, Route::UploadInitiate), 1);
    // Distinct names for three videos made from the same photo.
    let names: std::collections::HashSet<_> = [&ja, &jb, &jc]
        .iter()
        .map(|j| j.output_path.clone().unwrap())
        .collect();
    assert_eq!(names.len(), 3);
    engine.shutdown().await;
    sim.shutdown().await;
}

/// The upload cache is keyed by the storage (REST base) as well as the content: a photo
/// uploaded to one simulator is uploaded again to another (or to fal), never sent as the first
/// one's URL; going back to the first reuses its upload.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_upload_is_reused_only_at_the_storage_it_was_made_at() {
    let first = start_sim(Duration::from_millis(50), Duration::from_millis(50)).await;
    let second = start_sim(Duration::from_millis(50), Duration::from_millis(50)).await;
    let s = setup();
    let photo = png(&s.files.join("same.png"), 4);

    let (engine, _rx, _journal) = start_engine(&first, &s.data, config(&s.out));
    let a = finish(&engine, &engine.submit(i2v_job(&photo, "a")).await.unwrap()).await;
    engine.shutdown().await;
    assert_eq!(a.state, JobState::Done);

    let (engine, _rx, _journal) = start_engine(&second, &s.data, config(&s.out));
    let b = finish(&engine, &engine.submit(i2v_job(&photo, "b")).await.unwrap()).await;
    engine.shutdown().await;
    assert_eq!(b.state, JobState::Done, "{:?}", b.failure);
    assert!(!b.uploads[0].reused);
    let url = b.uploads[0].url.clone().unwrap();
    assert!(url.starts_with(&second.base_url()), "{url}");
    assert_eq!(count(&second, Route::UploadInitiate), 1);
    let sent = &second.submissions()[0].input["image_url"];
    assert_eq!(sent.as_str(), Some(url.as_str()));

    let (engine, _rx, _journal) = start_engine(&first, &s.data, config(&s.out));
    let c = finish(&engine, &engine.submit(i2v_job(&photo, "c")).await.unwrap()).await;
    engine.shutdown().await;
    assert_eq!(c.state, JobState::Done);
    assert!(c.uploads[0].reused);
    assert_eq!(c.uploads[0].url, a.uploads[0].url);
    assert_eq!(count(&first, Route::UploadInitiate), 1);
    first.shutdown().await;
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stopped_engine_resumes_without_submitting_again() {
    let sim = start_sim(Duration::from_millis(200), Duration::from_secs(2)).await;
    let s = setup();
    let photo = png(&s.files.join("p.png"), 3);
    let (engine, _rx, _journal) = start_engine(&sim, &s.data, config(&s.out));
    let id = engine.submit(i2v_job(&photo, "resume me")).await.unwrap();
    wait_state(&engine, &id, JobState::Running).await;
    engine.shutdown().await;
    drop(engine);

    let journal = Journal::open_in(&s.data).unwrap();
    let recorded = journal.job(&id).unwrap().unwrap();
    assert_eq!(recorded.state, JobState::Running);
    assert!(recorded.request_id.is_some());
    drop(journal);

    let mut cfg = config(&s.out);
    cfg.resume_on_start = true;
    let (engine, _rx, _journal) = start_engine(&sim, &s.data, cfg);
    let job = finish(&engine, &id).await;
    assert_eq!(job.state, JobState::Done, "{:?}", job.failure);
    assert_eq!(sim.submissions().len(), 1);
    assert_eq!(job.submissions, 1);
    engine.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_expired_download_link_is_fetched_again_from_the_result() {
    let sim = start_sim(Duration::from_millis(100), Duration::from_millis(600)).await;
    let s = setup();
    let photo = png(&s.files.join("e.png"), 8);
    let (engine, _rx, _journal) = start_engine(&sim, &s.data, config(&s.out));
    let id = engine
        .submit(i2v_job(&photo, "expired link"))
        .await
        .unwrap();
    wait_state(&engine, &id, JobState::Running).await;
    engine.shutdown().await;
    drop(engine);
    tokio::time::sleep(Duration::from_millis(800)).await;

    // As if the app died while downloading from a link that has since expired.
    let journal = Journal::open_in(&s.data).unwrap();
    let mut job = journal.job(&id).unwrap().unwrap();
    job.video_url = Some(format!("{}/cdn/files/expired/output.mp4", sim.base_url()));
    job.output_path = Some(s.out.join("expired.mp4"));
    job.set_state(JobState::Downloading);
    journal.save_job(&job).unwrap();
    drop(journal);

    let mut cfg = config(&s.out);
    cfg.resume_on_start = true;
    let (engine, _rx, _journal) = start_engine(&sim, &s.data, cfg);
    let done = finish(&engine, &id).await;
    assert_eq!(done.state, JobState::Done, "{:?}", done.failure);
    let bytes = std::fs::read(s.out.join("expired.mp4")).unwrap();
    let result = sim
        .stored_files()
        .into_iter()
        .find(|f| Some(&f.file_url) == done.video_url.as_ref())
        .expect("the fresh link is the simulator's result");
    assert_eq!(result.blake3_hex, blake3::hash(&bytes).to_hex().to_string());
    assert_eq!(sim.submissions().len(), 1);
    engine.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn cancel_tells_fal_and_records_cancelled() {
    let sim = start_sim(Duration::from_secs(5), Duration::from_secs(5)).await;
    let s = setup();
    let photo = png(&s.files.join("c.png"), 4);
    let (engine, _rx, journal) = start_engine(&sim, &s.data, config(&s.out));
    let id = engine.submit(i2v_job(&photo, "cancel me")).await.unwrap();
    wait_state(&engine, &id, JobState::InQueue).await;
    let outcome = engine.cancel(&id).await.unwrap();
    let CancelResult::Cancelled(job) = outcome else {
        panic!("expected a cancelled job, got {outcome:?}");
    };
    assert_eq!(job.state, JobState::Cancelled);
    assert_eq!(count(&sim, Route::Cancel), 1);
    assert_eq!(
        journal.job(&id).unwrap().unwrap().state,
        JobState::Cancelled
    );
    // Cancelling again is refused: nothing left to cancel.
    assert!(matches!(
        engine.cancel(&id).await,
        Err(EngineError::NotAllowed { .. })
    ));
    engine.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn retry_after_a_model_error_submits_again_and_reuses_the_upload() {
    let sim = start_sim(Duration::from_millis(100), Duration::from_millis(100)).await;
    let s = setup();
    let photo = png(&s.files.join("r.png"), 5);
    let (engine, _rx, _journal) = start_engine(&sim, &s.data, config(&s.out));
    sim.model_error_next("content_policy_violation", "the prompt was flagged");
    let id = engine.submit(i2v_job(&photo, "retry me")).await.unwrap();
    let failed = finish(&engine, &id).await;
    assert_eq!(failed.state, JobState::Failed);
    let failure = failed.failure.clone().unwrap();
    assert_eq!(failure.kind, FailKind::Service);
    assert_eq!(
        failure.error_type.as_deref(),
        Some("content_policy_violation")
    );
    assert!(failure.message.contains("flagged"), "{}", failure.message);

    engine.retry(&id).await.unwrap();
    let done = finish(&engine, &id).await;
    assert_eq!(done.state, JobState::Done, "{:?}", done.failure);
    assert_eq!(sim.submissions().len(), 2);
    assert_eq!(done.submissions, 2);
    assert_ne!(failed.request_id, done.request_id);
    assert_eq!(count(&sim, Route::UploadInitiate), 1);
    // Retrying a finished job is refused.
    assert!(matches!(
        engine.retry(&id).await,
        Err(EngineError::NotAllowed { .. })
    ));
    engine.remove(&id).await.unwrap();
    assert!(engine.job(&id).is_none());
    assert!(done.output_path.unwrap().exists(), "remove keeps the video");
    engine.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_network_failure_before_submit_is_shown_then_resumed() {
    let sim = start_sim(Duration::from_millis(50), Duration::from_millis(50)).await;
    let s = setup();
    let photo = png(&s.files.join("n.png"), 9);
    let (engine, _rx, _journal) = start_engine(&sim, &s.data, config(&s.out));
    // More 503s than the client retries: the upload gives up.
    sim.fail_next(Route::UploadInitiate, 5, 503);
    let id = engine.submit(i2v_job(&photo, "offline")).await.unwrap();
    let failed = finish(&engine, &id).await;
    assert_eq!(failed.state, JobState::Failed);
    let failure = failed.failure.unwrap();
    assert_eq!(failure.kind, FailKind::Network);
    assert!(
        failure.message.contains("not sent to fal"),
        "{}",
        failure.message
    );
    assert!(failed.request_id.is_none());
    assert!(sim.submissions().is_empty());

    let started = engine.resume_unfinished(true).unwrap();
    assert_eq!(started, vec![id.clone()]);
    let done = finish(&engine, &id).await;
    assert_eq!(done.state, JobState::Done, "{:?}", done.failure);
    assert_eq!(sim.submissions().len(), 1);
    engine.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn invalid_files_are_refused_before_any_request() {
    let sim = start_sim(Duration::from_millis(100), Duration::from_millis(100)).await;
    let s = setup();
    let (engine, _rx, journal) = start_engine(&sim, &s.data, config(&s.out));
    let text = s.files.join("notes.png");
    std::fs::write(&text, "this is a text file, not a picture\n").unwrap();
    let empty = s.files.join("empty.png");
    std::fs::write(&empty, b"").unwrap();
    let missing = s.files.join("missing.png");
    for bad in [&text, &empty, &missing] {
        let err = engine.submit(i2v_job(bad, "nope")).await.unwrap_err();
        let EngineError::Invalid(issues) = &err else {
            panic!("expected invalid input, got {err}");
        };
        assert!(issues.iter().any(|i| i.field == "image_url"), "{issues:?}");
        assert!(err.to_string().contains("image_url"), "{err}");
    }
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
    assert!(journal.jobs().unwrap().is_empty());
    engine.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn index_is_rebuilt_from_sidecars_when_the_journal_is_lost_or_damaged() {
    let sim = start_sim(Duration::from_millis(50), Duration::from_millis(50)).await;
    let s = setup();
    let photo = png(&s.files.join("i.png"), 6);
    let (engine, _rx, journal) = start_engine(&sim, &s.data, config(&s.out));
    let id = engine.submit(i2v_job(&photo, "keep me")).await.unwrap();
    let job = finish(&engine, &id).await;
    assert_eq!(job.state, JobState::Done);
    let before = journal.library_items().unwrap();
    engine.shutdown().await;
    drop(engine);
    drop(journal);

    // Damage the journal: it is kept aside and a new one is rebuilt from the sidecars.
    let path = s.data.join(reelsmith_core::store::JOURNAL_FILE);
    let _ = std::fs::remove_file(s.data.join("journal.sqlite3-wal"));
    let _ = std::fs::remove_file(s.data.join("journal.sqlite3-shm"));
    std::fs::write(&path, vec![0x5au8; 8192]).unwrap();
    let journal = Journal::open_in(&s.data).unwrap();
    let aside = journal.recovered_from().unwrap();
    assert!(aside.exists());
    assert!(journal.library_items().unwrap().is_empty());
    let n = rebuild_index_from_sidecars(&journal, std::slice::from_ref(&s.out)).unwrap();
    assert_eq!(n, 1);
    let after = journal.library_items().unwrap();
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].path, before[0].path);
    assert_eq!(after[0].blake3, before[0].blake3);
    assert_eq!(after[0].request_id, before[0].request_id);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_quiet_job_is_flagged_stalled_not_failed() {
    let sim = start_sim(Duration::from_millis(100), Duration::from_millis(1500)).await;
    let s = setup();
    let photo = png(&s.files.join("s.png"), 7);
    let mut cfg = config(&s.out);
    cfg.stall_after = Duration::from_millis(150);
    let (engine, mut rx, _journal) = start_engine(&sim, &s.data, cfg);
    let id = engine.submit(i2v_job(&photo, "slow")).await.unwrap();
    let job = finish(&engine, &id).await;
    assert_eq!(job.state, JobState::Done);
    let mut saw_stalled = false;
    while let Ok(event) = rx.try_recv() {
        if let JobEvent::Changed {
            kind: ChangeKind::Stalled,
            stalled: true,
            job,
        } = event
        {
            assert!(!job.state.is_terminal());
            saw_stalled = true;
        }
    }
    assert!(saw_stalled);
    engine.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrency_limit_bounds_jobs_in_flight() {
    let sim = start_sim(Duration::from_millis(100), Duration::from_millis(200)).await;
    let s = setup();
    let mut cfg = config(&s.out);
    cfg.max_in_flight = 2;
    let (engine, mut rx, _journal) = start_engine(&sim, &s.data, cfg);
    let mut ids = Vec::new();
    for i in 0..5u8 {
        let photo = png(&s.files.join(format!("c{i}.png")), 10 + i);
        ids.push(engine.submit(i2v_job(&photo, "limit")).await.unwrap());
    }
    let mut active = std::collections::HashMap::new();
    let mut peak = 0;
    let deadline = Instant::now() + Duration::from_secs(60);
    while ids
        .iter()
        .any(|id| !engine.job(id).unwrap().state.is_terminal())
    {
        assert!(Instant::now() < deadline);
        if let Ok(Ok(JobEvent::Changed { job, .. })) =
            tokio::time::timeout(Duration::from_millis(200), rx.recv()).await
        {
            let busy = !matches!(
                job.state,
                JobState::Prepared | JobState::Done | JobState::Failed | JobState::Cancelled
            );
            active.insert(job.id.clone(), busy);
            peak = peak.max(active.values().filter(|b| **b).count());
        }
    }
    assert!(peak <= 2, "peak {peak}");
    assert_eq!(peak, 2);
    for id in &ids {
        assert_eq!(engine.job(id).unwrap().state, JobState::Done);
    }
    engine.shutdown().await;
    sim.shutdown().await;
}

mod load;
