//! The simulator's request history (`/api/v1/models/requests/by-endpoint`) and the knobs for
//! lost submit answers, ingress error pages and forgotten results, over real HTTP with plain
//! reqwest.

use std::time::{Duration, Instant};

use reelsmith_sim::{LostAnswer, Route, SimConfig, Simulator};
use reqwest::StatusCode;
use serde_json::{Value, json};

const T2V: &str = "fal-ai/veo3.1";
const FAST_T2V: &str = "fal-ai/veo3.1/fast";

async fn start(queue_ms: u64, run_ms: u64) -> Simulator {
    let sim = Simulator::start(SimConfig {
        queue_time: Duration::from_millis(queue_ms),
        run_time: Duration::from_millis(run_ms),
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    sim.set_max_clip_seconds(0.5);
    sim
}

fn http() -> reqwest::Client {
    reqwest::Client::builder().no_proxy().build().unwrap()
}

fn auth(sim: &Simulator) -> String {
    format!("Key {}", sim.key())
}

async fn submit(sim: &Simulator, endpoint: &str, input: &Value) -> reqwest::Response {
    http()
        .post(format!("{}/{endpoint}", sim.queue_url()))
        .header("Authorization", auth(sim))
        .json(input)
        .send()
        .await
        .expect("submit answered")
}

async fn history(sim: &Simulator, query: &str) -> (StatusCode, Value) {
    let r = http()
        .get(format!(
            "{}/models/requests/by-endpoint?{query}",
            sim.api_url()
        ))
        .header("Authorization", auth(sim))
        .send()
        .await
        .expect("history answered");
    let status = r.status();
    (status, r.json().await.expect("history json"))
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["request_id"].as_str().unwrap().to_string())
        .collect()
}

async fn wait_completed(sim: &Simulator, status_url: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let body: Value = http()
            .get(status_url)
            .header("Authorization", auth(sim))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if body["status"] == "COMPLETED" {
            return;
        }
        assert!(Instant::now() < deadline, "never completed: {body}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn history_lists_every_queued_request_with_filters_payloads_and_paging() {
    let sim = start(100, 100).await;
    let mut queued = Vec::new();
    for n in 0..3 {
        let body: Value = submit(&sim, T2V, &json!({"prompt": format!("shot {n}")}))
            .await
            .json()
            .await
            .unwrap();
        queued.push(body);
    }
    let other: Value = submit(&sim, FAST_T2V, &json!({"prompt": "elsewhere"}))
        .await
        .json()
        .await
        .unwrap();

    // Without payloads: the documented fields, no json_input/json_output.
    let (status, page) = history(&sim, &format!("endpoint_id={T2V}")).await;
    assert_eq!(status, 200);
    assert_eq!(page["items"].as_array().unwrap().len(), 3);
    assert_eq!(page["has_more"], false);
    assert!(page["next_cursor"].is_null());
    let item = &page["items"][0];
    for field in [
        "request_id",
        "endpoint_id",
        "sent_at",
        "started_at",
        "ended_at",
        "status_code",
    ] {
        assert!(item.get(field).is_some(), "{field} in {item}");
    }
    assert!(item.get("json_input").is_none());

    // With payloads, for one request by id.
    let first = queued[0]["request_id"].as_str().unwrap();
    let (_, page) = history(
        &sim,
        &format!("endpoint_id={T2V}&request_id={first}&expand=payloads"),
    )
    .await;
    assert_eq!(ids(&page), [first]);
    assert_eq!(page["items"][0]["json_input"], json!({"prompt": "shot 0"}));
    assert!(
        page["items"][0]["json_output"].is_null(),
        "not finished yet"
    );

    // Two endpoints at once (comma-separated), paged one by one.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let mut q = format!("endpoint_id={T2V},{FAST_T2V}&limit=1");
        if let Some(c) = &cursor {
            q.push_str(&format!("&cursor={}", urlencode(c)));
        }
        let (status, page) = history(&sim, &q).await;
        assert_eq!(status, 200, "{page}");
        seen.extend(ids(&page));
        match page["next_cursor"].as_str() {
            Some(c) => {
                assert_eq!(page["has_more"], true);
                cursor = Some(c.to_string());
            }
            None => break,
        }
    }
    seen.sort();
    let mut all: Vec<String> = queued
        .iter()
        .chain(std::iter::once(&other))
        .map(|q| q["request_id"].as_str().unwrap().to_string())
        .collect();
    all.sort();
    assert_eq!(seen, all);

    // The time window: `end` is exclusive and before every request here.
    let (_, page) = history(&sim, &format!("endpoint_id={T2V}&end=2020-01-01")).await;
    assert!(ids(&page).is_empty());

    // Once finished: the output and the status code, filterable by status.
    let status_url = queued[0]["status_url"].as_str().unwrap();
    wait_completed(&sim, status_url).await;
    let (_, page) = history(
        &sim,
        &format!("endpoint_id={T2V}&request_id={first}&expand=payloads&status=success"),
    )
    .await;
    let item = &page["items"][0];
    assert_eq!(item["status_code"], 200);
    assert!(item["json_output"]["video"]["url"].is_string(), "{item}");
    assert!(item["ended_at"].is_string() && item["duration"].is_number());
    assert_eq!(
        sim.requests()
            .iter()
            .filter(|r| r.route == Route::History)
            .count(),
        8
    );
    sim.shutdown().await;
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[tokio::test]
async fn history_errors_use_the_platform_envelope() {
    let sim = start(100, 100).await;
    let r = http()
        .get(format!(
            "{}/models/requests/by-endpoint?endpoint_id={T2V}",
            sim.api_url()
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"]["type"], "authorization_error");
    for bad in [
        "",
        "endpoint_id=a/b&limit=500",
        "endpoint_id=a/b&start=soon",
    ] {
        let (status, body) = history(&sim, bad).await;
        assert_eq!(status, 400, "{bad}");
        assert_eq!(body["error"]["type"], "validation_error", "{bad}");
        assert!(body["error"]["message"].is_string());
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn a_lost_gateway_answer_still_queues_exactly_one_job() {
    let sim = start(100, 100).await;
    sim.lose_next_submit_answers(LostAnswer::GatewayTimeout, 1);
    let r = submit(&sim, T2V, &json!({"prompt": "lost"})).await;
    assert_eq!(r.status(), 504);
    assert!(r.headers().get("x-fal-request-id").is_none());
    let page = r.text().await.unwrap();
    assert!(page.contains("nginx"), "{page}");
    assert_eq!(sim.submissions().len(), 1, "the job was queued");
    let (_, listed) = history(&sim, &format!("endpoint_id={T2V}&expand=payloads")).await;
    assert_eq!(ids(&listed), [sim.submissions()[0].request_id.clone()]);
    assert_eq!(listed["items"][0]["json_input"]["prompt"], "lost");
    sim.shutdown().await;
}

#[tokio::test]
async fn a_closed_connection_and_a_late_answer_queue_the_job_too() {
    let sim = start(100, 100).await;
    sim.lose_next_submit_answers(LostAnswer::CloseConnection, 1);
    let err = http()
        .post(format!("{}/{T2V}", sim.queue_url()))
        .header("Authorization", auth(&sim))
        .json(&json!({"prompt": "closed"}))
        .send()
        .await
        .expect_err("no answer at all");
    assert!(!err.is_connect() && !err.is_timeout(), "{err:?}");
    assert_eq!(sim.submissions().len(), 1);

    sim.lose_next_submit_answers(LostAnswer::Delay(Duration::from_secs(3)), 1);
    let err = http()
        .post(format!("{}/{T2V}", sim.queue_url()))
        .header("Authorization", auth(&sim))
        .timeout(Duration::from_millis(400))
        .json(&json!({"prompt": "late"}))
        .send()
        .await
        .expect_err("the answer comes too late");
    assert!(err.is_timeout(), "{err:?}");
    assert_eq!(sim.submissions().len(), 2);
    sim.shutdown().await;
}

#[tokio::test]
async fn an_ingress_page_reaches_no_queue() {
    let sim = start(100, 100).await;
    sim.fail_next_ingress(Route::Submit, 1, 502);
    let r = submit(&sim, T2V, &json!({"prompt": "x"})).await;
    assert_eq!(r.status(), 502);
    assert!(r.headers().get("x-fal-request-id").is_none());
    assert!(r.text().await.unwrap().contains("<center>nginx</center>"));
    assert!(sim.submissions().is_empty());
    // The plain status knob answers as fal's servers do: with a request id.
    sim.fail_next(Route::Submit, 1, 502);
    let r = submit(&sim, T2V, &json!({"prompt": "x"})).await;
    assert!(r.headers().get("x-fal-request-id").is_some());
    sim.shutdown().await;
}

#[tokio::test]
async fn forgotten_results_answer_404_while_the_history_keeps_the_output() {
    let sim = start(50, 50).await;
    sim.forget_results_after(Some(Duration::from_millis(200)));
    let body: Value = submit(&sim, T2V, &json!({"prompt": "weekend"}))
        .await
        .json()
        .await
        .unwrap();
    let id = body["request_id"].as_str().unwrap().to_string();
    wait_completed(&sim, body["status_url"].as_str().unwrap()).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    for url in [
        body["status_url"].as_str().unwrap(),
        body["response_url"].as_str().unwrap(),
    ] {
        let r = http()
            .get(url)
            .header("Authorization", auth(&sim))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 404, "{url}");
        assert_eq!(
            r.json::<Value>().await.unwrap(),
            json!({"status": "NOT_FOUND"})
        );
    }
    let (_, page) = history(
        &sim,
        &format!("endpoint_id={T2V}&request_id={id}&expand=payloads"),
    )
    .await;
    assert!(page["items"][0]["json_output"]["video"]["url"].is_string());
    sim.shutdown().await;
}

#[tokio::test]
async fn history_can_lag_behind_the_queue() {
    let sim = start(100, 100).await;
    sim.set_history_delay(Duration::from_millis(400));
    submit(&sim, T2V, &json!({"prompt": "later"})).await;
    let (_, page) = history(&sim, &format!("endpoint_id={T2V}")).await;
    assert!(ids(&page).is_empty(), "not listed yet");
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, page) = history(&sim, &format!("endpoint_id={T2V}")).await;
    assert_eq!(ids(&page).len(), 1);
    sim.shutdown().await;
}
