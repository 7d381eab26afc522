//! Endpoints: the bundled catalog (assets/endpoints) and endpoints added by id.
//!
//! A bundled endpoint works offline from its shipped document. Any endpoint, bundled or not, can
//! be fetched live from fal's OpenAPI service; the fetched document is cached on disk under
//! `<cache dir>/schemas/` and from then on replaces the bundled copy (schemas drift), which stays
//! as the offline fallback.

pub mod browse;
pub mod bundled;
mod cache;
pub mod check;
mod fetch;
mod ids;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::schema::{FormModel, SchemaError};

pub use fetch::{DEFAULT_OPENAPI_URL, OPENAPI_URL_ENV, openapi_url};
pub use ids::check_endpoint_id;

/// The family endpoints added by id are listed under.
pub const ADDED_FAMILY: &str = "Added";
/// The order families are listed in; others follow alphabetically, then [`ADDED_FAMILY`].
const FAMILY_ORDER: &[&str] = &["Veo 3.1", "Veo 3.1 Fast", "Kling O1", "Wan"];
/// The order endpoints are listed in within a family; others follow alphabetically.
const NAME_ORDER: &[&str] = &[
    "Text to video",
    "Image to video",
    "First and last frame",
    "Reference to video",
    "Extend a clip",
];

/// One endpoint as the endpoint picker lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogEntry {
    /// The endpoint id, e.g. `fal-ai/veo3.1/image-to-video`.
    pub endpoint_id: String,
    /// The family it is grouped under, e.g. "Veo 3.1".
    pub family: String,
    /// A short human name within the family, e.g. "Image to video".
    pub name: String,
    /// It ships with the app (works offline).
    pub bundled: bool,
    /// A live document fetched from fal is cached for it (and used instead of the bundled one).
    pub live: bool,
}

/// What went wrong finding or fetching an endpoint's schema.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    /// The id is not something fal could serve (empty, spaces, `..`).
    #[error(
        "`{id}` is not a valid endpoint id: {reason}. Endpoint ids look like fal-ai/veo3.1/image-to-video"
    )]
    InvalidId {
        /// The id given.
        id: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The endpoint is neither bundled nor added.
    #[error("{id} is not in the catalog; add it by fetching its schema (`reelsmith schema {id}`)")]
    Unknown {
        /// The endpoint id.
        id: String,
    },
    /// The schema service could not be reached.
    #[error(
        "could not fetch the schema of {id} from {url}: {reason}. Check the connection (or REELSMITH_OPENAPI_URL); bundled endpoints work offline"
    )]
    Unreachable {
        /// The endpoint id.
        id: String,
        /// The URL asked.
        url: String,
        /// The network error.
        reason: String,
    },
    /// The schema service does not know the endpoint.
    #[error("fal has no schema for {id} (404 from {url}); check the endpoint id")]
    NotFound {
        /// The endpoint id.
        id: String,
        /// The URL asked.
        url: String,
    },
    /// The schema service answered with another error status.
    #[error("fetching the schema of {id} failed with HTTP {status}: {body}. Try again later")]
    Http {
        /// The endpoint id.
        id: String,
        /// The HTTP status.
        status: u16,
        /// The start of the answer.
        body: String,
    },
    /// The answer was larger than any OpenAPI document (or error) fal sends; it was not read.
    #[error(
        "the schema of {id} was not fetched: the answer from {path} is larger than {} (check REELSMITH_OPENAPI_URL)",
        crate::fal::body::describe_limit(*limit)
    )]
    TooLarge {
        /// The endpoint id.
        id: String,
        /// The URL path that answered.
        path: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// A fetched (or cached) document cannot be used; it was not cached.
    #[error("the schema fetched for {id} cannot be used, so it was not saved: {reason}")]
    Invalid {
        /// The endpoint id.
        id: String,
        /// Why.
        reason: String,
    },
    /// A stored document (bundled or cached) cannot be read into a form.
    #[error(
        "the stored schema of {id} cannot be read: {source}. Fetch it again (`reelsmith schema {id} --refresh`)"
    )]
    Stored {
        /// The endpoint id.
        id: String,
        /// The parse error.
        source: SchemaError,
    },
}

/// A bundled endpoint's document and its catalog names.
#[derive(Debug, Clone)]
struct Bundled {
    id: &'static str,
    text: &'static str,
    family: String,
    name: String,
}

/// The endpoints reelsmith knows: bundled ones and those fetched by id.
#[derive(Debug, Clone)]
pub struct Catalog {
    dir: PathBuf,
    bundled: Vec<Bundled>,
    live: BTreeMap<String, Value>,
}

impl Catalog {
    /// The bundled endpoints plus every document cached under `<cache_dir>/schemas/` (documents
    /// that no longer parse are skipped with a warning).
    pub fn load(cache_dir: &Path) -> Catalog {
        let dir = cache_dir.join("schemas");
        let bundled = bundled::bundled_documents()
            .iter()
            .map(|(id, text)| {
                let (family, name) = serde_json::from_str::<Value>(text)
                    .ok()
                    .map(|doc| names_of(&doc, id))
                    .unwrap_or_else(|| (ADDED_FAMILY.to_string(), id.to_string()));
                Bundled {
                    id,
                    text,
                    family,
                    name,
                }
            })
            .collect();
        let live = cache::read_all(&dir);
        Catalog { dir, bundled, live }
    }

    /// Every endpoint, grouped by family (in a fixed family order) and ordered within it.
    pub fn entries(&self) -> Vec<CatalogEntry> {
        let mut out: Vec<CatalogEntry> = self
            .bundled
            .iter()
            .map(|b| CatalogEntry {
                endpoint_id: b.id.to_string(),
                family: b.family.clone(),
                name: b.name.clone(),
                bundled: true,
                live: self.live.contains_key(b.id),
            })
            .collect();
        for (id, doc) in &self.live {
            if self.is_bundled(id) {
                continue;
            }
            let title = || {
                FormModel::from_openapi(doc)
                    .map(|m| m.title)
                    .unwrap_or_else(|_| id.clone())
            };
            // Endpoints added from fal's catalog carry their family; others go under "Added".
            let (family, name) = match doc.pointer("/info/x-reelsmith/family") {
                Some(_) => names_of(doc, id),
                None => (ADDED_FAMILY.to_string(), title()),
            };
            out.push(CatalogEntry {
                endpoint_id: id.clone(),
                family,
                name,
                bundled: false,
                live: true,
            });
        }
        out.sort_by(|a, b| {
            (
                family_rank(&a.family),
                &a.family,
                name_rank(&a.name),
                &a.name,
                &a.endpoint_id,
            )
                .cmp(&(
                    family_rank(&b.family),
                    &b.family,
                    name_rank(&b.name),
                    &b.name,
                    &b.endpoint_id,
                ))
        });
        out
    }

    /// True when the endpoint is bundled or a fetched copy is cached (usable offline).
    pub fn contains(&self, endpoint_id: &str) -> bool {
        self.is_bundled(endpoint_id) || self.live.contains_key(endpoint_id)
    }

    /// True when the endpoint ships with the app.
    pub fn is_bundled(&self, endpoint_id: &str) -> bool {
        self.bundled.iter().any(|b| b.id == endpoint_id)
    }

    /// The OpenAPI document used for an endpoint: the cached live one if any, else the bundled.
    pub fn document(&self, endpoint_id: &str) -> Option<Value> {
        if let Some(doc) = self.live.get(endpoint_id) {
            return Some(doc.clone());
        }
        let text = self.bundled.iter().find(|b| b.id == endpoint_id)?.text;
        serde_json::from_str(text).ok()
    }

    /// The form model of an endpoint from its cached live document, else its bundled one.
    pub fn model(&self, endpoint_id: &str) -> Result<FormModel, CatalogError> {
        let doc = self
            .document(endpoint_id)
            .ok_or_else(|| CatalogError::Unknown {
                id: endpoint_id.to_string(),
            })?;
        FormModel::from_openapi(&doc).map_err(|source| CatalogError::Stored {
            id: endpoint_id.to_string(),
            source,
        })
    }

    /// Fetches the live document (`GET {openapi_url}?endpoint_id=ID`, a public request without
    /// a key), checks that it parses and is for this endpoint, caches it on disk and uses it from
    /// now on. A document that does not parse is refused and nothing is cached or replaced.
    pub async fn fetch(
        &mut self,
        endpoint_id: &str,
        openapi_url: &str,
    ) -> Result<FormModel, CatalogError> {
        check_endpoint_id(endpoint_id)?;
        let doc = fetch::get_document(endpoint_id, openapi_url).await?;
        let model = FormModel::from_openapi(&doc).map_err(|e| CatalogError::Invalid {
            id: endpoint_id.to_string(),
            reason: e.to_string(),
        })?;
        if model.endpoint_id != endpoint_id {
            return Err(CatalogError::Invalid {
                id: endpoint_id.to_string(),
                reason: format!("the document describes {} instead", model.endpoint_id),
            });
        }
        // A cache that cannot be written costs a refetch next time, not this result.
        if let Err(e) = cache::write(&self.dir, endpoint_id, &doc) {
            tracing::warn!(
                "could not cache the schema of {endpoint_id} in {}: {e}",
                self.dir.display()
            );
        }
        self.live.insert(endpoint_id.to_string(), doc);
        Ok(model)
    }

    /// Adds an endpoint found in fal's catalog: its OpenAPI document from the catalog
    /// (`expand=openapi-3.0`), else from the queue's OpenAPI service at `openapi_url`; the
    /// document is marked with the family and name the catalog gives, so the sidebar lists it
    /// under its family.
    pub async fn add_from_catalog(
        &mut self,
        client: &crate::fal::FalClient,
        info: &crate::fal::platform::ModelInfo,
        openapi_url: &str,
    ) -> Result<FormModel, CatalogError> {
        let id = info.endpoint_id.as_str();
        check_endpoint_id(id)?;
        let expanded = match client.model_with_openapi(id).await {
            Ok(Some((_, Some(doc)))) => FormModel::from_openapi(&doc)
                .ok()
                .filter(|m| m.endpoint_id == id)
                .map(|_| doc),
            Ok(_) => None,
            Err(e) => {
                tracing::info!("the catalog gave no document for {id} ({e}); asking the queue's");
                None
            }
        };
        let mut doc = match expanded {
            Some(doc) => doc,
            None => fetch::get_document(id, openapi_url).await?,
        };
        let model = FormModel::from_openapi(&doc).map_err(|e| CatalogError::Invalid {
            id: id.to_string(),
            reason: e.to_string(),
        })?;
        if model.endpoint_id != id {
            return Err(CatalogError::Invalid {
                id: id.to_string(),
                reason: format!("the document describes {} instead", model.endpoint_id),
            });
        }
        if !self.is_bundled(id)
            && let Some(info_obj) = doc.get_mut("info").and_then(Value::as_object_mut)
        {
            let family = info
                .family
                .as_ref()
                .map(|f| f.label.clone())
                .unwrap_or_else(|| ADDED_FAMILY.to_string());
            info_obj.insert(
                "x-reelsmith".into(),
                serde_json::json!({
                    "family": family,
                    "name": info.display_name,
                    "added_from": "catalog",
                }),
            );
        }
        if let Err(e) = cache::write(&self.dir, id, &doc) {
            tracing::warn!(
                "could not cache the schema of {id} in {}: {e}",
                self.dir.display()
            );
        }
        self.live.insert(id.to_string(), doc);
        Ok(model)
    }

    /// Forgets a fetched document (an added endpoint disappears; a bundled one goes back to its
    /// bundled copy) and deletes it from the cache.
    pub fn forget(&mut self, endpoint_id: &str) -> std::io::Result<()> {
        self.live.remove(endpoint_id);
        match std::fs::remove_file(self.dir.join(ids::file_name(endpoint_id))) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    }

    /// Where fetched documents are cached.
    pub fn cache_dir(&self) -> &Path {
        &self.dir
    }
}

/// `(family, name)` from our `info.x-reelsmith`, else from the title and id.
fn names_of(doc: &Value, id: &str) -> (String, String) {
    let ours = doc.pointer("/info/x-reelsmith");
    let get = |key: &str| {
        ours.and_then(|o| o.get(key))
            .and_then(Value::as_str)
            .filter(|s| !s.trim().is_empty())
            .map(str::to_string)
    };
    (
        get("family").unwrap_or_else(|| ADDED_FAMILY.to_string()),
        get("name").unwrap_or_else(|| id.to_string()),
    )
}

fn family_rank(family: &str) -> usize {
    if family == ADDED_FAMILY {
        return usize::MAX;
    }
    FAMILY_ORDER
        .iter()
        .position(|f| *f == family)
        .unwrap_or(FAMILY_ORDER.len())
}

fn name_rank(name: &str) -> usize {
    NAME_ORDER
        .iter()
        .position(|n| name.starts_with(n))
        .unwrap_or(NAME_ORDER.len())
}
