//! Approximate places against the shipped area file and the synthetic demo registry.
#![allow(clippy::unwrap_used, reason = "tests")]

use super::*;
use crate::domain::retailer::csv;

fn area() -> ServiceArea {
    ServiceArea::builtin().unwrap()
}

fn registry() -> SearchIndex {
    let rows = csv::parse(include_bytes!("../../config/demo/retailers.csv")).unwrap();
    SearchIndex::build(rows)
}

fn centre(area: &ServiceArea, town: &str) -> LatLng {
    area.towns().find(|t| t.name == town).unwrap().centre
}

#[test]
fn a_named_town_places_the_ticket_at_its_centre() {
    let (area, reg) = (area(), registry());
    let g = approximate("梅川镇菜市场旁边那家烟酒店卖假烟", &area, &reg).unwrap();
    assert_eq!(g.precision, Precision::Town);
    assert_eq!(g.place, "梅川镇");
    assert_eq!(g.position, centre(&area, "梅川镇"));
    // The short name people say, and a traditional form, name it too.
    let g = approximate("梅川那邊有家店賣假煙", &area, &reg).unwrap();
    assert_eq!((g.precision, g.place.as_str()), (Precision::Town, "梅川镇"));
}

#[test]
fn the_city_is_not_its_central_district() {
    let (area, reg) = (area(), registry());
    // 武穴市 is the county-level city, not 武穴街道: the town named after it counts.
    let g = approximate("武穴市余川镇有人卖假烟", &area, &reg).unwrap();
    assert_eq!(g.place, "余川镇");
    assert_eq!(approximate("武穴市有人卖假烟", &area, &reg), None);
    assert_eq!(approximate("有人卖假烟", &area, &reg), None);
}

#[test]
fn a_street_the_registry_knows_gives_the_centroid_of_its_shops() {
    let (area, reg) = (area(), registry());
    let g = approximate("梅川镇广济路上那家烟酒店卖假烟", &area, &reg).unwrap();
    assert_eq!(g.precision, Precision::Street);
    assert_eq!(g.place, "梅川镇广济路");
    let on_street: Vec<LatLng> = reg
        .retailers()
        .iter()
        .filter(|r| r.address().starts_with("梅川镇广济路"))
        .map(|r| r.position())
        .collect();
    let n = on_street.len() as f64;
    let lat = on_street.iter().map(|p| p.lat()).sum::<f64>() / n;
    let lng = on_street.iter().map(|p| p.lng()).sum::<f64>() / n;
    assert!((g.position.lat() - lat).abs() < 1e-9 && (g.position.lng() - lng).abs() < 1e-9);
    // A village, even without its town: only one town has it.
    let g = approximate("南冲村有个小卖部卖假烟", &area, &reg).unwrap();
    assert_eq!(
        (g.precision, g.place.as_str()),
        (Precision::Street, "梅川镇南冲村")
    );
    // A street of another town is not this town's: the town's centre stands.
    let g = approximate("龙坪镇广济路", &area, &reg).unwrap();
    assert_eq!(g.precision, Precision::Town);
}

#[test]
fn intake_records_how_exactly_the_position_is_known() {
    let (area, reg) = (area(), registry());
    let shop = &reg.retailers()[0];
    let mut at_shop = Location {
        position: Some(shop.position()),
        retailer_licence: Some(shop.licence().as_str().to_owned()),
        ..Location::default()
    };
    at_shop.place_at_intake("", &area, &reg);
    assert_eq!(at_shop.precision, Some(Precision::Shop));
    assert!(!at_shop.is_approximate());

    let mut given = Location {
        position: Some(LatLng::new(30.0, 115.6).unwrap()),
        ..Location::default()
    };
    // Coordinates sent win over a town named in the text.
    given.place_at_intake("梅川镇", &area, &reg);
    assert_eq!(given.precision, Some(Precision::Given));
    assert_eq!(given.position, LatLng::new(30.0, 115.6).ok());

    let mut vague = Location::default();
    vague.place_at_intake("梅川镇菜市场旁边", &area, &reg);
    assert_eq!(vague.precision, Some(Precision::Town));
    assert_eq!(vague.approximate_place.as_deref(), Some("梅川镇"));
    assert!(vague.is_approximate());

    // A triage that changes neither the position nor the shop leaves it approximate; one
    // that confirms a shop or sets the position makes it exact.
    let mut t = vague.clone();
    t.set_by_triage(false, false);
    assert!(t.is_approximate());
    t.set_by_triage(false, true);
    assert_eq!(t.precision, Some(Precision::Shop));
    assert_eq!(t.approximate_place, None);
    let mut t = vague;
    t.set_by_triage(true, false);
    assert_eq!(t.precision, Some(Precision::Given));
    assert!(!t.is_approximate());

    // Nothing named, nothing placed; an old ticket's location counts as exact.
    let mut none = Location::default();
    none.place_at_intake("有人卖假烟", &area, &reg);
    assert_eq!((none.position, none.precision), (None, None));
    let old = Location {
        position: Some(LatLng::new(30.0, 115.6).unwrap()),
        ..Location::default()
    };
    assert!(!old.is_approximate());
}
