//! `reelsmith generate --batch-images DIR | --batch-csv FILE | --batch-prompts FILE`: one form
//! becomes many jobs (through the core's `schema::batch`), every one is checked, the count and
//! total estimate are shown and the user is asked once (y/N, or `--yes`) before anything is sent.

use std::io::{BufRead, Write};
use std::path::Path;

use crate::cli::engine_setup::{CliExit, Service, Session, exit, exit_code_for_job, job_json};
use crate::cli::form_args::absolutize;
use crate::cli::generate::{Ending, GenerateArgs, follow, price_and_check, print_result};
use reelsmith_core::jobs::{EngineError, NewJob, check_input, describe_issues};
use reelsmith_core::schema::batch::{
    BatchError, per_csv_row, per_photo, per_prompt, photo_field, photos_in, summarize,
};
use reelsmith_core::schema::{FormModel, FormState, Severity};

/// True when the command line asks for a batch.
pub fn wanted(args: &GenerateArgs) -> bool {
    args.batch_images.is_some() || args.batch_csv.is_some() || args.batch_prompts.is_some()
}

fn invalid(message: impl Into<String>) -> CliExit {
    CliExit::new(exit::INVALID, message)
}

fn read_text(option: &str, path: &Path) -> Result<String, CliExit> {
    std::fs::read_to_string(path).map_err(|e| {
        invalid(format!(
            "{option}: the file {} cannot be read ({e}); nothing was sent",
            path.display()
        ))
    })
}

/// The forms of the batch, each with what it came from (for messages).
fn expand(
    args: &GenerateArgs,
    model: &FormModel,
    base: &FormState,
) -> Result<Vec<(String, FormState)>, CliExit> {
    let batch_err =
        |option: &str, e: BatchError| invalid(format!("{option}: {e}; nothing was sent"));
    if let Some(dir) = &args.batch_images {
        let field = photo_field(model, args.batch_field.as_deref())
            .map_err(|e| batch_err("--batch-field", e))?;
        let photos = photos_in(dir).map_err(|e| batch_err("--batch-images", e))?;
        let forms = per_photo(base, &field, &photos);
        return Ok(photos
            .iter()
            .map(|p| format!("photo {}", p.display()))
            .zip(forms)
            .collect());
    }
    if let Some(file) = &args.batch_csv {
        let text = read_text("--batch-csv", file)?;
        let dir = file.parent().unwrap_or(Path::new("."));
        let source = file.display().to_string();
        let forms = per_csv_row(model, base, &text, dir, &source)
            .map_err(|e| invalid(format!("--batch-csv {source}: {e}; nothing was sent")))?;
        return Ok(forms
            .into_iter()
            .enumerate()
            .map(|(n, f)| (format!("CSV row {}", n + 2), f))
            .collect());
    }
    if let Some(file) = &args.batch_prompts {
        let text = read_text("--batch-prompts", file)?;
        let source = file.display().to_string();
        let forms = per_prompt(model, base, &text, &source)
            .map_err(|e| invalid(format!("--batch-prompts {source}: {e}; nothing was sent")))?;
        return Ok(forms
            .into_iter()
            .enumerate()
            .map(|(n, f)| (format!("prompt {}", n + 1), f))
            .collect());
    }
    Ok(Vec::new())
}

/// Asks once on stderr/stdin; anything but y/yes (also no answer at all) is no.
pub(crate) fn confirm(question: &str) -> bool {
    eprint!("{question} [y/N] ");
    // The question must be seen before the answer is read.
    let _ = std::io::stderr().flush();
    let mut answer = String::new();
    match std::io::stdin().lock().read_line(&mut answer) {
        Ok(_) => matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes"),
        Err(_) => false,
    }
}

/// Runs a batch: expand, check each, show the total, ask, submit all, follow all.
pub async fn run(
    args: &GenerateArgs,
    model: &FormModel,
    service: Service,
    core: std::sync::Arc<reelsmith_core::session::Session>,
    base: FormState,
) -> Result<u8, CliExit> {
    if let Some(output) = &args.output
        && !(output.is_dir() || output.to_string_lossy().ends_with(['/', '\\']))
    {
        return Err(invalid(format!(
            "-o {}: a batch makes many videos, so -o must be a folder; nothing was sent",
            output.display()
        )));
    }
    let mut jobs = expand(args, model, &base)?;
    let mut problems = 0;
    for (what, form) in jobs.iter_mut() {
        absolutize(form);
        for issue in check_input(model, form) {
            match issue.severity {
                Severity::Error => {
                    problems += 1;
                    eprintln!("error: {what}: {}: {}", issue.field, issue.message);
                }
                Severity::Warning => {
                    eprintln!("warning: {what}: {}: {}", issue.field, issue.message)
                }
            }
        }
    }
    if problems > 0 {
        return Err(invalid(format!(
            "the batch is not valid ({problems} problem(s)); nothing was uploaded or submitted"
        )));
    }
    let forms: Vec<FormState> = jobs.iter().map(|(_, f)| f.clone()).collect();
    let summary = summarize(model, &forms);
    eprintln!("batch on {}: {summary}", model.endpoint_id);
    if !args.yes && !confirm(&format!("Send {} job(s)?", summary.jobs)) {
        eprintln!("nothing was sent");
        return Ok(exit::INTERRUPTED);
    }

    let mut session = Session::start_with(service, core).await?;
    let (labels, news): (Vec<String>, Vec<NewJob>) = jobs
        .into_iter()
        .map(|(what, form)| {
            let new = NewJob {
                endpoint_id: args.endpoint.clone(),
                form,
                output: args.output.clone(),
                overwrite_output: false,
            };
            (what, new)
        })
        .unzip();
    let priced = match price_and_check(&session, &news, args.over_budget).await {
        Ok(priced) => priced,
        Err(stop) => {
            session.close().await;
            return Err(stop);
        }
    };
    // One batch: the budgets see the jobs together, and none is recorded when one is refused.
    let ids = match session
        .engine
        .submit_priced(news, priced, args.over_budget)
        .await
    {
        Ok(ids) => ids,
        Err(e) => {
            session.close().await;
            return Err(match e {
                EngineError::Invalid(issues) => invalid(describe_issues(&issues)),
                e @ EngineError::OverBudget(_) => CliExit::new(exit::OVER_BUDGET, e.to_string()),
                other => CliExit::new(exit::OTHER, other.to_string()),
            });
        }
    };
    for (id, what) in ids.iter().zip(&labels) {
        eprintln!("[{}] job {id} recorded ({what})", &id.as_str()[..8]);
    }
    let mut worst = exit::DONE;
    for id in &ids {
        let code = match follow(&mut session, id, args.detach).await {
            Ending::Finished(job) => {
                print_result(&job, args.json, session.engine.is_stalled(&job));
                exit_code_for_job(&job)
            }
            Ending::Detached(job) => {
                if args.json {
                    println!("{}", job_json(&job, false));
                } else {
                    println!("{}", job.id);
                }
                exit::DONE
            }
            Ending::Interrupted => {
                eprintln!(
                    "interrupted: the batch's jobs stay recorded (those fal has continue there); \
                     run `reelsmith resume` to finish them"
                );
                session.close().await;
                return Ok(exit::INTERRUPTED);
            }
        };
        if worst == exit::DONE {
            worst = code;
        }
    }
    session.close().await;
    Ok(worst)
}
