//! `reelsmith schema ID`: one endpoint's form model.

use std::process::ExitCode;

/// Arguments of `reelsmith schema`.
#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// The endpoint id, e.g. fal-ai/veo3.1/image-to-video.
    pub endpoint_id: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Prints the form model of one endpoint.
pub async fn run(_args: SchemaArgs, _simulate: bool) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the schema model is not built yet")
}
