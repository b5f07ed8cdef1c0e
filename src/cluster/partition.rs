//! Partitions: the work is split by place, one partition per town of the service area
//! (its 9-digit code), plus [`UNPLACED`] for tickets whose position is unknown or outside
//! every area. A ticket stays in the partition it was filed in (recorded in every node's
//! store), so its log holds its whole history.

use crate::domain::area::ServiceArea;
use crate::domain::ticket::Location;

/// The partition of tickets with no place in the service area.
pub const UNPLACED: &str = "unplaced";

/// Every partition of `area`: its towns, then [`UNPLACED`].
pub fn all(area: &ServiceArea) -> Vec<String> {
    area.towns()
        .map(|t| t.code.clone())
        .chain([UNPLACED.to_owned()])
        .collect()
}

/// The partition of a ticket at `location`: the town of its area whose centre is nearest.
pub fn of(area: &ServiceArea, location: &Location) -> String {
    let Some(position) = location.position else {
        return UNPLACED.to_owned();
    };
    let Some(placed) = area.locate(position).area() else {
        return UNPLACED.to_owned();
    };
    placed
        .towns()
        .iter()
        .min_by(|x, y| {
            position
                .distance_m(x.centre)
                .total_cmp(&position.distance_m(y.centre))
        })
        .map_or_else(|| UNPLACED.to_owned(), |t| t.code.clone())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::domain::geo::LatLng;

    #[test]
    fn a_placed_ticket_goes_to_its_nearest_town_and_the_rest_to_unplaced() {
        let area = ServiceArea::builtin().unwrap();
        let towns: Vec<_> = area.towns().cloned().collect();
        assert!(towns.len() >= 2);
        let parts = all(&area);
        assert_eq!(parts.len(), towns.len() + 1);
        for town in &towns {
            let mut at = Location {
                position: Some(town.centre),
                ..Location::default()
            };
            at.place(&area);
            assert_eq!(of(&area, &at), town.code, "{}", town.name);
        }
        assert_eq!(of(&area, &Location::default()), UNPLACED);
        let mut far = Location {
            position: Some(LatLng::new(45.0, 80.0).unwrap()),
            ..Location::default()
        };
        far.place(&area);
        assert_eq!(of(&area, &far), UNPLACED);
    }
}
