//! Start-up measurement hooks for `benches/startup.rs`, all off unless an env var asks:
//! log (and optionally exit after) the first rendered frame, and queue demo jobs in the simulator.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// `1`: print the first-frame line to stderr and close the window right after that frame.
pub const EXIT_AFTER_FIRST_FRAME_ENV: &str = "REELSMITH_EXIT_AFTER_FIRST_FRAME";
/// `1`: print the first-frame line to stderr and keep running.
pub const LOG_FIRST_FRAME_ENV: &str = "REELSMITH_LOG_FIRST_FRAME";
/// `1`: print `reelsmith: frame N` to stderr as each frame begins (the benchmark counts repaints).
pub const LOG_FRAMES_ENV: &str = "REELSMITH_LOG_FRAMES";
/// The fixed start of a frame line.
pub const FRAME_PREFIX: &str = "reelsmith: frame ";
/// `N` (simulator only): queue N text-to-video jobs at start that stay running for minutes.
pub const DEMO_JOBS_ENV: &str = "REELSMITH_DEMO_JOBS";
/// The fixed start of the first-frame line: `reelsmith: first frame rendered after 123.4 ms`.
pub const FIRST_FRAME_PREFIX: &str = "reelsmith: first frame rendered after ";
/// How long demo jobs run in the simulator: longer than any measurement.
pub const DEMO_RUN_TIME: Duration = Duration::from_secs(600);
/// The endpoint demo jobs use (text only: no media to upload).
pub const DEMO_ENDPOINT: &str = "fal-ai/veo3.1";

static STARTED: OnceLock<Instant> = OnceLock::new();

/// Records when the window was asked for (the first call wins); the first-frame time counts from here.
pub fn mark_start() {
    STARTED.get_or_init(Instant::now);
}

fn env_on(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v.trim() == "1")
}

/// The number of demo jobs asked for by [`DEMO_JOBS_ENV`] (0 when unset or not a number).
pub fn demo_job_count() -> u32 {
    std::env::var(DEMO_JOBS_ENV)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0)
}

/// Reports the first frame once it has been painted.
#[derive(Debug, Default)]
pub struct FirstFrameProbe {
    log: bool,
    exit: bool,
    log_frames: bool,
    frames_begun: u64,
}

impl FirstFrameProbe {
    /// Reads [`EXIT_AFTER_FIRST_FRAME_ENV`], [`LOG_FIRST_FRAME_ENV`] and [`LOG_FRAMES_ENV`].
    pub fn from_env() -> FirstFrameProbe {
        let exit = env_on(EXIT_AFTER_FIRST_FRAME_ENV);
        FirstFrameProbe {
            log: exit || env_on(LOG_FIRST_FRAME_ENV),
            exit,
            log_frames: env_on(LOG_FRAMES_ENV),
            frames_begun: 0,
        }
    }

    /// Call at the start of every frame. eframe paints and presents a frame before it begins the
    /// next, so the first frame counts as rendered when the second one begins.
    pub fn frame_begins(&mut self, ctx: &egui::Context) {
        self.frames_begun += 1;
        if self.log_frames {
            eprintln!("{FRAME_PREFIX}{}", self.frames_begun);
        }
        if !self.log || self.frames_begun > 2 {
            return;
        }
        if self.frames_begun == 1 {
            // An idle window would never begin a second frame on its own.
            ctx.request_repaint();
            return;
        }
        let started = STARTED.get_or_init(Instant::now);
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        eprintln!("{FIRST_FRAME_PREFIX}{ms:.1} ms");
        if self.exit {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
    }
}
