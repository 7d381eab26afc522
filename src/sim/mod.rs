//! The offline fal simulator: a real HTTP server on loopback.
