//! Helpers shared by the app's command-line tests, one job per file. Each test binary uses a
//! part of them, so unused items are allowed here rather than in every file.

#![allow(dead_code)]

pub mod checks;
pub mod cli_env;
pub mod inputs;
pub mod journal;
pub mod run;
pub mod sim_env;
