//! The `nearest` scenario: how fast one dispatcher gets the nearest available vehicle,
//! over the wire (`GET /api/v1/dispatch/nearest?lat&lng&limit=1`), beside the obvious peer
//! on the same machine: redis `GEOSEARCH key FROMLONLAT lng lat BYRADIUS r km ASC COUNT 1
//! WITHDIST` on the same fleet (loaded with GEOADD from the positions `ingest` last sent)
//! at the same seeded query points. Each client sends one query at a time, all on one
//! thread (no hop between worker threads on either side); latencies go into HDR
//! histograms in µs. The two answers are also compared point by point (same
//! vehicle, or a tie within a metre), which checks that both searched the same fleet.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde::Serialize;
use tokio::task::JoinSet;

use super::args::NearestArgs;
use super::redis_peer::{RedisConn, load_fleet, redis_query};
use crate::body::{LAT_RANGE, LNG_RANGE};
use crate::stats::new_histogram;

/// The nearest vehicle one side found: id and distance in metres.
pub type Answer = Option<(String, f64)>;

/// One side's timings.
#[derive(Debug, Clone, Serialize)]
pub struct Side {
    pub name: String,
    pub queries: u64,
    pub errors: u64,
    pub empty_answers: u64,
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
    pub mean_us: f64,
    pub queries_per_s: f64,
}

impl Side {
    fn new(name: &str, h: &Histogram<u64>, errors: u64, empty: u64, wall: Duration) -> Self {
        Self {
            name: name.into(),
            queries: h.len(),
            errors,
            empty_answers: empty,
            p50_us: h.value_at_quantile(0.5),
            p90_us: h.value_at_quantile(0.9),
            p99_us: h.value_at_quantile(0.99),
            max_us: h.max(),
            mean_us: h.mean(),
            queries_per_s: h.len() as f64 / wall.as_secs_f64().max(1e-9),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct NearestReport {
    pub tool: &'static str,
    pub scenario: &'static str,
    pub url: String,
    pub seed: u64,
    pub concurrency: u16,
    pub fleet_size: Option<usize>,
    pub engine: Side,
    pub redis: Option<Side>,
    /// Queries where both sides named the same vehicle or were within a metre.
    pub agreement: Option<(u64, u64)>,
}

impl NearestReport {
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "### nearest, {} client(s), seed {}{}\n\n| side | queries | errors | empty | p50 µs | p90 µs | p99 µs | max µs | queries/s |\n|:--|--:|--:|--:|--:|--:|--:|--:|--:|\n",
            self.concurrency,
            self.seed,
            self.fleet_size
                .map_or(String::new(), |n| format!(", {n} vehicles in redis"))
        );
        for s in std::iter::once(&self.engine).chain(self.redis.as_ref()) {
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} | {} | {} | {:.0} |\n",
                s.name,
                s.queries,
                s.errors,
                s.empty_answers,
                s.p50_us,
                s.p90_us,
                s.p99_us,
                s.max_us,
                s.queries_per_s
            ));
        }
        if let Some((same, of)) = self.agreement {
            out.push_str(&format!(
                "\nsame nearest vehicle (or a tie within 1 m) at {same} of {of} points\n"
            ));
        }
        out
    }
}

/// The query points: uniform over the city's box, from the seed.
pub fn points(seed: u64, n: usize) -> Vec<(f64, f64)> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let lat = rng.random_range(LAT_RANGE.0..=LAT_RANGE.1);
            let lng = rng.random_range(LNG_RANGE.0..=LNG_RANGE.1);
            ((lat * 1e6).round() / 1e6, (lng * 1e6).round() / 1e6)
        })
        .collect()
}

/// Runs `per_client` over `clients` tasks, each taking every `clients`-th point; returns
/// the merged histogram, errors, empty answers, the answers by point index, and the wall time.
async fn timed<F, Fut, C>(
    clients: usize,
    pts: &[(f64, f64)],
    warmup: usize,
    make: impl Fn() -> Fut,
    query: F,
) -> Result<(Histogram<u64>, u64, u64, Vec<Answer>, Duration)>
where
    Fut: Future<Output = Result<C>>,
    C: Send + 'static,
    F: Fn(&mut C, f64, f64) -> std::pin::Pin<Box<dyn Future<Output = Result<Answer>> + Send + '_>>
        + Copy
        + Send
        + 'static,
{
    let mut set = JoinSet::new();
    let started = Instant::now();
    for c in 0..clients {
        let mut conn = make().await?;
        let mine: Vec<(usize, (f64, f64))> = pts
            .iter()
            .copied()
            .enumerate()
            .skip(c)
            .step_by(clients)
            .collect();
        set.spawn(async move {
            let mut h = new_histogram();
            let (mut errors, mut empty) = (0u64, 0u64);
            let mut answers = Vec::with_capacity(mine.len());
            for (n, (i, (lat, lng))) in mine.into_iter().enumerate() {
                let t = Instant::now();
                let r = query(&mut conn, lat, lng).await;
                let us = u64::try_from(t.elapsed().as_micros())
                    .unwrap_or(u64::MAX)
                    .max(1);
                if n < warmup {
                    continue;
                }
                match r {
                    Ok(a) => {
                        h.saturating_record(us);
                        empty += u64::from(a.is_none());
                        answers.push((i, a));
                    }
                    Err(_) => errors += 1,
                }
            }
            (h, errors, empty, answers)
        });
    }
    let mut hist = new_histogram();
    let (mut errors, mut empty) = (0, 0);
    let mut answers = vec![None; pts.len()];
    while let Some(j) = set.join_next().await {
        let (h, e, m, a) = j.context("a query task failed")?;
        let _ = hist.add(&h);
        errors += e;
        empty += m;
        for (i, ans) in a {
            answers[i] = ans;
        }
    }
    Ok((hist, errors, empty, answers, started.elapsed()))
}

struct EngineConn {
    http: reqwest::Client,
    url: String,
    auth: HeaderValue,
}

fn engine_query(
    c: &mut EngineConn,
    lat: f64,
    lng: f64,
) -> std::pin::Pin<Box<dyn Future<Output = Result<Answer>> + Send + '_>> {
    Box::pin(async move {
        let resp = c
            .http
            .get(format!("{}?lat={lat}&lng={lng}&limit=1", c.url))
            .header(AUTHORIZATION, c.auth.clone())
            .send()
            .await?;
        let status = resp.status();
        let body = resp.bytes().await?;
        if !status.is_success() {
            bail!("{status}: {}", String::from_utf8_lossy(&body));
        }
        let v: serde_json::Value = serde_json::from_slice(&body)?;
        Ok(v.get(0).and_then(|f| {
            Some((
                f["vehicle_id"].as_str()?.to_owned(),
                f["distance_m"].as_f64()?,
            ))
        }))
    })
}

pub async fn run(args: &NearestArgs) -> Result<NearestReport> {
    let base = args.url.trim().trim_end_matches('/');
    if !base.starts_with("http://") {
        bail!("--url must start with http://: got `{base}`");
    }
    let clients = usize::from(args.concurrency);
    let per_client_warmup = args.warmup_queries.div_ceil(clients);
    let pts = points(args.seed, args.queries + per_client_warmup * clients);
    let mut auth = HeaderValue::from_str(&format!("Bearer {}", args.token.trim()))
        .context("the token contains characters not allowed in a header")?;
    auth.set_sensitive(true);
    let url = format!("{base}/api/v1/dispatch/nearest");
    let make_engine = || {
        let (url, auth) = (url.clone(), auth.clone());
        async move {
            let http = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .timeout(Duration::from_secs(10))
                .tcp_nodelay(true)
                .no_proxy()
                .build()?;
            Ok(EngineConn { http, url, auth })
        }
    };
    // One query first: a wrong URL or token fails here with the engine's words.
    let mut probe = make_engine().await?;
    engine_query(&mut probe, pts[0].0, pts[0].1)
        .await
        .context("the first nearest query failed")?;
    eprintln!(
        "nearest: engine, {} queries, {clients} client(s)",
        args.queries
    );
    let (h, e, m, engine_answers, wall) =
        timed(clients, &pts, per_client_warmup, make_engine, engine_query).await?;
    let engine = Side::new("engine GET /dispatch/nearest", &h, e, m, wall);

    let (mut redis_side, mut agreement, mut fleet_size) = (None, None, None);
    if let Some(redis_url) = &args.redis {
        let client = redis::Client::open(redis_url.as_str()).context("the redis URL")?;
        let mut con = client
            .get_multiplexed_async_connection()
            .await
            .context("connecting to redis")?;
        let n = load_fleet(&mut con, &args.redis_key, &args.fleet).await?;
        fleet_size = Some(n);
        eprintln!(
            "nearest: redis GEOSEARCH over {n} vehicles, {} queries",
            args.queries
        );
        let make = || {
            let client = client.clone();
            let (key, radius_km) = (args.redis_key.clone(), args.radius_km);
            async move {
                let con = client.get_multiplexed_async_connection().await?;
                Ok(RedisConn {
                    con,
                    key,
                    radius_km,
                })
            }
        };
        let (h, e, m, redis_answers, wall) =
            timed(clients, &pts, per_client_warmup, make, redis_query).await?;
        redis_side = Some(Side::new("redis GEOSEARCH", &h, e, m, wall));
        let both: Vec<_> = engine_answers
            .iter()
            .zip(&redis_answers)
            .filter_map(|(a, b)| Some((a.as_ref()?, b.as_ref()?)))
            .collect();
        let same = both
            .iter()
            .filter(|(a, b)| a.0 == b.0 || (a.1 - b.1).abs() <= 1.0)
            .count();
        agreement = Some((same as u64, both.len() as u64));
    }
    Ok(NearestReport {
        tool: "loadtest",
        scenario: "nearest",
        url: base.to_owned(),
        seed: args.seed,
        concurrency: args.concurrency,
        fleet_size,
        engine,
        redis: redis_side,
        agreement,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_are_seeded_and_in_the_box() {
        let a = points(7, 100);
        assert_eq!(a, points(7, 100));
        assert_ne!(a, points(8, 100));
        assert!(
            a.iter()
                .all(|(lat, lng)| (LAT_RANGE.0..=LAT_RANGE.1).contains(lat)
                    && (LNG_RANGE.0..=LNG_RANGE.1).contains(lng))
        );
    }
}
