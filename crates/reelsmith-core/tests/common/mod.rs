//! Set-up the core's integration tests share: a fal client pointed at a simulator.

use std::time::Duration;

use reelsmith_core::fal::{ApiKey, ClientOptions, FalClient, RetryPolicy};
use reelsmith_sim::Simulator;

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
