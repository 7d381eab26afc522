//! The model browser's memory of fal's catalog: every search answered and every model seen,
//! kept on disk (`<cache dir>/model-catalog.json`) with the time fetched, so the browser opens
//! at once and works offline with what was seen. It also knows which endpoints fal marks
//! deprecated or no longer lists, and the successor in their family.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::fal::FalClient;
use crate::fal::platform::models::MODELS_PATH;
use crate::fal::platform::{ModelInfo, ModelQuery, PlatformError, PlatformErrorKind};

/// The file under the cache folder.
pub const CATALOG_CACHE_FILE: &str = "model-catalog.json";

/// Pages one search follows at most (50 models a page).
pub const SEARCH_PAGES: usize = 4;

/// One search as answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CachedSearch {
    /// The query.
    pub query: ModelQuery,
    /// The endpoint ids found, in fal's order.
    pub ids: Vec<String>,
    /// When fal answered.
    pub fetched_at: DateTime<Utc>,
    /// False when fal had more than the pages read.
    pub complete: bool,
}

/// Where a search's results came from.
#[derive(Debug, Clone, PartialEq)]
pub enum ResultSource {
    /// fal answered now.
    Live,
    /// The same search, answered by fal then (fal could not be asked now).
    Cached(DateTime<Utc>),
    /// Models seen in earlier searches that match (never searched for exactly this).
    Seen,
}

/// A search's results.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchResults {
    /// The models.
    pub models: Vec<ModelInfo>,
    /// Where they came from.
    pub source: ResultSource,
    /// Why fal could not be asked, when it could not.
    pub error: Option<String>,
    /// False when fal has more than shown.
    pub complete: bool,
}

/// What the browser remembers.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CatalogMemory {
    /// Searches by [`ModelQuery::cache_key`].
    #[serde(default)]
    pub searches: BTreeMap<String, CachedSearch>,
    /// Every model seen, by id (the latest facts).
    #[serde(default)]
    pub models: BTreeMap<String, ModelInfo>,
    /// Endpoints fal's catalog no longer lists (404 when looked up by id), and when seen so.
    #[serde(default)]
    pub removed: BTreeMap<String, DateTime<Utc>>,
}

impl CatalogMemory {
    /// `<cache_dir>/model-catalog.json`.
    pub fn path_in(cache_dir: &Path) -> PathBuf {
        cache_dir.join(CATALOG_CACHE_FILE)
    }

    /// The memory at `path`; empty when missing or unreadable (it is only a cache).
    pub fn load(path: &Path) -> CatalogMemory {
        std::fs::read(path)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or_default()
    }

    /// Writes it atomically.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_vec(self).map_err(std::io::Error::other)?;
        crate::atomic_file::write_atomic(path, &text)
    }

    /// Takes in fal's answer to `query`.
    pub fn record(&mut self, query: &ModelQuery, models: &[ModelInfo], complete: bool) {
        for m in models {
            self.removed.remove(&m.endpoint_id);
            self.models.insert(m.endpoint_id.clone(), m.clone());
        }
        self.searches.insert(
            query.cache_key(),
            CachedSearch {
                query: query.clone(),
                ids: models.iter().map(|m| m.endpoint_id.clone()).collect(),
                fetched_at: Utc::now(),
                complete,
            },
        );
    }

    /// The answer remembered for exactly `query`, if any.
    pub fn cached(&self, query: &ModelQuery) -> Option<SearchResults> {
        let s = self.searches.get(&query.cache_key())?;
        Some(SearchResults {
            models: s
                .ids
                .iter()
                .filter_map(|id| self.models.get(id).cloned())
                .collect(),
            source: ResultSource::Cached(s.fetched_at),
            error: None,
            complete: s.complete,
        })
    }

    /// Models seen before that match `query` (text in the name, id, description or category).
    pub fn seen_matching(&self, query: &ModelQuery) -> Vec<ModelInfo> {
        let words: Vec<String> = query
            .text
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        self.models
            .values()
            .filter(|m| {
                let hay = format!(
                    "{} {} {} {}",
                    m.display_name, m.endpoint_id, m.description, m.category
                )
                .to_lowercase();
                words.iter().all(|w| hay.contains(w))
                    && query.category.as_ref().is_none_or(|c| &m.category == c)
                    && query.status.is_none_or(|s| m.status == s)
            })
            .cloned()
            .collect()
    }

    /// The catalog's facts of one endpoint, if seen.
    pub fn info(&self, endpoint_id: &str) -> Option<&ModelInfo> {
        self.models.get(endpoint_id)
    }

    /// The newest active model of the same family (fal names no successor, so the family —
    /// fal's `group` — and the listing date stand in), preferring the same category.
    pub fn successor(&self, endpoint_id: &str) -> Option<&ModelInfo> {
        let me = self.models.get(endpoint_id)?;
        let family = me.family.as_ref()?;
        self.models
            .values()
            .filter(|m| {
                m.endpoint_id != endpoint_id
                    && !m.is_deprecated()
                    && !self.removed.contains_key(&m.endpoint_id)
                    && m.family.as_ref().is_some_and(|f| f.key == family.key)
            })
            .max_by(|a, b| {
                (a.category == me.category, a.date.as_deref())
                    .cmp(&(b.category == me.category, b.date.as_deref()))
            })
    }

    /// A sentence when fal marks the endpoint deprecated or no longer lists it: it stays usable
    /// here (history, settings), and the family's successor is named when known.
    pub fn deprecation_note(&self, endpoint_id: &str) -> Option<String> {
        let what = if self.removed.contains_key(endpoint_id) {
            "fal's catalog no longer lists this endpoint"
        } else if self.models.get(endpoint_id)?.is_deprecated() {
            "fal marks this endpoint deprecated"
        } else {
            return None;
        };
        let next = match self.successor(endpoint_id) {
            Some(s) => format!(
                "; fal's catalog offers {} ({}) in its family",
                s.display_name, s.endpoint_id
            ),
            None => String::new(),
        };
        Some(format!(
            "{what}: its videos and settings stay usable here, but new jobs may fail{next}"
        ))
    }
}

/// Searches fal's catalog and remembers the answer; when fal cannot be asked, gives the same
/// search's remembered answer, else the models seen before that match, with the reason.
pub async fn search(
    client: &FalClient,
    memory: &mut CatalogMemory,
    query: &ModelQuery,
) -> SearchResults {
    match client.search_models(query, SEARCH_PAGES).await {
        Ok(listing) => {
            memory.record(query, &listing.items, listing.complete);
            SearchResults {
                models: listing.items,
                source: ResultSource::Live,
                error: None,
                complete: listing.complete,
            }
        }
        Err(e) => {
            let error = Some(e.user_message());
            match memory.cached(query) {
                Some(mut cached) => {
                    cached.error = error;
                    cached
                }
                None => SearchResults {
                    models: memory.seen_matching(query),
                    source: ResultSource::Seen,
                    error,
                    complete: false,
                },
            }
        }
    }
}

/// Looks the given endpoints up by id (find mode, 50 a call; a 404 batch is split until the
/// unlisted ids are alone) and records their status, and which fal no longer lists.
pub async fn refresh_status(
    client: &FalClient,
    memory: &mut CatalogMemory,
    endpoint_ids: &[String],
) -> Result<(), PlatformError> {
    let mut work: Vec<Vec<String>> = endpoint_ids.chunks(50).map(<[String]>::to_vec).collect();
    while let Some(batch) = work.pop() {
        let q: Vec<(&str, String)> = batch.iter().map(|id| ("endpoint_id", id.clone())).collect();
        match client
            .platform_get("the catalog entries of the sidebar", MODELS_PATH, &q)
            .await
        {
            Ok(page) => {
                let items = page.get("models").and_then(Value::as_array);
                for m in items.into_iter().flatten().filter_map(ModelInfo::from_json) {
                    memory.removed.remove(&m.endpoint_id);
                    memory.models.insert(m.endpoint_id.clone(), m);
                }
            }
            Err(PlatformError::Api {
                kind: PlatformErrorKind::NotFound,
                ..
            }) if batch.len() > 1 => {
                let (a, b) = batch.split_at(batch.len() / 2);
                work.push(b.to_vec());
                work.push(a.to_vec());
            }
            Err(PlatformError::Api {
                kind: PlatformErrorKind::NotFound,
                ..
            }) => {
                memory.removed.insert(batch[0].clone(), Utc::now());
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// The largest thumbnail read.
pub const MAX_THUMBNAIL_BYTES: usize = 2 << 20;

/// A model's thumbnail from fal's CDN: a public GET without the key, bounded in size (2 MiB)
/// and time (10 s); `None` on any failure (the browser draws a placeholder).
pub async fn fetch_thumbnail(url: &str) -> Option<Vec<u8>> {
    if !(url.starts_with("https://") || url.starts_with("http://")) {
        return None;
    }
    let client = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(10))
        .build()
        .ok()?;
    let mut resp = client.get(url).send().await.ok()?.error_for_status().ok()?;
    let mut bytes = Vec::new();
    while let Some(chunk) = resp.chunk().await.ok()? {
        if bytes.len() + chunk.len() > MAX_THUMBNAIL_BYTES {
            return None;
        }
        bytes.extend_from_slice(&chunk);
    }
    Some(bytes)
}
