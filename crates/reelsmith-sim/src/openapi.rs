//! `GET /openapi/queue/openapi.json?endpoint_id=ID`: the OpenAPI document of an endpoint.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use serde_json::{Value, json};

use super::SimError;
use super::queue::json_response;
use super::state::Shared;

/// The documents served: every bundled one, then `extra` (which replace bundled ones by id).
pub(crate) fn load_documents(
    extra: &[(String, Value)],
) -> Result<HashMap<String, Arc<Value>>, SimError> {
    let mut documents = HashMap::new();
    for (id, text) in reelsmith_core::catalog::bundled::bundled_documents() {
        let doc: Value = serde_json::from_str(text).map_err(|err| SimError::Document {
            endpoint_id: id.to_string(),
            message: err.to_string(),
        })?;
        documents.insert(id.to_string(), Arc::new(doc));
    }
    for (id, doc) in extra {
        documents.insert(id.trim_matches('/').to_string(), Arc::new(doc.clone()));
    }
    Ok(documents)
}

/// Answers with the document, 400 without `endpoint_id`, 404 for an endpoint not served.
pub(crate) async fn document(
    State(shared): State<Arc<Shared>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let Some(id) = query.get("endpoint_id") else {
        return json_response(
            400,
            json!({"detail": "Missing query parameter endpoint_id"}),
        );
    };
    match shared.documents.get(id.trim_matches('/')) {
        Some(doc) => json_response(200, doc.as_ref().clone()),
        None => json_response(
            404,
            json!({"error": {"code": "not_found", "message": format!("No OpenAPI document for endpoint '{id}'")}}),
        ),
    }
}
