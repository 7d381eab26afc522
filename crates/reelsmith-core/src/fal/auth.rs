//! The one place that decides whether a URL may receive the fal key.

use super::config::FalUrls;

/// True only when `url` lies under the queue, REST or platform API base URL (same scheme, host,
/// port and path prefix ending at a segment boundary). Upload URLs, CDNs and anything else never
/// receive `Authorization`.
pub fn key_allowed_for(url: &str, urls: &FalUrls) -> bool {
    [urls.queue_base(), urls.rest_base(), urls.api_base()]
        .into_iter()
        .any(|base| under_base(url, base))
}

fn under_base(url: &str, base: &str) -> bool {
    if base.is_empty() {
        return false;
    }
    let Some(rest) = url.strip_prefix(base) else {
        return false;
    };
    // "https://queue.fal.run.evil.example" and "…/queue-other" must not match: the base has to
    // end at a host or path boundary.
    rest.is_empty() || rest.starts_with('/') || rest.starts_with('?') || rest.starts_with('#')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prod() -> FalUrls {
        FalUrls {
            queue: "https://queue.fal.run".into(),
            rest: "https://rest.fal.ai/".into(),
            openapi: "https://fal.ai/api/openapi/queue/openapi.json".into(),
            api: "https://api.fal.ai/v1".into(),
        }
    }

    fn sim() -> FalUrls {
        FalUrls {
            queue: "http://127.0.0.1:4000/queue".into(),
            rest: "http://127.0.0.1:4000/rest".into(),
            openapi: "http://127.0.0.1:4000/openapi/queue/openapi.json".into(),
            api: "http://127.0.0.1:4000/api/v1".into(),
        }
    }

    #[test]
    fn queue_and_rest_get_the_key() {
        let u = prod();
        assert!(key_allowed_for(
            "https://queue.fal.run/fal-ai/veo3.1/reference-to-video",
            &u
        ));
        assert!(key_allowed_for(
            "https://queue.fal.run/fal-ai/veo3.1/requests/x/status?logs=1",
            &u
        ));
        assert!(key_allowed_for(
            "https://rest.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3",
            &u
        ));
        // The platform API (request history) is a fal API call: it needs the key.
        assert!(key_allowed_for(
            "https://api.fal.ai/v1/models/requests/by-endpoint?endpoint_id=fal-ai/veo3.1",
            &u
        ));
        assert!(!key_allowed_for("https://api.fal.ai/v10/models", &u));
        let s = sim();
        assert!(key_allowed_for(
            "http://127.0.0.1:4000/api/v1/models/requests/by-endpoint",
            &s
        ));
        assert!(key_allowed_for(
            "http://127.0.0.1:4000/queue/fal-ai/veo3.1/requests/x",
            &s
        ));
        assert!(key_allowed_for(
            "http://127.0.0.1:4000/rest/storage/upload/initiate",
            &s
        ));
    }

    #[test]
    fn everything_else_does_not() {
        let u = prod();
        for url in [
            "https://v3.fal.media/files/upload",
            "https://v3b.fal.media/files/b/koala/x_output.mp4",
            "https://storage.googleapis.com/falserverless/x.png",
            "https://queue.fal.run.evil.example/fal-ai/x",
            "https://queue.fal.runner/x",
            "http://queue.fal.run/fal-ai/x",
            "https://fal.ai/api/openapi/queue/openapi.json?endpoint_id=x",
            "",
        ] {
            assert!(!key_allowed_for(url, &u), "{url}");
        }
        let s = sim();
        for url in [
            "http://127.0.0.1:4000/upload/abc",
            "http://127.0.0.1:4000/cdn/files/abc.png",
            "http://127.0.0.1:4000/queuex/fal-ai/x",
            "http://127.0.0.1:40001/queue/fal-ai/x",
            "http://127.0.0.1:4000/restore",
        ] {
            assert!(!key_allowed_for(url, &s), "{url}");
        }
    }
}
