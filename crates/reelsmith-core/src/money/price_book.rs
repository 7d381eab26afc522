//! fal's live prices as last fetched, kept on disk (`<cache dir>/prices.json`) with the time
//! each was fetched and the key they are for: prices are per account, so a book fetched with
//! another key is not used.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fal::FalClient;
use crate::fal::platform::{PlatformError, PriceLookup};
use crate::schema::cost::{self, CostEstimate, LivePrice, NoEstimate};

/// The file under the cache folder.
pub const PRICES_FILE: &str = "prices.json";

/// A live price older than this is fetched again when next wanted (it is still used until then).
pub const PRICE_MAX_AGE: Duration = Duration::from_secs(6 * 3600);

/// The prices fal gave, by endpoint id.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PriceBook {
    /// A fingerprint of the key the prices were fetched with (never the key itself).
    #[serde(default)]
    pub key: Option<String>,
    /// Live prices by endpoint id.
    #[serde(default)]
    pub prices: BTreeMap<String, LivePrice>,
    /// Endpoints fal gave no price for, and when it was asked.
    #[serde(default)]
    pub unknown: BTreeMap<String, DateTime<Utc>>,
}

impl PriceBook {
    /// `<cache_dir>/prices.json`.
    pub fn path_in(cache_dir: &Path) -> PathBuf {
        cache_dir.join(PRICES_FILE)
    }

    /// The book at `path` if it was fetched with the key of fingerprint `key`; otherwise (no
    /// file, unreadable, another key) an empty book for that key.
    pub fn load(path: &Path, key: Option<&str>) -> PriceBook {
        let read = std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice::<PriceBook>(&b).ok());
        match read {
            Some(book) if book.key.as_deref() == key => book,
            _ => PriceBook {
                key: key.map(str::to_string),
                ..PriceBook::default()
            },
        }
    }

    /// Writes the book atomically.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::atomic_file::write_atomic(path, &text)
    }

    /// The live price of an endpoint, if fetched.
    pub fn live(&self, endpoint_id: &str) -> Option<&LivePrice> {
        self.prices.get(endpoint_id)
    }

    /// The ids of `wanted` whose price is missing or older than `max_age` at `now`.
    pub fn due(&self, wanted: &[String], max_age: Duration, now: DateTime<Utc>) -> Vec<String> {
        let old = |t: &DateTime<Utc>| {
            (now - *t)
                .to_std()
                .map(|age| age > max_age)
                .unwrap_or(false)
        };
        wanted
            .iter()
            .filter(|id| match (self.prices.get(*id), self.unknown.get(*id)) {
                (Some(p), _) => old(&p.fetched_at),
                (None, Some(asked)) => old(asked),
                (None, None) => true,
            })
            .cloned()
            .collect()
    }

    /// Takes in an answer of fal's pricing call made at `at`.
    pub fn merge(&mut self, lookup: PriceLookup, at: DateTime<Utc>) {
        for price in lookup.prices {
            self.unknown.remove(&price.endpoint_id);
            self.prices.insert(
                price.endpoint_id.clone(),
                LivePrice {
                    price,
                    fetched_at: at,
                },
            );
        }
        for id in lookup.unknown {
            self.prices.remove(&id);
            self.unknown.insert(id, at);
        }
    }

    /// The estimate of `payload` for `endpoint_id`: from the live price when fetched, else from
    /// the bundled table.
    pub fn estimate(&self, endpoint_id: &str, payload: &Value) -> Result<CostEstimate, NoEstimate> {
        cost::estimate_with(endpoint_id, payload, self.live(endpoint_id))
    }
}

/// Fetches the prices of `wanted` that are missing or stale, merges them into `book` and
/// returns how many ids were asked. An error leaves the book as it was (the cached and bundled
/// prices stay in use).
pub async fn refresh_prices(
    client: &FalClient,
    book: &mut PriceBook,
    wanted: &[String],
    max_age: Duration,
) -> Result<usize, PlatformError> {
    let now = Utc::now();
    let due = book.due(wanted, max_age, now);
    if due.is_empty() {
        return Ok(0);
    }
    let lookup = client.prices(&due).await?;
    book.merge(lookup, now);
    Ok(due.len())
}
