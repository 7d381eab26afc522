//! One test's runtime, in-process simulator and temporary folders, and the app's
//! configuration over them.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use reelsmith::ui::{Service, StudioConfig};
use reelsmith_core::fal::FalUrls;
use reelsmith_core::fal::config::{
    DEFAULT_API_URL, DEFAULT_OPENAPI_URL, DEFAULT_QUEUE_URL, DEFAULT_REST_URL,
};
use reelsmith_core::settings::Settings;
use reelsmith_sim::{SimConfig, Simulator};

/// A runtime of two workers, as the app's own: the simulator and the engine run on it.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// A runtime, a simulator and temporary folders for one test.
pub struct Env {
    pub rt: tokio::runtime::Runtime,
    pub sim: Arc<Simulator>,
    pub root: tempfile::TempDir,
}

impl Env {
    /// The simulator as `config` says; no settings file, so the window starts from defaults.
    pub fn with_sim(config: SimConfig) -> Env {
        let rt = runtime();
        let sim = rt.block_on(Simulator::start(config)).unwrap();
        Env {
            rt,
            sim: Arc::new(sim),
            root: tempfile::tempdir().unwrap(),
        }
    }

    /// The simulator with its default timing.
    pub fn with_default_sim() -> Env {
        Env::with_sim(SimConfig::default())
    }

    /// Jobs wait `queue` (second in fal's line at first, so the queue position shows) and run
    /// `run`; no settings file.
    pub fn timed(queue: Duration, run: Duration) -> Env {
        Env::with_sim(SimConfig {
            queue_time: queue,
            run_time: run,
            initial_queue_position: 2,
            ..SimConfig::default()
        })
    }

    /// [`Env::timed`] fast enough that a job ends in well under a second.
    pub fn fast() -> Env {
        Env::timed(Duration::from_millis(150), Duration::from_millis(250))
    }

    /// The simulator with these times in queue and running; the shared settings file says
    /// the same (the window gives the simulator the settings' timing) and `in_flight`.
    pub fn new(queue: Duration, run: Duration, in_flight: u32) -> Env {
        let env = Env::with_sim(SimConfig {
            queue_time: queue,
            run_time: run,
            ..SimConfig::default()
        });
        let settings = Settings {
            jobs_in_flight: in_flight,
            sim_queue_secs: queue.as_secs_f32(),
            sim_run_secs: run.as_secs_f32(),
            ..Settings::default()
        };
        settings.save(&env.config_dir()).unwrap();
        env
    }

    /// The config folder (settings, presets).
    pub fn config_dir(&self) -> PathBuf {
        self.root.path().join("config")
    }

    /// The library folder of [`Env::config`].
    pub fn library(&self) -> PathBuf {
        self.root.path().join("videos")
    }

    /// The app's configuration against the simulator.
    pub fn config(&self) -> StudioConfig {
        StudioConfig::in_dir(self.root.path(), Service::simulator(Arc::clone(&self.sim)))
    }

    /// A config for fal's own hosts with no key (the welcome screen shows). Nothing in the
    /// tests that use it reaches the network: a saved key is only ever sent to these hosts.
    pub fn config_without_key(&self) -> StudioConfig {
        StudioConfig::in_dir(self.root.path(), Service::live(fal_urls()))
    }
}

/// fal's own hosts, the only ones a saved key may go to.
pub fn fal_urls() -> FalUrls {
    FalUrls {
        queue: DEFAULT_QUEUE_URL.into(),
        rest: DEFAULT_REST_URL.into(),
        openapi: DEFAULT_OPENAPI_URL.into(),
        api: DEFAULT_API_URL.into(),
    }
}
