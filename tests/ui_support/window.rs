//! The app under egui_kittest: harnesses of a given size, fresh or with a saved window state.

use std::time::Duration;

use egui_kittest::{Harness, HarnessBuilder};
use reelsmith::ui::app::Persisted;
use reelsmith::ui::{StudioApp, StudioConfig};

use super::drive::step_until;
use super::env::Env;

/// The window size most GUI tests use: tall enough that the whole form is in view.
pub const WINDOW: egui::Vec2 = egui::vec2(1400.0, 1300.0);

/// A harness builder for a window of `size`.
pub fn builder(size: egui::Vec2) -> HarnessBuilder<StudioApp> {
    Harness::builder().with_size(size).with_max_steps(20)
}

/// The app in a [`WINDOW`], with no saved state; its first frames are not stepped yet.
pub fn window(config: StudioConfig) -> Harness<'static, StudioApp> {
    window_sized(config, WINDOW)
}

/// The app in a window of `size`, with no saved state.
pub fn window_sized(config: StudioConfig, size: egui::Vec2) -> Harness<'static, StudioApp> {
    builder(size)
        .build_eframe(move |cc| StudioApp::with_state(&cc.egui_ctx, config, Persisted::default()))
}

/// The app in a [`WINDOW`], started from `persisted` (as eframe restores it between runs).
pub fn window_restored(config: StudioConfig, persisted: Persisted) -> Harness<'static, StudioApp> {
    builder(WINDOW).build_eframe(move |cc| StudioApp::with_state(&cc.egui_ctx, config, persisted))
}

impl Env {
    /// The app, opened on the studio.
    pub fn harness(&self) -> Harness<'static, StudioApp> {
        self.harness_with(self.config())
    }

    /// The app with this configuration (e.g. injected file pickers), opened on the studio.
    pub fn harness_with(&self, config: StudioConfig) -> Harness<'static, StudioApp> {
        let mut h = window(config);
        step_until(&mut h, "the studio opens", Duration::from_secs(10), |a| {
            a.studio_ready()
        });
        h
    }
}
