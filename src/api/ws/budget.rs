//! How much a vehicle socket may send, and when it has been silent too long.
//!
//! [`Budget`]: a token bucket over fixes (a frame that is not a position costs one). An
//! honest device sends one fix a second, or after a network gap replays its backlog at once
//! (up to `burst` fixes); a device sending faster than `rate` for longer than the burst
//! allows is flooding, and its socket is cut off. The bucket refills by the time that passed
//! between the engine's reads, so frames an overloaded engine reads late (a burst of what
//! the device sent on time) were refilled for while they waited.
//!
//! [`Hearing`]: silence is judged on the time the engine was listening, not on its own
//! lateness. An engine that was busy (a heartbeat tick that comes late, a frame that took
//! long to handle) cannot tell whether the device spoke meanwhile — its frames wait unread
//! in the socket — so the device gets a fresh timeout from then on instead of being closed
//! for the engine's delay.
//!
//! Time is passed in, so the rules are tested without sleeping.

use std::time::{Duration, Instant};

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

/// When a vehicle socket was last heard, judged on the engine's own schedule.
#[derive(Debug)]
pub struct Hearing {
    /// The last frame read, or the end of the engine's last delay.
    heard: Instant,
    /// Silence longer than this closes the socket.
    timeout: Duration,
    /// A heartbeat tick later than this says the engine itself was behind.
    late: Duration,
}

impl Hearing {
    pub fn new(timeout: Duration, late: Duration, now: Instant) -> Self {
        Self {
            heard: now,
            timeout,
            late,
        }
    }

    /// A frame was read, or the engine finished work that kept it from reading.
    pub fn heard(&mut self, now: Instant) {
        self.heard = self.heard.max(now);
    }

    /// A heartbeat tick due at `due` runs at `now`: whether the device has been silent past
    /// the timeout. A late tick forgives (and restarts) the wait instead.
    pub fn silent(&mut self, due: Instant, now: Instant) -> bool {
        if now.saturating_duration_since(due) > self.late {
            self.heard(now);
            return false;
        }
        now.saturating_duration_since(self.heard) > self.timeout
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
    fn a_one_hertz_device_read_late_in_bursts_is_never_cut_off() {
        // The engine reads a minute of frames at once, every minute, for a day.
        let start = Instant::now();
        let mut b = Budget::new(20, 10_000, start);
        for minute in 1..=1_440u64 {
            let read_at = start + Duration::from_secs(minute * 60);
            for _ in 0..60 {
                assert!(b.take(1, read_at), "minute {minute}");
            }
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

    fn hearing(start: Instant) -> Hearing {
        Hearing::new(Duration::from_secs(30), Duration::from_secs(1), start)
    }

    #[test]
    fn a_device_silent_past_the_timeout_on_time_ticks_is_silent() {
        let start = Instant::now();
        let mut h = hearing(start);
        for s in (10..=30).step_by(10) {
            let t = start + Duration::from_secs(s);
            assert!(!h.silent(t, t), "second {s}");
        }
        let t = start + Duration::from_secs(40);
        assert!(h.silent(t, t));
    }

    #[test]
    fn a_frame_restarts_the_wait() {
        let start = Instant::now();
        let mut h = hearing(start);
        h.heard(start + Duration::from_secs(25));
        let t = start + Duration::from_secs(50);
        assert!(!h.silent(t, t));
        let t = start + Duration::from_secs(60);
        assert!(h.silent(t, t));
    }

    #[test]
    fn the_engine_being_late_is_not_the_device_being_silent() {
        let start = Instant::now();
        let mut h = hearing(start);
        // The engine was stuck for a minute: its tick due at 10 s runs at 70 s.
        let due = start + Duration::from_secs(10);
        assert!(!h.silent(due, start + Duration::from_secs(70)));
        // Back on time, the device has a full timeout from the end of the delay.
        let t = start + Duration::from_secs(90);
        assert!(!h.silent(t, t));
        let t = start + Duration::from_secs(101);
        assert!(h.silent(t, t), "silent 31 s on the engine's own schedule");
    }

    #[test]
    fn an_engine_late_on_every_tick_never_closes_a_device_for_silence() {
        let start = Instant::now();
        let mut h = hearing(start);
        for s in 1..1_000u64 {
            let due = start + Duration::from_secs(s * 10);
            assert!(!h.silent(due, due + Duration::from_secs(5)));
        }
    }
}
