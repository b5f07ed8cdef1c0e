//! The in-process event bus. The store's writer publishes every committed ticket event here,
//! in global sequence order and only after it is durable. Each subscriber has a bounded
//! queue; a subscriber that lets its queue fill is cut off (its receiver ends with
//! [`Subscription::lagged`] set) so it can never slow the writer or anyone else. It then
//! resumes from the store with the last sequence number it saw.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use parking_lot::Mutex;
use tokio::sync::mpsc;

use crate::domain::ticket::EventRecord;

struct Subscriber {
    id: u64,
    tx: mpsc::Sender<Arc<EventRecord>>,
    lagged: Arc<AtomicBool>,
}

#[derive(Default)]
pub struct EventBus {
    subscribers: Mutex<Vec<Subscriber>>,
    next_id: AtomicU64,
}

/// One subscriber's end of the bus.
pub struct Subscription {
    rx: mpsc::Receiver<Arc<EventRecord>>,
    lagged: Arc<AtomicBool>,
}

impl Subscription {
    /// The next event; `None` once the bus dropped this subscriber (see [`Self::lagged`]).
    pub async fn recv(&mut self) -> Option<Arc<EventRecord>> {
        self.rx.recv().await
    }

    pub fn try_recv(&mut self) -> Option<Arc<EventRecord>> {
        self.rx.try_recv().ok()
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

    /// Subscribes with a queue of at most `capacity` events.
    pub fn subscribe(&self, capacity: usize) -> Subscription {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let lagged = Arc::new(AtomicBool::new(false));
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.subscribers.lock().push(Subscriber {
            id,
            tx,
            lagged: lagged.clone(),
        });
        Subscription { rx, lagged }
    }

    /// Delivers `event` to every subscriber without waiting; drops the full and the gone.
    pub fn publish(&self, event: &Arc<EventRecord>) {
        let mut subs = self.subscribers.lock();
        subs.retain(|s| match s.tx.try_send(event.clone()) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                s.lagged.store(true, Ordering::Release);
                tracing::warn!(subscriber = s.id, "bus subscriber cut off: queue full");
                false
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        });
    }

    pub fn subscriber_count(&self) -> usize {
        self.subscribers.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Timestamp;
    use crate::domain::ids::{TicketId, TicketNumber};
    use crate::domain::role::Principal;
    use crate::domain::ticket::{EventKind, Status};

    fn event(id: u64) -> Arc<EventRecord> {
        Arc::new(EventRecord {
            event_id: id,
            ticket_id: TicketId::generate(),
            number: TicketNumber::new("WX", 2026, id),
            seq: 1,
            at: Timestamp::parse("2026-11-27T00:00:00Z").expect("time"),
            by: Principal::system(),
            status: Status::Received,
            kind: EventKind::Supervised { notice: "n".into() },
        })
    }

    #[test]
    fn a_full_subscriber_is_cut_off_while_others_get_everything_in_order() {
        let bus = EventBus::new();
        let mut slow = bus.subscribe(2);
        let mut fast = bus.subscribe(100);
        for id in 1..=10 {
            bus.publish(&event(id));
            let got = fast.try_recv().expect("delivered");
            assert_eq!(got.event_id, id);
        }
        assert!(slow.lagged(), "the slow subscriber was cut off");
        assert!(!fast.lagged());
        assert_eq!(bus.subscriber_count(), 1);
        // What it had queued before the cut-off is still readable, then it ends.
        assert_eq!(slow.try_recv().map(|e| e.event_id), Some(1));
        assert_eq!(slow.try_recv().map(|e| e.event_id), Some(2));
        assert!(slow.try_recv().is_none());
    }

    #[test]
    fn dropped_subscribers_are_forgotten() {
        let bus = EventBus::new();
        drop(bus.subscribe(4));
        bus.publish(&event(1));
        assert_eq!(bus.subscriber_count(), 0);
    }
}
