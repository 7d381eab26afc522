//! `reelsmith cancel JOB_ID | --all | --queued`: cancels a job (or every unfinished one, or only
//! those that wait), at fal too when fal has it.

use std::process::ExitCode;

use crate::cli::engine_setup::{CliExit, EXIT_CODES_HELP, Session, exit, open_session};
use reelsmith_core::jobs::{CancelResult, EngineError};

/// Arguments of `reelsmith cancel`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct CancelArgs {
    /// The job id (as `reelsmith jobs` shows it; a unique prefix of 4+ characters will do).
    #[arg(required_unless_present_any = ["all", "queued"], conflicts_with_all = ["all", "queued"])]
    pub job_id: Option<String>,
    /// Cancel every unfinished job (a video being downloaded is left to finish: it is paid for).
    #[arg(long, conflicts_with = "queued")]
    pub all: bool,
    /// Cancel only the jobs that wait (not sent yet, or in fal's queue); running ones go on.
    #[arg(long)]
    pub queued: bool,
}

/// Runs `reelsmith cancel`.
pub async fn run(args: CancelArgs, simulate: bool) -> anyhow::Result<ExitCode> {
    Ok(super::engine_setup::exit_code(cancel(args, simulate).await))
}

async fn cancel(args: CancelArgs, simulate: bool) -> Result<u8, CliExit> {
    let session = open_session()?;
    let Some(job_id) = args.job_id.clone() else {
        return cancel_many(args.all, simulate, session).await;
    };
    let journal = session.journal().clone();
    let job = journal
        .find_job(&job_id)
        .map_err(|e| CliExit::new(exit::OTHER, e.to_string()))?
        .ok_or_else(|| {
            CliExit::new(
                exit::INVALID,
                format!("there is no job {job_id}; `reelsmith jobs` lists them"),
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

/// `--all` / `--queued`: the queue's bulk cancel, through the same engine call as the window's.
async fn cancel_many(
    all: bool,
    simulate: bool,
    core: std::sync::Arc<reelsmith_core::session::Session>,
) -> Result<u8, CliExit> {
    let unfinished = core
        .journal()
        .unfinished_jobs()
        .map_err(|e| CliExit::new(exit::OTHER, e.to_string()))?;
    let mine: Vec<_> = unfinished
        .iter()
        .filter(|j| j.simulated == simulate)
        .collect();
    if mine.is_empty() {
        eprintln!("no unfinished job to cancel");
        return Ok(exit::DONE);
    }
    // Telling fal needs the key only when fal has one of them.
    let need_key = mine.iter().any(|j| j.request_id.is_some());
    let session = Session::start(simulate, need_key, core).await?;
    // The engine knows every job of the journal without starting any (a command resumes
    // nothing by itself), so the cancel is all it does.
    let outcomes = if all {
        session.engine.cancel_all().await
    } else {
        session.engine.cancel_queued().await
    };
    session.close().await;
    let mut failed = 0;
    for (id, outcome) in &outcomes {
        let short = &id.as_str()[..8.min(id.as_str().len())];
        match outcome {
            Ok(CancelResult::Cancelled(_)) => eprintln!("[{short}] cancelled"),
            Ok(CancelResult::Requested(_)) => {
                eprintln!("[{short}] run by another reelsmith process: asked to stop")
            }
            Err(e) => {
                failed += 1;
                eprintln!("[{short}] not cancelled: {e}");
            }
        }
    }
    let noun = if all { "unfinished" } else { "waiting" };
    eprintln!(
        "{} of {} {noun} job(s) cancelled",
        outcomes.len() - failed,
        outcomes.len()
    );
    Ok(if failed == 0 {
        exit::DONE
    } else {
        exit::SERVICE
    })
}
