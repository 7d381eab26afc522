//! The reelsmith binary: subcommands for the command line.

use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = reelsmith::cli::Cli::parse();
    reelsmith::cli::init_logging(cli.verbose);
    match reelsmith::cli::run(cli) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
