//! The endpoint documents embedded at build time by `build.rs` from `assets/endpoints/`.

include!(concat!(env!("OUT_DIR"), "/bundled_endpoints.rs"));

/// Every bundled endpoint as `(endpoint id, OpenAPI document text)`, sorted by id.
pub fn bundled_documents() -> &'static [(&'static str, &'static str)] {
    BUNDLED_ENDPOINTS
}

/// The bundled OpenAPI document text of one endpoint, if it ships with the app.
pub fn bundled_document(endpoint_id: &str) -> Option<&'static str> {
    BUNDLED_ENDPOINTS
        .iter()
        .find(|(id, _)| *id == endpoint_id)
        .map(|(_, doc)| *doc)
}
