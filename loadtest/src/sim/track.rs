//! What the simulation measures, beside the counters (`counters.rs`). `Tracker` joins, per ticket, the intake (sent, acknowledged) with every
//! offer a vehicle received and every `offer.sent` a console saw, whichever comes first
//! (an offer can reach the car before the intake's answer reaches the platform), and keeps
//! the latency histograms; at the end it audits the offers: each grade I ticket must reach
//! exactly one vehicle and every console exactly once. All times are wall-clock Unix µs,
//! the one clock every load process shares.

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

pub use super::counters::{Counters, Snap};

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::stats::new_histogram;

/// µs between two wall-clock readings, at least 1 (the histograms start at 1 µs).
fn span_us(from: i64, to: i64) -> u64 {
    u64::try_from(to.saturating_sub(from)).unwrap_or(0).max(1)
}

#[derive(Debug)]
struct Track {
    intake_us: i64,
    urgent: bool,
    measured: bool,
    vehicle_offers: u32,
    /// `offer.sent` frames seen, per console.
    console_offers: Vec<u8>,
}

/// Receipts for a ticket whose intake answer has not come back yet.
#[derive(Debug, Default)]
struct Early {
    vehicle: Vec<i64>,
    console: Vec<(usize, i64)>,
}

#[derive(Debug)]
struct Inner {
    /// Offers seen by vehicles and consoles so far (the drain waits for it to settle).
    receipts: u64,
    tickets: HashMap<String, Track>,
    early: HashMap<String, Early>,
    offer_vehicle: Histogram<u64>,
    offer_console: Histogram<u64>,
    ack: Histogram<u64>,
    move_console: Histogram<u64>,
}

/// The latency histograms, µs.
#[derive(Debug, Clone)]
pub struct Histograms {
    /// Intake sent → offer received by the vehicle app.
    pub offer_vehicle: Histogram<u64>,
    /// Intake sent → `offer.sent` received by a console.
    pub offer_console: Histogram<u64>,
    /// Intake sent → its answer (the ticket is durable).
    pub ack: Histogram<u64>,
    /// Fix sent (its `ts`) → seen on a console in `vehicle.moved`.
    pub move_console: Histogram<u64>,
}

/// Lost or duplicated offers: all must be 0.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct OfferAudit {
    /// Grade I tickets acknowledged (each must reach exactly one vehicle).
    pub urgent_tickets: u64,
    pub routine_tickets: u64,
    /// Grade I tickets that reached exactly one vehicle.
    pub offered_once: u64,
    /// Grade I tickets the engine offered (`offer.sent` in the timeline) that reached no
    /// vehicle.
    pub lost: u64,
    /// Grade I tickets the engine could not offer: no eligible vehicle was free (it
    /// raised an alert instead). Not a loss, but a fleet too small for the load.
    pub unserved: u64,
    /// Grade I tickets offered more than once (a second vehicle or a repeated frame).
    pub duplicated: u64,
    /// Offers to routine tickets (none is expected).
    pub unexpected: u64,
    /// Offers for tickets this run never took in.
    pub unmatched: u64,
    /// Consoles that were watching (those that opened).
    pub consoles: u64,
    /// (ticket, console) pairs with no `offer.sent`.
    pub console_lost: u64,
    /// (ticket, console) pairs with more than one `offer.sent`.
    pub console_duplicated: u64,
    /// A few of the tickets not offered, to look up.
    pub unserved_examples: Vec<String>,
}

impl OfferAudit {
    pub fn clean(&self) -> bool {
        self.lost == 0
            && self.duplicated == 0
            && self.unexpected == 0
            && self.console_lost == 0
            && self.console_duplicated == 0
    }
}

#[derive(Debug)]
pub struct Tracker {
    consoles: usize,
    /// Which consoles opened (the others expect nothing).
    live: Mutex<Vec<bool>>,
    /// Tickets whose intake started from this instant on are measured (Unix µs).
    measure_from_us: AtomicU64,
    inner: Mutex<Inner>,
}

impl Tracker {
    pub fn new(consoles: usize) -> Self {
        Self {
            consoles,
            live: Mutex::new(vec![false; consoles]),
            measure_from_us: AtomicU64::new(u64::MAX),
            inner: Mutex::new(Inner {
                receipts: 0,
                tickets: HashMap::new(),
                early: HashMap::new(),
                offer_vehicle: new_histogram(),
                offer_console: new_histogram(),
                ack: new_histogram(),
                move_console: new_histogram(),
            }),
        }
    }

    /// Console `k` opened: it must see every offer.
    pub fn console_live(&self, k: usize) {
        if let Ok(mut l) = self.live.lock()
            && let Some(x) = l.get_mut(k)
        {
            *x = true;
        }
    }

    /// Grade I tickets acknowledged that reached no vehicle (yet).
    pub fn unoffered(&self) -> Vec<String> {
        self.inner
            .lock()
            .map(|g| {
                g.tickets
                    .iter()
                    .filter(|(_, t)| t.urgent && t.vehicle_offers == 0)
                    .map(|(id, _)| id.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// From now on intakes are measured (the warm-up is over).
    pub fn start_measuring(&self, at_us: i64) {
        self.measure_from_us
            .store(u64::try_from(at_us).unwrap_or(0), Ordering::Relaxed);
    }

    pub fn measured(&self, at_us: i64) -> bool {
        u64::try_from(at_us).unwrap_or(0) >= self.measure_from_us.load(Ordering::Relaxed)
    }

    /// An intake was acknowledged with the ticket `id`.
    pub fn intake_acked(&self, id: &str, urgent: bool, sent_us: i64, ack_us: i64) {
        let measured = self.measured(sent_us);
        let Ok(mut g) = self.inner.lock() else { return };
        let g = &mut *g;
        if measured {
            g.ack.saturating_record(span_us(sent_us, ack_us));
        }
        let mut t = Track {
            intake_us: sent_us,
            urgent,
            measured,
            vehicle_offers: 0,
            console_offers: vec![0; self.consoles],
        };
        if let Some(early) = g.early.remove(id) {
            for at in early.vehicle {
                Self::count_vehicle(&mut t, &mut g.offer_vehicle, at);
            }
            for (c, at) in early.console {
                Self::count_console(&mut t, &mut g.offer_console, c, at);
            }
        }
        g.tickets.insert(id.to_owned(), t);
    }

    fn count_vehicle(t: &mut Track, h: &mut Histogram<u64>, at: i64) {
        t.vehicle_offers += 1;
        if t.measured && t.vehicle_offers == 1 {
            h.saturating_record(span_us(t.intake_us, at));
        }
    }

    fn count_console(t: &mut Track, h: &mut Histogram<u64>, console: usize, at: i64) {
        let Some(n) = t.console_offers.get_mut(console) else {
            return;
        };
        *n = n.saturating_add(1);
        if t.measured && *n == 1 {
            h.saturating_record(span_us(t.intake_us, at));
        }
    }

    /// A vehicle app received an offer of ticket `id` at `at_us`.
    pub fn vehicle_offer(&self, id: &str, at_us: i64) {
        let Ok(mut g) = self.inner.lock() else { return };
        let g = &mut *g;
        g.receipts += 1;
        match g.tickets.get_mut(id) {
            Some(t) => Self::count_vehicle(t, &mut g.offer_vehicle, at_us),
            None => g
                .early
                .entry(id.to_owned())
                .or_default()
                .vehicle
                .push(at_us),
        }
    }

    /// Console `console` saw `offer.sent` for ticket `id` at `at_us`.
    pub fn console_offer(&self, console: usize, id: &str, at_us: i64) {
        let Ok(mut g) = self.inner.lock() else { return };
        let g = &mut *g;
        g.receipts += 1;
        match g.tickets.get_mut(id) {
            Some(t) => Self::count_console(t, &mut g.offer_console, console, at_us),
            None => g
                .early
                .entry(id.to_owned())
                .or_default()
                .console
                .push((console, at_us)),
        }
    }

    /// Takes the offers received for tickets this tracker never saw taken in (a worker
    /// process hands them to the run, which took the tickets in).
    pub fn take_early_vehicle_offers(&self) -> Vec<(String, i64)> {
        let Ok(mut g) = self.inner.lock() else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (id, e) in g.early.iter_mut() {
            out.extend(e.vehicle.drain(..).map(|at| (id.clone(), at)));
        }
        g.early.retain(|_, e| !e.console.is_empty());
        out
    }

    /// Offers seen by vehicles and consoles of this process so far.
    pub fn receipts(&self) -> u64 {
        self.inner.lock().map(|g| g.receipts).unwrap_or(0)
    }

    /// Grade I tickets acknowledged so far.
    pub fn urgent_acked(&self) -> u64 {
        self.inner
            .lock()
            .map(|g| g.tickets.values().filter(|t| t.urgent).count() as u64)
            .unwrap_or(0)
    }

    /// Adds a console's position → console latencies (kept locally while it runs).
    pub fn merge_moves(&self, h: &Histogram<u64>) {
        if let Ok(mut g) = self.inner.lock() {
            let _ = g.move_console.add(h);
        }
    }

    pub fn histograms(&self) -> Option<Histograms> {
        let g = self.inner.lock().ok()?;
        Some(Histograms {
            offer_vehicle: g.offer_vehicle.clone(),
            offer_console: g.offer_console.clone(),
            ack: g.ack.clone(),
            move_console: g.move_console.clone(),
        })
    }

    /// Counts lost and duplicated offers over every ticket taken in; `unserved` are the
    /// tickets the engine never offered (no vehicle free): neither a vehicle nor a console
    /// expects anything of them.
    pub fn audit(&self, unserved: &HashSet<String>) -> OfferAudit {
        let live = self.live.lock().map(|l| l.clone()).unwrap_or_default();
        let Ok(g) = self.inner.lock() else {
            return OfferAudit::default();
        };
        let mut a = OfferAudit {
            consoles: live.iter().filter(|l| **l).count() as u64,
            unmatched: g.early.values().map(|e| e.vehicle.len() as u64).sum(),
            ..OfferAudit::default()
        };
        for (id, t) in &g.tickets {
            if !t.urgent {
                a.routine_tickets += 1;
                a.unexpected += u64::from(t.vehicle_offers);
                continue;
            }
            a.urgent_tickets += 1;
            if t.vehicle_offers == 0 && unserved.contains(id) {
                a.unserved += 1;
                if a.unserved_examples.len() < 5 {
                    a.unserved_examples.push(id.clone());
                }
                continue;
            }
            match t.vehicle_offers {
                0 => a.lost += 1,
                1 => a.offered_once += 1,
                _ => a.duplicated += 1,
            }
            let watching = t.console_offers.iter().zip(&live).filter(|(_, l)| **l);
            for (&n, _) in watching {
                match n {
                    0 => a.console_lost += 1,
                    1 => {}
                    _ => a.console_duplicated += 1,
                }
            }
        }
        a
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offers_join_with_intakes_in_either_order() {
        let t = Tracker::new(3);
        t.console_live(0);
        t.console_live(1);
        t.start_measuring(0);
        // Offer and one console frame arrive before the intake's answer.
        t.vehicle_offer("a", 3_000);
        t.console_offer(0, "a", 3_500);
        t.intake_acked("a", true, 1_000, 4_000);
        t.console_offer(1, "a", 5_000);
        // A clean second ticket, a lost third, a duplicated fourth.
        t.intake_acked("b", true, 10_000, 11_000);
        t.vehicle_offer("b", 12_000);
        t.console_offer(0, "b", 12_000);
        t.console_offer(1, "b", 12_000);
        t.console_offer(1, "b", 12_500);
        t.intake_acked("c", true, 20_000, 21_000);
        t.intake_acked("d", true, 30_000, 31_000);
        t.vehicle_offer("d", 32_000);
        t.vehicle_offer("d", 33_000);
        t.intake_acked("r", false, 40_000, 41_000);
        t.vehicle_offer("zzz", 50_000);
        t.intake_acked("u", true, 60_000, 61_000);
        let mut unoffered = t.unoffered();
        unoffered.sort();
        assert_eq!(unoffered, ["c", "u"]);
        let a = t.audit(&HashSet::from(["u".to_owned()]));
        assert_eq!((a.urgent_tickets, a.routine_tickets), (5, 1));
        assert_eq!(
            (a.offered_once, a.lost, a.duplicated, a.unserved),
            (2, 1, 1, 1)
        );
        assert_eq!(a.consoles, 2);
        assert_eq!(a.unmatched, 1);
        // c and d reached no console (2 × 2), b twice on console 1.
        assert_eq!((a.console_lost, a.console_duplicated), (4, 1));
        assert!(!a.clean());
        let h = t.histograms().expect("histograms");
        assert_eq!(h.offer_vehicle.len(), 3, "first offer per ticket only");
        assert_eq!(h.offer_vehicle.min(), 2_000);
        assert_eq!(h.offer_console.len(), 4);
        assert_eq!(h.ack.len(), 6);
    }

    #[test]
    fn warm_up_tickets_are_audited_not_timed() {
        let t = Tracker::new(0);
        t.start_measuring(100);
        t.intake_acked("w", true, 50, 60);
        t.vehicle_offer("w", 70);
        let h = t.histograms().expect("histograms");
        assert!(h.ack.is_empty() && h.offer_vehicle.is_empty());
        assert_eq!(t.audit(&HashSet::new()).offered_once, 1);
        assert!(t.audit(&HashSet::new()).clean());
    }
}
