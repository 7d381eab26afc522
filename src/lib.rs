//! reelsmith, the app: the window ([`ui`]) and the command line ([`cli`]) over `reelsmith_core`.
//!
//! The binary (`src/main.rs`) is a thin entry point; this library exists so the tests and
//! benchmarks can drive the same front ends.

pub mod cli;
pub mod ui;
