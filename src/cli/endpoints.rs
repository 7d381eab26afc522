//! `reelsmith endpoints`: the endpoint catalog.

use std::process::ExitCode;

use reelsmith_core::catalog::Catalog;
use reelsmith_core::paths;

/// Arguments of `reelsmith endpoints`.
#[derive(Debug, clap::Args)]
pub struct EndpointsArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Lists the bundled and added endpoints, grouped by family.
pub async fn run(args: EndpointsArgs, _simulate: bool) -> anyhow::Result<ExitCode> {
    // The simulator serves the same bundled endpoints, so --simulate changes nothing here.
    let catalog = Catalog::load(&paths::cache_dir());
    let entries = catalog.entries();
    if args.json {
        println!("{}", serde_json::to_string_pretty(&entries)?);
        return Ok(ExitCode::SUCCESS);
    }
    let id_width = entries
        .iter()
        .map(|e| e.endpoint_id.len())
        .max()
        .unwrap_or(0);
    let mut family = None;
    for e in &entries {
        if family != Some(&e.family) {
            if family.is_some() {
                println!();
            }
            println!("{}", e.family);
            family = Some(&e.family);
        }
        let source = match (e.bundled, e.live) {
            (true, true) => "bundled, live copy cached",
            (true, false) => "bundled",
            (false, _) => "added",
        };
        println!("  {:<id_width$}  {}  ({source})", e.endpoint_id, e.name);
    }
    Ok(ExitCode::SUCCESS)
}
