//! The core's integration tests, one binary: a module per subject (named for what it tests:
//! `engine_*` the job engine, `fal_*` the client, `film_*` storyboards and export, `media_*`
//! probing and decoding, `mutations_*` the fuzz targets' bounded form, `schema_*` forms), shared
//! set-up in `common`, `film` and `support/`. One binary links once, where one per file linked
//! the core and the simulator 27 times after every change to the core.

// one_origin.rs compiles four suites a second time on purpose, in another simulator layout.
#![allow(clippy::duplicate_mod)]

mod common;
mod film;
mod one_origin;

mod engine_jobs;
mod engine_lost_answers;
mod engine_money;
mod engine_queue;
mod engine_support;
mod fal_bounds;
mod fal_client;
mod fal_faults;
mod film_export;
mod film_storyboards;
mod fuzz_seeds;
mod journal_damage;
mod library_race;
mod media_hostile;
mod media_images;
mod media_playback;
mod media_video;
mod money_live;
mod mutations_media;
mod mutations_wire;
mod schema_documents;
mod schema_forms;
mod schema_properties;
mod schema_rules;
mod submit_answers;
