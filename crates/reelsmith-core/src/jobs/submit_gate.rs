//! Submits in flight, so a shutdown lets them finish instead of dropping their answer.
//!
//! Every submit POST runs on its own task holding a [`SubmitPass`]. Shutting down closes the
//! gate (no new submit starts) and waits, bounded, until the passes are back: the answers that
//! were on their way are recorded instead of turning into "unknown".

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Notify;

#[derive(Debug, Default)]
struct GateState {
    closed: bool,
    active: usize,
}

/// Counts the submits in flight and refuses new ones once closed.
#[derive(Debug, Default)]
pub(crate) struct SubmitGate {
    state: Mutex<GateState>,
    idle: Notify,
}

/// Held by one submit in flight; gives its place back when dropped.
#[derive(Debug)]
pub(crate) struct SubmitPass {
    gate: Arc<SubmitGate>,
}

impl Drop for SubmitPass {
    fn drop(&mut self) {
        let mut state = self.gate.lock();
        state.active = state.active.saturating_sub(1);
        drop(state);
        self.gate.idle.notify_waiters();
    }
}

impl SubmitGate {
    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A pass for one submit, unless the gate is closed (the engine is shutting down).
    pub(crate) fn enter(self: &Arc<Self>) -> Option<SubmitPass> {
        let mut state = self.lock();
        if state.closed {
            return None;
        }
        state.active += 1;
        Some(SubmitPass { gate: self.clone() })
    }

    /// True once shutdown began: a submit loop stops sending again.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Submits in flight now.
    pub(crate) fn in_flight(&self) -> usize {
        self.lock().active
    }

    /// Lets no new submit start.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
    }

    /// Waits until no submit is in flight, at most `limit`; returns how many still are.
    pub(crate) async fn wait_idle(&self, limit: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let notified = self.idle.notified();
            let active = self.in_flight();
            if active == 0 {
                return 0;
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return self.in_flight();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn closing_waits_for_passes_and_refuses_new_ones() {
        let gate = Arc::new(SubmitGate::default());
        let pass = gate.enter().unwrap();
        assert_eq!(gate.in_flight(), 1);
        gate.close();
        assert!(gate.enter().is_none(), "no new submit after close");
        assert!(gate.is_closed());
        assert_eq!(
            gate.wait_idle(Duration::from_millis(50)).await,
            1,
            "bounded"
        );
        let releaser = tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(50)).await;
            drop(pass);
        });
        assert_eq!(gate.wait_idle(Duration::from_secs(5)).await, 0);
        releaser.await.unwrap();
    }
}
