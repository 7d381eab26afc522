//! The platform API's errors: its `{"error": {"type", "message"}}` envelope, typed.
//!
//! This differs from the queue's `{"detail": …}` bodies, so it has an error type of its own.
//! Gateways may answer with HTML or nothing at all: then the status alone decides the kind.

use reqwest::StatusCode;
use serde_json::Value;

/// What kind of refusal the platform API answered (its `error.type`, or the status).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlatformErrorKind {
    /// `authorization_error`: no key, a rejected key, or a key without the needed scope.
    Authorization,
    /// `validation_error`: a parameter was refused.
    Validation,
    /// `not_found`.
    NotFound,
    /// `rate_limited`.
    RateLimited,
    /// `server_error`.
    Server,
    /// `not_implemented`.
    NotImplemented,
    /// A type this client does not know, kept as sent.
    Other(String),
}

impl PlatformErrorKind {
    /// The kind named by the envelope's `type`.
    fn from_type(text: &str) -> PlatformErrorKind {
        match text {
            "authorization_error" => PlatformErrorKind::Authorization,
            "validation_error" => PlatformErrorKind::Validation,
            "not_found" => PlatformErrorKind::NotFound,
            "rate_limited" => PlatformErrorKind::RateLimited,
            "server_error" => PlatformErrorKind::Server,
            "not_implemented" => PlatformErrorKind::NotImplemented,
            other => PlatformErrorKind::Other(other.to_string()),
        }
    }

    /// The kind a bare status implies when the body has no envelope.
    fn from_status(status: u16) -> PlatformErrorKind {
        match status {
            401 | 403 => PlatformErrorKind::Authorization,
            400 | 422 => PlatformErrorKind::Validation,
            404 => PlatformErrorKind::NotFound,
            429 => PlatformErrorKind::RateLimited,
            501 => PlatformErrorKind::NotImplemented,
            500..=599 => PlatformErrorKind::Server,
            other => PlatformErrorKind::Other(format!("http_{other}")),
        }
    }
}

/// Everything a platform API call can fail with. Display never contains the key.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PlatformError {
    /// The platform API answered with an error status.
    #[error("fal's platform API refused {what} (HTTP {status}): {message}")]
    Api {
        /// What was asked, e.g. "the request history of fal-ai/veo3.1".
        what: String,
        /// HTTP status.
        status: u16,
        /// The envelope's `type` (or the status's meaning).
        kind: PlatformErrorKind,
        /// The envelope's `message` (or the start of the body).
        message: String,
        /// fal's id of this API call, when the envelope gave one.
        request_id: Option<String>,
    },
    /// The connection failed or dropped.
    #[error("network error: {0}")]
    Network(String),
    /// The client gave up waiting.
    #[error("timed out: {0}")]
    Timeout(String),
    /// The answer is not what the API documents.
    #[error("unexpected answer from fal's platform API: {0}")]
    Protocol(String),
}

impl PlatformError {
    /// Whether asking again later may succeed (rate limits, server errors, the network).
    pub fn is_retryable(&self) -> bool {
        match self {
            PlatformError::Api { kind, .. } => {
                matches!(
                    kind,
                    PlatformErrorKind::RateLimited | PlatformErrorKind::Server
                )
            }
            PlatformError::Network(_) | PlatformError::Timeout(_) => true,
            PlatformError::Protocol(_) => false,
        }
    }

    /// A sentence for the user: what happened and what to do.
    pub fn user_message(&self) -> String {
        match self {
            PlatformError::Api {
                kind: PlatformErrorKind::Authorization,
                status: 403,
                ..
            } => format!(
                "{self}. The key may lack the scope for this call: request history needs a key \
                 with the API scope (an ADMIN key works too); check it at fal.ai/dashboard/keys."
            ),
            PlatformError::Api {
                kind: PlatformErrorKind::Authorization,
                ..
            } => format!("{self}. Check the fal key in Settings (or FAL_KEY)."),
            PlatformError::Api {
                kind: PlatformErrorKind::RateLimited,
                ..
            } => format!("{self}. Wait a minute and look again."),
            PlatformError::Api { .. } | PlatformError::Protocol(_) => {
                format!("{self}. Look again later; if it persists, check fal's status page.")
            }
            PlatformError::Network(_) | PlatformError::Timeout(_) => {
                format!("{self}. Check the internet connection and look again.")
            }
        }
    }
}

/// Reads an error answer: the envelope when there is one, else the status and the body's start.
pub(crate) fn from_answer(status: StatusCode, body: &[u8], what: &str) -> PlatformError {
    let code = status.as_u16();
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let envelope = parsed
        .as_ref()
        .and_then(|v| v.get("error"))
        .filter(|e| e.is_object());
    let text = |k: &str| {
        envelope
            .and_then(|e| e.get(k))
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let kind = text("type")
        .map(|t| PlatformErrorKind::from_type(&t))
        .unwrap_or_else(|| PlatformErrorKind::from_status(code));
    let message = text("message").unwrap_or_else(|| {
        let raw = String::from_utf8_lossy(body);
        let raw = raw.trim();
        if raw.is_empty() {
            status
                .canonical_reason()
                .unwrap_or("no explanation given")
                .to_string()
        } else {
            raw.chars().take(200).collect()
        }
    });
    PlatformError::Api {
        what: what.to_string(),
        status: code,
        kind,
        message,
        request_id: text("request_id"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_is_read() {
        let body = br#"{"error":{"type":"validation_error","message":"Invalid request parameters","docs_url":"https://x","request_id":"r-1"}}"#;
        let e = from_answer(StatusCode::BAD_REQUEST, body, "history");
        let PlatformError::Api {
            kind,
            message,
            request_id,
            status,
            ..
        } = &e
        else {
            panic!("{e:?}")
        };
        assert_eq!(*kind, PlatformErrorKind::Validation);
        assert_eq!(message, "Invalid request parameters");
        assert_eq!(request_id.as_deref(), Some("r-1"));
        assert_eq!(*status, 400);
        assert!(!e.is_retryable());
    }

    #[test]
    fn bodies_without_an_envelope_go_by_status() {
        let e = from_answer(
            StatusCode::BAD_GATEWAY,
            b"<html><body><center>nginx</center></body></html>",
            "history",
        );
        assert!(matches!(
            &e,
            PlatformError::Api { kind: PlatformErrorKind::Server, message, .. } if message.contains("nginx")
        ));
        assert!(e.is_retryable());
        let e = from_answer(StatusCode::FORBIDDEN, b"", "history");
        assert!(matches!(
            &e,
            PlatformError::Api {
                kind: PlatformErrorKind::Authorization,
                ..
            }
        ));
        assert!(e.user_message().contains("scope"), "{}", e.user_message());
        let e = from_answer(
            StatusCode::TOO_MANY_REQUESTS,
            br#"{"error":{"type":"rate_limited","message":"Rate limit exceeded"}}"#,
            "history",
        );
        assert!(e.is_retryable());
        let e = from_answer(
            StatusCode::IM_A_TEAPOT,
            br#"{"error":{"type":"brand_new","message":"?"}}"#,
            "x",
        );
        assert!(matches!(
            e,
            PlatformError::Api { kind: PlatformErrorKind::Other(ref t), .. } if t == "brand_new"
        ));
    }
}
