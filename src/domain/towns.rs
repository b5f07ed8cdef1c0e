//! The 12 towns and street districts of Wuxue (武穴市, code 421182) with approximate centre
//! positions. No free data set gives town coordinates: the centres are rough, synthetic
//! approximations, good enough to label a map and to name the town of a site on the
//! public board, never to navigate by.

use super::geo::LatLng;

/// Name and approximate (synthetic) centre of each town.
pub const TOWNS: [(&str, f64, f64); 12] = [
    ("武穴街道", 29.844, 115.561),
    ("刊江街道", 29.872, 115.500),
    ("田镇街道", 29.905, 115.405),
    ("万丈湖街道", 29.880, 115.625),
    ("梅川镇", 30.020, 115.585),
    ("余川镇", 30.065, 115.640),
    ("花桥镇", 30.110, 115.700),
    ("大金镇", 30.150, 115.780),
    ("石佛寺镇", 29.955, 115.670),
    ("四望镇", 30.000, 115.470),
    ("大法寺镇", 30.125, 115.520),
    ("龙坪镇", 29.860, 115.735),
];

/// The town whose centre is nearest to `p`.
pub fn nearest(p: LatLng) -> &'static str {
    TOWNS
        .iter()
        .map(|(name, lat, lng)| {
            let centre = LatLng::new(*lat, *lng).map_or(f64::INFINITY, |c| c.distance_m(p));
            (*name, centre)
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map_or(TOWNS[0].0, |(name, _)| name)
}

/// The first town named in `text` (an address as the citizen said it), if any.
pub fn named_in(text: &str) -> Option<&'static str> {
    TOWNS
        .iter()
        .filter_map(|(name, _, _)| text.find(name).map(|at| (at, *name)))
        .min_by_key(|(at, _)| *at)
        .map(|(_, name)| name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_at_a_centre_is_in_that_town() {
        for (name, lat, lng) in TOWNS {
            let p = LatLng::new(lat, lng).expect("valid");
            assert_eq!(nearest(p), name);
        }
    }

    #[test]
    fn the_first_town_named_wins() {
        assert_eq!(named_in("梅川镇正街18号，靠近余川镇路口"), Some("梅川镇"));
        assert_eq!(named_in("城东菜市场"), None);
    }
}
