//! The fal HTTP client: credentials, queue, storage uploads, downloads, the platform API
//! (request history), errors and retries.
//!
//! The key goes only to URLs under the queue, REST or platform API base
//! (`auth::key_allowed_for`); upload URLs and the CDN never see it, and no error, log line or
//! file contains it.

pub mod auth;
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

pub use auth::key_allowed_for;
pub use client::FalClient;
pub use config::{ClientOptions, FalUrls};
pub use credentials::{ApiKey, KeySource, resolve_key};
pub use error::{FalError, FieldError};
pub use queue::{
    BILLABLE_UNITS_HEADER, CancelOutcome, LogLine, QueueHandle, QueueState, QueueStatus,
    billable_units,
};
pub use retry::RetryPolicy;
pub use stream::{Completed, StatusEvent};
pub use submit::{LostAnswer, NotQueuedReason, SubmitAttempt};
pub use upload::UploadedFile;
