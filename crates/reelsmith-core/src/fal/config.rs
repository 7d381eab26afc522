//! Base URLs of fal's hosts and the client's timing and transfer settings.

use std::time::Duration;

/// Environment variable overriding the queue base URL.
pub const QUEUE_URL_ENV: &str = "REELSMITH_QUEUE_URL";
/// Environment variable overriding the REST (storage) base URL.
pub const REST_URL_ENV: &str = "REELSMITH_REST_URL";
/// Environment variable overriding the per-endpoint OpenAPI URL.
pub const OPENAPI_URL_ENV: &str = "REELSMITH_OPENAPI_URL";
/// Environment variable overriding fal's platform API base (request history, …).
pub const API_URL_ENV: &str = "REELSMITH_API_URL";

/// fal's production queue host.
pub const DEFAULT_QUEUE_URL: &str = "https://queue.fal.run";
/// fal's production REST host (storage uploads).
pub const DEFAULT_REST_URL: &str = "https://rest.fal.ai";
/// fal's per-endpoint OpenAPI document, called with `?endpoint_id=ID`.
pub const DEFAULT_OPENAPI_URL: &str = "https://fal.ai/api/openapi/queue/openapi.json";
/// fal's platform API (request history, catalog, pricing, usage).
pub const DEFAULT_API_URL: &str = "https://api.fal.ai/v1";

/// The base URLs the client talks to; the simulator and production differ only here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FalUrls {
    /// Queue host, e.g. `https://queue.fal.run`.
    pub queue: String,
    /// REST host, e.g. `https://rest.fal.ai`.
    pub rest: String,
    /// OpenAPI document URL (queried with `?endpoint_id=`).
    pub openapi: String,
    /// Platform API base, e.g. `https://api.fal.ai/v1` (request history; gets the key).
    pub api: String,
}

impl FalUrls {
    /// Reads the base URLs from the environment, falling back to fal's production hosts.
    pub fn from_env() -> FalUrls {
        let read = |name: &str, default: &str| {
            std::env::var(name)
                .ok()
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .unwrap_or_else(|| default.to_string())
        };
        FalUrls {
            queue: read(QUEUE_URL_ENV, DEFAULT_QUEUE_URL),
            rest: read(REST_URL_ENV, DEFAULT_REST_URL),
            openapi: read(OPENAPI_URL_ENV, DEFAULT_OPENAPI_URL),
            api: read(API_URL_ENV, DEFAULT_API_URL),
        }
    }

    /// True when the queue, REST and platform API hosts (the ones that get the key) are all
    /// fal's own https hosts: only then may a saved key be used.
    pub fn is_fal(&self) -> bool {
        super::credentials::is_fal_https(&self.queue)
            && super::credentials::is_fal_https(&self.rest)
            && super::credentials::is_fal_https(&self.api)
    }

    /// The queue base without a trailing slash.
    pub(crate) fn queue_base(&self) -> &str {
        self.queue.trim_end_matches('/')
    }

    /// The REST base without a trailing slash.
    pub(crate) fn rest_base(&self) -> &str {
        self.rest.trim_end_matches('/')
    }

    /// The platform API base without a trailing slash.
    pub(crate) fn api_base(&self) -> &str {
        self.api.trim_end_matches('/')
    }
}

/// Timeouts, polling cadence and transfer sizes; the defaults suit fal, tests shorten them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientOptions {
    /// Time allowed to open a TCP/TLS connection.
    pub connect_timeout: Duration,
    /// Total time allowed for an ordinary (non-streaming) request.
    pub request_timeout: Duration,
    /// Silence on the status stream (not even `: ping`) after which the client polls instead.
    pub stream_stall_timeout: Duration,
    /// First interval between status polls once polling has taken over.
    pub poll_interval: Duration,
    /// Longest interval between status polls (the interval grows towards it).
    pub max_poll_interval: Duration,
    /// Silence on an upload or download after which the connection is treated as dropped.
    pub transfer_stall_timeout: Duration,
    /// Files strictly larger than this go up with the multipart flow.
    pub multipart_threshold: u64,
    /// Size of each multipart part.
    pub part_size: u64,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(15),
            request_timeout: Duration::from_secs(120),
            stream_stall_timeout: Duration::from_secs(15),
            poll_interval: Duration::from_secs(1),
            max_poll_interval: Duration::from_secs(10),
            transfer_stall_timeout: Duration::from_secs(60),
            // fal-js switches to multipart strictly above 90 MiB, in 10 MiB parts.
            multipart_threshold: 90 * 1024 * 1024,
            part_size: 10 * 1024 * 1024,
        }
    }
}
