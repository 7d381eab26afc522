//! The fal HTTP client: credentials, queue, storage uploads, downloads, the platform API
//! (request history), errors and retries.
//!
//! The key goes with the calls that need it (queue calls and storage initiate), never to an
//! upload URL or the CDN whatever their host, and no error, log line or file contains it.

pub mod body;
mod client;
pub mod config;
pub mod credentials;
mod diskio;
pub mod download;
pub mod error;
pub mod mime;
pub mod platform;
pub mod queue;
pub mod retry;
pub mod stream;
pub mod submit;
pub mod upload;

pub use client::FalClient;
pub use config::{ClientOptions, FalUrls};
pub use credentials::{
    ApiKey, KeySource, ResolvedKey, RunKeys, is_fal_https, origin_of, resolve_key,
};
pub use error::{FalError, FieldError};
pub use queue::{
    BILLABLE_UNITS_HEADER, CancelOutcome, LogLine, QueueHandle, QueueState, QueueStatus,
    billable_units,
};
pub use retry::RetryPolicy;
pub use stream::{Completed, StatusEvent};
pub use submit::{LostAnswer, NotQueuedReason, SubmitAttempt};
pub use upload::UploadedFile;
