//! `reelsmith cancel JOB_ID`: cancels a job, at fal too when fal has it.

use std::process::ExitCode;

use crate::cli::engine_setup::{CliExit, EXIT_CODES_HELP, Session, exit, open_session};
use reelsmith_core::jobs::{CancelResult, EngineError};

/// Arguments of `reelsmith cancel`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct CancelArgs {
    /// The job id (as `reelsmith jobs` shows it; a unique prefix of 4+ characters will do).
    pub job_id: String,
}

/// Runs `reelsmith cancel`.
pub async fn run(args: CancelArgs, simulate: bool) -> anyhow::Result<ExitCode> {
    Ok(super::engine_setup::exit_code(cancel(args, simulate).await))
}

async fn cancel(args: CancelArgs, simulate: bool) -> Result<u8, CliExit> {
    let session = open_session()?;
    let journal = session.journal().clone();
    let job = journal
        .find_job(&args.job_id)
        .map_err(|e| CliExit::new(exit::OTHER, e.to_string()))?
        .ok_or_else(|| {
            CliExit::new(
                exit::INVALID,
                format!(
                    "there is no job {}; `reelsmith jobs` lists them",
                    args.job_id
                ),
            )
        })?;
    if job.state.is_terminal() {
        return Err(CliExit::new(
            exit::INVALID,
            format!(
                "job {} is already {}; there is nothing to cancel",
                job.id, job.state
            ),
        ));
    }
    // Telling fal needs the key; a job fal does not have yet can be cancelled without one.
    let need_key = job.request_id.is_some();
    let session = Session::start(simulate || job.simulated, need_key, session).await?;
    let outcome = session.engine.cancel(&job.id).await;
    session.close().await;
    match outcome {
        Ok(CancelResult::Cancelled(_)) => {
            eprintln!("job {} cancelled", job.id);
            Ok(exit::DONE)
        }
        Ok(CancelResult::Requested(_)) => {
            eprintln!(
                "job {} is run by another reelsmith process; it was asked to stop and fal was told to cancel",
                job.id
            );
            Ok(exit::DONE)
        }
        Err(EngineError::NotAllowed { what, .. }) => Err(CliExit::new(
            exit::INVALID,
            format!("job {} cannot be cancelled: {what}", job.id),
        )),
        Err(e) => Err(CliExit::new(exit::SERVICE, e.to_string())),
    }
}
