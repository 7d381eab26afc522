//! What fal billed for a finished job: the units of its result's `X-Fal-Billable-Units`
//! header, or else its billing event (only an ADMIN key may read those; they may lag).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::fal::platform::usage::is_scope_refusal;
use crate::jobs::shared::Inner;
use crate::jobs::state::Job;

/// How long the billing-event lookup may hold up a finished job.
const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

/// What fal said it billed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Billed {
    /// Units from the result's header.
    Units(f64),
    /// A billing event's charge (and units, when given).
    Event {
        /// USD.
        cost: f64,
        /// Units billed.
        units: Option<f64>,
    },
}

/// The job's billing event, when the key may read them and fal lists it already.
pub(crate) async fn billing_event(inner: &Arc<Inner>, job: &Job) -> Option<Billed> {
    let money = &inner.config.money;
    let request_id = job.request_id.clone()?;
    if money.admin_refused.load(Ordering::Relaxed) {
        return None;
    }
    let asked = tokio::time::timeout(
        LOOKUP_TIMEOUT,
        inner
            .client
            .billing_events(std::slice::from_ref(&request_id), 7),
    )
    .await;
    match asked {
        Ok(Ok(events)) => events
            .into_iter()
            .find(|e| e.request_id == request_id)
            .map(|e| Billed::Event {
                cost: e.cost_total,
                units: e.output_units,
            }),
        Ok(Err(e)) if is_scope_refusal(&e) => {
            money.admin_refused.store(true, Ordering::Relaxed);
            None
        }
        Ok(Err(e)) => {
            tracing::debug!("job {}: billing events not read: {e}", job.id);
            None
        }
        Err(_) => None,
    }
}
