//! The studio window (eframe/egui): one file per panel, a theme and small shared widgets.
//!
//! Data flows one way: panels return [`app::Action`]s, the app applies them (starting work on
//! the tokio runtime), and workers wake the UI with `request_repaint` when something changes.

pub mod app;
pub mod banner;
pub mod budget_notice;
pub mod budget_settings;
pub mod closing;
pub mod config;
pub mod endpoints;
pub mod engine_link;
pub mod form;
pub mod gallery;
pub mod help;
pub mod keystore;
pub mod model_browser;
pub mod money_link;
pub mod player;
pub mod queue;
pub mod references;
pub mod save_copy;
pub mod settings;
pub mod spend_strip;
pub mod startup;
pub mod storyboard;
pub mod system_open;
pub mod task;
pub mod theme;
pub mod thumbs;
pub mod unknown_card;
pub mod welcome;
pub mod widgets;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub use app::StudioApp;

/// When set, clock times are drawn in UTC rather than the machine's zone.
static TIMES_IN_UTC: AtomicBool = AtomicBool::new(false);

/// Draws clock times in UTC instead of local time (snapshot tests must not depend on the zone).
pub fn show_times_in_utc(on: bool) {
    TIMES_IN_UTC.store(on, Ordering::Relaxed);
}

/// A moment as the user should read it: local time, or UTC when [`show_times_in_utc`] is on.
pub(crate) fn display_time(
    t: chrono::DateTime<chrono::Utc>,
) -> chrono::DateTime<chrono::FixedOffset> {
    if TIMES_IN_UTC.load(Ordering::Relaxed) {
        t.fixed_offset()
    } else {
        t.with_timezone(&chrono::Local).fixed_offset()
    }
}
pub use config::{Service, StudioConfig};

/// The window's initial and smallest sizes, in points.
const INITIAL_SIZE: [f32; 2] = [1360.0, 860.0];
const MIN_SIZE: [f32; 2] = [960.0, 620.0];

/// Opens the studio window; `simulate` runs it against the in-process simulator.
pub fn run(simulate: bool) -> anyhow::Result<()> {
    startup::mark_start();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("reelsmith-worker")
        .build()?;
    // poll-promise spawns on the current runtime, so the UI thread must be inside it.
    let _guard = runtime.enter();
    let service = if simulate {
        let sim = runtime
            .block_on(reelsmith_sim::Simulator::start(
                reelsmith_sim::SimConfig::default(),
            ))
            .map_err(|e| anyhow::anyhow!("could not start the simulator: {e}"))?;
        Service::simulator(Arc::new(sim))
    } else {
        Service::live(reelsmith_core::fal::FalUrls::from_env())
    };
    let config = StudioConfig::from_env(service);
    let persistence = config.data_dir.join("window.ron");
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("reelsmith")
        .with_app_id("ai.reelsmith.Reelsmith")
        .with_inner_size(INITIAL_SIZE)
        .with_min_inner_size(MIN_SIZE)
        .with_drag_and_drop(true);
    if let Ok(icon) =
        eframe::icon_data::from_png_bytes(include_bytes!("../../assets/icons/reelsmith-256.png"))
    {
        viewport = viewport.with_icon(Arc::new(icon));
    }
    let options = eframe::NativeOptions {
        viewport,
        persist_window: true,
        persistence_path: Some(persistence),
        ..Default::default()
    };
    eframe::run_native(
        "reelsmith",
        options,
        Box::new(move |cc| Ok(Box::new(StudioApp::new(cc, config)))),
    )
    .map_err(|e| anyhow::anyhow!("could not open the window: {e}"))
}
