//! When and how long to wait before trying a request again.

use std::time::Duration;

use rand::Rng;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

/// Exponential backoff with jitter for transient failures (429, 502, 503, 504, transport).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 = never retry).
    pub max_retries: u32,
    /// Delay before the first retry (before jitter).
    pub base_delay: Duration,
    /// Upper bound of any single delay.
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 5,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(30),
        }
    }
}

impl RetryPolicy {
    /// A policy that never retries.
    pub fn none() -> RetryPolicy {
        RetryPolicy {
            max_retries: 0,
            ..RetryPolicy::default()
        }
    }

    /// Delay before retry number `retry` (0-based): base·2^retry capped, then jittered to 50–100 %
    /// so that many clients failing together do not come back in lockstep.
    pub fn delay(&self, retry: u32) -> Duration {
        let exp = self
            .base_delay
            .saturating_mul(2u32.saturating_pow(retry.min(20)));
        let capped = exp.min(self.max_delay);
        let factor: f64 = rand::rng().random_range(0.5..=1.0);
        capped.mul_f64(factor)
    }
}

/// Whether an HTTP answer is worth retrying: 429/502/503/504, but never fal's user timeout.
pub fn is_retryable_status(status: StatusCode, headers: &HeaderMap) -> bool {
    let user_timeout = headers
        .get("x-fal-request-timeout-type")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("user"));
    match status.as_u16() {
        429 | 502 | 503 => true,
        504 => !user_timeout,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_stay_capped() {
        let p = RetryPolicy {
            max_retries: 10,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_secs(1),
        };
        for _ in 0..50 {
            let d0 = p.delay(0);
            assert!(d0 >= Duration::from_millis(50) && d0 <= Duration::from_millis(100));
            let d2 = p.delay(2);
            assert!(d2 >= Duration::from_millis(200) && d2 <= Duration::from_millis(400));
            assert!(p.delay(30) <= Duration::from_secs(1));
        }
    }

    #[test]
    fn retryable_statuses() {
        let none = HeaderMap::new();
        for code in [429u16, 502, 503, 504] {
            assert!(
                is_retryable_status(StatusCode::from_u16(code).unwrap(), &none),
                "{code}"
            );
        }
        for code in [400u16, 401, 403, 404, 422, 500] {
            assert!(
                !is_retryable_status(StatusCode::from_u16(code).unwrap(), &none),
                "{code}"
            );
        }
        let mut user = HeaderMap::new();
        user.insert("X-Fal-Request-Timeout-Type", "user".parse().unwrap());
        assert!(!is_retryable_status(StatusCode::GATEWAY_TIMEOUT, &user));
    }
}
