//! The queue over HTTP: a job from submit to a playable MP4, the status stream, validation,
//! the key, model errors, cancel and input URLs.

use std::io::Cursor;
use std::time::Duration;

use reelsmith_sim::clip::{ClipSpec, clip_frame};
use reelsmith_sim::{CANCELLED_ERROR_TYPE, StoredKind};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

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
