//! The simulator's origin: it answers only requests addressed to its own loopback address, keeps
//! its files in a private folder of its own, and can serve every host on one origin.

use std::time::Duration;

use reelsmith_sim::{Route, SimConfig, Simulator};
use reqwest::StatusCode;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("client")
}

fn port_of(sim: &Simulator) -> u16 {
    url::Url::parse(&sim.base_url())
        .ok()
        .and_then(|u| u.port())
        .expect("port")
}

/// One HTTP/1.1 GET over a plain socket with the given Host header; returns the status code.
async fn get_with_host(sim: &Simulator, path: &str, host: &str) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port_of(sim)))
        .await
        .expect("connect to simulator");
    let request = format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("send");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("answered in time")
        .expect("read");
    let answer = String::from_utf8_lossy(&answer);
    answer
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP answer: {answer:?}"))
}

#[tokio::test]
async fn requests_for_another_host_are_refused() {
    let sim = Simulator::start(SimConfig::default()).await.expect("start");
    let port = port_of(&sim);
    let path = "/openapi/queue/openapi.json?endpoint_id=fal-ai/veo3.1";
    assert_eq!(
        get_with_host(&sim, path, &format!("127.0.0.1:{port}")).await,
        200
    );
    assert_eq!(
        get_with_host(&sim, path, &format!("localhost:{port}")).await,
        200
    );
    // DNS rebinding: a page's own name now resolving to 127.0.0.1.
    assert_eq!(
        get_with_host(&sim, path, &format!("rebind.attacker.example:{port}")).await,
        421
    );
    assert_eq!(
        get_with_host(&sim, path, &format!("127.0.0.1.attacker.example:{port}")).await,
        421
    );
    assert_eq!(get_with_host(&sim, path, "127.0.0.1").await, 421);
    assert_eq!(
        get_with_host(&sim, path, &format!("127.0.0.1:{}", port.wrapping_add(1))).await,
        421
    );
    // Nothing was served to the refused requests (the guard runs before the API).
    let served: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.route == Route::OpenApi)
        .collect();
    assert_eq!(served.len(), 2);
    sim.shutdown().await;
}

#[cfg(unix)]
#[tokio::test]
async fn storage_is_a_new_private_folder_of_its_own() {
    use std::os::unix::fs::PermissionsExt;
    let a = Simulator::start(SimConfig::default()).await.expect("start");
    let b = Simulator::start(SimConfig::default()).await.expect("start");
    for sim in [&a, &b] {
        let dir = sim.storage_dir();
        let mode = std::fs::metadata(&dir)
            .expect("storage dir")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o700, "{} has mode {:o}", dir.display(), mode);
        // Directly in the temp dir under a fresh name, not in a shared folder anyone could
        // have made first (the old /tmp/reelsmith-sim).
        assert_eq!(dir.parent(), Some(std::env::temp_dir().as_path()));
        assert!(
            dir.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("reelsmith-sim-")),
            "{}",
            dir.display()
        );
    }
    assert_ne!(a.storage_dir(), b.storage_dir());
    let dir = a.storage_dir();
    a.shutdown().await;
    assert!(!dir.exists());
    b.shutdown().await;
}

#[tokio::test]
async fn one_origin_serves_every_host_at_the_root() {
    let sim = Simulator::start(SimConfig {
        one_origin: true,
        queue_time: Duration::from_millis(100),
        run_time: Duration::from_millis(100),
        ..SimConfig::default()
    })
    .await
    .expect("start");
    sim.set_max_clip_seconds(0.5);
    let base = sim.base_url();
    assert!(sim.is_one_origin());
    assert_eq!(sim.queue_url(), base);
    assert_eq!(sim.rest_url(), base);
    let key = format!("Key {}", sim.key());
    let client = http();

    let init: Value = client
        .post(format!(
            "{base}/storage/upload/initiate?storage_type=fal-cdn-v3"
        ))
        .header("Authorization", &key)
        .json(&json!({"content_type": "application/octet-stream", "file_name": "a.bin"}))
        .send()
        .await
        .expect("initiate")
        .json()
        .await
        .expect("json");
    let upload_url = init["upload_url"].as_str().expect("upload_url");
    let file_url = init["file_url"].as_str().expect("file_url");
    assert!(upload_url.starts_with(&format!("{base}/upload/")));
    assert!(file_url.starts_with(&format!("{base}/cdn/files/")));

    // The upload URL and the CDN still refuse the key, on the same origin as the queue.
    let with_key = client
        .put(upload_url)
        .header("Authorization", &key)
        .body(vec![1u8, 2, 3])
        .send()
        .await
        .expect("put");
    assert_eq!(with_key.status(), StatusCode::BAD_REQUEST);
    let put = client
        .put(upload_url)
        .body(vec![1u8, 2, 3])
        .send()
        .await
        .expect("put");
    assert_eq!(put.status(), StatusCode::OK);
    let cdn_with_key = client
        .get(file_url)
        .header("Authorization", &key)
        .send()
        .await
        .expect("get");
    assert_eq!(cdn_with_key.status(), StatusCode::FORBIDDEN);
    let cdn = client.get(file_url).send().await.expect("get");
    assert_eq!(cdn.status(), StatusCode::OK);
    assert_eq!(cdn.bytes().await.expect("body").as_ref(), &[1, 2, 3]);

    let submitted: Value = client
        .post(format!("{base}/fal-ai/veo3.1"))
        .header("Authorization", &key)
        .json(&json!({"prompt": "a lighthouse"}))
        .send()
        .await
        .expect("submit")
        .json()
        .await
        .expect("json");
    let status_url = submitted["status_url"].as_str().expect("status_url");
    assert!(
        status_url.starts_with(&format!("{base}/fal-ai/veo3.1/requests/")),
        "{status_url}"
    );
    let status = client
        .get(status_url)
        .header("Authorization", &key)
        .send()
        .await
        .expect("status");
    assert!(status.status().is_success());
    let doc = client
        .get(format!(
            "{base}/openapi/queue/openapi.json?endpoint_id=fal-ai/veo3.1"
        ))
        .send()
        .await
        .expect("openapi");
    assert_eq!(doc.status(), StatusCode::OK);

    let routes: Vec<Route> = sim.requests().iter().map(|r| r.route).collect();
    for route in [
        Route::UploadInitiate,
        Route::UploadPut,
        Route::Cdn,
        Route::Submit,
        Route::Status,
        Route::OpenApi,
    ] {
        assert!(routes.contains(&route), "{route:?} not seen in {routes:?}");
    }
    sim.shutdown().await;
}
