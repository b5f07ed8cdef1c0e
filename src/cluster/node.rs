//! This node's part in the cluster, started by the engine when `cluster.redis_url` is set:
//! the ownership loop (`ownership.rs`), the follower that stores every partition's log in
//! this node's sled (`follower.rs`), where a partition's writes go (its lease holder's
//! URL), and the forwarding client (`forward.rs`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use sha2::{Digest, Sha256};
use tokio::sync::{OnceCell, watch};
use tokio::task::JoinHandle;

use super::follower::{Followed, Follower};
use super::forward::{self, Answer, Call, Forwarded};
use super::lease::LeaseTimes;
use super::ownership::{Keeper, KeeperSettings, Ownership};
use super::registry::{self, Change};
use super::replicate::RedisReplication;
use super::{keys, partition};
use crate::actors::ticket::TicketDirectory;
use crate::config::ClusterSettings;
use crate::domain::area::ServiceArea;
use crate::domain::error_code::ErrorCode;
use crate::domain::role::Principal;
use crate::service::Error;
use crate::store::{Store, StoreError, Write, Written};

/// How long a follower's read blocks waiting for new entries.
const FOLLOW_BLOCK: Duration = Duration::from_secs(2);
/// How long one Redis request of the writer or of a lookup may take.
const REDIS_TIMEOUT: Duration = Duration::from_secs(3);
/// How long a forwarded call may take at the owner (a write waits for two flushes).
const FORWARD_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("cluster.redis_url: {0}")]
    Redis(String),
    #[error(
        "cluster.redis_url: Redis must log every write before it answers (`appendonly yes`, `appendfsync always`); it runs with appendonly {appendonly}, appendfsync {appendfsync}"
    )]
    NotDurable {
        appendonly: String,
        appendfsync: String,
    },
}

pub struct Node {
    pub id: String,
    pub ownership: Ownership,
    partitions: Vec<String>,
    client: redis::Client,
    /// For lookups (lease holders, node URLs); made at first use.
    lookups: OnceCell<ConnectionManager>,
    http: reqwest::Client,
    /// SHA-256 of `cluster.secret`: what a forwarded call must prove.
    secret_hash: [u8; 32],
    secret: String,
    stop: watch::Sender<bool>,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// Told when this node takes partitions over (see [`Node::on_takeover`]).
    taken: Taken,
}

type Taken = Arc<Mutex<Option<Arc<dyn Fn() + Send + Sync>>>>;

impl Node {
    /// Checks that Redis logs every write before it answers, records this node's URL and
    /// starts the ownership loop. Must run inside a tokio runtime.
    pub fn start(
        settings: &ClusterSettings,
        area: &ServiceArea,
    ) -> Result<Arc<Node>, ClusterError> {
        let redis_error = |e: redis::RedisError| ClusterError::Redis(e.to_string());
        let client = redis::Client::open(settings.redis_url.trim()).map_err(redis_error)?;
        let mut conn = client
            .get_connection_with_timeout(REDIS_TIMEOUT)
            .map_err(redis_error)?;
        let config = |name: &str, conn: &mut redis::Connection| -> Result<String, ClusterError> {
            let pair: Vec<String> = redis::cmd("CONFIG")
                .arg("GET")
                .arg(name)
                .query(conn)
                .map_err(redis_error)?;
            Ok(pair.get(1).cloned().unwrap_or_default())
        };
        let appendonly = config("appendonly", &mut conn)?;
        let appendfsync = config("appendfsync", &mut conn)?;
        if appendonly != "yes" || appendfsync != "always" {
            return Err(ClusterError::NotDurable {
                appendonly,
                appendfsync,
            });
        }
        let id = settings.node_id.trim().to_owned();
        redis::cmd("HSET")
            .arg(keys::node_urls())
            .arg(&id)
            .arg(settings.advertise_url.trim().trim_end_matches('/'))
            .query::<()>(&mut conn)
            .map_err(redis_error)?;
        let partitions = partition::all(area);
        let lease = Duration::from_millis(settings.lease_ms);
        let keeper_settings = KeeperSettings {
            node: id.clone(),
            partitions: partitions.clone(),
            lease: LeaseTimes {
                ttl: lease,
                margin: Duration::from_millis(settings.lease_margin_ms),
            },
            every: lease / 3,
            node_timeout: Duration::from_millis(settings.node_timeout_ms),
        };
        let (held, ownership) = Ownership::channel();
        let (stop, stopped) = watch::channel(false);
        let keeper_client = client.clone();
        let keeper = tokio::spawn(async move {
            let Some(conn) = connect(&keeper_client, REDIS_TIMEOUT, stopped.clone()).await else {
                return;
            };
            Keeper::publishing(keeper_settings, conn, held)
                .run(stopped)
                .await;
        });
        let http = reqwest::Client::builder()
            .timeout(FORWARD_TIMEOUT)
            .connect_timeout(REDIS_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ClusterError::Redis(format!("the forwarding client: {e}")))?;
        tracing::info!(node = %id, partitions = partitions.len(), "cluster: node started");
        Ok(Arc::new(Node {
            id,
            ownership,
            partitions,
            client,
            lookups: OnceCell::new(),
            http,
            secret_hash: Sha256::digest(settings.secret.expose().trim()).into(),
            secret: settings.secret.expose().trim().to_owned(),
            stop,
            tasks: Mutex::new(vec![keeper]),
            taken: Taken::default(),
        }))
    }

    /// What the store's writer needs: the partitions' logs, on a connection of its own.
    pub fn replication(&self, area: Arc<ServiceArea>) -> RedisReplication {
        RedisReplication::new(
            self.client.clone(),
            self.id.clone(),
            self.ownership.clone(),
            area,
            REDIS_TIMEOUT,
        )
    }

    /// Starts following every partition's log into `store` (entries and positions in one
    /// write); the actors of tickets changed elsewhere are stopped, to start again from
    /// the store.
    pub fn follow(&self, store: Arc<dyn Store>, tickets: Arc<TicketDirectory>) {
        let client = self.client.clone();
        let partitions = self.partitions.clone();
        let stopped = self.stop.subscribe();
        let held = (self.ownership.clone(), self.taken.clone());
        let task = tokio::spawn(follow(client, partitions, store, tickets, held, stopped));
        self.tasks.lock().push(task);
    }

    /// Starts following the registry log into `store` (every change, in the log's order);
    /// `followed` is told each batch of other nodes' changes once it is stored (to bring
    /// what is kept in memory up to them).
    pub fn follow_registry(
        &self,
        store: Arc<dyn Store>,
        followed: Box<dyn Fn(Vec<Change>) + Send + Sync>,
    ) {
        let client = self.client.clone();
        let node = self.id.clone();
        let stopped = self.stop.subscribe();
        // On the actix system's own thread: what `followed` starts (a team's actor) needs it.
        let task = actix::spawn(follow_registry(client, node, store, followed, stopped));
        self.tasks.lock().push(task);
    }

    /// Stops writing, hands the leases back and leaves the live nodes (a clean stop: the
    /// others take over at once).
    pub async fn leave(&self) {
        let _ = self.stop.send(true);
        let tasks = std::mem::take(&mut *self.tasks.lock());
        for task in tasks {
            let _ = tokio::time::timeout(REDIS_TIMEOUT, task).await;
        }
    }

    /// Calls `taken` each time this node takes a partition it did not hold (a takeover, or
    /// its share when it joins), and again when it stores entries of a partition it holds
    /// that another node wrote (catching up after a takeover), so that what the old owner
    /// left running (open offers) is taken up here from the store.
    pub fn on_takeover(&self, taken: Arc<dyn Fn() + Send + Sync>) {
        *self.taken.lock() = Some(taken.clone());
        let mut ownership = self.ownership.clone();
        let mut held: Vec<String> = ownership.held().into_keys().collect();
        let task = tokio::spawn(async move {
            while ownership.changed().await {
                let now: Vec<String> = ownership.held().into_keys().collect();
                if now.iter().any(|p| !held.contains(p)) {
                    taken();
                }
                held = now;
            }
        });
        self.tasks.lock().push(task);
    }

    /// Waits (up to `limit`) until this node holds every partition: it runs alone. The demo
    /// is loaded this way, by the first node, before the others start.
    pub async fn hold_everything(&self, limit: Duration) -> bool {
        let mut ownership = self.ownership.clone();
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            if self.ownership.held().len() == self.partitions.len() {
                return true;
            }
            if tokio::time::timeout_at(deadline, ownership.changed())
                .await
                .is_err()
            {
                return false;
            }
        }
    }

    /// Whether the cluster holds nothing yet: no partition log has an entry and the registry
    /// log is empty.
    pub async fn cluster_is_empty(&self) -> Result<bool, Error> {
        let mut conn = self.lookups().await?;
        for p in &self.partitions {
            let head = super::log::head(&mut conn, p)
                .await
                .map_err(forward::unreachable)?;
            if head.seq > 0 {
                return Ok(false);
            }
        }
        let registry: u64 = redis::cmd("XLEN")
            .arg(keys::registry())
            .query_async(&mut conn)
            .await
            .map_err(forward::unreachable)?;
        Ok(registry == 0)
    }

    /// Whether a forwarded call proves the cluster's secret.
    pub fn trusts(&self, presented: &str) -> bool {
        let hash: [u8; 32] = Sha256::digest(presented.trim()).into();
        hash == self.secret_hash
    }

    /// Where a write of `partition` goes: `None` here, else the owner's URL. No owner
    /// (a takeover under way) is a 503 to retry.
    pub async fn owner_url(&self, partition: &str) -> Result<Option<String>, Error> {
        if self.ownership.lease(partition).is_some() {
            return Ok(None);
        }
        let mut conn = self.lookups().await?;
        let holder: Option<String> = redis::cmd("GET")
            .arg(keys::lease(partition))
            .query_async(&mut conn)
            .await
            .map_err(forward::unreachable)?;
        let node = holder
            .as_deref()
            .and_then(|h| h.rsplit_once(':'))
            .map(|(node, _)| node.to_owned())
            .filter(|node| *node != self.id)
            .ok_or_else(|| {
                Error::of(
                    ErrorCode::NotOwner,
                    format!("partition `{partition}` is changing owner; retry"),
                )
                .with_retry_after(1)
            })?;
        let url: Option<String> = redis::cmd("HGET")
            .arg(keys::node_urls())
            .arg(&node)
            .query_async(&mut conn)
            .await
            .map_err(forward::unreachable)?;
        url.map(Some)
            .ok_or_else(|| forward::unreachable(format!("node `{node}` has no URL")))
    }

    /// Sends `call` to the owner at `url` as `by`; one retry, under the same command id,
    /// if the first attempt got no answer.
    pub async fn forward(&self, url: &str, by: &Principal, call: Call) -> Result<Answer, Error> {
        let forwarded = Forwarded {
            command: uuid::Uuid::new_v4().to_string(),
            by: by.clone(),
            call,
        };
        let body = serde_json::to_vec(&forwarded)
            .map_err(|e| Error::malformed(format!("the call cannot be forwarded: {e}")))?;
        let mut last = String::new();
        for attempt in 0..2 {
            let sent = self
                .http
                .post(format!("{url}{}", forward::PATH))
                .bearer_auth(&self.secret)
                .header("content-type", "application/json")
                .body(body.clone())
                .send()
                .await;
            match sent {
                Ok(answer) if answer.status().is_success() => {
                    let bytes = answer.bytes().await.map_err(forward::unreachable)?;
                    let answer: Answer =
                        serde_json::from_slice(&bytes).map_err(forward::unreachable)?;
                    metrics::counter!("hotline_cluster_forwarded_total").increment(1);
                    return answer.into_result();
                }
                Ok(answer) => {
                    return Err(forward::unreachable(format!("HTTP {}", answer.status())));
                }
                Err(e) => {
                    tracing::warn!(attempt, error = %e, command = %forwarded.command, "cluster: forwarded call got no answer");
                    last = e.to_string();
                }
            }
        }
        Err(forward::unreachable(last))
    }

    async fn lookups(&self) -> Result<ConnectionManager, Error> {
        let conn = self
            .lookups
            .get_or_try_init(|| async {
                let config =
                    ConnectionManagerConfig::new().set_response_timeout(Some(REDIS_TIMEOUT));
                ConnectionManager::new_with_config(self.client.clone(), config).await
            })
            .await
            .map_err(forward::unreachable)?;
        Ok(conn.clone())
    }
}

/// A connection for a loop, retried until made or stopped.
async fn connect(
    client: &redis::Client,
    timeout: Duration,
    mut stopped: watch::Receiver<bool>,
) -> Option<ConnectionManager> {
    loop {
        let config = ConnectionManagerConfig::new().set_response_timeout(Some(timeout));
        match ConnectionManager::new_with_config(client.clone(), config).await {
            Ok(conn) => return Some(conn),
            Err(e) => tracing::warn!(error = %e, "cluster: cannot reach Redis; retrying"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stopped.changed() => return None,
        }
        if *stopped.borrow() {
            return None;
        }
    }
}

/// The registry follower: stores other nodes' registry changes in order, with the
/// position, then tells `followed`.
async fn follow_registry(
    client: redis::Client,
    node: String,
    store: Arc<dyn Store>,
    followed: Box<dyn Fn(Vec<Change>) + Send + Sync>,
    mut stopped: watch::Receiver<bool>,
) {
    let block = u64::try_from(FOLLOW_BLOCK.as_millis()).unwrap_or(2000);
    'connecting: loop {
        let Some(mut conn) = connect(&client, FOLLOW_BLOCK + REDIS_TIMEOUT, stopped.clone()).await
        else {
            return;
        };
        loop {
            let after = match store.registry_position() {
                Ok(p) => p.unwrap_or_else(|| "0-0".to_owned()),
                Err(e) => {
                    tracing::error!(error = %e, "cluster: cannot read the registry position");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            let read = tokio::select! {
                read = registry::read(&mut conn, &after, &node, block) => read,
                _ = stopped.changed() => return,
            };
            let read = match read {
                Ok(r) => r,
                Err(e) => {
                    tracing::warn!(error = %e, "cluster: following the registry failed; reconnecting");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue 'connecting;
                }
            };
            let Some(position) = read.last else {
                continue;
            };
            let write = Write::FollowRegistry {
                position,
                changes: read.changes,
            };
            let others = read.others;
            match store.submit(write).await {
                Ok(_) if !others.is_empty() => followed(others),
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "cluster: storing registry changes failed; reading again");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        }
    }
}

/// The follower loop: reads every log past this store's positions and stores what came.
/// On any failure it starts again from the positions the store holds.
async fn follow(
    client: redis::Client,
    partitions: Vec<String>,
    store: Arc<dyn Store>,
    tickets: Arc<TicketDirectory>,
    (ownership, taken): (Ownership, Taken),
    mut stopped: watch::Receiver<bool>,
) {
    let pause = Duration::from_millis(500);
    loop {
        if *stopped.borrow() {
            return;
        }
        let Some(conn) = connect(&client, FOLLOW_BLOCK + REDIS_TIMEOUT, stopped.clone()).await
        else {
            return;
        };
        let mut positions: BTreeMap<String, u64> = match store.positions() {
            Ok(p) => p,
            Err(e) => {
                tracing::error!(error = %e, "cluster: cannot read the followed positions");
                tokio::time::sleep(pause).await;
                continue;
            }
        };
        for p in &partitions {
            positions.entry(p.clone()).or_insert(0);
        }
        let mut follower = Follower::new(conn, positions, FOLLOW_BLOCK);
        let mut behind = false;
        'reading: loop {
            let read = tokio::select! {
                read = follower.next() => read,
                _ = stopped.changed() => return,
            };
            let mut batches = match read {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "cluster: following the logs failed; reconnecting");
                    break 'reading;
                }
            };
            // `unplaced` first: a ticket placed at triage goes on in its town's log, and
            // the entry that placed it must be stored before those.
            batches.sort_by_key(|f| !matches!(f, Followed::Entries { partition, .. } if partition == partition::UNPLACED));
            for followed in batches {
                match followed {
                    Followed::Entries { partition, entries } => {
                        let n = entries.len();
                        let write = Write::Follow {
                            partition: partition.clone(),
                            entries,
                        };
                        match store.submit(write).await {
                            Ok(Written::Followed { tickets: changed }) => {
                                metrics::counter!("hotline_cluster_followed_total")
                                    .increment(n as u64);
                                if !changed.is_empty() {
                                    tickets.followed(&changed);
                                    // Another node's writes in a partition held here: the
                                    // tail this node caught up with after taking it over.
                                    let caught_up = ownership.lease(&partition).is_some();
                                    let taken = taken.lock().clone();
                                    if let Some(taken) = taken.filter(|_| caught_up) {
                                        taken();
                                    }
                                }
                            }
                            Ok(_) => {}
                            Err(StoreError::Behind(why)) => {
                                // Read again from what is stored: the handover comes first.
                                tracing::debug!(%why, "cluster: followed entries ahead of this copy");
                                behind = true;
                                break 'reading;
                            }
                            Err(e) => {
                                tracing::warn!(error = %e, "cluster: storing followed entries failed; reading again");
                                break 'reading;
                            }
                        }
                    }
                    Followed::Gap {
                        partition,
                        after,
                        found,
                    } => {
                        // The log no longer holds what this copy needs next: it must be
                        // rebuilt from a snapshot, never patched (docs/cluster.md).
                        tracing::error!(%partition, after, found, "cluster: this node's copy of a partition has a gap; its copy stays where it is until rebuilt");
                        metrics::counter!("hotline_cluster_gaps_total").increment(1);
                    }
                }
            }
        }
        if !behind {
            tokio::time::sleep(pause).await;
        }
    }
}
