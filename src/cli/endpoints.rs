//! `reelsmith endpoints`: the endpoint catalog.

use std::process::ExitCode;

/// Arguments of `reelsmith endpoints`.
#[derive(Debug, clap::Args)]
pub struct EndpointsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Lists the bundled and added endpoints.
pub async fn run(_args: EndpointsArgs, _simulate: bool) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the catalog is not built yet")
}
