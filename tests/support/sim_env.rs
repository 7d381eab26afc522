//! [`CliEnv`] with an in-process simulator: the binary's fal URLs (queue, storage, OpenAPI and
//! the platform API) and its key all point at it, so no test reaches the real fal.

use std::ops::Deref;
use std::process::Command;
use std::time::Duration;

use reelsmith_sim::{Route, SimConfig, Simulator};
use serde_json::Value;

use super::cli_env::CliEnv;
use super::run::Reelsmith;

/// Veo 3.1 image to video, the endpoint most tests generate with.
pub const I2V: &str = "fal-ai/veo3.1/image-to-video";
/// Veo 3.1 text to video (no upload needed).
pub const T2V: &str = "fal-ai/veo3.1";

/// The folders of [`CliEnv`] (which it derefs to) and a simulator started for one test.
pub struct SimEnv {
    cli: CliEnv,
    /// The simulator, for its fault knobs and its log of requests and submissions.
    pub sim: Simulator,
    /// Variables set on every run on top of the usual ones.
    extra_env: Vec<(String, String)>,
}

impl SimEnv {
    /// A simulator on a free loopback port whose jobs wait `queue_ms` in the queue and then
    /// run for `run_ms`.
    pub async fn new(queue_ms: u64, run_ms: u64) -> SimEnv {
        SimEnv::with_config(SimConfig {
            port: 0,
            queue_time: Duration::from_millis(queue_ms),
            run_time: Duration::from_millis(run_ms),
            ..SimConfig::default()
        })
        .await
    }

    /// A simulator started with `config`.
    pub async fn with_config(config: SimConfig) -> SimEnv {
        let sim = Simulator::start(config).await.expect("simulator starts");
        SimEnv {
            cli: CliEnv::new(),
            sim,
            extra_env: Vec::new(),
        }
    }

    /// Sets `name=value` on every run (e.g. shorter timeouts than a user's).
    pub fn with_env(mut self, name: &str, value: &str) -> SimEnv {
        self.extra_env.push((name.to_string(), value.to_string()));
        self
    }

    /// The key the simulator accepts (and every run is given as `FAL_KEY`).
    pub fn key(&self) -> String {
        self.sim.key()
    }

    /// How many requests reached `route`.
    pub fn count(&self, route: Route) -> usize {
        self.sim
            .requests()
            .iter()
            .filter(|r| r.route == route)
            .count()
    }

    /// The input of each submission, in order.
    pub fn submitted(&self) -> Vec<Value> {
        self.sim
            .submissions()
            .into_iter()
            .map(|s| s.input)
            .collect()
    }

    /// Fails unless nothing reached fal: no upload started or sent, no job submitted.
    pub fn assert_nothing_sent(&self, what: &str) {
        let sent: Vec<_> = self
            .sim
            .requests()
            .into_iter()
            .filter(|r| {
                matches!(
                    r.route,
                    Route::UploadInitiate | Route::UploadPut | Route::Submit
                )
            })
            .collect();
        assert!(sent.is_empty(), "{what}: the simulator saw {sent:#?}");
    }

    /// Stops the simulator.
    pub async fn shutdown(self) {
        self.sim.shutdown().await;
    }
}

impl Deref for SimEnv {
    type Target = CliEnv;

    fn deref(&self) -> &CliEnv {
        &self.cli
    }
}

impl Reelsmith for SimEnv {
    /// `reelsmith ARGS` in the folders, talking to the simulator with its key.
    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = self.cli.command(args);
        cmd.env("REELSMITH_QUEUE_URL", self.sim.queue_url())
            .env("REELSMITH_REST_URL", self.sim.rest_url())
            .env("REELSMITH_OPENAPI_URL", self.sim.openapi_url())
            .env("REELSMITH_API_URL", self.sim.api_url())
            .env("FAL_KEY", self.sim.key());
        for (name, value) in &self.extra_env {
            cmd.env(name, value);
        }
        cmd
    }
}
