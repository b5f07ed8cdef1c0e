//! The partitions this node owns, kept by one loop: each round it beats, reads the live
//! nodes, and for every partition takes the lease it should hold (rendezvous over the live
//! nodes), renews the ones it holds, and hands back the ones that now belong to another
//! live node. A lease it could not renew is dropped here as soon as its own valid time
//! runs out, before Redis can give it to anyone else, so this node has stopped writing by
//! then; the append script's fencing check holds even if this loop itself is paused.
//!
//! The loop has a connection of its own (a Redis stall delays its round, never another
//! loop's), and publishes what it holds on a `watch` channel for the writer and the
//! partition's actors.

use std::collections::BTreeMap;
use std::time::Duration;

use redis::aio::ConnectionManager;
use tokio::sync::watch;

use super::lease::{self, Lease, LeaseTimes};
use super::members;

/// What this node holds: partition → lease.
pub type Held = BTreeMap<String, Lease>;

/// A handle on what this node owns, for whoever must check before writing.
#[derive(Clone)]
pub struct Ownership {
    held: watch::Receiver<Held>,
}

impl Ownership {
    /// Nothing held yet; the keeper publishes on the sender.
    pub fn channel() -> (watch::Sender<Held>, Ownership) {
        let (tx, rx) = watch::channel(Held::new());
        (tx, Ownership { held: rx })
    }

    /// The lease to write `partition` under, if this node holds it and it is still valid.
    pub fn lease(&self, partition: &str) -> Option<Lease> {
        self.held
            .borrow()
            .get(partition)
            .filter(|l| l.is_valid())
            .cloned()
    }

    /// The partitions held now, with their tokens.
    pub fn held(&self) -> BTreeMap<String, u64> {
        self.held
            .borrow()
            .iter()
            .filter(|(_, l)| l.is_valid())
            .map(|(p, l)| (p.clone(), l.token))
            .collect()
    }

    /// Waits for the next change of what is held.
    pub async fn changed(&mut self) -> bool {
        self.held.changed().await.is_ok()
    }
}

/// The settings the loop runs by.
#[derive(Clone, Debug)]
pub struct KeeperSettings {
    pub node: String,
    pub partitions: Vec<String>,
    pub lease: LeaseTimes,
    /// Time between rounds (beats, renewals); a third of the lease or less.
    pub every: Duration,
    /// A node silent this long is taken for dead and its partitions are taken over once
    /// their leases run out.
    pub node_timeout: Duration,
}

pub struct Keeper {
    settings: KeeperSettings,
    conn: ConnectionManager,
    held: watch::Sender<Held>,
}

impl Keeper {
    pub fn new(settings: KeeperSettings, conn: ConnectionManager) -> (Keeper, Ownership) {
        let (held, ownership) = Ownership::channel();
        (Keeper::publishing(settings, conn, held), ownership)
    }

    /// A keeper that publishes on `held` (from [`Ownership::channel`]), for a node whose
    /// writer needs the [`Ownership`] before the keeper's connection is made.
    pub fn publishing(
        settings: KeeperSettings,
        conn: ConnectionManager,
        held: watch::Sender<Held>,
    ) -> Keeper {
        Keeper {
            settings,
            conn,
            held,
        }
    }

    /// Runs rounds until `stop` turns true; then hands every lease back and leaves.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        loop {
            self.round().await;
            tokio::select! {
                _ = tokio::time::sleep(self.settings.every) => {}
                _ = stop.changed() => break,
            }
            if *stop.borrow() {
                break;
            }
        }
        self.leave().await;
    }

    /// One round: beat, then bring every partition's lease to where it belongs.
    async fn round(&mut self) {
        self.drop_expired();
        let s = &self.settings;
        let live = match members::beat(&mut self.conn, &s.node, s.node_timeout).await {
            Ok(live) => live,
            Err(e) => {
                tracing::warn!(error = %e, "cluster: heartbeat failed; leases run out unless renewed");
                return;
            }
        };
        let partitions = self.settings.partitions.clone();
        for p in partitions {
            let mine = members::owner(&p, &live) == Some(self.settings.node.as_str());
            let held = self.held.borrow().get(&p).cloned();
            let node = self.settings.node.clone();
            let times = self.settings.lease;
            let outcome = match (held, mine) {
                (Some(l), true) => lease::renew(&mut self.conn, &l, &node, times).await,
                (Some(l), false) => {
                    // Stop writing first, then hand the lease back.
                    self.set(&p, None);
                    lease::release(&mut self.conn, &l, &node)
                        .await
                        .map(|_| None)
                }
                (None, true) => lease::take(&mut self.conn, &p, &node, times).await,
                (None, false) => continue,
            };
            match outcome {
                Ok(lease) => self.set(&p, lease),
                Err(e) => {
                    tracing::warn!(partition = %p, error = %e, "cluster: lease request failed")
                }
            }
        }
    }

    fn set(&self, partition: &str, lease: Option<Lease>) {
        self.held.send_if_modified(|held| {
            let before = held.get(partition).map(|l| l.token);
            match &lease {
                Some(l) => held.insert(partition.to_owned(), l.clone()),
                None => held.remove(partition),
            };
            let after = lease.as_ref().map(|l| l.token);
            if before != after {
                match after {
                    Some(token) => tracing::info!(partition, token, "cluster: partition taken"),
                    None => tracing::warn!(partition, "cluster: partition let go"),
                }
            }
            before != after
        });
    }

    /// Forgets leases whose valid time ran out (this node could not renew them in time).
    fn drop_expired(&self) {
        self.held.send_if_modified(|held| {
            let before = held.len();
            held.retain(|p, l| {
                let valid = l.is_valid();
                if !valid {
                    tracing::warn!(partition = %p, "cluster: lease ran out before renewal; writes stop");
                }
                valid
            });
            before != held.len()
        });
    }

    /// Stops writing everything, hands every lease back and leaves the live nodes, so the
    /// others take over at once instead of after the leases run out.
    async fn leave(&mut self) {
        let mut held = Held::new();
        self.held.send_modify(|h| held = std::mem::take(h));
        let node = self.settings.node.clone();
        for l in held.values() {
            let _ = lease::release(&mut self.conn, l, &node).await;
        }
        let _ = members::leave(&mut self.conn, &node).await;
    }
}

/// Starts the keeper on the current tokio runtime; sending `true` on the returned sender
/// stops it (it hands its leases back first).
pub fn spawn(keeper: Keeper) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (stop, rx) = watch::channel(false);
    let handle = tokio::spawn(keeper.run(rx));
    (stop, handle)
}
