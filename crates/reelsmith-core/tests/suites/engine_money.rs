//! The engine and money: budgets refused before anything is recorded, uploaded or submitted;
//! the estimate and the billed cost recorded in the journal and the sidecar; spend read from
//! fal's usage API or, for a key that may not read it, from the journal.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use reelsmith_core::fal::{ClientOptions, FalClient};
use reelsmith_core::jobs::{
    BundledModels, EngineConfig, EngineError, EngineHandle, JobEngine, JobState, ModelSource,
    NewJob,
};
use reelsmith_core::library::{Sidecar, sidecar_path};
use reelsmith_core::money::{
    MoneyHandle, PRICE_MAX_AGE, PriceBook, RealCostSource, SpendSource, current_spend,
    refresh_prices,
};
use reelsmith_core::schema::{FieldValue, FormState, MediaRef};
use reelsmith_core::settings::Budgets;
use reelsmith_core::store::Journal;
use reelsmith_sim::{KeyScope, Route, SimConfig, Simulator};

use crate::common;
use crate::engine_support::{I2V, png};

async fn sim(scope: KeyScope) -> Simulator {
    Simulator::start(SimConfig {
        queue_time: Duration::from_millis(100),
        run_time: Duration::from_millis(200),
        key_scope: scope,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

fn client(sim: &Simulator) -> FalClient {
    common::client_for(
        sim,
        &sim.key(),
        Duration::from_millis(20),
        Duration::from_millis(100),
        ClientOptions {
            poll_interval: Duration::from_millis(50),
            max_poll_interval: Duration::from_millis(100),
            ..ClientOptions::default()
        },
    )
}

fn i2v_job(image: &Path, seconds: &str, audio: bool) -> NewJob {
    let model = BundledModels.model(I2V).unwrap();
    let mut form = FormState::from_defaults(&model);
    form.set_from_str(&model, "prompt", "a lighthouse at dusk")
        .unwrap();
    form.set_from_str(&model, "duration", seconds).unwrap();
    form.values
        .insert("generate_audio".into(), FieldValue::Bool(audio));
    form.values.insert(
        "image_url".into(),
        FieldValue::Media(MediaRef::Local(image.to_path_buf())),
    );
    NewJob {
        endpoint_id: I2V.into(),
        form,
        output: None,
        overwrite_output: false,
    }
}

struct Rig {
    _dir: tempfile::TempDir,
    image: PathBuf,
    out: PathBuf,
    engine: EngineHandle,
    journal: Arc<Journal>,
    money: MoneyHandle,
}

async fn rig(sim: &Simulator, budgets: Budgets, live_prices: bool) -> Rig {
    let dir = tempfile::tempdir().unwrap();
    let image = png(&dir.path().join("still.png"), 7);
    let out = dir.path().join("videos");
    let c = client(sim);
    let mut book = PriceBook::default();
    if live_prices {
        refresh_prices(&c, &mut book, &[I2V.to_string()], PRICE_MAX_AGE)
            .await
            .unwrap();
    }
    let money = MoneyHandle::new(book, budgets);
    let journal = Arc::new(Journal::open_in(&dir.path().join("data")).unwrap());
    let (engine, _rx) = JobEngine::start(
        EngineConfig {
            output_dir: out.clone(),
            resume_on_start: false,
            money: money.clone(),
            ..EngineConfig::default()
        },
        c,
        Arc::new(BundledModels),
        journal.clone(),
    )
    .unwrap();
    Rig {
        _dir: dir,
        image,
        out,
        engine,
        journal,
        money,
    }
}

fn spent_requests(sim: &Simulator) -> usize {
    sim.requests()
        .iter()
        .filter(|r| {
            matches!(
                r.route,
                Route::UploadInitiate | Route::UploadPut | Route::Submit
            )
        })
        .count()
}

#[tokio::test]
async fn a_job_over_the_daily_budget_is_refused_before_any_upload_or_submit() {
    let sim = sim(KeyScope::Api).await;
    let rig = rig(
        &sim,
        Budgets {
            daily_usd: Some(2.0),
            monthly_usd: None,
        },
        true,
    )
    .await;
    // 8 s with audio at the live $0.40/s is $3.20 > $2.00.
    let err = rig
        .engine
        .submit(i2v_job(&rig.image, "8s", true))
        .await
        .unwrap_err();
    let EngineError::OverBudget(over) = &err else {
        panic!("expected a budget refusal, got {err}");
    };
    assert_eq!(over.period, "daily");
    assert!((over.adding - 3.2).abs() < 1e-9 && over.spent == 0.0);
    assert_eq!(
        over.spent_from,
        SpendSource::Journal,
        "an API key may not read usage"
    );
    let text = err.to_string();
    assert!(text.contains("$2.00") && text.contains("$3.20"), "{text}");
    assert_eq!(spent_requests(&sim), 0, "nothing uploaded or submitted");
    assert!(
        rig.journal.jobs_checked().unwrap().0.is_empty(),
        "nothing recorded"
    );

    // A batch whose jobs each fit but together pass the budget is refused whole.
    let batch = vec![
        i2v_job(&rig.image, "4s", false),
        i2v_job(&rig.image, "4s", false),
        i2v_job(&rig.image, "4s", false),
    ];
    let err = rig
        .engine
        .submit_batch(batch.clone(), false)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("these 3 jobs"), "{err}");
    assert_eq!(spent_requests(&sim), 0);

    // Going on over budget when asked.
    let ids = rig.engine.submit_batch(batch, true).await.unwrap();
    assert_eq!(ids.len(), 3);
    for id in &ids {
        let job = rig.engine.wait_finished(id).await.unwrap();
        assert_eq!(job.state, JobState::Done, "{:?}", job.failure);
    }
    assert_eq!(sim.submissions().len(), 3);
}

#[tokio::test]
async fn the_monthly_budget_counts_what_the_journal_recorded() {
    let sim = sim(KeyScope::Api).await;
    let rig = rig(
        &sim,
        Budgets {
            daily_usd: None,
            monthly_usd: Some(2.0),
        },
        true,
    )
    .await;
    // $1.60 fits.
    let id = rig
        .engine
        .submit(i2v_job(&rig.image, "4s", true))
        .await
        .unwrap();
    rig.engine.wait_finished(&id).await.unwrap();
    let before = spent_requests(&sim);
    // Another $1.60 does not: $1.60 spent this month (billed, from the journal) + $1.60.
    let err = rig
        .engine
        .submit(i2v_job(&rig.image, "4s", true))
        .await
        .unwrap_err();
    assert!(
        matches!(&err, EngineError::OverBudget(o) if o.period == "monthly" && (o.spent - 1.6).abs() < 1e-9),
        "{err}"
    );
    assert_eq!(spent_requests(&sim), before);
    // Raising the budget lets it through.
    rig.money.set_budgets(Budgets {
        daily_usd: None,
        monthly_usd: Some(5.0),
    });
    rig.engine
        .submit(i2v_job(&rig.image, "4s", true))
        .await
        .unwrap();
}

#[tokio::test]
async fn the_billed_units_of_the_result_are_recorded_with_the_estimate() {
    let sim = sim(KeyScope::Api).await;
    sim.set_billable_units(Some(7.5));
    let rig = rig(&sim, Budgets::default(), true).await;
    let id = rig
        .engine
        .submit(i2v_job(&rig.image, "8s", true))
        .await
        .unwrap();
    let job = rig.engine.wait_finished(&id).await.unwrap();
    assert_eq!(job.state, JobState::Done, "{:?}", job.failure);
    let stored = rig.journal.job(&id).unwrap().unwrap();
    assert!((stored.cost.estimate_usd.unwrap() - 3.2).abs() < 1e-9);
    assert_eq!(stored.cost.billable_units, Some(7.5));
    assert!(
        (stored.cost.real_usd.unwrap() - 3.0).abs() < 1e-9,
        "7.5 units × $0.40"
    );
    assert_eq!(stored.cost.real_source, Some(RealCostSource::BillableUnits));
    assert!(
        stored
            .cost
            .estimate_basis
            .as_deref()
            .unwrap()
            .contains("fal's live price"),
        "{:?}",
        stored.cost.estimate_basis
    );
    let side = Sidecar::read(&sidecar_path(stored.output_path.as_ref().unwrap())).unwrap();
    assert_eq!(side.cost, stored.cost);
    assert!(rig.out.exists());
}

#[tokio::test]
async fn without_the_header_an_admin_key_reads_the_billing_event() {
    let sim = sim(KeyScope::Admin).await;
    sim.set_billable_units_header(false);
    let rig = rig(&sim, Budgets::default(), true).await;
    let id = rig
        .engine
        .submit(i2v_job(&rig.image, "6s", true))
        .await
        .unwrap();
    rig.engine.wait_finished(&id).await.unwrap();
    let stored = rig.journal.job(&id).unwrap().unwrap();
    assert_eq!(stored.cost.real_source, Some(RealCostSource::BillingEvent));
    assert!((stored.cost.real_usd.unwrap() - 2.4).abs() < 1e-9);
    assert!(
        sim.requests()
            .iter()
            .any(|r| r.route == Route::BillingEvents)
    );

    // An API key gets 403 there: the cost stays unknown and the estimate stands.
    let api = self::sim(KeyScope::Api).await;
    api.set_billable_units_header(false);
    let rig = self::rig(&api, Budgets::default(), true).await;
    let id = rig
        .engine
        .submit(i2v_job(&rig.image, "6s", true))
        .await
        .unwrap();
    rig.engine.wait_finished(&id).await.unwrap();
    let stored = rig.journal.job(&id).unwrap().unwrap();
    assert_eq!(stored.cost.real_usd, None);
    assert!((stored.cost.estimate_usd.unwrap() - 2.4).abs() < 1e-9);
}

#[tokio::test]
async fn spend_comes_from_usage_with_an_admin_key_and_from_the_journal_otherwise() {
    for scope in [KeyScope::Admin, KeyScope::Api] {
        let sim = sim(scope).await;
        let rig = rig(&sim, Budgets::default(), true).await;
        let id = rig
            .engine
            .submit(i2v_job(&rig.image, "4s", false))
            .await
            .unwrap();
        rig.engine.wait_finished(&id).await.unwrap();
        let spend = current_spend(&client(&sim), &rig.money, &rig.journal, false)
            .await
            .unwrap();
        assert!((spend.today_usd - 0.8).abs() < 1e-9, "{scope:?}: {spend:?}");
        assert!((spend.month_usd - 0.8).abs() < 1e-9, "{scope:?}: {spend:?}");
        match scope {
            KeyScope::Admin => {
                assert_eq!(spend.source, SpendSource::Usage);
                let balance = spend.balance.unwrap();
                assert!((balance.current_balance - 99.2).abs() < 1e-9);
            }
            KeyScope::Api => {
                assert_eq!(spend.source, SpendSource::Journal);
                assert!(spend.balance.is_none());
                assert!(
                    spend.notes.iter().any(|n| n.contains("ADMIN")),
                    "{:?}",
                    spend.notes
                );
            }
        }
    }
}

#[tokio::test]
async fn a_unit_the_form_cannot_count_is_priced_by_fals_estimate_and_checked() {
    let sim = sim(KeyScope::Api).await;
    let dir = tempfile::tempdir().unwrap();
    let c = client(&sim);
    let ltx = "fal-ai/ltx-2/text-to-video";
    let mut book = PriceBook::default();
    refresh_prices(&c, &mut book, &[ltx.to_string()], PRICE_MAX_AGE)
        .await
        .unwrap();
    let money = MoneyHandle::new(
        book,
        Budgets {
            daily_usd: Some(0.01),
            monthly_usd: None,
        },
    );
    // The simulator's catalog documents for models it does not bundle.
    let mut catalog = reelsmith_core::catalog::Catalog::load(dir.path());
    catalog.fetch(ltx, &sim.openapi_url()).await.unwrap();
    let model = catalog.model(ltx).unwrap();
    let journal = Arc::new(Journal::open_in(&dir.path().join("data")).unwrap());
    let (engine, _rx) = JobEngine::start(
        EngineConfig {
            output_dir: dir.path().join("videos"),
            resume_on_start: false,
            money,
            ..EngineConfig::default()
        },
        c,
        Arc::new(catalog),
        journal,
    )
    .unwrap();
    let mut form = FormState::from_defaults(&model);
    form.set_from_str(&model, "prompt", "a red kite").unwrap();
    let new = NewJob {
        endpoint_id: ltx.into(),
        form,
        output: None,
        overwrite_output: false,
    };
    let check = engine
        .check_budget(std::slice::from_ref(&new))
        .await
        .unwrap();
    let e = check.estimates[0].as_ref().unwrap();
    assert_eq!(
        e.source,
        reelsmith_core::schema::cost::PriceSource::FalEstimate
    );
    assert!(e.usd > 0.01, "{e:?}");
    assert!(check.over.is_some());
    assert!(
        sim.requests()
            .iter()
            .any(|r| r.route == Route::PricingEstimate)
    );
    assert!(matches!(
        engine.submit(new).await,
        Err(EngineError::OverBudget(_))
    ));
    assert!(sim.submissions().is_empty());
}
