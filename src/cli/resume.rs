//! `reelsmith resume`: finishes every unfinished job of the journal from its last recorded step;
//! a job fal already has is followed, never submitted again. A job whose submission is unknown
//! is looked up in fal's request history again, and submitted again only when named with
//! `--resubmit-unknown`.

use std::process::ExitCode;

use crate::cli::engine_setup::{
    CliExit, EXIT_CODES_HELP, ProgressPrinter, Session, exit, exit_code_for_job, job_json,
    open_session, print_unknown,
};
use reelsmith_core::jobs::{JobEvent, JobState};

/// Arguments of `reelsmith resume`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct ResumeArgs {
    /// Print a JSON array with one object per resumed job.
    #[arg(long)]
    pub json: bool,
    /// Submit this job again although its first submit's outcome is unknown (fal may have it:
    /// then both are charged). Check fal.ai/dashboard first. Repeatable.
    #[arg(long = "resubmit-unknown", value_name = "JOB")]
    pub resubmit_unknown: Vec<String>,
}

/// Runs `reelsmith resume`.
pub async fn run(args: ResumeArgs, simulate: bool) -> anyhow::Result<ExitCode> {
    Ok(super::engine_setup::exit_code(resume(args, simulate).await))
}

async fn resume(args: ResumeArgs, simulate: bool) -> Result<u8, CliExit> {
    let session = open_session()?;
    let journal = session.journal().clone();
    let mut resubmit = Vec::new();
    for text in &args.resubmit_unknown {
        let job = journal
            .find_job(text)
            .map_err(|e| CliExit::new(exit::OTHER, e.to_string()))?
            .ok_or_else(|| {
                CliExit::new(
                    exit::INVALID,
                    format!("--resubmit-unknown {text}: there is no such job; `reelsmith jobs` lists them"),
                )
            })?;
        if job.state != JobState::SubmissionUnknown {
            return Err(CliExit::new(
                exit::INVALID,
                format!(
                    "--resubmit-unknown {text}: job {} is {}, not submission_unknown; nothing was sent",
                    job.id, job.state
                ),
            ));
        }
        resubmit.push(job.id);
    }
    let mut pending = journal
        .unfinished_jobs()
        .map_err(|e| CliExit::new(exit::OTHER, e.to_string()))?;
    pending.extend(
        journal
            .unknown_jobs()
            .map_err(|e| CliExit::new(exit::OTHER, e.to_string()))?,
    );
    let transient = journal
        .jobs()
        .map_err(|e| CliExit::new(exit::OTHER, e.to_string()))?
        .into_iter()
        .filter(|j| {
            j.state == JobState::Failed
                && j.simulated == simulate
                && j.failure.as_ref().is_some_and(|f| f.kind.is_transient())
        })
        .count();
    let mine = pending.iter().filter(|j| j.simulated == simulate).count();
    if mine + transient == 0 {
        if args.json {
            println!("[]");
        }
        eprintln!("nothing to resume");
        return Ok(exit::DONE);
    }
    let mut session = Session::start(simulate, true, session).await?;
    // The named unknown jobs are sent again first, so a lookup does not start on them.
    let mut started = Vec::new();
    for id in &resubmit {
        if let Err(e) = session.engine.resubmit_unknown(id).await {
            session.close().await;
            return Err(CliExit::new(
                exit::INVALID,
                format!("--resubmit-unknown: {e}"),
            ));
        }
        eprintln!("[{}] submitted again at your word", &id.as_str()[..8]);
        started.push(id.clone());
    }
    let more = session
        .engine
        .resume_unfinished(true)
        .map_err(|e| CliExit::new(exit::OTHER, e.to_string()))?;
    started.extend(more.into_iter().filter(|id| !resubmit.contains(id)));
    for job in &pending {
        if job.simulated == simulate && !started.contains(&job.id) {
            eprintln!(
                "[{}] is being run by another reelsmith process; left to it",
                &job.id.as_str()[..8]
            );
        }
    }
    eprintln!("resuming {} job(s)", started.len());
    let mut printer = ProgressPrinter::default();
    let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    let mut interrupted = false;
    loop {
        let all_done = started.iter().all(|id| {
            session
                .engine
                .job(id)
                .is_none_or(|j| j.state.is_settled() && !session.engine.is_running(id))
        });
        if all_done {
            break;
        }
        tokio::select! {
            event = session.events.recv() => {
                if let Ok(JobEvent::Changed { job, stalled, .. }) = event
                    && started.contains(&job.id)
                {
                    printer.show(&job, stalled);
                }
            }
            _ = tick.tick() => {}
            _ = &mut ctrl_c => { interrupted = true; break; }
        }
    }
    let mut code = exit::DONE;
    let mut results = Vec::new();
    for id in &started {
        let Some(job) = session.engine.job(id) else {
            continue;
        };
        let stalled = session.engine.is_stalled(&job);
        results.push(job_json(&job, stalled));
        match job.state {
            JobState::Done => {
                if let Some(warning) = super::generate::moved_output_warning(&job) {
                    eprintln!("{warning}");
                }
                if !args.json
                    && let Some(path) = &job.output_path
                {
                    println!("{}", path.display());
                }
            }
            JobState::Failed => {
                let message = job
                    .failure
                    .as_ref()
                    .map(|f| f.message.clone())
                    .unwrap_or_default();
                eprintln!("[{}] failed: {message}", &id.as_str()[..8]);
            }
            JobState::SubmissionUnknown => print_unknown(&job),
            _ => {}
        }
        let job_code = exit_code_for_job(&job);
        if code == exit::DONE && job.state.is_settled() {
            code = job_code;
        }
    }
    if args.json {
        println!("{}", serde_json::Value::Array(results));
    }
    if interrupted {
        eprintln!("interrupted: unfinished jobs stay recorded; run `reelsmith resume` again");
        code = exit::INTERRUPTED;
    }
    session.close().await;
    Ok(code)
}
