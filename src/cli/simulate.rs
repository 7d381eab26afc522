//! `reelsmith simulate`: the offline fal simulator as a standalone server.

use std::process::ExitCode;

/// Arguments of `reelsmith simulate`.
#[derive(Debug, clap::Args)]
pub struct SimulateArgs {
    /// Port on 127.0.0.1 to listen on (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    pub port: u16,
}

/// Starts the simulator and serves until Ctrl+C.
pub async fn run(_args: SimulateArgs) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the simulator is not built yet")
}
