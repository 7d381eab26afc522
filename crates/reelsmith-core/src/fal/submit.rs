//! The submit POST, the one request that costs money: what each way it can end means.
//!
//! fal's queue has no idempotency key and clients cannot choose a request id, so a submit whose
//! answer is lost cannot simply be sent again. [`FalClient::submit_once`] sends it once and says
//! whether the job certainly never reached the queue (429, no connection, an ingress error page:
//! worth sending again), was refused for good, was accepted, or may have reached fal with no
//! answer telling us (a read timeout, a reset after the body went out, a 5xx fal itself answered,
//! a 200 that cannot be read): then only fal's request history can tell.

use std::time::Duration;

use reqwest::header::{ACCEPT, HeaderMap, RETRY_AFTER};
use reqwest::{Method, Response, StatusCode};
use serde_json::Value;

use super::client::FalClient;
use super::error::{FalError, Phase, error_chain, transport_error};
use super::queue::{QueueHandle, SubmitAnswer, same_origin};

/// Error bodies read to classify an answer at most (an nginx page is a few hundred bytes).
const MAX_ERROR_BODY: usize = 64 * 1024;

/// Why a submit certainly never reached the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotQueuedReason {
    /// fal answered 429 (the account's concurrency or rate limit).
    RateLimited,
    /// The connection could not be opened (refused, timed out, name not found).
    NoConnection,
    /// fal's ingress (nginx) answered 502/503/504 itself: no `x-fal-request-id`, an nginx page.
    Ingress,
}

/// A submit whose outcome no answer tells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LostAnswer {
    /// What happened, in words ("no answer within 120 s", "connection closed after the body").
    pub detail: String,
    /// The `x-fal-request-id` of the answer, when a 5xx came with one: fal's id of the request.
    pub request_id: Option<String>,
}

/// How one submit POST ended.
#[derive(Debug)]
pub enum SubmitAttempt {
    /// fal queued the job.
    Accepted(QueueHandle),
    /// The job certainly never reached the queue; the same body may be sent again.
    NotQueued {
        /// Why it is certain.
        reason: NotQueuedReason,
        /// The error to report if no retry is left.
        error: FalError,
        /// The wait fal asked for (`Retry-After`), if any.
        retry_after: Option<Duration>,
    },
    /// fal refused the job (validation, key, unknown endpoint…): nothing was queued, and
    /// sending it again would be refused again.
    Refused(FalError),
    /// The body may have reached fal and no answer says what became of it: never send it
    /// again without looking it up or the user's word.
    Unknown(LostAnswer),
}

/// What a submit's HTTP answer means, from its status, headers and (for 5xx) body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerClass {
    /// 2xx: read the handle from the body.
    Accepted,
    /// Certainly not queued; may be sent again.
    NotQueued(NotQueuedReason),
    /// Refused for good.
    Refused,
    /// May have been queued.
    Unknown,
}

/// True for fal's own start-timeout answer (`X-Fal-Request-Timeout-Type: user`).
fn is_user_timeout(headers: &HeaderMap) -> bool {
    headers
        .get("x-fal-request-timeout-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("user"))
}

/// Classifies a submit answer. Only 429 and an ingress page (502/503/504 with no
/// `x-fal-request-id` and an nginx body, the test fal's own Python client uses) certainly
/// never reached the queue; any other 5xx may have been queued before it failed.
pub fn classify_answer(status: StatusCode, headers: &HeaderMap, body: &[u8]) -> AnswerClass {
    let code = status.as_u16();
    if status.is_success() {
        return AnswerClass::Accepted;
    }
    if code == 429 {
        return AnswerClass::NotQueued(NotQueuedReason::RateLimited);
    }
    if code == 504 && is_user_timeout(headers) {
        // The request's own start timeout: fal dropped it before any runner took it.
        return AnswerClass::Refused;
    }
    if matches!(code, 502..=504) {
        let from_fal = headers.contains_key("x-fal-request-id");
        let nginx = String::from_utf8_lossy(body)
            .to_ascii_lowercase()
            .contains("nginx");
        return if !from_fal && nginx {
            AnswerClass::NotQueued(NotQueuedReason::Ingress)
        } else {
            AnswerClass::Unknown
        };
    }
    if status.is_server_error() {
        return AnswerClass::Unknown;
    }
    AnswerClass::Refused
}

/// Classifies a transport failure of a submit: only a failure to connect is certain.
pub fn transport_is_certain(e: &reqwest::Error) -> bool {
    e.is_connect()
}

fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let secs: f64 = headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

/// Reads at most `max` bytes of a body (the rest is not needed to classify it).
async fn body_start(mut resp: Response, max: usize) -> Vec<u8> {
    let mut body = Vec::new();
    while body.len() < max {
        match resp.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(max);
    body
}

/// The deepest cause of an error ("connection closed before message completed"): what
/// happened, without the layers that only repeat the URL.
fn innermost_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut cause: &(dyn std::error::Error + 'static) = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    let text = cause.to_string();
    if text.trim().is_empty() {
        error_chain(e)
    } else {
        text
    }
}

fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

impl FalClient {
    /// Checks an endpoint id and builds its queue URL.
    fn submit_url(&self, endpoint_id: &str) -> Result<(String, String), FalError> {
        let endpoint_id = endpoint_id.trim().trim_matches('/');
        if endpoint_id.split('/').filter(|s| !s.is_empty()).count() < 2 {
            return Err(FalError::Protocol(format!(
                "\"{endpoint_id}\" is not an endpoint id; expected owner/alias[/path], e.g. fal-ai/veo3.1/image-to-video"
            )));
        }
        let url = format!("{}/{endpoint_id}", self.inner.urls.queue_base());
        Ok((endpoint_id.to_string(), url))
    }

    /// Sends the submit POST once (never again by itself) and says what its ending means.
    pub async fn submit_once(&self, endpoint_id: &str, input: &Value) -> SubmitAttempt {
        let (endpoint_id, url) = match self.submit_url(endpoint_id) {
            Ok(v) => v,
            Err(e) => return SubmitAttempt::Refused(e),
        };
        let what = format!("submit to {endpoint_id}");
        let timeout = self.inner.options.request_timeout;
        let sent = self
            .keyed(Method::POST, &url)
            .header(ACCEPT, "application/json")
            .timeout(timeout)
            .json(input)
            .send()
            .await;
        let resp = match sent {
            Ok(resp) => resp,
            Err(e) if e.is_builder() => {
                return SubmitAttempt::Refused(FalError::Protocol(format!(
                    "{what}: invalid request: {e}"
                )));
            }
            Err(e) if transport_is_certain(&e) => {
                return SubmitAttempt::NotQueued {
                    reason: NotQueuedReason::NoConnection,
                    error: transport_error(&e, &what),
                    retry_after: None,
                };
            }
            Err(e) => {
                let detail = if e.is_timeout() {
                    format!("fal sent no answer within {} s", timeout.as_secs())
                } else {
                    format!(
                        "the connection broke after the request was sent ({})",
                        innermost_cause(&e)
                    )
                };
                return SubmitAttempt::Unknown(LostAnswer {
                    detail,
                    request_id: None,
                });
            }
        };
        let status = resp.status();
        let headers = resp.headers().clone();
        if status.is_success() {
            return self.accepted(resp, &endpoint_id, &what, &headers).await;
        }
        let body = body_start(resp, MAX_ERROR_BODY).await;
        let error = || {
            let has_key = self.inner.key.is_some();
            super::error::error_from_response(
                status,
                &headers,
                &body,
                Phase::Input,
                &what,
                has_key,
                &|s| self.scrub(s),
            )
        };
        match classify_answer(status, &headers, &body) {
            AnswerClass::NotQueued(reason) => SubmitAttempt::NotQueued {
                reason,
                error: error(),
                retry_after: retry_after(&headers),
            },
            AnswerClass::Refused | AnswerClass::Accepted => SubmitAttempt::Refused(error()),
            AnswerClass::Unknown => SubmitAttempt::Unknown(LostAnswer {
                detail: format!(
                    "fal answered HTTP {} ({}) after receiving the request",
                    status.as_u16(),
                    error()
                ),
                request_id: header_text(&headers, "x-fal-request-id"),
            }),
        }
    }

    /// Reads an accepted submit's handle; a 2xx that cannot be read is a lost answer.
    async fn accepted(
        &self,
        resp: Response,
        endpoint_id: &str,
        what: &str,
        headers: &HeaderMap,
    ) -> SubmitAttempt {
        let hint = header_text(headers, "x-fal-request-id");
        let answer: SubmitAnswer = match self.json_body(resp, what).await {
            Ok(a) => a,
            Err(e) => {
                return SubmitAttempt::Unknown(LostAnswer {
                    detail: format!("fal accepted the request but its answer cannot be read: {e}"),
                    request_id: hint,
                });
            }
        };
        if answer.request_id.trim().is_empty() {
            return SubmitAttempt::Unknown(LostAnswer {
                detail: "fal accepted the request but gave no request id".into(),
                request_id: hint,
            });
        }
        // Prefer the URLs fal returned (owner/alias form); build them when absent, or when they
        // leave the queue's origin: the key goes with every call to them.
        let built = self.handle_for(endpoint_id, &answer.request_id);
        let queue = self.inner.urls.queue_base();
        let pick = |given: Option<String>, built: String| {
            given.filter(|url| same_origin(url, queue)).unwrap_or(built)
        };
        SubmitAttempt::Accepted(QueueHandle {
            endpoint_id: endpoint_id.to_string(),
            status_url: pick(answer.status_url, built.status_url),
            response_url: pick(answer.response_url, built.response_url),
            cancel_url: pick(answer.cancel_url, built.cancel_url),
            request_id: answer.request_id,
        })
    }

    /// Submits `input` to `endpoint_id`'s queue, sending it again only after a 429 or a failed
    /// connect. An ingress error page is not sent again here (that needs a look at the request
    /// history first, which the job engine does), and a lost answer is [`FalError::AnswerLost`].
    pub async fn submit(&self, endpoint_id: &str, input: &Value) -> Result<QueueHandle, FalError> {
        let policy = self.inner.retry;
        let mut retry = 0u32;
        loop {
            match self.submit_once(endpoint_id, input).await {
                SubmitAttempt::Accepted(handle) => return Ok(handle),
                SubmitAttempt::NotQueued {
                    reason: NotQueuedReason::RateLimited | NotQueuedReason::NoConnection,
                    retry_after,
                    ..
                } if retry < policy.max_retries => {
                    let delay = retry_after
                        .map(|d| d.min(policy.max_delay))
                        .unwrap_or_else(|| policy.delay(retry));
                    tokio::time::sleep(delay).await;
                    retry += 1;
                }
                SubmitAttempt::NotQueued { error, .. } | SubmitAttempt::Refused(error) => {
                    return Err(error);
                }
                SubmitAttempt::Unknown(lost) => {
                    return Err(FalError::AnswerLost {
                        detail: lost.detail,
                        request_id: lost.request_id,
                    });
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    const NGINX: &[u8] =
        b"<html><head><title>504 Gateway Time-out</title></head><body><center>nginx</center></body></html>";

    fn class(code: u16, h: &HeaderMap, body: &[u8]) -> AnswerClass {
        classify_answer(StatusCode::from_u16(code).unwrap(), h, body)
    }

    #[test]
    fn only_certain_failures_may_be_sent_again() {
        let none = HeaderMap::new();
        assert_eq!(class(200, &none, b"{}"), AnswerClass::Accepted);
        assert_eq!(
            class(429, &none, b"{}"),
            AnswerClass::NotQueued(NotQueuedReason::RateLimited)
        );
        // Rate limited even when fal's own server said so.
        assert_eq!(
            class(429, &headers(&[("x-fal-request-id", "r")]), b"{}"),
            AnswerClass::NotQueued(NotQueuedReason::RateLimited)
        );
        for code in [502, 503, 504] {
            assert_eq!(
                class(code, &none, NGINX),
                AnswerClass::NotQueued(NotQueuedReason::Ingress),
                "{code}"
            );
        }
    }

    #[test]
    fn a_5xx_fal_answered_or_not_from_nginx_is_unknown() {
        let fal = headers(&[("x-fal-request-id", "0b6f-…")]);
        for code in [500, 502, 503, 504] {
            assert_eq!(
                class(code, &fal, NGINX),
                AnswerClass::Unknown,
                "{code} with id"
            );
        }
        let none = HeaderMap::new();
        // No request id, but no ingress page either: not certain.
        assert_eq!(
            class(504, &none, br#"{"detail":"Request timed out"}"#),
            AnswerClass::Unknown
        );
        assert_eq!(
            class(500, &none, b"Internal Server Error"),
            AnswerClass::Unknown
        );
        assert_eq!(class(507, &none, NGINX), AnswerClass::Unknown);
    }

    #[test]
    fn refusals_and_the_user_timeout_are_final() {
        let none = HeaderMap::new();
        for code in [400, 401, 403, 404, 405, 413, 422] {
            assert_eq!(class(code, &none, b"{}"), AnswerClass::Refused, "{code}");
        }
        let user = headers(&[("x-fal-request-timeout-type", "user")]);
        assert_eq!(class(504, &user, NGINX), AnswerClass::Refused);
    }

    #[test]
    fn retry_after_is_read_in_seconds() {
        assert_eq!(
            retry_after(&headers(&[("retry-after", "2")])),
            Some(Duration::from_secs(2))
        );
        assert_eq!(retry_after(&headers(&[("retry-after", "soon")])), None);
    }
}
