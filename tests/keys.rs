//! The fal key across the window and the command line: a saved key is sent only to fal's own
//! https hosts (the window pointed at a simulator uses the run's FAL_KEY and says so), a key
//! saved in the window is the one `reelsmith generate` finds, and nothing that holds a key
//! prints it through Debug.

mod ui_support;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::time::Duration;

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use reelsmith::ui::app::{Action, Screen, View};
use reelsmith::ui::keystore::{KeyOutcome, Lookup};
use reelsmith::ui::welcome::WelcomeState;
use reelsmith::ui::{Service, StudioApp, StudioConfig};
use reelsmith_core::fal::{ApiKey, FalClient, KeySource, RunKeys};
use reelsmith_core::keystore::{CredentialStore, KeyFile, KeyStore, MemoryStore};
use reelsmith_sim::{SimConfig, Simulator};
use ui_support::*;

/// A key that looks like a real one; it must never reach the simulator or a Debug string.
const SAVED_KEY: &str = "b60ed0c4-3daf-4a2b-9c1e:03039d79aa11bb22cc33dd44ee55ff66";
/// Its middle: what a leak would show.
const SAVED_SECRET: &str = "03039d79aa11bb22cc33dd44ee55";

/// How long each wait may take.
const WAIT: Duration = Duration::from_secs(10);

/// The window of these tests.
const SIZE: egui::Vec2 = egui::vec2(1400.0, 1100.0);

/// A window for `service` whose key store already holds [`SAVED_KEY`] and which was started
/// with `run` as its environment's keys.
fn window_with_saved_key(
    root: &Path,
    service: Service,
    run: RunKeys,
) -> Harness<'static, StudioApp> {
    let saved = MemoryStore::new();
    saved.save(&ApiKey::new(SAVED_KEY)).unwrap();
    let mut config = StudioConfig::in_dir(root, service);
    config.key_store = KeyStore::with_store(Arc::new(saved), &root.join("config"));
    config.run_keys = run;
    window_sized(config, SIZE)
}

#[test]
fn a_window_pointed_at_a_simulator_uses_the_runs_key_never_the_saved_one() {
    let rt = runtime();
    let _guard = rt.enter();
    let sim = rt.block_on(Simulator::start(SimConfig::default())).unwrap();
    let root = tempfile::tempdir().unwrap();
    // As after following `reelsmith simulate`'s instructions with a real key saved earlier.
    let mut h = window_with_saved_key(
        root.path(),
        Service::live(sim.fal_urls()),
        RunKeys::with_fal_key(ApiKey::new(sim.key())),
    );
    step_until(&mut h, "the studio opens", WAIT, |a| a.studio_ready());
    let key = h.state().key.clone().expect("a key in use");
    assert_eq!(key.source, KeySource::EnvFalKey);
    assert_eq!(key.key.expose(), sim.key());
    let origin = sim.base_url();
    let summary = format!("Using FAL_KEY from the environment for {origin}");
    assert!(
        h.query_by_label_contains("NOT FAL").is_some(),
        "the banner says this is not fal"
    );
    assert_eq!(
        h.query_all_by_label_contains(&summary).count(),
        1,
        "the banner: {summary}"
    );

    h.state_mut().act(Action::SetView(View::Settings));
    settle(&mut h);
    assert_eq!(
        h.query_all_by_label_contains(&summary).count(),
        2,
        "the banner and the settings page: {summary}"
    );
    h.get_by_label("Check key").click();
    step_until(&mut h, "the key check answers", WAIT, |a| {
        a.settings.check_result.is_some()
    });
    assert_eq!(h.state().settings.check_result, Some(Ok(())));

    // The simulator saw the run's key, and never the saved one.
    let requests = sim.requests();
    assert!(!requests.is_empty());
    for r in &requests {
        let sent = r.authorization.as_deref().unwrap_or("");
        assert!(
            !sent.contains(SAVED_SECRET),
            "the saved key went to {}",
            r.path_and_query
        );
        if !sent.is_empty() {
            assert_eq!(sent, format!("Key {}", sim.key()));
        }
    }
    drop(h);
    rt.block_on(sim.shutdown());
}

#[test]
fn without_a_key_for_the_run_a_window_pointed_elsewhere_sends_nothing_and_says_why() {
    let rt = runtime();
    let _guard = rt.enter();
    let sim = rt.block_on(Simulator::start(SimConfig::default())).unwrap();
    let root = tempfile::tempdir().unwrap();
    let mut h = window_with_saved_key(root.path(), Service::live(sim.fal_urls()), RunKeys::none());
    step_until(&mut h, "the welcome screen", WAIT, |a| {
        a.screen == Screen::Welcome
    });
    settle(&mut h);
    assert!(h.state().key.is_none());
    let problem = h.state().key_problem.clone().expect("the reason is kept");
    assert!(problem.contains(&sim.base_url()), "{problem}");
    assert!(problem.contains("FAL_KEY"), "{problem}");
    assert!(
        h.query_all_by_label_contains("sent only to fal").count() >= 2,
        "banner and welcome"
    );
    // No field to paste a key that would go to this origin.
    assert!(h.query_by_label("Enter your fal key").is_none());
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
    drop(h);
    rt.block_on(sim.shutdown());
}

fn reelsmith(root: &Path, store: &Path, args: &[&str]) -> Output {
    for sub in ["data", "config", "cache", "videos", "home"] {
        std::fs::create_dir_all(root.join(sub)).unwrap();
    }
    Command::new(env!("CARGO_BIN_EXE_reelsmith"))
        .args(args)
        // fal's own hosts (the defaults): the only ones a saved key may go to.
        .env_remove("REELSMITH_QUEUE_URL")
        .env_remove("REELSMITH_REST_URL")
        .env_remove("REELSMITH_OPENAPI_URL")
        .env_remove("FAL_KEY")
        .env_remove("FAL_KEY_ID")
        .env_remove("FAL_KEY_SECRET")
        .env_remove("REELSMITH_NO_KEYRING")
        // The test store stands in for the OS keyring, as it did for the window.
        .env("REELSMITH_KEYSTORE", format!("file:{}", store.display()))
        .env("REELSMITH_DATA_DIR", root.join("data"))
        .env("REELSMITH_CONFIG_DIR", root.join("config"))
        .env("REELSMITH_CACHE_DIR", root.join("cache"))
        .env("REELSMITH_OUTPUT_DIR", root.join("videos"))
        .env("HOME", root.join("home"))
        .env_remove("RUST_LOG")
        .output()
        .expect("reelsmith runs")
}

#[test]
fn a_key_saved_in_the_window_is_found_by_reelsmith_generate() {
    let rt = runtime();
    let _guard = rt.enter();
    let root = tempfile::tempdir().unwrap();
    let store_path = root.path().join("test-keyring.json");
    let mut config = StudioConfig::in_dir(root.path(), Service::live(fal_urls()));
    config.key_store = KeyStore::with_store(
        Arc::new(KeyFile::new(&store_path)),
        &root.path().join("config"),
    );
    let mut h = window_sized(config, SIZE);
    step_until(&mut h, "the welcome screen", WAIT, |a| {
        a.screen == Screen::Welcome
    });
    h.get_by_label("Enter your fal key").click();
    settle(&mut h);
    h.get_by_label("fal key").click();
    h.step();
    h.get_by_label("fal key").type_text(SAVED_KEY);
    settle(&mut h);
    h.get_by_label("Save key").click();
    step_until(&mut h, "the key is saved", WAIT, |a| a.studio_ready());
    assert!(matches!(
        h.state().key.as_ref().map(|k| &k.source),
        Some(KeySource::Saved(_))
    ));
    drop(h);

    // An input that is refused before anything is sent: the run ends at exit 2 after finding
    // the key (exit 3 would be "key missing"), and never reaches the network.
    let args = [
        "generate",
        "-e",
        "fal-ai/veo3.1",
        "-p",
        "a lighthouse",
        "--set",
        "resolution=8k",
    ];
    let out = reelsmith(root.path(), &store_path, &args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let expected = format!(
        "Using the key saved in {} for https://queue.fal.run (b60e…ff66)",
        store_path.display()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(!stderr.contains(SAVED_SECRET), "{stderr}");

    // With the store emptied (as "Forget key" does), the same run has no key: exit 3.
    KeyFile::new(&store_path).forget().unwrap();
    let out = reelsmith(root.path(), &store_path, &args);
    assert_eq!(
        out.status.code(),
        Some(3),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_saved_key_is_not_used_by_the_command_line_for_a_simulator() {
    let rt = runtime();
    let sim = rt.block_on(Simulator::start(SimConfig::default())).unwrap();
    let root = tempfile::tempdir().unwrap();
    let store_path = root.path().join("test-keyring.json");
    KeyFile::new(&store_path)
        .save(&ApiKey::new(SAVED_KEY))
        .unwrap();
    for sub in ["data", "config", "cache", "videos", "home"] {
        std::fs::create_dir_all(root.path().join(sub)).unwrap();
    }
    let out = Command::new(env!("CARGO_BIN_EXE_reelsmith"))
        .args(["generate", "-e", "fal-ai/veo3.1", "-p", "a lighthouse"])
        .env("REELSMITH_QUEUE_URL", sim.queue_url())
        .env("REELSMITH_REST_URL", sim.rest_url())
        .env("REELSMITH_OPENAPI_URL", sim.openapi_url())
        .env_remove("FAL_KEY")
        .env_remove("FAL_KEY_ID")
        .env_remove("FAL_KEY_SECRET")
        .env(
            "REELSMITH_KEYSTORE",
            format!("file:{}", store_path.display()),
        )
        .env("REELSMITH_DATA_DIR", root.path().join("data"))
        .env("REELSMITH_CONFIG_DIR", root.path().join("config"))
        .env("REELSMITH_CACHE_DIR", root.path().join("cache"))
        .env("REELSMITH_OUTPUT_DIR", root.path().join("videos"))
        .env("HOME", root.path().join("home"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains("sent only to fal's own https hosts"),
        "{stderr}"
    );
    assert!(sim.requests().is_empty(), "{:?}", sim.requests());
    rt.block_on(sim.shutdown());
}

#[test]
fn nothing_that_holds_a_key_prints_it_through_debug() {
    let key = ApiKey::new(SAVED_KEY);
    let memory = MemoryStore::new();
    memory.save(&key).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let store = KeyStore::with_store(Arc::new(memory.clone()), dir.path());
    let run = RunKeys::with_fal_key(key.clone());
    let resolved =
        reelsmith_core::fal::resolve_key(&store, &fal_urls(), &run).expect("the saved key");
    let client = FalClient::new(fal_urls(), Some(key.clone())).unwrap();
    let welcome = WelcomeState {
        key_input: SAVED_KEY.into(),
        ..WelcomeState::default()
    };
    let texts = [
        format!("{key:?}"),
        format!("{:?}", Action::UseKey(key.clone())),
        format!("{welcome:?}"),
        format!("{memory:?}"),
        format!("{store:?}"),
        format!("{run:?}"),
        format!("{resolved:?}"),
        format!("{client:?}"),
        format!("{:?}", Lookup::Found(resolved.clone())),
        format!(
            "{:?}",
            KeyOutcome::Forgot(Ok(Lookup::Found(resolved.clone())))
        ),
    ];
    for text in texts {
        assert!(!text.contains(SAVED_SECRET), "the key shows in {text}");
    }
}
