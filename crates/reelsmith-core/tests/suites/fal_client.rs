//! The fal client against the real simulator over loopback, once per seed endpoint: local files
//! are uploaded, CDN URLs pass through untouched, the status stream is followed to the end and
//! the MP4 is downloaded. Assertions are on what the simulator received and stored.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use reelsmith_core::fal::{CancelOutcome, ClientOptions, FalClient, StatusEvent};
use reelsmith_sim::clip::{ClipSpec, render_clip};
use reelsmith_sim::{Route, SimConfig, Simulator};
use serde_json::{Value, json};

use crate::common;

async fn start_sim() -> Simulator {
    let sim = Simulator::start(SimConfig {
        queue_time: Duration::from_millis(700),
        run_time: Duration::from_millis(900),
        ..common::sim_config(module_path!())
    })
    .await
    .expect("simulator starts");
    // Short clips keep nine parallel renders cheap; the format is what matters here.
    sim.set_max_clip_seconds(1.0);
    sim
}

fn client_for(sim: &Simulator) -> FalClient {
    common::client_for(
        sim,
        &sim.key(),
        Duration::from_millis(20),
        Duration::from_millis(200),
        ClientOptions {
            stream_stall_timeout: Duration::from_secs(5),
            poll_interval: Duration::from_millis(100),
            ..ClientOptions::default()
        },
    )
}

/// Writes a test input named `name` (`png*`, `jpg*` or `mp4*`) with content that differs by `shade`.
fn make_file(dir: &Path, name: &str, shade: u8) -> PathBuf {
    let picture = image::RgbImage::from_fn(640, 360, |x, y| {
        image::Rgb([
            (x / 3) as u8 ^ shade,
            (y * 2 / 3) as u8,
            shade.wrapping_mul(7),
        ])
    });
    if name.starts_with("mp4") {
        let path = dir.join(format!("{name}.mp4"));
        let spec = ClipSpec {
            width: 320,
            height: 192,
            fps: 24,
            frames: 24,
        };
        let small =
            image::imageops::resize(&picture, 320, 192, image::imageops::FilterType::Triangle);
        std::fs::write(&path, render_clip(&spec, Some(&small)).unwrap()).unwrap();
        path
    } else {
        let ext = if name.starts_with("png") {
            "png"
        } else {
            "jpg"
        };
        let path = dir.join(format!("{name}.{ext}"));
        picture.save(&path).unwrap();
        path
    }
}

fn blake3_file(path: &Path) -> String {
    blake3::hash(&std::fs::read(path).unwrap())
        .to_hex()
        .to_string()
}

/// One endpoint's test: which files are local (uploaded in the test), which are already on the
/// CDN (their URLs must arrive untouched), how to build the input, which fields are integers.
struct Case {
    endpoint: &'static str,
    local: &'static [&'static str],
    on_cdn: &'static [&'static str],
    input: fn(&HashMap<&'static str, String>) -> Value,
    integers: &'static [&'static str],
}

async fn run_case(case: Case) {
    let sim = start_sim().await;
    let client = client_for(&sim);
    let dir = tempfile::tempdir().unwrap();
    let mut urls: HashMap<&'static str, String> = HashMap::new();
    let mut local_hashes: HashMap<String, String> = HashMap::new();

    // Files "already on the CDN" were put there before this job; their URLs go in as given.
    for (i, name) in case.on_cdn.iter().enumerate() {
        let path = make_file(dir.path(), name, 200 + i as u8);
        let up = client.upload_file(&path, |_, _| {}).await.unwrap();
        urls.insert(name, up.url);
    }
    let cdn_urls: Vec<String> = case.on_cdn.iter().map(|n| urls[n].clone()).collect();
    let before_job = sim.requests().len();

    for (i, name) in case.local.iter().enumerate() {
        let path = make_file(dir.path(), name, 10 + 40 * i as u8);
        let size = std::fs::metadata(&path).unwrap().len();
        let last = Mutex::new((0u64, 0u64));
        let up = client
            .upload_file(&path, |sent, total| *last.lock().unwrap() = (sent, total))
            .await
            .unwrap();
        assert_eq!(
            *last.lock().unwrap(),
            (size, size),
            "{name}: progress reaches the size"
        );
        assert_eq!(up.size, size);
        let expected_type = if name.starts_with("png") {
            "image/png"
        } else if name.starts_with("jpg") {
            "image/jpeg"
        } else {
            "video/mp4"
        };
        assert_eq!(
            up.content_type, expected_type,
            "{name}: MIME type from content"
        );
        local_hashes.insert(up.url.clone(), blake3_file(&path));
        urls.insert(name, up.url);
    }

    let input = (case.input)(&urls);
    let handle = client.submit(case.endpoint, &input).await.unwrap();
    assert_eq!(handle.endpoint_id, case.endpoint);
    let mut events = Vec::new();
    let completed = client.follow(&handle, |e| events.push(e)).await.unwrap();

    // The stream showed the whole life of the job, without needing polling.
    let positions: Vec<u64> = events
        .iter()
        .filter_map(|e| match e {
            StatusEvent::Queued { position } => *position,
            _ => None,
        })
        .collect();
    assert!(!positions.is_empty(), "queue positions seen: {events:?}");
    assert!(
        positions.windows(2).all(|w| w[0] > w[1]),
        "positions fall: {positions:?}"
    );
    let running_at = events
        .iter()
        .position(|e| *e == StatusEvent::Running)
        .expect("Running seen");
    let logs: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            StatusEvent::Log(l) => Some(l.clone()),
            _ => None,
        })
        .collect();
    assert!(!logs.is_empty(), "log lines seen: {events:?}");
    assert!(
        events
            .iter()
            .position(|e| matches!(e, StatusEvent::Log(_)))
            .unwrap()
            > running_at
    );
    assert_eq!(
        completed.logs, logs,
        "Completed carries every log line once"
    );
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, StatusEvent::FellBackToPolling { .. }))
    );

    let result = client.result(&handle).await.unwrap();
    let video = &result["video"];
    assert_eq!(video["content_type"], "video/mp4");
    let video_url = video["url"].as_str().unwrap().to_string();
    let file_size = video["file_size"].as_u64().unwrap();
    let dest = dir.path().join("out").join("result.mp4");
    let got = client
        .download(&video_url, &dest, Some(file_size), |_, _| {})
        .await
        .unwrap();
    assert_eq!(got, file_size);
    assert!(
        !dest.with_file_name("result.mp4.part").exists(),
        "the .part file was renamed"
    );
    let bytes = std::fs::read(&dest).unwrap();
    assert_eq!(&bytes[4..8], b"ftyp", "an MP4 file");

    let stored = sim.stored_files();
    let stored_video = stored
        .iter()
        .find(|f| f.file_url == video_url)
        .expect("result on the CDN");
    assert_eq!(
        blake3::hash(&bytes).to_hex().to_string(),
        stored_video.blake3_hex
    );
    for (url, hash) in &local_hashes {
        let on_cdn = stored
            .iter()
            .find(|f| &f.file_url == url)
            .expect("upload stored");
        assert_eq!(&on_cdn.blake3_hex, hash, "uploaded bytes arrived intact");
    }

    // What the simulator received: the exact input, integers still integers, our URLs.
    let submissions = sim.submissions();
    assert_eq!(submissions.len(), 1);
    assert_eq!(submissions[0].endpoint_id, case.endpoint);
    assert_eq!(submissions[0].request_id, handle.request_id);
    assert_eq!(submissions[0].input, input);
    for field in case.integers {
        let v = &submissions[0].input[*field];
        assert!(
            v.is_u64() || v.is_i64(),
            "{field} arrived as a JSON integer: {v}"
        );
    }
    let received = submissions[0].input.to_string();
    for url in local_hashes.keys().chain(cdn_urls.iter()) {
        assert!(
            received.contains(&format!("\"{url}\"")),
            "{url} arrived as given"
        );
        assert!(
            stored.iter().any(|f| &f.file_url == url),
            "{url} is a file of the sim"
        );
    }

    // The key went to the queue and REST hosts only.
    let key_header = format!("Key {}", sim.key());
    let requests = sim.requests();
    for r in &requests {
        match r.route {
            Route::UploadPut | Route::Cdn => {
                assert_eq!(
                    r.authorization, None,
                    "no key on {} {}",
                    r.method, r.path_and_query
                )
            }
            Route::Submit
            | Route::Status
            | Route::StatusStream
            | Route::Result
            | Route::UploadInitiate => assert_eq!(
                r.authorization.as_deref(),
                Some(key_header.as_str()),
                "key on {} {}",
                r.method,
                r.path_and_query
            ),
            _ => {}
        }
    }
    let job_routes: Vec<Route> = requests[before_job..].iter().map(|r| r.route).collect();
    for route in [
        Route::UploadInitiate,
        Route::UploadPut,
        Route::Submit,
        Route::StatusStream,
        Route::Result,
        Route::Cdn,
    ] {
        assert!(
            job_routes.contains(&route),
            "{route:?} used: {job_routes:?}"
        );
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn veo31_reference_to_video() {
    run_case(Case {
        endpoint: "fal-ai/veo3.1/reference-to-video",
        local: &["png_subject", "jpg_side"],
        on_cdn: &["png_style"],
        input: |u| {
            json!({
                "prompt": "The same red fox walks through a snowy birch forest, cinematic",
                "aspect_ratio": "16:9",
                "duration": "8s",
                "resolution": "720p",
                "generate_audio": false,
                "auto_fix": false,
                "image_urls": [u["png_subject"], u["jpg_side"], u["png_style"]],
            })
        },
        integers: &[],
    })
    .await;
}

#[tokio::test]
async fn veo31_image_to_video() {
    run_case(Case {
        endpoint: "fal-ai/veo3.1/image-to-video",
        local: &["jpg_still"],
        on_cdn: &[],
        input: |u| {
            json!({
                "prompt": "Slow push-in on the lighthouse as waves break",
                "aspect_ratio": "16:9",
                "duration": "4s",
                "negative_prompt": "blur, text",
                "resolution": "720p",
                "generate_audio": true,
                "seed": 42,
                "auto_fix": false,
                "image_url": u["jpg_still"],
            })
        },
        integers: &["seed"],
    })
    .await;
}

#[tokio::test]
async fn veo31_fast_image_to_video() {
    run_case(Case {
        endpoint: "fal-ai/veo3.1/fast/image-to-video",
        local: &["png_still"],
        on_cdn: &[],
        input: |u| {
            json!({
                "prompt": "The kite rises into a clear sky",
                "aspect_ratio": "auto",
                "duration": "6s",
                "resolution": "1080p",
                "seed": 1_234_567,
                "image_url": u["png_still"],
            })
        },
        integers: &["seed"],
    })
    .await;
}

#[tokio::test]
async fn veo31_first_last_frame_to_video() {
    run_case(Case {
        endpoint: "fal-ai/veo3.1/first-last-frame-to-video",
        local: &["png_first"],
        on_cdn: &["jpg_last"],
        input: |u| {
            json!({
                "prompt": "The flower opens from bud to full bloom",
                "aspect_ratio": "16:9",
                "duration": "8s",
                "resolution": "720p",
                "generate_audio": false,
                "seed": 7,
                "first_frame_url": u["png_first"],
                "last_frame_url": u["jpg_last"],
            })
        },
        integers: &["seed"],
    })
    .await;
}

#[tokio::test]
async fn veo31_fast_first_last_frame_to_video() {
    run_case(Case {
        endpoint: "fal-ai/veo3.1/fast/first-last-frame-to-video",
        local: &["jpg_first", "png_last"],
        on_cdn: &[],
        input: |u| {
            json!({
                "prompt": "Day turns to night over the city skyline",
                "aspect_ratio": "9:16",
                "duration": "4s",
                "negative_prompt": "people",
                "seed": 123_456_789,
                "auto_fix": true,
                "first_frame_url": u["jpg_first"],
                "last_frame_url": u["png_last"],
            })
        },
        integers: &["seed"],
    })
    .await;
}

#[tokio::test]
async fn veo31_extend_video() {
    run_case(Case {
        endpoint: "fal-ai/veo3.1/extend-video",
        local: &["mp4_clip"],
        on_cdn: &[],
        input: |u| {
            json!({
                "prompt": "The camera keeps gliding down the river at dusk",
                "aspect_ratio": "16:9",
                "duration": "7s",
                "resolution": "720p",
                "generate_audio": true,
                "seed": 99,
                "video_url": u["mp4_clip"],
            })
        },
        integers: &["seed"],
    })
    .await;
}

#[tokio::test]
async fn veo31_fast_extend_video() {
    run_case(Case {
        endpoint: "fal-ai/veo3.1/fast/extend-video",
        local: &["mp4_clip"],
        on_cdn: &[],
        input: |u| {
            json!({
                "prompt": "The drone continues over the ridge",
                "duration": "7s",
                "negative_prompt": "shaky",
                "seed": 5,
                "video_url": u["mp4_clip"],
            })
        },
        integers: &["seed"],
    })
    .await;
}

#[tokio::test]
async fn kling_o1_standard_reference_to_video() {
    run_case(Case {
        endpoint: "fal-ai/kling-video/o1/standard/reference-to-video",
        local: &["png_scene", "jpg_front", "png_angle"],
        on_cdn: &["jpg_style", "png_back"],
        input: |u| {
            json!({
                "prompt": "@Element1 waves at the camera in front of @Image1, lit like @Image2",
                "image_urls": [u["png_scene"], u["jpg_style"]],
                "elements": [{
                    "frontal_image_url": u["jpg_front"],
                    "reference_image_urls": [u["png_angle"], u["png_back"]],
                }],
                "duration": "5",
                "aspect_ratio": "16:9",
            })
        },
        integers: &[],
    })
    .await;
}

#[tokio::test]
async fn video_as_prompt() {
    run_case(Case {
        endpoint: "fal-ai/video-as-prompt",
        local: &["mp4_motion"],
        on_cdn: &["png_subject"],
        input: |u| {
            json!({
                "prompt": "The cat performs the same spin as the reference",
                "video_url": u["mp4_motion"],
                "image_url": u["png_subject"],
                "seed": 2024,
                "num_frames": 33,
                "fps": 16,
                "video_description": "A dancer spins once on the spot",
                "enable_safety_checker": true,
                "aspect_ratio": "16:9",
                "resolution": "480p",
                "guidance_scale": 5.5,
            })
        },
        integers: &["seed", "num_frames", "fps"],
    })
    .await;
}

#[tokio::test]
async fn cancel_while_queued_then_after_completion() {
    let sim = start_sim().await;
    let client = client_for(&sim);
    let dir = tempfile::tempdir().unwrap();
    let image = client
        .upload_file(&make_file(dir.path(), "png_a", 1), |_, _| {})
        .await
        .unwrap();
    let input = json!({"prompt": "a boat", "image_url": image.url});

    sim.set_timing(Duration::from_secs(30), Duration::from_secs(30));
    let queued = client
        .submit("fal-ai/veo3.1/fast/image-to-video", &input)
        .await
        .unwrap();
    assert_eq!(
        client.cancel(&queued).await.unwrap(),
        CancelOutcome::Requested
    );

    sim.set_timing(Duration::from_millis(100), Duration::from_millis(100));
    let done = client
        .submit("fal-ai/veo3.1/fast/image-to-video", &input)
        .await
        .unwrap();
    client.follow(&done, |_| {}).await.unwrap();
    assert_eq!(
        client.cancel(&done).await.unwrap(),
        CancelOutcome::AlreadyCompleted
    );

    // A handle rebuilt from the bare id (resuming) reaches the same job.
    let resumed = client.handle_for("fal-ai/veo3.1/fast/image-to-video", &done.request_id);
    assert_eq!(resumed.status_url, done.status_url);
    assert!(client.result(&resumed).await.unwrap()["video"]["url"].is_string());
    let cancels: Vec<u16> = sim
        .requests()
        .iter()
        .filter(|r| r.route == Route::Cancel)
        .map(|r| r.status)
        .collect();
    assert_eq!(cancels, vec![202, 400]);
    client.check_key().await.unwrap();
    sim.shutdown().await;
}
