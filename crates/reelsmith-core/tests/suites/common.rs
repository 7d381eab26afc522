//! Set-up the core's integration tests share: a fal client pointed at a simulator, and the
//! simulator's layout. The client, fault and engine suites run twice: as themselves, with the
//! simulator's hosts under path prefixes, and again under `one_origin` (the same files through
//! `#[path]`), with queue, storage, upload URLs and CDN all at the root of one origin.

use std::time::Duration;

use reelsmith_core::fal::{ApiKey, ClientOptions, FalClient, RetryPolicy};
use reelsmith_sim::{SimConfig, Simulator};

/// True for a suite compiled again under `one_origin` (`module` is the caller's
/// `module_path!()`).
pub fn one_origin(module: &str) -> bool {
    module.split("::").any(|part| part == "one_origin")
}

/// The simulator's defaults, laid out as the calling suite (its `module_path!()`) asks.
pub fn sim_config(module: &str) -> SimConfig {
    SimConfig {
        one_origin: one_origin(module),
        ..SimConfig::default()
    }
}

/// A client for `sim` that sends `key` and retries up to 4 times, waiting `base_delay` doubling
/// up to `max_delay`: the simulator's faults pass quickly, so the tests need not wait long.
pub fn client_for(
    sim: &Simulator,
    key: &str,
    base_delay: Duration,
    max_delay: Duration,
    options: ClientOptions,
) -> FalClient {
    FalClient::new(sim.fal_urls(), Some(ApiKey::new(key)))
        .expect("client")
        .with_retry(RetryPolicy {
            max_retries: 4,
            base_delay,
            max_delay,
        })
        .with_options(options)
        .expect("client options")
}
