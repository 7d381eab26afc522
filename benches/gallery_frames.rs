//! Frame cost of the studio window with a large library: 2,000 videos in the gallery and 50
//! reference thumbnails on screen. Drives the real app through egui (layout + tessellation,
//! the CPU work of a frame) and prints the median and p95 per frame beside the target.
//!
//! Run: `cargo bench --bench gallery_frames`

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeZone, Utc};
use eframe::App;
use reelsmith::ui::app::{Persisted, View};
use reelsmith::ui::engine_link::EngineLink;
use reelsmith::ui::{Service, StudioApp, StudioConfig};
use reelsmith_core::jobs::{FileUpload, Job, JobState};
use reelsmith_core::library::LibraryItem;

const VIDEOS: usize = 2000;
const REFERENCES: usize = 50;
const FRAMES: usize = 300;
const TARGET_P95_MS: f64 = 4.0;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let _guard = rt.enter();
    let dir = tempfile::tempdir().expect("temp dir");
    let sim = rt
        .block_on(reelsmith_sim::Simulator::start(
            reelsmith_sim::SimConfig::default(),
        ))
        .expect("simulator");
    let (videos, pictures) = make_media(dir.path());
    let ctx = egui::Context::default();
    let config = StudioConfig::in_dir(dir.path(), Service::simulator(Arc::new(sim)));
    let mut app = StudioApp::with_state(&ctx, config, Persisted::default());
    let library: Vec<LibraryItem> = videos.iter().enumerate().map(|(i, p)| item(i, p)).collect();
    let jobs: Vec<Job> = pictures
        .chunks(5)
        .enumerate()
        .map(|(i, chunk)| job(i, chunk))
        .collect();
    app.engine = EngineLink::detached(&ctx, jobs, library);
    let mut frame = eframe::Frame::_new_kittest();

    // Warm up: let every visible thumbnail and poster decode, so frames measure drawing only.
    let mut run = |app: &mut StudioApp, scroll: f32, height: f32| -> Duration {
        let mut input = egui::RawInput {
            screen_rect: Some(egui::Rect::from_min_size(
                egui::Pos2::ZERO,
                egui::vec2(1600.0, height),
            )),
            ..Default::default()
        };
        input
            .events
            .push(egui::Event::PointerMoved(egui::pos2(700.0, 500.0)));
        if scroll != 0.0 {
            input.events.push(egui::Event::MouseWheel {
                unit: egui::MouseWheelUnit::Point,
                delta: egui::vec2(0.0, -scroll),
                phase: egui::TouchPhase::Move,
                source: egui::MouseWheelSource::Wheel,
                modifiers: egui::Modifiers::NONE,
            });
        }
        let start = Instant::now();
        let mut output = ctx.run_ui(input, |ui| {
            app.logic(ui.ctx(), &mut frame);
            app.ui(ui, &mut frame);
        });
        let _meshes = ctx.tessellate(std::mem::take(&mut output.shapes), output.pixels_per_point);
        let elapsed = start.elapsed();
        // No GPU here: texture uploads are what a renderer would do next, outside egui's CPU work.
        output.textures_delta.clear();
        elapsed
    };

    let mut report = Vec::new();
    for (name, view, scroll, height) in [
        // 1600×1000: a 7×5 grid of posters in view while scrolling through 2,000.
        (
            "gallery, 2,000 videos, scrolling",
            View::Gallery,
            40.0,
            1000.0,
        ),
        // Tall enough that all ten queue cards, with all 50 input thumbnails, are on screen.
        (
            "create view, 50 reference thumbnails",
            View::Create,
            0.0,
            1700.0,
        ),
    ] {
        app.persisted.view = view;
        let warm = Instant::now();
        while warm.elapsed() < Duration::from_secs(20) {
            run(&mut app, 0.0, height);
            if !app.thumbs.busy() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let mut times: Vec<f64> = (0..FRAMES)
            .map(|i| {
                // Scroll down then back up, so rows enter and leave the viewport.
                let s = if i < FRAMES / 2 { scroll } else { -scroll };
                run(&mut app, s, height).as_secs_f64() * 1000.0
            })
            .collect();
        times.sort_by(|a, b| a.total_cmp(b));
        let median = times[times.len() / 2];
        let p95 = times[(times.len() as f64 * 0.95) as usize - 1];
        report.push((name, median, p95));
    }
    println!(
        "gallery_frames: {FRAMES} frames each, CPU time per frame (egui layout + tessellation)"
    );
    for (name, median, p95) in report {
        let verdict = if p95 < TARGET_P95_MS {
            "meets"
        } else {
            "MISSES"
        };
        println!(
            "  {name:<40} median {median:6.2} ms   p95 {p95:6.2} ms   (target p95 < {TARGET_P95_MS} ms: {verdict})"
        );
    }
}

/// One real clip hard-linked 2,000 times (distinct paths, so each is its own gallery item) and
/// 50 distinct PNG photos.
fn make_media(root: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let videos_dir = root.join("videos");
    let pics_dir = root.join("pictures");
    std::fs::create_dir_all(&videos_dir).expect("videos dir");
    std::fs::create_dir_all(&pics_dir).expect("pictures dir");
    let spec = reelsmith_sim::clip::ClipSpec {
        width: 320,
        height: 180,
        fps: 16,
        frames: 16,
    };
    let clip = reelsmith_sim::clip::render_clip(&spec, None).expect("clip");
    let first = videos_dir.join("clip-0000.mp4");
    std::fs::write(&first, clip).expect("write clip");
    let mut videos = vec![first.clone()];
    for i in 1..VIDEOS {
        let p = videos_dir.join(format!("clip-{i:04}.mp4"));
        if std::fs::hard_link(&first, &p).is_err() {
            std::fs::copy(&first, &p).expect("copy clip");
        }
        videos.push(p);
    }
    let pictures = (0..REFERENCES)
        .map(|i| {
            let p = pics_dir.join(format!("photo-{i:02}.png"));
            let img = image::RgbImage::from_fn(640, 480, |x, y| {
                image::Rgb([(x / 3) as u8, (y / 2) as u8, (i * 5) as u8])
            });
            img.save(&p).expect("png");
            p
        })
        .collect();
    (videos, pictures)
}

fn item(i: usize, path: &Path) -> LibraryItem {
    let when = Utc
        .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or_default()
        + chrono::Duration::minutes(i as i64);
    LibraryItem {
        job_id: format!("{i:032x}"),
        path: path.to_path_buf(),
        sidecar: path.with_extension("json"),
        endpoint_id: if i.is_multiple_of(3) {
            "fal-ai/kling-video/o1/standard/reference-to-video".into()
        } else {
            "fal-ai/veo3.1/image-to-video".into()
        },
        prompt: format!("shot {i}: a lighthouse keeper climbs the stairs as the storm comes in"),
        request_id: Some(format!("req-{i}")),
        seed: Some(i as i64),
        size: 50_000,
        blake3: String::new(),
        created_at: when,
        finished_at: when,
    }
}

fn job(i: usize, pictures: &[PathBuf]) -> Job {
    let mut job = Job::new(
        "fal-ai/kling-video/o1/standard/reference-to-video",
        &format!("job {i}: @Image1 walks through the market"),
        serde_json::json!({}),
    );
    job.uploads = pictures
        .iter()
        .map(|p| FileUpload {
            path: p.clone(),
            size: 100_000,
            sent: 100_000,
            blake3: None,
            url: None,
            reused: false,
        })
        .collect();
    job.set_state(JobState::Done);
    job
}
