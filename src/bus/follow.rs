//! Following the ticket changes on the bus from inside an actor: one subscription of
//! interest [`Interest::Tickets`], each change handed to the actor, and a call to resync
//! once the bus has cut the actor off.

use std::marker::PhantomData;
use std::pin::Pin;
use std::task::Poll;

use actix::fut::ActorFuture;
use actix::{Actor, AsyncContext, Context};

use super::{BusEvent, EventBus, Interest, Subscription, TicketUpdate};

/// Events a follower may have queued before the bus cuts it off.
pub const FOLLOWER_QUEUE: usize = 1 << 16;

/// An actor that follows every committed ticket change, in the bus's order.
pub trait TicketFollower: Actor<Context = Context<Self>> {
    /// Its name in the log line when the bus cuts it off.
    const NAME: &'static str;

    /// Takes in one committed ticket change.
    fn on_ticket(&mut self, update: TicketUpdate, ctx: &mut Context<Self>);

    /// The bus cut this follower off (its queue filled) or closed: what it derived from
    /// events may have missed some. It rebuilds that from the store and calls
    /// [`follow_tickets`] again, in the order it needs (subscribing first misses nothing
    /// but may show it changes its rebuild already holds).
    fn resync(&mut self, ctx: &mut Context<Self>);
}

/// Subscribes the actor of `ctx` to the ticket changes on `bus`: each goes to
/// [`TicketFollower::on_ticket`], and [`TicketFollower::resync`] is called once the bus
/// drops the subscription.
pub fn follow_tickets<A: TicketFollower>(bus: &EventBus, ctx: &mut Context<A>) {
    ctx.spawn(Following::<A> {
        subscription: bus.subscribe(FOLLOWER_QUEUE, Interest::Tickets),
        follower: PhantomData,
    });
}

/// A follower's subscription driven inside its actor, as actix drives a stream handler:
/// at most 16 events a turn (a burst cannot starve the actor's timers), and none while the
/// actor waits on a future of its own.
struct Following<A> {
    subscription: Subscription,
    follower: PhantomData<fn(A)>,
}

impl<A: TicketFollower> ActorFuture<A> for Following<A> {
    type Output = ();

    fn poll(
        self: Pin<&mut Self>,
        act: &mut A,
        ctx: &mut Context<A>,
        task: &mut std::task::Context<'_>,
    ) -> Poll<()> {
        let this = self.get_mut();
        for _ in 0..16 {
            match this.subscription.rx.poll_recv(task) {
                Poll::Pending => return Poll::Pending,
                Poll::Ready(Some(BusEvent::Ticket(update))) => {
                    act.on_ticket(update, ctx);
                    if ctx.waiting() {
                        return Poll::Pending;
                    }
                }
                Poll::Ready(Some(_)) => {}
                Poll::Ready(None) => {
                    tracing::error!(
                        follower = A::NAME,
                        lagged = this.subscription.lagged(),
                        "bus subscription lost; rebuilding from the store"
                    );
                    act.resync(ctx);
                    return Poll::Ready(());
                }
            }
        }
        task.waker().wake_by_ref();
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::bus::tests::event;

    /// Keeps the ids of the changes it is given and counts how often it was cut off.
    struct Follower {
        bus: Arc<EventBus>,
        seen: Vec<u64>,
        resyncs: usize,
    }

    impl Actor for Follower {
        type Context = Context<Self>;
        fn started(&mut self, ctx: &mut Context<Self>) {
            follow_tickets(&self.bus, ctx);
        }
    }

    impl TicketFollower for Follower {
        const NAME: &'static str = "test follower";
        fn on_ticket(&mut self, update: TicketUpdate, _: &mut Context<Self>) {
            self.seen.push(update.event_id);
        }
        fn resync(&mut self, ctx: &mut Context<Self>) {
            self.resyncs += 1;
            follow_tickets(&self.bus, ctx);
        }
    }

    #[derive(actix::Message)]
    #[rtype(result = "(Vec<u64>, usize)")]
    struct Seen;

    impl actix::Handler<Seen> for Follower {
        type Result = actix::MessageResult<Seen>;
        fn handle(&mut self, _: Seen, _: &mut Context<Self>) -> Self::Result {
            actix::MessageResult((std::mem::take(&mut self.seen), self.resyncs))
        }
    }

    #[test]
    fn a_follower_gets_every_change_in_order_and_resyncs_once_cut_off() {
        actix::System::new().block_on(async {
            let bus = Arc::new(EventBus::new());
            let follower = Follower {
                bus: bus.clone(),
                seen: Vec::new(),
                resyncs: 0,
            }
            .start();
            let (seen, _) = follower.send(Seen).await.expect("answered");
            assert!(seen.is_empty());
            assert_eq!(bus.subscriber_count(), 1, "subscribed once started");

            // Published without yielding: the follower's queue fills and one more cuts it off.
            let last = FOLLOWER_QUEUE as u64 + 1;
            for id in 1..=last {
                bus.publish(BusEvent::Ticket(event(id)));
            }
            let mut got = Vec::new();
            let resyncs = loop {
                let (seen, resyncs) = follower.send(Seen).await.expect("answered");
                got.extend(seen);
                if resyncs > 0 {
                    break resyncs;
                }
            };
            assert_eq!(resyncs, 1);
            assert_eq!(
                got,
                (1..last).collect::<Vec<_>>(),
                "what was queued, in order"
            );

            // Following again: the next change arrives.
            assert_eq!(bus.subscriber_count(), 1);
            bus.publish(BusEvent::Ticket(event(last + 1)));
            let mut got = Vec::new();
            while got.is_empty() {
                got = follower.send(Seen).await.expect("answered").0;
            }
            assert_eq!(got, vec![last + 1]);
        });
    }
}
