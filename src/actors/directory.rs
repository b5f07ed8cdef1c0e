//! An actor directory: live actors of one kind by id, spread over a few arbiters, and the
//! watchdog actix lacks. A panic drops an actor and closes its mailbox; actix's Supervisor
//! would not restart it. The directory notices a closed mailbox on the next lookup and
//! starts a new actor from what the caller rebuilds out of the store. Ticket actors, group
//! coordinators and vehicle actors each have one (`ticket::TicketDirectory`,
//! `coordinator::CoordinatorDirectory`, `fleet::FleetDirectory`); what an actor is rebuilt
//! from, and when, stays with them.

use std::collections::HashMap;
use std::fmt::Display;
use std::hash::{DefaultHasher, Hash, Hasher};

use actix::{Actor, Addr, ArbiterHandle, Context};
use parking_lot::RwLock;

/// Test-only fault injection: the actor panics while handling this.
#[cfg(feature = "fault-injection")]
#[derive(actix::Message)]
#[rtype(result = "()")]
pub struct InjectPanic;

pub struct Directory<K, A: Actor> {
    actors: RwLock<HashMap<K, Addr<A>>>,
    /// Where the actors run; an id always lands on the same one.
    arbiters: Vec<ArbiterHandle>,
    /// What the actors are (`ticket`), for the log line when one is rebuilt.
    kind: &'static str,
    /// The counter of rebuilds, e.g. `hotline_ticket_actor_rebuilds_total`.
    rebuilds: &'static str,
}

impl<K, A> Directory<K, A>
where
    K: Clone + Eq + Hash + Display,
    A: Actor<Context = Context<A>>,
{
    /// `arbiters` run the actors; at least one is required.
    pub fn new(kind: &'static str, rebuilds: &'static str, arbiters: Vec<ArbiterHandle>) -> Self {
        assert!(!arbiters.is_empty(), "{kind} actors need an arbiter");
        Self {
            actors: RwLock::default(),
            arbiters,
            kind,
            rebuilds,
        }
    }

    /// Number of live actors.
    pub fn live(&self) -> usize {
        self.actors
            .read()
            .values()
            .filter(|a| a.connected())
            .count()
    }

    /// The actor of `id` if it is live; never starts one.
    pub fn find(&self, id: &K) -> Option<Addr<A>> {
        self.actors
            .read()
            .get(id)
            .filter(|a| a.connected())
            .cloned()
    }

    /// The ids with an actor, live or not.
    pub fn ids(&self) -> Vec<K> {
        self.actors.read().keys().cloned().collect()
    }

    /// The live actor of `id`; when it has none, or its mailbox closed, the one `make`
    /// builds (`None`: leave it without one). The directory stays locked while `make`
    /// runs, so two callers never start two actors for one id. Replacing a closed one
    /// counts as a rebuild; an actor that stopped for good (`make` gives `None`) does not.
    pub fn find_or_start<E, F>(
        &self,
        id: &K,
        make: impl FnOnce() -> Result<Option<F>, E>,
    ) -> Result<Option<Addr<A>>, E>
    where
        F: FnOnce() -> A + Send + 'static,
    {
        if let Some(addr) = self.find(id) {
            return Ok(Some(addr));
        }
        let mut actors = self.actors.write();
        let mut gone = false;
        if let Some(addr) = actors.get(id) {
            if addr.connected() {
                return Ok(Some(addr.clone()));
            }
            gone = true;
            actors.remove(id);
        }
        let Some(make) = make()? else {
            return Ok(None);
        };
        if gone {
            self.rebuilding(id);
        }
        let addr = self.spawn(id, make);
        actors.insert(id.clone(), addr.clone());
        Ok(Some(addr))
    }

    /// Hands `msg` to the live actor of `id` (starting the one `make` builds when it has
    /// none; `None` from `make` leaves it without one) with the directory locked, so that
    /// whatever `send` queues is queued before any [`retire`](Self::retire) of that actor:
    /// an actor retired is never sent another message. `make` runs unlocked (it may read
    /// the store); if another caller started an actor meanwhile, that one is used.
    pub fn send<M, E, F, R>(
        &self,
        id: &K,
        msg: M,
        make: impl FnOnce(&M) -> Result<Option<F>, E>,
        send: impl FnOnce(&Addr<A>, M) -> R,
    ) -> Result<Option<R>, E>
    where
        F: FnOnce() -> A + Send + 'static,
    {
        if let Some(addr) = self.actors.read().get(id).filter(|a| a.connected()) {
            return Ok(Some(send(addr, msg)));
        }
        let made = make(&msg)?;
        let mut actors = self.actors.write();
        if let Some(addr) = actors.get(id).filter(|a| a.connected()) {
            return Ok(Some(send(addr, msg)));
        }
        // An entry whose mailbox closed is an actor that failed (a retired one is removed).
        let gone = actors.remove(id).is_some();
        let Some(made) = made else {
            return Ok(None);
        };
        if gone {
            self.rebuilding(id);
        }
        let addr = self.spawn(id, made);
        let sent = send(&addr, msg);
        actors.insert(id.clone(), addr);
        Ok(Some(sent))
    }

    /// Takes the actors whose ids `idle` picks out of the directory and hands each to
    /// `stop` (which tells it to stop). `idle` is made with the directory locked, and every
    /// message sent through [`send`](Self::send) before is queued ahead of the stop; none
    /// after reaches it, and the next one for that id starts a new actor. Returns how many
    /// were retired.
    pub fn retire<P: Fn(&K) -> bool>(
        &self,
        idle: impl FnOnce() -> P,
        stop: impl Fn(&Addr<A>),
    ) -> usize {
        let mut actors = self.actors.write();
        let idle = idle();
        let before = actors.len();
        actors.retain(|id, addr| {
            if !idle(id) {
                return true;
            }
            stop(addr);
            false
        });
        before - actors.len()
    }

    /// Starts the actor `make` builds for `id` unless a live one is there already (it may
    /// have been woken meanwhile: keep that one, never run two).
    pub fn start_unless_live(&self, id: &K, make: impl FnOnce() -> A + Send + 'static) {
        let mut actors = self.actors.write();
        if !actors.get(id).is_some_and(|a| a.connected()) {
            actors.insert(id.clone(), self.spawn(id, make));
        }
    }

    /// Starts the actor `make` builds for `id`, in place of any earlier one.
    pub fn start(&self, id: &K, make: impl FnOnce() -> A + Send + 'static) -> Addr<A> {
        // Spawned with the directory locked: the actor may act at once (a new ticket's is
        // filed and published within a millisecond), and whoever looks it up after that
        // must find it, never start a second one.
        let mut actors = self.actors.write();
        let addr = self.spawn(id, make);
        actors.insert(id.clone(), addr.clone());
        addr
    }

    /// Replaces the actor of `id`, known to be gone (its mailbox refused or dropped a
    /// message), with the one `make` builds; `None` from `make` leaves it without one.
    pub fn rebuild<E, F>(
        &self,
        id: &K,
        make: impl FnOnce() -> Result<Option<F>, E>,
    ) -> Result<Option<Addr<A>>, E>
    where
        F: FnOnce() -> A + Send + 'static,
    {
        let mut actors = self.actors.write();
        actors.remove(id);
        let Some(make) = make()? else {
            return Ok(None);
        };
        self.rebuilding(id);
        let addr = self.spawn(id, make);
        actors.insert(id.clone(), addr.clone());
        Ok(Some(addr))
    }

    /// Drops the directory's entry for `id`; the next lookup starts a new actor.
    pub fn forget(&self, id: &K) {
        self.actors.write().remove(id);
    }

    /// Test-only: makes the actor of `id` panic; true once it is gone (its mailbox closed).
    #[cfg(feature = "fault-injection")]
    pub async fn inject_panic(&self, id: &K) -> bool
    where
        A: actix::Handler<InjectPanic>,
    {
        let addr = self.actors.read().get(id).cloned();
        let Some(addr) = addr else { return false };
        if addr.send(InjectPanic).await.is_ok() {
            return false;
        }
        // The reply is dropped while unwinding; the mailbox closes a moment later.
        for _ in 0..1000 {
            if !addr.connected() {
                return true;
            }
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
        }
        false
    }

    fn rebuilding(&self, id: &K) {
        tracing::warn!(kind = self.kind, id = %id, "actor gone; rebuilding from the store");
        metrics::counter!(self.rebuilds).increment(1);
    }

    fn spawn(&self, id: &K, make: impl FnOnce() -> A + Send + 'static) -> Addr<A> {
        let mut h = DefaultHasher::new();
        id.hash(&mut h);
        let arbiter = &self.arbiters[(h.finish() as usize) % self.arbiters.len()];
        A::start_in_arbiter(arbiter, move |_| make())
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use actix::{ActorContext, Arbiter, Handler, Message};

    use super::*;

    /// An actor that says which one it is, and stops when told (its mailbox closes, as
    /// after a panic).
    struct Probe(u32);

    impl Actor for Probe {
        type Context = Context<Self>;
    }

    #[derive(Message)]
    #[rtype(result = "u32")]
    struct Which;

    impl Handler<Which> for Probe {
        type Result = u32;
        fn handle(&mut self, _: Which, _: &mut Context<Self>) -> u32 {
            self.0
        }
    }

    #[derive(Message)]
    #[rtype(result = "()")]
    struct Stop;

    impl Handler<Stop> for Probe {
        type Result = ();
        fn handle(&mut self, _: Stop, ctx: &mut Context<Self>) {
            ctx.stop();
        }
    }

    fn probe(n: u32) -> Result<Option<impl FnOnce() -> Probe + Send + 'static>, ()> {
        Ok(Some(move || Probe(n)))
    }

    fn nobody() -> Result<Option<fn() -> Probe>, ()> {
        Ok(None)
    }

    async fn which(addr: Option<Addr<Probe>>) -> u32 {
        addr.expect("an actor").send(Which).await.expect("answered")
    }

    async fn closed(addr: &Addr<Probe>) {
        while addr.connected() {
            tokio::task::yield_now().await;
        }
    }

    #[test]
    fn a_live_actor_is_kept_a_closed_one_is_rebuilt_and_an_unknown_id_gets_none() {
        actix::System::new().block_on(async {
            let dir: Directory<u32, Probe> = Directory::new(
                "probe",
                "test_probe_rebuilds_total",
                vec![Arbiter::current()],
            );
            assert_eq!(
                which(dir.find_or_start(&1, || probe(1)).expect("looked up")).await,
                1
            );
            let made = Cell::new(false);
            let again = dir.find_or_start(&1, || {
                made.set(true);
                probe(2)
            });
            assert_eq!(
                which(again.expect("looked up")).await,
                1,
                "the live one is kept"
            );
            assert!(!made.get(), "nothing is built for a live actor");
            assert_eq!(dir.live(), 1);

            let first = dir.find(&1).expect("live");
            first.send(Stop).await.expect("stopped");
            closed(&first).await;
            assert_eq!(dir.live(), 0);
            assert!(dir.find(&1).is_none(), "find never rebuilds");
            assert_eq!(
                which(dir.find_or_start(&1, || probe(2)).expect("looked up")).await,
                2
            );
            assert_eq!(dir.live(), 1);

            assert!(dir.find_or_start(&9, nobody).expect("looked up").is_none());
            assert_eq!(dir.ids(), vec![1]);
        });
    }

    #[test]
    fn start_unless_live_keeps_a_woken_actor_and_rebuild_replaces_one() {
        actix::System::new().block_on(async {
            let dir: Directory<u32, Probe> = Directory::new(
                "probe",
                "test_probe_rebuilds_total",
                vec![Arbiter::current()],
            );
            dir.start(&1, || Probe(1));
            dir.start_unless_live(&1, || Probe(2));
            assert_eq!(which(dir.find(&1)).await, 1);
            assert_eq!(
                which(dir.rebuild(&1, || probe(3)).expect("looked up")).await,
                3
            );
            assert_eq!(which(dir.find(&1)).await, 3);
            assert!(dir.rebuild(&1, nobody).expect("looked up").is_none());
            assert!(dir.find(&1).is_none(), "gone for good");
            dir.start_unless_live(&1, || Probe(5));
            assert_eq!(which(dir.find(&1)).await, 5);
            dir.forget(&1);
            assert_eq!((dir.live(), dir.ids().len()), (0, 0));
        });
    }
}
