//! `fal_client.rs` again with the simulator serving queue, REST storage, upload URLs, CDN and OpenAPI
//! on one origin at its root, as a proxy in front of fal does (see `common::one_origin`).

#[path = "fal_client.rs"]
mod suite;
