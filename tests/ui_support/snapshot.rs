//! Snapshot tests' setup: the themes, a wgpu-rendered window (lavapipe headless; see the
//! README), and fixed times so the pictures stay the same from run to run. The reference
//! PNGs are in tests/snapshots/, compared by egui_kittest's `try_snapshot` defaults.

use std::time::Duration;

use chrono::TimeZone;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use reelsmith::ui::app::Persisted;
use reelsmith::ui::{StudioApp, StudioConfig};

use super::drive::{settle, step_until};

/// Each snapshot is taken in both themes, named `<name>_light` and `<name>_dark`.
pub const THEMES: [(egui::Theme, &str); 2] =
    [(egui::Theme::Light, "light"), (egui::Theme::Dark, "dark")];

/// The window size of most snapshots.
pub const SNAPSHOT: egui::Vec2 = egui::vec2(1280.0, 800.0);

/// The app in a window of `size` drawn by wgpu in `theme`, with times shown in UTC (so a
/// picture does not depend on the machine's time zone).
pub fn snapshot_window(
    config: StudioConfig,
    theme: egui::Theme,
    size: egui::Vec2,
) -> Harness<'static, StudioApp> {
    reelsmith::ui::show_times_in_utc(true);
    Harness::builder()
        .with_size(size)
        .with_theme(theme)
        .with_max_steps(20)
        .wgpu()
        .build_eframe(move |cc| StudioApp::with_state(&cc.egui_ctx, config, Persisted::default()))
}

/// `h:m` UTC on the snapshots' day, 2026-01-28.
pub fn at(h: u32, m: u32) -> chrono::DateTime<chrono::Utc> {
    chrono::Utc
        .with_ymd_and_hms(2026, 1, 28, h, m, 0)
        .single()
        .unwrap()
}

/// Stamps fal's live prices with a fixed fetch time once they are in, so the form's price
/// line shows a real date that stays the same from run to run (the fetch itself ran at the
/// wall clock).
pub fn pin_price_times(h: &mut Harness<'_, StudioApp>) {
    step_until(h, "fal's live prices", Duration::from_secs(20), |a| {
        !a.money.busy() && !prices_of(a).prices.is_empty()
    });
    for price in prices_of(h.state()).prices.values_mut() {
        price.fetched_at = at(10, 5);
    }
    h.state_mut().invalidate();
    settle(h);
    assert!(
        h.query_by_label_contains("fal's live price, fetched 2026-01-28 10:05 UTC")
            .is_some(),
        "the price line shows the pinned fetch time"
    );
}

fn prices_of(app: &StudioApp) -> std::sync::MutexGuard<'_, reelsmith_core::money::PriceBook> {
    app.money
        .handle
        .prices
        .lock()
        .unwrap_or_else(|e| e.into_inner())
}
