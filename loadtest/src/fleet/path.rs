//! Plausible vehicle paths across Wuxue and the position frames that carry them. Each
//! simulated vehicle starts at a seeded random point inside the city's box, drives at
//! 20–60 km/h with a slowly wandering heading and speed, and bounces off the box's edges.
//! Movement follows the fixes' own timestamps (distance = speed × the time since the last
//! fix), so a path is physically consistent whatever the frame rate. Timestamps never go
//! backwards: the fixes of a frame are spread over the time since the previous frame, and
//! they never run ahead of the wall clock, so the engine's order and skew checks pass.
//! Frames are written by hand into a `String` (six decimals, RFC 3339 with microseconds):
//! at hundreds of thousands of fixes per second the generator must stay cheap.

use std::fmt::Write as _;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::body::{LAT_RANGE, LNG_RANGE};

/// Speeds a supervision car keeps between towns, km/h.
pub const SPEED_KMH: (f64, f64) = (20.0, 60.0);
/// Metres per degree of latitude (and of longitude at the equator).
const M_PER_DEG: f64 = 111_320.0;
/// Largest heading change per second of driving, degrees (a gentle bend, not a U-turn).
const TURN_DEG_PER_S: f64 = 8.0;
/// Largest speed change per second, km/h.
const ACCEL_KMH_PER_S: f64 = 3.0;

/// One fix as sent on the wire.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FixPoint {
    pub lat: f64,
    pub lng: f64,
    /// Unix time, microseconds.
    pub at_us: i64,
    pub speed_kmh: f64,
    /// Degrees clockwise from north, 0 ≤ heading < 360.
    pub heading: f64,
}

/// The simulated motion of one vehicle.
#[derive(Debug)]
pub struct Mover {
    lat: f64,
    lng: f64,
    heading: f64,
    speed_kmh: f64,
    /// Time of the last fix handed out, µs; the next one is never earlier.
    last_us: i64,
    rng: StdRng,
}

impl Mover {
    /// A vehicle at a random point of the box whose last fix was at `start_us`.
    pub fn new(seed: u64, start_us: i64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        Self {
            lat: rng.random_range(LAT_RANGE.0..LAT_RANGE.1),
            lng: rng.random_range(LNG_RANGE.0..LNG_RANGE.1),
            heading: rng.random_range(0.0..360.0),
            speed_kmh: rng.random_range(SPEED_KMH.0..=SPEED_KMH.1),
            last_us: start_us,
            rng,
        }
    }

    /// The latest position, (lat, lng).
    pub fn position(&self) -> (f64, f64) {
        (self.lat, self.lng)
    }

    /// Drives on to `at_us` (clamped to not before the last fix) and returns the fix there.
    pub fn advance(&mut self, at_us: i64) -> FixPoint {
        let at_us = at_us.max(self.last_us);
        let dt = (at_us - self.last_us) as f64 / 1e6;
        self.last_us = at_us;
        if dt > 0.0 {
            let wander = dt.min(10.0);
            self.speed_kmh = (self.speed_kmh
                + self.rng.random_range(-1.0..=1.0) * ACCEL_KMH_PER_S * wander)
                .clamp(SPEED_KMH.0, SPEED_KMH.1);
            self.heading = (self.heading
                + self.rng.random_range(-1.0..=1.0) * TURN_DEG_PER_S * wander)
                .rem_euclid(360.0);
            self.step(self.speed_kmh / 3.6 * dt);
        }
        FixPoint {
            lat: self.lat,
            lng: self.lng,
            at_us,
            speed_kmh: self.speed_kmh,
            heading: self.heading,
        }
    }

    /// Moves `metres` along the heading, reflecting off the box's edges.
    fn step(&mut self, metres: f64) {
        let h = self.heading.to_radians();
        let mut lat = self.lat + metres * h.cos() / M_PER_DEG;
        let mut lng = self.lng + metres * h.sin() / (M_PER_DEG * self.lat.to_radians().cos());
        if !(LAT_RANGE.0..=LAT_RANGE.1).contains(&lat) {
            self.heading = (180.0 - self.heading).rem_euclid(360.0);
            lat = lat.clamp(LAT_RANGE.0, LAT_RANGE.1);
        }
        if !(LNG_RANGE.0..=LNG_RANGE.1).contains(&lng) {
            self.heading = (360.0 - self.heading).rem_euclid(360.0);
            lng = lng.clamp(LNG_RANGE.0, LNG_RANGE.1);
        }
        self.lat = lat;
        self.lng = lng;
    }

    /// One `position` frame of `batch` fixes ending at wall time `now_us`: a single fix
    /// in the frame itself when `batch` is 1, else a `fixes` array whose timestamps are
    /// spread evenly over the time since the previous frame.
    pub fn frame(&mut self, now_us: i64, batch: usize) -> String {
        let batch = batch.max(1);
        let mut out = String::with_capacity(40 + batch * 112);
        out.push_str(r#"{"type":"position","#);
        if batch == 1 {
            let fix = self.advance(now_us);
            write_fix_fields(&mut out, &fix);
            out.push('}');
            return out;
        }
        out.push_str(r#""fixes":["#);
        let from = self.last_us;
        let span = (now_us - from).max(0);
        for k in 0..batch {
            let at = from + span * (k as i64 + 1) / batch as i64;
            let fix = self.advance(at);
            if k > 0 {
                out.push(',');
            }
            out.push('{');
            write_fix_fields(&mut out, &fix);
            out.push('}');
        }
        out.push_str("]}");
        out
    }
}

/// `"lat":…,"lng":…,"ts":"…","speed_kmh":…,"heading":…` (no braces).
fn write_fix_fields(out: &mut String, f: &FixPoint) {
    let _ = write!(out, r#""lat":{:.6},"lng":{:.6},"ts":""#, f.lat, f.lng);
    write_rfc3339(out, f.at_us);
    let _ = write!(
        out,
        r#"","speed_kmh":{:.1},"heading":{:.1}"#,
        f.speed_kmh,
        // One decimal could round 359.96 up to 360.0, which is still accepted (0..=360).
        f.heading
    );
}

/// Writes a Unix time in µs as RFC 3339 UTC with microseconds: `2026-11-27T08:00:00.123456Z`.
pub fn write_rfc3339(out: &mut String, at_us: i64) {
    let secs = at_us.div_euclid(1_000_000);
    let micros = at_us.rem_euclid(1_000_000);
    match time::OffsetDateTime::from_unix_timestamp(secs) {
        Ok(t) => {
            let _ = write!(
                out,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{micros:06}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            );
        }
        // Out of time's range: not a time this tool produces; write the epoch.
        Err(_) => out.push_str("1970-01-01T00:00:00.000000Z"),
    }
}

/// Now, as Unix time in µs.
pub fn now_us() -> i64 {
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inside(lat: f64, lng: f64) -> bool {
        (LAT_RANGE.0..=LAT_RANGE.1).contains(&lat) && (LNG_RANGE.0..=LNG_RANGE.1).contains(&lng)
    }

    #[test]
    fn rfc3339_with_micros() {
        let mut s = String::new();
        write_rfc3339(&mut s, 1_795_766_400_123_456);
        assert_eq!(s, "2026-11-27T08:00:00.123456Z");
        let parsed =
            time::OffsetDateTime::parse(&s, &time::format_description::well_known::Rfc3339)
                .expect("parses");
        assert_eq!(parsed.unix_timestamp_nanos(), 1_795_766_400_123_456_000);
    }

    #[test]
    fn paths_stay_in_the_box_at_plausible_speeds_and_in_order() {
        for seed in 0..20 {
            let mut m = Mover::new(seed, 0);
            let mut last = m.advance(0);
            // Two hours of one fix every 5 s: long enough to meet the edges.
            for k in 1..=1440 {
                let f = m.advance(k * 5_000_000);
                assert!(inside(f.lat, f.lng), "{f:?}");
                assert!((SPEED_KMH.0..=SPEED_KMH.1).contains(&f.speed_kmh));
                assert!((0.0..360.0).contains(&f.heading));
                assert!(f.at_us > last.at_us);
                let dy = (f.lat - last.lat) * M_PER_DEG;
                let dx = (f.lng - last.lng) * M_PER_DEG * f.lat.to_radians().cos();
                let kmh = dy.hypot(dx) / 5.0 * 3.6;
                assert!(kmh <= SPEED_KMH.1 + 1.0, "moved at {kmh} km/h");
                last = f;
            }
        }
    }

    #[test]
    fn time_never_goes_backwards() {
        let mut m = Mover::new(1, 10_000_000);
        assert_eq!(m.advance(5_000_000).at_us, 10_000_000);
        assert_eq!(m.advance(12_000_000).at_us, 12_000_000);
    }

    #[test]
    fn single_fix_frame_is_a_flat_position() {
        let mut m = Mover::new(3, 1_795_766_399_000_000);
        let text = m.frame(1_795_766_400_000_000, 1);
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        assert_eq!(v["type"], "position");
        assert!(v["lat"].is_f64() && v["lng"].is_f64());
        assert_eq!(v["ts"], "2026-11-27T08:00:00.000000Z");
        assert!(v.get("fixes").is_none());
    }

    #[test]
    fn batch_frame_spreads_increasing_times_up_to_now() {
        let mut m = Mover::new(4, 1_795_766_399_000_000);
        let text = m.frame(1_795_766_400_000_000, 100);
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        let fixes = v["fixes"].as_array().expect("array");
        assert_eq!(fixes.len(), 100);
        let ts: Vec<&str> = fixes
            .iter()
            .map(|f| f["ts"].as_str().expect("ts"))
            .collect();
        assert!(ts.windows(2).all(|w| w[0] < w[1]), "{ts:?}");
        assert_eq!(ts[99], "2026-11-27T08:00:00.000000Z");
        assert_eq!(ts[0], "2026-11-27T07:59:59.010000Z");
        // A second frame at the same instant repeats the time (allowed), never earlier.
        let again = m.frame(1_795_766_400_000_000, 2);
        assert!(again.contains("2026-11-27T08:00:00.000000Z"));
    }
}
