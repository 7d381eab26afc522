//! GUI tests of the queue panel's queue-wide commands, against the in-process simulator with
//! one job in flight and a long running time, so jobs stay queued while the test looks.

mod ui_support;

use std::time::Duration;

use egui_kittest::kittest::{NodeT, Queryable};
use reelsmith::ui::StudioApp;
use reelsmith_core::jobs::JobState;
use ui_support::*;

/// Three variations of one image-to-video job: with one job in flight, one runs at fal and
/// two wait here, not yet sent.
fn three_jobs_one_running(env: &Env) -> egui_kittest::Harness<'static, StudioApp> {
    let mut h = env.harness();
    click_endpoint(&mut h, "fal-ai/veo3.1/image-to-video");
    let street = env.png("street.png", 1280, 720, 90);
    drop_files(&mut h, "image_url", &[&street]);
    type_prompt(&mut h, "A tram crosses the bridge at dawn");
    wait_for_media(&mut h);
    h.state_mut().persisted.variations = 3;
    settle(&mut h);
    click(&mut h, "Generate 3");
    step_until(
        &mut h,
        "one job runs and two wait",
        Duration::from_secs(30),
        |a| {
            count(a, JobState::Running) == 1
                && count(a, JobState::Prepared) == 2
                && a.engine.queue_info().order.len() == 2
                // The queue is read in the background: wait for a read after the job ran.
                && a.engine.queue_info().cost.jobs == 2
        },
    );
    settle(&mut h);
    h
}

#[test]
fn cancel_queued_leaves_the_running_job_alone_after_one_question() {
    let env = Env::new(Duration::from_millis(100), Duration::from_secs(120), 1);
    let _rt = env.rt.enter();
    let mut h = three_jobs_one_running(&env);
    assert_eq!(env.sim.submissions().len(), 1, "only one job was sent");
    assert!(
        h.query_by_label_contains("Waiting: 2 jobs · est. $")
            .is_some(),
        "the cost of what waits is shown"
    );

    click(&mut h, "Cancel queued");
    assert!(
        h.query_by_label("Cancel 2 jobs?").is_some(),
        "a bulk cancel asks once"
    );
    assert_eq!(count(h.state(), JobState::Cancelled), 0, "nothing yet");
    click(&mut h, "Cancel 2 jobs");
    step_until(
        &mut h,
        "the waiting jobs are cancelled",
        Duration::from_secs(10),
        |a| count(a, JobState::Cancelled) == 2,
    );
    settle(&mut h);
    assert_eq!(
        count(h.state(), JobState::Running),
        1,
        "the running job goes on"
    );
    assert!(
        h.query_by_label("Cancel 2 jobs?").is_none(),
        "the question is gone"
    );
    let running = env.sim.submissions()[0].request_id.clone();
    let cancels: Vec<String> = env
        .sim
        .requests()
        .into_iter()
        .filter(|r| r.path_and_query.contains("/cancel"))
        .map(|r| r.path_and_query)
        .collect();
    assert!(
        cancels.iter().all(|p| !p.contains(&running)),
        "the running job was not cancelled at fal: {cancels:?}"
    );
    assert_eq!(env.sim.submissions().len(), 1, "nothing more was sent");
}

#[test]
fn pause_holds_new_jobs_and_reorder_changes_which_starts_next() {
    let env = Env::new(Duration::from_millis(100), Duration::from_secs(120), 1);
    let _rt = env.rt.enter();
    let mut h = three_jobs_one_running(&env);

    click(&mut h, "Pause new jobs");
    step_until(
        &mut h,
        "the engine is paused",
        Duration::from_secs(5),
        |a| a.engine.queue_info().paused,
    );
    settle(&mut h);
    assert!(
        h.query_by_label("Paused — 2 waiting").is_some(),
        "the pause says how many wait"
    );

    // The second in line moves up: the engine's order follows.
    let order = h.state().engine.queue_info().order.clone();
    let ups: Vec<_> = h.query_all_by_label("⬆").collect();
    assert_eq!(ups.len(), 2, "one move-up button per waiting job");
    drop(ups);
    let second = h
        .query_all_by_label("⬆")
        .find(|b| !b.accesskit_node().is_disabled())
        .expect("the second job can move up");
    second.click();
    step_until(&mut h, "the order changed", Duration::from_secs(5), |a| {
        a.engine.queue_info().order == vec![order[1].clone(), order[0].clone()]
    });

    // Cancel all asks once and cancels the running job too.
    click(&mut h, "Cancel all");
    assert!(h.query_by_label("Cancel 3 jobs?").is_some());
    click(&mut h, "Cancel 3 jobs");
    step_until(&mut h, "all are cancelled", Duration::from_secs(10), |a| {
        count(a, JobState::Cancelled) == 3
    });
    assert_eq!(env.sim.submissions().len(), 1, "nothing more was sent");
}

#[test]
fn retry_all_failed_sends_the_failed_job_again_once() {
    let env = Env::new(Duration::from_millis(50), Duration::from_millis(150), 4);
    let _rt = env.rt.enter();
    env.sim
        .model_error_next("internal_server_error", "The model crashed; try again.");
    let mut h = env.harness();
    click_endpoint(&mut h, "fal-ai/veo3.1/image-to-video");
    let street = env.png("street.png", 1280, 720, 90);
    drop_files(&mut h, "image_url", &[&street]);
    type_prompt(&mut h, "A lighthouse in a storm");
    wait_for_media(&mut h);
    click(&mut h, "Generate");
    step_until(&mut h, "the job fails", Duration::from_secs(30), |a| {
        count(a, JobState::Failed) == 1
    });
    settle(&mut h);
    assert_eq!(env.sim.submissions().len(), 1);
    click(&mut h, "Retry all failed");
    step_until(
        &mut h,
        "the retried job is done",
        Duration::from_secs(30),
        |a| count(a, JobState::Done) == 1,
    );
    assert_eq!(env.sim.submissions().len(), 2, "sent again exactly once");
}
