//! The layer in front of every route: answers injected faults, tags fal's request-id header and
//! records what was asked and answered.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::Response;

use super::faults::{NoRequestId, fault_response};
use super::layout::{API_PREFIX, CDN_PREFIX, Layout};
use super::queue::{QueuePath, RequestAction, parse_queue_path};
use super::state::{Shared, lock};
use super::{RecordedRequest, Route};

/// The most requests remembered for [`crate::Simulator::requests`].
pub(crate) const MAX_RECORDED: usize = 100_000;

/// Which API route a path reaches.
pub(crate) fn classify(layout: &Layout, path: &str) -> Route {
    if layout.is_initiate(path) {
        return Route::UploadInitiate;
    }
    if layout.is_upload(path) {
        return Route::UploadPut;
    }
    if path.starts_with(CDN_PREFIX) {
        return Route::Cdn;
    }
    if path.starts_with("/openapi/") {
        return Route::OpenApi;
    }
    if path.starts_with(API_PREFIX) {
        if path.starts_with("/api/v1/models/requests/") {
            return Route::History;
        }
        return match path {
            "/api/v1/models" => Route::Models,
            "/api/v1/models/pricing" => Route::Pricing,
            "/api/v1/models/pricing/estimate" => Route::PricingEstimate,
            "/api/v1/models/usage" => Route::Usage,
            "/api/v1/models/billing-events" => Route::BillingEvents,
            "/api/v1/account/billing" => Route::AccountBilling,
            _ => Route::Any,
        };
    }
    if let Some(rest) = layout.queue_rest(path) {
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
    let route = classify(&shared.layout, request.uri().path());
    let authorization = request
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned());

    let fault = lock(&shared.faults).take_http(route);
    let mut response = match fault {
        Some(fault) => fault_response(fault),
        None => next.run(request).await,
    };

    // fal's queue and REST hosts tag their answers; the CDN and the upload URLs do not.
    let fal_host = matches!(
        route,
        Route::Submit
            | Route::Status
            | Route::StatusStream
            | Route::Result
            | Route::Cancel
            | Route::UploadInitiate
    ) || (!shared.layout.one_origin
        && (path_and_query.starts_with("/queue/") || path_and_query.starts_with("/rest/")));
    // An ingress page (nginx in front of fal) carries no request id.
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
        let split = Layout { one_origin: false };
        let classify = |path| classify(&split, path);
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

    #[test]
    fn one_origin_routes_are_told_apart_by_path() {
        let one = Layout { one_origin: true };
        let classify = |path| classify(&one, path);
        assert_eq!(classify("/fal-ai/veo3.1/fast"), Route::Submit);
        assert_eq!(
            classify("/fal-ai/veo3.1/requests/abc/status/stream"),
            Route::StatusStream
        );
        assert_eq!(classify("/fal-ai/veo3.1/requests/abc"), Route::Result);
        assert_eq!(classify("/storage/upload/initiate"), Route::UploadInitiate);
        assert_eq!(classify("/upload/t/complete"), Route::UploadPut);
        assert_eq!(classify("/cdn/files/x/y.png"), Route::Cdn);
        assert_eq!(classify("/openapi/queue/openapi.json"), Route::OpenApi);
    }
}
