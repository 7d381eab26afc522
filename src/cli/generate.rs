//! `reelsmith generate`: fill an endpoint's form from the command line, check it, upload the
//! local files, submit, follow, and save the video (or `--detach` once fal has the job).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::engine_setup::{
    CliExit, EXIT_CODES_HELP, ProgressPrinter, Session, exit, exit_code_for_job, job_json,
    open_session, print_unknown,
};
use crate::cli::form_args::{build_form, invalid};
use reelsmith_core::jobs::{
    BudgetCheck, EngineError, JobEvent, JobId, JobState, NewJob, check_input, describe_issues,
};
use reelsmith_core::schema::Severity;

/// Arguments of `reelsmith generate`.
#[derive(Debug, clap::Args)]
#[command(after_help = EXIT_CODES_HELP)]
pub struct GenerateArgs {
    /// The endpoint id, e.g. fal-ai/veo3.1/image-to-video (`reelsmith endpoints` lists them).
    #[arg(short = 'e', long = "endpoint", value_name = "ID")]
    pub endpoint: String,
    /// The prompt.
    #[arg(short = 'p', long = "prompt", value_name = "TEXT")]
    pub prompt: Option<String>,
    /// An image (local file or URL): fills the endpoint's image field(s) in order, or is
    /// appended to its image list. Repeatable.
    #[arg(long = "image", value_name = "PATH|URL")]
    pub image: Vec<String>,
    /// Several images at once, as with repeated --image.
    #[arg(long = "images", value_name = "PATH|URL", num_args = 1..)]
    pub images: Vec<String>,
    /// A video (local file or URL) for the endpoint's video field.
    #[arg(long = "video", value_name = "PATH|URL")]
    pub video: Vec<String>,
    /// A Kling element: its frontal image, then its reference images, comma-separated.
    /// Repeatable (one element each).
    #[arg(long = "element", value_name = "FRONT[,REF...]")]
    pub element: Vec<String>,
    /// Sets any field; VALUE is parsed by the field's type, @PATH is a local file to upload,
    /// lists and objects are JSON (where "@PATH" strings are uploaded too). Repeatable.
    #[arg(long = "set", value_name = "NAME=VALUE")]
    pub set: Vec<String>,
    /// The whole input as a JSON file (as sent to fal; "@PATH" strings are local files);
    /// the other options apply on top.
    #[arg(long = "input-json", value_name = "FILE")]
    pub input_json: Option<PathBuf>,
    /// Save the video here (a file, or an existing folder) instead of the library. An
    /// existing file is refused unless --force.
    #[arg(short = 'o', long = "output", value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// With -o FILE: replace that file (and its .json sidecar) if it exists.
    #[arg(long, requires = "output")]
    pub force: bool,
    /// Print one JSON object {job_id, request_id, endpoint, status, output, video_url}.
    #[arg(long)]
    pub json: bool,
    /// Return as soon as fal has accepted the job and its request id is recorded;
    /// `reelsmith resume` finishes it later.
    #[arg(long)]
    pub detach: bool,
    /// Start from a saved preset of this endpoint (`reelsmith presets list`); the other options
    /// apply on top.
    #[arg(long, value_name = "NAME")]
    pub preset: Option<String>,
    /// Save the form as a preset of this name (replacing one of that name) before sending.
    #[arg(long, value_name = "NAME")]
    pub save_preset: Option<String>,
    /// Batch: one job per photo in DIR (.jpg, .jpeg, .png, .webp), each in the endpoint's
    /// first image field (or --batch-field).
    #[arg(long, value_name = "DIR", group = "batch")]
    pub batch_images: Option<PathBuf>,
    /// Batch: one job per row of a CSV whose header names the fields (e.g.
    /// prompt,image_url,duration); empty cells keep the form's value, paths are relative to
    /// the CSV's folder.
    #[arg(long, value_name = "FILE", group = "batch")]
    pub batch_csv: Option<PathBuf>,
    /// Batch: one job per non-empty line of FILE, each line the prompt.
    #[arg(long, value_name = "FILE", group = "batch")]
    pub batch_prompts: Option<PathBuf>,
    /// With --batch-images: the image field each photo goes into.
    #[arg(long, value_name = "NAME", requires = "batch_images")]
    pub batch_field: Option<String>,
    /// Send a batch without asking (otherwise the count and total are shown and y/N asked).
    #[arg(short = 'y', long)]
    pub yes: bool,
    /// Go on even when the estimate would pass the daily or monthly budget (settings.json);
    /// the output says so.
    #[arg(long)]
    pub over_budget: bool,
}

/// Fetches the endpoint's live price, prints the estimate (or why there is none) and checks
/// the budgets: over budget stops here (exit 7) unless `over_budget`, which is said. The check
/// is handed to the submit, so the spend is read once.
pub(crate) async fn price_and_check(
    session: &Session,
    jobs: &[NewJob],
    over_budget: bool,
) -> Result<BudgetCheck, CliExit> {
    let engine = &session.engine;
    let mut endpoints: Vec<String> = jobs.iter().map(|j| j.endpoint_id.clone()).collect();
    endpoints.dedup();
    crate::cli::engine_setup::refresh_prices(engine.client(), &engine.config().money, &endpoints)
        .await;
    let check = engine
        .check_budget(jobs)
        .await
        .map_err(|e| CliExit::new(exit::OTHER, e.to_string()))?;
    // A batch has shown its count and total already; one job shows its estimate here.
    match check.estimates.as_slice() {
        [Ok(e)] => eprintln!("estimate: {e}"),
        [Err(why)] => eprintln!("estimate: none ({why})"),
        _ => {}
    }
    if let Some(spend) = &check.spend {
        eprintln!(
            "spent: ${:.2} today, ${:.2} this month ({})",
            spend.today_usd,
            spend.month_usd,
            spend.source.describe()
        );
    }
    match &check.over {
        Some(over) if over_budget => {
            eprintln!("warning: going on over budget (--over-budget): {over}");
            Ok(check)
        }
        Some(over) => Err(CliExit::new(
            exit::OVER_BUDGET,
            EngineError::OverBudget(over.clone()).to_string(),
        )),
        None => Ok(check),
    }
}

/// Runs `reelsmith generate`.
pub async fn run(args: GenerateArgs, simulate: bool) -> anyhow::Result<ExitCode> {
    Ok(super::engine_setup::exit_code(
        generate(args, simulate).await,
    ))
}

/// How following a job ended.
pub(super) enum Ending {
    Finished(Box<reelsmith_core::jobs::Job>),
    Detached(Box<reelsmith_core::jobs::Job>),
    Interrupted,
}

/// True when `-o` names a folder (an existing one, or one written with a trailing separator).
fn is_folder(path: &Path) -> bool {
    path.is_dir() || path.as_os_str().to_string_lossy().ends_with(['/', '\\'])
}

/// Refuses an `-o` file that is already there (or whose sidecar is), unless `--force`, before
/// anything is uploaded or paid for. The engine checks again when it saves.
pub fn check_output(path: &Path, force: bool) -> Result<(), CliExit> {
    if is_folder(path) {
        return Ok(());
    }
    const NOTHING_SENT: &str = "nothing was uploaded or submitted";
    let shown = path.display();
    let name_len = path.file_name().map_or(0, |n| n.len());
    if name_len + ".part".len() > reelsmith_core::library::naming::MAX_NAME_BYTES {
        return Err(invalid(format!(
            "-o {shown}: the file name is {name_len} bytes; file systems take 255 and \
             \".part\" is added while downloading. Choose a shorter name ({NOTHING_SENT})"
        )));
    }
    let exists = |p: &Path| p.symlink_metadata().is_ok();
    let part = reelsmith_core::fal::download::part_path(path);
    if exists(&part) {
        return Err(invalid(format!(
            "-o {shown}: {} exists, so another download may be writing there; choose another \
             name or remove that file ({NOTHING_SENT})",
            part.display()
        )));
    }
    if force {
        return Ok(());
    }
    if exists(path) {
        return Err(invalid(format!(
            "-o {shown}: the file already exists; pass --force to replace it, or choose \
             another name ({NOTHING_SENT})"
        )));
    }
    let sidecar = reelsmith_core::library::sidecar_path(path);
    if exists(&sidecar) {
        return Err(invalid(format!(
            "-o {shown}: {} already exists and the video's sidecar goes there; pass --force to \
             replace it, or choose another name ({NOTHING_SENT})",
            sidecar.display()
        )));
    }
    Ok(())
}

/// What to tell the user when a finished job's video is not where `-o` asked.
pub fn moved_output_warning(job: &reelsmith_core::jobs::Job) -> Option<String> {
    let requested = job.requested_output.as_ref().filter(|r| !is_folder(r))?;
    let saved = job.output_path.as_ref().filter(|p| *p != requested)?;
    if job.state != JobState::Done {
        return None;
    }
    let why = if job.overwrite_output {
        "another download was writing its .part file"
    } else {
        "that file (or its sidecar) appeared while the job ran and was left as it was; \
         --force replaces an existing file"
    };
    Some(format!(
        "warning: -o {}: {why}. The video was saved as {} instead.",
        requested.display(),
        saved.display(),
    ))
}

async fn generate(args: GenerateArgs, simulate: bool) -> Result<u8, CliExit> {
    if let Some(output) = &args.output {
        check_output(output, args.force)?;
    }
    let model = crate::cli::engine_setup::model_for(&args.endpoint, simulate).await?;
    // The key first: a run that could never be sent says so before the input is looked at.
    let session = open_session()?;
    let service = crate::cli::engine_setup::service(simulate, true, &session.settings()).await?;
    let form = build_form(&model, &args)?;
    if let Some(name) = &args.save_preset {
        let store = reelsmith_core::schema::presets::PresetStore::new(
            reelsmith_core::schema::presets::presets_dir(),
        );
        let path = store
            .save(&model.endpoint_id, name, &form, true)
            .map_err(|e| CliExit::new(exit::OTHER, format!("--save-preset: {e}")))?;
        eprintln!("saved the preset {name:?} as {}", path.display());
    }
    if crate::cli::batch::wanted(&args) {
        return crate::cli::batch::run(&args, &model, service, session, form).await;
    }
    let issues = check_input(&model, &form);
    for issue in issues.iter().filter(|i| i.severity == Severity::Warning) {
        eprintln!("warning: {}: {}", issue.field, issue.message);
    }
    let errors: Vec<_> = issues
        .iter()
        .filter(|i| i.severity == Severity::Error)
        .collect();
    if !errors.is_empty() {
        for issue in &errors {
            eprintln!("error: {}: {}", issue.field, issue.message);
        }
        return Err(invalid(format!(
            "the input is not valid ({} problem(s)); nothing was uploaded or submitted",
            errors.len()
        )));
    }

    if simulate && args.detach {
        eprintln!(
            "warning: --detach with --simulate: the built-in simulator stops when this command \
             exits, so the detached job cannot be finished later"
        );
    }
    let mut session = Session::start_with(service, session).await?;
    let new = NewJob {
        endpoint_id: args.endpoint.clone(),
        form,
        output: args.output.clone(),
        overwrite_output: args.force,
    };
    let priced = match price_and_check(&session, std::slice::from_ref(&new), args.over_budget).await
    {
        Ok(priced) => priced,
        Err(stop) => {
            session.close().await;
            return Err(stop);
        }
    };
    let submitted = session
        .engine
        .submit_priced(vec![new], priced, args.over_budget)
        .await
        .and_then(|mut ids| {
            ids.pop().ok_or_else(|| EngineError::Io {
                path: "batch".into(),
                source: std::io::Error::other("no job was recorded"),
            })
        });
    let id = match submitted {
        Ok(id) => id,
        Err(EngineError::Invalid(issues)) => {
            session.close().await;
            return Err(invalid(describe_issues(&issues)));
        }
        Err(e @ EngineError::OverBudget(_)) => {
            session.close().await;
            return Err(CliExit::new(exit::OVER_BUDGET, e.to_string()));
        }
        Err(e) => {
            session.close().await;
            return Err(CliExit::new(exit::OTHER, e.to_string()));
        }
    };
    eprintln!("[{}] job {id} recorded", &id.as_str()[..8]);
    let ending = follow(&mut session, &id, args.detach).await;
    let stall = |job: &reelsmith_core::jobs::Job| session.engine.is_stalled(job);
    let code = match ending {
        Ending::Finished(job) => {
            let stalled = stall(&job);
            print_result(&job, args.json, stalled);
            exit_code_for_job(&job)
        }
        Ending::Detached(job) => {
            let stalled = stall(&job);
            if args.json {
                println!("{}", job_json(&job, stalled));
            } else {
                println!("{}", job.id);
                eprintln!(
                    "submitted as request {}; `reelsmith resume` finishes it",
                    job.request_id.as_deref().unwrap_or("?")
                );
            }
            exit::DONE
        }
        Ending::Interrupted => {
            let job = session.engine.job(&id);
            eprintln!(
                "interrupted: job {id} stays recorded{}; run `reelsmith resume` to finish it",
                if job.as_ref().is_some_and(|j| j.request_id.is_some()) {
                    " and continues at fal"
                } else {
                    ""
                }
            );
            if args.json
                && let Some(job) = &job
            {
                println!("{}", job_json(job, false));
            }
            exit::INTERRUPTED
        }
    };
    session.close().await;
    Ok(code)
}

pub(super) async fn follow(session: &mut Session, id: &JobId, detach: bool) -> Ending {
    let mut printer = ProgressPrinter::default();
    let mut ctrl_c = std::pin::pin!(tokio::signal::ctrl_c());
    let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
    loop {
        let job = tokio::select! {
            event = session.events.recv() => match event {
                Ok(JobEvent::Changed { job, stalled, .. }) if &job.id == id => {
                    printer.show(&job, stalled);
                    Some(*job)
                }
                Ok(_) => None,
                Err(_) => session.engine.job(id),
            },
            _ = tick.tick() => session.engine.job(id),
            _ = &mut ctrl_c => return Ending::Interrupted,
        };
        let Some(job) = job else { continue };
        // Done, failed, cancelled, or unknown once the lookups in fal's history gave up.
        if job.state.is_settled() && !session.engine.is_running(id) {
            // The event may be older than the task's last change: report the job as it is.
            let last = session.engine.job(id).unwrap_or(job);
            return Ending::Finished(Box::new(last));
        }
        if detach && job.request_id.is_some() && job.state != JobState::Submitting {
            return Ending::Detached(Box::new(job));
        }
    }
}

pub(super) fn print_result(job: &reelsmith_core::jobs::Job, json: bool, stalled: bool) {
    if json {
        println!("{}", job_json(job, stalled));
    }
    if let Some(warning) = moved_output_warning(job) {
        eprintln!("{warning}");
    }
    match job.state {
        JobState::Done => {
            if !json && let Some(path) = &job.output_path {
                println!("{}", path.display());
            }
        }
        JobState::Failed => {
            let message = job
                .failure
                .as_ref()
                .map(|f| f.message.clone())
                .unwrap_or_else(|| "the job failed".into());
            eprintln!("error: {message}");
        }
        JobState::Cancelled => eprintln!("job {} was cancelled", job.id),
        JobState::SubmissionUnknown => print_unknown(job),
        _ => {}
    }
}
