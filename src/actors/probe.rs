//! Where work queues. actix shows neither a mailbox's length nor how long a message waited
//! in it, so a probe is sent every second to each actor that every fix, offer or frame
//! passes through (the grid, the dispatcher, the stream hub) and to each arbiter thread
//! (ticket, vehicle, grid, group actors). The probe carries its send time and is timed where
//! it is handled, so a busy sender does not count: a probe waits behind whatever was queued
//! before it, and its wait is what any message sent at that moment waits.
//! `hotline_mailbox_wait_seconds{actor}` (histogram) and
//! `hotline_mailbox_wait_last_seconds{actor}` (the latest; it grows while a probe is still
//! waiting, so a stalled actor shows at once). One probe is in flight per target; a target
//! that is gone ends its probing.

use std::future::Future;
use std::pin::pin;
use std::time::{Duration, Instant};

use actix::prelude::*;

/// How often each target is probed.
const PERIOD: Duration = Duration::from_secs(1);

/// Handled as soon as it is reached: the time since `sent` is the wait in the mailbox.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Probe {
    pub sent: Instant,
    pub actor: String,
}

impl Probe {
    /// Records the wait, where the probe is handled.
    pub fn reached(&self) {
        record(&self.actor, self.sent.elapsed());
    }
}

fn record(actor: &str, waited: Duration) {
    let waited = waited.as_secs_f64();
    metrics::histogram!("hotline_mailbox_wait_seconds", "actor" => actor.to_owned()).record(waited);
    metrics::gauge!("hotline_mailbox_wait_last_seconds", "actor" => actor.to_owned()).set(waited);
}

/// Implements [`Probe`] for actors that are watched.
#[macro_export]
macro_rules! probed {
    ($($actor:ty),+ $(,)?) => {$(
        impl ::actix::Handler<$crate::actors::probe::Probe> for $actor {
            type Result = ();
            fn handle(&mut self, probe: $crate::actors::probe::Probe, _: &mut Self::Context) {
                probe.reached();
            }
        }
    )+};
}

/// Probes the actor at `addr` every second as `name`, from the current arbiter.
pub fn watch_actor<A>(name: impl Into<String>, addr: Addr<A>)
where
    A: Actor + Handler<Probe>,
    A::Context: actix::dev::ToEnvelope<A, Probe>,
{
    let name = name.into();
    watch(name.clone(), move |sent| {
        let answer = addr.send(Probe {
            sent,
            actor: name.clone(),
        });
        async move { answer.await.is_ok() }
    });
}

/// Probes the arbiter thread `arbiter` every second as `name`: a task spawned on it waits
/// behind every message and task queued there.
pub fn watch_arbiter(name: impl Into<String>, arbiter: ArbiterHandle) {
    let name = name.into();
    watch(name.clone(), move |sent| {
        let (done, answered) = tokio::sync::oneshot::channel::<()>();
        let actor = name.clone();
        let spawned = arbiter.spawn(async move {
            record(&actor, sent.elapsed());
            let _ = done.send(());
        });
        async move { spawned && answered.await.is_ok() }
    });
}

/// Sends a probe every `PERIOD` with `ping` (which answers whether the target took it).
fn watch<F, Fut>(name: String, ping: F)
where
    F: Fn(Instant) -> Fut + 'static,
    Fut: Future<Output = bool> + 'static,
{
    actix::spawn(async move {
        let mut tick = tokio::time::interval(PERIOD);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let sent = Instant::now();
            let mut answer = pin!(ping(sent));
            let taken = loop {
                match tokio::time::timeout(PERIOD, &mut answer).await {
                    Ok(taken) => break taken,
                    // Still waiting: the stall shows as it grows.
                    Err(_) => {
                        metrics::gauge!("hotline_mailbox_wait_last_seconds", "actor" => name.clone())
                            .set(sent.elapsed().as_secs_f64());
                    }
                }
            };
            if !taken {
                tracing::debug!(actor = %name, "probed target gone; probing ends");
                return;
            }
        }
    });
}

probed!(
    crate::actors::grid::HexGridActor,
    crate::actors::dispatch::DispatcherActor,
    crate::api::ws::hub::StreamHub,
);
