//! Per-connection rate limiting.

use std::time::Instant;

/// A token bucket: `rate` messages per second, `burst` at once.
pub(super) struct RateLimiter {
    rate: f64,
    burst: f64,
    tokens: f64,
    last: Instant,
    /// Dropped since the last RATE_LIMITED notice.
    pub(super) dropped_unreported: u64,
    pub(super) last_notice: Option<Instant>,
}

impl RateLimiter {
    pub(super) fn new(rate: u32, burst: u32) -> Self {
        let burst = f64::from(burst.max(rate).max(1));
        RateLimiter {
            rate: f64::from(rate),
            burst,
            tokens: burst,
            last: Instant::now(),
            dropped_unreported: 0,
            last_notice: None,
        }
    }

    pub(super) fn allow(&mut self) -> bool {
        if self.rate <= 0.0 {
            return true;
        }
        let now = Instant::now();
        self.tokens = (self.tokens + now.duration_since(self.last).as_secs_f64() * self.rate).min(self.burst);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}
