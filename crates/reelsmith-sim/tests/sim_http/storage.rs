//! Storage over HTTP: single and multipart uploads on the CDN with ranges, OpenAPI documents,
//! and the simulator's temporary storage on shutdown and after a crash.

use reelsmith_sim::{Route, SimConfig, Simulator, StoredKind};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::*;

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
