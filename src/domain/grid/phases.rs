//! The two phases of an indexed search. Rings: fine cells around the query's cell, ring 1
//! pruned side by side with the home cell's edges and ring `k ≥ 2` skipped once
//! [`ring_bound_m`] proves it farther than the current k-th best. Coarse: the non-empty coarse
//! cells best-first by cap lower bound, descending best-first into the fine cells of busy
//! ones; it needs only the triangle inequality, so it is exact anywhere (pentagons included).

use h3o::CellIndex;

use super::geom::{cap_lower_bound_m, ring_bound_m};
use super::search::Search;
use super::{CoarseCell, FineCell};

/// Rings searched before handing over to the coarse phase (beyond ring 8 the ring bound is
/// ~1.7 km in Wuxue).
const FINE_MAX_RING: u32 = 8;
/// Coarse cells with at most this many vehicles are scanned rather than descended into.
const DESCEND_ABOVE: usize = 48;

/// How far the first two rings got.
enum Walk {
    /// The answer is complete.
    Done,
    /// Rings 0 and 1 are visited; farther rings may matter.
    More,
    /// H3 could not walk ring 1 (pentagon).
    Failed,
}

impl<'g> Search<'g> {
    fn scan_fine(&mut self, cell: &'g FineCell) {
        let lb = cap_lower_bound_m(self.q.origin, cell.shape.center, cell.shape.radius_m);
        if lb <= self.best.bound {
            self.scan_members(&cell.members);
        }
    }

    /// Rings 0 and 1 around `origin`. With the origin cell's sides known, ring 1 is pruned
    /// side by side: a neighbour lies beyond the line of the edge it shares (two convex cells
    /// sharing an edge are separated by its line), so its distance is at least the query's
    /// distance to that line; and every cell outside the origin cell is at least the smallest
    /// such distance away, which may settle the answer at once.
    fn near_rings(&mut self, origin: CellIndex) -> Walk {
        let grid = self.grid;
        let Some(home) = grid.fine.get(&origin) else {
            return if self.ring(origin, 0) && self.ring(origin, 1) {
                Walk::More
            } else {
                Walk::Failed
            };
        };
        self.scan_members(&home.members);
        let Some(sides) = &home.sides else {
            return if self.ring(origin, 1) {
                Walk::More
            } else {
                Walk::Failed
            };
        };
        let xy = home.shape.center.local_xy(self.q.origin);
        let mut outside = f64::INFINITY;
        for side in sides.iter() {
            let lb = side.lower_bound_m(xy);
            outside = outside.min(lb);
            if lb <= self.best.bound
                && let Some(fine) = grid.fine.get(&side.neighbor)
                && !fine.members.is_empty()
            {
                self.scan_fine(fine);
            }
        }
        if outside > self.best.bound {
            Walk::Done
        } else {
            Walk::More
        }
    }

    /// Visits ring `k`; false if H3 cannot walk it (pentagon distortion).
    fn ring(&mut self, origin: CellIndex, k: u32) -> bool {
        for cell in origin.grid_ring_fast(k) {
            let Some(cell) = cell else { return false };
            if let Some(fine) = self.grid.fine.get(&cell)
                && !fine.members.is_empty()
            {
                self.scan_fine(fine);
            }
        }
        true
    }

    /// Rings 0..=FINE_MAX_RING around `origin`; true when the answer is proven complete:
    /// ring `k` is skipped, and the search ends, once [`ring_bound_m`] of `k` exceeds the
    /// current bound. False hands over to the coarse phase (rings exhausted, nothing found
    /// within two rings, or a pentagon in the way); what was found stays in the answer.
    pub(super) fn rings(&mut self, origin: CellIndex, edge_m: f64) -> bool {
        match self.near_rings(origin) {
            Walk::Done => return true,
            Walk::Failed => return false,
            Walk::More => {}
        }
        for k in 2..=FINE_MAX_RING {
            if ring_bound_m(k, edge_m) > self.best.bound {
                return true;
            }
            if !self.ring(origin, k) {
                return false;
            }
            // Nothing eligible within two rings: the neighbourhood is empty (outside a
            // cluster, or a restrictive filter); the coarse phase gets there faster.
            if self.best.items.is_empty() {
                return false;
            }
        }
        ring_bound_m(FINE_MAX_RING + 1, edge_m) > self.best.bound
    }

    /// Visits `cells` (lower bound, cell) best-first until the next bound exceeds the k-th
    /// best. While the answer is not full the nearest is taken alone (a linear pick); once it
    /// is, the bound prunes the rest before the survivors are sorted.
    fn best_first<T: Copy>(&mut self, mut cells: Vec<(f64, T)>, visit: impl Fn(&mut Self, T)) {
        while self.best.items.len() < self.best.limit {
            let Some((at, _)) = cells
                .iter()
                .enumerate()
                .min_by(|a, b| a.1.0.total_cmp(&b.1.0))
            else {
                return;
            };
            let (lb, cell) = cells.swap_remove(at);
            if lb > self.best.bound {
                return;
            }
            visit(self, cell);
        }
        cells.retain(|&(lb, _)| lb <= self.best.bound);
        cells.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        for (lb, cell) in cells {
            if lb > self.best.bound {
                break;
            }
            visit(self, cell);
        }
    }

    /// Best-first over the non-empty coarse cells by cap lower bound (the query's own comes
    /// first: its bound is ≤ 0); exact on its own.
    pub(super) fn coarse(&mut self) {
        let origin = self.q.origin;
        let cells: Vec<(f64, &'g CoarseCell)> = self
            .grid
            .coarse
            .values()
            .filter(|c| !c.members.is_empty())
            .map(|c| {
                (
                    cap_lower_bound_m(origin, c.shape.center, c.shape.radius_m),
                    c,
                )
            })
            .collect();
        self.best_first(cells, |search, cell| {
            if cell.members.len() <= DESCEND_ABOVE {
                for &s in &cell.members {
                    search.scan_slot(s);
                }
            } else {
                search.descend(cell);
            }
        });
    }

    /// Best-first over the non-empty fine cells of a busy coarse cell.
    fn descend(&mut self, coarse: &'g CoarseCell) {
        let origin = self.q.origin;
        let fine = &self.grid.fine;
        let cells: Vec<(f64, &'g FineCell)> = coarse
            .fine_cells
            .iter()
            .filter_map(|c| fine.get(c))
            .map(|c| {
                (
                    cap_lower_bound_m(origin, c.shape.center, c.shape.radius_m),
                    c,
                )
            })
            .collect();
        self.best_first(cells, |search, cell| search.scan_members(&cell.members));
    }
}
