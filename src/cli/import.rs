//! `reelsmith import FILE...`: your own videos into the library, as clips like generated ones.

use std::path::PathBuf;
use std::process::ExitCode;

use reelsmith_core::film::import_video;

use crate::cli::engine_setup::{CliExit, exit, exit_code, open_session};

/// Arguments of `reelsmith import`.
#[derive(Debug, clap::Args)]
pub struct ImportArgs {
    /// MP4 files with H.264 video (copied into the library; the originals stay).
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
}

/// Imports the files.
pub async fn run(args: ImportArgs) -> anyhow::Result<ExitCode> {
    Ok(exit_code(import(args)))
}

fn import(args: ImportArgs) -> Result<u8, CliExit> {
    // The session's library folder: the one chosen in the shared settings, as for generate.
    let session = open_session()?;
    let journal = session.journal().clone();
    let library = session.output_dir();
    for file in &args.files {
        let item =
            import_video(&journal, file, &library).map_err(crate::cli::export_run::film_exit)?;
        eprintln!("reelsmith: imported {} as {}", file.display(), item.job_id);
        println!("{}", item.path.display());
    }
    Ok(exit::DONE)
}
