//! The job subcommands' exit codes, the error that ends a command with one, and their table
//! in `--help`.

use reelsmith_core::jobs::{FailKind, Job, JobState};

/// Exit codes of the job subcommands.
// `exit::DONE` reads well at every call site; the file is named after what it holds.
#[allow(clippy::module_inception)]
pub mod exit {
    /// The job is done.
    pub const DONE: u8 = 0;
    /// Something else went wrong (disk, internal error).
    pub const OTHER: u8 = 1;
    /// Usage error or invalid input: nothing was uploaded or submitted.
    pub const INVALID: u8 = 2;
    /// The fal key is missing or was rejected.
    pub const CREDENTIALS: u8 = 3;
    /// The generation failed at the service.
    pub const SERVICE: u8 = 4;
    /// Network failure or timeout.
    pub const NETWORK: u8 = 5;
    /// The answer to a submit was lost and fal's request history has no trace of it (yet):
    /// fal may have the job. Nothing is sent again without `--resubmit-unknown`.
    pub const UNKNOWN: u8 = 6;
    /// Refused by a budget (Settings): nothing was uploaded or submitted; `--over-budget` goes on.
    pub const OVER_BUDGET: u8 = 7;
    /// Interrupted (Ctrl+C) or cancelled; an interrupted job stays recorded and continues at fal.
    pub const INTERRUPTED: u8 = 130;
}

/// The exit code table shown in `--help`.
pub const EXIT_CODES_HELP: &str = "Exit codes:
  0    done
  1    other error (disk full, folder not writable, internal error)
  2    usage error or invalid input (nothing was uploaded or submitted)
  3    fal key missing or rejected
  4    the generation failed at the service
  5    network error or timeout (a submitted job continues at fal: `reelsmith resume`)
  6    submission unknown: the answer to the submit was lost and fal's request history shows
       nothing (yet); fal may have the job. Check before paying again: `reelsmith resume`
       looks again, `reelsmith resume --resubmit-unknown JOB` submits it once more
  7    refused: the estimate would pass the daily or monthly budget (nothing was uploaded or
       submitted; raise the budget in settings.json or pass --over-budget)
  130  interrupted by Ctrl+C (the job stays recorded and continues at fal: `reelsmith resume`),
       or cancelled

Key: the one saved in the window's Settings (system keyring), else FAL_KEY, else FAL_KEY_ID +
FAL_KEY_SECRET, else credentials.json in the config folder. A saved key (keyring or file) is only
sent to fal's own https hosts; with REELSMITH_QUEUE_URL/REST_URL pointing elsewhere only FAL_KEY
(or FAL_KEY_ID + FAL_KEY_SECRET) is used. REELSMITH_KEYSTORE=keyring|file:/path|none picks the store.
REELSMITH_DATA_DIR / REELSMITH_CONFIG_DIR / REELSMITH_CACHE_DIR override the OS folders;
Videos go to the library folder chosen in the window's Settings (settings.json in the config
folder), else REELSMITH_OUTPUT_DIR, else the OS videos folder/reelsmith;
REELSMITH_QUEUE_URL / REELSMITH_REST_URL / REELSMITH_OPENAPI_URL / REELSMITH_API_URL override
fal's hosts (REELSMITH_API_URL: the platform API, default https://api.fal.ai/v1);
REELSMITH_MAX_JOBS (default: jobs in flight from Settings, 4) and REELSMITH_STALL_AFTER_SECS (default 1800) tune the engine;
REELSMITH_REQUEST_TIMEOUT_SECS (default 120) bounds each request to fal, the submit included;
REELSMITH_LOOKUP_PATIENCE_SECS (default 180) is how long a lost submit is looked up in fal's
request history before the command stops with exit code 6.";

/// An error that ends the command with a specific exit code and message.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct CliExit {
    /// The exit code.
    pub code: u8,
    /// What happened and what to do.
    pub message: String,
}

/// Turns a command's outcome into the process exit code, printing the error's message.
pub fn exit_code(outcome: Result<u8, CliExit>) -> std::process::ExitCode {
    match outcome {
        Ok(code) => std::process::ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {}", e.message);
            std::process::ExitCode::from(e.code)
        }
    }
}

impl CliExit {
    /// An exit with `code` and `message`.
    pub fn new(code: u8, message: impl Into<String>) -> CliExit {
        CliExit {
            code,
            message: message.into(),
        }
    }
}

/// The exit code for a failed job.
pub fn exit_code_for(kind: FailKind) -> u8 {
    match kind {
        FailKind::Invalid => exit::INVALID,
        FailKind::Credentials => exit::CREDENTIALS,
        FailKind::Service | FailKind::Lost | FailKind::Protocol => exit::SERVICE,
        FailKind::Network | FailKind::Timeout | FailKind::Interrupted => exit::NETWORK,
        FailKind::Storage => exit::OTHER,
    }
}

/// The exit code for a job in its final state.
pub fn exit_code_for_job(job: &Job) -> u8 {
    match job.state {
        JobState::Done => exit::DONE,
        JobState::Cancelled => exit::INTERRUPTED,
        JobState::SubmissionUnknown => exit::UNKNOWN,
        JobState::Failed => job
            .failure
            .as_ref()
            .map(|f| exit_code_for(f.kind))
            .unwrap_or(exit::OTHER),
        _ => exit::INTERRUPTED,
    }
}
