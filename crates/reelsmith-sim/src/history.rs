//! fal's request history on the simulator's platform API:
//! `GET /api/v1/models/requests/by-endpoint`, from its own record of every request it queued.
//!
//! Filters (`endpoint_id` 1–50, repeatable or comma-separated; `start`/`end`, RFC 3339 or a
//! date, `end` exclusive, 24 h back by default or 90 days with `request_id`; `status`;
//! `request_id`), `expand=payloads`, `sort_by`, `limit` 1–100 and cursor paging, with errors in
//! the platform API's `{"error": {type, message}}` envelope.

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, header};
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde_json::{Map, Value, json};

use super::jobs::{Job, Outcome, Phase};
use super::queue::json_response;
use super::state::{Shared, lock};

/// The platform API's error envelope.
fn envelope(status: u16, kind: &str, message: &str) -> Response {
    json_response(status, json!({"error": {"type": kind, "message": message}}))
}

/// Which requests are asked for.
#[derive(Debug, Default)]
struct Params {
    endpoints: Vec<String>,
    start: Option<DateTime<Utc>>,
    end: Option<DateTime<Utc>>,
    status: Option<String>,
    request_id: Option<String>,
    payloads: bool,
    by_duration: bool,
    limit: usize,
    page: usize,
}

/// RFC 3339, or `YYYY-MM-DD` for midnight UTC.
fn parse_time(name: &str, text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("{name} must be an RFC 3339 date-time or YYYY-MM-DD, not {text:?}"))
}

fn parse_params(raw: Option<&str>) -> Result<Params, String> {
    let mut p = Params {
        limit: 50,
        page: 1,
        ..Params::default()
    };
    for (name, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        let value = value.trim().to_string();
        let list = || {
            value
                .split(',')
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
                .collect::<Vec<_>>()
        };
        match name.as_ref() {
            "endpoint_id" => p.endpoints.extend(list()),
            "start" => p.start = Some(parse_time("start", &value)?),
            "end" => p.end = Some(parse_time("end", &value)?),
            "status" => match value.as_str() {
                "success" | "error" | "user_error" => p.status = Some(value),
                other => {
                    return Err(format!(
                        "status must be success, error or user_error, not {other:?}"
                    ));
                }
            },
            "request_id" => p.request_id = Some(value),
            "expand" => {
                for item in list() {
                    match item.as_str() {
                        "payloads" => p.payloads = true,
                        other => return Err(format!("expand does not know {other:?}")),
                    }
                }
            }
            "sort_by" => match value.as_str() {
                "ended_at" => p.by_duration = false,
                "duration" => p.by_duration = true,
                other => {
                    return Err(format!(
                        "sort_by must be ended_at or duration, not {other:?}"
                    ));
                }
            },
            "limit" => {
                p.limit = value
                    .parse::<usize>()
                    .ok()
                    .filter(|l| (1..=100).contains(l))
                    .ok_or_else(|| format!("limit must be between 1 and 100, not {value:?}"))?;
            }
            "cursor" => {
                p.page = BASE64
                    .decode(value.as_bytes())
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .and_then(|t| t.parse::<usize>().ok())
                    .filter(|n| *n >= 1)
                    .ok_or_else(|| format!("cursor {value:?} is not one this API gave"))?;
            }
            _ => {}
        }
    }
    if p.endpoints.is_empty() {
        return Err("endpoint_id is required".into());
    }
    if p.endpoints.len() > 50 {
        return Err("endpoint_id takes at most 50 values".into());
    }
    Ok(p)
}

/// One request as the history lists it at `now`.
struct Row {
    sent_at: DateTime<Utc>,
    status: Option<u16>,
    ended_at: Option<DateTime<Utc>>,
    duration: Option<f64>,
    value: Value,
}

fn time(t: DateTime<Utc>) -> Value {
    Value::from(t.to_rfc3339_opts(SecondsFormat::Millis, true))
}

fn row(job: &Job, now: Instant, payloads: bool) -> Row {
    let sent_at = job.submitted_wall;
    let started = job.started_at(now);
    let ended = job.completed_at(now);
    let (status_code, output) = match job.snapshot(now).phase {
        Phase::Completed(Outcome::Success { result }) => (Some(200), Some(result)),
        Phase::Completed(Outcome::Failure { status, body, .. }) => (Some(status), Some(body)),
        _ => (None, None),
    };
    let duration = match (started, ended) {
        (Some(s), Some(e)) => Some(e.saturating_duration_since(s).as_secs_f64()),
        _ => None,
    };
    let mut map = Map::new();
    map.insert("request_id".into(), Value::from(job.id.clone()));
    map.insert("endpoint_id".into(), Value::from(job.endpoint_id.clone()));
    map.insert("sent_at".into(), time(sent_at));
    map.insert(
        "started_at".into(),
        started.map(|s| time(job.wall(s))).unwrap_or(Value::Null),
    );
    let ended_at = ended.map(|e| job.wall(e));
    map.insert("ended_at".into(), ended_at.map(time).unwrap_or(Value::Null));
    map.insert(
        "status_code".into(),
        status_code.map(Value::from).unwrap_or(Value::Null),
    );
    map.insert(
        "duration".into(),
        duration.map(Value::from).unwrap_or(Value::Null),
    );
    if payloads {
        map.insert("json_input".into(), job.input.clone());
        map.insert("json_output".into(), output.unwrap_or(Value::Null));
    }
    Row {
        sent_at,
        status: status_code,
        ended_at,
        duration,
        value: Value::Object(map),
    }
}

fn status_matches(filter: Option<&str>, code: Option<u16>) -> bool {
    match (filter, code) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some("success"), Some(c)) => (200..300).contains(&c),
        (Some("user_error"), Some(c)) => (400..500).contains(&c),
        (Some(_), Some(c)) => c >= 500,
    }
}

/// `GET /api/v1/models/requests/by-endpoint`.
pub(crate) async fn by_endpoint(
    State(shared): State<Arc<Shared>>,
    RawQuery(raw): RawQuery,
    headers: HeaderMap,
) -> Response {
    let expected = format!("Key {}", shared.key);
    match headers.get(header::AUTHORIZATION).map(|v| v.as_bytes()) {
        Some(sent) if sent == expected.as_bytes() => {}
        Some(_) => return envelope(401, "authorization_error", "Invalid API key"),
        None => return envelope(401, "authorization_error", "Authentication required"),
    }
    let p = match parse_params(raw.as_deref()) {
        Ok(p) => p,
        Err(message) => return envelope(400, "validation_error", &message),
    };
    let now = Instant::now();
    let wall = Utc::now();
    let back = if p.request_id.is_some() {
        chrono::Duration::days(90)
    } else {
        chrono::Duration::hours(24)
    };
    let start = p.start.unwrap_or(wall - back);
    let end = p.end.unwrap_or(wall);
    let delay = lock(&shared.settings).history_delay;
    let jobs: Vec<Arc<Job>> = lock(&shared.jobs).values().cloned().collect();
    let mut rows: Vec<Row> = jobs
        .iter()
        .filter(|j| p.endpoints.contains(&j.endpoint_id))
        .filter(|j| p.request_id.as_ref().is_none_or(|id| id == &j.id))
        .filter(|j| now.saturating_duration_since(j.submitted) >= delay)
        .filter(|j| j.submitted_wall >= start && j.submitted_wall < end)
        .map(|j| row(j, now, p.payloads))
        .filter(|r| status_matches(p.status.as_deref(), r.status))
        .collect();
    // Newest first; requests still running (no end yet) lead.
    if p.by_duration {
        rows.sort_by(|a, b| {
            b.duration
                .unwrap_or(-1.0)
                .total_cmp(&a.duration.unwrap_or(-1.0))
        });
    } else {
        rows.sort_by(|a, b| match (a.ended_at, b.ended_at) {
            (None, None) => b.sent_at.cmp(&a.sent_at),
            (None, Some(_)) => std::cmp::Ordering::Less,
            (Some(_), None) => std::cmp::Ordering::Greater,
            (Some(x), Some(y)) => y.cmp(&x),
        });
    }
    let skip = (p.page - 1).saturating_mul(p.limit);
    let has_more = rows.len() > skip.saturating_add(p.limit);
    let items: Vec<Value> = rows
        .into_iter()
        .skip(skip)
        .take(p.limit)
        .map(|r| r.value)
        .collect();
    let next_cursor = has_more.then(|| BASE64.encode((p.page + 1).to_string()));
    json_response(
        200,
        json!({"items": items, "next_cursor": next_cursor, "has_more": has_more}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_parse_like_fals() {
        let p = parse_params(Some(
            "endpoint_id=a/b,c/d&endpoint_id=e/f&start=2026-01-02&end=2026-01-03T04:05:06.5%2B01:00\
             &expand=payloads&limit=7&cursor=Mg%3D%3D&sort_by=duration&status=success",
        ))
        .unwrap();
        assert_eq!(p.endpoints, ["a/b", "c/d", "e/f"]);
        assert_eq!(p.start.unwrap().to_rfc3339(), "2026-01-02T00:00:00+00:00");
        assert_eq!(
            p.end.unwrap().to_rfc3339_opts(SecondsFormat::Millis, true),
            "2026-01-03T03:05:06.500Z"
        );
        assert!(p.payloads && p.by_duration);
        assert_eq!((p.limit, p.page), (7, 2));
        for bad in [
            "",
            "endpoint_id=a/b&limit=0",
            "endpoint_id=a/b&limit=101",
            "endpoint_id=a/b&start=yesterday",
            "endpoint_id=a/b&status=fine",
            "endpoint_id=a/b&cursor=%%%",
            "endpoint_id=a/b&expand=billing",
        ] {
            assert!(parse_params(Some(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn status_filters() {
        assert!(status_matches(None, None));
        assert!(!status_matches(Some("success"), None));
        assert!(status_matches(Some("success"), Some(200)));
        assert!(status_matches(Some("user_error"), Some(422)));
        assert!(status_matches(Some("error"), Some(500)));
        assert!(!status_matches(Some("error"), Some(422)));
    }
}
