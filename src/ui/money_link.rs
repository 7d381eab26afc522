//! The window's side of money: live prices, the catalog memory, the spend and the budgets.
//! The budgets live in the shared settings, which the engine link reads and saves through the
//! core session (one writer of `settings.json`); this holds the handle the engine checks.
//! Everything that touches disk or network runs on the tokio runtime; the UI thread only takes
//! finished results (and locks the shared price book, which never waits on I/O).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::app::tasks::{TaskKind, Tasks};
use super::config::StudioConfig;
use reelsmith_core::catalog::browse::{self, CatalogMemory};
use reelsmith_core::fal::{ApiKey, FalClient};
use reelsmith_core::money::{
    MoneyHandle, OverBudget, PRICE_MAX_AGE, PriceBook, Spend, check_budget, current_spend,
    refresh_prices,
};
use reelsmith_core::schema::cost::{CostEstimate, NoEstimate};
use reelsmith_core::settings::Budgets;
use reelsmith_core::store::Journal;

/// How often the spend strip asks again.
const SPEND_EVERY: Duration = Duration::from_secs(60);

/// What a finished money task hands back.
enum Done {
    /// The catalog memory read from the cache.
    Memory(CatalogMemory),
    /// Live prices and the sidebar's catalog status, fetched.
    Prices(PriceBook, CatalogMemory),
    /// The spend, or why it could not be read.
    Spend(Result<Spend, String>),
}

const SPEND_TASK: &str = "Reading what was spent";

/// A Generate the budgets refused, with the numbers (shown until dismissed).
#[derive(Debug, Clone)]
pub struct Refusal {
    /// The budget passed.
    pub over: OverBudget,
    /// How many jobs the Generate would have submitted.
    pub count: u32,
    /// The forms of a batch the refusal stands for ("Generate anyway" sends them).
    pub batch: Option<Vec<reelsmith_core::schema::FormState>>,
}

/// Money as the window sees it.
pub struct MoneyLink {
    /// Shared with the engine.
    pub handle: MoneyHandle,
    /// The model browser's memory of fal's catalog (empty until loaded from disk).
    pub memory: CatalogMemory,
    /// The last spend read (None until the first answer).
    pub spend: Option<Spend>,
    /// Why the spend could not be read.
    pub spend_error: Option<String>,
    /// The Generate refused last, if its message is up.
    pub refused: Option<Refusal>,
    cache_dir: PathBuf,
    simulated: bool,
    client: Option<FalClient>,
    journal: Option<Arc<Journal>>,
    tasks: Tasks<Done>,
    last_spend: Option<Instant>,
}

impl MoneyLink {
    /// Starts loading the catalog memory (off the UI thread).
    pub fn new(ctx: &egui::Context, config: &StudioConfig) -> MoneyLink {
        let cache_dir = config.cache_dir.clone();
        let cache = cache_dir.clone();
        let mut tasks = Tasks::new(ctx);
        tasks.spawn_blocking(
            TaskKind::CatalogMemory,
            "Reading the catalog memory",
            move || Done::Memory(CatalogMemory::load(&CatalogMemory::path_in(&cache))),
        );
        MoneyLink {
            handle: MoneyHandle::default(),
            memory: CatalogMemory::default(),
            spend: None,
            spend_error: None,
            refused: None,
            cache_dir,
            simulated: config.service.is_simulated(),
            client: None,
            journal: None,
            tasks,
            last_spend: None,
        }
    }

    /// Uses `key` from now on: loads its cached prices, fetches those of `sidebar` that are
    /// missing or stale, looks the sidebar up in the catalog (deprecations), then the spend.
    pub fn connect(
        &mut self,
        config: &StudioConfig,
        key: Option<ApiKey>,
        journal: Option<Arc<Journal>>,
        sidebar: Vec<String>,
    ) {
        self.journal = journal;
        self.client = key.and_then(|k| FalClient::new(config.service.urls.clone(), Some(k)).ok());
        let Some(client) = self.client.clone() else {
            return;
        };
        let path = PriceBook::path_in(&self.cache_dir);
        let memory_path = CatalogMemory::path_in(&self.cache_dir);
        let mut memory = self.memory.clone();
        // A fetch for an earlier key is of no use any more.
        self.tasks.forget(TaskKind::Prices);
        let name = "Fetching live prices";
        self.tasks.spawn(TaskKind::Prices, name, async move {
            let mut book = PriceBook::load(&path, client.key_fingerprint().as_deref());
            match refresh_prices(&client, &mut book, &sidebar, PRICE_MAX_AGE).await {
                Ok(n) if n > 0 => {
                    if let Err(e) = book.save(&path) {
                        tracing::warn!("could not cache prices in {}: {e}", path.display());
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    tracing::info!("live prices not fetched ({e}); cached or bundled prices stay")
                }
            }
            match browse::refresh_status(&client, &mut memory, &sidebar).await {
                Ok(()) => {
                    if let Err(e) = memory.save(&memory_path) {
                        tracing::warn!(
                            "could not cache the catalog in {}: {e}",
                            memory_path.display()
                        );
                    }
                }
                Err(e) => tracing::info!("the sidebar's catalog status was not read ({e})"),
            }
            Done::Prices(book, memory)
        });
        self.refresh_spend();
    }

    /// The journal the spend is summed from, once the session opened (it opens in the
    /// background, possibly after the first connect).
    pub fn set_journal(&mut self, journal: Arc<Journal>) {
        if self.journal.is_none() {
            self.journal = Some(journal);
            self.refresh_spend();
        }
    }

    /// Asks for the spend again (after a job finished, or when the strip is clicked).
    pub fn refresh_spend(&mut self) {
        let (Some(client), Some(journal)) = (self.client.clone(), self.journal.clone()) else {
            return;
        };
        if self.tasks.busy(TaskKind::Spend) {
            return;
        }
        let money = self.handle.clone();
        let simulated = self.simulated;
        self.last_spend = Some(Instant::now());
        self.tasks.spawn(TaskKind::Spend, SPEND_TASK, async move {
            Done::Spend(
                current_spend(&client, &money, &journal, simulated)
                    .await
                    .map_err(|e| e.to_string()),
            )
        });
    }

    /// Takes finished background work; true when something changed.
    pub fn poll(&mut self) -> bool {
        let mut changed = false;
        for finished in self.tasks.poll() {
            changed = true;
            match finished.outcome {
                Ok(Done::Memory(loaded)) => {
                    // Facts already fetched this session win over the disk copy.
                    let mut memory = loaded;
                    memory
                        .models
                        .extend(std::mem::take(&mut self.memory.models));
                    memory
                        .searches
                        .extend(std::mem::take(&mut self.memory.searches));
                    self.memory = memory;
                }
                Ok(Done::Prices(book, memory)) => {
                    *self.handle.prices.lock().unwrap_or_else(|e| e.into_inner()) = book;
                    self.memory.models.extend(memory.models);
                    self.memory.removed = memory.removed;
                }
                Ok(Done::Spend(Ok(spend))) => {
                    self.spend = Some(spend);
                    self.spend_error = None;
                }
                Ok(Done::Spend(Err(e))) => self.spend_error = Some(e),
                // A task that panicked: cached or bundled prices stay (the registry logged it);
                // the spend strip says why it has no figure.
                Err(text) if finished.name == SPEND_TASK => self.spend_error = Some(text),
                Err(_) => {}
            }
        }
        if self.last_spend.is_some_and(|t| t.elapsed() >= SPEND_EVERY) {
            self.refresh_spend();
        }
        changed
    }

    /// Uses new budgets at once (the caller saves them with the other settings).
    pub fn set_budgets(&mut self, budgets: Budgets) {
        self.handle.set_budgets(budgets);
    }

    /// The estimate of a payload from the live price (else the bundled table).
    pub fn estimate(&self, endpoint_id: &str, payload: &Value) -> Result<CostEstimate, NoEstimate> {
        self.handle
            .prices
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .estimate(endpoint_id, payload)
    }

    /// The budget `adding` dollars for `count` jobs would pass, from the last spend read (the
    /// engine checks again with fresh figures before anything is sent).
    pub fn would_pass(&self, adding: f64, count: u32) -> Option<OverBudget> {
        let spend = self.spend.as_ref()?;
        check_budget(&self.handle.budgets(), spend, adding, count as usize).err()
    }

    /// The client the money calls use, once a key is known.
    pub fn client(&self) -> Option<&FalClient> {
        self.client.as_ref()
    }

    /// True while background work runs.
    pub fn busy(&self) -> bool {
        self.tasks.any()
    }
}

/// "est. $3.20 · billed $3.01" for a video's job, when its job is still in the journal.
pub fn cost_of(engine: &super::engine_link::EngineLink, job_id: &str) -> Option<String> {
    engine
        .jobs()
        .iter()
        .find(|j| j.id.as_str() == job_id)
        .and_then(|j| j.cost.summary())
}
