//! The rest of fal's platform API on the simulator, with fal's shapes: the catalog
//! (`GET /models`: search, find by id, `expand=openapi-3.0`, cursor paging), prices
//! (`GET /models/pricing`, 404 when any id of a batch is unknown), the estimate
//! (`POST /models/pricing/estimate`), usage, billing events and the balance (ADMIN keys only;
//! see [`crate::KeyScope`]). Errors use the `{"error": {type, message}}` envelope.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::KeyScope;
use super::jobs::{Job, Outcome, Phase};
use super::price_list::{SimModel, billable_units};
use super::queue::json_response;
use super::state::{Shared, lock};

/// The balance a simulated account starts with, USD.
pub(crate) const START_BALANCE: f64 = 100.0;

/// A refusal on its way out (boxed: a response is large).
type Refused = Box<Response>;

/// One billed job: the job, its units, the unit price and when it ended.
type BilledJob = (Arc<Job>, f64, f64, DateTime<Utc>);

fn refuse(status: u16, kind: &str, message: &str) -> Refused {
    Box::new(envelope(status, kind, message))
}

fn envelope(status: u16, kind: &str, message: &str) -> Response {
    json_response(status, json!({"error": {"type": kind, "message": message}}))
}

/// Checks the key: `needed` None = optional (a wrong key is still refused).
fn authorize(
    shared: &Shared,
    headers: &HeaderMap,
    needed: Option<KeyScope>,
) -> Result<(), Refused> {
    let expected = format!("Key {}", shared.key);
    match headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()) {
        Some(sent) if sent == expected.as_bytes() => {}
        Some(_) => return Err(refuse(401, "authorization_error", "Invalid API key")),
        None if needed.is_none() => return Ok(()),
        None => {
            return Err(refuse(
                401,
                "authorization_error",
                "Authentication required",
            ));
        }
    }
    let scope = lock(&shared.settings).key_scope;
    if needed == Some(KeyScope::Admin) && scope != KeyScope::Admin {
        return Err(refuse(
            403,
            "authorization_error",
            "Access denied: this call needs an ADMIN key",
        ));
    }
    Ok(())
}

/// `name=value` pairs; repeated names and comma-separated values both give lists.
fn params(raw: Option<&str>) -> HashMap<String, Vec<String>> {
    let mut out: HashMap<String, Vec<String>> = HashMap::new();
    for (name, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let list = out.entry(name.into_owned()).or_default();
        list.extend(
            value
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty()),
        );
    }
    out
}

fn one<'a>(p: &'a HashMap<String, Vec<String>>, name: &str) -> Option<&'a str> {
    p.get(name).and_then(|v| v.first()).map(String::as_str)
}

fn page_of(p: &HashMap<String, Vec<String>>) -> Result<usize, Refused> {
    match one(p, "cursor") {
        None => Ok(1),
        Some(c) => BASE64
            .decode(c.as_bytes())
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .and_then(|t| t.parse::<usize>().ok())
            .filter(|n| *n >= 1)
            .ok_or_else(|| refuse(400, "validation_error", "cursor is not one this API gave")),
    }
}

/// The catalog as it stands (with the deprecations and removals the knobs made).
fn catalog(shared: &Shared) -> Vec<SimModel> {
    let settings = lock(&shared.settings);
    super::price_list::models()
        .into_iter()
        .filter(|m| !settings.delisted.contains(m.endpoint_id))
        .map(|mut m| {
            if settings.deprecated.contains(m.endpoint_id) {
                m.deprecated = true;
            }
            m
        })
        .collect()
}

fn model_json(shared: &Shared, m: &SimModel, openapi: bool) -> Value {
    let mut item = json!({
        "endpoint_id": m.endpoint_id,
        "metadata": {
            "display_name": m.display_name,
            "category": m.category,
            "description": format!("{} on the reelsmith simulator", m.display_name),
            "status": if m.deprecated { "deprecated" } else { "active" },
            "tags": if m.date > "2026-06" { json!(["new"]) } else { json!([]) },
            "updated_at": format!("{}T00:00:00Z", m.date),
            "date": format!("{}T00:00:00Z", m.date),
            "is_favorited": null,
            "thumbnail_url": format!("{}/cdn/thumbs/{}.png", shared.base_url, m.endpoint_id.replace('/', "_")),
            "model_url": format!("https://fal.run/{}", m.endpoint_id),
            "group": {"key": m.family.0, "label": m.family.1},
            "kind": "inference",
            "highlighted": false,
            "pinned": false
        }
    });
    if openapi {
        let doc = match shared.documents.get(m.endpoint_id) {
            Some(d) => d.as_ref().clone(),
            None => {
                json!({"error": {"code": "expansion_failed", "message": "no OpenAPI document"}})
            }
        };
        item["openapi"] = doc;
    }
    item
}

/// `GET /api/v1/models`.
pub(crate) async fn models(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&shared, &headers, None) {
        return *r;
    }
    let p = params(raw.as_deref());
    let page = match page_of(&p) {
        Ok(n) => n,
        Err(r) => return *r,
    };
    let openapi = p
        .get("expand")
        .is_some_and(|e| e.iter().any(|x| x == "openapi-3.0"));
    let asked = p
        .get("limit")
        .and_then(|l| l.first())
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(50)
        .clamp(1, 100);
    // fal gives fewer than asked when it likes (and few with documents expanded).
    let cap = lock(&shared.settings).catalog_page_size.unwrap_or(100);
    let limit = asked.min(cap).min(if openapi { 10 } else { 100 });
    let all = catalog(&shared);
    let mut found: Vec<&SimModel> = all.iter().collect();
    if let Some(ids) = p.get("endpoint_id").filter(|v| !v.is_empty()) {
        if ids.len() > 50 {
            return envelope(
                400,
                "validation_error",
                "endpoint_id takes at most 50 values",
            );
        }
        // Like fal's find mode: one unknown id fails the batch.
        if let Some(missing) = ids
            .iter()
            .find(|id| !all.iter().any(|m| m.endpoint_id == id.as_str()))
        {
            return envelope(404, "not_found", &format!("Endpoint '{missing}' not found"));
        }
        found.retain(|m| ids.iter().any(|id| id == m.endpoint_id));
    }
    if let Some(q) = one(&p, "q") {
        let words: Vec<String> = q.split_whitespace().map(str::to_lowercase).collect();
        found.retain(|m| {
            let hay = format!("{} {} {}", m.display_name, m.endpoint_id, m.category).to_lowercase();
            words.iter().all(|w| hay.contains(w))
        });
    }
    if let Some(c) = one(&p, "category") {
        found.retain(|m| m.category == c);
    }
    match one(&p, "status") {
        None => {}
        Some("active") => found.retain(|m| !m.deprecated),
        Some("deprecated") => found.retain(|m| m.deprecated),
        Some(other) => {
            return envelope(
                400,
                "validation_error",
                &format!("status must be active or deprecated, not {other:?}"),
            );
        }
    }
    let skip = (page - 1).saturating_mul(limit);
    let has_more = found.len() > skip.saturating_add(limit);
    let items: Vec<Value> = found
        .iter()
        .skip(skip)
        .take(limit)
        .map(|m| model_json(&shared, m, openapi))
        .collect();
    let next_cursor = has_more.then(|| BASE64.encode((page + 1).to_string()));
    json_response(
        200,
        json!({"models": items, "next_cursor": next_cursor, "has_more": has_more}),
    )
}

/// `GET /api/v1/models/pricing`.
pub(crate) async fn pricing(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&shared, &headers, Some(KeyScope::Api)) {
        return *r;
    }
    let p = params(raw.as_deref());
    let ids = p.get("endpoint_id").cloned().unwrap_or_default();
    if ids.is_empty() || ids.len() > 50 {
        return envelope(400, "validation_error", "endpoint_id takes 1 to 50 values");
    }
    let all = catalog(&shared);
    let mut prices = Vec::new();
    for id in &ids {
        match all.iter().find(|m| m.endpoint_id == id) {
            Some(m) => prices.push(json!({
                "endpoint_id": m.endpoint_id, "unit_price": m.unit_price,
                "unit": m.unit, "currency": "USD"
            })),
            None => return envelope(404, "not_found", &format!("Endpoint '{id}' not found")),
        }
    }
    json_response(
        200,
        json!({"prices": prices, "next_cursor": null, "has_more": false}),
    )
}

/// `POST /api/v1/models/pricing/estimate`.
pub(crate) async fn estimate(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Response {
    if let Err(r) = authorize(&shared, &headers, Some(KeyScope::Api)) {
        return *r;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&body) else {
        return envelope(400, "validation_error", "the body is not JSON");
    };
    let kind = body
        .get("estimate_type")
        .and_then(Value::as_str)
        .unwrap_or("");
    let Some(endpoints) = body.get("endpoints").and_then(Value::as_object) else {
        return envelope(400, "validation_error", "endpoints is required");
    };
    let all = catalog(&shared);
    let mut total = 0.0;
    for (id, ask) in endpoints {
        let Some(m) = all.iter().find(|m| m.endpoint_id == id) else {
            return envelope(404, "not_found", &format!("Endpoint '{id}' not found"));
        };
        match kind {
            "unit_price" => match ask.get("unit_quantity").and_then(Value::as_f64) {
                Some(q) if q >= 0.000_001 => total += q * m.unit_price,
                _ => return envelope(400, "validation_error", "unit_quantity must be ≥ 0.000001"),
            },
            "historical_api_price" => match ask.get("call_quantity").and_then(Value::as_u64) {
                // The simulator's "history": a typical call bills the endpoint's default units.
                Some(n) if n >= 1 => {
                    let typical =
                        billable_units(m, &json!({}), defaults_of(&shared, id).as_ref(), 120.0);
                    total += n as f64 * typical * m.unit_price;
                }
                _ => return envelope(400, "validation_error", "call_quantity must be ≥ 1"),
            },
            _ => {
                return envelope(
                    400,
                    "validation_error",
                    "estimate_type must be historical_api_price or unit_price",
                );
            }
        }
    }
    json_response(
        200,
        json!({"estimate_type": kind, "total_cost": total, "currency": "USD"}),
    )
}

/// An endpoint's schema defaults (the simulator's own documents).
pub(crate) fn defaults_of(shared: &Shared, endpoint_id: &str) -> Option<Map<String, Value>> {
    let doc = shared.documents.get(endpoint_id)?;
    reelsmith_core::schema::FormModel::from_openapi(doc)
        .ok()
        .map(|m| m.defaults())
}

/// What a completed job was billed: `(units, unit price)`; `None` for jobs that did not
/// succeed (fal bills failures nothing here) or endpoints without a price.
pub(crate) fn billed(shared: &Shared, job: &Job, now: Instant) -> Option<(f64, f64)> {
    if !matches!(
        job.snapshot(now).phase,
        Phase::Completed(Outcome::Success { .. })
    ) {
        return None;
    }
    let all = catalog(shared);
    let m = all.iter().find(|m| m.endpoint_id == job.endpoint_id)?;
    if let Some(forced) = lock(&shared.settings).billable_units {
        return Some((forced, m.unit_price));
    }
    let units = billable_units(
        m,
        &job.input,
        defaults_of(shared, &job.endpoint_id).as_ref(),
        job.run_time.as_secs_f64(),
    );
    Some((units, m.unit_price))
}

fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .ok()?
                .and_hms_opt(0, 0, 0)
                .map(|t| t.and_utc())
        })
}

/// Completed, billed jobs ending in `[start, end)`, with `(job, units, price, ended)`.
fn billed_jobs(
    shared: &Shared,
    p: &HashMap<String, Vec<String>>,
) -> Result<Vec<BilledJob>, Refused> {
    let now = Instant::now();
    let wall = Utc::now();
    let start = match one(p, "start") {
        Some(t) => parse_time(t)
            .ok_or_else(|| refuse(400, "validation_error", "start is not a date-time"))?,
        None => wall - chrono::Duration::hours(24),
    };
    let end = match one(p, "end") {
        Some(t) => parse_time(t)
            .ok_or_else(|| refuse(400, "validation_error", "end is not a date-time"))?,
        None => wall,
    };
    let jobs: Vec<Arc<Job>> = lock(&shared.jobs).values().cloned().collect();
    Ok(jobs
        .into_iter()
        .filter_map(|j| {
            let (units, price) = billed(shared, &j, now)?;
            let ended = j.wall(j.completed_at(now)?);
            (ended >= start && ended < end).then_some((j, units, price, ended))
        })
        .collect())
}

/// `GET /api/v1/models/usage` (ADMIN).
pub(crate) async fn usage(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&shared, &headers, Some(KeyScope::Admin)) {
        return *r;
    }
    let p = params(raw.as_deref());
    let rows = match billed_jobs(&shared, &p) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let mut by_endpoint: Vec<(String, f64, f64)> = Vec::new();
    for (job, units, price, _) in &rows {
        match by_endpoint
            .iter_mut()
            .find(|(id, _, _)| id == &job.endpoint_id)
        {
            Some(row) => row.1 += units,
            None => by_endpoint.push((job.endpoint_id.clone(), *units, *price)),
        }
    }
    let lines: Vec<Value> = by_endpoint
        .iter()
        .map(|(id, q, price)| {
            let c = q * price;
            json!({"endpoint_id": id, "unit": "units", "quantity": q, "unit_price": price,
                "percent_discount": 0, "cost_subtotal": c, "cost_discount": 0.0,
                "cost_total": c, "cost": c, "currency": "USD"})
        })
        .collect();
    let expand = p
        .get("expand")
        .cloned()
        .unwrap_or_else(|| vec!["time_series".into()]);
    let mut out = json!({"next_cursor": null, "has_more": false});
    if expand.iter().any(|e| e == "summary") {
        out["summary"] = Value::Array(lines.clone());
    }
    if expand.iter().any(|e| e == "time_series") {
        let bucket = Utc::now().format("%Y-%m-%dT00:00:00+00:00").to_string();
        out["time_series"] = json!([{"bucket": bucket, "results": lines}]);
    }
    json_response(200, out)
}

/// `GET /api/v1/models/billing-events` (ADMIN).
pub(crate) async fn billing_events(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&shared, &headers, Some(KeyScope::Admin)) {
        return *r;
    }
    let p = params(raw.as_deref());
    let ids = p.get("request_id").cloned().unwrap_or_default();
    if ids.len() > 50 {
        return envelope(
            400,
            "validation_error",
            "request_id takes at most 50 values",
        );
    }
    let rows = match billed_jobs(&shared, &p) {
        Ok(r) => r,
        Err(r) => return *r,
    };
    let events: Vec<Value> = rows
        .iter()
        .filter(|(j, ..)| ids.is_empty() || ids.contains(&j.id))
        .map(|(j, units, price, ended)| {
            let c = units * price;
            json!({"request_id": j.id, "endpoint_id": j.endpoint_id,
                "timestamp": ended.to_rfc3339_opts(SecondsFormat::Secs, true),
                "output_units": units, "unit_price": price, "percent_discount": 0,
                "cost_subtotal": c, "cost_discount": 0.0, "cost_total": c,
                "cost_estimate_nano_usd": (c * 1e9).round() as i64})
        })
        .collect();
    json_response(
        200,
        json!({"billing_events": events, "next_cursor": null, "has_more": false}),
    )
}

/// `GET /api/v1/account/billing` (ADMIN).
pub(crate) async fn account_billing(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    if let Err(r) = authorize(&shared, &headers, Some(KeyScope::Admin)) {
        return *r;
    }
    let p = params(raw.as_deref());
    let mut out = json!({"username": "sim-team"});
    if p.get("expand")
        .is_some_and(|e| e.iter().any(|x| x == "credits"))
    {
        let now = Instant::now();
        let jobs: Vec<Arc<Job>> = lock(&shared.jobs).values().cloned().collect();
        let spent: f64 = jobs
            .iter()
            .filter_map(|j| billed(&shared, j, now))
            .map(|(u, p)| u * p)
            .sum();
        out["credits"] =
            json!({"current_balance": (START_BALANCE - spent).max(0.0), "currency": "USD"});
    }
    json_response(200, out)
}

/// `GET /cdn/thumbs/{name}.png`: a small picture per model (its colour from the name), like
/// the thumbnails fal's catalog links to.
pub(crate) async fn thumbnail(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    use axum::response::IntoResponse;
    let hash = blake3::hash(name.as_bytes());
    let [r, g, b, ..] = *hash.as_bytes();
    let img = image::RgbImage::from_fn(96, 54, |x, y| {
        let shade = ((x + y) % 32) as u8;
        image::Rgb([r / 2 + shade, g / 2 + shade, b / 2 + shade])
    });
    let mut png = Vec::new();
    if img
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .is_err()
    {
        return envelope(500, "server_error", "the thumbnail could not be drawn");
    }
    ([(header::CONTENT_TYPE, "image/png")], png).into_response()
}
