//! What the queue and batch GUI tests share: a runtime, the simulator and temporary folders,
//! the app under egui_kittest, and helpers that drive it the way a user does.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use reelsmith::ui::app::Persisted;
use reelsmith::ui::{Service, StudioApp, StudioConfig};
use reelsmith_core::settings::Settings;
use reelsmith_sim::{SimConfig, Simulator};

/// A runtime, a simulator and temporary folders for one test.
pub struct Env {
    pub rt: tokio::runtime::Runtime,
    pub sim: Arc<Simulator>,
    pub root: tempfile::TempDir,
}

impl Env {
    /// The simulator with these times in queue and running; the shared settings file says
    /// the same (the window gives the simulator the settings' timing) and `in_flight`.
    pub fn new(queue: Duration, run: Duration, in_flight: u32) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sim = rt
            .block_on(Simulator::start(SimConfig {
                queue_time: queue,
                run_time: run,
                ..SimConfig::default()
            }))
            .unwrap();
        let env = Env {
            rt,
            sim: Arc::new(sim),
            root: tempfile::tempdir().unwrap(),
        };
        let settings = Settings {
            jobs_in_flight: in_flight,
            sim_queue_secs: queue.as_secs_f32(),
            sim_run_secs: run.as_secs_f32(),
            ..Settings::default()
        };
        settings.save(&env.config_dir()).unwrap();
        env
    }

    /// The config folder (settings, presets).
    pub fn config_dir(&self) -> PathBuf {
        self.root.path().join("config")
    }

    /// The app's configuration against the simulator.
    pub fn config(&self) -> StudioConfig {
        StudioConfig::in_dir(self.root.path(), Service::simulator(Arc::clone(&self.sim)))
    }

    /// A path under the inputs folder.
    pub fn file(&self, name: &str) -> PathBuf {
        self.root.path().join("inputs").join(name)
    }

    /// A real PNG of `w`×`h`, coloured by `tint`.
    pub fn png(&self, name: &str, w: u32, h: u32, tint: u8) -> PathBuf {
        let p = self.file(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, tint])
        });
        img.save(&p).unwrap();
        p
    }

    /// The app, opened on the studio.
    pub fn harness(&self) -> Harness<'static, StudioApp> {
        self.harness_with(self.config())
    }

    /// The app with this configuration (e.g. injected file pickers), opened on the studio.
    pub fn harness_with(&self, config: StudioConfig) -> Harness<'static, StudioApp> {
        let mut h = Harness::builder()
            .with_size(egui::vec2(1400.0, 1300.0))
            .with_max_steps(20)
            .build_eframe(move |cc| {
                StudioApp::with_state(&cc.egui_ctx, config, Persisted::default())
            });
        step_until(&mut h, "the studio opens", Duration::from_secs(10), |a| {
            a.studio_ready()
        });
        h
    }
}

/// Steps (sleeping a little between frames, since the work runs on other threads) until `done`.
pub fn step_until(
    h: &mut Harness<'_, StudioApp>,
    what: &str,
    timeout: Duration,
    done: impl Fn(&StudioApp) -> bool,
) {
    let start = Instant::now();
    loop {
        h.step();
        if done(h.state()) {
            return;
        }
        if start.elapsed() > timeout {
            let jobs: Vec<String> = h
                .state()
                .engine
                .jobs()
                .iter()
                .map(|j| format!("{} {:?} {:?}", j.endpoint_id, j.state, j.failure))
                .collect();
            panic!("timed out waiting until {what}; jobs: {jobs:#?}");
        }
        std::thread::sleep(Duration::from_millis(15));
    }
}

/// A few frames, so that answers of background work are drawn.
pub fn settle(h: &mut Harness<'_, StudioApp>) {
    for _ in 0..4 {
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[derive(Debug)]
struct TestFile(PathBuf);

impl egui::DroppedFile for TestFile {
    fn path(&self) -> &Path {
        &self.0
    }
    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

/// Drops `files` on the drop zone of `field`, as the file manager does.
pub fn drop_files(h: &mut Harness<'_, StudioApp>, field: &str, files: &[&Path]) {
    settle(h);
    let rect = h
        .state()
        .inbox
        .zone_rect(field)
        .unwrap_or_else(|| panic!("no drop zone {field}"));
    h.hover_at(rect.center());
    for f in files {
        h.input_mut().hovered_files.push(egui::HoveredFile {
            path: Some(f.to_path_buf()),
            mime: String::new(),
        });
    }
    h.step();
    h.input_mut().hovered_files.clear();
    for f in files {
        h.input_mut()
            .dropped_files
            .push(Arc::new(TestFile(f.to_path_buf())));
    }
    h.step();
    settle(h);
}

/// Picks an endpoint in the list on the left.
pub fn click_endpoint(h: &mut Harness<'_, StudioApp>, endpoint_id: &str) {
    let entry = h
        .state()
        .entries
        .iter()
        .find(|e| e.endpoint_id == endpoint_id)
        .cloned()
        .unwrap_or_else(|| panic!("{endpoint_id} is not in the picker"));
    let label = format!("{} {}", entry.family, entry.name);
    h.get_by_label(&label).scroll_to_me();
    settle(h);
    h.get_by_label(&label).click();
    settle(h);
    assert_eq!(h.state().endpoint_id(), Some(endpoint_id));
}

/// Types into the prompt.
pub fn type_prompt(h: &mut Harness<'_, StudioApp>, text: &str) {
    h.get_by_label("Prompt").click();
    h.step();
    h.get_by_label("Prompt").type_text(text);
    settle(h);
}

/// Waits until thumbnails and media facts are ready.
pub fn wait_for_media(h: &mut Harness<'_, StudioApp>) {
    step_until(h, "thumbnails and facts", Duration::from_secs(20), |a| {
        !a.thumbs.busy()
    });
    settle(h);
}

/// Clicks the widget labelled `label` (scrolled into view first).
pub fn click(h: &mut Harness<'_, StudioApp>, label: &str) {
    h.get_by_label(label).scroll_to_me();
    h.step();
    h.get_by_label(label).click();
    settle(h);
}
