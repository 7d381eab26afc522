//! The engine under load and at the limits: pictures shrunk or refused against Kling's limits,
//! jobs finishing together with one prompt, and the 200-job benchmark.

use reelsmith_core::jobs::{BundledModels, JobState, ModelSource, NewJob};
use reelsmith_core::library::{Sidecar, sidecar_path};
use reelsmith_core::schema::{FieldValue, FormState, MediaRef};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::*;

const KLING: &str = "fal-ai/kling-video/o1/standard/reference-to-video";

fn kling_job(images: &[PathBuf]) -> NewJob {
    let model = BundledModels.model(KLING).unwrap();
    let mut form = FormState::from_defaults(&model);
    form.set_from_str(&model, "prompt", "@Image1 in the rain")
        .unwrap();
    form.values.insert(
        "image_urls".into(),
        FieldValue::MediaList(images.iter().map(|p| MediaRef::Local(p.clone())).collect()),
    );
    NewJob {
        endpoint_id: KLING.into(),
        form,
        output: None,
        overwrite_output: false,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pictures_over_the_limit_are_shrunk_and_too_small_ones_refused() {
    let sim = start_sim(Duration::from_millis(50), Duration::from_millis(50)).await;
    let s = setup();
    let mut cfg = config(&s.out);
    cfg.scratch_dir = s.files.join("scratch");
    let (engine, _rx, _journal) = start_engine(&sim, &s.data, cfg);

    // Noise does not compress: a 2000×2000 PNG of it is far over Kling's 10 MB limit.
    let big = s.files.join("big.png");
    let mut state = 0x2545_f491_u32;
    image::RgbImage::from_fn(2000, 2000, |_, _| {
        state ^= state << 13;
        state ^= state >> 17;
        state ^= state << 5;
        image::Rgb([state as u8, (state >> 8) as u8, (state >> 16) as u8])
    })
    .save(&big)
    .unwrap();
    let limit = 10 * 1024 * 1024;
    assert!(std::fs::metadata(&big).unwrap().len() > limit);
    let id = engine
        .submit(kling_job(std::slice::from_ref(&big)))
        .await
        .unwrap();
    let job = finish(&engine, &id).await;
    assert_eq!(job.state, JobState::Done, "{:?}", job.failure);
    let uploads: Vec<_> = sim
        .stored_files()
        .into_iter()
        .filter(|f| f.kind == reelsmith_sim::StoredKind::Upload)
        .collect();
    assert_eq!(uploads.len(), 1);
    assert!(
        uploads[0].size <= limit,
        "{} bytes uploaded",
        uploads[0].size
    );
    assert_eq!(uploads[0].content_type, "image/jpeg");
    // The sidecar names the user's file; the original is untouched.
    let sidecar = Sidecar::read(&sidecar_path(job.output_path.as_ref().unwrap())).unwrap();
    assert_eq!(sidecar.references[0].path, big);
    assert!(std::fs::metadata(&big).unwrap().len() > limit);

    // Below Kling's 300 px minimum: refused before any request.
    let before = sim.requests().len();
    let tiny = s.files.join("tiny.png");
    image::RgbImage::from_pixel(200, 200, image::Rgb([9, 9, 9]))
        .save(&tiny)
        .unwrap();
    let err = engine.submit(kling_job(&[tiny])).await.unwrap_err();
    assert!(err.to_string().contains("image_urls[0]"), "{err}");
    assert_eq!(sim.requests().len(), before);
    engine.shutdown().await;
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn jobs_finishing_together_with_one_prompt_get_distinct_files() {
    let sim = start_sim(Duration::ZERO, Duration::ZERO).await;
    sim.set_max_clip_seconds(0.1);
    let s = setup();
    let mut cfg = config(&s.out);
    cfg.max_in_flight = 8;
    let (engine, _rx, _journal) = start_engine(&sim, &s.data, cfg);
    let photo = png(&s.files.join("same.png"), 30);
    let mut ids = Vec::new();
    for _ in 0..8 {
        ids.push(engine.submit(i2v_job(&photo, "same words")).await.unwrap());
    }
    let mut paths = std::collections::HashSet::new();
    for id in &ids {
        let job = finish(&engine, id).await;
        assert_eq!(job.state, JobState::Done, "{:?}", job.failure);
        let path = job.output_path.unwrap();
        assert!(path.is_file());
        assert!(sidecar_path(&path).is_file());
        paths.insert(path);
    }
    assert_eq!(paths.len(), 8);
    engine.shutdown().await;
    sim.shutdown().await;
}

/// Run with `cargo test -p reelsmith-core --test suites -- --ignored --exact
/// engine_jobs::load::benchmark_200_jobs --nocapture`.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
#[ignore = "benchmark; run on demand"]
async fn benchmark_200_jobs() {
    let sim = start_sim(Duration::ZERO, Duration::ZERO).await;
    let s = setup();
    let mut cfg = config(&s.out);
    cfg.max_in_flight = 16;
    let (engine, _rx, _journal) = start_engine(&sim, &s.data, cfg);
    // The simulator's own H.264 rendering is kept short: the engine is what is measured.
    sim.set_max_clip_seconds(0.25);
    let jobs = 200;
    // Every job has its own photo, so every job pays for one upload.
    let photos: Vec<PathBuf> = (0..jobs)
        .map(|i| {
            let path = s.files.join(format!("b{i}.png"));
            image::RgbImage::from_fn(640, 360, |x, y| {
                image::Rgb([(x % 256) as u8, (y % 256) as u8, i as u8])
            })
            .save(&path)
            .unwrap();
            path
        })
        .collect();
    let started = Instant::now();
    let mut ids = Vec::new();
    for photo in &photos {
        ids.push(engine.submit(i2v_job(photo, "bench")).await.unwrap());
    }
    for id in &ids {
        let job = finish(&engine, id).await;
        assert_eq!(job.state, JobState::Done, "{:?}", job.failure);
    }
    let elapsed = started.elapsed();
    let requests = sim.requests().len();
    let peak_kb = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM")).and_then(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|v| v.parse::<u64>().ok())
            })
        })
        .unwrap_or(0);
    println!(
        "engine benchmark: {jobs} jobs in {:.2} s = {:.1} jobs/s; {:.2} HTTP requests per job \
         (protocol minimum with one new upload: 6 = 2 upload + 1 submit + 1 status stream + 1 \
         result + 1 download); peak RSS of test process (engine + simulator) {:.1} MB",
        elapsed.as_secs_f64(),
        jobs as f64 / elapsed.as_secs_f64(),
        requests as f64 / jobs as f64,
        peak_kb as f64 / 1024.0
    );
    engine.shutdown().await;
    sim.shutdown().await;
}
