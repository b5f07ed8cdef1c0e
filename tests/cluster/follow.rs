//! Following the partition logs: every entry once, in order, from where a copy stands; a
//! blocked read wakes as soon as an entry is appended; a log that lost entries a copy needs
//! is a gap, never skipped.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use hotline_dispatch::cluster::follower::{Followed, Follower};
use hotline_dispatch::cluster::lease::{self, LeaseTimes};
use hotline_dispatch::cluster::log::{self, Appended, NewEntry};

use crate::common::redis::RedisServer;

const TIMES: LeaseTimes = LeaseTimes {
    ttl: Duration::from_secs(30),
    margin: Duration::from_secs(1),
};

/// Appends `n` entries to `partition` as its owner `a`, after `head`.
async fn write(redis: &RedisServer, partition: &str, head: u64, n: u64) {
    let mut conn = redis.connection().await;
    let l = lease::take(&mut conn, partition, "a", TIMES)
        .await
        .expect("redis")
        .expect("free or a's");
    let entries: Vec<NewEntry> = (1..=n)
        .map(|i| NewEntry {
            command: format!("{partition}-{}", head + i),
            data: vec![u8::try_from(i).unwrap_or(0)],
        })
        .collect();
    let done = log::append(&mut conn, partition, "a", l.token, head + 1, &entries).await;
    assert_eq!(done.expect("redis"), Appended::Done { last: head + n });
}

fn seqs(answer: &[Followed]) -> BTreeMap<String, Vec<u64>> {
    answer
        .iter()
        .filter_map(|f| match f {
            Followed::Entries { partition, entries } => {
                Some((partition.clone(), entries.iter().map(|e| e.seq).collect()))
            }
            Followed::Gap { .. } => None,
        })
        .collect()
}

#[actix_web::test]
async fn a_copy_reads_every_entry_once_from_where_it_stands_and_wakes_on_an_append() {
    let redis = RedisServer::start();
    write(&redis, "p1", 0, 3).await;
    write(&redis, "p2", 0, 2).await;
    let block = Duration::from_secs(5);
    let start = BTreeMap::from([("p1".to_owned(), 0), ("p2".to_owned(), 0)]);
    let conn = redis.blocking_connection(block * 2).await;
    let mut follower = Follower::new(conn, start, block);
    let first = follower.next().await.expect("redis");
    assert_eq!(
        seqs(&first),
        BTreeMap::from([("p1".into(), vec![1, 2, 3]), ("p2".into(), vec![1, 2])])
    );
    assert_eq!(follower.positions()["p1"], 3);

    // Restarted where its store stood: only what came after.
    let stood = follower.positions().clone();
    write(&redis, "p1", 3, 1).await;
    let conn = redis.blocking_connection(block * 2).await;
    let mut follower = Follower::new(conn, stood, block);
    let next = follower.next().await.expect("redis");
    assert_eq!(seqs(&next), BTreeMap::from([("p1".into(), vec![4])]));

    // Nothing new: the read waits, and an append wakes it at once.
    let appender = {
        let url = redis.url();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            let client = redis::Client::open(url).expect("url");
            let mut conn = client
                .get_multiplexed_async_connection()
                .await
                .expect("redis");
            let l = lease::take(&mut conn, "p2", "a", TIMES)
                .await
                .expect("redis")
                .expect("a's");
            let e = [NewEntry {
                command: "late".into(),
                data: b"x".to_vec(),
            }];
            log::append(&mut conn, "p2", "a", l.token, 3, &e)
                .await
                .expect("redis")
        })
    };
    let asked = Instant::now();
    let woken = follower.next().await.expect("redis");
    assert!(
        asked.elapsed() < block,
        "woken by the append, not the time-out"
    );
    assert_eq!(seqs(&woken), BTreeMap::from([("p2".into(), vec![3])]));
    assert_eq!(appender.await.expect("ran"), Appended::Done { last: 3 });
}

#[actix_web::test]
async fn a_log_trimmed_past_a_copy_is_a_gap() {
    let redis = RedisServer::start();
    write(&redis, "p1", 0, 5).await;
    let mut conn = redis.connection().await;
    let _: u64 = redis::cmd("XTRIM")
        .arg(hotline_dispatch::cluster::keys::log("p1"))
        .arg("MINID")
        .arg("4-0")
        .query_async(&mut conn)
        .await
        .expect("redis");
    let block = Duration::from_millis(500);
    let conn = redis.blocking_connection(block * 4).await;
    let mut behind = Follower::new(conn, BTreeMap::from([("p1".to_owned(), 1)]), block);
    let answer = behind.next().await.expect("redis");
    assert_eq!(
        answer,
        [Followed::Gap {
            partition: "p1".into(),
            after: 1,
            found: 4
        }]
    );
    assert_eq!(behind.positions()["p1"], 1, "a gap moves nothing");
    let conn = redis.blocking_connection(block * 4).await;
    let mut current = Follower::new(conn, BTreeMap::from([("p1".to_owned(), 3)]), block);
    let answer = current.next().await.expect("redis");
    assert_eq!(seqs(&answer), BTreeMap::from([("p1".into(), vec![4, 5])]));
}
