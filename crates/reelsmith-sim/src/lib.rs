//! The offline fal simulator: a real HTTP server on loopback.
//!
//! One axum server on `127.0.0.1` stands in for all of fal's hosts, told apart by path prefix:
//! `/queue` (queue API), `/rest` (storage initiate), `/upload` (pre-signed upload URLs),
//! `/cdn/files` (the CDN) and `/openapi` (per-endpoint OpenAPI documents); with
//! [`SimConfig::one_origin`] the queue and REST storage are at the root instead. Only requests
//! whose Host is its own loopback address are answered. Jobs follow a timeline
//! from their submit time (IN_QUEUE with a falling position, IN_PROGRESS with log lines,
//! COMPLETED), and their result is a real H.264 MP4 made by [`clip`]. Fault knobs make the next
//! requests fail in the ways fal fails.

#![forbid(unsafe_code)]

pub mod clip;
pub mod sound;

mod cdn;
mod faults;
mod guard;
mod history;
mod inputs;
mod jobs;
mod layout;
mod multipart;
mod openapi;
mod platform_api;
mod price_list;
mod queue;
mod record;
mod render;
mod server;
mod sse;
mod state;
mod storage;
mod upload;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::task::JoinHandle;

pub use faults::LostAnswer;
pub use jobs::CANCELLED_ERROR_TYPE;
use state::{Shared, lock};

/// How the simulator is set up; `SimConfig::default()` suits the command line.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// The only key accepted, sent as `Authorization: Key <key>`.
    pub key: String,
    /// Time a job spends IN_QUEUE while its position falls to 0.
    pub queue_time: Duration,
    /// Time a job spends IN_PROGRESS, emitting log lines.
    pub run_time: Duration,
    /// Queue position reported right after submit.
    pub initial_queue_position: u32,
    /// Endpoints served besides the bundled ones, as `(endpoint id, OpenAPI document)`.
    pub extra_documents: Vec<(String, Value)>,
    /// Where uploads and results are kept; `None` = a new private (0700) folder in the system
    /// temp dir, removed on shutdown.
    pub storage_dir: Option<PathBuf>,
    /// What the key may read on the platform API (ADMIN by default).
    pub key_scope: KeyScope,
    /// Serve the queue and REST storage at the root of the origin, beside the upload URLs, the
    /// CDN and the OpenAPI documents, as a proxy in front of fal does (default: under `/queue`
    /// and `/rest`). The CDN and the upload URLs refuse `Authorization` either way.
    pub one_origin: bool,
}

/// The scope of the simulator's key, as fal's keys have: API keys may call models, the
/// catalog, prices and request history; only ADMIN keys may read usage, billing events and
/// the balance (others get 403).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeyScope {
    /// The API scope.
    Api,
    /// The ADMIN scope.
    #[default]
    Admin,
}

impl Default for SimConfig {
    fn default() -> SimConfig {
        SimConfig {
            port: 0,
            key: DEFAULT_KEY.to_string(),
            queue_time: Duration::from_millis(1500),
            run_time: Duration::from_secs(2),
            initial_queue_position: 3,
            extra_documents: Vec::new(),
            storage_dir: None,
            key_scope: KeyScope::Admin,
            one_origin: false,
        }
    }
}

/// The key a default simulator accepts.
pub const DEFAULT_KEY: &str = "sim-key-id:sim-key-secret";

/// Which part of the simulated API a request reached (used by fault knobs and recordings).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Route {
    /// `POST /queue/{endpoint id}`.
    Submit,
    /// `GET .../requests/{id}/status`.
    Status,
    /// `GET .../requests/{id}/status/stream`.
    StatusStream,
    /// `GET .../requests/{id}`.
    Result,
    /// `PUT .../requests/{id}/cancel`.
    Cancel,
    /// `POST /rest/storage/upload/initiate[-multipart]`.
    UploadInitiate,
    /// Anything under the pre-signed `/upload/...` URLs (PUT, part PUT, complete).
    UploadPut,
    /// `GET /cdn/files/...`.
    Cdn,
    /// `GET /openapi/queue/openapi.json`.
    OpenApi,
    /// `GET /api/v1/models/requests/by-endpoint` (the platform API's request history).
    History,
    /// `GET /api/v1/models` (the catalog).
    Models,
    /// `GET /api/v1/models/pricing`.
    Pricing,
    /// `POST /api/v1/models/pricing/estimate`.
    PricingEstimate,
    /// `GET /api/v1/models/usage`.
    Usage,
    /// `GET /api/v1/models/billing-events`.
    BillingEvents,
    /// `GET /api/v1/account/billing`.
    AccountBilling,
    /// As a fault target: every route. As a recorded route: a path outside the API.
    Any,
}

/// One HTTP request the simulator answered.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// HTTP method, e.g. `PUT`.
    pub method: String,
    /// Path and query as sent, e.g. `/queue/fal-ai/veo3.1/requests/ID/status?logs=1`.
    pub path_and_query: String,
    /// The API route it reached.
    pub route: Route,
    /// The `Authorization` header as sent, if any.
    pub authorization: Option<String>,
    /// The HTTP status answered.
    pub status: u16,
}

/// One accepted submission (validated, given a request id).
#[derive(Debug, Clone, PartialEq)]
pub struct Submission {
    /// The endpoint id it was submitted to, including any sub-path.
    pub endpoint_id: String,
    /// The request id the simulator gave it.
    pub request_id: String,
    /// The JSON body exactly as received.
    pub input: Value,
}

/// Whether a stored file was uploaded by a client or produced as a job's result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoredKind {
    /// Uploaded through initiate + PUT (or multipart).
    Upload,
    /// Rendered by the simulator as a job's output.
    Result,
}

/// A file the simulator's CDN serves.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredFile {
    /// Its public CDN URL.
    pub file_url: String,
    /// The MIME type it is served with.
    pub content_type: String,
    /// Size in bytes.
    pub size: u64,
    /// BLAKE3 of the content, lowercase hex.
    pub blake3_hex: String,
    /// Where it lives on disk.
    pub path: PathBuf,
    /// Upload or result.
    pub kind: StoredKind,
}

/// Why the simulator could not start.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The listening socket could not be opened.
    #[error("could not listen on 127.0.0.1:{port}: {source}; pick another port with --port")]
    Bind {
        /// The port asked for.
        port: u16,
        /// The socket error.
        source: std::io::Error,
    },
    /// The storage directory could not be created.
    #[error("could not prepare the storage directory {path}: {source}")]
    Storage {
        /// The directory.
        path: PathBuf,
        /// The file-system error.
        source: std::io::Error,
    },
    /// A bundled or extra OpenAPI document is not valid JSON.
    #[error("the OpenAPI document of {endpoint_id} is not valid JSON: {message}")]
    Document {
        /// The endpoint whose document is broken.
        endpoint_id: String,
        /// The parser's complaint.
        message: String,
    },
}

/// A running simulator; stops on [`Simulator::shutdown`] or when dropped.
pub struct Simulator {
    shared: Arc<Shared>,
    server: Option<JoinHandle<()>>,
    temp_dir: Option<PathBuf>,
}

impl Simulator {
    /// Binds 127.0.0.1:`config.port` and starts serving in the background.
    pub async fn start(config: SimConfig) -> Result<Simulator, SimError> {
        let (shared, server, temp_dir) = server::start(config).await?;
        Ok(Simulator {
            shared,
            server: Some(server),
            temp_dir,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        self.shared.base_url.clone()
    }

    /// The queue host (`REELSMITH_QUEUE_URL`): `{base}/queue`, or `{base}` with one origin.
    pub fn queue_url(&self) -> String {
        format!(
            "{}{}",
            self.shared.base_url,
            self.shared.layout.queue_prefix()
        )
    }

    /// The REST host (`REELSMITH_REST_URL`): `{base}/rest`, or `{base}` with one origin.
    pub fn rest_url(&self) -> String {
        format!(
            "{}{}",
            self.shared.base_url,
            self.shared.layout.rest_prefix()
        )
    }

    /// True when the queue and REST storage are served at the root (`SimConfig::one_origin`).
    pub fn is_one_origin(&self) -> bool {
        self.shared.layout.one_origin
    }

    /// The folder holding uploads and results.
    pub fn storage_dir(&self) -> PathBuf {
        self.shared.storage.root.clone()
    }

    /// The OpenAPI URL (`REELSMITH_OPENAPI_URL`), called with `?endpoint_id=ID`.
    pub fn openapi_url(&self) -> String {
        format!("{}/openapi/queue/openapi.json", self.shared.base_url)
    }

    /// The platform API base (`REELSMITH_API_URL`): `{base}/api/v1`.
    pub fn api_url(&self) -> String {
        format!("{}/api/v1", self.shared.base_url)
    }

    /// The base URLs to point a [`reelsmith_core::fal::FalClient`] at this simulator.
    pub fn fal_urls(&self) -> reelsmith_core::fal::FalUrls {
        reelsmith_core::fal::FalUrls {
            queue: self.queue_url(),
            rest: self.rest_url(),
            openapi: self.openapi_url(),
            api: self.api_url(),
        }
    }

    /// The key the simulator accepts.
    pub fn key(&self) -> String {
        self.shared.key.clone()
    }

    /// Changes queue and run time for jobs submitted from now on.
    pub fn set_timing(&self, queue_time: Duration, run_time: Duration) {
        let mut settings = lock(&self.shared.settings);
        settings.queue_time = queue_time;
        settings.run_time = run_time;
    }

    /// How long a status stream may stay silent before it sends a `: ping` comment (default 1 s).
    pub fn set_ping_interval(&self, interval: Duration) {
        lock(&self.shared.settings).ping_interval = interval;
    }

    /// The longest clip rendered, in seconds (default 4); longer requested durations are cut.
    pub fn set_max_clip_seconds(&self, seconds: f64) {
        lock(&self.shared.settings).max_clip_seconds = seconds.max(1.0 / 24.0);
    }

    /// The next `count` requests to `route` (or any route) fail with `status` and a fal-shaped body.
    pub fn fail_next(&self, route: Route, count: u32, status: u16) {
        lock(&self.shared.faults).add_status(route, count, status);
    }

    /// The next `count` requests to `route` get fal's ingress (nginx) error page with `status`
    /// and no `x-fal-request-id`; they never reach the queue (nothing is submitted).
    pub fn fail_next_ingress(&self, route: Route, count: u32, status: u16) {
        lock(&self.shared.faults).add_ingress(route, count, status);
    }

    /// The next `count` accepted submits are queued (and recorded in [`Simulator::submissions`]
    /// and the request history) but their answer is lost as `lost` says.
    pub fn lose_next_submit_answers(&self, lost: LostAnswer, count: u32) {
        lock(&self.shared.faults).add_lost_answer(lost, count);
    }

    /// Completed requests leave the queue `after` their completion: their status and result
    /// answer 404 `{"status": "NOT_FOUND"}` as fal's do once retention passed (the request
    /// history keeps their payloads). `None` keeps them for good (the default).
    pub fn forget_results_after(&self, after: Option<Duration>) {
        lock(&self.shared.settings).forget_after = after;
    }

    /// Requests show in the request history only `delay` after they were received (fal's
    /// history may lag); zero by default.
    pub fn set_history_delay(&self, delay: Duration) {
        lock(&self.shared.settings).history_delay = delay;
    }

    /// What the key may read on the platform API from now on.
    pub fn set_key_scope(&self, scope: KeyScope) {
        lock(&self.shared.settings).key_scope = scope;
    }

    /// Catalog pages give at most `size` models (fal may give fewer than asked); `None` lifts it.
    pub fn set_catalog_page_size(&self, size: Option<usize>) {
        lock(&self.shared.settings).catalog_page_size = size.map(|s| s.max(1));
    }

    /// The catalog marks this endpoint deprecated.
    pub fn deprecate(&self, endpoint_id: &str) {
        lock(&self.shared.settings)
            .deprecated
            .insert(endpoint_id.to_string());
    }

    /// The catalog and the price list no longer know this endpoint (404 by id).
    pub fn delist(&self, endpoint_id: &str) {
        lock(&self.shared.settings)
            .delisted
            .insert(endpoint_id.to_string());
    }

    /// Every job is billed `units` instead of the units its input asks for; `None` = computed.
    pub fn set_billable_units(&self, units: Option<f64>) {
        lock(&self.shared.settings).billable_units = units;
    }

    /// Whether results carry `x-fal-billable-units` (they do by default).
    pub fn set_billable_units_header(&self, on: bool) {
        lock(&self.shared.settings).billable_units_header = on;
    }

    /// The simulator's price of an endpoint: `(unit price, unit)`.
    pub fn price_of(&self, endpoint_id: &str) -> Option<(f64, String)> {
        price_list::models()
            .into_iter()
            .find(|m| m.endpoint_id == endpoint_id)
            .map(|m| (m.unit_price, m.unit.to_string()))
    }

    /// Every endpoint id of the simulator's catalog.
    pub fn catalog_ids(&self) -> Vec<String> {
        price_list::models()
            .into_iter()
            .map(|m| m.endpoint_id.to_string())
            .collect()
    }

    /// The next `count` requests to `route` get 504 with `X-Fal-Request-Timeout-Type: user`.
    pub fn fail_next_user_timeout(&self, route: Route, count: u32) {
        lock(&self.shared.faults).add_user_timeout(route, count);
    }

    /// The next `count` status streams break after `events` data events, never sending COMPLETED.
    pub fn cut_status_stream_after(&self, events: u32, count: u32) {
        lock(&self.shared.faults).add_stream_cut(events, count);
    }

    /// The next `count` CDN GETs send `bytes` body bytes, then the connection is dropped.
    pub fn drop_download_after(&self, bytes: u64, count: u32) {
        lock(&self.shared.faults).add_download_drop(bytes, count);
    }

    /// The next accepted job completes with this model error (result answers 422).
    pub fn model_error_next(&self, error_type: &str, message: &str) {
        lock(&self.shared.faults).add_model_error(error_type, message);
    }

    /// Every request answered so far (the newest 50 000 to 100 000 once that many), oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.requests).clone()
    }

    /// Every accepted submission so far, oldest first.
    pub fn submissions(&self) -> Vec<Submission> {
        lock(&self.shared.submissions).clone()
    }

    /// Every file on the CDN (uploads and results), oldest first.
    pub fn stored_files(&self) -> Vec<StoredFile> {
        self.shared.storage.all_files()
    }

    /// Stops serving, waits briefly for open connections, and removes a temporary storage dir.
    pub async fn shutdown(mut self) {
        self.shared.shutdown.cancel();
        if let Some(server) = self.server.take() {
            let abort = server.abort_handle();
            if tokio::time::timeout(Duration::from_secs(3), server)
                .await
                .is_err()
            {
                abort.abort();
            }
        }
        self.remove_temp_dir();
    }

    fn remove_temp_dir(&mut self) {
        if let Some(dir) = self.temp_dir.take() {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.shared.shutdown.cancel();
        if let Some(server) = self.server.take() {
            server.abort();
        }
        self.remove_temp_dir();
    }
}

impl std::fmt::Debug for Simulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulator")
            .field("base_url", &self.shared.base_url)
            .finish_non_exhaustive()
    }
}
