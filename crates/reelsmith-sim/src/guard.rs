//! The outermost layer: only requests addressed to the simulator's own loopback address are
//! answered. A web page the user visits could otherwise reach it through DNS rebinding (a name
//! that resolves to 127.0.0.1 once the page has loaded) and read the uploads or spend its key.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;

use super::queue::json_response;
use super::state::Shared;

/// Whether `host` (a Host header or URI authority) names this simulator: `127.0.0.1:PORT` or
/// `localhost:PORT`, the port included.
pub(crate) fn is_own_host(host: &str, port: u16) -> bool {
    let Some((name, host_port)) = host.trim().rsplit_once(':') else {
        return false;
    };
    host_port.parse::<u16>().ok() == Some(port)
        && (name == "127.0.0.1" || name.eq_ignore_ascii_case("localhost"))
}

/// Middleware: 421 Misdirected Request for any other Host.
pub(crate) async fn own_host_only(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let host = request
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .or_else(|| {
            request
                .headers()
                .get(header::HOST)
                .and_then(|v| v.to_str().ok())
                .map(str::to_string)
        });
    match host {
        Some(host) if is_own_host(&host, shared.port) => next.run(request).await,
        _ => json_response(
            421,
            json!({"detail": format!(
                "This simulator answers only requests addressed to 127.0.0.1:{0} or \
                 localhost:{0}.", shared.port)}),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_loopback_address_and_port_pass() {
        assert!(is_own_host("127.0.0.1:8808", 8808));
        assert!(is_own_host("localhost:8808", 8808));
        assert!(is_own_host("LocalHost:8808", 8808));
        assert!(!is_own_host("127.0.0.1:8809", 8808));
        assert!(!is_own_host("127.0.0.1", 8808));
        assert!(!is_own_host("evil.example:8808", 8808));
        assert!(!is_own_host("127.0.0.1.evil.example:8808", 8808));
        assert!(!is_own_host("", 8808));
    }
}
