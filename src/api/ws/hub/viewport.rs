//! A console's view: the part of the map it shows and, optionally, the squads, departments
//! and vehicle statuses it filters on. Moves of vehicles outside it are not sent to that
//! console, but the move that takes a vehicle out is (the console drops it), and a new
//! view brings every vehicle in it at its current place; status changes go to every
//! console (the unit status board lists every vehicle). A console without a view gets
//! every move.
//!
//! Zoomed out (a view whose `zoom` is below [`ZOOMED_OUT_BELOW`]) a console sees the
//! vehicles that are off duty or known only through a GPS gateway as counts per H3 cell
//! (`vehicle.cells`), not one by one: a province's gateway fleet would otherwise be tens of
//! thousands of markers nobody can read at that scale. Vehicles on a ticket (or offered,
//! en route, on site) and available vehicles with an app connected still move one by one.

use std::collections::{BTreeMap, HashMap, HashSet};
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

/// A view whose map zoom level (web-map levels: 8 shows the whole county, 18 a street) is
/// below this is zoomed out: off-duty and gateway-only vehicles come as cell counts.
pub const ZOOMED_OUT_BELOW: f64 = 12.0;
/// The H3 resolution of the counts: the console's grid (`GET /api/v1/map/grid?res=7`).
pub const CELL_RESOLUTION: h3o::Resolution = h3o::Resolution::Seven;

/// How a vehicle is counted instead of moved when zoomed out.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted {
    /// Off duty or out of service, on no ticket.
    OffDuty,
    /// Available or returning on no ticket with no vehicle app connected: its fixes come
    /// from a GPS gateway.
    Gateway,
}

/// Whether a vehicle is counted when zoomed out (`app`: its vehicle app is connected).
pub fn counted(v: &VehicleLive, app: bool) -> Option<Counted> {
    if v.ticket_id.is_some() {
        return None;
    }
    match v.status {
        VehicleStatus::OffDuty | VehicleStatus::OutOfService => Some(Counted::OffDuty),
        VehicleStatus::Available | VehicleStatus::Returning if !app => Some(Counted::Gateway),
        _ => None,
    }
}

/// A counted vehicle as the hub lists them once per count: its kind, place and cell.
pub struct CountedVehicle<'a> {
    pub id: &'a VehicleId,
    pub kind: Counted,
    pub at: LatLng,
    pub cell: h3o::CellIndex,
    pub live: &'a VehicleLive,
}

/// A console's moves of a tick.
pub struct ViewMoves {
    pub moves: Vec<Move>,
    /// After a new view: every vehicle shown one by one inside it (sent even when empty).
    pub whole: bool,
}

/// The counts of one cell: (off duty, gateway).
pub type CellCounts = BTreeMap<h3o::CellIndex, (u32, u32)>;

/// What a zoomed-out console is sent: every cell of its view with a count (the frame
/// replaces the last one), and the vehicles it showed one by one that are counted now.
#[derive(Debug, Default, PartialEq)]
pub struct CellsUpdate {
    pub cells: CellCounts,
    pub hidden: Vec<String>,
}

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
    /// The map's zoom level; below [`ZOOMED_OUT_BELOW`] the view is zoomed out. Left
    /// out: zoomed in (every vehicle one by one).
    pub zoom: Option<f64>,
}

/// The checked view.
#[derive(Clone, Debug, PartialEq)]
pub struct Viewport {
    /// South-west and north-east corners.
    bbox: Option<(LatLng, LatLng)>,
    teams: Vec<String>,
    departments: Vec<Department>,
    statuses: Vec<VehicleStatus>,
    zoomed_out: bool,
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

impl ViewportFrame {
    /// The view a console names when it opens (`/ws/console?view=`): the same object as a
    /// `viewport` frame's, without its `type`.
    pub fn from_query(json: &str) -> Result<Option<Viewport>, String> {
        let frame: ViewportFrame =
            serde_json::from_str(json).map_err(|e| format!("`view` is a viewport object: {e}"))?;
        Option::try_from(frame)
    }
}

/// A console's view as the hub holds it: the view, and the vehicles it last sent inside.
pub struct ConsoleView {
    state: SharedView,
    /// The vehicles sent one by one and inside the view (with a view).
    shown: HashSet<VehicleId>,
    /// Zoomed out: the counts last sent (empty when none were, or zoomed in).
    cells_sent: CellCounts,
    /// Counts are due now (the view changed) rather than at the next count.
    cells_due: bool,
    /// Shown vehicles counted since: to be taken off the console's map with the next counts.
    hidden: Vec<VehicleId>,
}

impl ConsoleView {
    pub fn new(state: SharedView) -> Self {
        Self {
            state,
            shown: HashSet::new(),
            cells_sent: CellCounts::new(),
            cells_due: false,
            hidden: Vec::new(),
        }
    }

    /// A console that named its view when it opened (`view`): the vehicles that view shows
    /// one by one, for its snapshot. Its moves then follow on from them, with no whole
    /// frame, and a zoomed-out view's counts are due at the next tick.
    pub fn opened(
        &mut self,
        view: Viewport,
        vehicles: &HashMap<VehicleId, Arc<VehicleLive>>,
        counted: impl Fn(&VehicleId, &VehicleLive) -> bool,
    ) -> Vec<Arc<VehicleLive>> {
        self.shown = shown_by(Some(&view), vehicles, &counted);
        self.cells_due = view.zoomed_out;
        *self.state.view.write() = Some(view);
        self.shown
            .iter()
            .filter_map(|id| vehicles.get(id).cloned())
            .collect()
    }

    /// Whether this console sees counts (its view is zoomed out), or must be told that it
    /// no longer does.
    pub fn wants_cells(&self) -> bool {
        self.zoomed_out() || !self.cells_sent.is_empty()
    }

    /// Whether counts are due at once (a new view) rather than at the next count.
    pub fn cells_due(&self) -> bool {
        self.cells_due && self.wants_cells()
    }

    fn zoomed_out(&self) -> bool {
        self.state
            .view
            .read()
            .as_ref()
            .is_some_and(|v| v.zoomed_out)
    }

    /// The counts for this console, `None` when nothing changed since the last ones it was
    /// sent. `counted` lists every counted vehicle. Call [`Self::cells_sent`] once the frame
    /// is queued.
    pub fn cells(&mut self, counted: &[CountedVehicle<'_>]) -> Option<CellsUpdate> {
        let view = self.state.view.read();
        let mut update = CellsUpdate::default();
        if let Some(view) = view.as_ref().filter(|v| v.zoomed_out) {
            for c in counted {
                if self.shown.remove(c.id) {
                    self.hidden.push(c.id.clone());
                }
            }
            for c in counted.iter().filter(|c| view.shows(c.at, Some(c.live))) {
                let n = update.cells.entry(c.cell).or_default();
                match c.kind {
                    Counted::OffDuty => n.0 += 1,
                    Counted::Gateway => n.1 += 1,
                }
            }
        }
        update.hidden = self.hidden.iter().map(ToString::to_string).collect();
        let unchanged = update.cells == self.cells_sent && update.hidden.is_empty();
        (!unchanged || self.cells_due).then_some(update)
    }

    /// The counts in `update` were queued for this console.
    pub fn cells_sent(&mut self, update: CellsUpdate) {
        self.cells_sent = update.cells;
        self.cells_due = false;
        self.hidden.clear();
    }

    /// The moves for this console of a tick's `moved`: `None` when it has no view (every
    /// move goes). With a view: the moves inside it and those leaving it. After a new view:
    /// every vehicle in it at its current place (from `vehicles`), and those it no longer
    /// shows.
    ///
    /// Zoomed out, the vehicles `counted` says are counted are left out (and one shown
    /// before is taken off with the next counts).
    pub fn moves(
        &mut self,
        moved: &[TickMove<'_>],
        vehicles: &HashMap<VehicleId, std::sync::Arc<VehicleLive>>,
        counted: impl Fn(&VehicleId, &VehicleLive) -> bool,
    ) -> Option<ViewMoves> {
        let changed = self.state.changed.swap(false, Ordering::AcqRel);
        let view = self.state.view.read();
        let zoomed_out = view.as_ref().is_some_and(|v| v.zoomed_out);
        if changed {
            let one_by_one = |id: &VehicleId, v: &VehicleLive| !zoomed_out || !counted(id, v);
            self.cells_due = true;
            let inside = shown_by(view.as_ref(), vehicles, &counted);
            let mut moves = Vec::new();
            for (id, v) in vehicles {
                if inside.contains(id) || (self.shown.contains(id) && one_by_one(id, v)) {
                    moves.extend(move_of(v));
                } else if self.shown.contains(id) {
                    self.hidden.push(id.clone());
                }
            }
            self.shown = if view.is_some() {
                inside
            } else {
                HashSet::new()
            };
            return Some(ViewMoves { moves, whole: true });
        }
        let view = view.as_ref()?;
        let mut moves = Vec::new();
        for m in moved {
            let id = &m.moved.vehicle_id;
            if zoomed_out && m.counted {
                if self.shown.remove(id) {
                    self.hidden.push(id.clone());
                }
                continue;
            }
            // One lookup in `shown` per move, and a key cloned only when a vehicle comes in.
            let inside = view.shows(m.moved.position, m.live);
            let was = if inside {
                let shown = self.shown.contains(id);
                if !shown {
                    self.shown.insert(id.clone());
                }
                shown
            } else {
                self.shown.remove(id)
            };
            if inside || was {
                moves.push(Move::from(m.moved));
            }
        }
        Some(ViewMoves {
            moves,
            whole: false,
        })
    }
}

/// The vehicles a view shows one by one at their current place (all with a place, with no
/// view); zoomed out, not those `counted` says are counted.
fn shown_by(
    view: Option<&Viewport>,
    vehicles: &HashMap<VehicleId, Arc<VehicleLive>>,
    counted: &impl Fn(&VehicleId, &VehicleLive) -> bool,
) -> HashSet<VehicleId> {
    let zoomed_out = view.is_some_and(|v| v.zoomed_out);
    vehicles
        .iter()
        .filter(|(id, v)| {
            (!zoomed_out || !counted(id, v))
                && position(v).is_some_and(|p| view.is_none_or(|w| w.shows(p, Some(v))))
        })
        .map(|(id, _)| id.clone())
        .collect()
}

/// One vehicle's latest move of a tick, with what every console's view asks of it, looked
/// up once per tick rather than once per console.
pub struct TickMove<'a> {
    pub moved: &'a VehicleMoved,
    /// Its live state (none for a vehicle the hub does not know yet).
    pub live: Option<&'a VehicleLive>,
    /// Counted rather than moved one by one when zoomed out ([`counted`]).
    pub counted: bool,
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
        if f.zoom.is_some_and(|z| !(0.0..=24.0).contains(&z)) {
            return Err("zoom is a map zoom level, 0 to 24".into());
        }
        let zoomed_out = f.zoom.is_some_and(|z| z < ZOOMED_OUT_BELOW);
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
        if bbox.is_none()
            && f.teams.is_empty()
            && f.departments.is_empty()
            && f.statuses.is_empty()
            && !zoomed_out
        {
            return Ok(None);
        }
        Ok(Some(Viewport {
            bbox,
            teams: f.teams,
            departments: f.departments,
            statuses: f.statuses,
            zoomed_out,
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

    fn live(id: &str, status: VehicleStatus, ticket: Option<&str>) -> Arc<VehicleLive> {
        Arc::new(VehicleLive {
            vehicle_id: id.into(),
            plate: None,
            team_id: None,
            department: None,
            status,
            online: true,
            position: Some(crate::domain::input::LatLngDto {
                lat: 30.05,
                lng: 115.55,
            }),
            at: None,
            speed_kmh: None,
            heading: None,
            ticket_id: ticket.map(Into::into),
            distance_to_site_m: None,
        })
    }

    #[test]
    fn a_console_opened_zoomed_out_lists_what_moves_one_by_one_and_owes_its_counts() {
        let vehicles: HashMap<VehicleId, Arc<VehicleLive>> = [
            live("V-1", VehicleStatus::OffDuty, None),
            live("V-2", VehicleStatus::EnRoute, Some("01J")),
        ]
        .into_iter()
        .map(|v| (v.vehicle_id.parse().expect("id"), v))
        .collect();
        let zoomed_out = ViewportFrame::from_query(r#"{"bbox":[115.5,30.0,115.6,30.1],"zoom":9}"#)
            .expect("a view")
            .expect("not everything");
        let mut console = ConsoleView::new(SharedView::default());
        let counted = |_: &VehicleId, v: &VehicleLive| counted(v, false).is_some();
        let listed = console.opened(zoomed_out, &vehicles, counted);
        let ids: Vec<&str> = listed.iter().map(|v| v.vehicle_id.as_str()).collect();
        assert_eq!(ids, ["V-2"]);
        assert!(console.cells_due(), "its counts go out at the next tick");
        // Opening is not a change of view: no whole frame follows.
        assert!(
            console
                .moves(&[], &vehicles, counted)
                .is_some_and(|m| !m.whole && m.moves.is_empty())
        );
        assert!(ViewportFrame::from_query(r#"{"bbox":[1,2,3]}"#).is_err());
        assert!(ViewportFrame::from_query(r#"{"box":[1,2,3,4]}"#).is_err());
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
