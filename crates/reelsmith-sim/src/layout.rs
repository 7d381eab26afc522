//! Where each of fal's hosts lives on the simulator's origin: under a path prefix of its own
//! (`/queue`, `/rest`), or all at the root, as a proxy in front of fal serves them (`one_origin`).
//! The pre-signed upload URLs, the CDN and the OpenAPI documents keep their paths either way.

/// How the hosts are laid out on the one `http://127.0.0.1:PORT` origin.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Layout {
    /// Queue and REST storage at the root instead of under `/queue` and `/rest`.
    pub one_origin: bool,
}

/// Path prefix of the pre-signed upload URLs.
pub(crate) const UPLOAD_PREFIX: &str = "/upload/";
/// Path prefix of the CDN.
pub(crate) const CDN_PREFIX: &str = "/cdn/";
/// Path prefix of fal's platform API (`api.fal.ai/v1`), the same in both layouts.
pub(crate) const API_PREFIX: &str = "/api/v1/";
/// Path of the per-endpoint OpenAPI documents.
pub(crate) const OPENAPI_PATH: &str = "/openapi/queue/openapi.json";

impl Layout {
    /// The queue's path prefix: `/queue`, or `` at the root.
    pub fn queue_prefix(&self) -> &'static str {
        if self.one_origin { "" } else { "/queue" }
    }

    /// The REST host's path prefix: `/rest`, or `` at the root.
    pub fn rest_prefix(&self) -> &'static str {
        if self.one_origin { "" } else { "/rest" }
    }

    /// The part of `path` below the queue prefix (without its leading `/`), if it is a queue
    /// path; the upload, CDN, OpenAPI and storage paths are never queue paths.
    pub fn queue_rest<'a>(&self, path: &'a str) -> Option<&'a str> {
        if self.is_upload(path)
            || path.starts_with(CDN_PREFIX)
            || path.starts_with("/openapi/")
            || path.starts_with(API_PREFIX)
            || self.is_initiate(path)
        {
            return None;
        }
        path.strip_prefix(self.queue_prefix())?.strip_prefix('/')
    }

    /// Whether `path` is a storage initiate call on the REST host.
    pub fn is_initiate(&self, path: &str) -> bool {
        path.strip_prefix(self.rest_prefix())
            .is_some_and(|rest| rest.starts_with("/storage/upload/initiate"))
    }

    /// Whether `path` is under the pre-signed upload URLs.
    pub fn is_upload(&self, path: &str) -> bool {
        path.starts_with(UPLOAD_PREFIX)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_and_one_origin_paths() {
        let split = Layout { one_origin: false };
        assert_eq!(split.queue_rest("/queue/fal-ai/x"), Some("fal-ai/x"));
        assert_eq!(split.queue_rest("/fal-ai/x"), None);
        assert!(split.is_initiate("/rest/storage/upload/initiate"));
        assert!(!split.is_initiate("/storage/upload/initiate"));
        let one = Layout { one_origin: true };
        assert_eq!(
            one.queue_rest("/fal-ai/x/requests/r"),
            Some("fal-ai/x/requests/r")
        );
        assert_eq!(one.queue_rest("/upload/t"), None);
        assert_eq!(one.queue_rest("/cdn/files/a/b.png"), None);
        assert_eq!(one.queue_rest("/openapi/queue/openapi.json"), None);
        assert_eq!(one.queue_rest("/api/v1/models/requests/by-endpoint"), None);
        assert_eq!(one.queue_rest("/storage/upload/initiate-multipart"), None);
        assert!(one.is_initiate("/storage/upload/initiate-multipart"));
    }
}
