//! Catalog, prices, estimates, spend and budgets against the simulator's platform API over
//! loopback (real HTTP, real files on disk).

use std::time::Duration;

use reelsmith_core::catalog::browse::{self, CatalogMemory, ResultSource};
use reelsmith_core::catalog::{Catalog, bundled::bundled_documents};
use reelsmith_core::fal::platform::pricing::EstimateBasis;
use reelsmith_core::fal::platform::{ModelQuery, ModelStatus};
use reelsmith_core::fal::{ClientOptions, FalClient, FalUrls};
use reelsmith_core::money::{PRICE_MAX_AGE, PriceBook, refresh_prices};
use reelsmith_core::schema::cost::{self, PriceSource, UNPRICED_BUNDLED, UnitKind};
use reelsmith_sim::{Route, SimConfig, Simulator};
use serde_json::json;

use crate::common;

async fn sim() -> Simulator {
    Simulator::start(SimConfig::default())
        .await
        .expect("simulator starts")
}

fn client(sim: &Simulator) -> FalClient {
    common::client_for(
        sim,
        &sim.key(),
        Duration::from_millis(20),
        Duration::from_millis(100),
        ClientOptions::default(),
    )
}

/// A client whose every base is a port nothing listens on: fal "offline".
fn offline_client(key: &str) -> FalClient {
    let dead = "http://127.0.0.1:9";
    FalClient::new(
        FalUrls {
            queue: format!("{dead}/queue"),
            rest: format!("{dead}/rest"),
            openapi: format!("{dead}/openapi"),
            api: format!("{dead}/api/v1"),
        },
        Some(reelsmith_core::fal::ApiKey::new(key)),
    )
    .unwrap()
    .with_retry(reelsmith_core::fal::RetryPolicy {
        max_retries: 0,
        base_delay: Duration::from_millis(1),
        max_delay: Duration::from_millis(1),
    })
}

fn ids_in(query: &str) -> usize {
    url::form_urlencoded::parse(query.split_once('?').map_or("", |(_, q)| q).as_bytes())
        .filter(|(k, _)| k == "endpoint_id")
        .count()
}

#[tokio::test]
async fn the_catalog_is_searched_over_every_page() {
    let sim = sim().await;
    sim.set_catalog_page_size(Some(5));
    let c = client(&sim);
    let all = c.search_models(&ModelQuery::default(), 20).await.unwrap();
    assert_eq!(all.items.len(), sim.catalog_ids().len());
    assert_eq!(all.pages, sim.catalog_ids().len().div_ceil(5));
    assert!(all.complete);
    // A page cap leaves the listing marked incomplete.
    let capped = c.search_models(&ModelQuery::default(), 2).await.unwrap();
    assert_eq!((capped.items.len(), capped.complete), (10, false));

    let veo = c
        .search_models(
            &ModelQuery {
                text: "veo image".into(),
                category: Some("image-to-video".into()),
                status: None,
            },
            20,
        )
        .await
        .unwrap();
    assert!(veo.items.iter().all(|m| m.category == "image-to-video"));
    assert!(
        veo.items
            .iter()
            .any(|m| m.endpoint_id == "fal-ai/veo3.1/image-to-video")
    );
    let old = c
        .search_models(
            &ModelQuery {
                status: Some(ModelStatus::Deprecated),
                ..ModelQuery::default()
            },
            20,
        )
        .await
        .unwrap();
    assert_eq!(old.items.len(), 1);
    assert!(old.items[0].is_deprecated());
    assert!(old.items[0].thumbnail_url.is_some());
    assert_eq!(old.items[0].family.as_ref().unwrap().label, "Veo 3.1");
}

#[tokio::test]
async fn prices_come_in_batches_of_50_and_a_404_batch_is_split() {
    let sim = sim().await;
    let c = client(&sim);
    let known = sim.catalog_ids();
    let mut ids: Vec<String> = known.clone();
    ids.extend((0..40).map(|i| format!("fal-ai/unknown-{i}")));
    let lookup = c.prices(&ids).await.unwrap();
    assert_eq!(lookup.prices.len(), known.len());
    assert_eq!(lookup.unknown.len(), 40);
    for p in &lookup.prices {
        let (price, unit) = sim.price_of(&p.endpoint_id).unwrap();
        assert_eq!((p.unit_price, p.unit.as_str()), (price, unit.as_str()));
    }
    let asks: Vec<String> = sim
        .requests()
        .into_iter()
        .filter(|r| r.route == Route::Pricing)
        .map(|r| r.path_and_query)
        .collect();
    assert!(
        asks.iter().all(|q| (1..=50).contains(&ids_in(q))),
        "{asks:?}"
    );
    assert_eq!(ids_in(&asks[0]), 50, "the first batch is full");
    assert_eq!(asks.len(), lookup.calls);
}

#[tokio::test]
async fn one_unknown_id_in_a_batch_is_isolated() {
    let sim = sim().await;
    let c = client(&sim);
    let mut ids: Vec<String> = bundled_documents()
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    ids.insert(5, "fal-ai/no-such-model".into());
    let lookup = c.prices(&ids).await.unwrap();
    assert_eq!(lookup.unknown, ["fal-ai/no-such-model"]);
    assert_eq!(lookup.prices.len(), ids.len() - 1);
    // 13 ids: the whole batch, then halves down to the bad one (far fewer than one per id).
    assert!(
        lookup.calls > 1 && lookup.calls < 13,
        "{} calls",
        lookup.calls
    );
    let statuses: Vec<u16> = sim
        .requests()
        .iter()
        .filter(|r| r.route == Route::Pricing)
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses[0], 404);
    assert_eq!(*statuses.last().unwrap(), 200);
}

#[test]
fn the_bundled_price_table_matches_the_simulators_live_prices() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = rt.block_on(sim());
    for (id, _) in bundled_documents() {
        let (live, unit) = sim
            .price_of(id)
            .unwrap_or_else(|| panic!("the simulator has no price for bundled {id}"));
        match cost::bundled_unit_price(id) {
            Some((kind, table)) => {
                assert_eq!(UnitKind::of(&unit), kind, "{id}: unit");
                assert!(
                    (table - live).abs() < 1e-9,
                    "{id}: table ${table}, simulator ${live}"
                );
            }
            None => assert!(
                UNPRICED_BUNDLED.contains(id),
                "{id} is neither in the bundled price table nor listed as unpriced"
            ),
        }
    }
}

#[tokio::test]
async fn live_prices_are_cached_with_their_date_and_used_offline() {
    let sim = sim().await;
    let c = client(&sim);
    let dir = tempfile::tempdir().unwrap();
    let path = PriceBook::path_in(dir.path());
    let key = c.key_fingerprint();
    let wanted: Vec<String> = vec![
        "fal-ai/veo3.1/image-to-video".into(),
        "fal-ai/video-as-prompt".into(),
    ];
    let mut book = PriceBook::load(&path, key.as_deref());
    assert_eq!(
        refresh_prices(&c, &mut book, &wanted, PRICE_MAX_AGE)
            .await
            .unwrap(),
        2
    );
    // Fresh prices are not asked again.
    assert_eq!(
        refresh_prices(&c, &mut book, &wanted, PRICE_MAX_AGE)
            .await
            .unwrap(),
        0
    );
    book.save(&path).unwrap();

    // Offline: the cached live price is used, dated.
    let offline = offline_client(&sim.key());
    let mut cached = PriceBook::load(&path, offline.key_fingerprint().as_deref());
    assert!(
        refresh_prices(&offline, &mut cached, &wanted, Duration::ZERO)
            .await
            .is_err()
    );
    let e = cached
        .estimate("fal-ai/video-as-prompt", &json!({}))
        .unwrap();
    assert!(matches!(e.source, PriceSource::Live { .. }));
    assert!((e.usd - 0.40).abs() < 1e-9);
    assert!(e.to_string().contains("fal's live price, fetched"), "{e}");

    // Another key never sees these prices; with no live price the bundled table answers.
    let other = PriceBook::load(&path, Some("another-key"));
    assert!(other.prices.is_empty());
    let e = other
        .estimate("fal-ai/veo3.1/image-to-video", &json!({"duration": "8s"}))
        .unwrap();
    assert_eq!(e.source, PriceSource::Bundled);
    assert!(e.to_string().contains(cost::PRICE_DATE), "{e}");
    let none = other
        .estimate("fal-ai/video-as-prompt", &json!({}))
        .unwrap_err();
    assert!(none.0.contains("no price on record"), "{none}");
}

#[tokio::test]
async fn estimates_use_the_live_unit_price_for_each_unit_kind() {
    let sim = sim().await;
    let c = client(&sim);
    let mut book = PriceBook::load(&tempfile::tempdir().unwrap().path().join("p.json"), None);
    let ids = sim.catalog_ids();
    refresh_prices(&c, &mut book, &ids, PRICE_MAX_AGE)
        .await
        .unwrap();

    // Per second, scaled by the table's audio ratio.
    let e = book
        .estimate(
            "fal-ai/veo3.1/image-to-video",
            &json!({"duration": "8s", "generate_audio": false}),
        )
        .unwrap();
    assert!((e.usd - 8.0 * 0.20).abs() < 1e-9, "{e}");
    assert_eq!(e.unit, "seconds");
    // Per second for an endpoint outside the table (Kling O1 pro): the live price alone.
    let e = book
        .estimate(
            "fal-ai/kling-video/o1/reference-to-video",
            &json!({"duration": "10"}),
        )
        .unwrap();
    assert!((e.usd - 1.68).abs() < 1e-9, "{e}");
    // Per video.
    let e = book.estimate("fal-ai/video-as-prompt", &json!({})).unwrap();
    assert_eq!((e.usd, e.unit.as_str()), (0.40, "video"));
    // Per megapixel.
    let e = book
        .estimate(
            "fal-ai/flux/dev",
            &json!({"image_size": {"width": 2000, "height": 1000}, "num_images": 2}),
        )
        .unwrap();
    assert!((e.usd - 4.0 * 0.025).abs() < 1e-9, "{e}");
    // A unit the form cannot count says so; fal's estimate call answers for it instead.
    let why = book
        .estimate("fal-ai/ltx-2/text-to-video", &json!({}))
        .unwrap_err();
    assert!(why.0.contains("compute seconds"), "{why}");
    let (total, currency) = c
        .estimate_price("fal-ai/ltx-2/text-to-video", EstimateBasis::Calls(2))
        .await
        .unwrap();
    assert!(total > 0.0 && currency == "USD");
    let (units, _) = c
        .estimate_price("fal-ai/veo3.1", EstimateBasis::Units(8.0))
        .await
        .unwrap();
    assert!((units - 3.2).abs() < 1e-9);
}

#[tokio::test]
async fn the_browser_remembers_searches_for_offline_use() {
    let sim = sim().await;
    let c = client(&sim);
    let dir = tempfile::tempdir().unwrap();
    let path = CatalogMemory::path_in(dir.path());
    let mut memory = CatalogMemory::load(&path);
    let q = ModelQuery {
        text: "kling".into(),
        ..ModelQuery::default()
    };
    let live = browse::search(&c, &mut memory, &q).await;
    assert_eq!(live.source, ResultSource::Live);
    assert!(live.models.len() >= 3);
    memory.save(&path).unwrap();

    let offline = offline_client(&sim.key());
    let mut memory = CatalogMemory::load(&path);
    let again = browse::search(&offline, &mut memory, &q).await;
    assert!(matches!(again.source, ResultSource::Cached(_)));
    assert_eq!(again.models, live.models);
    assert!(again.error.is_some());
    // A search never made offline answers from the models seen.
    let seen = browse::search(
        &offline,
        &mut memory,
        &ModelQuery {
            text: "v3 pro".into(),
            ..ModelQuery::default()
        },
    )
    .await;
    assert_eq!(seen.source, ResultSource::Seen);
    assert_eq!(seen.models.len(), 1);
    assert_eq!(
        seen.models[0].endpoint_id,
        "fal-ai/kling-video/v3/pro/text-to-video"
    );
}

#[tokio::test]
async fn deprecated_and_delisted_endpoints_say_so_and_name_a_successor() {
    let sim = sim().await;
    let c = client(&sim);
    let mut memory = CatalogMemory::default();
    browse::search(&c, &mut memory, &ModelQuery::default()).await;
    let note = memory
        .deprecation_note("fal-ai/veo3/image-to-video")
        .unwrap();
    assert!(
        note.contains("deprecated") && note.contains("stay usable"),
        "{note}"
    );
    assert!(note.contains("fal-ai/veo3.1/lite/image-to-video"), "{note}");
    assert!(
        memory
            .deprecation_note("fal-ai/veo3.1/image-to-video")
            .is_none()
    );

    sim.deprecate("fal-ai/veo3.1/fast/extend-video");
    sim.delist("fal-ai/veo3.1/extend-video");
    let sidebar: Vec<String> = bundled_documents()
        .iter()
        .map(|(id, _)| id.to_string())
        .collect();
    browse::refresh_status(&c, &mut memory, &sidebar)
        .await
        .unwrap();
    let fast = memory
        .deprecation_note("fal-ai/veo3.1/fast/extend-video")
        .unwrap();
    assert!(fast.contains("deprecated"), "{fast}");
    let gone = memory
        .deprecation_note("fal-ai/veo3.1/extend-video")
        .unwrap();
    assert!(gone.contains("no longer lists"), "{gone}");
    // The catalog still lists all the others.
    assert_eq!(memory.removed.len(), 1);
}

#[tokio::test]
async fn an_endpoint_added_from_the_catalog_is_listed_under_its_family() {
    let sim = sim().await;
    let c = client(&sim);
    let dir = tempfile::tempdir().unwrap();
    let mut catalog = Catalog::load(dir.path());
    let mut memory = CatalogMemory::default();
    let found = browse::search(
        &c,
        &mut memory,
        &ModelQuery {
            text: "kling v3".into(),
            ..ModelQuery::default()
        },
    )
    .await;
    let info = found.models.first().unwrap().clone();
    let model = catalog
        .add_from_catalog(&c, &info, &sim.openapi_url())
        .await
        .unwrap();
    assert_eq!(model.endpoint_id, "fal-ai/kling-video/v3/pro/text-to-video");
    // The document came with the catalog entry (expand=openapi-3.0), not the OpenAPI service.
    assert!(sim.requests().iter().all(|r| r.route != Route::OpenApi));
    let entry = Catalog::load(dir.path())
        .entries()
        .into_iter()
        .find(|e| e.endpoint_id == info.endpoint_id)
        .unwrap();
    assert_eq!(
        (entry.family.as_str(), entry.name.as_str()),
        ("Kling", "Kling v3 Pro Text to Video")
    );
}
