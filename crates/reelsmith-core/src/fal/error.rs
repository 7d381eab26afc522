//! Typed errors of the fal client and the parsing of fal's error bodies.

use std::path::PathBuf;

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde_json::Value;

use super::body::describe_limit;

/// One entry of fal's `detail` list: which field failed and why.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct FieldError {
    /// Where the problem is, e.g. `["body", "image_url"]`.
    pub loc: Vec<Value>,
    /// fal's message.
    pub msg: String,
    /// fal's error `type`, e.g. `value_error` or `content_policy_violation`.
    pub kind: String,
    /// Extra context fal attached (limits, allowed values).
    pub ctx: Option<Value>,
}

impl FieldError {
    /// The field path without the leading `body`, e.g. `elements.0.frontal_image_url`.
    pub fn field(&self) -> String {
        let parts: Vec<String> = self
            .loc
            .iter()
            .skip_while(|v| v.as_str() == Some("body"))
            .map(|v| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        parts.join(".")
    }
}

/// Everything that can go wrong talking to fal. Display never contains the key.
#[derive(Debug, thiserror::Error)]
pub enum FalError {
    /// No key in settings, `FAL_KEY`, `FAL_KEY_ID`/`FAL_KEY_SECRET` or `credentials.json`.
    #[error(
        "no fal API key found: set one in Settings, or the FAL_KEY environment variable, or put {{\"api_key\": \"...\"}} in credentials.json in the config folder"
    )]
    MissingCredentials,
    /// The base URLs are not fal's https hosts and no key was given for this run: a saved key
    /// is never sent anywhere else.
    #[error(
        "no key for {base}: a saved fal key is sent only to fal's own https hosts, and neither FAL_KEY nor FAL_KEY_ID + FAL_KEY_SECRET is set"
    )]
    NoKeyForBase {
        /// The queue base URL in use (e.g. a simulator's or a proxy's).
        base: String,
    },
    /// fal answered 401/403 to the key.
    #[error("fal rejected the API key (HTTP {status}): {detail}")]
    RejectedCredentials {
        /// HTTP status (401 or 403).
        status: u16,
        /// fal's explanation, with any echo of the key removed.
        detail: String,
    },
    /// fal refused the input (400/422) with per-field details.
    #[error("fal refused the input (HTTP {status}): {}", summarize(errors))]
    Validation {
        /// HTTP status.
        status: u16,
        /// The individual problems.
        errors: Vec<FieldError>,
    },
    /// fal answered 429 and retries ran out.
    #[error("fal is rate limiting requests: {detail}")]
    RateLimited {
        /// fal's explanation.
        detail: String,
    },
    /// The job or request failed on fal's side.
    #[error("fal reported a failure{}{}: {message}", status.map(|s| format!(" (HTTP {s})")).unwrap_or_default(), error_type.as_ref().map(|t| format!(" [{t}]")).unwrap_or_default())]
    Service {
        /// HTTP status when the failure came with one.
        status: Option<u16>,
        /// fal's `error_type` (e.g. `content_policy_violation`).
        error_type: Option<String>,
        /// fal's message.
        message: String,
    },
    /// The request's own deadline (`x-fal-request-timeout`) passed: 504 with the user timeout type.
    #[error("the request timed out at fal before it started (start timeout reached): {detail}")]
    UserTimeout {
        /// fal's explanation.
        detail: String,
    },
    /// fal does not know the request, endpoint or file.
    #[error("not found at fal: {what}")]
    NotFound {
        /// What was looked for.
        what: String,
    },
    /// The connection failed or dropped.
    #[error("network error: {0}")]
    Network(String),
    /// The client gave up waiting.
    #[error("timed out: {0}")]
    Timeout(String),
    /// A local file could not be read or written.
    #[error("file {}: {source}", path.display())]
    Io {
        /// The file concerned.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// fal answered with something the client does not understand.
    #[error("unexpected answer from fal: {0}")]
    Protocol(String),
    /// An answer was larger than the client reads (see `fal::body` for the limits).
    #[error("{what}: the answer from {path} is larger than {} and was not read", describe_limit(*limit))]
    TooLarge {
        /// What the client was doing.
        what: String,
        /// The URL path (no host, no query) that answered.
        path: String,
        /// The limit, in bytes.
        limit: usize,
    },
    /// A submit may have reached fal, but its answer was lost: whether fal queued (and will
    /// charge for) the job is unknown. It must not be sent again without looking it up.
    #[error("the answer to the submit was lost ({detail}); fal may have queued the job")]
    AnswerLost {
        /// What happened to the answer.
        detail: String,
        /// fal's request id, when the lost answer carried one.
        request_id: Option<String>,
    },
}

fn summarize(errors: &[FieldError]) -> String {
    if errors.is_empty() {
        return "no details given".to_string();
    }
    errors
        .iter()
        .map(|e| {
            let field = e.field();
            if field.is_empty() {
                e.msg.clone()
            } else {
                format!("{field}: {}", e.msg)
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

impl FalError {
    /// Whether trying the same request again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            FalError::RateLimited { .. } | FalError::Network(_) | FalError::Timeout(_) => true,
            FalError::Service {
                status: Some(s), ..
            } => matches!(s, 502..=504),
            _ => false,
        }
    }

    /// A sentence for the user: what happened and what to do about it.
    pub fn user_message(&self) -> String {
        match self {
            FalError::MissingCredentials => self.to_string(),
            FalError::NoKeyForBase { .. } => format!(
                "{self}. Set FAL_KEY for this run to the key that service expects (`reelsmith simulate` prints its own)."
            ),
            FalError::RejectedCredentials { .. } => format!(
                "{self}. Check the key in Settings (or FAL_KEY); create a new one at fal.ai/dashboard/keys if needed."
            ),
            FalError::Validation { .. } => {
                format!("{self}. Correct the fields named and submit again.")
            }
            FalError::RateLimited { .. } => format!("{self}. Wait a minute and try again."),
            FalError::Service {
                error_type: Some(t),
                ..
            } if t == "content_policy_violation" => {
                format!("{self}. Change the prompt or the input images and try again.")
            }
            FalError::Service { .. } => {
                format!("{self}. Try again; if it keeps failing, change the input.")
            }
            FalError::UserTimeout { .. } => {
                format!("{self}. fal was too busy to start it in time; submit again later.")
            }
            FalError::NotFound { .. } => format!("{self}. It may have expired or never existed."),
            FalError::Network(_) | FalError::Timeout(_) => {
                format!(
                    "{self}. Check the internet connection; the job continues at fal and can be resumed."
                )
            }
            FalError::Io { .. } => {
                format!("{self}. Check that the file exists and the folder is writable.")
            }
            FalError::Protocol(_) => {
                format!("{self}. This may be a change at fal; please report it.")
            }
            FalError::TooLarge { .. } => format!(
                "{self}. fal's answers are far smaller; if REELSMITH_QUEUE_URL or REELSMITH_REST_URL point elsewhere, check that service."
            ),
            FalError::AnswerLost { .. } => format!(
                "{self}. Check fal's request history (fal.ai/dashboard) before submitting it again."
            ),
        }
    }
}

/// What the client was doing when an error answer came back; it decides 400/422's meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Sending input (submit, upload initiation): 400/422 mean invalid input.
    Input,
    /// Fetching a result: non-2xx means the job failed.
    Result,
    /// Anything else sent to the queue or REST host.
    Other,
    /// Upload URLs and the CDN: no key goes there, so 401/403 are not about the key.
    Transfer,
}

/// fal's error body, reduced to what the client uses.
#[derive(Debug, Default)]
pub(crate) struct ErrorBody {
    pub(crate) message: String,
    pub(crate) field_errors: Vec<FieldError>,
    pub(crate) error_type: Option<String>,
}

fn field_error_from(value: &Value) -> Option<FieldError> {
    let obj = value.as_object()?;
    let msg = obj.get("msg").and_then(Value::as_str)?.to_string();
    Some(FieldError {
        loc: obj
            .get("loc")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default(),
        msg,
        kind: obj
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string(),
        ctx: obj.get("ctx").filter(|c| !c.is_null()).cloned(),
    })
}

/// Parses fal's error body: `detail` as a list of `{loc,msg,type,ctx}`, a string or absent.
pub(crate) fn parse_error_body(body: &[u8], headers: Option<&HeaderMap>) -> ErrorBody {
    let mut out = ErrorBody {
        error_type: headers
            .and_then(|h| h.get("x-fal-error-type"))
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        ..ErrorBody::default()
    };
    let text = String::from_utf8_lossy(body);
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        out.message = shorten(text.trim());
        return out;
    };
    if let Some(t) = value.get("error_type").and_then(Value::as_str) {
        out.error_type = Some(t.to_string());
    }
    match value.get("detail") {
        Some(Value::String(s)) => out.message = s.clone(),
        Some(Value::Array(items)) => {
            out.field_errors = items.iter().filter_map(field_error_from).collect();
            out.message = summarize(&out.field_errors);
        }
        Some(Value::Object(_)) => {
            if let Some(fe) = value.get("detail").and_then(field_error_from) {
                out.message = fe.msg.clone();
                out.field_errors.push(fe);
            }
        }
        _ => {}
    }
    if out.message.is_empty() {
        for key in ["error", "message", "status"] {
            if let Some(s) = value.get(key).and_then(Value::as_str) {
                out.message = s.to_string();
                break;
            }
        }
    }
    if out.message.is_empty() {
        out.message = shorten(text.trim());
    }
    if out.error_type.is_none() {
        out.error_type = out
            .field_errors
            .first()
            .map(|e| e.kind.clone())
            .filter(|k| !k.is_empty());
    }
    out
}

fn shorten(s: &str) -> String {
    const MAX: usize = 300;
    if s.chars().count() <= MAX {
        return s.to_string();
    }
    let cut: String = s.chars().take(MAX).collect();
    format!("{cut}…")
}

/// Turns a non-2xx answer into a typed error; `scrub` removes any echo of the key.
pub(crate) fn error_from_response(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    phase: Phase,
    what: &str,
    has_key: bool,
    scrub: &dyn Fn(&str) -> String,
) -> FalError {
    let parsed = parse_error_body(body, Some(headers));
    let message = scrub(&parsed.message);
    let code = status.as_u16();
    let user_timeout = headers
        .get("x-fal-request-timeout-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("user"));
    match code {
        401 | 403 if phase == Phase::Transfer => FalError::Service {
            status: Some(code),
            error_type: parsed.error_type,
            message: format!("{what} refused access: {message}"),
        },
        401 | 403 if !has_key => FalError::MissingCredentials,
        401 | 403 => FalError::RejectedCredentials {
            status: code,
            detail: message,
        },
        404 => FalError::NotFound {
            what: format!("{what} ({message})"),
        },
        429 => FalError::RateLimited { detail: message },
        504 if user_timeout => FalError::UserTimeout { detail: message },
        400 | 422 if phase == Phase::Input => {
            let mut errors = parsed.field_errors;
            for e in &mut errors {
                e.msg = scrub(&e.msg);
            }
            if errors.is_empty() {
                errors.push(FieldError {
                    loc: Vec::new(),
                    msg: message,
                    kind: parsed.error_type.unwrap_or_default(),
                    ctx: None,
                });
            }
            FalError::Validation {
                status: code,
                errors,
            }
        }
        _ => FalError::Service {
            status: Some(code),
            error_type: parsed.error_type,
            message,
        },
    }
}

/// Maps a transport error; the text carries the URL (never the key, which travels in a header).
pub(crate) fn transport_error(e: &reqwest::Error, what: &str) -> FalError {
    if e.is_timeout() {
        FalError::Timeout(format!("{what}: {e}"))
    } else {
        FalError::Network(format!("{what}: {}", error_chain(e)))
    }
}

/// An error and its causes on one line ("error sending request: connection refused").
pub(crate) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> String {
        s.to_string()
    }

    #[test]
    fn detail_list_becomes_field_errors() {
        let body = br#"{"detail":[{"loc":["body","num_frames"],"msg":"Input should be less than or equal to 100","type":"less_than_equal","ctx":{"le":100}}]}"#;
        let err = error_from_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &HeaderMap::new(),
            body,
            Phase::Input,
            "submit",
            true,
            &id,
        );
        let FalError::Validation { status, errors } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(*status, 422);
        assert_eq!(errors[0].field(), "num_frames");
        assert_eq!(errors[0].kind, "less_than_equal");
        assert_eq!(errors[0].ctx, Some(serde_json::json!({"le": 100})));
        assert!(
            err.to_string()
                .contains("num_frames: Input should be less than or equal to 100")
        );
    }

    #[test]
    fn detail_string_becomes_one_error() {
        let err = error_from_response(
            StatusCode::BAD_REQUEST,
            &HeaderMap::new(),
            br#"{"detail":"prompt is too long"}"#,
            Phase::Input,
            "submit",
            true,
            &id,
        );
        let FalError::Validation { errors, .. } = &err else {
            panic!("{err:?}")
        };
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].msg, "prompt is too long");
    }

    #[test]
    fn user_timeout_and_rate_limit_are_typed() {
        let mut headers = HeaderMap::new();
        headers.insert("x-fal-request-timeout-type", "user".parse().unwrap());
        let err = error_from_response(
            StatusCode::GATEWAY_TIMEOUT,
            &headers,
            br#"{"detail":"Request timed out"}"#,
            Phase::Input,
            "submit",
            true,
            &id,
        );
        assert!(matches!(err, FalError::UserTimeout { .. }));
        assert!(!err.is_retryable());
        let err = error_from_response(
            StatusCode::GATEWAY_TIMEOUT,
            &HeaderMap::new(),
            b"gateway timeout",
            Phase::Other,
            "status",
            true,
            &id,
        );
        assert!(err.is_retryable(), "{err:?}");
        let err = error_from_response(
            StatusCode::TOO_MANY_REQUESTS,
            &HeaderMap::new(),
            br#"{"detail":"slow down"}"#,
            Phase::Input,
            "submit",
            true,
            &id,
        );
        assert!(matches!(err, FalError::RateLimited { ref detail } if detail == "slow down"));
    }

    #[test]
    fn result_errors_carry_fal_error_type() {
        let body = br#"{"detail":[{"loc":["body","prompt"],"msg":"The content could not be processed because it contained material flagged by a content checker.","type":"content_policy_violation"}]}"#;
        let err = error_from_response(
            StatusCode::UNPROCESSABLE_ENTITY,
            &HeaderMap::new(),
            body,
            Phase::Result,
            "result",
            true,
            &id,
        );
        let FalError::Service {
            status,
            error_type,
            message,
        } = &err
        else {
            panic!("{err:?}")
        };
        assert_eq!(*status, Some(422));
        assert_eq!(error_type.as_deref(), Some("content_policy_violation"));
        assert!(message.contains("flagged by a content checker"));
    }

    #[test]
    fn rejected_key_is_scrubbed() {
        let key = "secret-id:secret-value";
        let scrub = |s: &str| s.replace(key, "…");
        let err = error_from_response(
            StatusCode::UNAUTHORIZED,
            &HeaderMap::new(),
            br#"{"detail":"Invalid key secret-id:secret-value"}"#,
            Phase::Input,
            "submit",
            true,
            &scrub,
        );
        assert!(matches!(
            err,
            FalError::RejectedCredentials { status: 401, .. }
        ));
        assert!(!err.to_string().contains(key));
        assert!(!format!("{err:?}").contains(key));
        let no_key = error_from_response(
            StatusCode::UNAUTHORIZED,
            &HeaderMap::new(),
            b"{}",
            Phase::Input,
            "submit",
            false,
            &scrub,
        );
        assert!(matches!(no_key, FalError::MissingCredentials));
    }
}
