//! The fal HTTP client: credentials, queue, storage uploads, downloads, errors and retries.
