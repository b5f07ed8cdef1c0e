//! Plausible vehicle paths across Wuxue and the position frames that carry them. Each
//! simulated vehicle starts a few kilometres from one of Wuxue's twelve town centres and
//! drives from town to town at 20–60 km/h, its heading bending toward the next town with a
//! little wander, its speed drifting; it bounces off the city's box if it ever meets an
//! edge. A dispatched vehicle heads straight for the site at 40–60 km/h and parks there.
//! Movement follows the fixes' own timestamps (distance = speed × the time since the last
//! fix), so a path is physically consistent whatever the frame rate. Timestamps never go
//! backwards: the fixes of a frame are spread over the time since the previous frame, and
//! they never run ahead of the wall clock, so the engine's order and skew checks pass.
//! Frames are written by hand into a `String` (six decimals, RFC 3339 with microseconds):
//! at hundreds of thousands of fixes per second the generator must stay cheap.

use std::fmt::Write as _;
use std::sync::LazyLock;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::body::{LAT_RANGE, LNG_RANGE};
pub use crate::timefmt::{now_us, write_rfc3339};

/// Speeds a supervision car keeps between towns, km/h.
pub const SPEED_KMH: (f64, f64) = (20.0, 60.0);
/// Metres per degree of latitude (and of longitude at the equator).
const M_PER_DEG: f64 = 111_320.0;
/// Largest heading change per second of driving, degrees (a gentle bend, not a U-turn).
const TURN_DEG_PER_S: f64 = 8.0;
/// Largest speed change per second, km/h.
const ACCEL_KMH_PER_S: f64 = 3.0;
/// Speeds on the way to a site, km/h (urgent, but within the law).
const DISPATCH_KMH: (f64, f64) = (40.0, 60.0);
/// A town counts as reached this close to its centre, metres.
const TOWN_REACHED_M: f64 = 500.0;
/// How far from a town centre vehicles start, degrees (about 3 km).
const START_SPREAD_DEG: f64 = 0.03;

/// The engine's area file, compiled in as the engine compiles its built-in copy: the load
/// runs from any directory and machine, needs no config directory beside it, and is rebuilt
/// whenever the file changes.
const AREA_FILE: &str = include_str!("../../../config/area.toml");

/// A town or street district of the area file with its approximate (synthetic) centre.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct Town {
    pub name: String,
    pub lat: f64,
    pub lng: f64,
}

impl Town {
    /// The centre as (lat, lng).
    pub fn centre(&self) -> (f64, f64) {
        (self.lat, self.lng)
    }
}

/// The parts of the area file the load reads (the engine checks the rest).
#[derive(serde::Deserialize)]
struct AreaFile {
    area: Vec<AreaTowns>,
}

#[derive(serde::Deserialize)]
struct AreaTowns {
    towns: Vec<Town>,
}

/// Every town of every area in the area file, in its order: where vehicles start and
/// drive, where tickets are placed, one squad each.
pub static TOWNS: LazyLock<Vec<Town>> = LazyLock::new(|| {
    let file: AreaFile =
        toml::from_str(AREA_FILE).expect("config/area.toml is compiled in and its tests parse it");
    let towns: Vec<Town> = file.area.into_iter().flat_map(|a| a.towns).collect();
    assert!(!towns.is_empty(), "config/area.toml names no towns");
    towns
});

/// Distance between two points in metres (equirectangular: exact enough within a county).
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let dy = (b.0 - a.0) * M_PER_DEG;
    let dx = (b.1 - a.1) * M_PER_DEG * ((a.0 + b.0) / 2.0).to_radians().cos();
    dy.hypot(dx)
}

/// Bearing from `a` to `b`, degrees clockwise from north.
fn bearing_deg(a: (f64, f64), b: (f64, f64)) -> f64 {
    let dy = b.0 - a.0;
    let dx = (b.1 - a.1) * ((a.0 + b.0) / 2.0).to_radians().cos();
    dx.atan2(dy).to_degrees().rem_euclid(360.0)
}

/// What the vehicle is doing.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Goal {
    /// Driving to the town with this index.
    Town(usize),
    /// Driving to a site (lat, lng).
    Site(f64, f64),
    /// Standing still.
    Parked,
}

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
    goal: Goal,
    rng: StdRng,
}

impl Mover {
    /// A vehicle near a random town, heading for another, whose last fix was at `start_us`.
    pub fn new(seed: u64, start_us: i64) -> Self {
        let mut rng = StdRng::seed_from_u64(seed);
        let home = rng.random_range(0..TOWNS.len());
        let (lat, lng) = TOWNS[home].centre();
        let lat = (lat + rng.random_range(-START_SPREAD_DEG..START_SPREAD_DEG))
            .clamp(LAT_RANGE.0, LAT_RANGE.1);
        let lng = (lng + rng.random_range(-START_SPREAD_DEG..START_SPREAD_DEG))
            .clamp(LNG_RANGE.0, LNG_RANGE.1);
        let mut m = Self {
            lat,
            lng,
            heading: rng.random_range(0.0..360.0),
            speed_kmh: rng.random_range(SPEED_KMH.0..=SPEED_KMH.1),
            last_us: start_us,
            goal: Goal::Parked,
            rng,
        };
        m.next_town();
        m
    }

    /// The latest position, (lat, lng).
    pub fn position(&self) -> (f64, f64) {
        (self.lat, self.lng)
    }

    /// Heads for another town than the one it is closest to.
    fn next_town(&mut self) {
        let here = (self.lat, self.lng);
        let next = loop {
            let k = self.rng.random_range(0..TOWNS.len());
            if distance_m(here, TOWNS[k].centre()) > TOWN_REACHED_M {
                break k;
            }
        };
        self.goal = Goal::Town(next);
        self.speed_kmh = self.speed_kmh.clamp(SPEED_KMH.0, SPEED_KMH.1);
    }

    /// Drives straight for a site (a dispatch), at 40–60 km/h.
    pub fn dispatch_to(&mut self, lat: f64, lng: f64) {
        self.goal = Goal::Site(lat, lng);
        self.speed_kmh = self.rng.random_range(DISPATCH_KMH.0..=DISPATCH_KMH.1);
    }

    /// Stops where it is (on site).
    pub fn park(&mut self) {
        self.goal = Goal::Parked;
    }

    /// Drives on from wherever it is, toward another town.
    pub fn resume(&mut self) {
        self.speed_kmh = self.rng.random_range(SPEED_KMH.0..=SPEED_KMH.1);
        self.next_town();
    }

    /// Whether it is standing still.
    pub fn parked(&self) -> bool {
        self.goal == Goal::Parked
    }

    /// Drives on to `at_us` (clamped to not before the last fix) and returns the fix there.
    pub fn advance(&mut self, at_us: i64) -> FixPoint {
        let at_us = at_us.max(self.last_us);
        let dt = (at_us - self.last_us) as f64 / 1e6;
        self.last_us = at_us;
        let here = (self.lat, self.lng);
        match self.goal {
            Goal::Parked => {}
            Goal::Site(lat, lng) if dt > 0.0 => {
                let left = distance_m(here, (lat, lng));
                self.heading = bearing_deg(here, (lat, lng));
                let step = self.speed_kmh / 3.6 * dt;
                if step >= left {
                    // Arrived: stand at the site itself.
                    self.lat = lat;
                    self.lng = lng;
                    self.goal = Goal::Parked;
                } else {
                    self.step(step);
                }
            }
            Goal::Town(k) if dt > 0.0 => {
                let town = TOWNS[k].centre();
                if distance_m(here, town) <= TOWN_REACHED_M {
                    self.next_town();
                }
                let wander = dt.min(10.0);
                self.speed_kmh = (self.speed_kmh
                    + self.rng.random_range(-1.0..=1.0) * ACCEL_KMH_PER_S * wander)
                    .clamp(SPEED_KMH.0, SPEED_KMH.1);
                // Bend toward the town by at most the turn rate, with a little wander.
                let target = match self.goal {
                    Goal::Town(k) => bearing_deg(here, TOWNS[k].centre()),
                    _ => self.heading,
                };
                let off = (target - self.heading + 540.0).rem_euclid(360.0) - 180.0;
                let max_turn = TURN_DEG_PER_S * wander;
                let turn =
                    off.clamp(-max_turn, max_turn) + self.rng.random_range(-0.25..=0.25) * max_turn;
                self.heading = (self.heading + turn).rem_euclid(360.0);
                self.step(self.speed_kmh / 3.6 * dt);
            }
            _ => {}
        }
        FixPoint {
            lat: self.lat,
            lng: self.lng,
            at_us,
            speed_kmh: if self.parked() { 0.0 } else { self.speed_kmh },
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
pub fn write_fix_fields(out: &mut String, f: &FixPoint) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn inside(lat: f64, lng: f64) -> bool {
        (LAT_RANGE.0..=LAT_RANGE.1).contains(&lat) && (LNG_RANGE.0..=LNG_RANGE.1).contains(&lng)
    }

    #[test]
    fn the_towns_are_the_engines_towns_in_its_order() {
        let engine: Vec<(String, (f64, f64))> = hotline_dispatch::domain::towns::builtin()
            .iter()
            .map(|t| (t.name.clone(), (t.centre.lat(), t.centre.lng())))
            .collect();
        let ours: Vec<(String, (f64, f64))> =
            TOWNS.iter().map(|t| (t.name.clone(), t.centre())).collect();
        assert_eq!(ours, engine);
        assert_eq!(ours.len(), 12);
        for t in TOWNS.iter() {
            assert!(inside(t.lat, t.lng), "{t:?}");
        }
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
    fn dispatched_vehicle_reaches_the_site_and_parks() {
        let mut m = Mover::new(9, 0);
        let (lat, lng) = m.position();
        let site = (lat + 0.01, lng - 0.01); // about 1.5 km away
        m.dispatch_to(site.0, site.1);
        let mut t = 0;
        while !m.parked() {
            t += 1_000_000;
            let before = m.position();
            let f = m.advance(t);
            assert!(distance_m(before, (f.lat, f.lng)) <= 60.0 / 3.6 + 0.01);
            assert!(t < 600_000_000, "never arrived");
        }
        assert!(distance_m(m.position(), site) < 1.0);
        assert_eq!(m.advance(t + 5_000_000).speed_kmh, 0.0);
        m.resume();
        assert!(m.advance(t + 10_000_000).speed_kmh >= SPEED_KMH.0);
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
