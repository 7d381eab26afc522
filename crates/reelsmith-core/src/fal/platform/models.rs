//! fal's model catalog: `GET /models` — search by text, category and status (cursor paged), and
//! one endpoint's OpenAPI document through `expand=openapi-3.0`.
//!
//! A key is optional for this call (it raises the rate limit). `metadata` may be absent for
//! endpoints without a registry entry; such a model shows under its id. fal names no successor
//! of a deprecated model: its `group` (the family) is the nearest thing.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Listing, PlatformError};
use crate::fal::client::FalClient;

/// The path of the call under the platform API base.
pub const MODELS_PATH: &str = "models";

/// Models asked per page (fal documents no maximum and may give fewer).
pub const SEARCH_LIMIT: u32 = 50;

/// Whether fal still offers a model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum ModelStatus {
    /// Offered.
    #[default]
    Active,
    /// Marked deprecated by fal (it may be removed).
    Deprecated,
}

impl ModelStatus {
    /// The word fal uses.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelStatus::Active => "active",
            ModelStatus::Deprecated => "deprecated",
        }
    }
}

/// The group fal lists a model under (e.g. all Veo 3.1 endpoints).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelFamily {
    /// fal's group key.
    pub key: String,
    /// Its display label.
    pub label: String,
}

/// One model as the catalog lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// The endpoint id, e.g. `fal-ai/veo3.1/image-to-video`.
    pub endpoint_id: String,
    /// fal's display name (the id when fal gives none).
    pub display_name: String,
    /// fal's category, e.g. `image-to-video`; empty when unlisted.
    pub category: String,
    /// A short description.
    pub description: String,
    /// Active or deprecated.
    pub status: ModelStatus,
    /// The thumbnail's URL, if any (a CDN URL: fetched without the key).
    pub thumbnail_url: Option<String>,
    /// The family (fal's `group`).
    pub family: Option<ModelFamily>,
    /// Tags such as `new`, `beta`.
    pub tags: Vec<String>,
    /// When fal first listed it (ISO date, as sent).
    pub date: Option<String>,
    /// False when fal has no registry entry for it (`metadata` absent).
    pub listed: bool,
}

impl ModelInfo {
    /// Reads one `models[]` item; `None` without an `endpoint_id`.
    pub fn from_json(item: &Value) -> Option<ModelInfo> {
        let endpoint_id = item.get("endpoint_id")?.as_str()?.trim().to_string();
        if endpoint_id.is_empty() {
            return None;
        }
        let meta = item.get("metadata").filter(|m| m.is_object());
        let text = |name: &str| {
            meta.and_then(|m| m.get(name))
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
        };
        let status = match text("status").as_deref() {
            Some("deprecated") => ModelStatus::Deprecated,
            _ => ModelStatus::Active,
        };
        let family = meta.and_then(|m| m.get("group")).and_then(|g| {
            Some(ModelFamily {
                key: g.get("key")?.as_str()?.to_string(),
                label: g.get("label")?.as_str()?.to_string(),
            })
        });
        let tags = meta
            .and_then(|m| m.get("tags"))
            .and_then(Value::as_array)
            .map(|t| {
                t.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        Some(ModelInfo {
            display_name: text("display_name").unwrap_or_else(|| endpoint_id.clone()),
            category: text("category").unwrap_or_default(),
            description: text("description").unwrap_or_default(),
            status,
            thumbnail_url: text("thumbnail_url").filter(|u| u.starts_with("http")),
            family,
            tags,
            date: text("date"),
            listed: meta.is_some(),
            endpoint_id,
        })
    }

    /// True when fal marked it deprecated.
    pub fn is_deprecated(&self) -> bool {
        self.status == ModelStatus::Deprecated
    }
}

/// What to search the catalog for.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ModelQuery {
    /// Free text over name, description and category.
    pub text: String,
    /// Only this category (e.g. `text-to-video`).
    pub category: Option<String>,
    /// Only active or only deprecated models; both when `None`.
    pub status: Option<ModelStatus>,
}

impl ModelQuery {
    /// The query parameters as fal documents them.
    fn params(&self) -> Vec<(&'static str, String)> {
        let mut q = vec![("limit", SEARCH_LIMIT.to_string())];
        if !self.text.trim().is_empty() {
            q.push(("q", self.text.trim().to_string()));
        }
        if let Some(c) = self.category.as_ref().filter(|c| !c.trim().is_empty()) {
            q.push(("category", c.trim().to_string()));
        }
        if let Some(s) = self.status {
            q.push(("status", s.as_str().to_string()));
        }
        q
    }

    /// A stable text naming the query, for the on-disk cache.
    pub fn cache_key(&self) -> String {
        format!(
            "{}|{}|{}",
            self.text.trim().to_lowercase(),
            self.category.as_deref().unwrap_or("").trim(),
            self.status.map(ModelStatus::as_str).unwrap_or("")
        )
    }
}

impl FalClient {
    /// Searches fal's catalog, following the cursor for up to `max_pages` pages.
    pub async fn search_models(
        &self,
        query: &ModelQuery,
        max_pages: usize,
    ) -> Result<Listing<ModelInfo>, PlatformError> {
        let what = if query.text.trim().is_empty() {
            "the model catalog".to_string()
        } else {
            format!("the model catalog search for \"{}\"", query.text.trim())
        };
        self.platform_list(
            &what,
            MODELS_PATH,
            &query.params(),
            "models",
            max_pages,
            ModelInfo::from_json,
        )
        .await
    }

    /// One endpoint's catalog entry and its OpenAPI 3.0 document (find mode with
    /// `expand=openapi-3.0`). The document is `None` when fal could not expand it (it answers
    /// `{"error": …}` in its place); the caller then uses the queue's OpenAPI service.
    pub async fn model_with_openapi(
        &self,
        endpoint_id: &str,
    ) -> Result<Option<(ModelInfo, Option<Value>)>, PlatformError> {
        let what = format!("the catalog entry of {endpoint_id}");
        let page = self
            .platform_get(
                &what,
                MODELS_PATH,
                &[
                    ("endpoint_id", endpoint_id.to_string()),
                    ("expand", "openapi-3.0".to_string()),
                ],
            )
            .await;
        let page = match page {
            Ok(p) => p,
            Err(PlatformError::Api { status: 404, .. }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let item = page
            .get("models")
            .and_then(Value::as_array)
            .and_then(|items| {
                items
                    .iter()
                    .find(|i| i.get("endpoint_id").and_then(Value::as_str) == Some(endpoint_id))
            });
        let Some(item) = item else {
            return Ok(None);
        };
        let Some(info) = ModelInfo::from_json(item) else {
            return Ok(None);
        };
        let doc = item
            .get("openapi")
            .filter(|d| d.is_object() && d.get("error").is_none() && d.get("paths").is_some())
            .cloned();
        Ok(Some((info, doc)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn items_read_with_and_without_metadata() {
        let m = ModelInfo::from_json(&json!({
            "endpoint_id": "fal-ai/veo3",
            "metadata": {"display_name": "Veo 3", "category": "text-to-video",
                "status": "deprecated", "thumbnail_url": "https://x/y.png",
                "group": {"key": "veo", "label": "Veo"}, "tags": ["pro"]}
        }))
        .unwrap();
        assert!(m.is_deprecated() && m.listed);
        assert_eq!(m.family.unwrap().key, "veo");
        let bare = ModelInfo::from_json(&json!({"endpoint_id": "a/b"})).unwrap();
        assert_eq!(bare.display_name, "a/b");
        assert!(!bare.listed && !bare.is_deprecated());
        assert!(ModelInfo::from_json(&json!({"metadata": {}})).is_none());
        // A thumbnail that is not a web URL is not fetched.
        let odd = ModelInfo::from_json(&json!({"endpoint_id": "a/b",
            "metadata": {"thumbnail_url": "file:///etc/passwd"}}))
        .unwrap();
        assert_eq!(odd.thumbnail_url, None);
    }
}
