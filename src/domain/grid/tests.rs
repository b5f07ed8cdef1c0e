//! Tests of the grid against its reference: over random fleets (1 to 100,000 vehicles, spread
//! over the county, clustered in a few km², scattered over the globe, packed around a
//! pentagon) and random queries (next to cell vertices, on vehicles, with every filter), the
//! indexed answer must equal the brute-force scan exactly — ids, distances, order. Random
//! sequences of moves must keep every vehicle in exactly one cell. The ring bound and the
//! inner-disc shortcut are checked against H3's own geometry.
#![allow(clippy::unwrap_used, reason = "tests")]

use std::str::FromStr;

use h3o::{CellIndex, Resolution};
use proptest::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use super::geom::{CellShape, Point, Unit, cell_at, chord_cut, ring_bound_m, ring_edge_m};
use super::*;

const LAT: (f64, f64) = (29.82, 30.22);
const LNG: (f64, f64) = (115.37, 115.83);
const STATUSES: [VehicleStatus; 6] = [
    VehicleStatus::Available,
    VehicleStatus::Available,
    VehicleStatus::Available,
    VehicleStatus::OffDuty,
    VehicleStatus::EnRoute,
    VehicleStatus::Returning,
];

fn ts(secs: i64) -> Timestamp {
    Timestamp::from_unix_millis(1_790_000_000_000 + secs * 1000).unwrap()
}

fn ll(lat: f64, lng: f64) -> LatLng {
    LatLng::new(lat.clamp(-90.0, 90.0), ((lng + 540.0) % 360.0) - 180.0).unwrap()
}

fn vid(i: usize) -> VehicleId {
    VehicleId::from_str(&format!("V-{i}")).unwrap()
}

/// Where a fleet lives.
#[derive(Clone, Copy, Debug)]
enum Layout {
    /// Uniform over the county.
    Spread,
    /// A few discs of 0.3–1.5 km radius inside the county.
    Clustered,
    /// A disc of a few km around a random point of the globe.
    Anywhere,
    /// Around a resolution-9 pentagon.
    Pentagon,
}

/// Random positions for `layout`; 5 % repeat an earlier position exactly (ties by id).
fn positions(rng: &mut StdRng, n: usize, layout: Layout) -> Vec<LatLng> {
    let center = |rng: &mut StdRng| match layout {
        Layout::Spread | Layout::Clustered => (
            rng.random_range(LAT.0 + 0.02..LAT.1 - 0.02),
            rng.random_range(LNG.0 + 0.02..LNG.1 - 0.02),
        ),
        Layout::Anywhere => (
            rng.random_range(-80.0..80.0),
            rng.random_range(-180.0..180.0),
        ),
        Layout::Pentagon => {
            let pentagons: Vec<CellIndex> = Resolution::Nine.pentagons().collect();
            let p = h3o::LatLng::from(pentagons[rng.random_range(0..pentagons.len())]);
            (p.lat(), p.lng())
        }
    };
    let centers: Vec<(f64, f64, f64)> = (0..rng.random_range(1..=3))
        .map(|_| {
            let (lat, lng) = center(rng);
            (lat, lng, rng.random_range(300.0..3000.0))
        })
        .collect();
    let mut out: Vec<LatLng> = Vec::with_capacity(n);
    for _ in 0..n {
        if !out.is_empty() && rng.random_bool(0.05) {
            out.push(out[rng.random_range(0..out.len())]);
            continue;
        }
        out.push(match layout {
            Layout::Spread => ll(
                rng.random_range(LAT.0..LAT.1),
                rng.random_range(LNG.0..LNG.1),
            ),
            _ => {
                let (lat, lng, r) = centers[rng.random_range(0..centers.len())];
                let (d, a) = (
                    r * rng.random::<f64>().sqrt(),
                    rng.random_range(0.0..std::f64::consts::TAU),
                );
                ll(
                    lat + d * a.cos() / 111_195.0,
                    lng + d * a.sin() / (111_195.0 * lat.to_radians().cos()),
                )
            }
        });
    }
    out
}

fn vehicle(rng: &mut StdRng, i: usize, position: LatLng) -> GridVehicle {
    GridVehicle {
        id: vid(i),
        position,
        fix_at: ts(-rng.random_range(0..3600)),
        status: STATUSES[rng.random_range(0..STATUSES.len())],
        // Some devices are offline: never eligible, however near.
        online: rng.random_bool(0.8),
        department: Department::ALL[rng.random_range(0..3)],
        team: TeamId::from_str(&format!("T-{}", rng.random_range(0..5))).unwrap(),
    }
}

fn fleet(rng: &mut StdRng, n: usize, layout: Layout) -> (HexGrid, Vec<LatLng>) {
    let mut grid = HexGrid::new(GridConfig::default());
    let at = positions(rng, n, layout);
    for (i, p) in at.iter().enumerate() {
        grid.upsert(vehicle(rng, i, *p));
    }
    (grid, at)
}

/// A point next to a vertex of the fine or coarse cell of `p`, nudged by millimetres.
fn near_vertex(rng: &mut StdRng, p: LatLng) -> LatLng {
    let res = if rng.random_bool(0.7) {
        Resolution::Nine
    } else {
        Resolution::Six
    };
    let boundary = cell_at(p, res).boundary();
    let v = boundary[rng.random_range(0..boundary.len())];
    let mm = 1e-8 * rng.random_range(-3.0..3.0);
    ll(v.lat() + mm, v.lng() + 1e-8 * rng.random_range(-3.0..3.0))
}

fn random_query(rng: &mut StdRng, grid: &HexGrid, at: &[LatLng]) -> NearestQuery {
    let some = |rng: &mut StdRng| at[rng.random_range(0..at.len())];
    let origin = match rng.random_range(0..5) {
        0 => ll(
            rng.random_range(LAT.0..LAT.1),
            rng.random_range(LNG.0..LNG.1),
        ),
        1 => some(rng),
        2 => {
            let p = some(rng);
            ll(
                p.lat() + rng.random_range(-0.05..0.05),
                p.lng() + rng.random_range(-0.05..0.05),
            )
        }
        _ => {
            let p = some(rng);
            near_vertex(rng, p)
        }
    };
    let pick = |rng: &mut StdRng, p: f64| rng.random_bool(p);
    let mut q = NearestQuery {
        origin,
        limit: match rng.random_range(0..10) {
            0..=4 => 1,
            5..=8 => rng.random_range(2..=10),
            _ => 50,
        },
        max_radius_m: pick(rng, 0.3).then(|| rng.random_range(0.0..20_000.0)),
        department: pick(rng, 0.3).then(|| Department::ALL[rng.random_range(0..3)]),
        team: pick(rng, 0.2)
            .then(|| TeamId::from_str(&format!("T-{}", rng.random_range(0..6))).unwrap()),
        only_available: pick(rng, 0.6),
        max_fix_age: pick(rng, 0.4).then(|| time::Duration::seconds(rng.random_range(0..3600))),
        include_stale: pick(rng, 0.5),
        now: ts(0),
        exclude: Vec::new(),
    };
    if pick(rng, 0.3) {
        // Exclude some of the would-be answers, and a few others.
        let nearest = grid.nearest_by_scan(&q);
        q.exclude = nearest
            .iter()
            .take(rng.random_range(1..=3))
            .map(|c| c.id.clone())
            .collect();
        q.exclude
            .extend((0..rng.random_range(0..3)).map(|_| vid(rng.random_range(0..at.len() + 5))));
    }
    q
}

/// Every answer is eligible, independently of the reference.
fn assert_eligible(q: &NearestQuery, found: &[Candidate]) {
    assert!(found.len() <= q.limit);
    for c in found {
        assert!(!q.only_available || c.status == VehicleStatus::Available);
        assert!(q.department.is_none_or(|d| d == c.department));
        assert!(q.team.as_ref().is_none_or(|t| *t == c.team));
        assert!(!q.exclude.contains(&c.id));
        assert!(q.max_radius_m.is_none_or(|r| c.distance_m <= r));
        let stale = q
            .max_fix_age
            .is_some_and(|age| q.now.inner() - c.fix_at.inner() > age);
        assert_eq!(c.stale, stale);
        assert!(q.include_stale || !c.stale);
        assert_eq!(
            c.distance_m.to_bits(),
            q.origin.distance_m(c.position).to_bits()
        );
    }
}

fn check_queries(
    rng: &mut StdRng,
    grid: &HexGrid,
    at: &[LatLng],
    queries: usize,
) -> Result<(), TestCaseError> {
    for _ in 0..queries {
        let q = random_query(rng, grid, at);
        let found = grid.nearest(&q);
        assert_eligible(&q, &found);
        prop_assert_eq!(&found, &grid.nearest_by_scan(&q), "query {:?}", q);
    }
    Ok(())
}

fn layout(i: u8) -> Layout {
    [
        Layout::Spread,
        Layout::Clustered,
        Layout::Spread,
        Layout::Clustered,
    ][usize::from(i % 4)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn small_fleets_match_the_scan(seed: u64, n in 1usize..300, l in 0u8..4) {
        let mut rng = StdRng::seed_from_u64(seed);
        let (grid, at) = fleet(&mut rng, n, layout(l));
        check_queries(&mut rng, &grid, &at, 30)?;
    }

    #[test]
    fn moves_keep_every_vehicle_in_one_cell(seed: u64, n in 1usize..400, ops in 1usize..300) {
        let mut rng = StdRng::seed_from_u64(seed);
        let l = layout(u8::from(rng.random_bool(0.5)));
        let (mut grid, mut at) = fleet(&mut rng, n, l);
        let mut next = n;
        for _ in 0..ops {
            let i = rng.random_range(0..next);
            let id = vid(i);
            let known = grid.get(&id).is_some();
            match rng.random_range(0..10) {
                0..=3 => {
                    // 5–50 m, sometimes across a cell edge; or a jump.
                    let p = at[i];
                    let (d, a) = if rng.random_bool(0.8) { (rng.random_range(5.0..50.0), rng.random_range(0.0..6.3)) } else { (rng.random_range(50.0..20_000.0), rng.random_range(0.0..6.3)) };
                    let to = ll(p.lat() + d * f64::cos(a) / 111_195.0, p.lng() + d * f64::sin(a) / 96_000.0);
                    prop_assert_eq!(grid.move_to(&id, to, ts(rng.random_range(-100..0))), known);
                    if known { at[i] = to; }
                }
                4 => {
                    let to = near_vertex(&mut rng, at[i]);
                    prop_assert_eq!(grid.move_to(&id, to, ts(0)), known);
                    if known { at[i] = to; }
                }
                5 if rng.random_bool(0.5) => { prop_assert_eq!(grid.set_online(&id, rng.random_bool(0.7)), known); }
                5 => { prop_assert_eq!(grid.set_status(&id, STATUSES[rng.random_range(0..6)]), known); }
                6 => { prop_assert_eq!(grid.remove(&id), known); prop_assert!(grid.get(&id).is_none()); }
                7 => {
                    let before = grid.cell_of(&id);
                    let p = at[i];
                    let v = vehicle(&mut rng, i, p);
                    let changed = grid.upsert(v.clone());
                    prop_assert_eq!(changed, before != grid.cell_of(&id));
                    prop_assert_eq!(grid.get(&id), Some(v));
                }
                8 => {
                    let p = at[rng.random_range(0..at.len())];
                    grid.upsert(vehicle(&mut rng, next, p));
                    at.push(p);
                    next += 1;
                }
                _ => { if rng.random_bool(0.1) { grid.compact(); } }
            }
            if rng.random_bool(0.1) {
                grid.check_invariants().map_err(TestCaseError::fail)?;
            }
        }
        grid.check_invariants().map_err(TestCaseError::fail)?;
        prop_assert_eq!(grid.len(), grid.all().len());
        check_queries(&mut rng, &grid, &at, 20)?;
    }

    #[test]
    fn the_ready_index_answers_as_one_index_would(seed: u64, n in 1usize..400, ops in 1usize..300) {
        let mut rng = StdRng::seed_from_u64(seed);
        let l = layout(u8::from(rng.random_bool(0.5)));
        let (mut reference, mut at) = fleet(&mut rng, n, l);
        let mut split = FleetGrid::new(GridConfig::default());
        for v in reference.all() {
            split.upsert(v);
        }
        // Vehicles held for an offer: the split grid keeps them out of its ready index,
        // as the exclusion list of every search did before.
        let mut held = std::collections::HashSet::new();
        for _ in 0..ops {
            let i = rng.random_range(0..at.len());
            let id = vid(i);
            match rng.random_range(0..8) {
                0 | 1 => {
                    let p = at[i];
                    let to = ll(p.lat() + rng.random_range(-0.01..0.01), p.lng() + rng.random_range(-0.01..0.01));
                    let at_time = ts(rng.random_range(-100..0));
                    prop_assert_eq!(split.move_to(&id, to, at_time), reference.move_to(&id, to, at_time));
                    at[i] = to;
                }
                2 => {
                    let status = STATUSES[rng.random_range(0..6)];
                    prop_assert_eq!(split.set_status(&id, status), reference.set_status(&id, status));
                }
                3 => {
                    let online = rng.random_bool(0.7);
                    prop_assert_eq!(split.set_online(&id, online), reference.set_online(&id, online));
                }
                4 => { prop_assert_eq!(split.remove(&id), reference.remove(&id)); }
                5 => {
                    let v = vehicle(&mut rng, i, at[i]);
                    split.upsert(v.clone());
                    reference.upsert(v);
                }
                _ => {
                    let hold = rng.random_bool(0.6);
                    split.set_held(&id, hold);
                    if hold { held.insert(id); } else { held.remove(&id); }
                }
            }
        }
        prop_assert_eq!(split.all(), reference.all());
        let ready = reference
            .all()
            .iter()
            .filter(|v| v.status == VehicleStatus::Available && v.online && !held.contains(&v.id))
            .count();
        prop_assert_eq!(split.ready_len(), ready);
        for _ in 0..30 {
            let q = random_query(&mut rng, &reference, &at);
            let mut as_before = q.clone();
            if q.only_available {
                as_before.exclude.extend(held.iter().cloned());
            }
            prop_assert_eq!(&split.nearest(&q), &reference.nearest_by_scan(&as_before), "query {:?}", q);
        }
    }

    #[test]
    fn ring_bound_holds_against_h3_geometry(seed: u64, anywhere: bool) {
        let mut rng = StdRng::seed_from_u64(seed);
        let origin = if anywhere {
            ll(rng.random_range(-85.0..85.0), rng.random_range(-180.0..180.0))
        } else {
            ll(rng.random_range(LAT.0..LAT.1), rng.random_range(LNG.0..LNG.1))
        };
        let origin = if rng.random_bool(0.5) { near_vertex(&mut rng, origin) } else { origin };
        let cell = cell_at(origin, Resolution::Nine);
        let edge = ring_edge_m(cell.parent(Resolution::Six).unwrap(), Resolution::Nine);
        for k in 2..=FINE_RINGS_CHECKED {
            let Some(ring) = cell.grid_ring_fast(k).collect::<Option<Vec<_>>>() else { return Ok(()) };
            let bound = ring_bound_m(k, edge);
            for c in ring {
                let b = c.boundary();
                for (i, v) in b.iter().enumerate() {
                    let w = b[(i + 1) % b.len()];
                    for t in [0.0, 0.25, 0.5, 0.75] {
                        let p = ll(v.lat() + t * (w.lat() - v.lat()), v.lng() + t * (w.lng() - v.lng()));
                        prop_assert!(origin.distance_m(p) >= bound, "ring {} at {} m < {} m", k, origin.distance_m(p), bound);
                    }
                }
            }
        }
    }

    #[test]
    fn the_inner_disc_lies_in_its_cell(seed: u64, anywhere: bool) {
        let mut rng = StdRng::seed_from_u64(seed);
        let p = if anywhere { ll(rng.random_range(-85.0..85.0), rng.random_range(-180.0..180.0)) } else { ll(rng.random_range(LAT.0..LAT.1), rng.random_range(LNG.0..LNG.1)) };
        let cell = cell_at(p, Resolution::Nine);
        let shape = CellShape::of(cell);
        let c = h3o::LatLng::from(cell);
        for _ in 0..200 {
            let (d, a) = (rng.random_range(0.0..250.0), rng.random_range(0.0..std::f64::consts::TAU));
            let q = ll(c.lat() + d * a.cos() / 111_195.0, c.lng() + d * a.sin() / (111_195.0 * c.lat().to_radians().cos()));
            if shape.surely_holds(Point::new(q)) {
                prop_assert_eq!(cell_at(q, Resolution::Nine), cell);
            }
            prop_assert!(shape.center.distance_m(Point::new(q)) <= shape.radius_m || cell_at(q, Resolution::Nine) != cell);
        }
    }
}

const FINE_RINGS_CHECKED: u32 = 6;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn medium_fleets_match_the_scan(seed: u64, n in 300usize..5000, l in 0u8..4) {
        let mut rng = StdRng::seed_from_u64(seed);
        let (grid, at) = fleet(&mut rng, n, layout(l));
        check_queries(&mut rng, &grid, &at, 20)?;
    }

    #[test]
    fn fleets_anywhere_and_at_pentagons_match_the_scan(seed: u64, n in 1usize..2000, pentagon: bool) {
        let mut rng = StdRng::seed_from_u64(seed);
        let (grid, at) = fleet(&mut rng, n, if pentagon { Layout::Pentagon } else { Layout::Anywhere });
        grid.check_invariants().map_err(TestCaseError::fail)?;
        check_queries(&mut rng, &grid, &at, 20)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2))]

    #[test]
    fn fleets_of_100_000_match_the_scan(seed: u64, clustered: bool) {
        let mut rng = StdRng::seed_from_u64(seed);
        let (grid, at) = fleet(&mut rng, 100_000, if clustered { Layout::Clustered } else { Layout::Spread });
        check_queries(&mut rng, &grid, &at, 8)?;
    }
}

#[test]
fn distances_are_bit_identical_to_latlng() {
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..10_000 {
        let a = ll(
            rng.random_range(-90.0..90.0),
            rng.random_range(-180.0..180.0),
        );
        let b = if rng.random_bool(0.5) {
            ll(
                a.lat() + rng.random_range(-0.1..0.1),
                a.lng() + rng.random_range(-0.1..0.1),
            )
        } else {
            ll(
                rng.random_range(-90.0..90.0),
                rng.random_range(-180.0..180.0),
            )
        };
        let (pa, pb) = (Point::new(a), Point::new(b));
        assert_eq!(pa.distance_m(pb).to_bits(), a.distance_m(b).to_bits());
        // Equal up to rounding when the bound is tight (tiny angles); the search allows 1e-9.
        let (lb, hav) = (pa.hav_lower_bound(pb), pa.hav(pb));
        assert!(lb <= hav * (1.0 + 1e-12), "{lb} > {hav}");
        // The f32 chord never rejects a point at exactly the bound.
        let d = a.distance_m(b);
        assert!(
            Unit::of(a).chord2(Unit::of(b)) <= chord_cut(d),
            "chord at {d} m"
        );
    }
}

#[test]
fn ties_are_ordered_by_id_and_edge_cases_answer_empty() {
    let mut grid = HexGrid::new(GridConfig::default());
    let p = ll(30.0, 115.6);
    let mut rng = StdRng::seed_from_u64(1);
    for i in [9, 10, 100] {
        let mut v = vehicle(&mut rng, i, p);
        v.status = VehicleStatus::Available;
        v.online = true;
        assert!(grid.upsert(v));
    }
    let mut q = NearestQuery {
        origin: ll(30.001, 115.6),
        limit: 3,
        max_radius_m: None,
        department: None,
        team: None,
        only_available: true,
        max_fix_age: None,
        include_stale: false,
        now: ts(0),
        exclude: vec![],
    };
    let ids: Vec<String> = grid.nearest(&q).iter().map(|c| c.id.to_string()).collect();
    assert_eq!(ids, ["V-10", "V-100", "V-9"]);
    q.limit = 0;
    assert!(grid.nearest(&q).is_empty());
    q.limit = 1;
    q.max_radius_m = Some(f64::NAN);
    assert!(grid.nearest(&q).is_empty() && grid.nearest_by_scan(&q).is_empty());
    q.max_radius_m = Some(-1.0);
    assert!(grid.nearest(&q).is_empty() && grid.nearest_by_scan(&q).is_empty());
    q.max_radius_m = None;
    q.team = Some(TeamId::from_str("T-unknown").unwrap());
    assert!(grid.nearest(&q).is_empty());
    assert!(!grid.move_to(&vid(1), p, ts(0)));
    assert!(!grid.set_status(&vid(1), VehicleStatus::OffDuty));
    assert!(!grid.remove(&vid(1)));
    assert!(!grid.upsert(grid.get(&vid(9)).unwrap()), "same cell");
    assert_eq!(grid.len(), 3);
    grid.check_invariants().unwrap();
}

#[test]
fn an_offline_vehicle_is_never_eligible_however_near() {
    let mut grid = HexGrid::new(GridConfig::default());
    let mut rng = StdRng::seed_from_u64(2);
    for (i, lat) in [(1, 30.0001), (2, 30.01)] {
        let mut v = vehicle(&mut rng, i, ll(lat, 115.6));
        (v.status, v.online) = (VehicleStatus::Available, i != 1);
        grid.upsert(v);
    }
    let q = NearestQuery {
        origin: ll(30.0, 115.6),
        limit: 5,
        max_radius_m: None,
        department: None,
        team: None,
        only_available: true,
        max_fix_age: None,
        include_stale: false,
        now: ts(0),
        exclude: vec![],
    };
    let ids =
        |g: &HexGrid| -> Vec<String> { g.nearest(&q).iter().map(|c| c.id.to_string()).collect() };
    assert_eq!(ids(&grid), ["V-2"]);
    assert!(grid.set_online(&vid(1), true));
    assert_eq!(ids(&grid), ["V-1", "V-2"]);
    assert!(grid.set_online(&vid(2), false));
    assert_eq!(ids(&grid), ["V-1"]);
    assert!(!grid.set_online(&vid(3), true));
}
