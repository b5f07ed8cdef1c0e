//! The in-process event bus. The store's writer publishes every committed ticket event here,
//! in global sequence order and only after it is durable; the fleet publishes vehicle moves
//! and status changes (live state, not replayed). Each subscriber has a bounded
//! queue; a subscriber that lets its queue fill is cut off (its receiver ends with
//! [`Subscription::lagged`] set) so it can never slow the writer or anyone else. It then
//! resumes from the store with the last sequence number it saw. Actors that follow the
//! ticket events (dispatcher, SLA supervisor, group watch) subscribe through
//! [`follow_tickets`], which also tells them when they were cut off.

mod follow;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::Mutex;
use tokio::sync::mpsc;

pub use follow::{FOLLOWER_QUEUE, TicketFollower, follow_tickets};

use crate::domain::Timestamp;
use crate::domain::fleet::VehicleStatus;
use crate::domain::geo::LatLng;
use crate::domain::ids::{TicketId, VehicleId};
use crate::domain::ticket::{EventRecord, Ticket};

/// A vehicle's accepted fix.
#[derive(Clone, Debug, PartialEq)]
pub struct VehicleMoved {
    pub vehicle_id: VehicleId,
    pub position: LatLng,
    pub at: Timestamp,
    pub speed_kmh: Option<f64>,
    pub heading: Option<f64>,
    /// Live distance to the site of the ticket it is heading to or working on.
    pub distance_to_site_m: Option<f64>,
    pub ticket_id: Option<TicketId>,
}

/// A vehicle's status changed.
#[derive(Clone, Debug, PartialEq)]
pub struct VehicleStatusChanged {
    pub vehicle_id: VehicleId,
    pub status: VehicleStatus,
    pub ticket_id: Option<TicketId>,
    pub at: Timestamp,
    /// Its device can be reached (a connected socket, or a gateway's recent fix).
    pub online: bool,
}

/// A committed ticket change as the bus carries it: the durable event, with its global
/// event id, and the ticket state that event produced. Followers take it whole
/// ([`TicketFollower::on_ticket`]) and never read back from the store what was just
/// written; it reads as its event (`Deref`).
#[derive(Debug)]
pub struct Committed {
    pub event: Arc<EventRecord>,
    pub ticket: Arc<Ticket>,
}

impl std::ops::Deref for Committed {
    type Target = EventRecord;

    fn deref(&self) -> &EventRecord {
        &self.event
    }
}

pub type TicketUpdate = Arc<Committed>;

/// What travels on the bus.
#[derive(Clone, Debug)]
pub enum BusEvent {
    /// A durable ticket change.
    Ticket(TicketUpdate),
    VehicleMoved(Arc<VehicleMoved>),
    VehicleStatus(Arc<VehicleStatusChanged>),
}

/// Which events a subscriber wants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interest {
    /// Ticket events only.
    Tickets,
    /// Ticket events and vehicle status changes, no moves.
    TicketsAndStatus,
    Everything,
}

impl Interest {
    /// The metrics label of this interest.
    fn label(self) -> &'static str {
        match self {
            Interest::Tickets => "tickets",
            Interest::TicketsAndStatus => "tickets_and_status",
            Interest::Everything => "everything",
        }
    }

    fn wants(self, e: &BusEvent) -> bool {
        match e {
            BusEvent::Ticket(_) => true,
            BusEvent::VehicleStatus(_) => self != Interest::Tickets,
            BusEvent::VehicleMoved(_) => self == Interest::Everything,
        }
    }
}

struct Subscriber {
    id: u64,
    interest: Interest,
    tx: mpsc::Sender<BusEvent>,
    lagged: Arc<AtomicBool>,
}

#[derive(Default)]
pub struct EventBus {
    subscribers: Mutex<Vec<Subscriber>>,
    next_id: AtomicU64,
}

/// One subscriber's end of the bus.
pub struct Subscription {
    rx: mpsc::Receiver<BusEvent>,
    lagged: Arc<AtomicBool>,
}

impl Subscription {
    /// The next event; `None` once the bus dropped this subscriber (see [`Self::lagged`]).
    pub async fn recv(&mut self) -> Option<BusEvent> {
        self.rx.recv().await
    }

    pub fn try_recv(&mut self) -> Option<BusEvent> {
        self.rx.try_recv().ok()
    }

    /// The events as a stream (for `ctx.add_stream`); it ends when the bus drops this
    /// subscriber.
    pub fn into_stream(self) -> impl futures_util::Stream<Item = BusEvent> + 'static {
        futures_util::stream::unfold(
            self.rx,
            |mut rx| async move { rx.recv().await.map(|e| (e, rx)) },
        )
    }

    /// The subscriber was cut off because its queue was full.
    pub fn lagged(&self) -> bool {
        self.lagged.load(Ordering::Acquire)
    }
}

impl EventBus {
    pub fn new() -> Self {
        Self::default()
    }

    /// Subscribes with a queue of at most `capacity` events of the given interest.
    pub fn subscribe(&self, capacity: usize, interest: Interest) -> Subscription {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let lagged = Arc::new(AtomicBool::new(false));
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let lag = lagged.clone();
        self.subscribers.lock().push(Subscriber {
            id,
            interest,
            tx,
            lagged: lag,
        });
        Subscription { rx, lagged }
    }

    /// Delivers `event` to every interested subscriber without waiting; drops the full and
    /// the gone.
    pub fn publish(&self, event: BusEvent) {
        let mut subs = self.subscribers.lock();
        if subs.is_empty() {
            return;
        }
        subs.retain(|s| {
            if !s.interest.wants(&event) {
                return !s.tx.is_closed();
            }
            match s.tx.try_send(event.clone()) {
                Ok(()) => true,
                Err(mpsc::error::TrySendError::Full(_)) => {
                    s.lagged.store(true, Ordering::Release);
                    tracing::warn!(subscriber = s.id, "bus subscriber cut off: queue full");
                    false
                }
                Err(mpsc::error::TrySendError::Closed(_)) => false,
            }
        });
    }

    /// Sets `hotline_bus_queue_depth` (sum) and `_max` per interest: events queued and not
    /// yet taken. Called when `/metrics` is scraped, never per event.
    pub fn report_depths(&self) {
        let mut depths = [(0usize, 0usize); 3];
        for s in self.subscribers.lock().iter() {
            let queued = s.tx.max_capacity() - s.tx.capacity();
            let d = &mut depths[s.interest as usize];
            d.0 += queued;
            d.1 = d.1.max(queued);
        }
        for (interest, (sum, max)) in [
            Interest::Tickets,
            Interest::TicketsAndStatus,
            Interest::Everything,
        ]
        .into_iter()
        .zip(depths)
        {
            let label = interest.label();
            metrics::gauge!("hotline_bus_queue_depth", "interest" => label).set(sum as f64);
            metrics::gauge!("hotline_bus_queue_depth_max", "interest" => label).set(max as f64);
        }
    }

    pub fn subscriber_count(&self) -> usize {
        self.subscribers.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;
    use crate::domain::ids::TicketNumber;
    use crate::domain::role::Principal;
    use crate::domain::ticket::{EventKind, Status};

    fn ticket_id(e: BusEvent) -> Option<u64> {
        match e {
            BusEvent::Ticket(t) => Some(t.event_id),
            _ => None,
        }
    }

    /// A committed change numbered `id` (of one shared ticket: the bus looks at ids only).
    pub(super) fn event(id: u64) -> TicketUpdate {
        static TICKET: std::sync::OnceLock<Arc<Ticket>> = std::sync::OnceLock::new();
        let ticket = TICKET.get_or_init(|| {
            let catalog = crate::domain::catalog::Catalog::from_toml(
                crate::domain::catalog::BUILTIN_CATALOG,
                "catalog.toml",
            )
            .expect("the built-in guide");
            let t = crate::domain::board::tests::ticket(
                "counterfeit",
                crate::domain::catalog::Urgency::II,
                &catalog,
            );
            Arc::new(t)
        });
        let event = EventRecord {
            event_id: id,
            ticket_id: ticket.id,
            number: TicketNumber::new("WX", 2026, id),
            seq: 1,
            at: Timestamp::parse("2026-11-27T00:00:00Z").expect("time"),
            by: Principal::system(),
            status: Status::Received,
            from_status: None,
            deadlines: None,
            kind: EventKind::Supervised { notice: "n".into() },
        };
        Arc::new(Committed {
            event: Arc::new(event),
            ticket: ticket.clone(),
        })
    }

    #[test]
    fn a_full_subscriber_is_cut_off_while_others_get_everything_in_order() {
        let bus = EventBus::new();
        let mut slow = bus.subscribe(2, Interest::Tickets);
        let mut fast = bus.subscribe(100, Interest::Tickets);
        for id in 1..=10 {
            bus.publish(BusEvent::Ticket(event(id)));
            let got = fast.try_recv().and_then(ticket_id);
            assert_eq!(got, Some(id));
        }
        assert!(slow.lagged(), "the slow subscriber was cut off");
        assert!(!fast.lagged());
        assert_eq!(bus.subscriber_count(), 1);
        // What it had queued before the cut-off is still readable, then it ends.
        assert_eq!(slow.try_recv().and_then(ticket_id), Some(1));
        assert_eq!(slow.try_recv().and_then(ticket_id), Some(2));
        assert!(slow.try_recv().is_none());
    }

    #[test]
    fn dropped_subscribers_are_forgotten() {
        let bus = EventBus::new();
        drop(bus.subscribe(4, Interest::Everything));
        bus.publish(BusEvent::Ticket(event(1)));
        assert_eq!(bus.subscriber_count(), 0);
    }
}
