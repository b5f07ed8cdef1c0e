//! Engine processes as a cluster on a real `redis-server`: every node reads every ticket,
//! a write sent to any node is applied once by its partition's owner, a killed owner's
//! partitions are taken over in time with nothing acknowledged lost, and a paused owner
//! cannot write when it wakes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use hotline_dispatch::cluster::{log, partition};
use hotline_dispatch::domain::area::ServiceArea;
use hotline_dispatch::domain::geo::LatLng;
use hotline_dispatch::domain::ticket::Location;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::common::redis::RedisServer;
use crate::common::ws::WsClient;
use crate::common::{ADMIN, ChildEngine};

const SECRET: &str = "cluster-test-secret-0123456789";
const LEASE: Duration = Duration::from_millis(3000);

struct Node {
    id: String,
    engine: Option<ChildEngine>,
    base: String,
    /// A dispatcher's and a supervisor's token on this node.
    dispatcher: String,
    supervisor: String,
    _dir: tempfile::TempDir,
    store: PathBuf,
}

impl Node {
    fn engine(&self) -> &ChildEngine {
        self.engine.as_ref().expect("the node runs")
    }

    fn signal(&self, signal: &str) {
        let status = std::process::Command::new("kill")
            .args([signal, &self.engine().pid().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
    }

    /// A counter of this node's `/metrics` (0 when it has not counted yet).
    async fn counter(&self, http: &reqwest::Client, name: &str) -> f64 {
        let text = http
            .get(format!("{}/metrics", self.base))
            .send()
            .await
            .expect("metrics answer")
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .filter(|l| l.starts_with(name))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum()
    }
}

struct Cluster {
    redis: RedisServer,
    nodes: Vec<Node>,
    http: reqwest::Client,
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

fn start_engine(redis: &RedisServer, id: &str, store: &std::path::Path) -> ChildEngine {
    let port = free_port().to_string();
    let url = format!("http://127.0.0.1:{port}");
    let redis_url = redis.url();
    let lease = LEASE.as_millis().to_string();
    ChildEngine::start_with(
        store,
        &[
            ("APP__SERVER__PORT", port.as_str()),
            ("APP__CLUSTER__REDIS_URL", redis_url.as_str()),
            ("APP__CLUSTER__NODE_ID", id),
            ("APP__CLUSTER__ADVERTISE_URL", url.as_str()),
            ("APP__CLUSTER__SECRET", SECRET),
            ("APP__CLUSTER__LEASE_MS", lease.as_str()),
            ("APP__CLUSTER__LEASE_MARGIN_MS", "500"),
            ("APP__CLUSTER__NODE_TIMEOUT_MS", "2000"),
        ],
    )
}

impl Cluster {
    async fn start(n: usize) -> Cluster {
        let redis = RedisServer::start();
        let http = reqwest::Client::new();
        let mut nodes = Vec::new();
        for i in 1..=n {
            let dir = tempfile::tempdir().expect("temp dir");
            let store = dir.path().join("store");
            let id = format!("n{i}");
            let engine = start_engine(&redis, &id, &store);
            let base = engine.base.clone();
            let node = Node {
                id,
                engine: Some(engine),
                base,
                dispatcher: String::new(),
                supervisor: String::new(),
                _dir: dir,
                store,
            };
            nodes.push(node);
        }
        // Tokens issued on one node serve on every node (the registry log).
        let dispatcher = token(&http, &nodes[0], "dispatcher").await;
        let supervisor = token(&http, &nodes[0], "supervisor").await;
        for node in &mut nodes {
            node.dispatcher = dispatcher.clone();
            node.supervisor = supervisor.clone();
        }
        let cluster = Cluster { redis, nodes, http };
        cluster.spread().await;
        for node in cluster.live() {
            cluster
                .until_answered(node, "/tickets?limit=1", &dispatcher, StatusCode::OK)
                .await;
        }
        cluster
    }

    /// Waits until the live nodes hold every partition between them, each some.
    async fn spread(&self) -> Duration {
        let all: BTreeSet<String> = partition::all(&area()).into_iter().collect();
        let started = Instant::now();
        loop {
            let held = self.held().await;
            let union: BTreeSet<String> = held.values().flatten().cloned().collect();
            let shared = held.values().all(|h| !h.is_empty());
            let once: usize = held.values().map(BTreeSet::len).sum();
            if union == all && shared && once == all.len() {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "partitions not spread: {held:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Waits (up to 5 s) until `path` answers `expected` on `node` with `token`.
    async fn until_answered(
        &self,
        node: &Node,
        path: &str,
        token: &str,
        expected: StatusCode,
    ) -> Duration {
        let started = Instant::now();
        loop {
            let (status, body) = get(&self.http, node, path, token).await;
            if status == expected {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{}: {path} answers {status} {body}, not {expected}",
                node.id
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Node id → the partitions it says it holds (live nodes only).
    async fn held(&self) -> BTreeMap<String, BTreeSet<String>> {
        let mut out = BTreeMap::new();
        for node in self.live() {
            let status = self.status(node).await;
            let held = status["held"]
                .as_object()
                .map(|m| m.keys().cloned().collect())
                .unwrap_or_default();
            out.insert(node.id.clone(), held);
        }
        out
    }

    async fn status(&self, node: &Node) -> Value {
        let (status, body) = get(&self.http, node, "/cluster", ADMIN).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }

    fn live(&self) -> impl Iterator<Item = &Node> {
        self.nodes.iter().filter(|n| n.engine.is_some())
    }

    fn node(&self, id: &str) -> &Node {
        self.nodes
            .iter()
            .find(|n| n.id == id)
            .expect("a node of the cluster")
    }

    /// The live node holding `partition`.
    async fn owner(&self, partition: &str) -> &Node {
        let held = self.held().await;
        let id = held
            .iter()
            .find(|(_, h)| h.contains(partition))
            .map(|(id, _)| id.clone())
            .expect("someone holds the partition");
        self.node(&id)
    }

    /// Waits until every live node's copy of every log reaches the log's head.
    async fn converged(&self) {
        let mut conn = self.redis.connection().await;
        let started = Instant::now();
        loop {
            let mut heads = BTreeMap::new();
            for p in partition::all(&area()) {
                let head = log::head(&mut conn, &p).await.expect("head").seq;
                if head > 0 {
                    heads.insert(p, head);
                }
            }
            let mut all = true;
            for node in self.live() {
                let status = self.status(node).await;
                for (p, head) in &heads {
                    all &= status["positions"][p].as_u64() == Some(*head);
                }
            }
            if all {
                return;
            }
            assert!(
                started.elapsed() < Duration::from_secs(15),
                "copies did not reach the logs' heads {heads:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn area() -> ServiceArea {
    ServiceArea::builtin().expect("the built-in area")
}

/// A spot in every town of the area, with its partition.
fn spots() -> Vec<(LatLng, String)> {
    let area = area();
    area.towns()
        .map(|t| {
            let location = Location {
                position: Some(t.centre),
                ..Location::default()
            };
            (t.centre, partition::of(&area, &location))
        })
        .collect()
}

async fn token(http: &reqwest::Client, node: &Node, role: &str) -> String {
    let answer = http
        .post(format!("{}/api/v1/tokens", node.base))
        .bearer_auth(ADMIN)
        .json(&json!({ "role": role }))
        .send()
        .await
        .expect("tokens answer");
    assert_eq!(answer.status(), StatusCode::CREATED);
    let body: Value = answer.json().await.expect("json");
    body["token"].as_str().expect("a token").to_owned()
}

async fn get(http: &reqwest::Client, node: &Node, path: &str, token: &str) -> (StatusCode, Value) {
    let answer = http
        .get(format!("{}/api/v1{path}", node.base))
        .bearer_auth(token)
        .send()
        .await
        .expect("an answer");
    let status = answer.status();
    (status, answer.json().await.unwrap_or(Value::Null))
}

async fn post(
    http: &reqwest::Client,
    base: &str,
    path: &str,
    token: &str,
    body: &Value,
) -> Result<(StatusCode, Value), reqwest::Error> {
    let answer = http
        .post(format!("{base}{path}"))
        .bearer_auth(token)
        .timeout(Duration::from_secs(20))
        .json(body)
        .send()
        .await?;
    let status = answer.status();
    Ok((status, answer.json().await.unwrap_or(Value::Null)))
}

fn intake_body(external_id: &str, at: LatLng) -> Value {
    json!({
        "source": "12313",
        "external_id": external_id,
        "kind": "report",
        "description": "疑似销售假冒卷烟",
        "location": { "lat": at.lat(), "lng": at.lng() },
    })
}

/// Every ticket a node holds, by external id.
async fn tickets_by_external(http: &reqwest::Client, node: &Node) -> HashMap<String, Vec<Value>> {
    let mut out: HashMap<String, Vec<Value>> = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let path = match &after {
            Some(c) => format!("/tickets?limit=200&cursor={c}"),
            None => "/tickets?limit=200".to_owned(),
        };
        let (status, page) = get(http, node, &path, &node.dispatcher).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        for t in page["items"].as_array().expect("items") {
            let ext = t["external_id"].as_str().unwrap_or_default().to_owned();
            out.entry(ext).or_default().push(t.clone());
        }
        match page["next_cursor"].as_str() {
            Some(c) => after = Some(c.to_owned()),
            None => return out,
        }
    }
}

/// The seqs and tokens of a partition's whole log.
async fn log_of(redis: &RedisServer, partition: &str) -> Vec<(u64, u64)> {
    let mut conn = redis.connection().await;
    log::read(&mut conn, partition, 0, 100_000)
        .await
        .expect("the log")
        .into_iter()
        .map(|e| (e.seq, e.token))
        .collect()
}

#[tokio::test]
async fn every_node_reads_every_ticket_and_a_write_reaches_its_owner_once() {
    let cluster = Cluster::start(3).await;
    let http = &cluster.http;
    let spots = spots();
    // One ticket per town, each taken in by the next node in turn.
    let mut filed = Vec::new();
    for (i, (at, partition)) in spots.iter().enumerate() {
        let node = &cluster.nodes[i % 3];
        let (status, t) = post(
            http,
            &node.base,
            "/api/v1/tickets",
            &node.dispatcher,
            &intake_body(&format!("READ-{i}"), *at),
        )
        .await
        .expect("intake answers");
        assert_eq!(status, StatusCode::CREATED, "{t}");
        filed.push((t, partition.clone()));
    }
    let numbers: BTreeSet<&str> = filed
        .iter()
        .map(|(t, _)| t["number"].as_str().expect("as sent"))
        .collect();
    assert_eq!(
        numbers.len(),
        filed.len(),
        "numbers are unique across nodes"
    );
    cluster.converged().await;
    for node in cluster.live() {
        for (t, _) in &filed {
            let id = t["id"].as_str().expect("as sent");
            let (status, copy) = get(http, node, &format!("/tickets/{id}"), &node.dispatcher).await;
            assert_eq!(status, StatusCode::OK, "{} reads {id}", node.id);
            assert_eq!(copy["number"], t["number"]);
            assert_eq!(copy["seq"], t["seq"]);
        }
    }

    // A supervision notice sent to a node that does not own the ticket's partition.
    let (ticket, partition) = &filed[0];
    let id = ticket["id"].as_str().expect("as sent");
    let owner = cluster.owner(partition).await.id.clone();
    let other = cluster.live().find(|n| n.id != owner).expect("as sent");
    let (status, after) = post(
        http,
        &other.base,
        &format!("/api/v1/tickets/{id}/supervise"),
        &other.supervisor,
        &json!({ "notice": "请加快办理" }),
    )
    .await
    .expect("as sent");
    assert_eq!(status, StatusCode::OK, "{after}");
    let seq = after["seq"].as_u64().expect("as sent");
    assert_eq!(seq, ticket["seq"].as_u64().expect("as sent") + 1);

    // The same from a console on that node: a command frame, answered once applied.
    let mut console = WsClient::connect(&other.base, "/ws/console", &other.supervisor).await;
    console.next_of("snapshot").await;
    console
        .send(json!({ "type": "command", "request_id": "c-1", "action": "supervise", "ticket_id": id, "body": { "notice": "控制台督办" } }))
        .await;
    let answer = loop {
        let frame = console.next_any().await.expect("an answer");
        if frame["request_id"] == "c-1" {
            break frame;
        }
    };
    assert_eq!(answer["type"], "result", "{answer}");
    let seq = seq + 1;

    // The forwarder's retry after a lost answer: the same command id, twice, at the owner.
    let call = json!({
        "command": "retry-test-command-1",
        "by": { "role": "supervisor" },
        "call": { "kind": "action", "ticket": id, "action": "supervise", "body": { "notice": "再次督办" } },
    });
    let owner_base = cluster.node(&owner).base.clone();
    let first = post(http, &owner_base, "/cluster/v1/forward", SECRET, &call)
        .await
        .expect("as sent");
    let again = post(http, &owner_base, "/cluster/v1/forward", SECRET, &call)
        .await
        .expect("as sent");
    assert_eq!(first.0, StatusCode::OK);
    assert_eq!(first.1["kind"], "ticket", "{}", first.1);
    assert_eq!(first.1["ticket"]["seq"].as_u64(), Some(seq + 1));
    assert_eq!(again.1["kind"], "ticket", "{}", again.1);
    assert_eq!(
        again.1["ticket"]["seq"].as_u64(),
        Some(seq + 1),
        "applied once"
    );
    // Only a node of the cluster is heard.
    let stranger = post(
        http,
        &owner_base,
        "/cluster/v1/forward",
        "not-the-secret-at-all",
        &call,
    )
    .await
    .expect("as sent");
    assert_eq!(stranger.0, StatusCode::UNAUTHORIZED);

    cluster.converged().await;
    for node in cluster.live() {
        let (_, events) = get(
            http,
            node,
            &format!("/tickets/{id}/events"),
            &node.dispatcher,
        )
        .await;
        let notices: Vec<&Value> = events
            .as_array()
            .or_else(|| events["items"].as_array())
            .or_else(|| events["events"].as_array())
            .expect("a timeline")
            .iter()
            .filter(|e| e.to_string().contains("ticket.supervised"))
            .collect();
        assert_eq!(notices.len(), 3, "{}: {events}", node.id);
    }
}

/// Sends intakes until one is acknowledged (201, or 200 for one filed already), as a
/// platform would: the same external id on every retry. The acknowledged ticket's id.
async fn acknowledged(
    http: &reqwest::Client,
    nodes: &[(String, String)],
    external_id: &str,
    at: LatLng,
) -> Option<String> {
    let started = Instant::now();
    let mut attempt = 0;
    while started.elapsed() < Duration::from_secs(40) {
        let (base, token) = &nodes[attempt % nodes.len()];
        attempt += 1;
        match post(
            http,
            base,
            "/api/v1/tickets",
            token,
            &intake_body(external_id, at),
        )
        .await
        {
            Ok((status, t)) if status == StatusCode::CREATED || status == StatusCode::OK => {
                return t["id"].as_str().map(str::to_owned);
            }
            Ok((status, body)) => {
                assert!(
                    status == StatusCode::SERVICE_UNAVAILABLE
                        || status == StatusCode::TOO_MANY_REQUESTS,
                    "an intake is refused only for a while: {status} {body}"
                );
            }
            Err(_) => {}
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    None
}

/// Every acknowledged ticket is on `node`, once, under its external id.
async fn holds_each_once(http: &reqwest::Client, node: &Node, acked: &BTreeMap<String, String>) {
    let held = tickets_by_external(http, node).await;
    for (ext, id) in acked {
        let copies = held.get(ext).map(Vec::as_slice).unwrap_or_default();
        assert_eq!(
            copies.len(),
            1,
            "{}: {ext} held {} times",
            node.id,
            copies.len()
        );
        assert_eq!(
            copies[0]["id"].as_str(),
            Some(id.as_str()),
            "{}: {ext}",
            node.id
        );
    }
    for (ext, copies) in &held {
        assert_eq!(copies.len(), 1, "{}: {ext} duplicated", node.id);
    }
}

/// Each partition's log is dense from 1, and its tokens never go back.
async fn logs_are_dense(redis: &RedisServer) -> usize {
    let mut total = 0;
    for p in partition::all(&area()) {
        let entries = log_of(redis, &p).await;
        for (i, (seq, _)) in entries.iter().enumerate() {
            assert_eq!(*seq, i as u64 + 1, "{p}: seqs are dense");
        }
        assert!(
            entries.windows(2).all(|w| w[0].1 <= w[1].1),
            "{p}: a token went back: {entries:?}"
        );
        total += entries.len();
    }
    total
}

#[tokio::test]
async fn a_killed_owner_is_taken_over_in_time_and_nothing_acknowledged_is_lost() {
    let mut cluster = Cluster::start(3).await;
    let http = cluster.http.clone();
    let victim = cluster
        .held()
        .await
        .remove("n1")
        .expect("n1 holds partitions");
    let survivors: Vec<(String, String)> = cluster.nodes[1..]
        .iter()
        .map(|n| (n.base.clone(), n.dispatcher.clone()))
        .collect();
    let spots = spots();
    // Four platforms file tickets over every town through the two nodes that stay up;
    // the ones in n1's partitions are forwarded to it until it dies.
    let mut clients = Vec::new();
    for c in 0..4 {
        let (http, nodes, spots) = (http.clone(), survivors.clone(), spots.clone());
        clients.push(tokio::spawn(async move {
            let mut acked = Vec::new();
            for i in 0..30 {
                let (at, _) = spots[(c + i * 4) % spots.len()];
                let ext = format!("KILL-{c}-{i}");
                let id = acknowledged(&http, &nodes, &ext, at).await;
                acked.push((ext, id.expect("acknowledged in the end")));
            }
            acked
        }));
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let killed_at = Instant::now();
    cluster.nodes[0].engine.take().expect("n1 runs").kill9();
    let taken = cluster.spread().await;
    let took = killed_at.elapsed();
    assert!(
        took <= LEASE + Duration::from_secs(3),
        "n1's partitions {victim:?} taken over after {took:?} (polled in {taken:?})"
    );
    eprintln!("n1's partitions {victim:?} taken over {took:?} after the kill");
    let mut acked = BTreeMap::new();
    for c in clients {
        acked.extend(c.await.expect("client ran"));
    }
    assert_eq!(acked.len(), 120);
    cluster.converged().await;
    for node in cluster.live() {
        holds_each_once(&http, node, &acked).await;
    }
    assert_eq!(
        logs_are_dense(&cluster.redis).await,
        120,
        "one entry per ticket"
    );
    // Each of n1's partitions that was written after the kill was written under a new token.
    for p in &victim {
        let entries = log_of(&cluster.redis, p).await;
        if let (Some(first), Some(last)) = (entries.first(), entries.last()) {
            assert!(first.1 <= last.1);
        }
    }

    // n1 comes back on its store: it catches up with everything it missed.
    let store = cluster.nodes[0].store.clone();
    let engine = start_engine(&cluster.redis, "n1", &store);
    cluster.nodes[0].base = engine.base.clone();
    cluster.nodes[0].engine = Some(engine);
    cluster.converged().await;
    holds_each_once(&http, &cluster.nodes[0], &acked).await;
}

#[tokio::test]
async fn a_paused_owner_cannot_write_when_it_wakes() {
    let cluster = Cluster::start(2).await;
    let http = cluster.http.clone();
    let n1 = cluster.node("n1");
    let mut conn = cluster.redis.connection().await;
    let spots = spots();
    let held = cluster.held().await;
    let (at, partition) = spots
        .iter()
        .find(|(_, p)| held["n1"].contains(p))
        .cloned()
        .expect("n1 owns a town");
    let before: String = redis::cmd("GET")
        .arg(hotline_dispatch::cluster::keys::lease(&partition))
        .query_async(&mut conn)
        .await
        .expect("the lease");
    let old_token: u64 = before
        .rsplit_once(':')
        .and_then(|(_, t)| t.parse().ok())
        .expect("node:token");

    // A burst of intakes in n1's partition, sent to n1, which stops at once.
    let mut burst = Vec::new();
    for i in 0..40 {
        let (http, base, token) = (http.clone(), n1.base.clone(), n1.dispatcher.clone());
        burst.push(tokio::spawn(async move {
            let ext = format!("PAUSE-{i}");
            let answer = post(
                &http,
                &base,
                "/api/v1/tickets",
                &token,
                &intake_body(&ext, at),
            )
            .await;
            (ext, answer.ok())
        }));
    }
    tokio::time::sleep(Duration::from_millis(30)).await;
    n1.signal("-STOP");
    let paused_at = Instant::now();
    // n2 takes the partition once the lease runs out, and writes it.
    loop {
        let status = cluster.status(cluster.node("n2")).await;
        if status["held"].get(&partition).is_some() {
            break;
        }
        assert!(
            paused_at.elapsed() < LEASE + Duration::from_secs(3),
            "n2 took over in time"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let n2 = cluster.node("n2");
    let nodes = [(n2.base.clone(), n2.dispatcher.clone())];
    acknowledged(&http, &nodes, "PAUSE-new-owner", at)
        .await
        .expect("the new owner writes");
    tokio::time::sleep(Duration::from_millis(500)).await;
    n1.signal("-CONT");

    // Every intake of the burst was applied once or refused for a retry.
    let mut acked = BTreeMap::new();
    for b in burst {
        let (ext, answer) = b.await.expect("sent");
        match answer {
            Some((status, t)) if status == StatusCode::CREATED => {
                acked.insert(ext, t["id"].as_str().expect("an id").to_owned());
            }
            Some((status, body)) => assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}"),
            None => {}
        }
    }
    // Nothing under n1's old token came after the new owner's first entry.
    let entries = log_of(&cluster.redis, &partition).await;
    let taken = entries
        .iter()
        .position(|(_, token)| *token > old_token)
        .expect("the new owner's entries");
    assert!(
        entries[taken..].iter().all(|(_, token)| *token > old_token),
        "a stale write reached the log: {entries:?}"
    );
    logs_are_dense(&cluster.redis).await;
    let refused = n1.counter(&http, "hotline_cluster_refused_total").await;
    eprintln!(
        "n1 refused {refused} writes after waking; {} of the burst applied",
        acked.len()
    );
    cluster.converged().await;
    for node in cluster.live() {
        let held = tickets_by_external(&http, node).await;
        for (ext, id) in &acked {
            assert_eq!(held.get(ext).map(Vec::len), Some(1), "{}: {ext}", node.id);
            assert_eq!(held[ext][0]["id"].as_str(), Some(id.as_str()));
        }
    }
}

#[tokio::test]
async fn the_registry_and_the_tokens_are_the_same_on_every_node() {
    let cluster = Cluster::start(3).await;
    let http = &cluster.http;
    let [n1, n2, n3] = [cluster.node("n1"), cluster.node("n2"), cluster.node("n3")];
    // A squad, its staff and a vehicle registered on n2 are on n1 and n3.
    let team = json!({ "id": "T-9", "name": "九中队", "department": "enforcement" });
    let staff = json!({ "id": "S-9", "name": "市管员", "role": "inspector", "department": "enforcement", "team_id": "T-9", "badge": "ZM-9" });
    let vehicle = json!({ "id": "V-9", "plate": "鄂J·Z0009", "team_id": "T-9", "department": "enforcement", "crew": ["S-9"] });
    for (path, body) in [("/teams", team), ("/staff", staff), ("/vehicles", vehicle)] {
        let (status, b) = post(http, &n2.base, &format!("/api/v1{path}"), ADMIN, &body)
            .await
            .expect("answers");
        assert_eq!(status, StatusCode::CREATED, "{path}: {b}");
    }
    for node in [n1, n3] {
        cluster
            .until_answered(node, "/vehicles/V-9", &node.dispatcher, StatusCode::OK)
            .await;
        cluster
            .until_answered(node, "/staff/S-9", &node.dispatcher, StatusCode::OK)
            .await;
    }
    // A token issued on n3 serves on n1; revoked on n1, it stops on n2 and n3 too.
    let answer = http
        .post(format!("{}/api/v1/tokens", n3.base))
        .bearer_auth(ADMIN)
        .json(&json!({ "role": "dispatcher" }))
        .send()
        .await
        .expect("answers");
    assert_eq!(answer.status(), StatusCode::CREATED);
    let issued: Value = answer.json().await.expect("json");
    let (secret, id) = (
        issued["token"].as_str().expect("a token"),
        issued["id"].as_str().expect("an id"),
    );
    let took = cluster
        .until_answered(n1, "/tickets?limit=1", secret, StatusCode::OK)
        .await;
    eprintln!("a token issued on n3 served on n1 after {took:?}");
    let revoked = http
        .delete(format!("{}/api/v1/tokens/{id}", n1.base))
        .bearer_auth(ADMIN)
        .send()
        .await
        .expect("answers");
    assert!(revoked.status().is_success(), "{}", revoked.status());
    for node in [n2, n3] {
        let took = cluster
            .until_answered(node, "/tickets?limit=1", secret, StatusCode::UNAUTHORIZED)
            .await;
        eprintln!("revoked on n1, refused on {} after {took:?}", node.id);
    }
}

#[tokio::test]
async fn an_open_offer_is_taken_over_with_its_partition() {
    let mut cluster = Cluster::start(2).await;
    let http = cluster.http.clone();
    let site = LatLng::new(30.02, 115.585).expect("the site");
    let partition = partition::of(
        &area(),
        &Location {
            position: Some(site),
            ..Location::default()
        },
    );
    // A squad and a vehicle, registered on n2; the vehicle's token issued there too.
    let n2 = cluster.node("n2");
    let team = json!({ "id": "T-1", "name": "一中队", "department": "enforcement" });
    let staff = json!({ "id": "S-1", "name": "市管员", "role": "inspector", "department": "enforcement", "team_id": "T-1", "badge": "ZM-1" });
    let vehicle = json!({ "id": "V-1", "plate": "鄂J·Z0001", "team_id": "T-1", "department": "enforcement", "crew": ["S-1"] });
    for (path, body) in [("/teams", team), ("/staff", staff), ("/vehicles", vehicle)] {
        let (status, b) = post(&http, &n2.base, &format!("/api/v1{path}"), ADMIN, &body)
            .await
            .expect("answers");
        assert_eq!(status, StatusCode::CREATED, "{path}: {b}");
    }
    let field = {
        let answer = http
            .post(format!("{}/api/v1/tokens", n2.base))
            .bearer_auth(ADMIN)
            .json(&json!({ "role": "field", "subject": "V-1" }))
            .send()
            .await
            .expect("answers");
        let body: Value = answer.json().await.expect("json");
        body["token"].as_str().expect("a token").to_owned()
    };
    let owner = cluster.owner(&partition).await;
    let (owner_id, owner_base) = (owner.id.clone(), owner.base.clone());
    let other = cluster
        .live()
        .find(|n| n.id != owner_id)
        .expect("another node");
    let (other_id, other_base, dispatcher) = (
        other.id.clone(),
        other.base.clone(),
        other.dispatcher.clone(),
    );
    cluster
        .until_answered(
            cluster.node(&owner_id),
            "/vehicles/V-1",
            &dispatcher,
            StatusCode::OK,
        )
        .await;

    // On duty near the site, on the partition's owner; a grade I lead offered to it.
    let mut v1 = WsClient::connect(&owner_base, "/ws/vehicle", &field).await;
    v1.next_of("hello").await;
    v1.send(json!({ "type": "status", "status": "available" }))
        .await;
    v1.next_of("ack").await;
    v1.at(site.lat() + 0.001, site.lng()).await;
    let mut lead = intake_body("OFFER-1", site);
    lead["category"] = json!("unlicensed_transport");
    let (status, t) = post(&http, &other_base, "/api/v1/tickets", &dispatcher, &lead)
        .await
        .expect("answers");
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let offer = v1.next_of("offer").await;
    let id = t["id"].as_str().expect("an id");
    assert_eq!(offer["ticket"]["id"], id);
    // The alert and the offer were the owner's to make: the other node, which sees them
    // as followed events, tried none of them.
    cluster.converged().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let tried = cluster
        .node(&other_id)
        .counter(&http, "hotline_cluster_refused_total")
        .await;
    assert_eq!(
        tried, 0.0,
        "{other_id} tried to write a ticket it does not own"
    );

    // The owner dies; the other node takes the partition, and the offer with it.
    let at = cluster
        .nodes
        .iter()
        .position(|n| n.id == owner_id)
        .expect("the owner");
    drop(v1);
    cluster.nodes[at].engine.take().expect("runs").kill9();
    cluster.spread().await;
    let mut again = WsClient::connect(&other_base, "/ws/vehicle", &field).await;
    again.next_of("hello").await;
    let shown = again.next_of("offer").await;
    assert_eq!(
        shown["offer_id"], offer["offer_id"],
        "the same offer, pushed again"
    );
    again
        .send(json!({ "type": "offer.accept", "offer_id": offer["offer_id"] }))
        .await;
    let node = cluster.node(&other_id);
    let started = Instant::now();
    loop {
        let (_, now) = get(&http, node, &format!("/tickets/{id}"), &node.dispatcher).await;
        if now["status"] == "en_route" {
            assert_eq!(now["assignment"]["vehicle_id"], "V-1", "{now}");
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "not accepted: {now}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_ticket_placed_at_triage_is_handed_to_its_towns_partition() {
    let cluster = Cluster::start(2).await;
    let http = &cluster.http;
    let n1 = cluster.node("n1");
    // No position: filed in `unplaced`.
    let mut body = intake_body("HANDOFF-1", LatLng::new(30.0, 115.5).expect("a spot"));
    body["location"] = Value::Null;
    body["address_text"] = json!("地址不详");
    let (status, t) = post(http, &n1.base, "/api/v1/tickets", &n1.dispatcher, &body)
        .await
        .expect("answers");
    assert_eq!(status, StatusCode::CREATED, "{t}");
    let id = t["id"].as_str().expect("an id").to_owned();
    let unplaced_owner = cluster.owner(partition::UNPLACED).await.id.clone();
    // Placed at triage in a town another node owns, sent to a third party's node.
    let held = cluster.held().await;
    let (town, town_partition) = spots()
        .into_iter()
        .find(|(_, p)| !held[&unplaced_owner].contains(p))
        .expect("a town the other node owns");
    let town_owner = cluster.owner(&town_partition).await.id.clone();
    assert_ne!(town_owner, unplaced_owner);
    let via = cluster.node(&town_owner);
    let (status, triaged) = post(
        http,
        &via.base,
        &format!("/api/v1/tickets/{id}/triage"),
        &via.dispatcher,
        &json!({ "location": { "lat": town.lat(), "lng": town.lng() } }),
    )
    .await
    .expect("answers");
    assert_eq!(status, StatusCode::OK, "{triaged}");
    // The triage is in `unplaced`'s log; the next step, from either node, in the town's.
    cluster.converged().await;
    let before = log_of(&cluster.redis, &town_partition).await.len();
    for (i, node) in cluster.live().enumerate() {
        let (status, after) = post(
            http,
            &node.base,
            &format!("/api/v1/tickets/{id}/supervise"),
            &node.supervisor,
            &json!({ "notice": format!("督办 {i}") }),
        )
        .await
        .expect("answers");
        assert_eq!(status, StatusCode::OK, "{}: {after}", node.id);
    }
    let town_log = log_of(&cluster.redis, &town_partition).await;
    assert_eq!(town_log.len(), before + 2, "both notices in the town's log");
    // Recorded in both: the town's log starts with the ticket's arrival, as triage left it
    // (ahead of the town owner's first write on it).
    let mut conn = cluster.redis.connection().await;
    let entries = log::read(&mut conn, &town_partition, 0, 100)
        .await
        .expect("the town's log");
    let arrival: Value = serde_json::from_slice(&entries[0].data).expect("an entry");
    assert_eq!(arrival["handoff"], true, "{arrival}");
    assert_eq!(arrival["event"]["type"], "ticket.triaged", "{arrival}");
    assert_eq!(arrival["ticket"]["id"], id.as_str());
    let unplaced_log = log_of(&cluster.redis, partition::UNPLACED).await;
    assert_eq!(unplaced_log.len(), 2, "received and triaged, nothing after");
    // Its history is the two logs together, on every node.
    cluster.converged().await;
    let seq = (unplaced_log.len() + town_log.len() - 1) as u64;
    for node in cluster.live() {
        let (_, t) = get(http, node, &format!("/tickets/{id}"), &node.dispatcher).await;
        assert_eq!(t["seq"].as_u64(), Some(seq), "{}: {t}", node.id);
        assert_eq!(t["supervision_notices"], 2);
    }
}
