//! Two job engines with their own journals (as two reelsmith processes have) saving into one
//! library folder at the same moment, with the same prompt: each video gets its own file.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use reelsmith_core::fal::ClientOptions;
use reelsmith_core::jobs::{BundledModels, EngineConfig, EngineHandle, JobEngine, JobId, JobState};
use reelsmith_core::library::{Sidecar, sidecar_path};
use reelsmith_core::store::Journal;
use reelsmith_sim::{Route, SimConfig, Simulator};

use crate::common;
use crate::engine_support::i2v_job;

fn engine(sim: &Simulator, data: &Path, out: &Path) -> EngineHandle {
    let client = common::client_for(
        sim,
        &sim.key(),
        Duration::from_millis(40),
        Duration::from_millis(120),
        ClientOptions {
            poll_interval: Duration::from_millis(50),
            max_poll_interval: Duration::from_millis(100),
            ..ClientOptions::default()
        },
    );
    let config = EngineConfig {
        output_dir: out.to_path_buf(),
        resume_on_start: false,
        network_patience: Duration::from_secs(30),
        ..EngineConfig::default()
    };
    let journal = Arc::new(Journal::open_in(data).unwrap());
    JobEngine::start(config, client, Arc::new(BundledModels), journal)
        .unwrap()
        .0
}

/// Sleeps until just after the start of a wall-clock second, so jobs submitted right after
/// share the second their file names are stamped with.
async fn start_of_a_second() {
    let ms = chrono::Local::now().timestamp_subsec_millis();
    tokio::time::sleep(Duration::from_millis(u64::from(1000 - ms.min(999)) + 20)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_engines_finishing_the_same_prompt_get_distinct_files() {
    let sim = Simulator::start(SimConfig {
        port: 0,
        queue_time: Duration::from_millis(150),
        run_time: Duration::from_millis(250),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("videos");
    let photo = dir.path().join("photo.png");
    image::RgbImage::from_fn(1280, 720, |x, y| image::Rgb([x as u8, y as u8, 7]))
        .save(&photo)
        .unwrap();
    let a = engine(&sim, &dir.path().join("data-a"), &out);
    let b = engine(&sim, &dir.path().join("data-b"), &out);
    // The first downloads are refused for a while, so every job has chosen its name before
    // any download has written a byte: only what is on disk can keep the names apart.
    sim.fail_next(Route::Cdn, 12, 503);
    start_of_a_second().await;
    let prompt = "The same prompt from two windows";
    let mut ids: Vec<(EngineHandle, JobId)> = Vec::new();
    for engine in [&a, &b, &a, &b] {
        let id = engine.submit(i2v_job(&photo, prompt)).await.unwrap();
        ids.push((engine.clone(), id));
    }
    let mut paths: Vec<PathBuf> = Vec::new();
    for (engine, id) in &ids {
        let done = tokio::time::timeout(Duration::from_secs(60), engine.wait_finished(id))
            .await
            .expect("the job finishes in time")
            .expect("the job exists");
        assert_eq!(done.state, JobState::Done, "{:?}", done.failure);
        let path = done.output_path.clone().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let sidecar = Sidecar::read(&sidecar_path(&path)).unwrap();
        assert_eq!(
            sidecar.job_id,
            id.as_str(),
            "{} has another job's sidecar",
            path.display()
        );
        assert_eq!(sidecar.blake3, blake3::hash(&bytes).to_hex().to_string());
        assert_eq!(
            sidecar.request_id,
            done.request_id,
            "{} holds another job's video",
            path.display()
        );
        paths.push(path);
    }
    let created: std::collections::HashSet<i64> = ids
        .iter()
        .map(|(e, id)| e.job(id).unwrap().created_at.timestamp())
        .collect();
    assert_eq!(
        created.len(),
        1,
        "the jobs were made in one second, so their names clash"
    );
    let distinct: std::collections::HashSet<&PathBuf> = paths.iter().collect();
    assert_eq!(distinct.len(), 4, "two jobs share a file: {paths:#?}");
    let mut names: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names.len(),
        8,
        "four videos and four sidecars, nothing else: {names:#?}"
    );
    a.shutdown().await;
    b.shutdown().await;
    sim.shutdown().await;
}
