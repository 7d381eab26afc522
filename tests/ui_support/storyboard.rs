//! The storyboard tests' clips with sound, their import into the library, and the moves a
//! user makes on the Storyboard view (shared by ui_storyboard and ui_player).

use std::path::PathBuf;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use reelsmith::ui::{StudioApp, StudioConfig};
use reelsmith_core::film::import_video;
use reelsmith_core::film::storyboard::Storyboard;
use reelsmith_core::store::Journal;
use reelsmith_sim::clip::{ClipSpec, render_clip_with_sound};

use super::{Env, settle, step_until, window_sized};

impl Env {
    /// A clip with sound made by the simulator's clip maker, outside the library.
    pub fn clip(&self, name: &str, width: u32, height: u32, frames: u32) -> PathBuf {
        let spec = ClipSpec {
            width,
            height,
            fps: 24,
            frames,
        };
        self.write_input(
            name,
            &render_clip_with_sound(&spec, None, Some(&Default::default())).unwrap(),
        )
    }

    /// Imports clips into the library the window will open (as `reelsmith import` would).
    pub fn import_clips(&self, config: &StudioConfig, clips: &[PathBuf]) -> Vec<PathBuf> {
        let journal = Journal::open_in(&config.data_dir).unwrap();
        std::fs::create_dir_all(&config.default_output_dir).unwrap();
        clips
            .iter()
            .map(|c| {
                import_video(&journal, c, &config.default_output_dir)
                    .unwrap()
                    .path
            })
            .collect()
    }

    /// The journal the window opens.
    pub fn journal(&self, config: &StudioConfig) -> Journal {
        Journal::open_in(&config.data_dir).unwrap()
    }
}

/// The simulator of these tests: an extend job ends within a second or so.
pub fn board_env() -> Env {
    Env::timed(Duration::from_millis(300), Duration::from_millis(400))
}

/// The window of these tests: a little shorter than the form's, as the storyboard view needs.
pub const BOARD_WINDOW: egui::Vec2 = egui::vec2(1400.0, 1100.0);

/// The app in a [`BOARD_WINDOW`] window; its first frames are not stepped yet.
pub fn board_window(config: StudioConfig) -> Harness<'static, StudioApp> {
    window_sized(config, BOARD_WINDOW)
}

/// Steps until the storyboard view has nothing under way, then lets the frames settle.
pub fn board_idle(h: &mut Harness<'_, StudioApp>) {
    step_until(
        h,
        "the storyboard view is idle",
        Duration::from_secs(20),
        |a| !a.storyboard.busy(),
    );
    settle(h);
}

/// The storyboard on show.
pub fn board(app: &StudioApp) -> Option<&Storyboard> {
    app.storyboard.board()
}

/// The library paths of the shots on show, in order (`None` for a slot still generating).
pub fn shot_paths(app: &StudioApp) -> Vec<Option<PathBuf>> {
    board(app)
        .map(|b| {
            b.shots
                .iter()
                .map(|s| s.clip.as_ref().map(|c| c.path.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// Presses at `from`, moves to `to` in steps, releases there (the pointer stays, as a hand's
/// would, so the target sees the release).
pub fn drag(h: &mut Harness<'_, StudioApp>, from: egui::Pos2, to: egui::Pos2) {
    h.hover_at(from);
    h.step();
    h.drag_at(from);
    h.step();
    for i in 1..=8 {
        h.hover_at(from + (to - from) * (i as f32 / 8.0));
        h.step();
    }
    h.event(egui::Event::PointerButton {
        pos: to,
        button: egui::PointerButton::Primary,
        pressed: false,
        modifiers: egui::Modifiers::NONE,
    });
    h.step();
    h.remove_cursor();
    settle(h);
}

/// The centre of the widget labelled `label`.
pub fn center_of(h: &Harness<'_, StudioApp>, label: &str) -> egui::Pos2 {
    h.get_by_label(label).rect().center()
}

/// Creates a storyboard called `name` with the view's "New storyboard" field.
pub fn make_board(h: &mut Harness<'_, StudioApp>, name: &str) {
    h.get_by_label("New storyboard").click();
    h.step();
    h.get_by_label("New storyboard").type_text(name);
    settle(h);
    h.get_by_label("New").click();
    step_until(h, "the storyboard exists", Duration::from_secs(10), |a| {
        board(a).is_some()
    });
    settle(h);
}
