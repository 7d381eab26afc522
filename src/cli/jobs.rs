//! `reelsmith jobs`: every job in the journal and where it stands.

use std::process::ExitCode;

use chrono::Utc;

use crate::cli::engine_setup::{EXIT_CODES_HELP, job_json, open_session};
use reelsmith_core::jobs::JobState;
use reelsmith_core::session::FrontEnd;

/// Arguments of `reelsmith jobs`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct JobsArgs {
    /// Print a JSON array of job objects instead of a table.
    #[arg(long)]
    pub json: bool,
}

/// Lists the jobs, oldest first.
pub async fn run(args: JobsArgs, simulate: bool) -> anyhow::Result<ExitCode> {
    let session = match open_session() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}", e.message);
            return Ok(ExitCode::from(e.code));
        }
    };
    let journal = session.journal().clone();
    let stall_after = session.engine_config(FrontEnd::Cli, simulate).stall_after;
    let now = Utc::now();
    let jobs = journal.jobs()?;
    if args.json {
        let list: Vec<_> = jobs
            .iter()
            .map(|j| job_json(j, j.is_stalled(now, stall_after)))
            .collect();
        println!("{}", serde_json::Value::Array(list));
        return Ok(ExitCode::SUCCESS);
    }
    if jobs.is_empty() {
        eprintln!("no jobs yet; `reelsmith generate` starts one");
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<32}  {:<18}  {:<19}  {:<44}  DETAIL",
        "JOB", "STATUS", "CREATED", "ENDPOINT"
    );
    for job in &jobs {
        let stalled = job.is_stalled(now, stall_after);
        let mut status = job.state.as_str().to_string();
        if stalled {
            status.push('*');
        }
        let detail = match job.state {
            JobState::Done => job
                .output_path
                .as_ref()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            JobState::Failed => job
                .failure
                .as_ref()
                .map(|f| f.message.clone())
                .unwrap_or_default(),
            JobState::InQueue => job
                .queue_position
                .map(|p| format!("position {p}"))
                .unwrap_or_default(),
            JobState::SubmissionUnknown => {
                let sent = job
                    .submit_sent_at
                    .map(|t| {
                        format!(
                            "; sent {}",
                            t.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S")
                        )
                    })
                    .unwrap_or_default();
                format!(
                    "{}{sent} (`reelsmith resume` looks again, --resubmit-unknown sends it again)",
                    reelsmith_core::jobs::unknown::UNKNOWN_HEADLINE
                )
            }
            _ => job.request_id.clone().unwrap_or_default(),
        };
        println!(
            "{:<32}  {:<18}  {:<19}  {:<44}  {}",
            job.id,
            status,
            job.created_at
                .with_timezone(&chrono::Local)
                .format("%Y-%m-%d %H:%M:%S"),
            job.endpoint_id,
            detail
        );
    }
    if jobs.iter().any(|j| j.is_stalled(now, stall_after)) {
        println!("* stalled: no status change for a long time; the job is still followed");
    }
    Ok(ExitCode::SUCCESS)
}
