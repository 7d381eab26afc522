//! The fault knobs over HTTP: 429s, the user timeout, a cut status stream, a dropped download.

use reelsmith_sim::Route;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

#[tokio::test]
async fn fail_next_answers_429_twice_then_accepts() {
    let sim = start(100, 100).await;
    sim.fail_next(Route::Submit, 2, 429);
    let input = json!({"prompt": "p"});
    let mut codes = Vec::new();
    for _ in 0..3 {
        let response = submit(&sim, "fal-ai/veo3.1", &input).await;
        codes.push(response.status().as_u16());
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            let body: Value = response.json().await.expect("json");
            assert!(body["detail"].is_string());
        }
    }
    assert_eq!(codes, vec![429, 429, 200]);
    assert_eq!(sim.submissions().len(), 1);
    let recorded: Vec<u16> = sim
        .requests()
        .iter()
        .filter(|r| r.route == Route::Submit)
        .map(|r| r.status)
        .collect();
    assert_eq!(recorded, vec![429, 429, 200]);

    // Any-route faults hit whatever comes next; 503 carries fal's error type header.
    sim.fail_next(Route::Any, 1, 503);
    let response = http()
        .get(format!("{}?endpoint_id=fal-ai/veo3.1", sim.openapi_url()))
        .send()
        .await
        .expect("openapi");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(
        response.headers()["x-fal-error-type"],
        "runner_scheduling_failure"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn user_timeout_fault_is_a_504_with_the_user_header() {
    let sim = start(100, 100).await;
    sim.fail_next_user_timeout(Route::Submit, 1);
    let response = submit(&sim, "fal-ai/veo3.1", &json!({"prompt": "p"})).await;
    assert_eq!(response.status(), StatusCode::GATEWAY_TIMEOUT);
    assert_eq!(response.headers()["x-fal-request-timeout-type"], "user");
    assert!(response.headers().contains_key("x-fal-request-id"));
    assert!(sim.submissions().is_empty());
    let again = submit(&sim, "fal-ai/veo3.1", &json!({"prompt": "p"})).await;
    assert_eq!(again.status(), StatusCode::OK);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_cut_status_stream_breaks_before_completed() {
    let sim = start(200, 300).await;
    sim.cut_status_stream_after(2, 1);
    let queued = submit_ok(&sim, "fal-ai/veo3.1", &json!({"prompt": "p"})).await;
    let stream_url = format!(
        "{}/stream?logs=1",
        queued["status_url"].as_str().expect("url")
    );
    let mut response = http()
        .get(&stream_url)
        .header("Authorization", auth(&sim))
        .send()
        .await
        .expect("stream");
    let mut text = String::new();
    let outcome = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => text.push_str(std::str::from_utf8(&chunk).expect("utf8")),
            Ok(None) => break "clean end",
            Err(_) => break "broken",
        }
    };
    assert_eq!(outcome, "broken", "{text}");
    let (events, _) = parse_sse(&text);
    assert_eq!(events.len(), 2, "{text}");
    assert!(events.iter().all(|e| e["status"] != "COMPLETED"));

    // The knob is used up: the next stream runs to COMPLETED.
    let text = http()
        .get(&stream_url)
        .header("Authorization", auth(&sim))
        .send()
        .await
        .expect("stream")
        .text()
        .await
        .expect("whole stream");
    let (events, _) = parse_sse(&text);
    assert_eq!(events.last().expect("event")["status"], "COMPLETED");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_dropped_download_delivers_fewer_bytes_than_announced() {
    let sim = start(100, 100).await;
    let data: Vec<u8> = (0..1_000_000u32).map(|i| (i % 253) as u8).collect();
    let url = upload(&sim, data.clone(), "big.bin", "application/octet-stream").await;
    sim.drop_download_after(300_000, 1);

    let mut response = http().get(&url).send().await.expect("get");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.content_length(), Some(1_000_000));
    let mut got = Vec::new();
    let broke = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => got.extend_from_slice(&chunk),
            Ok(None) => break false,
            Err(_) => break true,
        }
    };
    assert!(broke, "the body ended cleanly after {} bytes", got.len());
    assert_eq!(got.len(), 300_000);
    assert_eq!(got, data[..300_000]);

    // Resuming with Range fetches exactly the rest.
    let rest = http()
        .get(&url)
        .header("Range", format!("bytes={}-", got.len()))
        .send()
        .await
        .expect("resume");
    assert_eq!(rest.status(), StatusCode::PARTIAL_CONTENT);
    got.extend_from_slice(&rest.bytes().await.expect("bytes"));
    assert_eq!(got, data);
    sim.shutdown().await;
}
