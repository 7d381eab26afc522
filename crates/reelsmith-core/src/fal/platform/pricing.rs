//! Prices: `GET /models/pricing` (unit price and unit per endpoint, at most 50 ids a call) and
//! `POST /models/pricing/estimate` (fal's own estimate for a number of units or calls).
//!
//! Prices are per account (discounts), so they are never shared between keys. One unknown id
//! may fail a whole batch with 404: the batch is then split in halves until the unknown ids are
//! isolated, and those are reported as unknown.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{PlatformError, PlatformErrorKind};
use crate::fal::client::FalClient;

/// The path of the price call under the platform API base.
pub const PRICING_PATH: &str = "models/pricing";
/// The path of the estimate call.
pub const ESTIMATE_PATH: &str = "models/pricing/estimate";
/// The most endpoint ids one call takes.
pub const MAX_IDS: usize = 50;

/// One endpoint's price as fal states it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnitPrice {
    /// The endpoint id.
    pub endpoint_id: String,
    /// The price of one unit.
    pub unit_price: f64,
    /// What is counted: `seconds`, `video`, `image`, `megapixels`, or a provider's own unit.
    pub unit: String,
    /// ISO 4217 currency, e.g. `USD`.
    pub currency: String,
}

impl UnitPrice {
    fn from_json(item: &Value) -> Option<UnitPrice> {
        let unit_price = item.get("unit_price")?.as_f64()?;
        if !unit_price.is_finite() || unit_price < 0.0 {
            return None;
        }
        Some(UnitPrice {
            endpoint_id: item.get("endpoint_id")?.as_str()?.to_string(),
            unit_price,
            unit: item.get("unit")?.as_str()?.trim().to_string(),
            currency: item
                .get("currency")
                .and_then(Value::as_str)
                .unwrap_or("USD")
                .to_string(),
        })
    }
}

/// The answer for a list of endpoints.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PriceLookup {
    /// Prices fal gave.
    pub prices: Vec<UnitPrice>,
    /// Ids fal does not know (404 alone) or left out of its answer.
    pub unknown: Vec<String>,
    /// Calls made (each batch and each half tried).
    pub calls: usize,
}

/// What fal's estimate call should work out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum EstimateBasis {
    /// `unit_price` × this many billing units.
    Units(f64),
    /// The average price of this many calls, from fal's history of the endpoint.
    Calls(u32),
}

impl FalClient {
    /// Prices of `endpoint_ids` (deduplicated), in batches of at most [`MAX_IDS`]; a batch
    /// answered 404 is split until each unknown id is alone.
    pub async fn prices(&self, endpoint_ids: &[String]) -> Result<PriceLookup, PlatformError> {
        let mut ids: Vec<String> = Vec::new();
        for id in endpoint_ids {
            if !ids.contains(id) {
                ids.push(id.clone());
            }
        }
        let mut out = PriceLookup::default();
        let mut work: Vec<Vec<String>> = ids.chunks(MAX_IDS).map(<[String]>::to_vec).collect();
        work.reverse();
        while let Some(batch) = work.pop() {
            out.calls += 1;
            let query: Vec<(&str, String)> =
                batch.iter().map(|id| ("endpoint_id", id.clone())).collect();
            let what = match batch.as_slice() {
                [one] => format!("the price of {one}"),
                many => format!("the prices of {} endpoints", many.len()),
            };
            match self.platform_get(&what, PRICING_PATH, &query).await {
                Ok(page) => {
                    let items = page
                        .get("prices")
                        .and_then(Value::as_array)
                        .ok_or_else(|| {
                            PlatformError::Protocol(format!("{what}: no \"prices\" list"))
                        })?;
                    let mut got: Vec<UnitPrice> = items
                        .iter()
                        .filter_map(UnitPrice::from_json)
                        .filter(|p| batch.contains(&p.endpoint_id))
                        .collect();
                    for id in &batch {
                        if !got.iter().any(|p| &p.endpoint_id == id) {
                            out.unknown.push(id.clone());
                        }
                    }
                    out.prices.append(&mut got);
                }
                Err(PlatformError::Api {
                    kind: PlatformErrorKind::NotFound,
                    ..
                }) if batch.len() > 1 => {
                    let (a, b) = batch.split_at(batch.len() / 2);
                    // Pushed in reverse so the first half is asked first.
                    work.push(b.to_vec());
                    work.push(a.to_vec());
                }
                Err(PlatformError::Api {
                    kind: PlatformErrorKind::NotFound,
                    ..
                }) => out.unknown.extend(batch),
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }

    /// fal's estimate for one endpoint: `(total cost, currency)`.
    pub async fn estimate_price(
        &self,
        endpoint_id: &str,
        basis: EstimateBasis,
    ) -> Result<(f64, String), PlatformError> {
        let body = match basis {
            EstimateBasis::Units(n) => json!({
                "estimate_type": "unit_price",
                "endpoints": {endpoint_id: {"unit_quantity": n.max(0.000_001)}}
            }),
            EstimateBasis::Calls(n) => json!({
                "estimate_type": "historical_api_price",
                "endpoints": {endpoint_id: {"call_quantity": n.max(1)}}
            }),
        };
        let what = format!("the price estimate of {endpoint_id}");
        let answer = self.platform_post(&what, ESTIMATE_PATH, &body).await?;
        let total = answer
            .get("total_cost")
            .and_then(Value::as_f64)
            .filter(|t| t.is_finite() && *t >= 0.0)
            .ok_or_else(|| PlatformError::Protocol(format!("{what}: no \"total_cost\"")))?;
        let currency = answer
            .get("currency")
            .and_then(Value::as_str)
            .unwrap_or("USD")
            .to_string();
        Ok((total, currency))
    }
}
