//! The simulator over real HTTP on loopback, spoken to with plain reqwest (not the fal client):
//! queue statuses over time, the SSE stream, results and a playable MP4 on the CDN, validation,
//! auth, storage (single and multipart), every fault knob, cancel, and input URL checks.

use std::io::Cursor;
use std::time::{Duration, Instant};

use image::RgbImage;
use reelsmith_sim::clip::{ClipSpec, clip_frame};
use reelsmith_sim::{CANCELLED_ERROR_TYPE, Route, SimConfig, Simulator, StoredKind};
use reqwest::StatusCode;
use serde_json::{Value, json};

const IMAGE_TO_VIDEO: &str = "fal-ai/veo3.1/fast/image-to-video";

async fn start(queue_ms: u64, run_ms: u64) -> Simulator {
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

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

fn auth(sim: &Simulator) -> String {
    format!("Key {}", sim.key())
}

/// A test picture with structure in both directions, so a pan and a decode can be compared.
fn test_picture(w: u32, h: u32) -> RgbImage {
    RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([
            (x * 255 / w) as u8,
            (y * 255 / h) as u8,
            if (x / 40 + y / 40) % 2 == 0 { 200 } else { 40 },
        ])
    })
}

fn png_bytes(picture: &RgbImage) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    picture
        .write_to(&mut out, image::ImageFormat::Png)
        .expect("encode png");
    out.into_inner()
}

/// initiate + PUT, as fal's JS client does; returns the CDN URL.
async fn upload(sim: &Simulator, bytes: Vec<u8>, name: &str, content_type: &str) -> String {
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

async fn submit(sim: &Simulator, endpoint: &str, input: &Value) -> reqwest::Response {
    http()
        .post(format!("{}/{endpoint}", sim.queue_url()))
        .header("Authorization", auth(sim))
        .json(input)
        .send()
        .await
        .expect("submit")
}

async fn submit_ok(sim: &Simulator, endpoint: &str, input: &Value) -> Value {
    let response = submit(sim, endpoint, input).await;
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.expect("submit json")
}

/// Polls the status URL until COMPLETED; returns every (HTTP status, body) seen.
async fn poll_until_done(sim: &Simulator, status_url: &str) -> Vec<(u16, Value)> {
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

async fn get_json(sim: &Simulator, url: &str) -> (u16, Value) {
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
fn annex_b(sps: &[u8], pps: &[u8], sample: &[u8]) -> Vec<u8> {
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

fn mean_abs_diff(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len());
    let total: u64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (*x as i32 - *y as i32).unsigned_abs() as u64)
        .sum();
    total as f64 / a.len() as f64
}

#[tokio::test]
async fn a_job_goes_from_queue_to_a_playable_mp4() {
    let sim = start(400, 400).await;
    let picture = test_picture(640, 360);
    let image_url = upload(&sim, png_bytes(&picture), "start frame.png", "image/png").await;
    assert!(image_url.starts_with(&format!("{}/cdn/files/", sim.base_url())));

    let input = json!({"prompt": "a slow pan", "image_url": image_url, "aspect_ratio": "16:9",
                       "duration": "4s", "seed": 42});
    let response = submit(&sim, IMAGE_TO_VIDEO, &input).await;
    assert_eq!(response.status(), StatusCode::OK);
    let header_id = response
        .headers()
        .get("x-fal-request-id")
        .expect("x-fal-request-id")
        .to_str()
        .expect("ascii")
        .to_string();
    let queued: Value = response.json().await.expect("json");
    let id = queued["request_id"].as_str().expect("request_id");
    assert_eq!(header_id, id);
    assert_eq!(queued["status"], "IN_QUEUE");
    assert_eq!(queued["queue_position"], 3);
    // Status, result and cancel use owner/alias, without the sub-path.
    let base = format!("{}/fal-ai/veo3.1/requests/{id}", sim.queue_url());
    assert_eq!(queued["response_url"], base);
    assert_eq!(queued["status_url"], format!("{base}/status"));
    assert_eq!(queued["cancel_url"], format!("{base}/cancel"));
    assert_eq!(sim.submissions()[0].input, input);

    // The result is not there yet: 400, and the with-sub-path form of the URL works too.
    let (code, _) = get_json(
        &sim,
        &format!("{}/{IMAGE_TO_VIDEO}/requests/{id}", sim.queue_url()),
    )
    .await;
    assert_eq!(code, 400);

    let seen = poll_until_done(&sim, queued["status_url"].as_str().expect("url")).await;
    let positions: Vec<u64> = seen
        .iter()
        .filter(|(_, b)| b["status"] == "IN_QUEUE")
        .map(|(_, b)| b["queue_position"].as_u64().expect("position"))
        .collect();
    assert!(positions.len() >= 2, "{seen:?}");
    assert!(positions.windows(2).all(|w| w[0] >= w[1]), "{positions:?}");
    assert!(positions.first() > positions.last(), "{positions:?}");
    assert!(seen.iter().any(|(_, b)| b["status"] == "IN_PROGRESS"));
    for (code, body) in &seen {
        let expected = if body["status"] == "COMPLETED" {
            200
        } else {
            202
        };
        assert_eq!(*code, expected, "{body}");
    }
    let (_, done) = seen.last().expect("last").clone();
    assert!(done["metrics"]["inference_time"].as_f64().is_some());
    assert!(done["logs"].as_array().expect("logs").len() >= 3);
    assert!(done.get("error").is_none());

    let (code, result) = get_json(&sim, &base).await;
    assert_eq!(code, 200);
    assert_eq!(result["seed"], 42);
    let video = &result["video"];
    assert_eq!(video["content_type"], "video/mp4");
    assert_eq!(video["file_name"], "output.mp4");

    // The CDN needs no key; the file is what the result says.
    let download = http()
        .get(video["url"].as_str().expect("video url"))
        .send()
        .await
        .expect("download");
    assert_eq!(download.status(), StatusCode::OK);
    let mp4_bytes = download.bytes().await.expect("bytes").to_vec();
    assert_eq!(video["file_size"].as_u64(), Some(mp4_bytes.len() as u64));
    assert_eq!(&mp4_bytes[4..8], b"ftyp");

    let size = mp4_bytes.len() as u64;
    let mut reader = mp4::Mp4Reader::read_header(Cursor::new(mp4_bytes), size).expect("parse mp4");
    assert_eq!(reader.ftyp.major_brand.to_string(), "isom");
    // Veo image-to-video makes sound by default: a picture track and an AAC track.
    assert_eq!(reader.moov.traks.len(), 2);
    let sound = reader.tracks().get(&2).expect("sound track");
    assert_eq!(sound.box_type().expect("box").to_string(), "mp4a");
    let track = reader.tracks().get(&1).expect("video track");
    assert_eq!(track.box_type().expect("box").to_string(), "avc1");
    assert_eq!((track.width(), track.height()), (320, 176));
    assert!((track.frame_rate() - 24.0).abs() < 0.01);
    // 4 s asked, capped at 0.5 s by the knob: 12 frames.
    assert_eq!(reader.sample_count(1).expect("count"), 12);
    let sps = track.sequence_parameter_set().expect("sps").to_vec();
    let pps = track.picture_parameter_set().expect("pps").to_vec();
    let first = reader.read_sample(1, 1).expect("read").expect("sample");
    assert!(first.is_sync);

    let mut decoder = openh264::decoder::Decoder::new().expect("decoder");
    let decoded = decoder
        .decode(&annex_b(&sps, &pps, &first.bytes))
        .expect("decode")
        .expect("a picture");
    let mut rgb = vec![0u8; 320 * 176 * 3];
    decoded.write_rgb8(&mut rgb);
    let spec = ClipSpec {
        width: 320,
        height: 176,
        fps: 24,
        frames: 12,
    };
    let expected = clip_frame(&spec, Some(&picture), 0);
    let diff = mean_abs_diff(&rgb, expected.as_raw());
    assert!(
        diff < 8.0,
        "decoded frame differs from clip_frame(0) by {diff}"
    );
    // And it is not just any picture: the last frame of the pan is further away.
    let last = clip_frame(&spec, Some(&picture), 11);
    assert!(mean_abs_diff(&rgb, last.as_raw()) > diff);

    let results: Vec<_> = sim
        .stored_files()
        .into_iter()
        .filter(|f| f.kind == StoredKind::Result)
        .collect();
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].file_url, video["url"].as_str().expect("url"));
    sim.shutdown().await;
}

/// Splits an SSE body into its `data:` JSON events and counts `: ping` comments.
fn parse_sse(text: &str) -> (Vec<Value>, usize) {
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

#[tokio::test]
async fn status_stream_sends_changes_pings_and_only_new_logs() {
    let sim = start(300, 600).await;
    sim.set_ping_interval(Duration::from_millis(40));
    let queued = submit_ok(&sim, "fal-ai/veo3.1", &json!({"prompt": "waves"})).await;
    let stream_url = format!(
        "{}/stream?logs=1",
        queued["status_url"].as_str().expect("url")
    );
    let response = http()
        .get(&stream_url)
        .header("Authorization", auth(&sim))
        .header("Accept", "text/event-stream")
        .send()
        .await
        .expect("stream");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()["content-type"].to_str().expect("ascii"),
        "text/event-stream"
    );
    let text = tokio::time::timeout(Duration::from_secs(30), response.text())
        .await
        .expect("stream ends after COMPLETED")
        .expect("body");
    let (events, pings) = parse_sse(&text);
    assert!(pings >= 1, "no ping in {text}");
    let statuses: Vec<&str> = events
        .iter()
        .map(|e| e["status"].as_str().expect("status"))
        .collect();
    assert_eq!(statuses.first(), Some(&"IN_QUEUE"));
    assert_eq!(statuses.last(), Some(&"COMPLETED"));
    assert!(statuses.contains(&"IN_PROGRESS"));
    assert_eq!(statuses.iter().filter(|s| **s == "COMPLETED").count(), 1);
    let positions: Vec<u64> = events
        .iter()
        .filter_map(|e| e["queue_position"].as_u64())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] > w[1]), "{positions:?}");

    // Each event carries only lines not sent before; together they are the whole log.
    let streamed: Vec<String> = events
        .iter()
        .flat_map(|e| e["logs"].as_array().cloned().unwrap_or_default())
        .map(|l| l["message"].as_str().expect("message").to_string())
        .collect();
    let (_, full) = get_json(
        &sim,
        &format!("{}?logs=1", queued["status_url"].as_str().expect("url")),
    )
    .await;
    let all: Vec<String> = full["logs"]
        .as_array()
        .expect("logs")
        .iter()
        .map(|l| l["message"].as_str().expect("message").to_string())
        .collect();
    assert!(all.len() >= 3);
    assert_eq!(streamed, all);
    sim.shutdown().await;
}

#[tokio::test]
async fn status_stream_without_logs_sends_state_changes_only() {
    let sim = start(200, 400).await;
    let queued = submit_ok(&sim, "fal-ai/veo3.1", &json!({"prompt": "waves"})).await;
    let text = http()
        .get(format!(
            "{}/stream",
            queued["status_url"].as_str().expect("url")
        ))
        .header("Authorization", auth(&sim))
        .send()
        .await
        .expect("stream")
        .text()
        .await
        .expect("body");
    let (events, _) = parse_sse(&text);
    assert!(events.iter().all(|e| e.get("logs").is_none()), "{text}");
    let running = events
        .iter()
        .filter(|e| e["status"] == "IN_PROGRESS")
        .count();
    assert_eq!(running, 1, "{text}");
    assert_eq!(events.last().expect("event")["status"], "COMPLETED");
    sim.shutdown().await;
}

#[tokio::test]
async fn invalid_submissions_get_422_in_fal_shape() {
    let sim = start(100, 100).await;
    let cases = [
        (
            IMAGE_TO_VIDEO,
            json!({"image_url": "x"}),
            json!(["body", "prompt"]),
            "missing",
        ),
        (
            IMAGE_TO_VIDEO,
            json!({"prompt": "p", "image_url": "x", "aspect_ratio": "4:3"}),
            json!(["body", "aspect_ratio"]),
            "one_of",
        ),
        (
            IMAGE_TO_VIDEO,
            json!({"prompt": "p", "image_url": "x", "seed": 5.0}),
            json!(["body", "seed"]),
            "int_type",
        ),
        (
            "fal-ai/video-as-prompt",
            json!({"prompt": "p", "video_url": "v", "image_url": "i",
                   "video_description": "d", "num_frames": 49.0}),
            json!(["body", "num_frames"]),
            "int_type",
        ),
    ];
    for (endpoint, input, loc, kind) in cases {
        let response = submit(&sim, endpoint, &input).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{input}"
        );
        let body: Value = response.json().await.expect("json");
        let detail = body["detail"].as_array().expect("detail list");
        assert_eq!(detail.len(), 1, "{body}");
        assert_eq!(detail[0]["loc"], loc);
        assert_eq!(detail[0]["type"], kind);
        assert!(detail[0]["msg"].as_str().is_some_and(|m| !m.is_empty()));
    }
    let response = submit(
        &sim,
        IMAGE_TO_VIDEO,
        &json!({"prompt": "p", "image_url": "x", "aspect_ratio": "4:3"}),
    )
    .await;
    let body: Value = response.json().await.expect("json");
    assert_eq!(
        body["detail"][0]["ctx"]["expected"],
        json!(["auto", "16:9", "9:16"])
    );
    assert_eq!(body["detail"][0]["input"], "4:3");
    assert_eq!(
        body["detail"][0]["url"],
        "https://docs.fal.ai/errors/#one_of"
    );
    assert!(sim.submissions().is_empty());

    let unknown = submit(&sim, "fal-ai/not-a-model", &json!({"prompt": "p"})).await;
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    sim.shutdown().await;
}

#[tokio::test]
async fn a_wrong_key_is_refused_without_echoing_it() {
    let sim = start(100, 100).await;
    let secret = "leaky-key-id:leaky-key-secret-123";
    let client = http();
    let response = client
        .post(format!("{}/fal-ai/veo3.1", sim.queue_url()))
        .header("Authorization", format!("Key {secret}"))
        .json(&json!({"prompt": "p"}))
        .send()
        .await
        .expect("submit");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let text = response.text().await.expect("body");
    assert!(!text.contains("leaky"), "{text}");
    assert!(serde_json::from_str::<Value>(&text).expect("json")["detail"].is_string());

    let response = client
        .post(format!("{}/fal-ai/veo3.1", sim.queue_url()))
        .json(&json!({"prompt": "p"}))
        .send()
        .await
        .expect("submit");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);

    let response = client
        .post(format!("{}/storage/upload/initiate", sim.rest_url()))
        .header("Authorization", format!("Key {secret}"))
        .json(&json!({}))
        .send()
        .await
        .expect("initiate");
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    assert!(!response.text().await.expect("body").contains("leaky"));

    // The right key on a made-up request: 404 NOT_FOUND (how a client checks a key).
    let (code, body) = get_json(
        &sim,
        &format!("{}/fal-ai/veo3.1/requests/made-up/status", sim.queue_url()),
    )
    .await;
    assert_eq!(code, 404);
    assert_eq!(body, json!({"status": "NOT_FOUND"}));
    assert!(sim.submissions().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn uploads_land_on_the_cdn_which_honours_range() {
    let sim = start(100, 100).await;
    let client = http();
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let init: Value = client
        .post(format!(
            "{}/storage/upload/initiate?storage_type=fal-cdn-v3",
            sim.rest_url()
        ))
        .header("Authorization", auth(&sim))
        .json(&json!({"content_type": "application/octet-stream", "file_name": "blob.bin"}))
        .send()
        .await
        .expect("initiate")
        .json()
        .await
        .expect("json");
    let upload_url = init["upload_url"].as_str().expect("upload_url");
    let file_url = init["file_url"].as_str().expect("file_url");
    assert!(upload_url.starts_with(&format!("{}/upload/", sim.base_url())));
    assert!(file_url.ends_with("/blob.bin"));

    // Before the PUT the CDN has nothing there.
    assert_eq!(
        client.get(file_url).send().await.expect("get").status(),
        StatusCode::NOT_FOUND
    );
    // Credentials are refused by pre-signed URLs and the CDN.
    let with_key = client
        .put(upload_url)
        .header("Authorization", auth(&sim))
        .body(data.clone())
        .send()
        .await
        .expect("put");
    assert_eq!(with_key.status(), StatusCode::BAD_REQUEST);
    let (bare, _) = upload_url.split_once('?').expect("signed query");
    let unsigned = client
        .put(bare)
        .body(data.clone())
        .send()
        .await
        .expect("put");
    assert_eq!(unsigned.status(), StatusCode::FORBIDDEN);

    let put = client
        .put(upload_url)
        .body(data.clone())
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), StatusCode::OK);
    assert!(put.headers().contains_key("etag"));

    let whole = client.get(file_url).send().await.expect("get");
    assert_eq!(whole.status(), StatusCode::OK);
    assert_eq!(whole.headers()["accept-ranges"], "bytes");
    assert_eq!(whole.headers()["content-length"], "100000");
    assert_eq!(whole.bytes().await.expect("bytes").to_vec(), data);

    let head = client.head(file_url).send().await.expect("head");
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()["content-length"], "100000");
    assert_eq!(head.headers()["content-type"], "application/octet-stream");

    let part = client
        .get(file_url)
        .header("Range", "bytes=1000-1999")
        .send()
        .await
        .expect("range");
    assert_eq!(part.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(part.headers()["content-range"], "bytes 1000-1999/100000");
    assert_eq!(
        part.bytes().await.expect("bytes").to_vec(),
        data[1000..2000]
    );

    let tail = client
        .get(file_url)
        .header("Range", "bytes=99990-")
        .send()
        .await
        .expect("range");
    assert_eq!(tail.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(tail.bytes().await.expect("bytes").to_vec(), data[99990..]);

    let beyond = client
        .get(file_url)
        .header("Range", "bytes=100000-")
        .send()
        .await
        .expect("range");
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(beyond.headers()["content-range"], "bytes */100000");

    let with_key = client
        .get(file_url)
        .header("Authorization", auth(&sim))
        .send()
        .await
        .expect("get");
    assert_eq!(with_key.status(), StatusCode::FORBIDDEN);
    assert!(!with_key.text().await.expect("body").contains(&sim.key()));

    let stored = sim.stored_files();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].size, 100_000);
    assert_eq!(stored[0].kind, StoredKind::Upload);
    assert_eq!(
        stored[0].blake3_hex,
        blake3::hash(&data).to_hex().to_string()
    );
    assert_eq!(std::fs::read(&stored[0].path).expect("on disk"), data);
    sim.shutdown().await;
}

/// Runs fal's JS multipart flow with parts of the given sizes; returns (the bytes sent, the
/// bytes the CDN serves afterwards).
async fn multipart_round_trip(sim: &Simulator, sizes: &[usize]) -> (Vec<u8>, Vec<u8>) {
    let client = http();
    let init: Value = client
        .post(format!(
            "{}/storage/upload/initiate-multipart?storage_type=fal-cdn-v3",
            sim.rest_url()
        ))
        .header("Authorization", auth(sim))
        .json(&json!({"content_type": "video/mp4", "file_name": "big.mp4"}))
        .send()
        .await
        .expect("initiate")
        .json()
        .await
        .expect("json");
    let upload_url =
        url::Url::parse(init["upload_url"].as_str().expect("upload_url")).expect("url");
    let query = upload_url
        .query()
        .map(|q| format!("?{q}"))
        .unwrap_or_default();
    let origin_path = format!(
        "{}{}",
        upload_url.origin().ascii_serialization(),
        upload_url.path()
    );
    let parts: Vec<Vec<u8>> = sizes
        .iter()
        .enumerate()
        .map(|(i, n)| (0..*n).map(|j| ((i * 7 + j) % 241) as u8).collect())
        .collect();
    let mut listed = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let n = i + 1;
        let response = client
            .put(format!("{origin_path}/{n}{query}"))
            .body(part.clone())
            .send()
            .await
            .expect("part");
        assert_eq!(response.status(), StatusCode::OK);
        let header_etag = response.headers()["etag"]
            .to_str()
            .expect("ascii")
            .to_string();
        let body: Value = response.json().await.expect("json");
        assert_eq!(body["partNumber"], n);
        let etag = body["etag"].as_str().expect("etag").to_string();
        assert_eq!(header_etag.trim_matches('"'), etag);
        listed.push(json!({"partNumber": n, "etag": etag}));
    }
    // A wrong etag is refused and changes nothing.
    let mut wrong = listed.clone();
    wrong[0]["etag"] = json!("0000");
    let refused = client
        .post(format!("{origin_path}/complete{query}"))
        .json(&json!({"parts": wrong}))
        .send()
        .await
        .expect("complete");
    assert_eq!(refused.status(), StatusCode::BAD_REQUEST);

    let done = client
        .post(format!("{origin_path}/complete{query}"))
        .json(&json!({"parts": listed}))
        .send()
        .await
        .expect("complete");
    assert_eq!(done.status(), StatusCode::OK);
    let file_url = init["file_url"].as_str().expect("file_url");
    let got = client.get(file_url).send().await.expect("get");
    assert_eq!(got.headers()["content-type"], "video/mp4");
    let got = got.bytes().await.expect("bytes").to_vec();
    (parts.concat(), got)
}

#[tokio::test]
async fn multipart_uploads_join_their_parts() {
    let sim = start(100, 100).await;
    const MIB: usize = 1 << 20;
    // fal's 10 MiB parts (written in place), odd small parts (joined), an oversized part.
    for sizes in [
        vec![10 * MIB, 10 * MIB, 1234],
        vec![70_000, 70_001, 70_002],
        vec![10 * MIB + 5, 3],
        vec![17],
    ] {
        let (sent, served) = multipart_round_trip(&sim, &sizes).await;
        assert!(sent == served, "content differs for part sizes {sizes:?}");
        let stored = sim.stored_files().pop().expect("stored");
        assert_eq!(stored.size, sent.len() as u64);
        assert_eq!(stored.blake3_hex, blake3::hash(&sent).to_hex().to_string());
    }
    assert!(
        sim.requests()
            .iter()
            .filter(|r| r.route == Route::UploadPut)
            .all(|r| r.authorization.is_none())
    );
    // No part files are left behind once the uploads are complete.
    let root = sim.stored_files()[0]
        .path
        .parent()
        .and_then(|p| p.parent())
        .expect("root")
        .to_path_buf();
    assert_eq!(
        std::fs::read_dir(root.join("parts"))
            .expect("parts")
            .count(),
        0
    );
    sim.shutdown().await;
}

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

#[tokio::test]
async fn a_model_error_completes_the_job_with_fal_error_fields() {
    let sim = start(100, 150).await;
    sim.model_error_next(
        "content_policy_violation",
        "The prompt was flagged by the filter",
    );
    let queued = submit_ok(&sim, "fal-ai/veo3.1", &json!({"prompt": "p"})).await;
    let seen = poll_until_done(&sim, queued["status_url"].as_str().expect("url")).await;
    let (code, done) = seen.last().expect("last").clone();
    assert_eq!(code, 200);
    assert_eq!(done["error_type"], "content_policy_violation");
    assert_eq!(done["error"], "The prompt was flagged by the filter");
    let (code, body) = get_json(&sim, queued["response_url"].as_str().expect("url")).await;
    assert_eq!(code, 422);
    assert_eq!(
        body,
        json!({"detail": [{"loc": ["body", "prompt"], "msg": "The prompt was flagged by the filter",
                           "type": "content_policy_violation"}]})
    );

    // Only the next job: the one after succeeds.
    let queued = submit_ok(&sim, "fal-ai/veo3.1", &json!({"prompt": "p"})).await;
    let seen = poll_until_done(&sim, queued["status_url"].as_str().expect("url")).await;
    assert!(seen.last().expect("last").1.get("error").is_none());
    sim.shutdown().await;
}

#[tokio::test]
async fn cancel_answers_202_then_400_and_404_for_unknown() {
    let sim = start(5_000, 5_000).await;
    let queued = submit_ok(&sim, "fal-ai/veo3.1", &json!({"prompt": "p"})).await;
    let client = http();
    let cancel_url = queued["cancel_url"].as_str().expect("cancel_url");
    let first = client
        .put(cancel_url)
        .header("Authorization", auth(&sim))
        .send()
        .await
        .expect("cancel");
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    assert_eq!(
        first.json::<Value>().await.expect("json"),
        json!({"status": "CANCELLATION_REQUESTED"})
    );
    let (code, status) = get_json(&sim, queued["status_url"].as_str().expect("url")).await;
    assert_eq!(code, 200);
    assert_eq!(status["status"], "COMPLETED");
    assert_eq!(status["error_type"], CANCELLED_ERROR_TYPE);

    let second = client
        .put(cancel_url)
        .header("Authorization", auth(&sim))
        .send()
        .await
        .expect("cancel");
    assert_eq!(second.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        second.json::<Value>().await.expect("json"),
        json!({"status": "ALREADY_COMPLETED"})
    );

    let unknown = client
        .put(format!(
            "{}/fal-ai/veo3.1/requests/nope/cancel",
            sim.queue_url()
        ))
        .header("Authorization", auth(&sim))
        .send()
        .await
        .expect("cancel");
    assert_eq!(unknown.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        unknown.json::<Value>().await.expect("json"),
        json!({"status": "NOT_FOUND"})
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn an_input_url_not_on_the_cdn_fails_the_job() {
    let sim = start(100, 150).await;
    let good = upload(
        &sim,
        png_bytes(&test_picture(400, 400)),
        "ref.png",
        "image/png",
    )
    .await;
    // The simulator never fetches this; it only sees that it is not one of its files.
    let input = json!({
        "prompt": "@Element1 walks",
        "image_urls": [good],
        "elements": [{"frontal_image_url": "https://example.com/face.png",
                      "reference_image_urls": [good]}],
    });
    let queued = submit_ok(
        &sim,
        "fal-ai/kling-video/o1/standard/reference-to-video",
        &input,
    )
    .await;
    let seen = poll_until_done(&sim, queued["status_url"].as_str().expect("url")).await;
    let done = &seen.last().expect("last").1;
    assert_eq!(done["error_type"], "file_download_error");
    assert!(
        done["error"]
            .as_str()
            .expect("error")
            .contains("elements.0.frontal_image_url")
    );
    let (code, body) = get_json(&sim, queued["response_url"].as_str().expect("url")).await;
    assert_eq!(code, 422);
    assert_eq!(
        body["detail"][0]["loc"],
        json!(["body", "elements", 0, "frontal_image_url"])
    );
    assert_eq!(body["detail"][0]["type"], "file_download_error");
    sim.shutdown().await;
}

#[tokio::test]
async fn openapi_documents_are_served_without_a_key() {
    let extra = json!({"openapi": "3.0.4", "paths": {}, "info": {"title": "extra"}});
    let sim = Simulator::start(SimConfig {
        extra_documents: vec![("me/extra-model".to_string(), extra.clone())],
        ..SimConfig::default()
    })
    .await
    .expect("start");
    let client = http();
    for (id, text) in reelsmith_core::catalog::bundled::bundled_documents() {
        let response = client
            .get(format!("{}?endpoint_id={id}", sim.openapi_url()))
            .send()
            .await
            .expect("openapi");
        assert_eq!(response.status(), StatusCode::OK, "{id}");
        let served: Value = response.json().await.expect("json");
        let bundled: Value = serde_json::from_str(text).expect("bundled json");
        assert_eq!(served, bundled, "{id}");
    }
    let served: Value = client
        .get(format!("{}?endpoint_id=me/extra-model", sim.openapi_url()))
        .send()
        .await
        .expect("openapi")
        .json()
        .await
        .expect("json");
    assert_eq!(served, extra);
    let missing = client
        .get(format!("{}?endpoint_id=fal-ai/nothing", sim.openapi_url()))
        .send()
        .await
        .expect("openapi");
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    sim.shutdown().await;
}

#[tokio::test]
async fn shutdown_stops_serving_and_removes_temporary_storage() {
    let sim = start(100, 100).await;
    let url = upload(&sim, vec![1, 2, 3], "x.bin", "application/octet-stream").await;
    let stored = sim.stored_files();
    let root = stored[0]
        .path
        .parent()
        .and_then(|p| p.parent())
        .expect("storage root")
        .to_path_buf();
    assert!(root.exists());
    sim.shutdown().await;
    assert!(!root.exists(), "{} still exists", root.display());
    assert!(http().get(&url).send().await.is_err());
}

#[tokio::test]
async fn storage_left_by_a_killed_simulator_is_swept() {
    // A process id above Linux's maximum (4194304) can never be alive.
    let parent = std::env::temp_dir();
    let abandoned = parent.join("reelsmith-sim-999999999-0123456789abcdef");
    std::fs::create_dir_all(abandoned.join("files")).expect("create");
    std::fs::write(abandoned.join("files").join("x"), b"left over").expect("write");
    let sim = start(100, 100).await;
    if std::path::Path::new("/proc/self").exists() {
        assert!(!abandoned.exists(), "abandoned storage was not removed");
    }
    // The running simulator's own storage is a sibling and is kept.
    upload(&sim, vec![1], "x.bin", "application/octet-stream").await;
    let own = sim.stored_files()[0].path.clone();
    assert!(own.starts_with(sim.storage_dir()));
    assert_eq!(sim.storage_dir().parent(), Some(parent.as_path()));
    assert!(own.exists());
    sim.shutdown().await;
    let _ = std::fs::remove_dir_all(abandoned);
}
