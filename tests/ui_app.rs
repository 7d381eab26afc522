//! GUI tests of the studio window as a whole: the key entry never shows the key, a second
//! window resumes the first's unfinished job, a settled window asks for no repaint, the last
//! form persists (never the key), a lost submit answer is shown and sent again only when
//! confirmed, and closing waits for a submit on its way. egui_kittest drives the real app
//! against the in-process simulator, with real files, a real journal and real downloads.

mod ui_support;

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use reelsmith::ui::StudioApp;
use reelsmith::ui::app::{Persisted, Screen};
use reelsmith_core::jobs::JobState;
use ui_support::*;

#[test]
fn the_key_entry_never_shows_the_key_in_full() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let config = env.config_without_key();
    let key_file = config.config_dir.join("credentials.json");
    let mut h = window(config);
    step_until(&mut h, "the welcome screen", Duration::from_secs(5), |a| {
        a.screen == Screen::Welcome
    });
    assert!(h.query_by_label("Try the simulator").is_some());
    h.get_by_label("Enter your fal key").click();
    settle(&mut h);
    let key = env.sim.key();
    h.get_by_label("fal key").click();
    h.step();
    h.get_by_label("fal key").type_text(&key);
    settle(&mut h);
    assert_no_text_contains(&h, &key);
    h.get_by_label("Save key").click();
    step_until(&mut h, "the key is saved", Duration::from_secs(5), |a| {
        a.studio_ready()
    });
    assert_no_text_contains(&h, &key);
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    assert_eq!(
        saved["api_key"],
        key.as_str(),
        "stored in the private file fallback"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    h.get_by_label("Settings").click();
    settle(&mut h);
    assert!(
        h.query_by_label_contains("readable only by you").is_some(),
        "the fallback choice is shown"
    );
    assert_no_text_contains(&h, &key);
    // ("Check key" would call fal itself here; tests/keys.rs checks a key at a simulator.)
    // Neither the window state nor any log of the run holds the key.
    let persisted = serde_json::to_string(&h.state().persisted).unwrap();
    assert!(!persisted.contains(&key));
}

/// No node of the accessibility tree (every text and value on screen) contains `secret`.
fn assert_no_text_contains(h: &Harness<'_, StudioApp>, secret: &str) {
    let tail = &secret[secret.len() - 8..];
    for node in h.root().query_all_by(|_| true) {
        let n = node.accesskit_node();
        for text in [n.label(), n.value()].into_iter().flatten() {
            assert!(!text.contains(tail), "the key shows in {:?}", n.role());
        }
    }
}

#[test]
fn a_second_window_shows_the_history_and_resumes_an_unfinished_job() {
    let env = Env::timed(Duration::from_millis(200), Duration::from_secs(3));
    let _rt = env.rt.enter();
    let street = env.png("street.png", 800, 450, 140);
    {
        let mut h = env.harness();
        click_endpoint(&mut h, "fal-ai/veo3.1/image-to-video");
        drop_files(&mut h, "image_url", &[&street]);
        type_prompt(&mut h, "a tram crosses the bridge at dawn");
        generate(&mut h);
        step_until(
            &mut h,
            "the job runs at fal",
            Duration::from_secs(20),
            |a| {
                a.engine
                    .jobs()
                    .first()
                    .is_some_and(|j| j.state == JobState::Running)
            },
        );
        assert!(
            h.query_by_label("Running").is_some(),
            "the queue shows Running"
        );
        // The window closes while the job is still running at fal.
        h.state_mut().engine.shutdown();
    }
    let mut h = window(env.config());
    step_until(
        &mut h,
        "the studio opens again",
        Duration::from_secs(5),
        |a| a.studio_ready(),
    );
    assert_eq!(
        h.state().engine.jobs().len(),
        1,
        "the history shows the job"
    );
    assert!(
        h.query_by_label_contains("a tram crosses the bridge")
            .is_some()
    );
    step_until(
        &mut h,
        "the resumed job finishes",
        Duration::from_secs(30),
        |a| count(a, JobState::Done) == 1,
    );
    step_until(
        &mut h,
        "the video is in the gallery",
        Duration::from_secs(10),
        |a| a.engine.library().len() == 1,
    );
    assert_eq!(
        env.sim.submissions().len(),
        1,
        "the resumed job was not submitted again"
    );
}

#[test]
fn the_window_requests_no_repaint_once_settled() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    let mut h = env.harness();
    click_endpoint(&mut h, "fal-ai/veo3.1/image-to-video");
    let street = env.png("street.png", 800, 450, 140);
    drop_files(&mut h, "image_url", &[&street]);
    type_prompt(&mut h, "waves");
    generate(&mut h);
    step_until(&mut h, "the job is done", Duration::from_secs(60), |a| {
        count(a, JobState::Done) == 1
    });
    // Toasts fade out and background work ends; after that the app asks for nothing.
    assert_goes_idle(&mut h, 5);
}

/// eframe storage kept in memory, as the window's `app.ron` would be.
#[derive(Default)]
struct MemoryStorage(std::collections::HashMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }
    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_string(), value);
    }
    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }
    fn flush(&mut self) {}
}

#[test]
fn the_last_endpoint_and_its_form_persist_but_never_the_key() {
    use eframe::App;
    let env = Env::fast();
    let _rt = env.rt.enter();
    let mut storage = MemoryStorage::default();
    {
        let mut h = env.harness();
        click_endpoint(&mut h, "fal-ai/veo3.1/image-to-video");
        type_prompt(&mut h, "a kite over the dunes");
        h.get_by_label("Duration: 4s").click();
        settle(&mut h);
        h.state_mut().save(&mut storage);
        h.state_mut().engine.shutdown();
    }
    let text = storage.0.values().cloned().collect::<Vec<_>>().join("\n");
    assert!(!text.contains(&env.sim.key()), "the key is never persisted");
    let restored: Persisted =
        eframe::get_value(&storage, eframe::APP_KEY).expect("state was saved");
    let config = env.config();
    let mut h = window_restored(config, restored);
    step_until(&mut h, "the studio opens", Duration::from_secs(5), |a| {
        a.studio_ready()
    });
    assert_eq!(
        h.state().endpoint_id(),
        Some("fal-ai/veo3.1/image-to-video")
    );
    let form = h.state().form_state().unwrap();
    assert_eq!(form.text("prompt"), Some("a kite over the dunes"));
    assert_eq!(form.text("duration"), Some("4s"));
}

#[test]
fn an_unknown_submission_shows_its_card_and_is_sent_again_only_after_confirmation() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    // The answer to the submit is lost and fal's history does not list the job (yet).
    env.sim.set_history_delay(Duration::from_secs(3600));
    env.sim
        .lose_next_submit_answers(reelsmith_sim::LostAnswer::CloseConnection, 1);
    let mut h = env.harness();
    click_endpoint(&mut h, "fal-ai/veo3.1");
    type_prompt(&mut h, "a paper boat in the rain");
    generate(&mut h);
    step_until(
        &mut h,
        "the submission is unknown and was looked up",
        Duration::from_secs(20),
        |a| {
            a.engine.jobs().first().is_some_and(|j| {
                j.state == JobState::SubmissionUnknown
                    && j.unknown.as_ref().is_some_and(|u| u.lookups > 0)
            })
        },
    );
    settle(&mut h);
    assert!(h.query_by_label("Unknown").is_some(), "the state chip");
    assert!(
        h.query_by_label("Unknown — check before paying again")
            .is_some()
    );
    assert!(h.query_by_label_contains("the answer was lost").is_some());
    assert!(h.query_by_label("What was sent").is_some());
    assert!(h.query_by_label("Look again").is_some());
    let resubmit = h
        .get_by_label_contains("Submit again (costs ≈ $")
        .accesskit_node()
        .label()
        .unwrap_or_default();
    assert!(resubmit.ends_with(')'), "{resubmit}");
    assert_eq!(env.sim.submissions().len(), 1);

    // The button asks first; keeping it sends nothing.
    h.get_by_label_contains("Submit again (costs").click();
    settle(&mut h);
    assert!(h.query_by_label("Submit this job again?").is_some());
    h.get_by_label("Keep waiting").click();
    settle(&mut h);
    assert!(h.query_by_label("Submit this job again?").is_none());
    assert_eq!(
        env.sim.submissions().len(),
        1,
        "nothing sent without confirmation"
    );

    h.get_by_label_contains("Submit again (costs").click();
    settle(&mut h);
    h.get_by_label("Submit again").click();
    step_until(
        &mut h,
        "the job submitted again finishes",
        Duration::from_secs(30),
        |a| count(a, JobState::Done) == 1,
    );
    assert_eq!(env.sim.submissions().len(), 2, "exactly one more submit");
}

#[test]
fn closing_the_window_waits_for_a_submit_on_its_way_and_records_its_answer() {
    let env = Env::fast();
    let _rt = env.rt.enter();
    env.sim.lose_next_submit_answers(
        reelsmith_sim::LostAnswer::Delay(Duration::from_millis(1500)),
        1,
    );
    let mut h = env.harness();
    click_endpoint(&mut h, "fal-ai/veo3.1");
    type_prompt(&mut h, "closed mid-submit");
    generate(&mut h);
    step_until(
        &mut h,
        "the submit is on its way",
        Duration::from_secs(10),
        |a| {
            a.engine
                .jobs()
                .first()
                .is_some_and(|j| j.state == JobState::Submitting)
        },
    );
    // The user closes the window.
    h.input_mut()
        .viewports
        .entry(egui::ViewportId::ROOT)
        .or_default()
        .events
        .push(egui::ViewportEvent::Close);
    h.step();
    let commands = |h: &Harness<'_, StudioApp>| {
        h.output()
            .viewport_output
            .get(&egui::ViewportId::ROOT)
            .map(|v| v.commands.clone())
            .unwrap_or_default()
    };
    assert!(
        commands(&h).contains(&egui::ViewportCommand::CancelClose),
        "the close waits"
    );
    settle(&mut h);
    assert!(
        h.query_by_label("Finishing 1 submit so it is not lost…")
            .is_some()
    );
    let start = Instant::now();
    loop {
        h.step();
        if commands(&h).contains(&egui::ViewportCommand::Close) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the window never closed"
        );
        std::thread::sleep(Duration::from_millis(15));
    }
    let journal = reelsmith_core::store::Journal::open_in(&env.root.path().join("data")).unwrap();
    let job = journal.jobs().unwrap().remove(0);
    assert_eq!(
        job.state,
        JobState::Submitted,
        "the answer was recorded: {:?}",
        job.logs
    );
    assert_eq!(
        job.request_id.as_deref(),
        Some(env.sim.submissions()[0].request_id.as_str())
    );
}
