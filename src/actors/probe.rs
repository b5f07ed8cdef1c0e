//! Where work queues. actix shows neither a mailbox's length nor how long a message waited
//! in it, so a probe is sent every second to each actor that every fix, offer or frame
//! passes through (the grid, the dispatcher, the stream hub) and to each arbiter thread
//! (ticket, vehicle, grid, group actors), and timed from its send to its answer. A probe
//! waits behind whatever was queued before it, so its wait is what any message sent at
//! that moment waits: `hotline_mailbox_wait_seconds{actor}` (histogram) and
//! `hotline_mailbox_wait_last_seconds{actor}` (the latest). One probe is in flight per
//! target, so a stalled actor is never sent more; its wait shows once it answers.

use std::future::Future;
use std::time::{Duration, Instant};

use actix::prelude::*;

/// How often each target is probed.
const PERIOD: Duration = Duration::from_secs(1);

/// Answered as soon as it is handled: its round trip is its wait in the mailbox.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Probe;

/// Implements [`Probe`] for actors that are watched.
#[macro_export]
macro_rules! probed {
    ($($actor:ty),+ $(,)?) => {$(
        impl ::actix::Handler<$crate::actors::probe::Probe> for $actor {
            type Result = ();
            fn handle(&mut self, _: $crate::actors::probe::Probe, _: &mut Self::Context) {}
        }
    )+};
}

/// Probes the actor at `addr` every second as `name`, on the current arbiter.
pub fn watch_actor<A>(name: impl Into<String>, addr: Addr<A>)
where
    A: Actor + Handler<Probe>,
    A::Context: actix::dev::ToEnvelope<A, Probe>,
{
    watch(name, move || {
        let sent = addr.send(Probe);
        async move {
            let _ = sent.await;
        }
    });
}

/// Probes the arbiter thread `arbiter` every second as `name`: a task spawned on it waits
/// behind every message and task queued there.
pub fn watch_arbiter(name: impl Into<String>, arbiter: ArbiterHandle) {
    watch(name, move || {
        let (done, answered) = tokio::sync::oneshot::channel::<()>();
        let spawned = arbiter.spawn(async move {
            let _ = done.send(());
        });
        async move {
            if spawned {
                let _ = answered.await;
            }
        }
    });
}

fn watch<F, Fut>(name: impl Into<String>, ping: F)
where
    F: Fn() -> Fut + 'static,
    Fut: Future<Output = ()> + 'static,
{
    let name = name.into();
    actix::spawn(async move {
        let mut tick = tokio::time::interval(PERIOD);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let sent = Instant::now();
            ping().await;
            let waited = sent.elapsed().as_secs_f64();
            metrics::histogram!("hotline_mailbox_wait_seconds", "actor" => name.clone())
                .record(waited);
            metrics::gauge!("hotline_mailbox_wait_last_seconds", "actor" => name.clone())
                .set(waited);
        }
    });
}

probed!(
    crate::actors::grid::HexGridActor,
    crate::actors::dispatch::DispatcherActor,
    crate::api::ws::hub::StreamHub,
);
