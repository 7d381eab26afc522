//! What the job subcommands share: exit codes, opening the journal, building the client (or
//! starting the in-process simulator) and the engine, and the JSON shape of a job.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};

use reelsmith_core::catalog::{Catalog, CatalogError};
use reelsmith_core::fal::{
    ApiKey, ClientOptions, FalClient, FalError, FalUrls, RunKeys, resolve_key,
};
use reelsmith_core::jobs::{
    EngineConfig, EngineHandle, FailKind, Job, JobEngine, JobEvent, JobState, ModelSource,
    finishing_notice,
};
use reelsmith_core::keystore::KeyStore;
use reelsmith_core::schema::FormModel;
use reelsmith_core::store::Journal;
use reelsmith_sim::{SimConfig, Simulator};

/// Exit codes of the job subcommands.
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
REELSMITH_OUTPUT_DIR overrides the library folder (default: the OS videos folder/reelsmith);
REELSMITH_QUEUE_URL / REELSMITH_REST_URL / REELSMITH_OPENAPI_URL / REELSMITH_API_URL override
fal's hosts (REELSMITH_API_URL: the platform API, default https://api.fal.ai/v1);
REELSMITH_MAX_JOBS (default 4) and REELSMITH_STALL_AFTER_SECS (default 1800) tune the engine;
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

/// The JSON object printed for a job by `generate --json`, `jobs --json` and `resume --json`.
pub fn job_json(job: &Job, stalled: bool) -> Value {
    let mut obj = json!({
        "job_id": job.id.as_str(),
        "request_id": job.request_id,
        "endpoint": job.endpoint_id,
        "status": job.state.as_str(),
        "output": job.output_path.as_ref().filter(|_| job.state == JobState::Done)
            .map(|p| p.to_string_lossy().into_owned()),
        "video_url": job.video_url,
    });
    if let Some(map) = obj.as_object_mut() {
        map.insert("prompt".into(), json!(job.prompt));
        map.insert("created_at".into(), json!(job.created_at.to_rfc3339()));
        map.insert("stalled".into(), json!(stalled));
        if let Some(seed) = job.seed {
            map.insert("seed".into(), json!(seed));
        }
        if let Some(path) = job
            .output_path
            .as_ref()
            .filter(|_| job.state == JobState::Done)
        {
            map.insert(
                "sidecar".into(),
                json!(reelsmith_core::library::sidecar_path(path).to_string_lossy()),
            );
        }
        if !job.cost.is_empty() {
            map.insert("cost".into(), json!(job.cost));
        }
        if let Some(f) = &job.failure {
            map.insert(
                "error".into(),
                json!({"kind": f.kind.as_str(), "message": f.message, "error_type": f.error_type}),
            );
        }
        if let Some(u) = reelsmith_core::jobs::unknown::summary(job) {
            map.insert(
                "unknown".into(),
                json!({
                    "reason": u.reason,
                    "sent_at": u.sent_at.map(|t| t.to_rfc3339()),
                    "last_lookup": u.last_lookup.as_ref().map(|(_, text)| text),
                    "resubmit_cost_usd": u.resubmit_cost.as_ref().map(|c| c.usd),
                }),
            );
        }
    }
    obj
}

/// Prints what is known of a job whose submission is unknown, and what the user can do: the
/// same words the window shows.
pub fn print_unknown(job: &Job) {
    let Some(u) = reelsmith_core::jobs::unknown::summary(job) else {
        return;
    };
    let short = &job.id.as_str()[..8.min(job.id.as_str().len())];
    eprintln!("[{short}] {}", u.headline);
    if let Some(at) = u.sent_at {
        eprintln!(
            "  sent at {} to {}",
            at.with_timezone(&chrono::Local).format("%Y-%m-%d %H:%M:%S"),
            job.endpoint_id
        );
    }
    eprintln!("  what happened: {}", u.reason);
    if let Some((at, text)) = &u.last_lookup {
        eprintln!(
            "  looked at {}: {text}",
            at.with_timezone(&chrono::Local).format("%H:%M:%S")
        );
    }
    eprintln!("  what was sent:");
    for line in u.sent.lines() {
        eprintln!("    {line}");
    }
    let cost = u
        .resubmit_cost
        .as_ref()
        .map(|c| format!("costs ≈ ${:.2}", c.usd))
        .unwrap_or_else(|| "cost unknown".into());
    eprintln!(
        "  fal may have this job: check your requests at fal.ai/dashboard. `reelsmith resume` \
         looks again; `reelsmith resume --resubmit-unknown {}` submits it again ({cost}; if fal \
         has the first one, you pay twice).",
        job.id
    );
}

fn env_u64(name: &str) -> Option<u64> {
    std::env::var(name).ok()?.trim().parse().ok()
}

/// The per-request timeout of a CLI run (`REELSMITH_REQUEST_TIMEOUT_SECS`), if set.
fn request_timeout() -> Option<Duration> {
    env_u64("REELSMITH_REQUEST_TIMEOUT_SECS")
        .filter(|s| *s > 0)
        .map(Duration::from_secs)
}

/// The engine settings of a CLI run (environment overrides applied).
pub fn engine_config(simulated: bool) -> EngineConfig {
    let mut config = EngineConfig {
        simulated,
        resume_on_start: false,
        // A CLI run gives up sooner than the window does; the job stays resumable.
        network_patience: Duration::from_secs(120),
        lookup_patience: Duration::from_secs(180),
        ..EngineConfig::default()
    };
    if let Some(s) = env_u64("REELSMITH_LOOKUP_PATIENCE_SECS") {
        config.lookup_patience = Duration::from_secs(s);
    }
    if let Some(n) = env_u64("REELSMITH_MAX_JOBS").filter(|n| *n > 0) {
        config.max_in_flight = n as usize;
    }
    if let Some(s) = env_u64("REELSMITH_STALL_AFTER_SECS").filter(|s| *s > 0) {
        config.stall_after = Duration::from_secs(s);
    }
    config
}

/// The budgets of the shared settings file and the live prices cached for this key.
pub fn money_for(client: &FalClient) -> Result<reelsmith_core::money::MoneyHandle, CliExit> {
    let path = reelsmith_core::settings::settings_path();
    let settings = reelsmith_core::settings::Settings::load(&path)
        .map_err(|e| CliExit::new(exit::INVALID, e.to_string()))?;
    let book = reelsmith_core::money::PriceBook::load(
        &reelsmith_core::money::PriceBook::path_in(&reelsmith_core::paths::cache_dir()),
        client.key_fingerprint().as_deref(),
    );
    Ok(reelsmith_core::money::MoneyHandle::new(
        book,
        settings.budgets,
    ))
}

/// Fetches the live prices of `ids` that are missing or stale into the session's price book
/// and saves it; offline, the cached and bundled prices stay in use (said with -v).
pub async fn refresh_prices(
    client: &FalClient,
    money: &reelsmith_core::money::MoneyHandle,
    ids: &[String],
) {
    let mut book = money.price_book();
    match reelsmith_core::money::refresh_prices(
        client,
        &mut book,
        ids,
        reelsmith_core::money::PRICE_MAX_AGE,
    )
    .await
    {
        Ok(0) => {}
        Ok(_) => {
            let path =
                reelsmith_core::money::PriceBook::path_in(&reelsmith_core::paths::cache_dir());
            if let Err(e) = book.save(&path) {
                tracing::warn!("could not cache the prices in {}: {e}", path.display());
            }
            *money.prices.lock().unwrap_or_else(|p| p.into_inner()) = book;
        }
        Err(e) => tracing::info!("live prices not fetched ({e}); using cached or bundled prices"),
    }
}

/// Opens the journal in the data folder (the core's one way, shared with the window): a
/// damaged journal gives its readable jobs to a new one and is kept aside, the library index is
/// rebuilt from the sidecars, unreadable rows are reported and skipped.
pub fn open_journal() -> Result<Arc<Journal>, CliExit> {
    let dir = reelsmith_core::paths::data_dir();
    let dirs = vec![reelsmith_core::library::output_dir()];
    let opened = reelsmith_core::store::open_journal(&dir, &dirs)
        .map_err(|e| CliExit::new(exit::OTHER, e.to_string()))?;
    for notice in &opened.notices {
        eprintln!("reelsmith: {notice}");
    }
    Ok(opened.journal)
}

/// The form models the CLI uses: the catalog (bundled endpoints and fetched, cached ones).
pub fn models() -> Arc<dyn ModelSource> {
    Arc::new(Catalog::load(&reelsmith_core::paths::cache_dir()))
}

/// The form model of `endpoint_id`; an endpoint not in the catalog is fetched from fal's
/// OpenAPI service (not with `--simulate`) and cached.
pub async fn model_for(endpoint_id: &str, simulate: bool) -> Result<FormModel, CliExit> {
    let mut catalog = Catalog::load(&reelsmith_core::paths::cache_dir());
    if catalog.contains(endpoint_id) {
        return catalog
            .model(endpoint_id)
            .map_err(|e| CliExit::new(exit::INVALID, format!("-e {endpoint_id}: {e}")));
    }
    if simulate {
        return Err(CliExit::new(
            exit::INVALID,
            format!(
                "-e {endpoint_id}: unknown endpoint; with --simulate only the bundled endpoints \
                 (`reelsmith endpoints`) are available"
            ),
        ));
    }
    let url = FalUrls::from_env().openapi;
    catalog.fetch(endpoint_id, &url).await.map_err(|e| match e {
        CatalogError::Unreachable { .. } => CliExit::new(exit::NETWORK, e.to_string()),
        other => CliExit::new(
            exit::INVALID,
            format!("-e {endpoint_id}: unknown endpoint: {other}"),
        ),
    })
}

/// Where a CLI run sends its calls and with which key: fal (or what the base URLs name), or the
/// in-process simulator of `--simulate`.
pub struct Service {
    urls: FalUrls,
    key: Option<ApiKey>,
    /// The in-process simulator of `--simulate`.
    pub(crate) sim: Option<Simulator>,
}

/// The key for a run at `urls`, as the window resolves it (one core resolution); says on
/// stderr which key is used for which origin. `need_key` makes a missing key an error (exit 3).
pub async fn run_key(urls: &FalUrls, need_key: bool) -> Result<Option<ApiKey>, CliExit> {
    let store = KeyStore::from_env(&reelsmith_core::paths::config_dir())
        .map_err(|e| CliExit::new(exit::CREDENTIALS, e.to_string()))?;
    let for_urls = urls.clone();
    // The keyring may block (D-Bus): off the runtime's worker threads.
    let resolved =
        tokio::task::spawn_blocking(move || resolve_key(&store, &for_urls, &RunKeys::from_env()))
            .await
            .map_err(|e| CliExit::new(exit::OTHER, format!("the key lookup stopped: {e}")))?;
    match resolved {
        Ok(found) => {
            eprintln!("reelsmith: {} ({})", found.summary(), found.key.masked());
            Ok(Some(found.key))
        }
        Err(FalError::MissingCredentials | FalError::NoKeyForBase { .. }) if !need_key => Ok(None),
        Err(e) => Err(CliExit::new(exit::CREDENTIALS, e.user_message())),
    }
}

/// The service of a run: the simulator when `simulate`, else the base URLs of the environment
/// with the key [`run_key`] finds.
pub async fn service(simulate: bool, need_key: bool) -> Result<Service, CliExit> {
    if simulate {
        let sim = Simulator::start(SimConfig::default()).await.map_err(|e| {
            CliExit::new(exit::OTHER, format!("the simulator could not start: {e}"))
        })?;
        eprintln!(
            "reelsmith: using the built-in simulator at {} (not fal; nothing is charged)",
            sim.base_url()
        );
        return Ok(Service {
            urls: sim.fal_urls(),
            key: Some(ApiKey::new(sim.key())),
            sim: Some(sim),
        });
    }
    let urls = FalUrls::from_env();
    let key = run_key(&urls, need_key).await?;
    Ok(Service {
        urls,
        key,
        sim: None,
    })
}

/// A client for `service`, with the request timeout of the environment.
pub fn client(service: &Service) -> Result<FalClient, CliExit> {
    let setup = |e: FalError| {
        CliExit::new(
            exit::OTHER,
            format!("the HTTP client could not be set up: {}", e.user_message()),
        )
    };
    let mut client = FalClient::new(service.urls.clone(), service.key.clone()).map_err(setup)?;
    if let Some(timeout) = request_timeout() {
        let options = ClientOptions {
            request_timeout: timeout,
            ..client.options().clone()
        };
        client = client.with_options(options).map_err(setup)?;
    }
    Ok(client)
}

/// A running engine for a CLI command, with the simulator it uses (if any).
pub struct Session {
    /// The engine.
    pub engine: EngineHandle,
    /// Its events.
    pub events: tokio::sync::broadcast::Receiver<JobEvent>,
    /// The in-process simulator of `--simulate`.
    pub sim: Option<Simulator>,
}

impl Session {
    /// Starts the engine over the journal (nothing is resumed automatically).
    pub async fn start(
        simulate: bool,
        need_key: bool,
        journal: Arc<Journal>,
    ) -> Result<Session, CliExit> {
        let service = service(simulate, need_key).await?;
        Session::start_with(service, journal)
    }

    /// Starts the engine for a service found earlier (see [`service`]).
    pub fn start_with(service: Service, journal: Arc<Journal>) -> Result<Session, CliExit> {
        let client = client(&service)?;
        let simulated = service.sim.is_some();
        let mut config = engine_config(simulated);
        config.money = money_for(&client)?;
        let (engine, events) = JobEngine::start(config, client, models(), journal)
            .map_err(|e| CliExit::new(exit::OTHER, e.to_string()))?;
        Ok(Session {
            engine,
            events,
            sim: service.sim,
        })
    }

    /// Stops the engine (jobs stay recorded) and the simulator; a submit on its way is let
    /// finish first, and the wait is said.
    pub async fn close(self) {
        if let Some(text) = finishing_notice(self.engine.submits_in_flight()) {
            eprintln!("{text}");
        }
        self.engine.shutdown().await;
        if let Some(sim) = self.sim {
            sim.shutdown().await;
        }
    }
}

/// Prints one line per state change of a job to stderr, with byte progress for transfers.
#[derive(Default)]
pub struct ProgressPrinter {
    last: std::collections::HashMap<String, (JobState, Option<u64>, u64)>,
}

impl ProgressPrinter {
    /// Prints what is new in `job` (nothing when only a detail changed).
    pub fn show(&mut self, job: &Job, stalled: bool) {
        let short = &job.id.as_str()[..8.min(job.id.as_str().len())];
        let key = job.id.to_string();
        let (done, total) = match job.state {
            JobState::Uploading => job.upload_progress(),
            JobState::Downloading => job
                .download
                .map(|d| (d.done, d.total.unwrap_or(0)))
                .unwrap_or((0, 0)),
            _ => (0, 0),
        };
        // Byte progress is printed in tenths, so a transfer shows about ten lines.
        let tenth = (done * 10).checked_div(total).unwrap_or(0);
        let now = (job.state, job.queue_position, tenth);
        if self.last.get(&key) == Some(&now) {
            return;
        }
        self.last.insert(key, now);
        let line = match job.state {
            JobState::Prepared => "prepared".to_string(),
            JobState::Uploading if total > 0 => format!(
                "uploading {} file(s): {} of {} ({}%)",
                job.uploads.len(),
                reelsmith_core::human::bytes(done),
                reelsmith_core::human::bytes(total),
                done * 100 / total
            ),
            JobState::Uploading => "uploading".to_string(),
            JobState::Submitting => "submitting".to_string(),
            JobState::SubmissionUnknown => {
                "submission unknown: the answer was lost; looking in fal's request history \
                 (nothing is sent again)"
                    .to_string()
            }
            JobState::Submitted => format!(
                "submitted, request id {}",
                job.request_id.as_deref().unwrap_or("?")
            ),
            JobState::InQueue => match job.queue_position {
                Some(p) => format!("in queue, position {p}"),
                None => "in queue".to_string(),
            },
            JobState::Running => "running".to_string(),
            JobState::Downloading if total > 0 => format!(
                "downloading: {} of {} ({}%)",
                reelsmith_core::human::bytes(done),
                reelsmith_core::human::bytes(total),
                done * 100 / total
            ),
            JobState::Downloading => format!("downloading: {}", reelsmith_core::human::bytes(done)),
            JobState::Done => format!(
                "done: {}",
                job.output_path
                    .as_ref()
                    .map(|p| p.display().to_string())
                    .unwrap_or_default()
            ),
            JobState::Failed => format!(
                "failed: {}",
                job.failure
                    .as_ref()
                    .map(|f| f.message.clone())
                    .unwrap_or_default()
            ),
            JobState::Cancelled => "cancelled".to_string(),
        };
        let flag = if stalled {
            " (stalled: no change for a long time; still waiting)"
        } else {
            ""
        };
        eprintln!("[{short}] {line}{flag}");
    }
}
