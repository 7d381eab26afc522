//! `reelsmith simulate`: the offline fal simulator as a standalone server.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use reelsmith_sim::{SimConfig, Simulator};

/// Arguments of `reelsmith simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Port on 127.0.0.1 to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
    /// Seconds a job waits IN_QUEUE.
    #[arg(long, default_value_t = 1.5)]
    pub queue_seconds: f64,
    /// Seconds a job runs IN_PROGRESS.
    #[arg(long, default_value_t = 2.0)]
    pub run_seconds: f64,
    /// Longest clip rendered, in seconds (longer requested durations are cut).
    #[arg(long, default_value_t = 4.0)]
    pub max_clip_seconds: f64,
    /// Keep uploads and results in this directory instead of a temporary one.
    #[arg(long)]
    pub storage_dir: Option<PathBuf>,
    /// Serve the queue and storage at the root of one origin, beside the upload URLs and the CDN
    /// (as a proxy in front of fal does), instead of under /queue and /rest.
    #[arg(long)]
    pub one_origin: bool,
}

fn seconds(value: f64, flag: &str) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .map_err(|_| anyhow::anyhow!("--{flag} must be a non-negative number of seconds"))
}

/// Starts the simulator and serves until Ctrl+C.
pub async fn run(args: SimulateArgs) -> anyhow::Result<ExitCode> {
    let config = SimConfig {
        port: args.port,
        queue_time: seconds(args.queue_seconds, "queue-seconds")?,
        run_time: seconds(args.run_seconds, "run-seconds")?,
        storage_dir: args.storage_dir.clone(),
        one_origin: args.one_origin,
        ..SimConfig::default()
    };
    let sim = Simulator::start(config).await?;
    sim.set_max_clip_seconds(args.max_clip_seconds);
    println!("reelsmith fal simulator (offline; not the real fal service)");
    if sim.is_one_origin() {
        println!("  one origin: queue and storage at the root, beside /upload and /cdn");
    }
    println!("  queue:   {}", sim.queue_url());
    println!("  rest:    {}", sim.rest_url());
    println!("  openapi: {}", sim.openapi_url());
    println!("  key:     {}", sim.key());
    println!();
    println!("Point reelsmith at it with:");
    println!("  export REELSMITH_QUEUE_URL={}", sim.queue_url());
    println!("  export REELSMITH_REST_URL={}", sim.rest_url());
    println!("  export REELSMITH_OPENAPI_URL={}", sim.openapi_url());
    println!("  export FAL_KEY={}", sim.key());
    println!();
    println!(
        "FAL_KEY is the simulator's own key. reelsmith sends a key saved in its settings only"
    );
    println!("to fal's https hosts, so your fal key never comes here.");
    println!();
    println!("Serving until Ctrl+C.");
    tokio::signal::ctrl_c().await?;
    sim.shutdown().await;
    Ok(ExitCode::SUCCESS)
}
