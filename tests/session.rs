//! One core for both front ends: the window and the command line set up the engine through the
//! core session (the same settings file, journal and library), and the window never waits on
//! it inside a frame.

mod ui_support;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use reelsmith::ui::app::{Action, Screen};
use reelsmith::ui::{StudioApp, StudioConfig};
use reelsmith_core::jobs::{Job, JobState};
use reelsmith_core::schema::FieldValue;
use reelsmith_core::settings::Settings;
use reelsmith_core::store::Journal;
use reelsmith_sim::SimConfig;
use ui_support::*;

/// A frame may use at most this much of the UI thread's CPU time.
const FRAME_CPU_LIMIT: Duration = Duration::from_millis(50);
/// Building the window and its first frame may use at most this (the first-frame target).
const START_CPU_LIMIT: Duration = Duration::from_millis(250);

/// The simulator with these times in queue and running; no settings file.
fn session_env(queue: Duration, run: Duration) -> Env {
    Env::with_sim(SimConfig {
        queue_time: queue,
        run_time: run,
        ..SimConfig::default()
    })
}

// The window and the command line over the same folders, on the shared Env.
impl Env {
    /// The window's folders under the root, with "Choose…" in Settings answering `folder`.
    fn config_choosing(&self, folder: PathBuf) -> StudioConfig {
        let mut config = self.config();
        config.pick_folder = Arc::new(move |_| Some(folder.clone()));
        config
    }

    /// `reelsmith` over the same folders as the window (and `REELSMITH_OUTPUT_DIR` naming the
    /// window's default library, which a folder chosen in Settings must win over).
    fn cli(&self, args: &[&str]) -> Command {
        let root = self.root.path();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_reelsmith"));
        cmd.args(args)
            .env("REELSMITH_CONFIG_DIR", root.join("config"))
            .env("REELSMITH_DATA_DIR", root.join("data"))
            .env("REELSMITH_CACHE_DIR", root.join("cache"))
            .env("REELSMITH_OUTPUT_DIR", root.join("videos"))
            .env("REELSMITH_KEYSTORE", "none")
            .env("REELSMITH_SESSION_REPORT", "1")
            .env("HOME", root.join("home"))
            .env_remove("REELSMITH_MAX_JOBS")
            .env_remove("FAL_KEY")
            .env_remove("RUST_LOG");
        cmd
    }
}

/// The window of these tests.
const SIZE: egui::Vec2 = egui::vec2(1400.0, 1000.0);

/// Steps one frame; its CPU time on this thread.
fn timed_step(h: &mut Harness<'_, StudioApp>) -> Duration {
    let before = thread_cpu_time();
    h.step();
    thread_cpu_time() - before
}

/// A journal of `count` finished jobs, so that reading it is real work.
fn big_journal(data_dir: &Path, count: usize) {
    let journal = Journal::open_in(data_dir).unwrap();
    for i in 0..count {
        let prompt = format!("shot {i}: the harbour at night, lights on the water");
        let mut job = Job::new(
            "fal-ai/veo3.1",
            &prompt,
            serde_json::json!({"prompt": prompt}),
        );
        job.simulated = true;
        job.set_state(JobState::Done);
        journal.save_job(&job).unwrap();
    }
}

#[test]
fn a_folder_chosen_in_settings_is_where_the_command_line_saves() {
    let env = session_env(Duration::from_millis(100), Duration::from_millis(150));
    let chosen = env.root.path().join("chosen library");
    std::fs::create_dir_all(&chosen).unwrap();
    let window_summary = {
        let _rt = env.rt.enter();
        let config = env.config_choosing(chosen.clone());
        let mut h = window_sized(config, SIZE);
        step_until(&mut h, "the engine runs", Duration::from_secs(20), |a| {
            a.screen == Screen::Studio && a.engine.is_ready() && a.engine.status().is_none()
        });
        h.get_by_label("Settings").click();
        h.run_steps(3);
        h.get_by_label("Choose…").click();
        step_until(
            &mut h,
            "the engine runs with the chosen folder",
            Duration::from_secs(20),
            |a| {
                a.engine.status().is_none()
                    && a.engine.summary().is_some_and(|s| s.output_dir == chosen)
            },
        );
        let saved = Settings::load(&env.root.path().join("config")).settings;
        assert_eq!(saved.output_dir.as_deref(), Some(chosen.as_path()));
        let summary = h.state().engine.summary().cloned().unwrap();
        h.state_mut().engine.shutdown();
        summary
    };
    let out = env
        .cli(&[
            "--simulate",
            "generate",
            "-e",
            "fal-ai/veo3.1",
            "-p",
            "a lighthouse at dusk",
            "--json",
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "generate failed: {stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let output = PathBuf::from(json["output"].as_str().unwrap());
    assert_eq!(
        output.parent(),
        Some(chosen.as_path()),
        "the command line saves into the folder chosen in the window"
    );
    assert!(output.is_file());
    // Both front ends started their engine through the session's one constructor: the same
    // settings file, journal, library, jobs at once and scratch folder.
    let line = stderr
        .lines()
        .find_map(|l| l.strip_prefix("reelsmith: session: "))
        .unwrap_or_else(|| panic!("no session line in: {stderr}"));
    assert_eq!(line, window_summary.to_string());
}

#[test]
fn changing_jobs_in_flight_and_the_folder_while_jobs_run_never_blocks_a_frame() {
    let env = session_env(Duration::from_millis(200), Duration::from_secs(4));
    big_journal(&env.root.path().join("data"), 5000);
    let _rt = env.rt.enter();
    let chosen = env.root.path().join("elsewhere");
    std::fs::create_dir_all(&chosen).unwrap();
    let config = env.config_choosing(chosen.clone());
    let built = thread_cpu_time();
    let mut h = window_sized(config, SIZE);
    let construction = thread_cpu_time() - built;
    let first = timed_step(&mut h);
    // Building the test window (fonts, styles) is most of the start-up cost in a debug build and
    // is bounded by the start-up budget; the frames themselves by the frame limit. That the first
    // frame did not wait for the journal is shown by "Opening the journal" below.
    assert!(
        construction + first < START_CPU_LIMIT,
        "building the window ({construction:?}) and its first frame ({first:?}) took too much CPU"
    );
    assert!(
        first < FRAME_CPU_LIMIT,
        "the first frame took {first:?} of CPU (limit {FRAME_CPU_LIMIT:?})"
    );
    let mut seen_opening = h
        .query_all_by_label_contains("Opening the journal")
        .next()
        .is_some();
    let mut worst = first;
    let start = Instant::now();
    while !(h.state().engine.is_ready() && h.state().engine.status().is_none()) {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the engine never started"
        );
        worst = worst.max(timed_step(&mut h));
        seen_opening |= h
            .query_all_by_label_contains("Opening the journal")
            .next()
            .is_some();
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(seen_opening, "the window said it was opening the journal");
    assert_eq!(h.state().engine.jobs().len(), 5000);
    // Jobs run while the settings change.
    h.state_mut()
        .act(Action::SelectEndpoint("fal-ai/veo3.1".into()));
    h.run_steps(2);
    let form = h.state_mut().form_state_mut().expect("the form");
    form.values.insert(
        "prompt".into(),
        FieldValue::Text("a lighthouse at dusk, waves rolling in".into()),
    );
    h.state_mut().invalidate();
    h.run_steps(2);
    h.state_mut().persisted.variations = 3;
    h.state_mut().act(Action::Generate);
    step_until(&mut h, "jobs run", Duration::from_secs(20), |a| {
        a.engine.active_count() == 3
    });
    h.get_by_label("Settings").click();
    h.run_steps(2);
    let mut settings = h.state().engine.settings().clone();
    settings.jobs_in_flight = 2;
    h.state_mut().act(Action::ApplySettings {
        settings,
        restart: true,
    });
    let mut seen_restart = false;
    for _ in 0..3 {
        worst = worst.max(timed_step(&mut h));
        seen_restart |= h
            .query_all_by_label_contains("Restarting the engine")
            .next()
            .is_some();
    }
    h.get_by_label("Choose…").click();
    let start = Instant::now();
    loop {
        worst = worst.max(timed_step(&mut h));
        seen_restart |= h
            .query_all_by_label_contains("Restarting the engine")
            .next()
            .is_some();
        let a = h.state();
        if a.engine.status().is_none()
            && a.engine
                .summary()
                .is_some_and(|s| s.output_dir == chosen && s.jobs_in_flight == 2)
        {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the restarts never finished"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    assert!(seen_restart, "the window said the engine was restarting");
    step_until(&mut h, "the jobs finish", Duration::from_secs(60), |a| {
        a.engine.active_count() == 0
    });
    let done = h
        .state()
        .engine
        .jobs()
        .iter()
        .filter(|j| j.state == JobState::Done && j.output_path.is_some())
        .count();
    assert_eq!(done, 3, "the jobs running through both restarts finished");
    assert!(
        worst < FRAME_CPU_LIMIT,
        "a frame took {worst:?} of CPU (limit {FRAME_CPU_LIMIT:?})"
    );
}
