//! The Redis peer of a simulation, on the same data: the same vehicles moving the same
//! way (GEOADD of their fixes, one command per round trip and pipelined by 16), the same
//! ticket sites (GEOSEARCH within 500 m and 1 km for the nearest vehicle), and a fan-out
//! like the consoles' (PUBLISH of offer-sized messages to many subscribers, each timing
//! publish → receipt). Latencies in HDR histograms, like the engine's side; the server's
//! CPU from /proc when its pid is given.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::{Context, Result};
use clap::Args;
use hdrhistogram::Histogram;
use rand::SeedableRng;
use rand::rngs::StdRng;
use serde::Serialize;
use tokio::time::Instant;

use super::report::Lat;
use super::sampler::server_snap;
use super::setup::vehicle_id;
use crate::cli::parse_duration;
use crate::fleet::path::Mover;
use crate::stats::new_histogram;
use crate::timefmt::now_us;

/// Options of `loadtest redis`.
#[derive(Debug, Clone, Args)]
pub struct PeerArgs {
    /// The Redis server (loopback).
    #[arg(long, default_value = "redis://127.0.0.1:6379/")]
    pub redis: String,
    /// Its process id, for its CPU from /proc.
    #[arg(long)]
    pub redis_pid: Option<u32>,
    /// Vehicles (the same ids and paths as a simulation with this seed).
    #[arg(long, default_value_t = 1000)]
    pub vehicles: usize,
    /// Seed: give the simulation's to use the same paths and sites.
    #[arg(long, default_value_t = 12313)]
    pub seed: u64,
    /// Clients of the GEOADD runs (like redis-benchmark's 50).
    #[arg(long, default_value_t = 50)]
    pub clients: usize,
    /// Measured time of each GEOADD run and of the PUBLISH run.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub duration: Duration,
    /// Nearest searches per radius.
    #[arg(long, default_value_t = 5000)]
    pub searches: usize,
    /// Subscribers of the fan-out (consoles).
    #[arg(long, default_value_t = 100)]
    pub subscribers: usize,
    /// Messages published per second (tickets' offers).
    #[arg(long, default_value_t = 200.0)]
    pub publish_rate: f64,
    /// Write the report as JSON here too.
    #[arg(long, value_name = "FILE")]
    pub json: Option<std::path::PathBuf>,
}

#[derive(Debug, Serialize)]
pub struct Rate {
    pub ops_per_s: f64,
    pub fixes_per_s: f64,
    pub latency_ms: Option<Lat>,
    pub server_cpu_pct: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct Search {
    pub radius_m: f64,
    pub found: u64,
    pub latency_ms: Option<Lat>,
}

#[derive(Debug, Serialize)]
pub struct Fanout {
    pub subscribers: usize,
    pub published: u64,
    pub delivered: u64,
    pub expected: u64,
    pub latency_ms: Option<Lat>,
    pub server_cpu_pct: Option<f64>,
}

#[derive(Debug, Serialize)]
pub struct PeerReport {
    pub tool: &'static str,
    pub scenario: &'static str,
    pub vehicles: usize,
    pub seed: u64,
    pub geoadd: Rate,
    pub geoadd_pipelined: Rate,
    pub geosearch: Vec<Search>,
    pub publish: Fanout,
}

const KEY: &str = "loadtest:sim:fleet";
const PIPELINE: usize = 16;

fn us_since(t: Instant) -> u64 {
    u64::try_from(t.elapsed().as_micros())
        .unwrap_or(u64::MAX)
        .max(1)
}

/// GEOADD the vehicles' fixes for `duration` from `clients` connections, `depth`
/// commands per round trip.
async fn geoadd(a: &PeerArgs, client: &redis::Client, depth: usize) -> Result<Rate> {
    let ops = Arc::new(AtomicU64::new(0));
    let end = Instant::now() + a.duration;
    let cpu0 = server_snap(a.redis_pid);
    let t0 = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..a.clients.max(1) {
        let mut con = client.get_multiplexed_async_connection().await?;
        let ops = ops.clone();
        let mine: Vec<usize> = (c..a.vehicles).step_by(a.clients.max(1)).collect();
        let mut movers: Vec<Mover> = mine
            .iter()
            .map(|&k| {
                Mover::new(
                    a.seed ^ (k as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                    now_us(),
                )
            })
            .collect();
        tasks.spawn(async move {
            let mut h = new_histogram();
            let mut i = 0usize;
            while Instant::now() < end && !mine.is_empty() {
                let mut pipe = redis::pipe();
                for _ in 0..depth {
                    let k = i % mine.len();
                    let f = movers[k].advance(now_us());
                    pipe.cmd("GEOADD")
                        .arg(KEY)
                        .arg(f.lng)
                        .arg(f.lat)
                        .arg(vehicle_id("sim", mine[k]))
                        .ignore();
                    i += 1;
                }
                let t = Instant::now();
                let done: redis::RedisResult<()> = pipe.query_async(&mut con).await;
                if done.is_err() {
                    break;
                }
                h.saturating_record(us_since(t));
                ops.fetch_add(depth as u64, Ordering::Relaxed);
            }
            h
        });
    }
    let mut h = new_histogram();
    while let Some(r) = tasks.join_next().await {
        let _ = h.add(r.context("a GEOADD client failed")?);
    }
    let secs = t0.elapsed().as_secs_f64();
    let cpu = match (cpu0, server_snap(a.redis_pid)) {
        (Some(x), Some(y)) => Some(y.cpu_pct_since(&x)),
        _ => None,
    };
    let n = ops.load(Ordering::Relaxed) as f64;
    Ok(Rate {
        ops_per_s: n / secs / depth as f64,
        fixes_per_s: n / secs,
        latency_ms: Lat::of(&h),
        server_cpu_pct: cpu,
    })
}

/// GEOSEARCH for the nearest vehicle at the simulation's ticket sites.
async fn geosearch(a: &PeerArgs, client: &redis::Client, radius_m: f64) -> Result<Search> {
    let mut con = client.get_multiplexed_async_connection().await?;
    let mut rng = StdRng::seed_from_u64(a.seed);
    let mut h: Histogram<u64> = new_histogram();
    let mut found = 0;
    for n in 0..a.searches {
        let body = super::tickets::body(&mut rng, &format!("peer-{n}"), true);
        let (lat, lng) = (
            body["location"]["lat"].as_f64().unwrap_or(29.9),
            body["location"]["lng"].as_f64().unwrap_or(115.5),
        );
        let t = Instant::now();
        let hit: Vec<String> = redis::cmd("GEOSEARCH")
            .arg(KEY)
            .arg("FROMLONLAT")
            .arg(lng)
            .arg(lat)
            .arg("BYRADIUS")
            .arg(radius_m)
            .arg("m")
            .arg("ASC")
            .arg("COUNT")
            .arg(1)
            .query_async(&mut con)
            .await?;
        h.saturating_record(us_since(t));
        found += u64::from(!hit.is_empty());
    }
    Ok(Search {
        radius_m,
        found,
        latency_ms: Lat::of(&h),
    })
}

/// PUBLISH offer-sized messages at the rate to `subscribers` connections.
async fn publish(a: &PeerArgs, client: &redis::Client) -> Result<Fanout> {
    let channel = "loadtest:sim:console";
    let addr = client.get_connection_info().addr().to_string();
    let mut subs = tokio::task::JoinSet::new();
    let (ready_tx, mut ready_rx) = tokio::sync::mpsc::channel::<()>(a.subscribers.max(1));
    let end = Instant::now() + a.duration + Duration::from_secs(30);
    for _ in 0..a.subscribers {
        subs.spawn(super::resp::subscriber(
            addr.clone(),
            channel,
            ready_tx.clone(),
            end,
        ));
    }
    drop(ready_tx);
    while ready_rx.recv().await.is_some() {}
    let mut con = client.get_multiplexed_async_connection().await?;
    let body = "x".repeat(1500); // about an offer.sent frame with its ticket
    let cpu0 = server_snap(a.redis_pid);
    let mut every = tokio::time::interval(Duration::from_secs_f64(1.0 / a.publish_rate.max(0.1)));
    let stop_at = Instant::now() + a.duration;
    let mut published = 0u64;
    while Instant::now() < stop_at {
        every.tick().await;
        let msg = format!("{}|{body}", now_us());
        let _: i64 = redis::cmd("PUBLISH")
            .arg(channel)
            .arg(msg)
            .query_async(&mut con)
            .await?;
        published += 1;
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let cpu = match (cpu0, server_snap(a.redis_pid)) {
        (Some(x), Some(y)) => Some(y.cpu_pct_since(&x)),
        _ => None,
    };
    let _: i64 = redis::cmd("PUBLISH")
        .arg(channel)
        .arg("end")
        .query_async(&mut con)
        .await?;
    let mut h = new_histogram();
    let mut delivered = 0;
    while let Some(r) = subs.join_next().await {
        let (sh, got) = r.context("a subscriber failed")??;
        let _ = h.add(sh);
        delivered += got;
    }
    Ok(Fanout {
        subscribers: a.subscribers,
        published,
        delivered,
        expected: published * a.subscribers as u64,
        latency_ms: Lat::of(&h),
        server_cpu_pct: cpu,
    })
}

pub async fn run(a: &PeerArgs) -> Result<PeerReport> {
    let client = redis::Client::open(a.redis.as_str()).context("the redis URL")?;
    let mut con = client
        .get_multiplexed_async_connection()
        .await
        .context("connecting to redis")?;
    let _: () = redis::cmd("DEL").arg(KEY).query_async(&mut con).await?;
    eprintln!("redis: GEOADD, {} clients, {:?}", a.clients, a.duration);
    let geoadd_plain = geoadd(a, &client, 1).await?;
    eprintln!("redis: GEOADD pipelined by {PIPELINE}");
    let geoadd_pipelined = geoadd(a, &client, PIPELINE).await?;
    let mut searches = Vec::new();
    for radius in [500.0, 1000.0] {
        eprintln!("redis: GEOSEARCH {radius} m at {} ticket sites", a.searches);
        searches.push(geosearch(a, &client, radius).await?);
    }
    eprintln!(
        "redis: PUBLISH to {} subscribers at {}/s",
        a.subscribers, a.publish_rate
    );
    let fan = publish(a, &client).await?;
    Ok(PeerReport {
        tool: "loadtest",
        scenario: "redis",
        vehicles: a.vehicles,
        seed: a.seed,
        geoadd: geoadd_plain,
        geoadd_pipelined,
        geosearch: searches,
        publish: fan,
    })
}

impl PeerReport {
    pub fn markdown(&self) -> String {
        let l = |x: &Option<Lat>| {
            x.as_ref()
                .map_or("-".to_owned(), |l| format!("{:.3} / {:.3}", l.p50, l.p99))
        };
        let mut o = format!(
            "### redis peer ({} vehicles, seed {})\n\n| run | figure | p50 / p99 ms | redis CPU % |\n|:--|--:|--:|--:|\n",
            self.vehicles, self.seed
        );
        for (name, r) in [
            ("GEOADD", &self.geoadd),
            ("GEOADD pipelined ×16", &self.geoadd_pipelined),
        ] {
            o.push_str(&format!(
                "| {name} | {:.0} fixes/s | {} | {} |\n",
                r.fixes_per_s,
                l(&r.latency_ms),
                r.server_cpu_pct.map_or("-".into(), |c| format!("{c:.0}"))
            ));
        }
        for s in &self.geosearch {
            o.push_str(&format!(
                "| GEOSEARCH {} m COUNT 1 | found {} | {} | |\n",
                s.radius_m,
                s.found,
                l(&s.latency_ms)
            ));
        }
        let p = &self.publish;
        o.push_str(&format!(
            "| PUBLISH to {} subscribers | {} of {} delivered | {} | {} |\n",
            p.subscribers,
            p.delivered,
            p.expected,
            l(&p.latency_ms),
            p.server_cpu_pct.map_or("-".into(), |c| format!("{c:.0}"))
        ));
        o
    }
}
