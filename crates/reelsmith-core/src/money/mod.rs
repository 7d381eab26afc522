//! Money: fal's live prices (cached per key with the date fetched), what each job cost
//! (estimated at submit, billed as fal reports it), what the account spent today and this
//! month, and the budgets a Generate is checked against before anything is uploaded.

mod budget;
mod job_cost;
mod price_book;
mod spend;

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};

pub use budget::{OverBudget, check_budget};
pub use job_cost::{JobCost, RealCostSource};
pub use price_book::{PRICE_MAX_AGE, PRICES_FILE, PriceBook, refresh_prices};
pub use spend::{Spend, SpendSource, current_spend, journal_spend};

use crate::settings::Budgets;

/// What the engine and both front ends share about money: the price book, the budgets (the
/// window changes them in Settings) and what the key was refused.
#[derive(Clone, Default)]
pub struct MoneyHandle {
    /// The live prices.
    pub prices: Arc<Mutex<PriceBook>>,
    /// The budgets a submit is checked against.
    pub budgets: Arc<Mutex<Budgets>>,
    /// The key may not read usage, balance or billing events (403 once): not asked again.
    pub admin_refused: Arc<AtomicBool>,
}

impl std::fmt::Debug for MoneyHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MoneyHandle").finish_non_exhaustive()
    }
}

impl MoneyHandle {
    /// A handle with these prices and budgets.
    pub fn new(prices: PriceBook, budgets: Budgets) -> MoneyHandle {
        MoneyHandle {
            prices: Arc::new(Mutex::new(prices)),
            budgets: Arc::new(Mutex::new(budgets)),
            admin_refused: Arc::new(AtomicBool::new(false)),
        }
    }

    /// The budgets now.
    pub fn budgets(&self) -> Budgets {
        *lock(&self.budgets)
    }

    /// Replaces the budgets (after Settings changed them).
    pub fn set_budgets(&self, budgets: Budgets) {
        *lock(&self.budgets) = budgets;
    }

    /// A copy of the price book now.
    pub fn price_book(&self) -> PriceBook {
        lock(&self.prices).clone()
    }
}

/// Locks, carrying on after a panic elsewhere (the data stays usable).
pub(crate) fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}
