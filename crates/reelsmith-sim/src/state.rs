//! The state every request handler shares: settings, jobs, faults, recordings, storage.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde_json::Value;
use tokio_util::sync::CancellationToken;

use super::clip::ClipSpec;
use super::faults::Faults;
use super::jobs::Job;
use super::layout::Layout;
use super::storage::Storage;
use super::{RecordedRequest, Submission};

/// Locks a mutex, carrying on if a panicking thread poisoned it (the data stays usable here).
pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Knobs that can change while the simulator runs.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub queue_time: Duration,
    pub run_time: Duration,
    pub initial_queue_position: u32,
    pub ping_interval: Duration,
    pub max_clip_seconds: f64,
    /// Completed requests leave the queue (404) this long after completing; None = never.
    pub forget_after: Option<Duration>,
    /// A request shows in the request history only this long after it was received.
    pub history_delay: Duration,
    /// What the key may read on the platform API.
    pub key_scope: crate::KeyScope,
    /// The most models one catalog page gives (fal may give fewer than asked).
    pub catalog_page_size: Option<usize>,
    /// Endpoints the catalog marks deprecated besides the built-in ones.
    pub deprecated: std::collections::HashSet<String>,
    /// Endpoints the catalog no longer lists (and prices no longer know).
    pub delisted: std::collections::HashSet<String>,
    /// Units billed for every job instead of the computed ones.
    pub billable_units: Option<f64>,
    /// Whether results carry `x-fal-billable-units`.
    pub billable_units_header: bool,
}

/// Rendered clips by (BLAKE3 of the source file, spec, with sound): the same request renders once.
pub(crate) type ClipCache = HashMap<(Option<String>, ClipSpec, bool), Arc<Vec<u8>>>;

/// Everything the handlers share, behind one `Arc`.
pub(crate) struct Shared {
    pub base_url: String,
    pub port: u16,
    pub layout: Layout,
    pub key: String,
    pub settings: Mutex<Settings>,
    pub documents: HashMap<String, Arc<Value>>,
    pub jobs: Mutex<HashMap<String, Arc<Job>>>,
    pub faults: Mutex<Faults>,
    pub requests: Mutex<Vec<RecordedRequest>>,
    pub submissions: Mutex<Vec<Submission>>,
    pub storage: Storage,
    pub clips: Mutex<ClipCache>,
    pub shutdown: CancellationToken,
}

impl Shared {
    /// The queue URL of a request: `{base}{queue prefix}/{owner}/{alias}/requests/{id}`.
    pub fn request_url(&self, app: &str, request_id: &str) -> String {
        format!(
            "{}{}/{app}/requests/{request_id}",
            self.base_url,
            self.layout.queue_prefix()
        )
    }
}
