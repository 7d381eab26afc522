//! `reelsmith simulate`: the offline fal simulator as a standalone server.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use reelsmith_sim::{LostAnswer, SimConfig, Simulator};

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
    /// Lose the answer to the next submits after queueing them: `gateway-504` (an nginx page
    /// without x-fal-request-id), `close` (the connection closes) or `late` (the answer comes
    /// after 10 minutes). For trying out what reelsmith does then.
    #[arg(long, value_name = "HOW", value_parser = ["gateway-504", "close", "late"])]
    pub lose_submit_answers: Option<String>,
    /// How many submit answers `--lose-submit-answers` loses.
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub lose_count: u32,
    /// Requests show in the request history only this many seconds after they arrive.
    #[arg(long, default_value_t = 0.0, value_name = "SECONDS")]
    pub history_delay_seconds: f64,
    /// Finished requests leave the queue (404) this many seconds after finishing; their output
    /// stays in the request history.
    #[arg(long, value_name = "SECONDS")]
    pub forget_results_after: Option<f64>,
    /// The scope of the simulator's key: `api` keys get 403 from usage, billing events and the
    /// balance (as fal's do), so clients fall back; `admin` (the default) may read them.
    #[arg(long, value_name = "SCOPE", value_parser = ["admin", "api"], default_value = "admin")]
    pub key_scope: String,
    /// Mark an endpoint deprecated in the simulator's catalog. Repeatable.
    #[arg(long, value_name = "ENDPOINT")]
    pub deprecate: Vec<String>,
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
        key_scope: if args.key_scope == "api" {
            reelsmith_sim::KeyScope::Api
        } else {
            reelsmith_sim::KeyScope::Admin
        },
        one_origin: args.one_origin,
        ..SimConfig::default()
    };
    let sim = Simulator::start(config).await?;
    sim.set_max_clip_seconds(args.max_clip_seconds);
    for id in &args.deprecate {
        sim.deprecate(id);
    }
    sim.set_history_delay(seconds(
        args.history_delay_seconds,
        "history-delay-seconds",
    )?);
    if let Some(after) = args.forget_results_after {
        sim.forget_results_after(Some(seconds(after, "forget-results-after")?));
    }
    let lost = match args.lose_submit_answers.as_deref() {
        Some("gateway-504") => Some(LostAnswer::GatewayTimeout),
        Some("close") => Some(LostAnswer::CloseConnection),
        Some(_) => Some(LostAnswer::Delay(Duration::from_secs(600))),
        None => None,
    };
    if let Some(lost) = lost {
        sim.lose_next_submit_answers(lost, args.lose_count);
    }
    println!("reelsmith fal simulator (offline; not the real fal service)");
    if sim.is_one_origin() {
        println!("  one origin: queue and storage at the root, beside /upload and /cdn");
    }
    println!("  queue:   {}", sim.queue_url());
    println!("  rest:    {}", sim.rest_url());
    println!("  openapi: {}", sim.openapi_url());
    println!("  api:     {}", sim.api_url());
    println!("  key:     {}", sim.key());
    println!();
    println!("Point reelsmith at it with:");
    println!("  export REELSMITH_QUEUE_URL={}", sim.queue_url());
    println!("  export REELSMITH_REST_URL={}", sim.rest_url());
    println!("  export REELSMITH_OPENAPI_URL={}", sim.openapi_url());
    println!("  export REELSMITH_API_URL={}", sim.api_url());
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
