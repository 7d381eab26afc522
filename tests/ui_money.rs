//! GUI tests of money in the window (egui_kittest against the in-process simulator): the model
//! browser, the spend strip and a Generate the budget refuses, with snapshots.

mod ui_support;

use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use reelsmith::ui::app::Screen;
use reelsmith::ui::{StudioApp, StudioConfig};
use reelsmith_core::catalog::browse::ResultSource;
use reelsmith_sim::{KeyScope, Route, SimConfig};
use ui_support::*;

/// How long each wait may take: the catalog, prices and spend answer in the background.
const WAIT: Duration = Duration::from_secs(20);

/// The simulator with a key of `scope` (an admin key may read fal's usage and balance).
fn money_env(scope: KeyScope) -> Env {
    Env::with_sim(SimConfig {
        queue_time: Duration::from_millis(100),
        run_time: Duration::from_millis(200),
        key_scope: scope,
        ..SimConfig::default()
    })
}

/// Writes the shared settings file with a daily budget, before the window opens.
fn daily_budget(env: &Env, usd: f64) {
    let config = env.config();
    std::fs::create_dir_all(&config.config_dir).unwrap();
    std::fs::write(
        config.config_dir.join("settings.json"),
        format!(r#"{{"budgets": {{"daily_usd": {usd}}}}}"#),
    )
    .unwrap();
}

/// A snapshot window in `theme`, not yet stepped.
fn harness(config: StudioConfig, theme: egui::Theme) -> Harness<'static, StudioApp> {
    snapshot_window(config, theme, SNAPSHOT)
}

fn open_studio(h: &mut Harness<'_, StudioApp>) {
    step_until(h, "the studio opens with its prices and spend", WAIT, |a| {
        a.screen == Screen::Studio && a.money.spend.is_some() && !a.money.busy()
    });
    settle(h);
}

#[test]
fn the_model_browser_searches_shows_prices_and_adds_under_the_family() {
    let env = money_env(KeyScope::Api);
    let _rt = env.rt.enter();
    let mut results = egui_kittest::SnapshotResults::new();
    for (theme, name) in THEMES {
        let mut h = harness(env.config(), theme);
        open_studio(&mut h);
        h.key_press_modifiers(
            egui::Modifiers::COMMAND | egui::Modifiers::SHIFT,
            egui::Key::K,
        );
        step_until(&mut h, "the catalog answers", WAIT, |a| {
            a.browser.open
                && !a.browser.busy()
                && a.browser
                    .results
                    .as_ref()
                    .is_some_and(|r| r.source == ResultSource::Live)
        });
        settle(&mut h);
        step_until(&mut h, "the thumbnails arrive", WAIT, |a| {
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
    step_until(&mut h, "the catalog answers", WAIT, |a| {
        !a.browser.busy() && a.browser.results.is_some()
    });
    h.get_by_label("Search").click();
    h.step();
    h.get_by_label("Search").type_text("kling v3");
    step_until(&mut h, "the search narrows", WAIT, |a| {
        a.browser
            .results
            .as_ref()
            .is_some_and(|r| r.models.len() == 1)
            && !a.browser.busy()
    });
    settle(&mut h);
    h.get_by_label("Add").click();
    step_until(&mut h, "the endpoint is added", WAIT, |a| {
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
        let env = money_env(scope);
        let _rt = env.rt.enter();
        daily_budget(&env, 5.0);
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
    let env = money_env(KeyScope::Api);
    let _rt = env.rt.enter();
    daily_budget(&env, 1.0);
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
            step_until(&mut h, "the job is submitted once", WAIT, |_| {
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
