//! Per-person limits on the searches that cost Exchange calls: the finder, the day grid and the
//! people search. A person typing fast gets a sentence asking them to wait, not an error page;
//! everyone else is unaffected (one allowance per person, not one for the organisation).
//!
//! `governor`'s keyed GCRA limiter: one timestamp per person. The map is kept small: people
//! whose allowance is full again are indistinguishable from people never seen and are dropped
//! (`retain_recent`) every [`SWEEP_EVERY`] checks, and at once when it holds more than
//! [`MAX_REMEMBERED`]. What stays is the people who searched within the last refill period
//! (`search_burst` / `searches_per_minute` minutes), a few dozen bytes each.

use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};

use crate::domain::UserId;

/// How often idle people are dropped from the map.
pub const SWEEP_EVERY: u64 = 1024;
/// Above this many people in the map, idle ones are dropped at the next check.
pub const MAX_REMEMBERED: usize = 10_000;

/// One GCRA state per person.
type PerPerson<C> =
    RateLimiter<UserId, DashMapStateStore<UserId>, C, NoOpMiddleware<<C as Clock>::Instant>>;

pub struct SearchLimiter<C: Clock = DefaultClock> {
    /// `None`: no limit (`searches_per_minute = 0`).
    limiter: Option<PerPerson<C>>,
    checks: AtomicU64,
}

impl SearchLimiter {
    /// `burst` searches at once, then `per_minute`; `per_minute = 0` turns the limit off.
    pub fn new(burst: u32, per_minute: u32) -> Self {
        Self::with_clock(burst, per_minute, DefaultClock::default())
    }
}

impl<C: Clock> SearchLimiter<C> {
    pub fn with_clock(burst: u32, per_minute: u32, clock: C) -> Self {
        let limiter = NonZeroU32::new(per_minute).map(|rate| {
            let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
            RateLimiter::dashmap_with_clock(Quota::per_minute(rate).allow_burst(burst), clock)
        });
        Self {
            limiter,
            checks: AtomicU64::new(0),
        }
    }

    /// Counts one search by `who`; false when they must wait.
    pub fn allow(&self, who: UserId) -> bool {
        let Some(limiter) = &self.limiter else {
            return true;
        };
        let n = self.checks.fetch_add(1, Ordering::Relaxed) + 1;
        if n.is_multiple_of(SWEEP_EVERY) || limiter.len() > MAX_REMEMBERED {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
        limiter.check_key(&who).is_ok()
    }

    /// People whose allowance is not full (what the map holds).
    pub fn remembered(&self) -> usize {
        self.limiter.as_ref().map_or(0, |l| l.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use governor::clock::FakeRelativeClock;
    use std::time::Duration;

    #[test]
    fn a_burst_then_the_rate_and_others_are_unaffected() {
        let clock = FakeRelativeClock::default();
        let limits = SearchLimiter::with_clock(3, 30, clock.clone());
        let (fast, other) = (UserId::new(), UserId::new());
        assert!((0..3).all(|_| limits.allow(fast)));
        assert!(!limits.allow(fast), "the fourth at once waits");
        assert!(limits.allow(other), "someone else searches as usual");
        clock.advance(Duration::from_secs(2));
        assert!(
            limits.allow(fast),
            "one more after two seconds (30 a minute)"
        );
        assert!(!limits.allow(fast));
    }

    #[test]
    fn idle_people_are_forgotten() {
        let clock = FakeRelativeClock::default();
        let limits = SearchLimiter::with_clock(2, 60, clock.clone());
        for _ in 0..500 {
            assert!(limits.allow(UserId::new()));
        }
        assert_eq!(limits.remembered(), 500);
        // Everyone's allowance is full again; the next sweep drops them all.
        clock.advance(Duration::from_secs(60));
        let keeper = UserId::new();
        for _ in 0..(SWEEP_EVERY - 500) {
            limits.allow(keeper);
        }
        assert!(
            limits.remembered() <= 1,
            "{} remembered",
            limits.remembered()
        );
    }

    #[test]
    fn zero_per_minute_is_no_limit() {
        let limits = SearchLimiter::new(1, 0);
        let who = UserId::new();
        assert!((0..100).all(|_| limits.allow(who)));
    }
}
