//! The ownership loop: partitions spread over the live nodes, a dead node's are taken
//! over once their leases run out, a clean stop hands them over at once, and a node that
//! cannot renew stops counting its lease before Redis lets it go.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use hotline_dispatch::cluster::lease::LeaseTimes;
use hotline_dispatch::cluster::ownership::{self, Keeper, KeeperSettings, Ownership};

use crate::common::redis::RedisServer;

const LEASE: Duration = Duration::from_millis(1500);

fn partitions() -> Vec<String> {
    (1..=6).map(|i| format!("42118210{i}")).collect()
}

async fn keeper(redis: &RedisServer, node: &str) -> (Keeper, Ownership) {
    let settings = KeeperSettings {
        node: node.into(),
        partitions: partitions(),
        lease: LeaseTimes {
            ttl: LEASE,
            margin: Duration::from_millis(300),
        },
        every: Duration::from_millis(250),
        node_timeout: Duration::from_millis(900),
    };
    Keeper::new(settings, redis.connection().await)
}

fn held(o: &Ownership) -> BTreeSet<String> {
    o.held().into_keys().collect()
}

/// Waits (bounded) until `done` holds; answers how long it took.
async fn until(what: &str, limit: Duration, done: impl Fn() -> bool) -> Duration {
    let start = Instant::now();
    while !done() {
        assert!(start.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    start.elapsed()
}

#[actix_web::test]
async fn partitions_spread_over_live_nodes_and_a_dead_nodes_are_taken_over() {
    let redis = RedisServer::start();
    let (ka, a) = keeper(&redis, "node-a").await;
    let (kb, b) = keeper(&redis, "node-b").await;
    let (_stop_a, task_a) = ownership::spawn(ka);
    let (_stop_b, task_b) = ownership::spawn(kb);
    let all: BTreeSet<String> = partitions().into_iter().collect();
    until(
        "both nodes share the partitions",
        Duration::from_secs(10),
        || {
            let (ha, hb) = (held(&a), held(&b));
            ha.is_disjoint(&hb) && ha.union(&hb).cloned().collect::<BTreeSet<_>>() == all
        },
    )
    .await;
    assert!(
        !held(&a).is_empty() && !held(&b).is_empty(),
        "six partitions over two nodes: {:?} / {:?}",
        held(&a),
        held(&b)
    );
    let b_before = b.held();

    // node-b dies without a word (its loop stops; its leases stay in Redis until they run out).
    task_b.abort();
    let _ = task_b.await;
    let took = until(
        "node-a holds every partition",
        LEASE + Duration::from_secs(3),
        || held(&a) == all,
    )
    .await;
    assert!(
        took <= LEASE + Duration::from_secs(3),
        "taken over in {took:?}"
    );
    let a_after = a.held();
    for (p, token) in b_before {
        assert!(a_after[&p] > token, "{p}: a new owner's token is larger");
    }
    task_a.abort();
}

#[actix_web::test]
async fn a_clean_stop_hands_partitions_over_at_once() {
    let redis = RedisServer::start();
    let (ka, a) = keeper(&redis, "node-a").await;
    let (kb, b) = keeper(&redis, "node-b").await;
    let (_stop_a, task_a) = ownership::spawn(ka);
    let (stop_b, task_b) = ownership::spawn(kb);
    until("node-b holds some", Duration::from_secs(10), || {
        !held(&b).is_empty()
    })
    .await;
    stop_b.send(true).expect("b runs");
    let _ = task_b.await;
    assert!(held(&b).is_empty(), "b stopped writing everything");
    let all: BTreeSet<String> = partitions().into_iter().collect();
    // Well before the lease could have run out: b handed its leases back and left.
    until("node-a holds every partition", LEASE, || held(&a) == all).await;
    task_a.abort();
}

#[actix_web::test]
async fn a_node_that_cannot_renew_stops_writing_before_its_lease_ends() {
    let redis = RedisServer::start();
    let (ka, a) = keeper(&redis, "node-a").await;
    let (_stop, task) = ownership::spawn(ka);
    until(
        "node-a holds every partition",
        Duration::from_secs(10),
        || held(&a).len() == 6,
    )
    .await;
    // The loop stalls (a paused process, a Redis it cannot reach): no more renewals.
    task.abort();
    let _ = task.await;
    let p = partitions()[0].clone();
    until("a stops counting its lease", LEASE, || {
        a.lease(&p).is_none()
    })
    .await;
    let mut conn = redis.connection().await;
    let ttl: i64 = redis::cmd("PTTL")
        .arg(hotline_dispatch::cluster::keys::lease(&p))
        .query_async(&mut conn)
        .await
        .expect("redis");
    assert!(
        ttl > 0,
        "Redis still holds a's lease ({ttl} ms left) when a has already stopped"
    );
}
