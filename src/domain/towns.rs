//! The towns of the built-in area file (`config/area.toml`, compiled in): the one table of
//! Wuxue's towns and street districts with their approximate (synthetic) centres, good
//! enough to label a map and to name the town of a site on the public board, never to
//! navigate by. The demo data and the load tester read the same file.

use std::sync::LazyLock;

use super::area::{ServiceArea, TownPlace};
use super::geo::LatLng;

/// Read once. The area's tests check the built-in file parses, so this is never empty.
static BUILTIN: LazyLock<Vec<TownPlace>> = LazyLock::new(|| {
    ServiceArea::builtin()
        .map(|area| area.towns().cloned().collect())
        .unwrap_or_default()
});

/// The towns of the built-in area, in the file's order.
pub fn builtin() -> &'static [TownPlace] {
    &BUILTIN
}

/// The town whose centre is nearest to `p`.
pub fn nearest(p: LatLng) -> Option<&'static str> {
    builtin()
        .iter()
        .map(|t| (t.name.as_str(), t.centre.distance_m(p)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(name, _)| name)
}

/// The first town named in `text` (an address as the citizen said it), if any.
pub fn named_in(text: &str) -> Option<&'static str> {
    builtin()
        .iter()
        .filter_map(|t| text.find(t.name.as_str()).map(|at| (at, t.name.as_str())))
        .min_by_key(|(at, _)| *at)
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_towns_are_the_area_files_twelve() {
        let names: Vec<&str> = builtin().iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names.len(), 12);
        assert_eq!(names.first(), Some(&"武穴街道"));
        assert_eq!(names.last(), Some(&"龙坪镇"));
    }

    #[test]
    fn a_point_at_a_centre_is_in_that_town() {
        for t in builtin() {
            assert_eq!(nearest(t.centre), Some(t.name.as_str()));
        }
    }

    #[test]
    fn the_first_town_named_wins() {
        assert_eq!(named_in("梅川镇正街18号，靠近余川镇路口"), Some("梅川镇"));
        assert_eq!(named_in("城东菜市场"), None);
    }
}
