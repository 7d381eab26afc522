//! The catalog and the `endpoints` / `schema` subcommands: offline for bundled endpoints, and
//! fetching (over real HTTP on loopback) for endpoints that are not bundled.

use std::collections::HashMap;
use std::process::Output;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use reelsmith_core::catalog::bundled::bundled_document;
use reelsmith_core::catalog::{Catalog, CatalogError};
use serde_json::{Value, json};

mod support;
use support::cli_env::CliEnv;
use support::run::{Reelsmith, stdout_json};

/// An address nothing listens on: any attempt to reach the network from an "offline" run fails.
const NOWHERE: &str = "http://127.0.0.1:9/openapi.json";

/// `reelsmith ARGS` in `env`'s folders, fetching schemas from `openapi_url`.
fn reelsmith(env: &CliEnv, openapi_url: &str, args: &[&str]) -> Output {
    env.command(args)
        .env("REELSMITH_OPENAPI_URL", openapi_url)
        .output()
        .expect("the binary runs")
}

/// A document for a made-up endpoint `test-owner/clip-tool`, shaped like fal's.
fn clip_tool_document() -> Value {
    json!({
        "openapi": "3.0.4",
        "info": {"title": "Queue OpenAPI for test-owner/clip-tool", "version": "1.0.0",
            "x-fal-metadata": {"endpointId": "test-owner/clip-tool"}},
        "components": {"schemas": {
            "ClipToolInput": {"type": "object",
                "properties": {
                    "prompt": {"type": "string", "maxLength": 500, "description": "What to make."},
                    "video_url": {"type": "string", "description": "Clip to work on."},
                    "strength": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "default": 0.5,
                        "description": "How much to change."},
                    "steps": {"type": "integer", "minimum": 1, "maximum": 50, "default": 20,
                        "description": "Work steps."},
                    "mode": {"anyOf": [{"type": "string", "enum": ["fast", "fine"]}, {"type": "null"}],
                        "default": "fast", "description": "Speed or quality."}
                },
                "x-fal-order-properties": ["prompt", "video_url", "mode", "strength", "steps"],
                "required": ["prompt", "video_url"]}
        }},
        "paths": {"/test-owner/clip-tool": {"post": {"requestBody": {"content": {"application/json":
            {"schema": {"$ref": "#/components/schemas/ClipToolInput"}}}}}}}
    })
}

// ---------- a small OpenAPI server on loopback, for answers the simulator never gives ----------

type Answers = Arc<HashMap<String, (u16, String)>>;

struct SchemaServer {
    url: String,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl SchemaServer {
    async fn start(answers: HashMap<String, (u16, String)>) -> SchemaServer {
        async fn answer(
            State(answers): State<Answers>,
            Query(q): Query<HashMap<String, String>>,
        ) -> (StatusCode, String) {
            let id = q.get("endpoint_id").cloned().unwrap_or_default();
            match answers.get(&id) {
                Some((status, body)) => (StatusCode::from_u16(*status).unwrap(), body.clone()),
                None => (StatusCode::NOT_FOUND, "{\"detail\": \"not found\"}".into()),
            }
        }
        let app = axum::Router::new()
            .route("/openapi.json", axum::routing::get(answer))
            .with_state(Arc::new(answers));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/openapi.json", listener.local_addr().unwrap());
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .unwrap();
        });
        SchemaServer {
            url,
            stop: Some(stop),
            task,
        }
    }

    async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.task.await;
    }
}

// ---------- offline ----------

#[test]
fn endpoints_json_lists_the_bundled_catalog_offline() {
    let env = CliEnv::new();
    let entries = stdout_json(&reelsmith(&env, NOWHERE, &["endpoints", "--json"]));
    let entries = entries.as_array().unwrap();
    assert_eq!(entries.len(), 12);
    let families: Vec<&str> = entries
        .iter()
        .map(|e| e["family"].as_str().unwrap())
        .collect();
    let mut order = families.clone();
    order.dedup();
    assert_eq!(
        order,
        ["Veo 3.1", "Veo 3.1 Fast", "Kling O1", "Wan"],
        "grouped by family"
    );
    assert_eq!(
        entries[0],
        json!({"endpoint_id": "fal-ai/veo3.1", "family": "Veo 3.1", "name": "Text to video",
            "bundled": true, "live": false})
    );
    assert!(entries.iter().all(|e| e["bundled"] == json!(true)));
    let table = reelsmith(&env, NOWHERE, &["endpoints"]);
    let table = String::from_utf8(table.stdout).unwrap();
    assert!(
        table.contains("Kling O1\n") && table.contains("fal-ai/video-as-prompt"),
        "{table}"
    );
}

#[test]
fn schema_json_of_a_bundled_endpoint_works_offline() {
    let env = CliEnv::new();
    let out = stdout_json(&reelsmith(
        &env,
        NOWHERE,
        &["schema", "fal-ai/veo3.1/image-to-video", "--json"],
    ));
    let keys: Vec<&String> = out.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["endpoint_id", "title", "fields", "defaults"]);
    assert_eq!(out["endpoint_id"], "fal-ai/veo3.1/image-to-video");
    assert_eq!(out["title"], "Veo 3.1 · Image to video");
    let fields = out["fields"].as_array().unwrap();
    let names: Vec<&str> = fields.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "prompt",
            "aspect_ratio",
            "duration",
            "negative_prompt",
            "resolution",
            "generate_audio",
            "seed",
            "auto_fix",
            "image_url"
        ]
    );
    for f in fields {
        let keys: Vec<&String> = f.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            [
                "name",
                "kind",
                "required",
                "default",
                "choices",
                "min",
                "max",
                "max_length",
                "description",
                "item_fields"
            ]
        );
    }
    let duration = &fields[2];
    assert_eq!(duration["kind"], "enum");
    assert_eq!(duration["choices"], json!(["4s", "6s", "8s"]));
    assert_eq!(duration["default"], "8s");
    assert_eq!(fields[0]["max_length"], json!(20000));
    assert_eq!(fields[8]["kind"], "image");
    assert_eq!(
        out["defaults"],
        json!({"aspect_ratio": "auto", "duration": "8s", "resolution": "720p",
            "generate_audio": true, "auto_fix": false})
    );

    // Kling's elements carry their item fields.
    let out = stdout_json(&reelsmith(
        &env,
        NOWHERE,
        &[
            "schema",
            "fal-ai/kling-video/o1/standard/reference-to-video",
            "--json",
        ],
    ));
    let elements = &out["fields"][2];
    assert_eq!(elements["kind"], "object_list");
    assert_eq!(elements["item_fields"][0]["name"], "frontal_image_url");
    assert_eq!(elements["item_fields"][0]["required"], true);
    assert_eq!(elements["item_fields"][1]["kind"], "image_list");

    // A refresh that cannot reach the service falls back to the bundled copy, saying so.
    let out = reelsmith(
        &env,
        NOWHERE,
        &["schema", "fal-ai/video-as-prompt", "--refresh", "--json"],
    );
    assert_eq!(stdout_json(&out)["fields"][4]["max"], json!(100));
    assert!(String::from_utf8_lossy(&out.stderr).contains("showing the stored copy instead"));

    // Offline, a non-bundled endpoint fails with what to do.
    let out = reelsmith(&env, NOWHERE, &["schema", "test-owner/clip-tool"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("test-owner/clip-tool")
            && err.contains("could not connect")
            && err.contains("Check the connection"),
        "{err}"
    );
    let out = reelsmith(&env, NOWHERE, &["schema", "../etc/passwd"]);
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a valid endpoint id"));
}

// ---------- fetching ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_document_replaces_the_bundled_one_and_is_cached() {
    let id = "fal-ai/veo3.1/reference-to-video";
    // The drifted live schema: duration became free text and safety_tolerance appeared.
    let mut live: Value = serde_json::from_str(bundled_document(id).unwrap()).unwrap();
    let props = live
        .pointer_mut("/components/schemas/Veo31ReferenceToVideoInput/properties")
        .unwrap();
    props["duration"] = json!({"type": "string", "default": "8s", "description": "Length."});
    props["safety_tolerance"] = json!({"type": "string", "enum": ["1", "2", "3", "4", "5", "6"],
        "default": "4", "description": "1 is strictest."});
    let server =
        SchemaServer::start(HashMap::from([(id.to_string(), (200, live.to_string()))])).await;
    let env = CliEnv::new();
    let cache = env.path("cache");

    let mut catalog = Catalog::load(&cache);
    assert_eq!(
        catalog
            .model(id)
            .unwrap()
            .field("duration")
            .unwrap()
            .choices
            .len(),
        1
    );
    let model = catalog.fetch(id, &server.url).await.unwrap();
    assert!(model.field("safety_tolerance").is_some());
    assert_eq!(
        catalog.model(id).unwrap(),
        model,
        "the live copy is used from now on"
    );
    let cached = cache.join("schemas/fal-ai__veo3.1__reference-to-video.json");
    assert!(cached.is_file());
    server.stop().await;

    // A new session, offline: the cached live copy is still the one used.
    let reloaded = Catalog::load(&cache);
    assert_eq!(reloaded.model(id).unwrap(), model);
    let entry = reloaded
        .entries()
        .into_iter()
        .find(|e| e.endpoint_id == id)
        .unwrap();
    assert!(entry.bundled && entry.live);
    let out = reelsmith(
        &env,
        NOWHERE,
        &["schema", "fal-ai/veo3.1/reference-to-video", "--json"],
    );
    let out = stdout_json(&out);
    assert_eq!(out["defaults"]["safety_tolerance"], "4");
    assert_eq!(
        out["fields"][2]["kind"], "text",
        "duration is free text in the live copy"
    );

    // Without the cache, the bundled copy is the fallback again.
    let mut reloaded = reloaded;
    reloaded.forget(id).unwrap();
    assert!(!cached.exists());
    assert!(
        reloaded
            .model(id)
            .unwrap()
            .field("safety_tolerance")
            .is_none()
    );
    assert!(
        Catalog::load(&cache)
            .model(id)
            .unwrap()
            .field("safety_tolerance")
            .is_none()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_answers_are_refused_with_the_endpoint_named_and_never_cached() {
    let broken = json!({"openapi": "3.0.4", "info": {"x-fal-metadata": {"endpointId": "test-owner/broken"}},
        "paths": {"/test-owner/broken": {"post": {"requestBody": {"content": {"application/json":
            {"schema": {"$ref": "#/components/schemas/Gone"}}}}}}}});
    let mut other = clip_tool_document();
    other["info"]["x-fal-metadata"]["endpointId"] = json!("test-owner/other");
    other["paths"] = json!({"/test-owner/other": other["paths"]["/test-owner/clip-tool"].clone()});
    let server = SchemaServer::start(HashMap::from([
        ("test-owner/broken".to_string(), (200, broken.to_string())),
        (
            "test-owner/not-json".to_string(),
            (200, "<html>hello</html>".to_string()),
        ),
        (
            "test-owner/no-schema".to_string(),
            (
                200,
                json!({"error": {"code": "expansion_failed",
            "message": "OpenAPI schema not available for this endpoint"}})
                .to_string(),
            ),
        ),
        (
            "test-owner/busy".to_string(),
            (503, "try later".to_string()),
        ),
        ("test-owner/clip-tool".to_string(), (200, other.to_string())),
    ]))
    .await;
    let env = CliEnv::new();
    let cache = env.path("cache");
    let mut catalog = Catalog::load(&cache);

    let err = catalog
        .fetch("test-owner/broken", &server.url)
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::Invalid { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("test-owner/broken") && msg.contains("was not saved"),
        "{msg}"
    );
    let err = catalog
        .fetch("test-owner/not-json", &server.url)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("test-owner/not-json") && err.to_string().contains("not JSON")
    );
    let err = catalog
        .fetch("test-owner/no-schema", &server.url)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("OpenAPI schema not available"),
        "{err}"
    );
    let err = catalog
        .fetch("test-owner/busy", &server.url)
        .await
        .unwrap_err();
    assert!(
        matches!(err, CatalogError::Http { status: 503, .. }),
        "{err:?}"
    );
    let err = catalog
        .fetch("test-owner/missing", &server.url)
        .await
        .unwrap_err();
    assert!(matches!(err, CatalogError::NotFound { .. }), "{err:?}");
    assert!(err.to_string().contains("test-owner/missing"));
    let err = catalog
        .fetch("test-owner/clip-tool", &server.url)
        .await
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("describes test-owner/other instead"),
        "{err}"
    );
    server.stop().await;

    assert!(!catalog.contains("test-owner/broken"));
    let saved: Vec<_> = std::fs::read_dir(cache.join("schemas"))
        .map(|d| d.filter_map(Result::ok).collect())
        .unwrap_or_default();
    assert!(saved.is_empty(), "nothing was cached: {saved:?}");
    assert_eq!(Catalog::load(&cache).entries().len(), 12);
}

// ---------- against the simulator ----------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn schema_fetches_a_non_bundled_endpoint_from_the_simulator_and_caches_it() {
    use reelsmith_sim::{Route, SimConfig, Simulator};
    let sim = Simulator::start(SimConfig {
        extra_documents: vec![("test-owner/clip-tool".to_string(), clip_tool_document())],
        ..SimConfig::default()
    })
    .await
    .unwrap();
    let env = CliEnv::new();
    let out = reelsmith(
        &env,
        &sim.openapi_url(),
        &["schema", "test-owner/clip-tool", "--json"],
    );
    let out = stdout_json(&out);
    assert_eq!(out["endpoint_id"], "test-owner/clip-tool");
    assert_eq!(out["title"], "test-owner/clip-tool");
    let fields = out["fields"].as_array().unwrap();
    let names: Vec<&str> = fields.iter().map(|f| f["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["prompt", "video_url", "mode", "strength", "steps"]);
    assert_eq!(
        fields[1],
        json!({"name": "video_url", "kind": "video", "required": true, "default": null,
            "choices": [], "min": null, "max": null, "max_length": null,
            "description": "Clip to work on.", "item_fields": []})
    );
    assert_eq!(fields[2]["choices"], json!(["fast", "fine"]));
    assert_eq!(fields[3]["min"], json!(0), "exclusiveMinimum shows as min");
    assert_eq!(fields[4]["max"], json!(50));
    assert_eq!(
        out["defaults"],
        json!({"mode": "fast", "strength": 0.5, "steps": 20})
    );

    // One public GET, without a key, to the OpenAPI route.
    let asked: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.route == Route::OpenApi)
        .collect();
    assert_eq!(asked.len(), 1);
    assert_eq!(asked[0].method, "GET");
    assert!(
        asked[0]
            .path_and_query
            .ends_with("?endpoint_id=test-owner%2Fclip-tool")
    );
    assert_eq!(asked[0].authorization, None);
    sim.shutdown().await;

    // Cached: later runs work offline, and the endpoint is listed as added.
    let schema = reelsmith(&env, NOWHERE, &["schema", "test-owner/clip-tool", "--json"]);
    let endpoints = reelsmith(&env, NOWHERE, &["endpoints", "--json"]);
    assert_eq!(stdout_json(&schema), out);
    let endpoints = stdout_json(&endpoints);
    let last = endpoints.as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        last,
        json!({"endpoint_id": "test-owner/clip-tool", "family": "Added",
            "name": "test-owner/clip-tool", "bundled": false, "live": true})
    );
}

#[test]
fn simulate_flag_fetches_from_an_in_process_simulator() {
    let env = CliEnv::new();
    let cache = env.path("cache");
    let out = reelsmith(
        &env,
        NOWHERE,
        &[
            "--simulate",
            "schema",
            "fal-ai/veo3.1/fast",
            "--refresh",
            "--json",
        ],
    );
    let out = stdout_json(&out);
    assert_eq!(out["endpoint_id"], "fal-ai/veo3.1/fast");
    assert!(cache.join("schemas/fal-ai__veo3.1__fast.json").is_file());
    let out = reelsmith(
        &env,
        NOWHERE,
        &["--simulate", "schema", "test-owner/unknown"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("serves only the bundled endpoints") && err.contains("404"),
        "{err}"
    );
}
