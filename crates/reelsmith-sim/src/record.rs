//! The layer in front of every route: answers injected faults, tags fal's request-id header and
//! records what was asked and answered.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use super::faults::{NoRequestId, fault_response};
use super::queue::{QueuePath, RequestAction, parse_queue_path};
use super::state::{Shared, lock};
use super::{RecordedRequest, Route};

/// The most requests remembered for [`crate::Simulator::requests`].
pub(crate) const MAX_RECORDED: usize = 100_000;

/// Which API route a path reaches.
pub(crate) fn classify(path: &str) -> Route {
    if let Some(rest) = path.strip_prefix("/queue/") {
        return match parse_queue_path(rest) {
            QueuePath::Submit { .. } => Route::Submit,
            QueuePath::Request { action, .. } => match action {
                RequestAction::Result => Route::Result,
                RequestAction::Status => Route::Status,
                RequestAction::Stream => Route::StatusStream,
                RequestAction::Cancel => Route::Cancel,
                RequestAction::Unknown => Route::Any,
            },
        };
    }
    if path.starts_with("/rest/storage/upload/initiate") {
        return Route::UploadInitiate;
    }
    if path.starts_with("/upload/") {
        return Route::UploadPut;
    }
    if path.starts_with("/cdn/") {
        return Route::Cdn;
    }
    if path.starts_with("/openapi/") {
        return Route::OpenApi;
    }
    if path.starts_with("/api/v1/models/requests/") {
        return Route::History;
    }
    match path {
        "/api/v1/models" => return Route::Models,
        "/api/v1/models/pricing" => return Route::Pricing,
        "/api/v1/models/pricing/estimate" => return Route::PricingEstimate,
        "/api/v1/models/usage" => return Route::Usage,
        "/api/v1/models/billing-events" => return Route::BillingEvents,
        "/api/v1/account/billing" => return Route::AccountBilling,
        _ => {}
    }
    Route::Any
}

/// Middleware: fault injection, `x-fal-request-id`, and the request log.
pub(crate) async fn observe(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let method = request.method().clone();
    let path_and_query = request
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_string())
        .unwrap_or_else(|| request.uri().path().to_string());
    let route = classify(request.uri().path());
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());

    let fault = lock(&shared.faults).take_http(route);
    let mut response = match fault {
        Some(fault) => fault_response(fault),
        None => next.run(request).await,
    };

    let fal_host = path_and_query.starts_with("/queue/") || path_and_query.starts_with("/rest/");
    let ingress = response.extensions().get::<NoRequestId>().is_some();
    if fal_host && !ingress && !response.headers().contains_key("x-fal-request-id") {
        let id = uuid::Uuid::new_v4().to_string();
        if let Ok(value) = HeaderValue::from_str(&id) {
            response.headers_mut().insert("x-fal-request-id", value);
        }
    }

    let mut requests = lock(&shared.requests);
    // A long-running `reelsmith simulate` must not grow without bound: keep the newest half.
    if requests.len() >= MAX_RECORDED {
        requests.drain(..MAX_RECORDED / 2);
    }
    requests.push(RecordedRequest {
        method: method.to_string(),
        path_and_query,
        route,
        authorization,
        status: response.status().as_u16(),
    });
    drop(requests);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_told_apart_by_path() {
        assert_eq!(classify("/queue/fal-ai/veo3.1/fast"), Route::Submit);
        assert_eq!(
            classify("/queue/fal-ai/veo3.1/requests/abc/status"),
            Route::Status
        );
        assert_eq!(
            classify("/queue/fal-ai/veo3.1/fast/requests/abc/status/stream"),
            Route::StatusStream
        );
        assert_eq!(classify("/queue/fal-ai/veo3.1/requests/abc"), Route::Result);
        assert_eq!(
            classify("/queue/fal-ai/veo3.1/requests/abc/cancel"),
            Route::Cancel
        );
        assert_eq!(
            classify("/rest/storage/upload/initiate-multipart"),
            Route::UploadInitiate
        );
        assert_eq!(classify("/upload/t/1"), Route::UploadPut);
        assert_eq!(classify("/cdn/files/x/y.png"), Route::Cdn);
        assert_eq!(classify("/openapi/queue/openapi.json"), Route::OpenApi);
        assert_eq!(
            classify("/api/v1/models/requests/by-endpoint"),
            Route::History
        );
        assert_eq!(classify("/elsewhere"), Route::Any);
    }
}
