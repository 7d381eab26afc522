//! `reelsmith presets list|show|delete`: the saved form presets (plain JSON files in the config
//! folder's `presets/`; `generate --save-preset NAME` saves one, `--preset NAME` applies it).

use std::process::ExitCode;

use reelsmith_core::schema::presets::{PresetStore, presets_dir};

/// Arguments of `reelsmith presets`.
#[derive(Debug, clap::Args)]
pub struct PresetsArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: PresetAction,
}

/// The preset commands.
#[derive(Debug, clap::Subcommand)]
pub enum PresetAction {
    /// List the presets (of one endpoint, or of all).
    List {
        /// Only this endpoint's.
        #[arg(short = 'e', long = "endpoint", value_name = "ID")]
        endpoint: Option<String>,
    },
    /// Print one preset's file.
    Show {
        /// The endpoint id.
        #[arg(short = 'e', long = "endpoint", value_name = "ID")]
        endpoint: String,
        /// The preset's name.
        name: String,
    },
    /// Delete one preset.
    Delete {
        /// The endpoint id.
        #[arg(short = 'e', long = "endpoint", value_name = "ID")]
        endpoint: String,
        /// The preset's name.
        name: String,
    },
}

/// Runs `reelsmith presets`.
pub fn run(args: PresetsArgs) -> anyhow::Result<ExitCode> {
    let store = PresetStore::new(presets_dir());
    match args.action {
        PresetAction::List { endpoint } => {
            let all = match endpoint {
                Some(e) => {
                    let presets = store.list(&e);
                    vec![(e, presets)]
                }
                None => store.list_all(),
            };
            for (endpoint, presets) in all {
                for preset in presets {
                    println!("{endpoint}\t{}", preset.name);
                }
            }
        }
        PresetAction::Show { endpoint, name } => {
            let preset = store.load(&endpoint, &name)?;
            println!("{}", serde_json::to_string_pretty(&preset)?);
        }
        PresetAction::Delete { endpoint, name } => {
            store.delete(&endpoint, &name)?;
            eprintln!("deleted the preset {name:?} of {endpoint}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
