//! `reelsmith export CLIP... -o film.mp4`: a quick join of gallery clips or files.

use std::path::PathBuf;
use std::process::ExitCode;

use reelsmith_core::film::{ExportRequest, ExportShot};

use crate::cli::engine_setup::{CliExit, exit, exit_code};
use crate::cli::export_run::{TrimArg, parse_trim, print_report, resolve_clip, run_export};

/// Arguments of `reelsmith export`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Groups of pictures the cuts leave whole are copied as they are; the partial \
group at a cut, and a clip of another size or frame rate, are re-encoded. Sound is copied frame \
by frame; a clip without sound is silent. Exit codes: 0 written, 1 disk or internal error, 2 bad \
input (nothing written), 130 cancelled with Ctrl+C (nothing written)."
)]
pub struct ExportArgs {
    /// The clips, in order: video files, or library ids as `reelsmith jobs` lists them.
    #[arg(required = true, value_name = "CLIP")]
    pub clips: Vec<String>,
    /// Trim of a clip.
    #[arg(long = "trim", value_name = "IN:OUT", value_parser = parse_trim, long_help = crate::cli::export_run::TRIM_HELP)]
    pub trims: Vec<TrimArg>,
    /// The film to write (an existing file is refused unless --force).
    #[arg(short, long, value_name = "FILM.mp4")]
    pub output: PathBuf,
    /// Replace the output (and its sidecar) if it exists.
    #[arg(long)]
    pub force: bool,
    /// Re-encode every frame instead of copying what can be copied.
    #[arg(long)]
    pub reencode: bool,
}

/// Joins the clips.
pub async fn run(args: ExportArgs) -> anyhow::Result<ExitCode> {
    Ok(exit_code(export(args).await))
}

async fn export(args: ExportArgs) -> Result<u8, CliExit> {
    if args.trims.len() > args.clips.len() {
        return Err(CliExit::new(
            exit::INVALID,
            format!(
                "{} trims for {} clips; give at most one --trim per clip, in order",
                args.trims.len(),
                args.clips.len()
            ),
        ));
    }
    // The journal is only needed to find clips named by id.
    let journal = args
        .clips
        .iter()
        .any(|c| !std::path::Path::new(c).is_file())
        .then(|| reelsmith_core::store::Journal::open_in(&reelsmith_core::paths::data_dir()).ok())
        .flatten();
    let mut shots = Vec::with_capacity(args.clips.len());
    for (i, name) in args.clips.iter().enumerate() {
        let path = resolve_clip(journal.as_ref(), name)?;
        let trim = match args.trims.get(i) {
            Some(t) => Some(t.frames(&path).map_err(crate::cli::export_run::film_exit)?),
            None => None,
        };
        shots.push(ExportShot { path, trim });
    }
    let report = run_export(ExportRequest {
        shots,
        output: args.output,
        overwrite: args.force,
        reencode_all: args.reencode,
        storyboard: None,
    })
    .await?;
    print_report(&report);
    Ok(exit::DONE)
}
