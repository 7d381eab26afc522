//! Helpers shared by the app's integration tests (each test binary takes what it needs).

pub mod cli_env;
