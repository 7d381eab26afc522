//! What one job is expected to cost and what fal billed for it.

use serde::{Deserialize, Serialize};

use crate::schema::cost::{CostEstimate, PriceSource};

/// Where a job's real cost came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RealCostSource {
    /// The `X-Fal-Billable-Units` header of the result × the unit price.
    BillableUnits,
    /// fal's billing events (`/models/billing-events`, an ADMIN key).
    BillingEvent,
}

/// A job's estimate and, once fal reports it, its real cost.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct JobCost {
    /// The estimate at submit, USD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate_usd: Option<f64>,
    /// How the estimate was worked out and from which price.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimate_basis: Option<String>,
    /// The billing unit (`seconds`, `video`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// The price of one unit used for the estimate (and for the real cost from units).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<f64>,
    /// The units fal billed (its result's `X-Fal-Billable-Units`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billable_units: Option<f64>,
    /// What fal billed, USD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real_usd: Option<f64>,
    /// Where `real_usd` came from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real_source: Option<RealCostSource>,
}

impl JobCost {
    /// The cost record of a new job from its estimate.
    pub fn from_estimate(estimate: Option<&CostEstimate>) -> JobCost {
        match estimate {
            Some(e) => JobCost {
                estimate_usd: Some(e.usd),
                estimate_basis: Some(format!("{}; {}", e.basis, e.source_text())),
                // Units of the bundled table are seconds; a live price names its own.
                unit: Some(match e.source {
                    PriceSource::Bundled => "seconds".into(),
                    _ => e.unit.clone(),
                }),
                unit_price: e.unit_price,
                ..JobCost::default()
            },
            None => JobCost::default(),
        }
    }

    /// True when nothing is known (no estimate, nothing billed).
    pub fn is_empty(&self) -> bool {
        *self == JobCost::default()
    }

    /// Records the billed units; the real cost follows when the unit price is known.
    pub fn record_units(&mut self, units: f64) {
        self.billable_units = Some(units);
        if let Some(price) = self.unit_price {
            self.real_usd = Some(units * price);
            self.real_source = Some(RealCostSource::BillableUnits);
        }
    }

    /// Records the charge fal's billing events list for the request.
    pub fn record_billing_event(&mut self, cost_total: f64, units: Option<f64>) {
        self.real_usd = Some(cost_total);
        self.real_source = Some(RealCostSource::BillingEvent);
        if units.is_some() {
            self.billable_units = units;
        }
    }

    /// "est. $3.20 · billed $3.01" and the like, for lists.
    pub fn summary(&self) -> Option<String> {
        let est = self.estimate_usd.map(|u| format!("est. ${u:.2}"));
        let real = match (self.real_usd, self.billable_units) {
            (Some(r), _) => Some(format!("billed ${r:.2}")),
            (None, Some(u)) => Some(format!(
                "billed {} {}",
                crate::schema::cost::fmt_units(u),
                self.unit.as_deref().unwrap_or("units")
            )),
            _ => None,
        };
        match (est, real) {
            (None, None) => None,
            (Some(e), None) => Some(e),
            (None, Some(r)) => Some(r),
            (Some(e), Some(r)) => Some(format!("{e} · {r}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_give_a_real_cost_only_with_a_unit_price() {
        let mut c = JobCost::default();
        c.record_units(8.0);
        assert_eq!((c.billable_units, c.real_usd), (Some(8.0), None));
        assert_eq!(c.summary().as_deref(), Some("billed 8 units"));
        let mut c = JobCost {
            estimate_usd: Some(3.2),
            unit_price: Some(0.4),
            unit: Some("seconds".into()),
            ..JobCost::default()
        };
        c.record_units(7.5);
        assert_eq!(c.real_usd, Some(3.0));
        assert_eq!(c.summary().as_deref(), Some("est. $3.20 · billed $3.00"));
    }
}
