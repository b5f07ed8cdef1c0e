//! The service area as the maps draw it: the county outline, its towns with their centres,
//! and the H3 cells that cover it. Pure data and geometry; the data is
//! `config/area.toml` (approximate: see that file), built into the binary so the pages work
//! from any directory.

use geo::{Contains, Coord, LineString, Point, Polygon};
use h3o::geom::{ContainmentMode, TilerBuilder};
use h3o::{CellIndex, Resolution};
use serde::Deserialize;

use super::geo::LatLng;
use super::retailer::Town;

/// `config/area.toml`, compiled in.
pub const BUILTIN_AREA: &str = include_str!("../../config/area.toml");

/// Grid resolutions the maps may ask for: 5 (about 250 km² a cell, a handful over the
/// county) to 8 (about 0.7 km², some 1,700 cells). Finer grids are too many polygons to draw
/// usefully over the whole county.
pub const GRID_RESOLUTIONS: std::ops::RangeInclusive<u8> = 5..=8;

#[derive(Debug, Deserialize)]
struct RawArea {
    county: RawCounty,
    towns: Vec<RawTown>,
}

#[derive(Debug, Deserialize)]
struct RawCounty {
    name: String,
    name_en: String,
    outline: Vec<[f64; 2]>,
}

#[derive(Debug, Deserialize)]
struct RawTown {
    name: String,
    name_en: String,
    lat: f64,
    lng: f64,
}

/// A town or street district with its (approximate) centre.
#[derive(Clone, Debug, PartialEq)]
pub struct TownPlace {
    pub town: Town,
    pub name_en: String,
    pub centre: LatLng,
}

/// The county and its towns, validated: a closed, simple-enough outline of at least three
/// points, every town one of the 12 exactly once, every centre inside the outline.
#[derive(Clone, Debug)]
pub struct ServiceArea {
    name: String,
    name_en: String,
    outline: Polygon<f64>,
    towns: Vec<TownPlace>,
}

/// Why the area file is unusable.
#[derive(Debug, thiserror::Error)]
pub enum AreaError {
    #[error("area file: {0}")]
    Parse(String),
    #[error("area file: {0}")]
    Invalid(String),
}

impl ServiceArea {
    /// Parses and checks an area file.
    pub fn from_toml(text: &str) -> Result<ServiceArea, AreaError> {
        let raw: RawArea = toml::from_str(text).map_err(|e| AreaError::Parse(e.to_string()))?;
        if raw.county.outline.len() < 3 {
            return Err(AreaError::Invalid(
                "the county outline needs at least three points".into(),
            ));
        }
        for [lng, lat] in &raw.county.outline {
            LatLng::new(*lat, *lng).map_err(|e| AreaError::Invalid(format!("outline: {e}")))?;
        }
        let ring: Vec<Coord<f64>> = raw
            .county
            .outline
            .iter()
            .map(|[x, y]| Coord { x: *x, y: *y })
            .collect();
        let outline = Polygon::new(LineString::new(ring), Vec::new());
        let mut towns = Vec::with_capacity(raw.towns.len());
        for t in raw.towns {
            let town: Town = t.name.parse().map_err(AreaError::Invalid)?;
            if towns.iter().any(|p: &TownPlace| p.town == town) {
                return Err(AreaError::Invalid(format!("town `{town}` is listed twice")));
            }
            let centre = LatLng::new(t.lat, t.lng)
                .map_err(|e| AreaError::Invalid(format!("town `{town}`: {e}")))?;
            if !outline.contains(&Point::new(t.lng, t.lat)) {
                return Err(AreaError::Invalid(format!(
                    "town `{town}`'s centre lies outside the county outline"
                )));
            }
            towns.push(TownPlace {
                town,
                name_en: t.name_en,
                centre,
            });
        }
        if let Some(missing) = Town::ALL
            .iter()
            .find(|t| !towns.iter().any(|p| p.town == **t))
        {
            return Err(AreaError::Invalid(format!("town `{missing}` is missing")));
        }
        Ok(ServiceArea {
            name: raw.county.name,
            name_en: raw.county.name_en,
            outline,
            towns,
        })
    }

    /// The built-in area (`config/area.toml`).
    pub fn builtin() -> Result<ServiceArea, AreaError> {
        Self::from_toml(BUILTIN_AREA)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn name_en(&self) -> &str {
        &self.name_en
    }

    /// The outline's exterior ring as `[lng, lat]`, closed (first point repeated last).
    pub fn outline(&self) -> Vec<[f64; 2]> {
        self.outline
            .exterior()
            .coords()
            .map(|c| [c.x, c.y])
            .collect()
    }

    pub fn towns(&self) -> &[TownPlace] {
        &self.towns
    }

    /// Whether a position lies inside the county outline.
    pub fn contains(&self, p: LatLng) -> bool {
        self.outline.contains(&Point::new(p.lng(), p.lat()))
    }

    /// The cells of `resolution` that touch the county (full coverage: a cell partly
    /// outside still counts, so the grid has no gaps at the edge), sorted for a stable
    /// answer. `None` for a resolution outside [`GRID_RESOLUTIONS`].
    pub fn cells(&self, resolution: u8) -> Option<Vec<CellIndex>> {
        if !GRID_RESOLUTIONS.contains(&resolution) {
            return None;
        }
        let res = Resolution::try_from(resolution).ok()?;
        let mut tiler = TilerBuilder::new(res)
            .containment_mode(ContainmentMode::Covers)
            .build();
        tiler.add(self.outline.clone()).ok()?;
        let mut cells: Vec<CellIndex> = tiler.into_coverage().collect();
        cells.sort_unstable();
        cells.dedup();
        Some(cells)
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;

    #[test]
    fn builtin_area_is_valid_and_holds_every_town() {
        let area = ServiceArea::builtin().unwrap();
        assert_eq!(area.towns().len(), 12);
        assert_eq!(area.name(), "武穴市");
        let ring = area.outline();
        assert_eq!(ring.first(), ring.last(), "closed ring");
    }

    #[test]
    fn town_centres_match_the_demo_data() {
        let area = ServiceArea::builtin().unwrap();
        for (name, lat, lng) in crate::demo::TOWNS {
            let place = area.towns().iter().find(|p| p.town.name() == name).unwrap();
            assert_eq!(
                (place.centre.lat(), place.centre.lng()),
                (lat, lng),
                "{name}"
            );
        }
    }

    #[test]
    fn the_grid_covers_every_town_and_no_far_cell() {
        let area = ServiceArea::builtin().unwrap();
        let cells = area.cells(7).unwrap();
        // Wuxue is about 1,250 km², a res-7 cell about 5.2 km²: a few hundred cells.
        assert!((150..600).contains(&cells.len()), "{} cells", cells.len());
        for place in area.towns() {
            let c = h3o::LatLng::new(place.centre.lat(), place.centre.lng())
                .unwrap()
                .to_cell(Resolution::Seven);
            assert!(cells.binary_search(&c).is_ok(), "{}", place.town);
        }
        for cell in &cells {
            let centre = h3o::LatLng::from(*cell);
            assert!((115.30..115.90).contains(&centre.lng()));
            assert!((29.75..30.30).contains(&centre.lat()));
        }
        let ring = cell_ring(cells[0]);
        assert_eq!(ring.len(), 7, "six corners, closed");
    }

    #[test]
    fn resolutions_outside_the_range_are_refused() {
        let area = ServiceArea::builtin().unwrap();
        assert!(area.cells(4).is_none());
        assert!(area.cells(9).is_none());
        assert!(area.cells(5).is_some_and(|c| !c.is_empty()));
    }

    #[test]
    fn bad_files_are_refused_with_a_reason() {
        let missing_town = BUILTIN_AREA.replace("name = \"龙坪镇\"", "name = \"武穴街道\"");
        let e = ServiceArea::from_toml(&missing_town).unwrap_err();
        assert!(e.to_string().contains("twice"), "{e}");
        let outside = BUILTIN_AREA.replace("lat = 30.150", "lat = 31.5");
        let e = ServiceArea::from_toml(&outside).unwrap_err();
        assert!(e.to_string().contains("outside"), "{e}");
        assert!(ServiceArea::from_toml("county = 1").is_err());
    }
}
