//! `engine_lost_answers.rs` again with the simulator serving queue, REST storage, upload URLs,
//! CDN and OpenAPI on one origin at its root (see `common::one_origin`); the platform API keeps
//! its own `/api/v1` path there.

#[path = "engine_lost_answers.rs"]
mod suite;
