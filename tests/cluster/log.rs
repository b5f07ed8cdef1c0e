//! The log's append script: only the current lease holder writes, only the next seq, each
//! command once; a new owner fences the old one.

use std::time::Duration;

use hotline_dispatch::cluster::lease::{self, LeaseTimes};
use hotline_dispatch::cluster::log::{self, Appended, NewEntry};

use crate::common::redis::RedisServer;

const TIMES: LeaseTimes = LeaseTimes {
    ttl: Duration::from_millis(400),
    margin: Duration::from_millis(100),
};

fn entries(commands: &[&str]) -> Vec<NewEntry> {
    commands
        .iter()
        .map(|c| NewEntry {
            command: (*c).to_owned(),
            data: format!("event of {c}").into_bytes(),
        })
        .collect()
}

async fn append(
    conn: &mut redis::aio::ConnectionManager,
    (partition, node, token): (&str, &str, u64),
    first: u64,
    commands: &[&str],
) -> Appended {
    log::append(conn, partition, node, token, first, &entries(commands))
        .await
        .expect("redis")
}

#[actix_web::test]
async fn a_new_owner_fences_the_old_one_and_the_log_stays_dense() {
    let redis = RedisServer::start();
    let mut conn = redis.connection().await;
    let a = lease::take(&mut conn, "421182100", "a", TIMES)
        .await
        .expect("redis")
        .expect("free");
    assert!(a.is_valid());
    let none = lease::take(&mut conn, "421182100", "b", TIMES).await;
    assert_eq!(none.expect("redis"), None, "held by a");
    let done = append(&mut conn, ("421182100", "a", a.token), 1, &["c1", "c2"]).await;
    assert_eq!(done, Appended::Done { last: 2 });

    // a stops renewing: it stops counting its lease before Redis lets it go.
    tokio::time::sleep(Duration::from_millis(320)).await;
    assert!(!a.is_valid(), "a's own count ends a margin early");
    tokio::time::sleep(Duration::from_millis(150)).await;
    let b = lease::take(&mut conn, "421182100", "b", TIMES)
        .await
        .expect("redis")
        .expect("free once a's lease ran out");
    assert!(b.token > a.token, "the token grows with every owner");

    // a wakes up and writes as if it still owned the partition: refused, nothing written.
    let late = append(&mut conn, ("421182100", "a", a.token), 3, &["c3"]).await;
    assert_eq!(
        late,
        Appended::Fenced {
            holder: format!("b:{}", b.token)
        }
    );
    assert!(
        lease::renew(&mut conn, &a, "a", TIMES)
            .await
            .expect("redis")
            .is_none()
    );
    assert!(!lease::release(&mut conn, &a, "a").await.expect("redis"));

    // b writes on from the head; a seq that is not the next is refused.
    let gap = append(&mut conn, ("421182100", "b", b.token), 4, &["c4"]).await;
    assert_eq!(gap, Appended::NotNext { head: 2 });
    let next = append(&mut conn, ("421182100", "b", b.token), 3, &["c4"]).await;
    assert_eq!(next, Appended::Done { last: 3 });

    let all = log::read(&mut conn, "421182100", 0, 100)
        .await
        .expect("redis");
    let seen: Vec<(u64, &str, u64)> = all
        .iter()
        .map(|e| (e.seq, e.command.as_str(), e.token))
        .collect();
    assert_eq!(
        seen,
        [(1, "c1", a.token), (2, "c2", a.token), (3, "c4", b.token)]
    );
    assert_eq!(all[0].data, b"event of c1");
    let tail = log::read(&mut conn, "421182100", 2, 100)
        .await
        .expect("redis");
    assert_eq!(tail.len(), 1, "read from after a seq");
}

#[actix_web::test]
async fn a_command_is_applied_once_and_found_by_its_id() {
    let redis = RedisServer::start();
    let mut conn = redis.connection().await;
    let head = log::head(&mut conn, "unplaced").await.expect("redis");
    assert_eq!((head.seq, head.epoch), (0, None), "an empty log");
    let l = lease::take(&mut conn, "unplaced", "a", TIMES)
        .await
        .expect("redis")
        .expect("free");
    let first = append(&mut conn, ("unplaced", "a", l.token), 1, &["cmd-1", ""]).await;
    assert_eq!(first, Appended::Done { last: 2 });
    let head = log::head(&mut conn, "unplaced").await.expect("redis");
    assert_eq!(head.seq, 2);
    let epoch = head.epoch.expect("set by the first append");

    // A retry of cmd-1 (its answer was lost): refused whole, and found in the log.
    let retry = append(
        &mut conn,
        ("unplaced", "a", l.token),
        3,
        &["cmd-2", "cmd-1"],
    )
    .await;
    assert_eq!(
        retry,
        Appended::Duplicate {
            command: "cmd-1".into(),
            seq: 1
        }
    );
    let found = log::find_command(&mut conn, "unplaced", "cmd-1").await;
    assert_eq!(found.expect("redis"), Some(1));
    let missing = log::find_command(&mut conn, "unplaced", "cmd-2").await;
    assert_eq!(
        missing.expect("redis"),
        None,
        "nothing of the refused batch"
    );
    let head = log::head(&mut conn, "unplaced").await.expect("redis");
    assert_eq!((head.seq, head.epoch), (2, Some(epoch)));
}
