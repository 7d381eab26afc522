//! The fal client under faults, against the real simulator: rate limits, user timeouts, broken
//! and silent status streams, dropped downloads, model errors, rejected keys, and where the key
//! comes from.

use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::Duration;

use std::sync::Arc;

use reelsmith_core::fal::{
    ApiKey, ClientOptions, FalClient, FalError, FalUrls, KeySource, RetryPolicy, RunKeys,
    StatusEvent, resolve_key,
};
use reelsmith_core::keystore::{CredentialStore, KeyLocation, KeyStore, MemoryStore};
use reelsmith_sim::{Route, SimConfig, Simulator};
use serde_json::{Value, json};

use crate::common;

async fn start_sim(config: SimConfig) -> Simulator {
    let sim = Simulator::start(SimConfig {
        queue_time: Duration::from_millis(500),
        run_time: Duration::from_millis(700),
        one_origin: common::one_origin(module_path!()),
        ..config
    })
    .await
    .expect("simulator starts");
    sim.set_max_clip_seconds(1.0);
    sim
}

fn urls(sim: &Simulator) -> FalUrls {
    sim.fal_urls()
}

fn options() -> ClientOptions {
    ClientOptions {
        stream_stall_timeout: Duration::from_secs(1),
        poll_interval: Duration::from_millis(100),
        max_poll_interval: Duration::from_millis(400),
        transfer_stall_timeout: Duration::from_secs(5),
        ..ClientOptions::default()
    }
}

fn client_with_key(sim: &Simulator, key: &str) -> FalClient {
    common::client_for(
        sim,
        key,
        Duration::from_millis(20),
        Duration::from_millis(200),
        options(),
    )
}

fn client_for(sim: &Simulator) -> FalClient {
    client_with_key(sim, &sim.key())
}

fn write_png(dir: &Path, name: &str) -> PathBuf {
    let path = dir.join(name);
    image::RgbImage::from_fn(480, 320, |x, y| image::Rgb([x as u8, y as u8, 90]))
        .save(&path)
        .unwrap();
    path
}

/// Bytes that do not compress or repeat, so a resumed download that skipped or repeated a
/// range could not hash the same.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect()
}

async fn image_input(client: &FalClient, dir: &Path) -> Value {
    let image = client
        .upload_file(&write_png(dir, "still.png"), |_, _| {})
        .await
        .unwrap();
    json!({"prompt": "a lighthouse at dawn", "image_url": image.url, "seed": 11})
}

const I2V: &str = "fal-ai/veo3.1/fast/image-to-video";

fn count(sim: &Simulator, route: Route) -> Vec<u16> {
    sim.requests()
        .iter()
        .filter(|r| r.route == route)
        .map(|r| r.status)
        .collect()
}

#[tokio::test]
async fn rate_limited_submit_is_retried_into_exactly_one_job() {
    let sim = start_sim(SimConfig::default()).await;
    let client = client_for(&sim);
    let dir = tempfile::tempdir().unwrap();
    let input = image_input(&client, dir.path()).await;
    sim.fail_next(Route::Submit, 2, 429);
    let handle = client.submit(I2V, &input).await.unwrap();
    assert_eq!(count(&sim, Route::Submit), vec![429, 429, 200]);
    let submissions = sim.submissions();
    assert_eq!(submissions.len(), 1, "one accepted job");
    assert_eq!(submissions[0].request_id, handle.request_id);

    // Retries run out: the error says rate limited and is marked retryable for later.
    sim.fail_next(Route::Submit, 10, 429);
    let err = client.clone().with_retry(RetryPolicy {
        max_retries: 1,
        ..RetryPolicy::none()
    });
    let err = err.submit(I2V, &input).await.unwrap_err();
    assert!(matches!(err, FalError::RateLimited { .. }), "{err:?}");
    assert!(err.is_retryable());
    assert_eq!(sim.submissions().len(), 1);
    sim.shutdown().await;
}

#[tokio::test]
async fn no_504_is_sent_again_by_submit_itself() {
    let sim = start_sim(SimConfig::default()).await;
    let client = client_for(&sim);
    let dir = tempfile::tempdir().unwrap();
    let input = image_input(&client, dir.path()).await;

    sim.fail_next_user_timeout(Route::Submit, 1);
    let err = client.submit(I2V, &input).await.unwrap_err();
    assert!(matches!(err, FalError::UserTimeout { .. }), "{err:?}");
    assert!(!err.is_retryable());
    assert_eq!(count(&sim, Route::Submit), vec![504], "exactly one request");
    assert!(sim.submissions().is_empty());

    // A 504 fal's own server answered (it carries x-fal-request-id): fal may have queued the
    // job, so the answer is lost, not a reason to send it again.
    sim.fail_next(Route::Submit, 1, 504);
    let err = client.submit(I2V, &input).await.unwrap_err();
    let FalError::AnswerLost { request_id, .. } = &err else {
        panic!("{err:?}")
    };
    assert!(request_id.is_some(), "the lost answer's request id is kept");
    assert_eq!(count(&sim, Route::Submit), vec![504, 504]);
    // An ingress page is never sent again without a look at the history (the engine's job).
    sim.fail_next_ingress(Route::Submit, 1, 504);
    let err = client.submit(I2V, &input).await.unwrap_err();
    assert!(
        matches!(
            err,
            FalError::Service {
                status: Some(504),
                ..
            }
        ),
        "{err:?}"
    );
    assert_eq!(count(&sim, Route::Submit), vec![504, 504, 504]);
    assert!(sim.submissions().is_empty());
    sim.shutdown().await;
}

#[tokio::test]
async fn invalid_input_is_a_validation_error_and_not_retried() {
    let sim = start_sim(SimConfig::default()).await;
    let client = client_for(&sim);
    let bad = json!({"prompt": "x", "video_url": "http://example.invalid/v.mp4",
        "image_url": "http://example.invalid/i.png", "video_description": "d", "num_frames": 500});
    let err = client
        .submit("fal-ai/video-as-prompt", &bad)
        .await
        .unwrap_err();
    let FalError::Validation { status, errors } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(*status, 422);
    assert!(
        errors.iter().any(|e| e.field() == "num_frames"),
        "{errors:?}"
    );
    assert!(err.to_string().contains("num_frames"), "{err}");
    assert_eq!(count(&sim, Route::Submit), vec![422]);
    sim.shutdown().await;
}

#[tokio::test]
async fn cut_status_stream_falls_back_to_polling_and_completes() {
    let sim = start_sim(SimConfig::default()).await;
    let client = client_for(&sim);
    let dir = tempfile::tempdir().unwrap();
    let input = image_input(&client, dir.path()).await;
    sim.cut_status_stream_after(2, 1);
    let handle = client.submit(I2V, &input).await.unwrap();
    let mut events = Vec::new();
    let completed = client.follow(&handle, |e| events.push(e)).await.unwrap();
    let fell_back = events
        .iter()
        .position(|e| matches!(e, StatusEvent::FellBackToPolling { .. }));
    assert!(fell_back.is_some(), "{events:?}");
    assert!(events.contains(&StatusEvent::Running), "{events:?}");
    assert!(!completed.logs.is_empty());
    // Log lines are not repeated when polling returns the whole list.
    let mut messages: Vec<_> = completed
        .logs
        .iter()
        .map(|l| (&l.timestamp, &l.message))
        .collect();
    let n = messages.len();
    messages.dedup();
    assert_eq!(messages.len(), n, "no duplicated log lines");
    assert_eq!(count(&sim, Route::StatusStream).len(), 1);
    assert!(
        count(&sim, Route::Status).contains(&200),
        "polling saw COMPLETED"
    );
    assert!(client.result(&handle).await.unwrap()["video"]["url"].is_string());
    sim.shutdown().await;
}

#[tokio::test]
async fn silent_status_stream_falls_back_to_polling() {
    let sim = start_sim(SimConfig {
        initial_queue_position: 0,
        ..SimConfig::default()
    })
    .await;
    // Nothing at all on the stream for 3 s: no state change and no `: ping`.
    sim.set_ping_interval(Duration::from_secs(60));
    sim.set_timing(Duration::from_secs(3), Duration::from_millis(300));
    let client = client_for(&sim);
    let dir = tempfile::tempdir().unwrap();
    let input = image_input(&client, dir.path()).await;
    let handle = client.submit(I2V, &input).await.unwrap();
    let mut events = Vec::new();
    client.follow(&handle, |e| events.push(e)).await.unwrap();
    let reason = events
        .iter()
        .find_map(|e| match e {
            StatusEvent::FellBackToPolling { reason } => Some(reason.clone()),
            _ => None,
        })
        .expect("fell back");
    assert!(reason.contains("sent nothing"), "{reason}");
    sim.shutdown().await;
}

#[tokio::test]
async fn dropped_download_resumes_with_range_into_an_identical_file() {
    let sim = start_sim(SimConfig::default()).await;
    let client = client_for(&sim);
    let dir = tempfile::tempdir().unwrap();
    let original = noise(3 * 1024 * 1024 + 123, 7);
    let src = dir.path().join("noise.bin");
    std::fs::write(&src, &original).unwrap();
    let up = client.upload_file(&src, |_, _| {}).await.unwrap();
    assert_eq!(up.content_type, "application/octet-stream");

    sim.drop_download_after(1024 * 1024, 2);
    let dest = dir.path().join("copy.bin");
    let seen = Mutex::new(Vec::new());
    let size = client
        .download(&up.url, &dest, Some(original.len() as u64), |done, _| {
            seen.lock().unwrap().push(done)
        })
        .await
        .unwrap();
    assert_eq!(size, original.len() as u64);
    let copy = std::fs::read(&dest).unwrap();
    assert!(copy == original, "the resumed file is identical");
    let cdn = count(&sim, Route::Cdn);
    assert!(
        cdn.contains(&206),
        "a Range request resumed the download: {cdn:?}"
    );
    assert_eq!(cdn.len(), 3, "two drops, two resumes: {cdn:?}");
    assert_eq!(*seen.lock().unwrap().last().unwrap(), original.len() as u64);
    assert!(!dir.path().join("copy.bin.part").exists());
    sim.shutdown().await;
}

#[tokio::test]
async fn wrong_size_is_refused_and_not_renamed() {
    let sim = start_sim(SimConfig::default()).await;
    let client = client_for(&sim);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("n.bin");
    std::fs::write(&src, noise(10_000, 3)).unwrap();
    let up = client.upload_file(&src, |_, _| {}).await.unwrap();
    let dest = dir.path().join("n.copy");
    let err = client
        .download(&up.url, &dest, Some(9_999), |_, _| {})
        .await
        .unwrap_err();
    assert!(matches!(err, FalError::Protocol(_)), "{err:?}");
    assert!(!dest.exists());
    sim.shutdown().await;
}

#[tokio::test]
async fn multipart_upload_sends_parts_and_completes() {
    let sim = start_sim(SimConfig::default()).await;
    let client = client_for(&sim)
        .with_options(ClientOptions {
            multipart_threshold: 1024 * 1024,
            part_size: 512 * 1024,
            ..options()
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let data = noise(2 * 1024 * 1024 + 5000, 11);
    let src = dir.path().join("big.bin");
    std::fs::write(&src, &data).unwrap();
    let progress = Mutex::new(Vec::new());
    let up = client
        .upload_file(&src, |s, t| progress.lock().unwrap().push((s, t)))
        .await
        .unwrap();
    let stored = sim
        .stored_files()
        .into_iter()
        .find(|f| f.file_url == up.url)
        .expect("stored");
    assert_eq!(stored.blake3_hex, blake3::hash(&data).to_hex().to_string());
    let paths: Vec<String> = sim
        .requests()
        .iter()
        .filter(|r| matches!(r.route, Route::UploadPut | Route::UploadInitiate))
        .map(|r| format!("{} {}", r.method, r.path_and_query))
        .collect();
    assert!(
        paths[0].contains("/storage/upload/initiate-multipart?storage_type=fal-cdn-v3"),
        "{paths:?}"
    );
    assert_eq!(
        paths.iter().filter(|p| p.starts_with("PUT ")).count(),
        5,
        "{paths:?}"
    );
    assert!(
        paths.last().unwrap().starts_with("POST ") && paths.last().unwrap().contains("/complete")
    );
    // Parts and completion are the pre-signed URL's: never the key, even on the queue's origin.
    for r in sim
        .requests()
        .iter()
        .filter(|r| r.route == Route::UploadPut)
    {
        assert_eq!(r.authorization, None, "{} {}", r.method, r.path_and_query);
    }
    let progress = progress.into_inner().unwrap();
    assert!(
        progress.windows(2).all(|w| w[0].0 <= w[1].0),
        "progress never goes back"
    );
    assert_eq!(
        *progress.last().unwrap(),
        (data.len() as u64, data.len() as u64)
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn model_error_is_a_typed_error_with_fals_message() {
    let sim = start_sim(SimConfig::default()).await;
    let client = client_for(&sim);
    let dir = tempfile::tempdir().unwrap();
    let input = image_input(&client, dir.path()).await;
    let message = "The content could not be processed because it contained material flagged by a content checker.";
    sim.model_error_next("content_policy_violation", message);
    let handle = client.submit(I2V, &input).await.unwrap();
    let err = client.follow(&handle, |_| {}).await.unwrap_err();
    let FalError::Service {
        error_type,
        message: got,
        ..
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(error_type.as_deref(), Some("content_policy_violation"));
    assert!(got.contains("flagged by a content checker"), "{got}");
    assert!(
        err.user_message().contains("Change the prompt"),
        "{}",
        err.user_message()
    );
    let err = client.result(&handle).await.unwrap_err();
    assert!(
        matches!(&err, FalError::Service { status: Some(422), error_type: Some(t), .. } if t == "content_policy_violation"),
        "{err:?}"
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn wrong_key_is_rejected_without_ever_showing_it() {
    let sim = start_sim(SimConfig::default()).await;
    let wrong = "0f9e8d7c-wrong-key-id:5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a5a";
    let client = client_with_key(&sim, wrong);
    let dir = tempfile::tempdir().unwrap();
    let errors = vec![
        client
            .submit(I2V, &json!({"prompt": "x"}))
            .await
            .unwrap_err(),
        client
            .upload_file(&write_png(dir.path(), "a.png"), |_, _| {})
            .await
            .unwrap_err(),
        client.check_key().await.unwrap_err(),
    ];
    for err in &errors {
        assert!(
            matches!(err, FalError::RejectedCredentials { status: 401, .. }),
            "{err:?}"
        );
        for text in [err.to_string(), format!("{err:?}"), err.user_message()] {
            assert!(!text.contains(wrong), "key shown in {text}");
            assert!(!text.contains("5a5a5a5a5a5a"), "secret shown in {text}");
        }
    }
    assert!(!format!("{client:?}").contains(wrong));
    assert!(sim.submissions().is_empty());
    assert_eq!(
        count(&sim, Route::Submit),
        vec![401],
        "a rejected key is not retried"
    );
    client_for(&sim).check_key().await.unwrap();

    // No key at all: a missing-credentials error, not a rejected one.
    let anonymous = FalClient::new(urls(&sim), None).unwrap();
    let err = anonymous
        .submit(I2V, &json!({"prompt": "x"}))
        .await
        .unwrap_err();
    assert!(matches!(err, FalError::MissingCredentials), "{err:?}");
    sim.shutdown().await;
}

/// The README's order, for fal's own hosts: saved key → FAL_KEY → FAL_KEY_ID + FAL_KEY_SECRET
/// → credentials.json (the run's variables come from a lookup: no process environment is changed).
#[test]
fn credentials_are_resolved_in_order() {
    let config = tempfile::tempdir().unwrap();
    let dir = config.path();
    let saved = MemoryStore::new();
    let store = KeyStore::with_store(Arc::new(saved.clone()), dir);
    let fal = FalUrls {
        queue: "https://queue.fal.run".into(),
        rest: "https://rest.fal.ai".into(),
        openapi: "https://fal.ai/api/openapi/queue/openapi.json".into(),
        api: "https://api.fal.ai/v1".into(),
    };
    let env = |vars: &'static [(&'static str, &'static str)]| {
        RunKeys::from_lookup(move |name| {
            vars.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| v.to_string())
        })
    };
    let resolve = |run: &RunKeys| resolve_key(&store, &fal, run);
    assert!(matches!(
        resolve(&RunKeys::none()),
        Err(FalError::MissingCredentials)
    ));

    std::fs::write(
        dir.join("credentials.json"),
        "{\"api_key\": oops-not-json-secret}",
    )
    .unwrap();
    let err = resolve(&RunKeys::none()).unwrap_err();
    assert!(matches!(err, FalError::Io { .. }), "{err:?}");
    assert!(!err.to_string().contains("oops-not-json-secret"), "{err}");

    std::fs::write(
        dir.join("credentials.json"),
        r#"{"api_key": "file-id:file-secret"}"#,
    )
    .unwrap();
    let r = resolve(&RunKeys::none()).unwrap();
    assert_eq!(r.key.expose(), "file-id:file-secret");
    assert_eq!(
        r.source,
        KeySource::CredentialsFile(dir.join("credentials.json"))
    );
    assert_eq!(
        resolve(&env(&[("FAL_KEY_ID", "env-id")])).unwrap().source,
        r.source,
        "an id without a secret is not a key"
    );
    let pair = env(&[("FAL_KEY_ID", "env-id"), ("FAL_KEY_SECRET", "env-secret")]);
    let r = resolve(&pair).unwrap();
    assert_eq!(
        (r.key.expose(), r.source),
        ("env-id:env-secret", KeySource::EnvKeyIdSecret)
    );
    let all = env(&[
        ("FAL_KEY", "env-full:key"),
        ("FAL_KEY_ID", "env-id"),
        ("FAL_KEY_SECRET", "env-secret"),
    ]);
    let r = resolve(&all).unwrap();
    assert_eq!(
        (r.key.expose(), r.source),
        ("env-full:key", KeySource::EnvFalKey)
    );
    assert_eq!(
        resolve(&env(&[("FAL_KEY", "   ")])).unwrap().source,
        KeySource::CredentialsFile(dir.join("credentials.json")),
        "a blank FAL_KEY is not a key"
    );
    saved.save(&ApiKey::new("saved-id:saved-secret")).unwrap();
    let r = resolve(&all).unwrap();
    assert_eq!(
        (r.key.expose(), r.source),
        (
            "saved-id:saved-secret",
            KeySource::Saved(KeyLocation::Memory)
        )
    );
}
