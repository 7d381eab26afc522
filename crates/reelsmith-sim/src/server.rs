//! Binds the socket, builds the router and serves until the shutdown token fires.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::routing::{any, get, post};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::faults::Faults;
use super::layout::{Layout, OPENAPI_PATH};
use super::state::{Settings, Shared};
use super::storage::Storage;
use super::{
    SimConfig, SimError, cdn, guard, history, openapi, platform_api, queue, record, upload,
};

/// The silence after which a status stream sends `: ping`, unless changed.
const DEFAULT_PING_INTERVAL: Duration = Duration::from_secs(1);

/// The longest clip rendered unless changed (longer durations are cut to keep renders quick).
const DEFAULT_MAX_CLIP_SECONDS: f64 = 4.0;

/// Name prefix of a simulator's private storage folder in the system temp dir:
/// `reelsmith-sim-{pid}-{random}`.
const TEMP_PREFIX: &str = "reelsmith-sim-";

/// Removes the storage folders of simulators whose process is gone (killed before they could
/// clean up). Only where `/proc` tells which processes live; elsewhere nothing is removed.
/// Symbolic links and other users' folders are left alone (the latter cannot be removed anyway).
fn sweep_abandoned(parent: &std::path::Path) {
    let proc_dir = std::path::Path::new("/proc");
    if !proc_dir.join("self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(TEMP_PREFIX))
            .and_then(|n| n.split_once('-'))
            .and_then(|(pid, _)| pid.parse::<u32>().ok())
        else {
            continue;
        };
        let is_dir = entry.file_type().is_ok_and(|t| t.is_dir());
        if is_dir && pid != std::process::id() && !proc_dir.join(pid.to_string()).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A new folder only this user can enter (0700), under a fresh random name in the system temp
/// dir. It is created, not reused: a folder someone else made under that name makes this fail.
fn private_temp_dir() -> std::io::Result<PathBuf> {
    let parent = std::env::temp_dir();
    sweep_abandoned(&parent);
    let dir = parent.join(format!(
        "{TEMP_PREFIX}{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    let mut builder = std::fs::DirBuilder::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(&dir)?;
    Ok(dir)
}

/// Starts the server task; returns the shared state, the task and a temp dir to remove later.
pub(crate) async fn start(
    config: SimConfig,
) -> Result<(Arc<Shared>, JoinHandle<()>, Option<PathBuf>), SimError> {
    // The catalog's models that are not bundled get stand-in documents; the config's extra
    // documents replace any of them.
    let bundled = openapi::load_documents(&[])?;
    let mut extra = super::price_list::extra_documents(&bundled);
    extra.extend(config.extra_documents.iter().cloned());
    let documents = openapi::load_documents(&extra)?;
    let layout = Layout {
        one_origin: config.one_origin,
    };
    // Bind first: a port in use must not leave a storage directory behind.
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", config.port))
        .await
        .map_err(|source| SimError::Bind {
            port: config.port,
            source,
        })?;
    let port = listener
        .local_addr()
        .map_err(|source| SimError::Bind {
            port: config.port,
            source,
        })?
        .port();

    let (root, temp_dir) = match &config.storage_dir {
        Some(dir) => (dir.clone(), None),
        None => {
            let dir = private_temp_dir().map_err(|source| SimError::Storage {
                path: std::env::temp_dir(),
                source,
            })?;
            (dir.clone(), Some(dir))
        }
    };
    let storage = Storage::new(root.clone()).map_err(|source| SimError::Storage {
        path: root.clone(),
        source,
    })?;

    let shared = Arc::new(Shared {
        base_url: format!("http://127.0.0.1:{port}"),
        port,
        layout,
        key: config.key.clone(),
        settings: Mutex::new(Settings {
            queue_time: config.queue_time,
            run_time: config.run_time,
            initial_queue_position: config.initial_queue_position,
            ping_interval: DEFAULT_PING_INTERVAL,
            max_clip_seconds: DEFAULT_MAX_CLIP_SECONDS,
            forget_after: None,
            history_delay: Duration::ZERO,
            key_scope: config.key_scope,
            catalog_page_size: None,
            deprecated: Default::default(),
            delisted: Default::default(),
            billable_units: None,
            billable_units_header: true,
        }),
        documents,
        jobs: Mutex::new(HashMap::new()),
        faults: Mutex::new(Faults::default()),
        requests: Mutex::new(Vec::new()),
        submissions: Mutex::new(Vec::new()),
        storage,
        clips: Mutex::new(HashMap::new()),
        shutdown: CancellationToken::new(),
    });

    let mut router = Router::new()
        .route(
            &format!("{}/storage/upload/{{kind}}", layout.rest_prefix()),
            post(upload::initiate),
        )
        .route("/upload/{*rest}", any(upload::upload))
        .route("/cdn/files/{*key}", get(cdn::serve_file))
        .route("/cdn/thumbs/{name}", get(platform_api::thumbnail))
        .route(OPENAPI_PATH, get(openapi::document))
        .route(
            "/api/v1/models/requests/by-endpoint",
            get(history::by_endpoint),
        )
        .route("/api/v1/models", get(platform_api::models))
        .route("/api/v1/models/pricing", get(platform_api::pricing))
        .route(
            "/api/v1/models/pricing/estimate",
            post(platform_api::estimate),
        )
        .route("/api/v1/models/usage", get(platform_api::usage))
        .route(
            "/api/v1/models/billing-events",
            get(platform_api::billing_events),
        )
        .route(
            "/api/v1/account/billing",
            get(platform_api::account_billing),
        );
    router = if layout.one_origin {
        // The queue takes every path the other hosts do not, as at a proxy in front of fal.
        router.fallback(queue::queue_at_root)
    } else {
        router.route("/queue/{*rest}", any(queue::queue_entry))
    };
    let router = router
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            record::observe,
        ))
        // Outermost: a request for another Host is refused before anything else sees it.
        .layer(axum::middleware::from_fn_with_state(
            shared.clone(),
            guard::own_host_only,
        ))
        .with_state(shared.clone());

    let token = shared.shutdown.clone();
    let server = tokio::spawn(async move {
        let result = axum::serve(listener, router)
            .with_graceful_shutdown(async move { token.cancelled().await })
            .await;
        if let Err(err) = result {
            tracing::warn!("the simulator stopped serving: {err}");
        }
    });
    Ok((shared, server, temp_dir))
}
