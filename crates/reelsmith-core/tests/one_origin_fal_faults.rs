//! `fal_faults.rs` again with the simulator serving queue, REST storage, upload URLs, CDN and OpenAPI
//! on one origin at its root, as a proxy in front of fal does (see `common::one_origin`).

#[path = "fal_faults.rs"]
mod suite;
