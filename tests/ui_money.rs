//! GUI tests of money in the window (egui_kittest against the in-process simulator): the model
//! browser, the spend strip and a Generate the budget refuses, with snapshots.

use std::sync::Arc;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;

use reelsmith::ui::app::{Persisted, Screen};
use reelsmith::ui::{Service, StudioApp, StudioConfig};
use reelsmith_core::catalog::browse::ResultSource;
use reelsmith_sim::{KeyScope, Route, SimConfig, Simulator};

const THEMES: [(egui::Theme, &str); 2] =
    [(egui::Theme::Light, "light"), (egui::Theme::Dark, "dark")];

struct Env {
    rt: tokio::runtime::Runtime,
    sim: Arc<Simulator>,
    root: tempfile::TempDir,
}

impl Env {
    fn new(scope: KeyScope) -> Env {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let sim = rt
            .block_on(Simulator::start(SimConfig {
                queue_time: Duration::from_millis(100),
                run_time: Duration::from_millis(200),
                key_scope: scope,
                ..SimConfig::default()
            }))
            .unwrap();
        Env {
            rt,
            sim: Arc::new(sim),
            root: tempfile::tempdir().unwrap(),
        }
    }

    fn config(&self) -> StudioConfig {
        StudioConfig::in_dir(self.root.path(), Service::simulator(Arc::clone(&self.sim)))
    }

    /// Writes the shared settings file with a daily budget, before the window opens.
    fn daily_budget(&self, usd: f64) {
        let config = self.config();
        std::fs::create_dir_all(&config.config_dir).unwrap();
        std::fs::write(
            config.config_dir.join("settings.json"),
            format!(r#"{{"budgets": {{"daily_usd": {usd}}}}}"#),
        )
        .unwrap();
    }
}

fn harness(config: StudioConfig, theme: egui::Theme) -> Harness<'static, StudioApp> {
    reelsmith::ui::show_times_in_utc(true);
    Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .with_theme(theme)
        .with_max_steps(20)
        .wgpu()
        .build_eframe(move |cc| StudioApp::with_state(&cc.egui_ctx, config, Persisted::default()))
}

fn step_until(h: &mut Harness<'_, StudioApp>, what: &str, done: impl Fn(&StudioApp) -> bool) {
    let start = Instant::now();
    loop {
        h.step();
        if done(h.state()) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out waiting until {what}"
        );
        std::thread::sleep(Duration::from_millis(15));
    }
}

fn settle(h: &mut Harness<'_, StudioApp>) {
    for _ in 0..4 {
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
}

fn open_studio(h: &mut Harness<'_, StudioApp>) {
    step_until(h, "the studio opens with its prices and spend", |a| {
        a.screen == Screen::Studio && a.money.spend.is_some() && !a.money.busy()
    });
    settle(h);
}

/// Stamps fal's live prices with a fixed fetch time once they are in, so the form's price line
/// shows a real date that stays the same from run to run (the fetch ran at the wall clock).
fn pin_price_times(h: &mut Harness<'_, StudioApp>) {
    step_until(h, "fal's live prices", |a| {
        !a.money.busy() && !prices_of(a).prices.is_empty()
    });
    let fetched = chrono::DateTime::parse_from_rfc3339("2026-01-28T10:05:00Z")
        .map(|t| t.with_timezone(&chrono::Utc))
        .unwrap();
    for price in prices_of(h.state()).prices.values_mut() {
        price.fetched_at = fetched;
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

#[test]
fn the_model_browser_searches_shows_prices_and_adds_under_the_family() {
    let env = Env::new(KeyScope::Api);
    let _rt = env.rt.enter();
    let mut results = egui_kittest::SnapshotResults::new();
    for (theme, name) in THEMES {
        let mut h = harness(env.config(), theme);
        open_studio(&mut h);
        h.key_press_modifiers(
            egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
            egui::Key::K,
        );
        step_until(&mut h, "the catalog answers", |a| {
            a.browser.open
                && !a.browser.busy()
                && a.browser
                    .results
                    .as_ref()
                    .is_some_and(|r| r.source == ResultSource::Live)
        });
        settle(&mut h);
        step_until(&mut h, "the thumbnails arrive", |a| {
            !a.browser.thumbnails_pending()
        });
        settle(&mut h);
        // Each result: name, id, category and price; deprecated ones say so and name a successor.
        h.get_by_label("Veo 3.1 Image to Video");
        h.get_by_label("fal-ai/kling-video/v3/pro/text-to-video");
        h.get_by_label_contains("text-to-video · $0.224/s");
        h.get_by_label_contains("fal marks this endpoint deprecated");
        h.get_by_label_contains("offers Veo 3.1 Lite Image to Video");
        pin_price_times(&mut h);
        results.add(h.try_snapshot(format!("model_browser_{name}")));
    }
    // Adding one (a fresh window on the same folders, which already remembers the catalog).
    let mut h = harness(env.config(), egui::Theme::Dark);
    open_studio(&mut h);
    h.get_by_label("Add endpoint…").click();
    step_until(&mut h, "the catalog answers", |a| {
        !a.browser.busy() && a.browser.results.is_some()
    });
    h.get_by_label("Search").click();
    h.step();
    h.get_by_label("Search").type_text("kling v3");
    step_until(&mut h, "the search narrows", |a| {
        a.browser
            .results
            .as_ref()
            .is_some_and(|r| r.models.len() == 1)
            && !a.browser.busy()
    });
    settle(&mut h);
    h.get_by_label("Add").click();
    step_until(&mut h, "the endpoint is added", |a| {
        a.endpoint_id() == Some("fal-ai/kling-video/v3/pro/text-to-video")
    });
    let entry = h
        .state()
        .entries
        .iter()
        .find(|e| e.endpoint_id == "fal-ai/kling-video/v3/pro/text-to-video")
        .cloned()
        .unwrap();
    assert_eq!(entry.family, "Kling");
    // Its estimate uses its live price per second.
    settle(&mut h);
    let cost = h.state().cost.clone().expect("an estimate");
    assert!((cost.usd - 8.0 * 0.224).abs() < 1e-9, "{cost:?}");
}

#[test]
fn the_spend_strip_says_where_its_figures_come_from() {
    let mut results = egui_kittest::SnapshotResults::new();
    for (scope, source) in [
        (KeyScope::Admin, "(fal usage)"),
        (KeyScope::Api, "(journal)"),
    ] {
        let env = Env::new(scope);
        let _rt = env.rt.enter();
        env.daily_budget(5.0);
        let mut h = harness(env.config(), egui::Theme::Dark);
        open_studio(&mut h);
        h.get_by_label(&format!(
            "Today $0.00 of $5.00 · Month $0.00{}  {source}",
            if scope == KeyScope::Admin {
                " · Balance $100.00"
            } else {
                ""
            }
        ));
        if scope == KeyScope::Admin {
            h.get_by_label_contains("Balance $100.00");
            pin_price_times(&mut h);
            results.add(h.try_snapshot("spend_strip"));
        } else {
            assert!(
                h.query_by_label_contains("Balance").is_none(),
                "an API key may not read it"
            );
        }
    }
}

#[test]
fn a_generate_over_the_budget_is_refused_with_the_numbers_before_any_upload() {
    let env = Env::new(KeyScope::Api);
    let _rt = env.rt.enter();
    env.daily_budget(1.0);
    let mut results = egui_kittest::SnapshotResults::new();
    for (theme, name) in THEMES {
        let mut h = harness(env.config(), theme);
        open_studio(&mut h);
        h.get_by_label("Prompt").click();
        h.step();
        h.get_by_label("Prompt").type_text("a lighthouse at dusk");
        settle(&mut h);
        h.get_by_label("Generate").click();
        settle(&mut h);
        assert!(h.state().money.refused.is_some(), "the Generate is refused");
        h.get_by_label("Generate refused: over budget");
        h.get_by_label("This would pass your daily budget of $1.00.");
        assert_eq!(
            h.get_all_by_label("$3.20").count(),
            2,
            "the estimate and the total"
        );
        h.get_by_label_contains("Nothing was uploaded or submitted");
        assert!(
            env.sim.requests().iter().all(|r| !matches!(
                r.route,
                Route::Submit | Route::UploadInitiate | Route::UploadPut
            )),
            "nothing uploaded or submitted"
        );
        assert!(h.state().engine.jobs().is_empty());
        h.remove_cursor();
        settle(&mut h);
        pin_price_times(&mut h);
        results.add(h.try_snapshot(format!("refused_generate_{name}")));
        if name == "dark" {
            h.get_by_label("Generate anyway ($3.20)").click();
            step_until(&mut h, "the job is submitted once", |_| {
                env.sim.submissions().len() == 1
            });
            assert!(h.state().money.refused.is_none());
        } else {
            h.get_by_label("Cancel").click();
            settle(&mut h);
            assert!(h.state().money.refused.is_none());
        }
    }
}
