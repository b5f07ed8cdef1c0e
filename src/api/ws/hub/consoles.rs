//! The hub's console side for vehicles: each tick's moves, cut to each console's view
//! (`viewport.rs`), the counts per cell a zoomed-out console gets instead of the moves of
//! off-duty and gateway-only vehicles, and the thinning of a console that falls behind.
//!
//! Thinning: a console whose queue is past half its backlog (frames or bytes) is not sent
//! its moves; they are held, the latest per vehicle, and go out as one `vehicle.moved`
//! frame at the first tick it is back under the mark. Its counts wait the same way (the
//! next ones replace them anyway). Ticket and status frames are never held: if they still
//! fill the queue, the console is cut off as before. Each move frame held back counts in
//! `hotline_stream_moves_thinned_total`.

use super::viewport::{self, CountedVehicle, TickMove};
use super::*;
use crate::api::ws::frames::CellCount;
use crate::domain::geo::LatLng;

impl StreamHub {
    /// Sends the latest fix of each vehicle in `moved` as one `vehicle.moved` frame: the
    /// same frame to every console without a view, and to a console with one, what its
    /// view shows (`viewport::ConsoleView`; nothing when that is nothing). A console past
    /// its high-water mark gets nothing: its moves are held for later.
    pub(super) fn send_moves(&mut self, moved: HashMap<VehicleId, Arc<VehicleMoved>>) {
        if self.consoles.is_empty() {
            return;
        }
        let seq = self.seq;
        let frame_of = |moves: Vec<Move>, view: bool| {
            Frame::other(seq, &StreamFrame::VehicleMoved { seq, moves, view })
        };
        let mut everything: Option<Frame> = None;
        let (vehicles, apps) = (&self.vehicles, &self.apps);
        let counted =
            |id: &VehicleId, v: &VehicleLive| viewport::counted(v, apps.contains(id)).is_some();
        let ticked: Vec<TickMove> = moved
            .values()
            .map(|m| {
                let live = vehicles.get(&m.vehicle_id).map(|v| &**v);
                TickMove {
                    moved: m,
                    live,
                    counted: live.is_some_and(|v| counted(&m.vehicle_id, v)),
                }
            })
            .collect();
        self.consoles.retain_mut(|s| {
            let own = s
                .view
                .as_mut()
                .and_then(|v| v.moves(&ticked, vehicles, counted));
            let thin = s.above_high_water();
            if thin || !s.held.is_empty() {
                // After a view change what was held is out of date: the new view's whole
                // set replaces it, and goes out marked as such.
                if own.as_ref().is_some_and(|o| o.whole) {
                    s.held.clear();
                    s.held_whole = true;
                }
                let new = own
                    .map(|o| o.moves)
                    .unwrap_or_else(|| moved.values().map(|m| Move::from(m.as_ref())).collect());
                if thin && !new.is_empty() {
                    metrics::counter!("hotline_stream_moves_thinned_total").increment(1);
                }
                for m in new {
                    s.held.insert(m.vehicle_id.clone(), m);
                }
                if thin {
                    return true;
                }
                let held: Vec<Move> = s.held.drain().map(|(_, m)| m).collect();
                let whole = std::mem::take(&mut s.held_whole);
                return s.offer(&frame_of(held, whole));
            }
            match own {
                None if moved.is_empty() => true,
                None => {
                    let frame = everything.get_or_insert_with(|| {
                        let moves = moved.values().map(|m| Move::from(m.as_ref())).collect();
                        frame_of(moves, false)
                    });
                    s.offer(frame)
                }
                Some(v) if v.moves.is_empty() && !v.whole => true,
                Some(v) => s.offer(&frame_of(v.moves, v.whole)),
            }
        });
    }

    /// Sends zoomed-out consoles their counts per cell: those whose view just changed, or
    /// (`all`, the idle tick) every one whose counts changed since it was last sent them.
    pub(super) fn send_cells(&mut self, all: bool) {
        let wanted = |s: &Session| {
            s.view
                .as_ref()
                .is_some_and(|v| if all { v.wants_cells() } else { v.cells_due() })
        };
        if !self.consoles.iter().any(wanted) {
            return;
        }
        let apps = &self.apps;
        let counted: Vec<CountedVehicle<'_>> = self
            .vehicles
            .iter()
            .filter_map(|(id, live)| {
                let kind = viewport::counted(live, apps.contains(id))?;
                let p = live.position?;
                let at = LatLng::new(p.lat, p.lng).ok()?;
                let cell = h3o::LatLng::new(p.lat, p.lng)
                    .ok()?
                    .to_cell(viewport::CELL_RESOLUTION);
                Some(CountedVehicle {
                    id,
                    kind,
                    at,
                    cell,
                    live,
                })
            })
            .collect();
        let seq = self.seq;
        self.consoles.retain_mut(|s| {
            if !wanted(s) || s.above_high_water() {
                return true;
            }
            let Some(view) = s.view.as_mut() else {
                return true;
            };
            let Some(update) = view.cells(&counted) else {
                return true;
            };
            for id in &update.hidden {
                s.held.remove(id);
            }
            let frame = Frame::other(
                seq,
                &StreamFrame::VehicleCells {
                    seq,
                    res: viewport::CELL_RESOLUTION.into(),
                    cells: update.cells.iter().map(cell_count).collect(),
                    hidden: update.hidden.clone(),
                },
            );
            view.cells_sent(update);
            s.offer(&frame)
        });
    }

    /// Asks a vehicle's actor whether its app is connected (after a status change, which
    /// a socket coming or going makes).
    pub(super) fn ask_app(&self, id: &VehicleId, ctx: &mut Context<Self>) {
        let Some(addr) = self.deps.fleet.live_vehicle(id) else {
            return;
        };
        let id = id.clone();
        ctx.spawn(
            addr.send(GetVehicle)
                .into_actor(self)
                .map(move |view, act, _| {
                    let Ok(view) = view else { return };
                    if view.connected {
                        act.apps.insert(id);
                    } else {
                        act.apps.remove(&id);
                    }
                }),
        );
    }
}

/// A cell's counts as the frame carries them, with the cell's centre.
fn cell_count((cell, (off_duty, gateway)): (&h3o::CellIndex, &(u32, u32))) -> CellCount {
    let centre = h3o::LatLng::from(*cell);
    CellCount {
        cell: cell.to_string(),
        center: crate::domain::input::LatLngDto {
            lat: (centre.lat() * 1e5).round() / 1e5,
            lng: (centre.lng() * 1e5).round() / 1e5,
        },
        off_duty: *off_duty,
        gateway: *gateway,
    }
}
