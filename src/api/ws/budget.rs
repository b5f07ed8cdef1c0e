//! How much a vehicle socket may send: a token bucket over fixes (a frame that is not a
//! position costs one). An honest device sends one fix a second, or after a network gap
//! replays its backlog at once (up to `burst` fixes); a device sending faster than `rate`
//! for longer than the burst allows is flooding, and its socket is cut off. Time is passed
//! in, so the rule is tested without sleeping.

use std::time::Instant;

#[derive(Debug)]
pub struct Budget {
    /// Fixes that may still be sent at once.
    level: f64,
    /// Fixes a second the level refills by.
    rate: f64,
    /// The most the level holds: a full bucket at connect.
    burst: f64,
    at: Instant,
}

impl Budget {
    pub fn new(rate: u32, burst: u32, now: Instant) -> Self {
        Self {
            level: f64::from(burst),
            rate: f64::from(rate),
            burst: f64::from(burst),
            at: now,
        }
    }

    /// Takes `cost` from the budget; `false` (and nothing taken) when it is not there.
    pub fn take(&mut self, cost: u32, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.level = (self.level + elapsed * self.rate).min(self.burst);
        self.at = now;
        let cost = f64::from(cost);
        if cost > self.level {
            return false;
        }
        self.level -= cost;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_one_hertz_device_is_never_cut_off() {
        let start = Instant::now();
        let mut b = Budget::new(20, 10_000, start);
        for s in 0..100_000u64 {
            assert!(b.take(1, start + Duration::from_secs(s)), "second {s}");
        }
    }

    #[test]
    fn a_backlog_up_to_the_burst_passes_then_the_rate_holds() {
        let start = Instant::now();
        let mut b = Budget::new(20, 10_000, start);
        for _ in 0..10 {
            assert!(b.take(1_000, start));
        }
        assert!(!b.take(1, start), "the burst is spent");
        // One second later twenty more fixes are allowed, not twenty-one.
        let later = start + Duration::from_secs(1);
        assert!(b.take(20, later));
        assert!(!b.take(1, later));
    }

    #[test]
    fn an_open_loop_flood_is_refused_within_the_burst() {
        let start = Instant::now();
        let mut b = Budget::new(20, 10_000, start);
        // 100,000 single-fix frames in one second: at most the burst plus a second's rate.
        let passed = (0..100_000u32)
            .filter(|i| b.take(1, start + Duration::from_micros(u64::from(*i) * 10)))
            .count();
        assert!((10_000..=10_020).contains(&passed), "{passed}");
    }

    #[test]
    fn a_refused_frame_takes_nothing() {
        let start = Instant::now();
        let mut b = Budget::new(1, 10, start);
        assert!(!b.take(11, start));
        assert!(b.take(10, start));
    }
}
