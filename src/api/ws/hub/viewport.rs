//! A console's view: the part of the map it shows and, optionally, the squads, departments
//! and vehicle statuses it filters on. Moves of vehicles outside it are not sent to that
//! console, but the move that takes a vehicle out is (the console drops it), and a new
//! view brings every vehicle in it at its current place; status changes go to every
//! console (the unit status board lists every vehicle). A console without a view gets
//! every move.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::RwLock;
use serde::Deserialize;

use super::super::frames::{Move, VehicleLive};
use crate::bus::VehicleMoved;
use crate::domain::catalog::Department;
use crate::domain::fleet::VehicleStatus;
use crate::domain::geo::LatLng;
use crate::domain::ids::VehicleId;

/// Most squads a view may name (and departments and statuses are few).
const MAX_TEAMS: usize = 200;
const MAX_LISTED: usize = 16;

/// A console's `viewport` frame: `bbox` is `[min_lng, min_lat, max_lng, max_lat]`; every
/// list left out or empty means "any".
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewportFrame {
    pub bbox: Option<[f64; 4]>,
    #[serde(default)]
    pub teams: Vec<String>,
    #[serde(default)]
    pub departments: Vec<Department>,
    #[serde(default)]
    pub statuses: Vec<VehicleStatus>,
}

/// The checked view.
#[derive(Clone, Debug, PartialEq)]
pub struct Viewport {
    /// South-west and north-east corners.
    bbox: Option<(LatLng, LatLng)>,
    teams: Vec<String>,
    departments: Vec<Department>,
    statuses: Vec<VehicleStatus>,
}

/// The view a console session set, shared with the hub (which reads it when it sends
/// moves); `None` shows everything.
#[derive(Default)]
pub struct ViewState {
    view: RwLock<Option<Viewport>>,
    /// Set by the session, taken by the hub: send the new view's vehicles.
    changed: AtomicBool,
}

pub type SharedView = Arc<ViewState>;

impl ViewState {
    /// The session's new view (`None`: everything).
    pub fn set(&self, view: Option<Viewport>) {
        *self.view.write() = view;
        self.changed.store(true, Ordering::Release);
    }
}

/// A console's view as the hub holds it: the view, and the vehicles it last sent inside.
pub struct ConsoleView {
    state: SharedView,
    shown: HashSet<VehicleId>,
}

impl ConsoleView {
    pub fn new(state: SharedView) -> Self {
        Self {
            state,
            shown: HashSet::new(),
        }
    }

    /// The moves for this console of a tick's `moved`: `None` when it has no view (every
    /// move goes). With a view: the moves inside it and those leaving it. After a new view:
    /// every vehicle in it at its current place (from `vehicles`), and those it no longer
    /// shows.
    pub fn moves(
        &mut self,
        moved: &HashMap<VehicleId, Arc<VehicleMoved>>,
        vehicles: &HashMap<VehicleId, VehicleLive>,
    ) -> Option<Vec<Move>> {
        let changed = self.state.changed.swap(false, Ordering::AcqRel);
        let view = self.state.view.read();
        if changed {
            let inside: HashSet<VehicleId> = vehicles
                .iter()
                .filter(|(_, v)| {
                    position(v).is_some_and(|p| view.as_ref().is_none_or(|w| w.shows(p, Some(v))))
                })
                .map(|(id, _)| id.clone())
                .collect();
            let moves = vehicles
                .iter()
                .filter(|(id, _)| inside.contains(*id) || self.shown.contains(*id))
                .filter_map(|(_, v)| move_of(v))
                .collect();
            self.shown = if view.is_some() {
                inside
            } else {
                HashSet::new()
            };
            return Some(moves);
        }
        let view = view.as_ref()?;
        let mut moves = Vec::new();
        for m in moved.values() {
            let inside = view.shows(m.position, vehicles.get(&m.vehicle_id));
            let was = if inside {
                !self.shown.insert(m.vehicle_id.clone())
            } else {
                self.shown.remove(&m.vehicle_id)
            };
            if inside || was {
                moves.push(Move::from(m.as_ref()));
            }
        }
        Some(moves)
    }
}

fn position(v: &VehicleLive) -> Option<LatLng> {
    v.position.and_then(|p| LatLng::new(p.lat, p.lng).ok())
}

/// A vehicle's current place as a move (none before its first fix).
fn move_of(v: &VehicleLive) -> Option<Move> {
    Some(Move {
        vehicle_id: v.vehicle_id.clone(),
        position: v.position?,
        at: v.at?,
        speed_kmh: v.speed_kmh,
        heading: v.heading,
        ticket_id: v.ticket_id.clone(),
        distance_to_site_m: v.distance_to_site_m,
    })
}

impl TryFrom<ViewportFrame> for Option<Viewport> {
    type Error = String;

    /// An empty frame clears the view.
    fn try_from(f: ViewportFrame) -> Result<Self, String> {
        if f.teams.len() > MAX_TEAMS {
            return Err(format!("at most {MAX_TEAMS} teams"));
        }
        if f.departments.len() > MAX_LISTED || f.statuses.len() > MAX_LISTED {
            return Err(format!("at most {MAX_LISTED} departments and statuses"));
        }
        let bbox = match f.bbox {
            None => None,
            Some([min_lng, min_lat, max_lng, max_lat]) => {
                let sw = LatLng::new(min_lat, min_lng).map_err(|e| format!("bbox: {e}"))?;
                let ne = LatLng::new(max_lat, max_lng).map_err(|e| format!("bbox: {e}"))?;
                if min_lat > max_lat || min_lng > max_lng {
                    return Err("bbox is [min_lng, min_lat, max_lng, max_lat]".into());
                }
                Some((sw, ne))
            }
        };
        if bbox.is_none() && f.teams.is_empty() && f.departments.is_empty() && f.statuses.is_empty()
        {
            return Ok(None);
        }
        Ok(Some(Viewport {
            bbox,
            teams: f.teams,
            departments: f.departments,
            statuses: f.statuses,
        }))
    }
}

impl Viewport {
    /// Whether a move of `vehicle` to `at` is shown.
    pub fn shows(&self, at: LatLng, vehicle: Option<&VehicleLive>) -> bool {
        let inside = self.bbox.is_none_or(|(sw, ne)| {
            (sw.lat()..=ne.lat()).contains(&at.lat()) && (sw.lng()..=ne.lng()).contains(&at.lng())
        });
        let any_or = |wanted: bool, empty: bool| empty || wanted;
        inside
            && any_or(
                vehicle.is_some_and(|v| v.team_id.as_ref().is_some_and(|t| self.teams.contains(t))),
                self.teams.is_empty(),
            )
            && any_or(
                vehicle
                    .is_some_and(|v| v.department.is_some_and(|d| self.departments.contains(&d))),
                self.departments.is_empty(),
            )
            && any_or(
                vehicle.is_some_and(|v| self.statuses.contains(&v.status)),
                self.statuses.is_empty(),
            )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(frame: ViewportFrame) -> Option<Viewport> {
        Option::<Viewport>::try_from(frame).expect("a valid view")
    }

    #[test]
    fn a_box_shows_what_is_inside_it_and_an_empty_frame_shows_everything() {
        let v = view(ViewportFrame {
            bbox: Some([115.5, 30.0, 115.6, 30.1]),
            ..Default::default()
        })
        .expect("a view");
        let inside = LatLng::new(30.05, 115.55).expect("position");
        let outside = LatLng::new(30.05, 115.65).expect("position");
        assert!(v.shows(inside, None));
        assert!(!v.shows(outside, None));
        assert_eq!(view(ViewportFrame::default()), None);
    }

    #[test]
    fn a_bad_box_is_refused() {
        for bbox in [
            [115.6, 30.0, 115.5, 30.1],
            [115.5, 95.0, 115.6, 30.1],
            [f64::NAN, 30.0, 115.6, 30.1],
        ] {
            let frame = ViewportFrame {
                bbox: Some(bbox),
                ..Default::default()
            };
            assert!(Option::<Viewport>::try_from(frame).is_err(), "{bbox:?}");
        }
    }
}
