//! reelsmith's core: everything the window and the command line share, and nothing of either.
//!
//! The fal client ([`fal`]), endpoint schemas and forms ([`schema`]), the endpoint catalog
//! ([`catalog`]), the job engine ([`jobs`]), the SQLite journal ([`store`]), finished videos
//! ([`library`]), media work ([`media`]), where a saved key is kept ([`keystore`]), the
//! settings both front ends share ([`settings`]) and the one way they set up the engine
//! ([`session`]). No GUI
//! toolkit, no HTTP server, no unsafe code.

#![forbid(unsafe_code)]

pub mod atomic_file;
pub mod catalog;
pub mod fal;
pub mod film;
#[doc(hidden)]
pub mod fuzzing;
pub mod human;
pub mod jobs;
pub mod keystore;
pub mod library;
pub mod media;
pub mod money;
pub mod paths;
pub mod schema;
pub mod session;
pub mod settings;
pub mod store;
