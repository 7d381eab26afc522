//! Driving the window as a user does: stepping frames until something shows, clicks, typing,
//! picking an endpoint, generating.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use reelsmith::ui::StudioApp;
use reelsmith_core::jobs::JobState;

/// Steps (sleeping a little between frames, since the work runs on other threads) until `done`.
pub fn step_until(
    h: &mut Harness<'_, StudioApp>,
    what: &str,
    timeout: Duration,
    done: impl Fn(&StudioApp) -> bool,
) {
    wait(h, what, timeout, None, done);
}

/// As [`step_until`], and no frame may take `frame_limit` or longer (the UI thread never
/// waits on media work).
pub fn step_until_responsive(
    h: &mut Harness<'_, StudioApp>,
    what: &str,
    timeout: Duration,
    frame_limit: Duration,
    done: impl Fn(&StudioApp) -> bool,
) {
    wait(h, what, timeout, Some(frame_limit), done);
}

fn wait(
    h: &mut Harness<'_, StudioApp>,
    what: &str,
    timeout: Duration,
    frame_limit: Option<Duration>,
    done: impl Fn(&StudioApp) -> bool,
) {
    let start = Instant::now();
    loop {
        let frame = Instant::now();
        h.step();
        if let Some(limit) = frame_limit {
            assert!(
                frame.elapsed() < limit,
                "a frame took {:?} while waiting until {what}",
                frame.elapsed()
            );
        }
        if done(h.state()) {
            return;
        }
        if start.elapsed() > timeout {
            panic!("timed out waiting until {what}; {}", report(h.state()));
        }
        std::thread::sleep(Duration::from_millis(15));
    }
}

/// What a timed-out wait prints: each job's state, failure and last log line, why Generate is
/// disabled, and the storyboard view's error.
fn report(app: &StudioApp) -> String {
    let jobs: Vec<String> = app
        .engine
        .jobs()
        .iter()
        .map(|j| {
            format!(
                "{} {:?} {:?} logs={:?}",
                j.endpoint_id,
                j.state,
                j.failure,
                j.logs.last()
            )
        })
        .collect();
    format!(
        "jobs: {jobs:#?}; can_generate: {:?}; storyboard error: {:?}",
        app.can_generate(),
        app.storyboard.error
    )
}

/// A few frames, so that answers of background work are drawn.
pub fn settle(h: &mut Harness<'_, StudioApp>) {
    for _ in 0..4 {
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
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
    step_until(
        h,
        "thumbnails and facts are ready",
        Duration::from_secs(20),
        |a| !a.thumbs.busy(),
    );
    settle(h);
}

/// Clicks the widget labelled `label` (scrolled into view first).
pub fn click(h: &mut Harness<'_, StudioApp>, label: &str) {
    h.get_by_label(label).scroll_to_me();
    h.step();
    h.get_by_label(label).click();
    settle(h);
}

/// Clicks Generate once the media are checked, failing with the reason if the form is invalid.
pub fn generate(h: &mut Harness<'_, StudioApp>) {
    wait_for_media(h);
    if let Err(reason) = h.state().can_generate() {
        panic!("the form cannot be submitted: {reason}");
    }
    h.get_by_label("Generate").click();
    settle(h);
}

/// How many of the app's jobs are in `state`.
pub fn count(app: &StudioApp, state: JobState) -> usize {
    app.engine
        .jobs()
        .iter()
        .filter(|j| j.state == state)
        .count()
}

/// The window asks for no repaint once settled (within 15 s), and for none in the
/// `settled_frames` frames after: nothing keeps decoding, retrying or animating.
pub fn assert_goes_idle(h: &mut Harness<'_, StudioApp>, settled_frames: usize) {
    let idle = |h: &Harness<'_, StudioApp>| {
        h.output().viewport_output[&egui::ViewportId::ROOT].repaint_delay == Duration::MAX
    };
    let start = Instant::now();
    loop {
        h.step();
        if idle(h) {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the app keeps repainting while idle"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    for _ in 0..settled_frames {
        h.step();
        assert!(idle(h), "a settled frame requests another repaint");
    }
}
