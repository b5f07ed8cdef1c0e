//! Geometry behind the grid: prepared points whose haversine is bit-identical to
//! [`LatLng::distance_m`], cheap trig-free lower bounds, the per-cell bounding caps that make
//! cell pruning exact by the triangle inequality alone, the ring bound that lets the ring
//! search stop, and a hasher for H3 cell keys.

use std::f64::consts::FRAC_PI_2;
use std::hash::{BuildHasher, Hasher};

use h3o::{CellIndex, Resolution};

use crate::domain::geo::LatLng;

/// Mean Earth radius, the one [`LatLng::distance_m`] uses.
pub(super) const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Safety factor on the ring bound (see [`ring_bound_m`]): the derivation needs 0.93 at the
/// worst place on an icosahedron face; 0.85 leaves room for the slow change of scale over
/// the few kilometres a ring search covers and for rounding.
const RING_SAFETY: f64 = 0.85;

/// A position prepared for repeated distance computations.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Point {
    /// Latitude in radians (`lat.to_radians()`, exactly as `distance_m` computes it).
    lat_rad: f64,
    /// Longitude in degrees: `distance_m` subtracts degrees before converting.
    lng_deg: f64,
    /// `lat_rad.cos()`, computed once instead of once per distance.
    cos_lat: f64,
}

impl Point {
    pub(super) fn from_degrees(lat: f64, lng: f64) -> Self {
        let lat_rad = lat.to_radians();
        Self {
            lat_rad,
            lng_deg: lng,
            cos_lat: lat_rad.cos(),
        }
    }

    pub(super) fn new(p: LatLng) -> Self {
        Self::from_degrees(p.lat(), p.lng())
    }

    fn deltas(self, other: Point) -> (f64, f64) {
        (
            other.lat_rad - self.lat_rad,
            (other.lng_deg - self.lng_deg).to_radians(),
        )
    }

    /// The haversine term `a`; the same operations in the same order as
    /// [`LatLng::distance_m`] (`self` playing its `self`), so the result is bit-identical.
    pub(super) fn hav(self, other: Point) -> f64 {
        let (dp, dl) = self.deltas(other);
        (dp / 2.0).sin().powi(2) + self.cos_lat * other.cos_lat * (dl / 2.0).sin().powi(2)
    }

    /// Great-circle distance in metres, bit-identical to `LatLng::distance_m`.
    pub(super) fn distance_m(self, other: Point) -> f64 {
        2.0 * EARTH_RADIUS_M * self.hav(other).sqrt().asin()
    }

    /// A lower bound of [`Point::hav`] without trigonometry: `sin x ≥ x − x³/6` for
    /// `0 ≤ x`, and that is non-negative up to `√6`, so its square bounds `sin² x` from
    /// below on `[0, 2]`; beyond, 0 is the bound.
    pub(super) fn hav_lower_bound(self, other: Point) -> f64 {
        let (dp, dl) = self.deltas(other);
        sin2_lower(dp * 0.5) + self.cos_lat * other.cos_lat * sin2_lower(dl * 0.5)
    }

    /// Local planar coordinates in metres of `other` around `self` (equirectangular);
    /// only used on cell-sized distances where it is accurate to ~1e-5.
    pub(super) fn local_xy(self, other: Point) -> (f64, f64) {
        let (dp, dl) = self.deltas(other);
        (dl * self.cos_lat * EARTH_RADIUS_M, dp * EARTH_RADIUS_M)
    }
}

fn sin2_lower(x: f64) -> f64 {
    let x = x.abs();
    if x < 2.0 {
        let s = x * (1.0 - x * x / 6.0);
        s * s
    } else {
        0.0
    }
}

/// The largest haversine term of any point within `bound_m` metres, inflated against
/// rounding: a point with `hav_lower_bound > hav_cut(bound_m)` is farther than `bound_m`.
pub(super) fn hav_cut(bound_m: f64) -> f64 {
    if !bound_m.is_finite() {
        return f64::INFINITY;
    }
    let half_angle = (bound_m.max(0.0) / (2.0 * EARTH_RADIUS_M)).min(FRAC_PI_2);
    half_angle.sin().powi(2) * (1.0 + 1e-9) + 1e-300
}

/// A position as a unit vector in single precision: members carry one so a cell scan rejects
/// far vehicles with a dozen `f32` operations and no trigonometry (see [`chord_cut`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Unit([f32; 3]);

impl Unit {
    pub(super) fn of(p: LatLng) -> Self {
        let (lat, lng) = (p.lat().to_radians(), p.lng().to_radians());
        let (sin_lat, cos_lat) = lat.sin_cos();
        let (sin_lng, cos_lng) = lng.sin_cos();
        // Single precision on purpose: `chord_cut` accounts for the rounding.
        Self([
            (cos_lat * cos_lng) as f32,
            (cos_lat * sin_lng) as f32,
            sin_lat as f32,
        ])
    }

    /// Squared chord between the two unit vectors, as computed in `f32`.
    pub(super) fn chord2(self, other: Unit) -> f32 {
        let [a, b, c] = self.0;
        let [x, y, z] = other.0;
        (a - x) * (a - x) + (b - y) * (b - y) + (c - z) * (c - z)
    }
}

/// The largest [`Unit::chord2`] a point within `bound_m` metres can show. A great-circle
/// distance `d` has chord `2·sin(d/2R) ≤ d/R`; rounding the vectors to `f32` (≤ 6e-8 per
/// component) moves the chord by at most ~2.1e-7 plus 6e-8 of itself, and the `f32` sum adds
/// ≤ 2e-7 relative. So a member with `chord2 > chord_cut(bound)` is farther than `bound`
/// (the slack is ~3 m of chord plus 1e-6 relative, generous on purpose).
pub(super) fn chord_cut(bound_m: f64) -> f32 {
    if !bound_m.is_finite() {
        return f32::INFINITY;
    }
    let chord = bound_m.max(0.0) / EARTH_RADIUS_M * (1.0 + 1e-6) + 5e-7;
    // The 1e-6 factor also covers rounding to `f32` (≤ 6e-8 relative).
    (chord * chord * (1.0 + 1e-6)) as f32
}

/// A lower bound of the distance from `origin` to anything within `radius_m` of `center`
/// (triangle inequality), without trigonometry: `asin y ≥ y`, so `2R·√hav_lower_bound` is at
/// most the haversine distance (and within 1e-6 of it up to ~30 km); slack for rounding.
pub(super) fn cap_lower_bound_m(origin: Point, center: Point, radius_m: f64) -> f64 {
    let d = 2.0 * EARTH_RADIUS_M * origin.hav_lower_bound(center).sqrt();
    d - radius_m - 1e-6 - 1e-9 * d
}

/// A lower bound of the distance from a query point to any point of a cell at grid distance
/// ≥ `ring` from the query's cell, given `edge_m`, the shortest edge of a cell near it.
///
/// Why it holds. H3 projects each icosahedron face gnomonically onto a plane where the cells
/// are regular hexagons of circumradius ρ (= their edge). Lattice centres at hex distance
/// `D` lie on a hexagonal ring whose apothem is `D·√3ρ·√3/2 = 1.5·D·ρ`, and every point of a
/// cell is within ρ of its centre, so in the plane any point of the origin cell is at least
/// `(1.5·D − 2)·ρ` from any point of a cell at distance `D ≥ 2` (exactly ρ at D = 2: two
/// opposite vertices across a shared edge); at `D ≤ 1` the bound is 0. The gnomonic
/// projection maps great circles to straight lines, so the geodesic between two points is the
/// image of the plane segment and is at least `σ_min` times as long, `σ_min` being the
/// smallest local scale (sphere/plane) along it. Across a face edge the lattices continue in
/// the unfolded net and the scale is continuous, so the same holds. Locally the scale is a
/// linear map with singular values `σ_min ≤ σ_max`, `σ_max/σ_min = 1/cos θ ≤ 1.26` (θ ≤ 37.4°,
/// the angle from a face centre to its corners); the three edge directions are 60° apart, so
/// the shortest measured edge `e` is at most `σ_min·ρ·√(3/4 + 1.26²/4) ≤ 1.07·σ_min·ρ`, i.e.
/// `σ_min·ρ ≥ 0.934·e`. The scale drifts by at most `2·tan θ` per Earth radius (≤ 0.3 % over
/// 10 km). Hence `(1.5·D − 2)·e·0.85` is safe for the few kilometres a ring search covers.
/// Near a pentagon the lattice is not planar; `grid_ring_fast` reports it and the search
/// falls back to the cap-based coarse phase, which needs no lattice argument.
pub(super) fn ring_bound_m(ring: u32, edge_m: f64) -> f64 {
    if ring < 2 {
        0.0
    } else {
        (1.5 * f64::from(ring) - 2.0) * edge_m * RING_SAFETY
    }
}

/// The H3 cell holding `p` at `res`.
pub(super) fn cell_at(p: LatLng, res: Resolution) -> CellIndex {
    h3o::LatLng::new(p.lat(), p.lng())
        .expect("a validated LatLng is finite")
        .to_cell(res)
}

fn center_of(cell: CellIndex) -> Point {
    let c = h3o::LatLng::from(cell);
    Point::from_degrees(c.lat(), c.lng())
}

fn vertices(cell: CellIndex) -> Vec<Point> {
    cell.boundary()
        .iter()
        .map(|v| Point::from_degrees(v.lat(), v.lng()))
        .collect()
}

/// Where a cell is and how far its points can be from its centre.
#[derive(Clone, Copy, Debug)]
pub(super) struct CellShape {
    pub(super) center: Point,
    /// Covers every point of the cell (farthest vertex, inflated); the grid raises it if a
    /// vehicle ever lies farther, so cap bounds stay exact whatever H3's rounding does.
    pub(super) radius_m: f64,
    /// Haversine term of a disc around the centre that lies inside the cell (95 % of the
    /// distance to the nearest edge), or 0: a fix inside it needs no cell lookup.
    pub(super) inner_hav: f64,
}

impl CellShape {
    pub(super) fn of(cell: CellIndex) -> Self {
        let center = center_of(cell);
        let verts = vertices(cell);
        let far = verts
            .iter()
            .map(|v| center.distance_m(*v))
            .fold(0.0, f64::max);
        let inner_hav = if cell.is_pentagon() || verts.len() < 3 {
            0.0
        } else {
            let near = (0..verts.len())
                .map(|i| segment_distance_m(center, verts[i], verts[(i + 1) % verts.len()]))
                .fold(f64::INFINITY, f64::min);
            (near * 0.95 / (2.0 * EARTH_RADIUS_M))
                .min(FRAC_PI_2)
                .sin()
                .powi(2)
        };
        Self {
            center,
            radius_m: far * 1.001 + 0.01,
            inner_hav,
        }
    }

    /// Whether `p` lies in the inner disc, hence in the cell.
    pub(super) fn surely_holds(&self, p: Point) -> bool {
        self.center.hav(p) < self.inner_hav
    }
}

/// One side of a hexagonal cell, for pruning the neighbour across it without looking it up.
#[derive(Clone, Copy, Debug)]
pub(super) struct Side {
    /// The cell across this side.
    pub(super) neighbor: CellIndex,
    /// Outward unit normal and offset in the local plane around the cell centre: the cell
    /// lies in `n·x ≤ c`, the neighbour (convex, sharing this edge) in `n·x ≥ c`.
    nx: f64,
    ny: f64,
    c: f64,
}

impl Side {
    /// A lower bound of the distance from `p` (given in the owner's local plane) to the
    /// neighbour: its distance to the neighbour's half-plane, shrunk for the local plane's
    /// distortion (~2e-5 over a cell) and the geodesic's bow (~1 mm).
    pub(super) fn lower_bound_m(&self, (x, y): (f64, f64)) -> f64 {
        (self.c - self.nx * x - self.ny * y) * 0.999 - 0.05
    }
}

/// The six sides of a hexagon with their neighbours, or `None` for pentagons and cells
/// whose edges bend across an icosahedron edge (their boundary has distortion vertices).
pub(super) fn sides_of(cell: CellIndex, center: Point) -> Option<[Side; 6]> {
    if cell.is_pentagon() {
        return None;
    }
    let mut sides = Vec::with_capacity(6);
    for edge in cell.edges() {
        let b = edge.boundary();
        if b.len() != 2 {
            return None;
        }
        let (ax, ay) = center.local_xy(Point::from_degrees(b[0].lat(), b[0].lng()));
        let (bx, by) = center.local_xy(Point::from_degrees(b[1].lat(), b[1].lng()));
        let len = (bx - ax).hypot(by - ay);
        if len <= 0.0 {
            return None;
        }
        let (mut nx, mut ny) = ((by - ay) / len, -(bx - ax) / len);
        let mut c = nx * ax + ny * ay;
        if c < 0.0 {
            (nx, ny, c) = (-nx, -ny, -c);
        }
        if c <= 0.0 {
            return None;
        }
        sides.push(Side {
            neighbor: edge.destination(),
            nx,
            ny,
            c,
        });
    }
    sides.try_into().ok()
}

/// Distance from `c` to the segment `a`–`b`, in a local plane around `c`.
fn segment_distance_m(c: Point, a: Point, b: Point) -> f64 {
    let (ax, ay) = c.local_xy(a);
    let (bx, by) = c.local_xy(b);
    let (dx, dy) = (bx - ax, by - ay);
    let len2 = dx * dx + dy * dy;
    let t = if len2 > 0.0 {
        (-(ax * dx + ay * dy) / len2).clamp(0.0, 1.0)
    } else {
        0.0
    };
    (ax + t * dx).hypot(ay + t * dy)
}

/// The shortest edge of the fine cell at the centre of `coarse`: the `e` of the ring bound
/// for queries anywhere in `coarse` (the scale drifts < 0.1 % across a coarse cell).
pub(super) fn ring_edge_m(coarse: CellIndex, fine: Resolution) -> f64 {
    let cell = coarse.center_child(fine).unwrap_or(coarse);
    cell.edges()
        .map(|e| e.length_m())
        .fold(f64::INFINITY, f64::min)
}

/// Builds [`CellHasher`]s.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct CellHash;

impl BuildHasher for CellHash {
    type Hasher = CellHasher;
    fn build_hasher(&self) -> CellHasher {
        CellHasher(0)
    }
}

/// A fast hasher for H3 indexes (one `u64`). Their low bits are constant (unused digits),
/// so a plain multiply would put every cell in the same bucket: finish with the full
/// MurmurHash3 `fmix64` avalanche instead.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct CellHasher(u64);

impl Hasher for CellHasher {
    fn finish(&self) -> u64 {
        let mut x = self.0;
        x ^= x >> 33;
        x = x.wrapping_mul(0xff51_afd7_ed55_8ccd);
        x ^= x >> 33;
        x = x.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
        x ^ (x >> 33)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = self.0.rotate_left(32) ^ n;
    }
}
