//! How a job subcommand gets its engine: the core's session (the one the window uses too)
//! over the environment's folders, with the simulator of `--simulate` or fal's hosts.

use std::sync::Arc;

use reelsmith_core::catalog::{Catalog, CatalogError};
use reelsmith_core::fal::{ApiKey, FalClient, FalError, FalUrls, RunKeys};
use reelsmith_core::jobs::{EngineHandle, JobEvent, finishing_notice};
use reelsmith_core::keystore::KeyStore;
use reelsmith_core::schema::FormModel;
use reelsmith_core::session::{self, EngineStart, FrontEnd, SessionPaths};
use reelsmith_core::settings::Settings;
use reelsmith_sim::{SimConfig, Simulator};

pub use super::exit::{CliExit, EXIT_CODES_HELP, exit, exit_code, exit_code_for_job};
pub use super::report::{ProgressPrinter, job_json, print_unknown};

/// With this set to `1`, a command prints what its engine was started with (settings file,
/// journal, library, jobs at once) on stderr: the same line the window shows in Settings.
pub const SESSION_REPORT_ENV: &str = "REELSMITH_SESSION_REPORT";

/// Opens the core session over the environment's folders: the shared settings, and the
/// journal opened and recovered the core's one way (a damaged journal's readable jobs carried
/// into a new one, unreadable rows reported and skipped).
pub fn open_session() -> Result<Arc<session::Session>, CliExit> {
    let opened = session::Session::open(SessionPaths::from_env(), None)
        .map_err(|e| CliExit::new(exit::OTHER, e.to_string()))?;
    for notice in opened.notices() {
        eprintln!("reelsmith: {notice}");
    }
    Ok(Arc::new(opened))
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

/// The key for a run at `urls`, by the session's one resolution (the window's too); says on
/// stderr which key is used for which origin. `need_key` makes a missing key an error (exit 3).
pub async fn run_key(urls: &FalUrls, need_key: bool) -> Result<Option<ApiKey>, CliExit> {
    let store = KeyStore::from_env(&reelsmith_core::paths::config_dir())
        .map_err(|e| CliExit::new(exit::CREDENTIALS, e.to_string()))?;
    let for_urls = urls.clone();
    // The keyring may block (D-Bus): off the runtime's worker threads.
    let resolved = tokio::task::spawn_blocking(move || {
        session::Session::resolve_key(&store, &for_urls, &RunKeys::from_env())
    })
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

/// The shared settings of the environment's config folder, for commands that need no journal
/// (`models`); a damaged file's notice is printed.
pub fn load_settings() -> Settings {
    let loaded = Settings::load(&reelsmith_core::paths::config_dir());
    if let Some(notice) = &loaded.notice {
        eprintln!("reelsmith: {notice}");
    }
    loaded.settings
}

/// The service of a run: the simulator when `simulate` (timed as in the shared `settings`),
/// else the base URLs of the environment with the key [`run_key`] finds.
pub async fn service(
    simulate: bool,
    need_key: bool,
    settings: &Settings,
) -> Result<Service, CliExit> {
    if simulate {
        let (queue_time, run_time) = settings.sim_timing();
        let config = SimConfig {
            queue_time,
            run_time,
            ..SimConfig::default()
        };
        let sim = Simulator::start(config).await.map_err(|e| {
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

/// A client for `service`, as the session builds it (the request timeout of the environment).
pub fn client(service: &Service) -> Result<FalClient, CliExit> {
    session::client_for(&service.urls, service.key.clone(), FrontEnd::Cli).map_err(|e| {
        CliExit::new(
            exit::OTHER,
            format!("the HTTP client could not be set up: {}", e.user_message()),
        )
    })
}

/// The budgets of the shared settings file and the live prices cached for this key (the
/// session's one way, for commands that start no engine).
pub fn money_for(client: &FalClient) -> Result<reelsmith_core::money::MoneyHandle, CliExit> {
    Ok(session::money_handle(
        &load_settings(),
        &reelsmith_core::paths::cache_dir(),
        client,
    ))
}

/// Fetches the live prices of `ids` that are missing or stale into the price book and saves
/// it; offline, the cached and bundled prices stay in use (said with -v).
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
    /// Starts the engine over the session's journal (nothing is resumed automatically).
    pub async fn start(
        simulate: bool,
        need_key: bool,
        session: Arc<session::Session>,
    ) -> Result<Session, CliExit> {
        let service = service(simulate, need_key, &session.settings()).await?;
        Session::start_with(service, session).await
    }

    /// Starts the engine for a service found earlier (see [`service`]), through the session's
    /// one constructor.
    pub async fn start_with(
        service: Service,
        session: Arc<session::Session>,
    ) -> Result<Session, CliExit> {
        let start = EngineStart {
            urls: service.urls.clone(),
            key: service.key.clone(),
            simulated: service.sim.is_some(),
            front: FrontEnd::Cli,
            on_change: None,
            money: None,
        };
        // The engine takes a lock file and reads the journal: off the runtime's workers.
        let running = tokio::task::spawn_blocking(move || session.start_engine(start))
            .await
            .map_err(|e| CliExit::new(exit::OTHER, format!("the engine start stopped: {e}")))?
            .map_err(|e| CliExit::new(exit::OTHER, e.to_string()))?;
        if std::env::var(SESSION_REPORT_ENV).is_ok_and(|v| v.trim() == "1") {
            eprintln!("reelsmith: session: {}", running.summary);
        }
        Ok(Session {
            engine: running.handle,
            events: running.events,
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
