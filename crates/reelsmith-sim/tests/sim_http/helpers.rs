//! What the simulator's HTTP tests share: a simulator with short jobs, a plain HTTP client,
//! fal's upload and submit flows written out by hand, polling, SSE parsing and picture checks.

use std::io::Cursor;
use std::time::{Duration, Instant};

use image::RgbImage;
use reelsmith_sim::{SimConfig, Simulator};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const IMAGE_TO_VIDEO: &str = "fal-ai/veo3.1/fast/image-to-video";

pub async fn start(queue_ms: u64, run_ms: u64) -> Simulator {
    let sim = Simulator::start(SimConfig {
        queue_time: Duration::from_millis(queue_ms),
        run_time: Duration::from_millis(run_ms),
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    // Short clips keep the renders in these tests quick.
    sim.set_max_clip_seconds(0.5);
    sim
}

pub fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

pub fn auth(sim: &Simulator) -> String {
    format!("Key {}", sim.key())
}

/// A test picture with structure in both directions, so a pan and a decode can be compared.
pub fn test_picture(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x * 255 / w) as u8,
            (y * 255 / h) as u8,
            if (x / 40 + y / 40) % 2 == 0 { 200 } else { 40 },
        ])
    })
}

pub fn png_bytes(picture: &RgbImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    picture
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

/// initiate + PUT, as fal's JS client does; returns the CDN URL.
pub async fn upload(sim: &Simulator, bytes: Vec<u8>, name: &str, content_type: &str) -> String {
    let client = http();
    let init: Value = client
        .post(format!(
            "{}/storage/upload/initiate?storage_type=fal-cdn-v3",
            sim.rest_url()
        ))
        .header("Authorization", auth(sim))
        .json(&json!({"content_type": content_type, "file_name": name}))
        .send()
        .await
        .expect("initiate")
        .json()
        .await
        .expect("initiate json");
    let put = client
        .put(init["upload_url"].as_str().expect("upload_url"))
        .header("Content-Type", content_type)
        .body(bytes)
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), StatusCode::OK);
    init["file_url"].as_str().expect("file_url").to_string()
}

pub async fn submit(sim: &Simulator, endpoint: &str, input: &Value) -> reqwest::Response {
    http()
        .post(format!("{}/{endpoint}", sim.queue_url()))
        .header("Authorization", auth(sim))
        .json(input)
        .send()
        .await
        .expect("submit")
}

pub async fn submit_ok(sim: &Simulator, endpoint: &str, input: &Value) -> Value {
    let response = submit(sim, endpoint, input).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("submit json")
}

/// Polls the status URL until COMPLETED; returns every (HTTP status, body) seen.
pub async fn poll_until_done(sim: &Simulator, status_url: &str) -> Vec<(u16, Value)> {
    let client = http();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut seen = Vec::new();
    loop {
        let response = client
            .get(format!("{status_url}?logs=1"))
            .header("Authorization", auth(sim))
            .send()
            .await
            .expect("status");
        let code = response.status().as_u16();
        let body: Value = response.json().await.expect("status json");
        let done = body["status"] == "COMPLETED";
        seen.push((code, body));
        if done {
            return seen;
        }
        assert!(Instant::now() < deadline, "job never completed: {seen:?}");
        tokio::time::sleep(Duration::from_millis(40)).await;
    }
}

pub async fn get_json(sim: &Simulator, url: &str) -> (u16, Value) {
    let response = http()
        .get(url)
        .header("Authorization", auth(sim))
        .send()
        .await
        .expect("get");
    let code = response.status().as_u16();
    (code, response.json().await.expect("json body"))
}

/// Turns an MP4 sample (4-byte length-prefixed NAL units) into Annex-B with SPS/PPS in front.
pub fn annex_b(sps: &[u8], pps: &[u8], sample: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for nal in [sps, pps] {
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(nal);
    }
    let mut rest = sample;
    while rest.len() >= 4 {
        let len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        out.extend_from_slice(&[0, 0, 0, 1]);
        out.extend_from_slice(&rest[4..4 + len]);
        rest = &rest[4 + len..];
    }
    out
}

pub fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let total: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (*x as i32 - *y as i32).unsigned_abs() as u64)
        .sum();
    total as f64 / a.len() as f64
}

/// Splits an SSE body into its `data:` JSON events and counts `: ping` comments.
pub fn parse_sse(text: &str) -> (Vec<Value>, usize) {
    let mut events = Vec::new();
    let mut pings = 0;
    for block in text.split("\n\n").filter(|b| !b.is_empty()) {
        for line in block.lines() {
            if let Some(data) = line.strip_prefix("data: ") {
                events.push(serde_json::from_str(data).expect("event is JSON"));
            } else if line == ": ping" {
                pings += 1;
            } else {
                panic!("unexpected SSE line {line:?}");
            }
        }
    }
    (events, pings)
}
