//! The engine's settings.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::jobs::upload_cache::DEFAULT_UPLOAD_TTL;

/// Settings of the engine.
#[derive(Clone)]
pub struct EngineConfig {
    /// Jobs worked on locally at once (fal queues the rest server-side).
    pub max_in_flight: usize,
    /// A job whose status has not changed for this long is flagged as stalled.
    pub stall_after: Duration,
    /// How long an uploaded file's URL is reused before the file is uploaded again.
    pub upload_ttl: Duration,
    /// The library folder finished videos go to (unless a job names its own output).
    pub output_dir: PathBuf,
    /// How long a submitted job keeps retrying through network failures before it is shown as
    /// failed (it stays resumable: it is never submitted again).
    pub network_patience: Duration,
    /// How long a submit whose answer was lost keeps being looked up in fal's request history
    /// (rows of queued requests may show late) before it waits for the user's word.
    pub lookup_patience: Duration,
    /// Resume every unfinished job of the journal when the engine starts.
    pub resume_on_start: bool,
    /// Jobs run against the built-in simulator (recorded in each job and sidecar).
    pub simulated: bool,
    /// Where pictures over a field's limits are re-encoded before upload.
    pub scratch_dir: PathBuf,
    /// Called after every event (the window passes a repaint request here).
    pub on_change: Option<Arc<dyn Fn() + Send + Sync>>,
    /// Live prices (for estimates recorded at submit) and the budgets a submit is checked
    /// against.
    pub money: crate::money::MoneyHandle,
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineConfig")
            .field("max_in_flight", &self.max_in_flight)
            .field("stall_after", &self.stall_after)
            .field("upload_ttl", &self.upload_ttl)
            .field("output_dir", &self.output_dir)
            .field("network_patience", &self.network_patience)
            .field("lookup_patience", &self.lookup_patience)
            .field("resume_on_start", &self.resume_on_start)
            .field("simulated", &self.simulated)
            .field("scratch_dir", &self.scratch_dir)
            .finish()
    }
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            max_in_flight: 4,
            stall_after: crate::jobs::state::DEFAULT_STALL_AFTER,
            upload_ttl: DEFAULT_UPLOAD_TTL,
            output_dir: crate::library::output_dir(),
            network_patience: Duration::from_secs(10 * 60),
            lookup_patience: Duration::from_secs(20 * 60),
            resume_on_start: true,
            simulated: false,
            scratch_dir: crate::paths::cache_dir().join("prepared"),
            on_change: None,
            money: crate::money::MoneyHandle::default(),
        }
    }
}
