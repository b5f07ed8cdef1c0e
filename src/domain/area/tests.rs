#![allow(clippy::unwrap_used, reason = "tests")]

use super::*;

fn at(lat: f64, lng: f64) -> LatLng {
    LatLng::new(lat, lng).unwrap()
}

/// A second county (Huangmei, 421127) east of Wuxue: a rough square, one town.
const SECOND: &str = r#"
[[area]]
code = "421127"
name = "黄梅县"
name_en = "Huangmei"
outline = [[115.85, 29.85], [116.10, 29.85], [116.10, 30.10], [115.85, 30.10], [115.85, 29.85]]

[[area.towns]]
code = "421127100"
name = "黄梅镇"
name_en = "Huangmei Town"
lat = 30.07
lng = 115.94
"#;

fn err(text: &str) -> String {
    ServiceArea::from_toml(text, "test-area.toml", 5_000.0)
        .unwrap_err()
        .to_string()
}

#[test]
fn builtin_area_is_wuxue_with_its_codes_and_twelve_towns() {
    let area = ServiceArea::builtin().unwrap();
    assert_eq!(area.areas().len(), 1);
    let wuxue = &area.areas()[0];
    assert_eq!(wuxue.code(), "421182");
    assert_eq!(wuxue.name(), "武穴市");
    assert_eq!(wuxue.towns().len(), 12);
    for t in wuxue.towns() {
        assert_eq!(t.code.len(), 9, "{}", t.name);
        assert!(t.code.starts_with("421182"), "{}", t.name);
        assert!(t.town.is_some(), "{} is a registry town", t.name);
    }
    for town in Town::ALL {
        assert!(
            wuxue.towns().iter().any(|t| t.town == Some(town)),
            "{town} is in the file"
        );
    }
    let ring = wuxue.outline();
    assert_eq!(ring.first(), ring.last(), "closed ring");
}

#[test]
fn positions_are_inside_within_the_margin_or_outside() {
    let area = ServiceArea::builtin().unwrap();
    // 梅川镇 is inside Wuxue.
    let p = area.locate(at(30.02, 115.585));
    assert!(matches!(p, Placement::Inside(a) if a.code() == "421182"));
    // About 2 km west of the western edge (115.370 E at 29.905 N): within 5 km.
    let p = area.locate(at(29.905, 115.35));
    match p {
        Placement::Margin(a, d) => {
            assert_eq!(a.code(), "421182");
            assert!((1_000.0..3_000.0).contains(&d), "{d} m");
        }
        other => panic!("expected the margin, got {other:?}"),
    }
    // About 20 km west: outside. (0, 0) and the antipode: outside.
    for p in [at(29.905, 115.16), at(0.0, 0.0), at(-29.9, -64.4)] {
        assert!(area.locate(p).is_outside(), "{p:?}");
        assert!(area.locate(p).area().is_none());
    }
    // No margin: the point 2 km out is outside.
    let tight = ServiceArea::from_toml(BUILTIN_AREA, "area.toml", 0.0).unwrap();
    assert!(tight.locate(at(29.905, 115.35)).is_outside());
}

#[test]
fn the_reach_is_the_areas_diagonal_plus_the_margin() {
    let area = ServiceArea::builtin().unwrap();
    let reach = area.reach_m(at(30.02, 115.585));
    // Wuxue's box is about 44 km by 44 km: a diagonal near 62 km, plus 5 km.
    assert!((55_000.0..75_000.0).contains(&reach), "{reach}");
    // Every two points of the county are within reach of each other.
    let ring = area.areas()[0].outline();
    for a in &ring {
        for b in &ring {
            assert!(at(a[1], a[0]).distance_m(at(b[1], b[0])) <= reach);
        }
    }
    // From outside: the largest area's, never the planet.
    assert!((area.reach_m(at(0.0, 0.0)) - reach).abs() < 1.0);
}

#[test]
fn several_areas_each_place_their_own_positions() {
    let text = format!("{BUILTIN_AREA}\n{SECOND}");
    let area = ServiceArea::from_toml(&text, "two.toml", 5_000.0).unwrap();
    assert_eq!(area.areas().len(), 2);
    assert_eq!(area.towns().count(), 13);
    let p = area.locate(at(30.07, 115.94));
    assert_eq!(p.area().map(Area::code), Some("421127"));
    let p = area.locate(at(30.02, 115.585));
    assert_eq!(p.area().map(Area::code), Some("421182"));
    let t = area.towns().find(|t| t.code == "421127100").unwrap();
    assert_eq!(t.short, "黄梅镇", "not a registry town: its own name");
    assert!(t.town.is_none());
    let cells = area.cells(6).unwrap().len();
    let wuxue_only = ServiceArea::builtin().unwrap().cells(6).unwrap().len();
    assert!(cells > wuxue_only, "{cells} vs {wuxue_only}");
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
        assert!(cells.binary_search(&c).is_ok(), "{}", place.name);
    }
    for cell in cells {
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
fn errors_name_the_file_the_area_and_the_field() {
    let cases: Vec<(String, &str, &str, &str)> = vec![
        // (file text, area, field, words in the message)
        (
            BUILTIN_AREA.replace("code = \"421182\"", "code = \"42118X\""),
            "42118X",
            "code",
            "6 digits",
        ),
        (
            BUILTIN_AREA.replace("code = \"421182\"", "code = 421182"),
            "#1 (no code)",
            "code",
            "as a string",
        ),
        (
            BUILTIN_AREA.replace("code = \"421182105\"", "code = \"421182101\""),
            "421182",
            "towns[8].code",
            "another town",
        ),
        (
            BUILTIN_AREA.replace("code = \"421182108\"", "code = \"421127108\""),
            "421182",
            "towns[11].code",
            "does not start with",
        ),
        (
            BUILTIN_AREA.replace("name = \"龙坪镇\"", "name = \"武穴街道\""),
            "421182",
            "towns[11].name",
            "another town",
        ),
        (
            BUILTIN_AREA.replace("lat = 30.150", "lat = 31.5"),
            "421182",
            "towns[7].lat",
            "outside its area",
        ),
        (
            BUILTIN_AREA.replace("lat = 30.150", "lat = \"30.15\""),
            "421182",
            "towns[7].lat",
            "must be a number",
        ),
        (
            BUILTIN_AREA.replace("name_en = \"Dajin\"", "name_eng = \"Dajin\""),
            "421182",
            "towns[7].name_eng",
            "unknown field",
        ),
        (
            BUILTIN_AREA.replace("name_en = \"Wuxue\"\n", ""),
            "421182",
            "name_en",
            "missing",
        ),
        (
            format!(
                "{}\n]\n",
                &BUILTIN_AREA[..BUILTIN_AREA.find("  [115.370").unwrap()]
                    .replace("outline = [", "outline = [[115.3, 29.9], [115.4, 29.9]")
            ),
            "421182",
            "outline",
            "three distinct points",
        ),
        (
            BUILTIN_AREA.replace("[115.395, 29.885]", "[115.395, 29.885, 3]"),
            "421182",
            "outline[1]",
            "[lng, lat] pair",
        ),
        (
            BUILTIN_AREA.replace("[115.395, 29.885]", "[195.395, 29.885]"),
            "421182",
            "outline[1]",
            "longitude",
        ),
        (
            // Two points swapped: the ring crosses itself (a bow tie at the start).
            BUILTIN_AREA.replace(
                "[115.395, 29.885], [115.425, 29.872]",
                "[115.425, 29.872], [115.395, 29.885]",
            ),
            "421182",
            "outline",
            "crosses itself",
        ),
        (
            format!("{BUILTIN_AREA}\n{}", SECOND.replace("421127", "421182")),
            "421182",
            "code",
            "another area",
        ),
        (
            format!("{BUILTIN_AREA}\n{}", SECOND.replace("黄梅镇", "梅川镇")),
            "421127",
            "towns[0].name",
            "another area",
        ),
    ];
    for (text, area, field, words) in cases {
        let e = err(&text);
        assert!(e.starts_with("test-area.toml: "), "{e}");
        assert!(e.contains(&format!("area `{area}`")), "{area}: {e}");
        assert!(e.contains(&format!("field `{field}`")), "{field}: {e}");
        assert!(e.contains(words), "{words}: {e}");
    }
}

#[test]
fn whole_file_errors_name_the_file() {
    for (text, words) in [
        ("", "at least one area"),
        ("[county]\nname = \"武穴市\"\n", "unknown key `county`"),
        ("area = 1", "list of [[area]]"),
        ("[[area]\n", "test-area.toml"),
    ] {
        let e = err(text);
        assert!(e.starts_with("test-area.toml: "), "{e}");
        assert!(e.contains(words), "{words}: {e}");
    }
}
