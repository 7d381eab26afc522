//! The command line: argument parsing and one module per subcommand.

pub mod batch;
pub mod cancel;
pub mod endpoints;
pub mod engine_setup;
pub mod exit;
pub mod export;
pub mod export_run;
pub mod form_args;
pub mod generate;
pub mod import;
pub mod jobs;
pub mod library;
pub mod models;
pub mod presets;
pub mod report;
pub mod resume;
pub mod schema;
pub mod simulate;
pub mod storyboard;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// reelsmith: generate video with fal.ai's hosted models.
#[derive(Debug, Parser)]
#[command(
    name = "reelsmith",
    version = concat!(env!("CARGO_PKG_VERSION"), " (", env!("REELSMITH_GIT_COMMIT"), ")"),
    about,
    long_about = None
)]
pub struct Cli {
    /// Use the built-in offline simulator of fal instead of the real service.
    #[arg(long, global = true)]
    pub simulate: bool,
    /// More log output on stderr (-v, -vv).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// What to do; without a subcommand the studio window opens.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the offline fal simulator on loopback until interrupted.
    Simulate(simulate::SimulateArgs),
    /// List the endpoints reelsmith knows.
    Endpoints(endpoints::EndpointsArgs),
    /// Show the form model of one endpoint.
    Schema(schema::SchemaArgs),
    /// Generate a video: check the input, upload local files, submit, follow, save.
    Generate(Box<generate::GenerateArgs>),
    /// List the jobs in the journal.
    Jobs(jobs::JobsArgs),
    /// Finish every unfinished job (never submitting one fal already has).
    Resume(resume::ResumeArgs),
    /// Cancel a job (at fal too, if fal has it).
    Cancel(cancel::CancelArgs),
    /// List, show or delete the saved form presets.
    Presets(presets::PresetsArgs),
    /// fal's model catalog: search it (with prices), add an endpoint from it.
    Models(models::ModelsArgs),
    /// Storyboards: list, show, create, edit, and export one as a film.
    Storyboard(storyboard::StoryboardArgs),
    /// Join clips (files or library ids), trimmed, into one MP4 with their sound.
    Export(export::ExportArgs),
    /// Copy your own videos (H.264 MP4) into the library.
    Import(import::ImportArgs),
    /// The library: list (search, filter, sort), mark, delete to the trash, clear, copy out.
    Library(library::LibraryArgs),
}

/// Sets up `tracing` on stderr; `RUST_LOG` overrides the level chosen by `-v`.
pub fn init_logging(verbose: u8) {
    let default = match verbose {
        0 => "warn",
        1 => "info,reelsmith=debug",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Runs the parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let simulate = cli.simulate;
    match cli.command {
        Some(Command::Simulate(args)) => runtime.block_on(simulate::run(args)),
        Some(Command::Endpoints(args)) => runtime.block_on(endpoints::run(args, simulate)),
        Some(Command::Schema(args)) => runtime.block_on(schema::run(args, simulate)),
        Some(Command::Generate(args)) => runtime.block_on(generate::run(*args, simulate)),
        Some(Command::Jobs(args)) => runtime.block_on(jobs::run(args, simulate)),
        Some(Command::Resume(args)) => runtime.block_on(resume::run(args, simulate)),
        Some(Command::Cancel(args)) => runtime.block_on(cancel::run(args, simulate)),
        Some(Command::Presets(args)) => presets::run(args),
        Some(Command::Models(args)) => runtime.block_on(models::run(args, simulate)),
        Some(Command::Storyboard(args)) => runtime.block_on(storyboard::run(args)),
        Some(Command::Export(args)) => runtime.block_on(export::run(args)),
        Some(Command::Import(args)) => runtime.block_on(import::run(args)),
        Some(Command::Library(args)) => library::run(args),
        None => {
            // The window makes its own runtime and enters it on the UI thread.
            drop(runtime);
            crate::ui::run(simulate)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
