//! The service area: where the engine dispatches on its own. One or more administrative
//! areas (a county, code 421182) with their outlines and towns, read from an area file
//! (`config/area.toml`, approximate: see that file) and checked at start. It answers where
//! a position lies ([`ServiceArea::locate`]: inside an area, within the margin around it,
//! or outside every one), how far the engine looks for a vehicle when no radius is set
//! ([`ServiceArea::reach_m`]), and what the maps draw (outlines, towns, H3 cells). Pure data
//! and geometry.

mod parse;
#[cfg(test)]
mod tests;

use std::sync::OnceLock;

use geo::{Contains, Coord, Point, Polygon};
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, Resolution};

use super::geo::LatLng;
use super::retailer::Town;

/// `config/area.toml`, compiled in: the area when the config directory has none.
pub const BUILTIN_AREA: &str = include_str!("../../config/area.toml");

/// Grid resolutions the maps may ask for: 5 (about 250 km² a cell, a handful over the
/// county) to 8 (about 0.7 km², some 1,700 cells). Finer grids are too many polygons to draw
/// usefully over the whole county.
pub const GRID_RESOLUTIONS: std::ops::RangeInclusive<u8> = 5..=8;

/// Metres in a degree of latitude (and of longitude at the equator), for the local
/// projection the margin is measured in.
const M_PER_DEGREE: f64 = 111_320.0;

/// A town or street district with its (approximate) centre.
#[derive(Clone, Debug, PartialEq)]
pub struct TownPlace {
    /// The township-level code, 9 digits starting with its area's code.
    pub code: String,
    pub name: String,
    pub name_en: String,
    /// The label maps and the board use (`梅川` for `梅川镇`).
    pub short: String,
    pub centre: LatLng,
    /// The registry's town of this name, when it is one of the twelve.
    pub town: Option<Town>,
}

/// One administrative area: its code, names, outline and towns.
#[derive(Clone, Debug)]
pub struct Area {
    code: String,
    name: String,
    name_en: String,
    outline: Polygon<f64>,
    towns: Vec<TownPlace>,
    /// West, south, east, north, in degrees.
    bbox: [f64; 4],
}

impl Area {
    /// The administrative division code (6 digits).
    pub fn code(&self) -> &str {
        &self.code
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn name_en(&self) -> &str {
        &self.name_en
    }

    pub fn towns(&self) -> &[TownPlace] {
        &self.towns
    }

    /// The outline's exterior ring as `[lng, lat]`, closed (first point repeated last).
    pub fn outline(&self) -> Vec<[f64; 2]> {
        self.outline
            .exterior()
            .coords()
            .map(|c| [c.x, c.y])
            .collect()
    }

    /// Whether `p` lies inside the outline.
    pub fn contains(&self, p: LatLng) -> bool {
        self.outline.contains(&Point::new(p.lng(), p.lat()))
    }

    /// The diagonal of the bounding box, metres: no two points of the area are further
    /// apart.
    pub fn diagonal_m(&self) -> f64 {
        let [w, s, e, n] = self.bbox;
        match (LatLng::new(s, w), LatLng::new(n, e)) {
            (Ok(a), Ok(b)) => a.distance_m(b),
            _ => 0.0,
        }
    }

    /// Distance from `p` to the outline, metres, when within `limit_m` of the bounding box
    /// (measured in a local flat projection, accurate over a county's extent); `None` when
    /// further.
    fn distance_m(&self, p: LatLng, limit_m: f64) -> Option<f64> {
        let [w, s, e, n] = self.bbox;
        let lat0 = (s + n) / 2.0;
        let kx = M_PER_DEGREE * lat0.to_radians().cos().max(0.01);
        let ky = M_PER_DEGREE;
        let (dlng, dlat) = (limit_m / kx, limit_m / ky);
        let near_box =
            (s - dlat..=n + dlat).contains(&p.lat()) && (w - dlng..=e + dlng).contains(&p.lng());
        if !near_box {
            return None;
        }
        let project = |c: Coord<f64>| ((c.x - w) * kx, (c.y - lat0) * ky);
        let q = project(Coord {
            x: p.lng(),
            y: p.lat(),
        });
        let ring: Vec<(f64, f64)> = self
            .outline
            .exterior()
            .coords()
            .map(|c| project(*c))
            .collect();
        let d = ring
            .windows(2)
            .map(|seg| segment_distance(q, seg[0], seg[1]))
            .fold(f64::INFINITY, f64::min);
        Some(d)
    }
}

/// Distance from `p` to the segment `a`–`b` in the plane.
fn segment_distance(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2).clamp(0.0, 1.0)
    };
    let (x, y) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - x).powi(2) + (p.1 - y).powi(2)).sqrt()
}

/// Where a position lies.
#[derive(Clone, Copy, Debug)]
pub enum Placement<'a> {
    /// Inside the outline of this area (the first listed, when areas overlap).
    Inside(&'a Area),
    /// Outside every outline, but within the margin of this one (the nearest).
    Margin(&'a Area, f64),
    /// Outside every area and its margin: never dispatched automatically.
    Outside,
}

impl<'a> Placement<'a> {
    /// The area the position counts as part of (inside or within the margin).
    pub fn area(&self) -> Option<&'a Area> {
        match self {
            Placement::Inside(a) | Placement::Margin(a, _) => Some(a),
            Placement::Outside => None,
        }
    }

    pub fn is_outside(&self) -> bool {
        matches!(self, Placement::Outside)
    }
}

/// The areas of the file, checked: codes unique and numeric, outlines of at least three
/// points that do not cross themselves, every town's centre inside its area.
#[derive(Debug)]
pub struct ServiceArea {
    areas: Vec<Area>,
    margin_m: f64,
    /// Where it was read from (a path, or `built-in area.toml`), for messages.
    source: String,
    /// The covering cells per resolution in [`GRID_RESOLUTIONS`], computed once.
    cells: [OnceLock<Vec<CellIndex>>; 4],
}

/// Why the area file is unusable; every message names the file, and the area and field
/// when one is at fault.
#[derive(Debug, thiserror::Error)]
pub enum AreaError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    /// `area` is the code, or `#n (no code)` when the code cannot be read; `field` a path
    /// such as `towns[3].lat`.
    #[error("{file}: area `{area}`, field `{field}`: {message}")]
    Area {
        file: String,
        area: String,
        field: String,
        message: String,
    },
}

impl ServiceArea {
    /// Parses and checks an area file; `file` names it in errors, `margin_m` is the margin
    /// around the outlines (metres, at least 0).
    pub fn from_toml(text: &str, file: &str, margin_m: f64) -> Result<ServiceArea, AreaError> {
        let areas = parse::parse(text, file)?;
        Ok(ServiceArea {
            areas,
            margin_m: margin_m.max(0.0),
            source: file.to_owned(),
            cells: Default::default(),
        })
    }

    /// The built-in area (`config/area.toml`) with a 5 km margin.
    pub fn builtin() -> Result<ServiceArea, AreaError> {
        Self::from_toml(BUILTIN_AREA, "built-in area.toml", 5_000.0)
    }

    pub fn areas(&self) -> &[Area] {
        &self.areas
    }

    pub fn margin_m(&self) -> f64 {
        self.margin_m
    }

    /// Where the area was read from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Every town of every area, in the file's order.
    pub fn towns(&self) -> impl Iterator<Item = &TownPlace> {
        self.areas.iter().flat_map(|a| a.towns.iter())
    }

    /// Where `p` lies: inside an area (the first listed that holds it), within the margin
    /// of the nearest one, or outside.
    pub fn locate(&self, p: LatLng) -> Placement<'_> {
        if let Some(a) = self.areas.iter().find(|a| a.contains(p)) {
            return Placement::Inside(a);
        }
        self.areas
            .iter()
            .filter_map(|a| a.distance_m(p, self.margin_m).map(|d| (a, d)))
            .filter(|(_, d)| *d <= self.margin_m)
            .min_by(|x, y| x.1.total_cmp(&y.1))
            .map_or(Placement::Outside, |(a, d)| Placement::Margin(a, d))
    }

    /// How far from `site` a vehicle may be and still be found when no radius is set: the
    /// bounding diagonal of the area the site counts as part of (of the largest area, for a
    /// site outside every one) plus the margin. A vehicle of the same county is never out
    /// of reach; one on another continent always is.
    pub fn reach_m(&self, site: LatLng) -> f64 {
        let diagonal = match self.locate(site).area() {
            Some(a) => a.diagonal_m(),
            None => self.areas.iter().map(Area::diagonal_m).fold(0.0, f64::max),
        };
        diagonal + self.margin_m
    }

    /// The candidate search radius around `site`, metres: `max_km` when positive (a fixed
    /// radius), else [`Self::reach_m`] (`dispatch.max_offer_km = 0`: as far as the service
    /// area reaches, never the planet).
    pub fn search_radius_m(&self, max_km: f64, site: LatLng) -> f64 {
        if max_km > 0.0 {
            max_km * 1000.0
        } else {
            self.reach_m(site)
        }
    }

    /// The cells of `resolution` that touch any area (full coverage: a cell partly outside
    /// still counts, so the grid has no gaps at the edge), sorted for a stable answer.
    /// `None` for a resolution outside [`GRID_RESOLUTIONS`].
    pub fn cells(&self, resolution: u8) -> Option<&[CellIndex]> {
        if !GRID_RESOLUTIONS.contains(&resolution) {
            return None;
        }
        let slot = self
            .cells
            .get(usize::from(resolution - GRID_RESOLUTIONS.start()))?;
        let res = Resolution::try_from(resolution).ok()?;
        Some(slot.get_or_init(|| {
            let mut tiler = TilerBuilder::new(res)
                .containment_mode(ContainmentMode::Covers)
                .build();
            for a in &self.areas {
                // The outline was checked at load; a tiler refusal leaves that area bare.
                let _ = tiler.add(a.outline.clone());
            }
            let mut cells: Vec<CellIndex> = tiler.into_coverage().collect();
            cells.sort_unstable();
            cells.dedup();
            cells
        }))
    }
}

/// A cell's boundary as a closed `[lng, lat]` ring (GeoJSON order).
pub fn cell_ring(cell: CellIndex) -> Vec<[f64; 2]> {
    let boundary = cell.boundary();
    let mut ring: Vec<[f64; 2]> = boundary.iter().map(|ll| [ll.lng(), ll.lat()]).collect();
    if let Some(first) = ring.first().copied() {
        ring.push(first);
    }
    ring
}
