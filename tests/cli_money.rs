//! `reelsmith models search`, estimates from live prices and budgets on the command line,
//! against a simulator on loopback with temp folders.

use std::process::Output;
use std::time::Duration;

use reelsmith_sim::{KeyScope, SimConfig};
use serde_json::Value;

mod support;
use support::run::{Reelsmith, text};
use support::sim_env::SimEnv;

/// An API-scope key, which may read prices but not the account's usage.
async fn env() -> SimEnv {
    SimEnv::with_config(SimConfig {
        queue_time: Duration::from_millis(50),
        run_time: Duration::from_millis(100),
        key_scope: KeyScope::Api,
        ..SimConfig::default()
    })
    .await
}

/// Runs `reelsmith ARGS` with fal's platform API unreachable (the queue still answers).
fn run_offline(env: &SimEnv, args: &[&str]) -> Output {
    env.command(args)
        .env("REELSMITH_API_URL", "http://127.0.0.1:9/api/v1")
        .output()
        .expect("reelsmith runs")
}

/// Sets a daily budget in the shared settings.
fn budget(env: &SimEnv, daily: f64) {
    std::fs::write(
        env.path("config").join("settings.json"),
        format!(r#"{{"budgets": {{"daily_usd": {daily}}}}}"#),
    )
    .unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn models_search_lists_the_catalog_with_prices_and_works_offline() {
    let env = env().await;
    let out = env.run(&["models", "search", "kling", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let items: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let ids: Vec<&str> = items
        .iter()
        .filter_map(|i| i["endpoint_id"].as_str())
        .collect();
    assert!(
        ids.contains(&"fal-ai/kling-video/v3/pro/text-to-video"),
        "{ids:?}"
    );
    let v3 = items
        .iter()
        .find(|i| i["endpoint_id"] == "fal-ai/kling-video/v3/pro/text-to-video")
        .unwrap();
    assert_eq!(v3["price"]["unit_price"], 0.224);
    assert_eq!(v3["price"]["unit"], "seconds");
    assert_eq!(v3["category"], "text-to-video");

    let table = env.run(&["models", "search", "veo", "--category", "image-to-video"]);
    let shown = text(&table.stdout);
    assert!(
        shown.contains("fal-ai/veo3/image-to-video") && shown.contains("deprecated"),
        "{shown}"
    );
    assert!(shown.contains("$0.40/s"), "{shown}");
    assert!(!shown.contains("text-to-video "), "{shown}");

    // fal unreachable: the same search answers from the cache, and says so.
    let offline = run_offline(&env, &["models", "search", "kling", "--json"]);
    assert!(offline.status.success(), "{}", text(&offline.stderr));
    assert!(
        text(&offline.stderr).contains("offline"),
        "{}",
        text(&offline.stderr)
    );
    let cached: Vec<Value> = serde_json::from_slice(&offline.stdout).unwrap();
    assert_eq!(cached.len(), items.len());
}

#[tokio::test(flavor = "multi_thread")]
async fn generate_over_the_budget_is_refused_before_any_upload_and_over_budget_goes_on() {
    let env = env().await;
    budget(&env, 1.0);
    let out = env.run(&["generate", "-e", "fal-ai/veo3.1", "-p", "a harbour at dawn"]);
    assert_eq!(out.status.code(), Some(7), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(
        err.contains("estimate: about $3.20") && err.contains("fal's live price"),
        "{err}"
    );
    assert!(
        err.contains("daily budget of $1.00") && err.contains("Nothing was uploaded"),
        "{err}"
    );
    assert!(
        err.contains("from this computer's job journal"),
        "an API key may not read usage: {err}"
    );
    env.assert_nothing_sent("over the budget");
    assert!(env.sim.submissions().is_empty());

    let out = env.run(&[
        "generate",
        "-e",
        "fal-ai/veo3.1",
        "-p",
        "a harbour at dawn",
        "--over-budget",
        "--json",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("going on over budget (--over-budget)"));
    let job: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(job["status"], "done");
    assert_eq!(job["cost"]["billable_units"], 8.0);
    assert_eq!(job["cost"]["real_usd"], 3.2);
    assert_eq!(env.sim.submissions().len(), 1);
}
