//! Fault knobs: each applies to the next N matching requests, then clears itself.

use std::collections::VecDeque;
use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use super::Route;

/// An HTTP failure answered instead of the real handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HttpFault {
    /// A plain error status with a fal-shaped body.
    Status(u16),
    /// 504 with `X-Fal-Request-Timeout-Type: user` (the caller's own start timeout fired).
    UserTimeout,
    /// fal's ingress (nginx) answering by itself: an HTML error page, no `x-fal-request-id`,
    /// and the request never reaches the queue.
    Ingress(u16),
}

/// How the answer to a submit is lost after the simulator queued the job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LostAnswer {
    /// A gateway 504 with an nginx HTML page and no `x-fal-request-id`.
    GatewayTimeout,
    /// The connection is closed once the body was read, with no answer at all.
    CloseConnection,
    /// The answer comes only after this long (past the client's read timeout).
    Delay(Duration),
}

/// Marks a response that must not get the `x-fal-request-id` header (ingress pages: the
/// request never reached fal's servers, or the gateway lost fal's answer).
#[derive(Debug, Clone, Copy)]
pub(crate) struct NoRequestId;

#[derive(Debug)]
struct Counted<T> {
    value: T,
    remaining: u32,
}

/// The pending faults, in the order they were asked for.
#[derive(Debug, Default)]
pub(crate) struct Faults {
    http: Vec<(Route, Counted<HttpFault>)>,
    stream_cuts: VecDeque<Counted<u32>>,
    download_drops: VecDeque<Counted<u64>>,
    model_errors: VecDeque<(String, String)>,
    lost_answers: VecDeque<Counted<LostAnswer>>,
}

/// Takes one use of the first entry with uses left, dropping entries that are used up.
fn take_one<T: Copy>(queue: &mut VecDeque<Counted<T>>) -> Option<T> {
    while let Some(front) = queue.front_mut() {
        if front.remaining == 0 {
            queue.pop_front();
            continue;
        }
        front.remaining -= 1;
        let value = front.value;
        if front.remaining == 0 {
            queue.pop_front();
        }
        return Some(value);
    }
    None
}

impl Faults {
    pub fn add_status(&mut self, route: Route, count: u32, status: u16) {
        self.add_http(route, count, HttpFault::Status(status));
    }

    pub fn add_user_timeout(&mut self, route: Route, count: u32) {
        self.add_http(route, count, HttpFault::UserTimeout);
    }

    pub fn add_ingress(&mut self, route: Route, count: u32, status: u16) {
        self.add_http(route, count, HttpFault::Ingress(status));
    }

    pub fn add_lost_answer(&mut self, lost: LostAnswer, count: u32) {
        if count > 0 {
            self.lost_answers.push_back(Counted {
                value: lost,
                remaining: count,
            });
        }
    }

    /// How the answer to the submit just queued must be lost, if it must (uses it up).
    pub fn take_lost_answer(&mut self) -> Option<LostAnswer> {
        take_one(&mut self.lost_answers)
    }

    fn add_http(&mut self, route: Route, count: u32, fault: HttpFault) {
        if count > 0 {
            self.http.push((
                route,
                Counted {
                    value: fault,
                    remaining: count,
                },
            ));
        }
    }

    pub fn add_stream_cut(&mut self, events: u32, count: u32) {
        if count > 0 {
            self.stream_cuts.push_back(Counted {
                value: events,
                remaining: count,
            });
        }
    }

    pub fn add_download_drop(&mut self, bytes: u64, count: u32) {
        if count > 0 {
            self.download_drops.push_back(Counted {
                value: bytes,
                remaining: count,
            });
        }
    }

    pub fn add_model_error(&mut self, error_type: &str, message: &str) {
        self.model_errors
            .push_back((error_type.to_string(), message.to_string()));
    }

    /// The HTTP fault the next request to `route` must get, if any (uses it up).
    pub fn take_http(&mut self, route: Route) -> Option<HttpFault> {
        let index = self
            .http
            .iter()
            .position(|(r, c)| c.remaining > 0 && (*r == Route::Any || *r == route))?;
        let (_, counted) = &mut self.http[index];
        counted.remaining -= 1;
        let fault = counted.value;
        if counted.remaining == 0 {
            self.http.remove(index);
        }
        Some(fault)
    }

    /// After how many data events the next status stream must break, if it must.
    pub fn take_stream_cut(&mut self) -> Option<u32> {
        take_one(&mut self.stream_cuts)
    }

    /// After how many body bytes the next CDN download must drop, if it must.
    pub fn take_download_drop(&mut self) -> Option<u64> {
        take_one(&mut self.download_drops)
    }

    /// The model error the next accepted job must end with, if any.
    pub fn take_model_error(&mut self) -> Option<(String, String)> {
        self.model_errors.pop_front()
    }
}

/// The page nginx sends for `status`: what a gateway answers when fal's servers did not.
pub(crate) fn ingress_response(status: u16) -> Response {
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_GATEWAY);
    let title = format!(
        "{} {}",
        code.as_u16(),
        code.canonical_reason().unwrap_or("Error")
    );
    let page = format!(
        "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
    );
    let mut response = (code, page).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html"));
    response.extensions_mut().insert(NoRequestId);
    response
}

/// The response fal would send for this failure: `{"detail", "error_type"}` and `X-Fal-Error-Type`.
pub(crate) fn fault_response(fault: HttpFault) -> Response {
    if let HttpFault::Ingress(status) = fault {
        return ingress_response(status);
    }
    let (status, detail, error_type, user_timeout) = match fault {
        HttpFault::UserTimeout => (
            504,
            "Request timed out before a runner picked it up (the x-fal-request-timeout you set)",
            Some("request_timeout"),
            true,
        ),
        HttpFault::Status(429) => (
            429,
            "Too many requests: the concurrency limit of this account is reached; retry later",
            None,
            false,
        ),
        HttpFault::Status(500) => (
            500,
            "Internal server error",
            Some("internal_server_error"),
            false,
        ),
        HttpFault::Status(502) => (502, "Bad gateway", Some("runner_disconnected"), false),
        HttpFault::Status(503) => (
            503,
            "No runner could be scheduled for the request",
            Some("runner_scheduling_failure"),
            false,
        ),
        HttpFault::Status(504) => (
            504,
            "Request timed out at the gateway",
            Some("request_timeout"),
            false,
        ),
        HttpFault::Status(other) => (other, "Simulated failure", None, false),
        // Answered above; kept so the match stays total.
        HttpFault::Ingress(code) => (code, "Bad gateway", None, false),
    };
    let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = match error_type {
        Some(kind) => json!({ "detail": detail, "error_type": kind }),
        None => json!({ "detail": detail }),
    };
    let mut response = (code, axum::Json(body)).into_response();
    let headers = response.headers_mut();
    if let Some(kind) = error_type {
        headers.insert("x-fal-error-type", HeaderValue::from_static(kind));
    }
    if user_timeout {
        headers.insert(
            "x-fal-request-timeout-type",
            HeaderValue::from_static("user"),
        );
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_faults_count_down_and_match_routes() {
        let mut faults = Faults::default();
        faults.add_status(Route::Submit, 2, 429);
        faults.add_user_timeout(Route::Any, 1);
        assert_eq!(
            faults.take_http(Route::Status),
            Some(HttpFault::UserTimeout)
        );
        assert_eq!(faults.take_http(Route::Status), None);
        assert_eq!(
            faults.take_http(Route::Submit),
            Some(HttpFault::Status(429))
        );
        assert_eq!(
            faults.take_http(Route::Submit),
            Some(HttpFault::Status(429))
        );
        assert_eq!(faults.take_http(Route::Submit), None);
    }

    #[test]
    fn stream_and_download_faults_count_down() {
        let mut faults = Faults::default();
        faults.add_stream_cut(2, 1);
        faults.add_download_drop(100, 2);
        faults.add_download_drop(5, 0);
        assert_eq!(faults.take_stream_cut(), Some(2));
        assert_eq!(faults.take_stream_cut(), None);
        assert_eq!(faults.take_download_drop(), Some(100));
        assert_eq!(faults.take_download_drop(), Some(100));
        assert_eq!(faults.take_download_drop(), None);
    }

    #[test]
    fn lost_answers_count_down_and_ingress_pages_are_nginx_html() {
        let mut faults = Faults::default();
        faults.add_lost_answer(LostAnswer::GatewayTimeout, 1);
        faults.add_lost_answer(LostAnswer::Delay(Duration::from_secs(1)), 1);
        assert_eq!(faults.take_lost_answer(), Some(LostAnswer::GatewayTimeout));
        assert_eq!(
            faults.take_lost_answer(),
            Some(LostAnswer::Delay(Duration::from_secs(1)))
        );
        assert_eq!(faults.take_lost_answer(), None);
        let page = fault_response(HttpFault::Ingress(503));
        assert_eq!(page.status(), 503);
        assert!(page.extensions().get::<NoRequestId>().is_some());
        assert_eq!(
            page.headers().get(header::CONTENT_TYPE),
            Some(&HeaderValue::from_static("text/html"))
        );
    }

    #[test]
    fn user_timeout_response_carries_the_header() {
        let response = fault_response(HttpFault::UserTimeout);
        assert_eq!(response.status(), 504);
        assert_eq!(
            response.headers().get("x-fal-request-timeout-type"),
            Some(&HeaderValue::from_static("user"))
        );
    }
}
