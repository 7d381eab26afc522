//! Bodies read from the network are bounded: JSON answers, error answers, the status stream's
//! buffer and OpenAPI documents. A tiny HTTP server on loopback sends answers far larger than
//! any real one; the client must refuse them with a typed error naming the URL path (the status
//! stream falls back to polling) instead of holding them in memory.

use std::sync::Arc;
use std::time::Duration;

use reelsmith_core::catalog::{Catalog, CatalogError};
use reelsmith_core::fal::body::{
    MAX_ERROR_BYTES, MAX_JSON_BYTES, MAX_OPENAPI_BYTES, MAX_SSE_EVENT_BYTES,
};
use reelsmith_core::fal::{
    ApiKey, ClientOptions, FalClient, FalError, FalUrls, RetryPolicy, StatusEvent,
};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// What the tiny server answers to one request.
enum Answer {
    /// Status and body, with a Content-Length.
    Sized(u16, &'static str, Vec<u8>),
    /// Status 200 and a body of `len` bytes of `fill`, sent in 64 KiB chunks without a length.
    Chunked(&'static str, usize, u8),
}

/// Serves `answer(path)` on 127.0.0.1 until the test ends; returns `http://127.0.0.1:PORT`.
async fn serve(answer: impl Fn(&str) -> Answer + Send + Sync + 'static) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") {
                    match socket.read(&mut byte).await {
                        Ok(1) => head.push(byte[0]),
                        _ => return,
                    }
                }
                let head = String::from_utf8_lossy(&head).into_owned();
                // Read the request body too: closing with it unread would reset the connection.
                let length = head
                    .lines()
                    .find_map(|l| {
                        let (name, value) = l.split_once(':')?;
                        name.eq_ignore_ascii_case("content-length")
                            .then(|| value.trim().parse::<usize>().ok())?
                    })
                    .unwrap_or(0);
                let mut body = vec![0u8; length];
                if socket.read_exact(&mut body).await.is_err() {
                    return;
                }
                let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
                let path = path.split('?').next().unwrap_or("/").to_string();
                let _ = match answer(&path) {
                    Answer::Sized(status, kind, body) => {
                        let head = format!(
                            "HTTP/1.1 {status} X\r\ncontent-type: {kind}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                            body.len()
                        );
                        socket.write_all(head.as_bytes()).await.ok();
                        socket.write_all(&body).await
                    }
                    Answer::Chunked(kind, len, fill) => {
                        let head = format!(
                            "HTTP/1.1 200 OK\r\ncontent-type: {kind}\r\ntransfer-encoding: chunked\r\nconnection: close\r\n\r\n"
                        );
                        socket.write_all(head.as_bytes()).await.ok();
                        let chunk = vec![fill; 64 << 10];
                        let mut sent = 0;
                        while sent < len {
                            let n = chunk.len().min(len - sent);
                            let frame = format!("{n:x}\r\n");
                            if socket.write_all(frame.as_bytes()).await.is_err()
                                || socket.write_all(&chunk[..n]).await.is_err()
                                || socket.write_all(b"\r\n").await.is_err()
                            {
                                return;
                            }
                            sent += n;
                        }
                        socket.write_all(b"0\r\n\r\n").await
                    }
                };
            });
        }
    });
    base
}

fn client(base: &str) -> FalClient {
    FalClient::new(
        FalUrls {
            queue: base.to_string(),
            rest: base.to_string(),
            openapi: format!("{base}/openapi.json"),
            api: format!("{base}/api/v1"),
        },
        Some(ApiKey::new("test-id:test-secret")),
    )
    .unwrap()
    .with_retry(RetryPolicy::none())
    .with_options(ClientOptions {
        stream_stall_timeout: Duration::from_secs(5),
        poll_interval: Duration::from_millis(20),
        ..ClientOptions::default()
    })
    .unwrap()
}

fn assert_too_large(err: FalError, path: &str, limit: usize) {
    match &err {
        FalError::TooLarge {
            path: p, limit: l, ..
        } => {
            assert_eq!((p.as_str(), *l), (path, limit), "{err}");
            assert!(err.to_string().contains(path), "{err}");
        }
        other => panic!("expected TooLarge for {path}, got {other:?}"),
    }
}

#[tokio::test]
async fn a_json_answer_over_the_limit_is_refused_by_its_length_or_as_it_arrives() {
    let big = vec![b' '; MAX_JSON_BYTES + 1];
    let base = serve(move |path| match path {
        // Announced with a Content-Length: refused before reading.
        "/fal-ai/veo3.1" => Answer::Sized(200, "application/json", big.clone()),
        // Streamed without a length: refused once past the limit.
        _ => Answer::Chunked("application/json", 8 * MAX_JSON_BYTES, b' '),
    })
    .await;
    let c = client(&base);
    // A submit's answer too large to read may still mean fal queued the job: it is a lost
    // answer (looked up, never sent again blindly), and says why.
    let err = c
        .submit("fal-ai/veo3.1", &json!({"prompt": "x"}))
        .await
        .unwrap_err();
    match &err {
        FalError::AnswerLost { detail, .. } => {
            assert!(detail.contains("larger than 1 MiB"), "{err}")
        }
        other => panic!("expected AnswerLost, got {other:?}"),
    }
    let err = c
        .result(&c.handle_for("fal-ai/veo3.1", "r1"))
        .await
        .unwrap_err();
    assert_too_large(err, "/fal-ai/veo3.1/requests/r1", MAX_JSON_BYTES);
    // Just under the limit is still read (and here is simply not JSON of the right shape).
    let fits = serve(|_| {
        let mut body = b"{\"request_id\":\"r9\"}".to_vec();
        body.resize(MAX_JSON_BYTES, b' ');
        Answer::Sized(200, "application/json", body)
    })
    .await;
    let handle = client(&fits)
        .submit("fal-ai/veo3.1", &json!({}))
        .await
        .unwrap();
    assert_eq!(handle.request_id, "r9");
}

#[tokio::test]
async fn an_error_answer_over_the_limit_is_refused() {
    let base = serve(|_| Answer::Sized(500, "text/html", vec![b'x'; MAX_ERROR_BYTES + 1])).await;
    let c = client(&base);
    let err = c
        .result(&c.handle_for("fal-ai/veo3.1", "r1"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("HTTP 500"), "{err}");
    assert_too_large(err, "/fal-ai/veo3.1/requests/r1", MAX_ERROR_BYTES);
    // A submit reads only the start of such a page to classify it: a 5xx fal answered is a
    // lost answer, never a resend.
    let err = c.submit("fal-ai/veo3.1", &json!({})).await.unwrap_err();
    assert!(matches!(err, FalError::AnswerLost { .. }), "{err:?}");
    assert!(
        err.to_string().len() < 4 * 1024,
        "the page is not repeated whole"
    );
}

#[tokio::test]
async fn a_status_event_that_never_ends_falls_back_to_polling() {
    let base = serve(|path| {
        if path.ends_with("/status/stream") {
            // One `data:` line that never ends.
            Answer::Chunked("text/event-stream", 4 * MAX_SSE_EVENT_BYTES, b'x')
        } else {
            Answer::Sized(
                200,
                "application/json",
                br#"{"status":"COMPLETED","logs":[]}"#.to_vec(),
            )
        }
    })
    .await;
    let c = client(&base);
    let handle = c.handle_for("fal-ai/veo3.1", "r1");
    let mut events = Vec::new();
    c.follow(&handle, |e| events.push(e)).await.unwrap();
    let reason = events
        .iter()
        .find_map(|e| match e {
            StatusEvent::FellBackToPolling { reason } => Some(reason.clone()),
            _ => None,
        })
        .expect("fell back to polling");
    assert!(reason.contains("larger than 1 MiB"), "{reason}");
    assert!(
        reason.contains("/fal-ai/veo3.1/requests/r1/status/stream"),
        "{reason}"
    );
}

#[tokio::test]
async fn an_openapi_document_over_the_limit_is_refused_and_not_cached() {
    let base = serve(|_| Answer::Chunked("application/json", MAX_OPENAPI_BYTES + 1, b' ')).await;
    let cache = tempfile::tempdir().unwrap();
    let mut catalog = Catalog::load(cache.path());
    let err = catalog
        .fetch(
            "acme/huge-model",
            &format!("{base}/openapi/queue/openapi.json"),
        )
        .await
        .unwrap_err();
    match &err {
        CatalogError::TooLarge { path, limit, .. } => {
            assert_eq!(path, "/openapi/queue/openapi.json");
            assert_eq!(*limit, MAX_OPENAPI_BYTES);
            assert!(err.to_string().contains("16 MiB"), "{err}");
        }
        other => panic!("expected TooLarge, got {other:?}"),
    }
    assert!(!catalog.contains("acme/huge-model"));
}
