//! Small lookups the panels share: an endpoint's short name, a field's issues.

use reelsmith_core::catalog::CatalogEntry;
use reelsmith_core::schema::Issue;

/// Short human name for an endpoint id (the catalog's name when known).
pub fn short_name(entries: &[CatalogEntry], endpoint_id: &str) -> String {
    entries
        .iter()
        .find(|e| e.endpoint_id == endpoint_id)
        .map(|e| format!("{} · {}", e.family, e.name))
        .unwrap_or_else(|| endpoint_id.to_string())
}

/// Path of the current form's field issues (prefix match for nested fields).
pub fn issues_for<'a>(issues: &'a [Issue], path: &str) -> impl Iterator<Item = &'a Issue> {
    issues.iter().filter(move |i| i.field == path)
}
