//! Endpoints: the bundled catalog (assets/endpoints) and endpoints added by id.

pub mod bundled;
