//! Frame cost of the studio window with a large library: 10,000 videos in the gallery (issue 15)
//! and 50 reference thumbnails in the queue. Drives the real app through egui (layout and
//! tessellation: the CPU work of a frame) and prints the median and p95 per frame beside the
//! target and the figure measured before the gallery ran on the library index. Then scrolls the
//! whole library, page by page, letting every poster in view load, and prints the poster cache's
//! peak texture memory beside its bound.
//!
//! Run: `cargo bench --bench gallery_frames`

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use eframe::App;
use reelsmith::ui::app::{Persisted, View};
use reelsmith::ui::engine_link::EngineLink;
use reelsmith::ui::{Service, StudioApp, StudioConfig};
use reelsmith_core::jobs::Job;
use reelsmith_core::library::LibraryItem;

#[path = "gallery_frames/media.rs"]
mod media;
// The same clock as the GUI tests' frame budgets (tests/session.rs).
#[path = "../tests/ui_support/cpu_time.rs"]
mod cpu_time;

use cpu_time::thread_cpu_time;

const VIDEOS: usize = 10_000;
const REFERENCES: usize = 50;
const FRAMES: usize = 300;
/// Issue 15: frame CPU time with 10,000 videos, scrolling and searching.
const TARGET_P95_MS: f64 = 2.0;
/// Issue 15: a search keystroke over 10,000 prompts.
const KEYSTROKE_TARGET_MS: f64 = 5.0;
/// The poster cache's bound on texture memory (src/ui/thumbs.rs).
const TEXTURE_BOUND_BYTES: usize = reelsmith::ui::thumbs::MAX_TEXTURE_BYTES;
/// Wheel distance per step of the whole-library walk (a little under one screen).
const PAGE: f32 = 900.0;

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
    let made = Instant::now();
    let (videos, pictures) = media::make(dir.path(), VIDEOS, REFERENCES);
    println!(
        "gallery_frames: {VIDEOS} videos and {REFERENCES} photos made in {:.1} s",
        made.elapsed().as_secs_f64()
    );
    let ctx = egui::Context::default();
    let config = StudioConfig::in_dir(dir.path(), Service::simulator(Arc::new(sim)));
    let app = StudioApp::with_state(&ctx, config, Persisted::default());
    let mut bench = Bench {
        app,
        ctx: ctx.clone(),
        frame: eframe::Frame::_new_kittest(),
    };
    let library: Vec<LibraryItem> = videos
        .iter()
        .enumerate()
        .map(|(i, p)| media::item(i, p))
        .collect();
    let jobs: Vec<Job> = pictures
        .chunks(5)
        .enumerate()
        .map(|(i, chunk)| media::job(i, chunk))
        .collect();
    bench.app.engine = EngineLink::detached(&ctx, jobs, library);
    bench.app.persisted.view = View::Gallery;
    let ready = Instant::now();
    while !(bench.app.studio_ready() && bench.app.gallery.index.index.len() == VIDEOS) {
        assert!(
            ready.elapsed() < Duration::from_secs(60),
            "the gallery never held the {VIDEOS} videos"
        );
        bench.run(0.0, 1000.0);
        std::thread::sleep(Duration::from_millis(10));
    }

    let mut report = Vec::new();
    // 1600×1000: a 7×5 grid of posters in view while scrolling through all 10,000.
    bench.settle(1000.0);
    report.push(bench.measure("gallery, scrolling", 40.0, 1000.0, "p95 14.8 ms (issue 15)"));
    // A search for one word keeps one video in five; the grid scrolls through those.
    bench.app.gallery.search = "fox".into();
    bench.settle(1000.0);
    report.push(bench.measure(
        "gallery, searching \"fox\", scrolling",
        40.0,
        1000.0,
        "not measured",
    ));
    let keystrokes = bench.keystrokes();
    bench.app.gallery.search.clear();
    // Tall enough that all ten queue cards, with all 50 input thumbnails, are on screen.
    bench.app.persisted.view = View::Create;
    bench.settle(1700.0);
    report.push(bench.measure(
        "create view, 50 reference thumbnails",
        0.0,
        1700.0,
        "2.43 ms (issue 15)",
    ));

    println!(
        "gallery_frames: {FRAMES} frames each, CPU time per frame (egui layout + tessellation), \
         {VIDEOS} videos in the library"
    );
    for (name, times, before) in &report {
        let p95 = percentile(times, 0.95);
        println!(
            "  {name:<42} median {:6.2} ms   p95 {p95:6.2} ms   (target p95 < {TARGET_P95_MS} ms: {}; \
             before, at 10,000: {before})",
            percentile(times, 0.5),
            verdict(p95 < TARGET_P95_MS)
        );
    }
    let p95 = percentile(&keystrokes, 0.95);
    println!(
        "  {:<42} median {:6.2} ms   p95 {p95:6.2} ms   max {:6.2} ms   (target < {KEYSTROKE_TARGET_MS} ms: {})",
        "search keystrokes (a new query each frame)",
        percentile(&keystrokes, 0.5),
        percentile(&keystrokes, 1.0),
        verdict(p95 < KEYSTROKE_TARGET_MS)
    );

    bench.app.persisted.view = View::Gallery;
    let walk = bench.walk_library();
    println!(
        "whole library scrolled in {} steps of {PAGE} pt, each step's posters loaded ({:.1} s): \
         {} distinct posters drawn",
        walk.steps,
        walk.took.as_secs_f64(),
        walk.posters_seen
    );
    println!(
        "  poster cache: peak {} textures, {:.1} MiB   (bound {:.1} MiB: {})",
        walk.peak_textures,
        mib(walk.peak_bytes),
        mib(TEXTURE_BOUND_BYTES),
        verdict(walk.peak_bytes <= TEXTURE_BOUND_BYTES)
    );
    println!(
        "  process resident memory: {:.1} MiB before the walk, peak {:.1} MiB during it",
        mib(walk.rss_before),
        mib(walk.rss_peak)
    );
}

/// The app, its egui context and the frame it draws into.
struct Bench {
    app: StudioApp,
    ctx: egui::Context,
    frame: eframe::Frame,
}

/// What the whole-library walk saw.
struct Walk {
    steps: usize,
    took: Duration,
    posters_seen: usize,
    peak_textures: usize,
    peak_bytes: usize,
    rss_before: usize,
    rss_peak: usize,
}

impl Bench {
    /// One frame of a 1600 × `height` window, wheel-scrolled by `scroll` points; the CPU time
    /// this thread spent on it.
    fn run(&mut self, scroll: f32, height: f32) -> Duration {
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
        let app = &mut self.app;
        let frame = &mut self.frame;
        let start = thread_cpu_time();
        let mut output = self.ctx.run_ui(input, |ui| {
            app.logic(ui.ctx(), frame);
            app.ui(ui, frame);
        });
        let _meshes = self
            .ctx
            .tessellate(std::mem::take(&mut output.shapes), output.pixels_per_point);
        let elapsed = thread_cpu_time().saturating_sub(start);
        // No GPU here: texture uploads are what a renderer would do next, outside egui's CPU work.
        output.textures_delta.clear();
        elapsed
    }

    /// Draws until every thumbnail and poster in view has decoded (at most 20 s), so that
    /// measured frames are drawing, not waiting.
    fn settle(&mut self, height: f32) {
        let start = Instant::now();
        self.run(0.0, height);
        while self.app.thumbs.busy() && start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(10));
            self.run(0.0, height);
        }
        self.run(0.0, height);
    }

    /// `FRAMES` frames scrolling down by `scroll` then back up, in milliseconds, sorted.
    fn measure(
        &mut self,
        name: &'static str,
        scroll: f32,
        height: f32,
        before: &'static str,
    ) -> (&'static str, Vec<f64>, &'static str) {
        let mut times: Vec<f64> = (0..FRAMES)
            .map(|i| {
                let s = if i < FRAMES / 2 { scroll } else { -scroll };
                ms(self.run(s, height))
            })
            .collect();
        times.sort_by(|a, b| a.total_cmp(b));
        (name, times, before)
    }

    /// `FRAMES` frames, each with the search box holding the next text of someone typing words
    /// and clearing them: the query runs again over all 10,000 videos every frame.
    fn keystrokes(&mut self) -> Vec<f64> {
        let words = ["lighthouse", "fox", "neon", "train", "flooded"];
        let mut texts = Vec::new();
        for word in words {
            for end in 1..=word.len() {
                texts.push(word[..end].to_string());
            }
            texts.push(String::new());
        }
        let mut times: Vec<f64> = (0..FRAMES)
            .map(|i| {
                self.app.gallery.search = texts[i % texts.len()].clone();
                ms(self.run(0.0, 1000.0))
            })
            .collect();
        times.sort_by(|a, b| a.total_cmp(b));
        times
    }

    /// Scrolls from the top of the library to its end a page at a time, letting each page's
    /// posters load, and records the poster cache's texture memory as it goes.
    fn walk_library(&mut self) -> Walk {
        let start = Instant::now();
        let rss_before = resident_bytes();
        let mut walk = Walk {
            steps: 0,
            took: Duration::ZERO,
            posters_seen: 0,
            peak_textures: 0,
            peak_bytes: 0,
            rss_before,
            rss_peak: rss_before,
        };
        let mut seen: HashSet<String> = HashSet::new();
        // Newest first: the oldest video (number 0) is the last cell of the grid.
        let last = "clip-00000.mp4";
        let max_steps = VIDEOS; // far more than the grid needs at 7 columns
        while walk.steps < max_steps {
            walk.steps += 1;
            self.run(PAGE, 1000.0);
            // Let the scroll animation end and the posters in view decode.
            for _ in 0..10 {
                self.run(0.0, 1000.0);
            }
            self.settle(1000.0);
            let (count, bytes) = self.poster_textures(&mut seen);
            walk.peak_textures = walk.peak_textures.max(count);
            walk.peak_bytes = walk.peak_bytes.max(bytes);
            walk.rss_peak = walk.rss_peak.max(resident_bytes());
            if seen.iter().any(|name| name.ends_with(last)) {
                break;
            }
        }
        walk.posters_seen = seen.len();
        walk.took = start.elapsed();
        walk
    }

    /// The poster and thumbnail textures alive now (count, bytes); adds their names to `seen`.
    fn poster_textures(&self, seen: &mut HashSet<String>) -> (usize, usize) {
        let manager = self.ctx.tex_manager();
        let manager = manager.read();
        let mut count = 0;
        let mut bytes = 0;
        for (_, meta) in manager.allocated() {
            if meta.name.starts_with("poster:") || meta.name.starts_with("thumb:") {
                count += 1;
                bytes += meta.bytes_used();
                if meta.name.starts_with("poster:") && !seen.contains(&meta.name) {
                    seen.insert(meta.name.clone());
                }
            }
        }
        (count, bytes)
    }
}

/// The process's resident set size (VmRSS), 0 where /proc is not there.
fn resident_bytes() -> usize {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<usize>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

/// The value below which `q` of the sorted `times` fall.
fn percentile(times: &[f64], q: f64) -> f64 {
    let i = ((times.len() as f64 * q).ceil() as usize).clamp(1, times.len()) - 1;
    times[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "meets" } else { "MISSES" }
}
