//! The client, fault and engine suites again, with the simulator serving queue, REST storage,
//! upload URLs, CDN and OpenAPI on one origin at its root, as a proxy in front of fal does: the
//! key must still go only with the calls, never by URL. Each file's `common::sim_config` sees
//! `one_origin` in its module path (`common::one_origin`); the platform API keeps its own
//! `/api/v1` path there.

#[path = "engine_jobs/mod.rs"]
mod engine_jobs;
#[path = "engine_lost_answers.rs"]
mod engine_lost_answers;
#[path = "fal_client.rs"]
mod fal_client;
#[path = "fal_faults.rs"]
mod fal_faults;

#[test]
fn the_suites_compiled_here_ask_for_one_origin() {
    assert!(crate::common::sim_config(module_path!()).one_origin);
    assert!(!crate::common::sim_config("suites::fal_client").one_origin);
}
