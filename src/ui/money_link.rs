//! The window's side of money: live prices, the catalog memory, the spend and the budgets.
//! The budgets live in the shared settings, which the engine link reads and saves through the
//! core session (one writer of `settings.json`); this holds the handle the engine checks.
//! Everything that touches disk or network runs on the tokio runtime; the UI thread only takes
//! finished results (and locks the shared price book, which never waits on I/O).

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use poll_promise::Promise;
use serde_json::Value;

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
    loading: Option<Promise<CatalogMemory>>,
    prices: Option<Promise<(PriceBook, CatalogMemory)>>,
    spending: Option<Promise<Result<Spend, String>>>,
    last_spend: Option<Instant>,
    ctx: egui::Context,
}

impl MoneyLink {
    /// Starts loading the catalog memory (off the UI thread).
    pub fn new(ctx: &egui::Context, config: &StudioConfig) -> MoneyLink {
        let cache_dir = config.cache_dir.clone();
        let (cache, wake) = (cache_dir.clone(), ctx.clone());
        let loading = Promise::spawn_blocking(move || {
            let memory = CatalogMemory::load(&CatalogMemory::path_in(&cache));
            wake.request_repaint();
            memory
        });
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
            loading: Some(loading),
            prices: None,
            spending: None,
            last_spend: None,
            ctx: ctx.clone(),
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
        let wake = self.ctx.clone();
        self.prices = Some(Promise::spawn_async(async move {
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
            wake.request_repaint();
            (book, memory)
        }));
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
        if self.spending.is_some() {
            return;
        }
        let money = self.handle.clone();
        let simulated = self.simulated;
        let wake = self.ctx.clone();
        self.last_spend = Some(Instant::now());
        self.spending = Some(Promise::spawn_async(async move {
            let spend = current_spend(&client, &money, &journal, simulated)
                .await
                .map_err(|e| e.to_string());
            wake.request_repaint();
            spend
        }));
    }

    /// Takes finished background work; true when something changed.
    pub fn poll(&mut self) -> bool {
        let mut changed = false;
        if let Some(p) = self.loading.take() {
            match p.try_take() {
                Ok(loaded) => {
                    // Facts already fetched this session win over the disk copy.
                    let mut memory = loaded;
                    memory
                        .models
                        .extend(std::mem::take(&mut self.memory.models));
                    memory
                        .searches
                        .extend(std::mem::take(&mut self.memory.searches));
                    self.memory = memory;
                    changed = true;
                }
                Err(p) => self.loading = Some(p),
            }
        }
        if let Some(p) = self.prices.take() {
            match p.try_take() {
                Ok((book, memory)) => {
                    *self.handle.prices.lock().unwrap_or_else(|e| e.into_inner()) = book;
                    self.memory.models.extend(memory.models);
                    self.memory.removed = memory.removed;
                    changed = true;
                }
                Err(p) => self.prices = Some(p),
            }
        }
        if let Some(p) = self.spending.take() {
            match p.try_take() {
                Ok(Ok(spend)) => {
                    self.spend = Some(spend);
                    self.spend_error = None;
                    changed = true;
                }
                Ok(Err(e)) => {
                    self.spend_error = Some(e);
                    changed = true;
                }
                Err(p) => self.spending = Some(p),
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
        self.loading.is_some() || self.prices.is_some() || self.spending.is_some()
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
