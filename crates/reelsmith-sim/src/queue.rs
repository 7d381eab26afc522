//! The queue host: submit, status, status stream, result and cancel, with fal's URL shapes,
//! status codes and bodies.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use super::Submission;
use super::faults::{LostAnswer, NoRequestId, ingress_response};
use super::jobs::{CancelOutcome, Job, Outcome, Phase, app_of};
use super::state::{Shared, lock};
use super::{inputs, render, sse};
use reelsmith_core::schema::conform;

/// Largest submission body read (data URIs can make bodies big).
const MAX_SUBMIT_BYTES: usize = 64 << 20;

/// What a path under `/queue/` addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum QueuePath<'a> {
    /// `POST /queue/{endpoint id}`.
    Submit { endpoint_id: &'a str },
    /// `.../{app or endpoint id}/requests/{id}[/status[/stream]|/cancel]`.
    Request {
        app_path: &'a str,
        request_id: &'a str,
        action: RequestAction,
    },
}

/// The operation on an existing request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RequestAction {
    Result,
    Status,
    Stream,
    Cancel,
    Unknown,
}

/// Splits a path below `/queue/` into what it addresses.
pub(crate) fn parse_queue_path(rest: &str) -> QueuePath<'_> {
    let rest = rest.trim_start_matches('/');
    match rest.split_once("/requests/") {
        Some((app_path, tail)) => {
            let (request_id, action) = match tail.split_once('/') {
                None => (tail, RequestAction::Result),
                Some((id, "status")) => (id, RequestAction::Status),
                Some((id, "status/stream")) => (id, RequestAction::Stream),
                Some((id, "cancel")) => (id, RequestAction::Cancel),
                Some((id, _)) => (id, RequestAction::Unknown),
            };
            QueuePath::Request {
                app_path,
                request_id,
                action,
            }
        }
        None => QueuePath::Submit {
            endpoint_id: rest.trim_end_matches('/'),
        },
    }
}

/// A JSON response with a status code.
pub(crate) fn json_response(status: u16, body: Value) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (code, axum::Json(body)).into_response()
}

fn with_request_id(mut response: Response, request_id: &str) -> Response {
    if let Ok(value) = HeaderValue::from_str(request_id) {
        response.headers_mut().insert("x-fal-request-id", value);
    }
    response
}

/// The 401 to answer unless the request carries `Authorization: Key <the simulator's key>`.
/// The body never repeats what was sent.
pub(crate) fn key_rejection(shared: &Shared, headers: &HeaderMap) -> Option<Response> {
    let sent = headers.get(header::AUTHORIZATION).map(|v| v.as_bytes());
    let expected = format!("Key {}", shared.key);
    match sent {
        Some(value) if value == expected.as_bytes() => None,
        Some(_) => Some(json_response(
            401,
            json!({"detail": "The fal key in the Authorization header was not accepted. \
                    Check the key (format key_id:key_secret) in settings or FAL_KEY."}),
        )),
        None => Some(json_response(
            401,
            json!({"detail": "Authentication required: send `Authorization: Key <key_id:key_secret>`."}),
        )),
    }
}

fn method_not_allowed() -> Response {
    json_response(405, json!({"detail": "Method Not Allowed"}))
}

fn not_found() -> Response {
    json_response(404, json!({"status": "NOT_FOUND"}))
}

/// Every request below `/queue/`.
pub(crate) async fn queue_entry(
    State(shared): State<Arc<Shared>>,
    method: Method,
    Path(rest): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    handle(shared, method, &rest, query, headers, body).await
}

/// With one origin, every request no other route takes: the queue lives at the root.
pub(crate) async fn queue_at_root(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(rest) = shared.layout.queue_rest(uri.path()) else {
        return json_response(404, json!({"detail": "Not Found"}));
    };
    let rest = rest.to_string();
    handle(shared, method, &rest, query, headers, body).await
}

async fn handle(
    shared: Arc<Shared>,
    method: Method,
    rest: &str,
    query: HashMap<String, String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    if let Some(response) = key_rejection(&shared, &headers) {
        return response;
    }
    match parse_queue_path(rest) {
        QueuePath::Submit { endpoint_id } => {
            if method != Method::POST {
                return method_not_allowed();
            }
            let endpoint_id = endpoint_id.to_string();
            match axum::body::to_bytes(body, MAX_SUBMIT_BYTES).await {
                Ok(bytes) => {
                    let (response, queued) = submit(&shared, &endpoint_id, &bytes);
                    let lost = queued.then(|| lock(&shared.faults).take_lost_answer());
                    lose_answer(&shared, response, lost.flatten()).await
                }
                Err(_) => json_response(
                    413,
                    json!({"detail": "The request body is too large or was cut off."}),
                ),
            }
        }
        QueuePath::Request {
            app_path,
            request_id,
            action,
        } => {
            let Some(job) = find_job(&shared, app_path, request_id) else {
                return not_found();
            };
            // Like fal's queue once a completed result's retention passed: the request is
            // gone from the queue (its payloads stay in the request history).
            if is_forgotten(&shared, &job) {
                return not_found();
            }
            let with_logs = query.get("logs").is_some_and(|v| v == "1" || v == "true");
            let response = match (action, &method) {
                (RequestAction::Status, &Method::GET) => status(&shared, &job, with_logs),
                (RequestAction::Stream, &Method::GET) => sse::stream_response(
                    shared.clone(),
                    job.clone(),
                    with_logs,
                    lock(&shared.faults).take_stream_cut(),
                ),
                (RequestAction::Result, &Method::GET) => result(&shared, &job),
                (RequestAction::Cancel, &Method::PUT) => cancel(&job),
                (RequestAction::Unknown, _) => not_found(),
                _ => method_not_allowed(),
            };
            with_request_id(response, &job.id)
        }
    }
}

/// A job by id, if the path's app (owner/alias, or the full endpoint id) is the job's.
fn find_job(shared: &Shared, app_path: &str, request_id: &str) -> Option<Arc<Job>> {
    let job = lock(&shared.jobs).get(request_id).cloned()?;
    let app_path = app_path.trim_matches('/');
    (job.app == app_path || job.endpoint_id == app_path).then_some(job)
}

/// True when the job completed longer ago than the forget knob allows.
fn is_forgotten(shared: &Shared, job: &Job) -> bool {
    let Some(after) = lock(&shared.settings).forget_after else {
        return false;
    };
    let now = Instant::now();
    job.completed_at(now)
        .is_some_and(|done| now.saturating_duration_since(done) >= after)
}

/// Loses the answer to a queued submit the way the knob asks: a gateway page instead, a
/// closed connection, or the answer only after a delay.
async fn lose_answer(shared: &Shared, response: Response, lost: Option<LostAnswer>) -> Response {
    match lost {
        None => response,
        Some(LostAnswer::GatewayTimeout) => ingress_response(504),
        Some(LostAnswer::CloseConnection) => {
            // A body that fails before its first byte makes the server drop the connection
            // without sending a status line.
            let failing = futures_util::stream::once(async {
                Err::<Bytes, std::io::Error>(std::io::Error::other("answer lost on purpose"))
            });
            let mut closed = Body::from_stream(failing).into_response();
            closed.extensions_mut().insert(NoRequestId);
            closed
        }
        Some(LostAnswer::Delay(delay)) => {
            tokio::select! {
                _ = tokio::time::sleep(delay) => {}
                _ = shared.shutdown.cancelled() => {}
            }
            response
        }
    }
}

/// Validates and queues a submission; the flag says whether a job was queued.
fn submit(shared: &Arc<Shared>, endpoint_id: &str, body: &Bytes) -> (Response, bool) {
    let refused = |r: Response| (r, false);
    let Some(doc) = shared.documents.get(endpoint_id).cloned() else {
        return refused(json_response(
            404,
            json!({"detail": format!("Application '{endpoint_id}' not found")}),
        ));
    };
    let input: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(err) => {
            return refused(json_response(
                422,
                json!({"detail": [{
                    "loc": ["body"],
                    "msg": format!("JSON decode error: {err}"),
                    "type": "json_invalid",
                }]}),
            ));
        }
    };
    if let Some(schema) = conform::input_schema(&doc, endpoint_id) {
        let errors = conform::check(&doc, schema, &input);
        if !errors.is_empty() {
            let detail: Vec<Value> = errors.iter().map(|e| detail_entry(e, &input)).collect();
            return refused(json_response(422, json!({ "detail": detail })));
        }
    }

    let request_id = uuid::Uuid::new_v4().to_string();
    let settings = lock(&shared.settings).clone();
    let urls = inputs::collect_input_urls(&input);
    let (failure, messages) = plan_job(shared, endpoint_id, &urls);

    let job = Arc::new(Job::new(
        request_id.clone(),
        endpoint_id.to_string(),
        settings.queue_time,
        settings.run_time,
        settings.initial_queue_position,
        messages,
        input.clone(),
    ));
    lock(&shared.jobs).insert(request_id.clone(), job.clone());
    lock(&shared.submissions).push(Submission {
        endpoint_id: endpoint_id.to_string(),
        request_id: request_id.clone(),
        input: input.clone(),
    });
    match failure {
        Some(outcome) => job.set_outcome(outcome),
        None => render::spawn_render(shared.clone(), job.clone(), doc, input, urls),
    }

    let request_url = shared.request_url(&app_of(endpoint_id), &request_id);
    let body = json!({
        "status": "IN_QUEUE",
        "request_id": request_id,
        "response_url": request_url,
        "status_url": format!("{request_url}/status"),
        "cancel_url": format!("{request_url}/cancel"),
        "queue_position": settings.initial_queue_position,
    });
    (with_request_id(json_response(200, body), &request_id), true)
}

/// How a new job will end before it runs: with the model error a knob asked for, with a
/// download error for the first input URL that is not on this CDN, or (None) with a render.
/// Also the log lines it will show.
fn plan_job(
    shared: &Shared,
    endpoint_id: &str,
    urls: &[inputs::InputUrl],
) -> (Option<Outcome>, Vec<(&'static str, String)>) {
    let mut messages = vec![("INFO", format!("Starting {endpoint_id} (simulated)"))];
    if !urls.is_empty() {
        messages.push(("INFO", format!("Downloading {} input file(s)", urls.len())));
    }
    if let Some((error_type, message)) = lock(&shared.faults).take_model_error() {
        messages.push(("ERROR", format!("{error_type}: {message}")));
        return (Some(Outcome::model_error(&error_type, &message)), messages);
    }
    let missing = urls.iter().find(|u| {
        shared
            .storage
            .lookup_url(&shared.base_url, &u.url)
            .is_none()
    });
    if let Some(bad) = missing {
        let outcome = Outcome::download_failed(&bad.loc, &bad.url);
        if let Outcome::Failure { error, .. } = &outcome {
            messages.push(("ERROR", error.clone()));
        }
        return (Some(outcome), messages);
    }
    messages.push(("INFO", "Generating frames".into()));
    messages.push(("INFO", "Encoding H.264".into()));
    messages.push(("INFO", "Uploading the result".into()));
    (None, messages)
}

/// One entry of a 422 `detail` list as fal sends it: the checker's fields plus the docs `url`
/// of the error type and the offending `input` value (when there is one).
fn detail_entry(error: &conform::ConformError, input: &Value) -> Value {
    let mut entry = error.to_fal_json();
    if let Value::Object(map) = &mut entry {
        map.insert(
            "url".into(),
            Value::from(format!("https://docs.fal.ai/errors/#{}", error.kind)),
        );
        let found = error.loc.iter().try_fold(input, |at, step| match step {
            Value::String(key) => at.get(key.as_str()),
            Value::Number(n) => n.as_u64().and_then(|i| at.get(i as usize)),
            _ => None,
        });
        if let Some(value) = found {
            map.insert("input".into(), value.clone());
        }
    }
    entry
}

fn status(shared: &Shared, job: &Job, with_logs: bool) -> Response {
    let snapshot = job.snapshot(Instant::now());
    let logs = with_logs.then(|| &job.logs[..snapshot.visible_logs]);
    let body = job.status_json(&shared.request_url(&job.app, &job.id), &snapshot, logs);
    json_response(snapshot.phase.http_status(), body)
}

fn result(shared: &Shared, job: &Job) -> Response {
    match job.snapshot(Instant::now()).phase {
        Phase::Completed(Outcome::Success { result }) => {
            let mut response = json_response(200, result);
            // fal's apps report the units billed on the result (a decimal string).
            let header_on = lock(&shared.settings).billable_units_header;
            if header_on
                && let Some((units, _)) = super::platform_api::billed(shared, job, Instant::now())
                && let Ok(value) = axum::http::HeaderValue::from_str(&format_units(units))
            {
                response.headers_mut().insert("x-fal-billable-units", value);
            }
            response
        }
        Phase::Completed(Outcome::Failure { status, body, .. }) => json_response(status, body),
        phase => json_response(
            400,
            json!({"detail": "Request is still in progress", "status": phase.name()}),
        ),
    }
}

/// Units as fal's SDK writes them: integers plain, others with 8 decimals.
fn format_units(units: f64) -> String {
    if units.fract() == 0.0 {
        format!("{}", units as i64)
    } else {
        format!("{units:.8}")
    }
}

fn cancel(job: &Job) -> Response {
    match job.cancel(Instant::now()) {
        CancelOutcome::Requested => json_response(202, json!({"status": "CANCELLATION_REQUESTED"})),
        CancelOutcome::AlreadyCompleted => {
            json_response(400, json!({"status": "ALREADY_COMPLETED"}))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_paths_parse() {
        assert_eq!(
            parse_queue_path("fal-ai/veo3.1/fast/image-to-video"),
            QueuePath::Submit {
                endpoint_id: "fal-ai/veo3.1/fast/image-to-video"
            }
        );
        assert_eq!(
            parse_queue_path("fal-ai/veo3.1/requests/r1/status/stream"),
            QueuePath::Request {
                app_path: "fal-ai/veo3.1",
                request_id: "r1",
                action: RequestAction::Stream
            }
        );
        assert_eq!(
            parse_queue_path("fal-ai/veo3.1/fast/requests/r1"),
            QueuePath::Request {
                app_path: "fal-ai/veo3.1/fast",
                request_id: "r1",
                action: RequestAction::Result
            }
        );
        assert!(matches!(
            parse_queue_path("a/b/requests/r1/other"),
            QueuePath::Request {
                action: RequestAction::Unknown,
                ..
            }
        ));
    }
}
