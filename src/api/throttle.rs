//! Throttling of failed authentication, per client address.
//!
//! A bad or missing bearer token (HTTP and WebSocket upgrades, through the [`Caller`]
//! extractor), a bad Open311 `api_key` and a wrong `/metrics` token are each one failure
//! from the client's address ([`super::peer::client_addr`]; an IPv6 client is counted by
//! its /64, which one subscriber usually holds whole). An address may fail
//! `auth.failed_burst` times at once and then `auth.failed_per_minute` times a minute;
//! past that, each further failure is answered 429 `too_many_failures` with `Retry-After`
//! instead of 401. Success is never counted and never checked: a valid token passes even
//! from an address that is being throttled, so a command centre whose consoles share one
//! address is not slowed by one mistyped or revoked token among them.
//!
//! Why `governor` and not `actix-governor`: actix-governor is middleware that spends the
//! quota on every request before the handler runs, so it would slow the busy, honest
//! command centre as much as a token guesser, and it cannot know whether the token was
//! good. `governor`'s keyed GCRA limiter (what actix-governor is built on) is asked here
//! only after authentication failed, which is exactly "count the failures". Its state is a
//! few words per address; addresses whose state has run back to fresh are dropped every
//! [`SWEEP_EVERY`] (`retain_recent`), so memory holds only the addresses that failed within
//! one refill period.
//!
//! Logging is sampled, not one line per failure: the first failure from an address in a
//! [`LOG_WINDOW`] is logged (and the first throttled one), the rest are counted and one
//! summary line with the counts is written when the window ends. The per-request "request
//! refused" line is left out for these requests ([`Sampled`]). Metrics:
//! `hotline_auth_failures_total{outcome="refused"|"throttled"}` and the gauge
//! `hotline_auth_throttle_addresses`.
//!
//! [`Caller`]: super::auth::Caller

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use actix_web::{HttpMessage, HttpRequest};
use governor::clock::{Clock, DefaultClock, Reference};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter};
use parking_lot::Mutex;

use super::error::ApiError;
use crate::config::AuthSettings;
use crate::domain::error_code::ErrorCode;
use crate::engine::Engine;

/// Per address: the first failure in a window is logged, the others counted and summed up
/// in one line when the window ends.
pub const LOG_WINDOW: Duration = Duration::from_secs(60);
/// How often stale limiter state is dropped and due summaries are written.
pub const SWEEP_EVERY: Duration = Duration::from_secs(10);
/// Most addresses with a log window of their own; failures from further addresses are
/// counted together in one shared window (a spread-out attack is summarised, not listed).
const MAX_LOGGED: usize = 10_000;

/// Marks a request whose failed authentication the throttle logged (or counted for its
/// summary), so the request logger does not write a line of its own for it.
#[derive(Clone, Copy, Debug)]
pub struct Sampled;

/// What a failure gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Within the budget: the usual refusal (401, or Open311's 403).
    Refused,
    /// Past the budget: 429, until `retry_after` has passed.
    Throttled { retry_after: Duration },
}

struct Window<I> {
    started: I,
    failures: u64,
    throttled: u64,
}

impl<I: Reference> Window<I> {
    fn new(now: I) -> Self {
        Self {
            started: now,
            failures: 0,
            throttled: 0,
        }
    }

    fn over(&self, now: I) -> bool {
        Duration::from(now.duration_since(self.started)) >= LOG_WINDOW
    }

    /// Counts one failure; true for the first throttled one of the window.
    fn count(&mut self, throttled: bool) -> bool {
        self.failures += 1;
        if throttled {
            self.throttled += 1;
        }
        throttled && self.throttled == 1
    }

    /// The summary line, when the window counted failures that were not logged.
    fn summarise(&self, client: Option<IpAddr>) {
        if self.failures > 1 {
            let client = client.map_or_else(|| "(many addresses)".to_owned(), |c| c.to_string());
            tracing::warn!(
                %client,
                failures = self.failures,
                throttled = self.throttled,
                window_s = LOG_WINDOW.as_secs(),
                "failed authentications"
            );
        }
    }
}

struct LogBook<I> {
    windows: HashMap<IpAddr, Window<I>>,
    /// Failures from addresses past [`MAX_LOGGED`].
    overflow: Option<Window<I>>,
}

/// The failed-authentication budget of every client address (see the module doc).
pub struct AuthThrottle<C: Clock = DefaultClock> {
    limiter: RateLimiter<IpAddr, DashMapStateStore<IpAddr>, C, NoOpMiddleware<C::Instant>>,
    clock: C,
    log: Mutex<LogBook<C::Instant>>,
}

impl AuthThrottle<DefaultClock> {
    /// A throttle with the `[auth]` settings' budget, sweeping itself every
    /// [`SWEEP_EVERY`] on the current tokio runtime (when there is one) for as long as it
    /// lives.
    pub fn start(settings: &AuthSettings) -> Arc<Self> {
        let throttle = Arc::new(Self::with_clock(
            settings.failed_per_minute,
            settings.failed_burst,
            DefaultClock::default(),
        ));
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let weak = Arc::downgrade(&throttle);
            runtime.spawn(async move {
                let mut tick = tokio::time::interval(SWEEP_EVERY);
                tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    match weak.upgrade() {
                        Some(t) => t.sweep(),
                        None => break,
                    }
                }
            });
        }
        throttle
    }
}

/// The key an address is counted under: IPv4 as it is, IPv6 by its /64.
fn key(client: IpAddr) -> IpAddr {
    match crate::net::canonical(client) {
        IpAddr::V6(v6) => {
            let s = v6.segments();
            IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
        }
        v4 => v4,
    }
}

impl<C: Clock + Clone> AuthThrottle<C> {
    /// `per_minute` and `burst` are at least 1 (validated settings); 0 is read as 1.
    pub fn with_clock(per_minute: u32, burst: u32, clock: C) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        let burst = NonZeroU32::new(burst).unwrap_or(NonZeroU32::MIN);
        let quota = Quota::per_minute(per_minute).allow_burst(burst);
        Self {
            limiter: RateLimiter::dashmap_with_clock(quota, clock.clone()),
            clock,
            log: Mutex::new(LogBook {
                windows: HashMap::new(),
                overflow: None,
            }),
        }
    }

    /// Records one failed authentication from `client` and says how to answer it.
    pub fn failed(&self, client: IpAddr) -> Verdict {
        let key = key(client);
        let verdict = match self.limiter.check_key(&key) {
            Ok(()) => Verdict::Refused,
            Err(not_until) => Verdict::Throttled {
                retry_after: not_until.wait_time_from(self.clock.now()),
            },
        };
        let throttled = matches!(verdict, Verdict::Throttled { .. });
        let outcome = if throttled { "throttled" } else { "refused" };
        metrics::counter!("hotline_auth_failures_total", "outcome" => outcome).increment(1);
        self.sample(key, throttled);
        verdict
    }

    fn sample(&self, key: IpAddr, throttled: bool) {
        let now = self.clock.now();
        let mut book = self.log.lock();
        let full = book.windows.len() >= MAX_LOGGED;
        let (window, client) = match book.windows.get_mut(&key) {
            Some(w) => (w, Some(key)),
            None if full => (book.overflow.get_or_insert_with(|| Window::new(now)), None),
            None => (
                book.windows.entry(key).or_insert_with(|| Window::new(now)),
                Some(key),
            ),
        };
        if window.over(now) {
            window.summarise(client);
            *window = Window::new(now);
        }
        let shown = client.map_or_else(|| "(many addresses)".to_owned(), |c| c.to_string());
        if window.failures == 0 {
            tracing::info!(
                client = %shown,
                "authentication failed; more failures from this address are counted and summarised every {} s",
                LOG_WINDOW.as_secs()
            );
        }
        if window.count(throttled) {
            tracing::warn!(client = %shown, "failed authentications throttled: 429 until the budget refills");
        }
    }

    /// Drops limiter state that has refilled and log windows that are over (writing their
    /// summaries).
    pub fn sweep(&self) {
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
        metrics::gauge!("hotline_auth_throttle_addresses").set(self.limiter.len() as f64);
        let now = self.clock.now();
        let mut book = self.log.lock();
        book.windows.retain(|client, w| {
            let over = w.over(now);
            if over {
                w.summarise(Some(*client));
            }
            !over
        });
        if book.windows.capacity() > 64 && book.windows.capacity() > 4 * book.windows.len() {
            book.windows.shrink_to_fit();
        }
        if book.overflow.as_ref().is_some_and(|w| w.over(now))
            && let Some(w) = book.overflow.take()
        {
            w.summarise(None);
        }
    }

    /// Addresses the limiter holds state for.
    pub fn tracked(&self) -> usize {
        self.limiter.len()
    }
}

/// The 429 for a throttled address.
pub fn too_many_failures(retry_after: Duration) -> ApiError {
    let secs = retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0);
    let secs = secs.max(1);
    ApiError::of(ErrorCode::TooManyFailures,
        format!(
            "too many failed authentications from this address; retry in {secs} s (a valid token is not held back)"
        ),
    )
    .with_retry_after(secs)
}

/// Counts a failed authentication of `req` and answers it: `refusal` within the client's
/// budget, 429 `too_many_failures` past it.
pub fn refuse(engine: &Engine, req: &HttpRequest, refusal: ApiError) -> ApiError {
    req.extensions_mut().insert(Sampled);
    let client = super::peer::client_addr(req, &engine.settings.server.trusted_proxies);
    match engine.auth_throttle.failed(client) {
        Verdict::Refused => refusal,
        Verdict::Throttled { retry_after } => too_many_failures(retry_after),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use governor::clock::FakeRelativeClock;

    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn a_burst_then_the_rate_then_429_until_it_refills() {
        let clock = FakeRelativeClock::default();
        let t = AuthThrottle::with_clock(6, 3, clock.clone());
        let a = ip("203.0.113.5");
        for _ in 0..3 {
            assert_eq!(t.failed(a), Verdict::Refused);
        }
        let Verdict::Throttled { retry_after } = t.failed(a) else {
            panic!("past the burst")
        };
        assert!(retry_after <= Duration::from_secs(10), "{retry_after:?}");
        assert!(retry_after > Duration::ZERO);
        // Another address has its own budget.
        assert_eq!(t.failed(ip("203.0.113.6")), Verdict::Refused);
        // 6 a minute: one more after 10 s, not two.
        clock.advance(Duration::from_secs(10));
        assert_eq!(t.failed(a), Verdict::Refused);
        assert!(matches!(t.failed(a), Verdict::Throttled { .. }));
        assert_eq!(too_many_failures(retry_after).code(), "too_many_failures");
    }

    #[test]
    fn ipv6_clients_are_counted_by_their_64() {
        let t = AuthThrottle::with_clock(1, 2, FakeRelativeClock::default());
        assert_eq!(t.failed(ip("2001:db8:1:2::1")), Verdict::Refused);
        assert_eq!(t.failed(ip("2001:db8:1:2::ffff")), Verdict::Refused);
        assert!(matches!(
            t.failed(ip("2001:db8:1:2:aaaa::9")),
            Verdict::Throttled { .. }
        ));
        assert_eq!(t.failed(ip("2001:db8:1:3::1")), Verdict::Refused);
        // An IPv4 client seen through a dual-stack socket is the IPv4 client.
        let t = AuthThrottle::with_clock(1, 1, FakeRelativeClock::default());
        assert_eq!(t.failed(ip("198.51.100.4")), Verdict::Refused);
        assert!(matches!(
            t.failed(ip("::ffff:198.51.100.4")),
            Verdict::Throttled { .. }
        ));
    }

    #[test]
    fn the_sweep_forgets_addresses_whose_budget_refilled() {
        let clock = FakeRelativeClock::default();
        let t = AuthThrottle::with_clock(60, 5, clock.clone());
        for i in 0..1000u32 {
            t.failed(IpAddr::V4(i.into()));
        }
        assert_eq!(t.tracked(), 1000);
        clock.advance(Duration::from_millis(500));
        t.sweep();
        assert_eq!(t.tracked(), 1000, "each failure takes a second to refill");
        clock.advance(Duration::from_secs(120));
        t.sweep();
        assert_eq!(t.tracked(), 0);
        assert!(t.log.lock().windows.is_empty(), "windows over are dropped");
    }

    #[test]
    fn log_windows_are_capped() {
        let t = AuthThrottle::with_clock(60, 5, FakeRelativeClock::default());
        for i in 0..(MAX_LOGGED as u32 + 50) {
            t.failed(IpAddr::V4(i.into()));
        }
        let book = t.log.lock();
        assert_eq!(book.windows.len(), MAX_LOGGED);
        assert_eq!(book.overflow.as_ref().map(|w| w.failures), Some(50));
    }
}
