//! Tickets coming in from the 12313 platform at a fixed rate (open loop: a slow answer
//! does not slow the arrivals; past `--max-inflight` unanswered intakes the excess is
//! counted as `intake_backlog` and not sent). Most are grade I leads — counterfeit or
//! smuggled goods, unlicensed transport — near a town, which the engine offers to the
//! nearest vehicle at intake; the rest are routine complaints that wait for a dispatcher
//! (and show on the public board). Also the preload of open tickets before a run.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use futures_util::StreamExt;
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::{Semaphore, watch};
use tokio::time::MissedTickBehavior;

use super::Stage;
use super::track::{Counters, Tracker};
use crate::fleet::path::TOWNS;
use crate::timefmt::now_us;

/// Grade I leads: (category, what the caller says).
const URGENT: &[(&str, &str)] = &[
    (
        "unlicensed_transport",
        "一辆面包车正在卸运大量卷烟，车上没有任何证件",
    ),
    ("counterfeit", "烟酒店疑似销售假烟，包装印刷模糊，钢印不清"),
    ("smuggled", "有人在路边出售没有中文标识的外烟，疑似走私"),
    ("unlicensed_retail", "小卖部没有烟草专卖零售许可证却在卖烟"),
    ("outflow", "有人成批收购本地卷烟往外地运，疑似真烟外流"),
];
/// Routine tickets: (category, kind, text).
const ROUTINE: &[(&str, &str, &str)] = &[
    (
        "late_delivery",
        "complaint",
        "本周订的卷烟到现在还没送到，超过约定时间两天",
    ),
    (
        "delivery_attitude",
        "complaint",
        "送货员态度很差，卸货时把烟箱乱扔",
    ),
    (
        "account_manager_service",
        "complaint",
        "客户经理一个多月没有上门走访",
    ),
];
/// Most answers a ticket intake waits for before it counts as failed.
const TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Deserialize)]
struct Created {
    id: String,
}

/// An intake body: a grade I lead or a routine complaint near a town.
pub fn body(rng: &mut StdRng, external_id: &str, urgent: bool) -> Value {
    let town = TOWNS.choose(rng).unwrap_or(&TOWNS[0]);
    let lat = town.lat + rng.random_range(-0.02..0.02);
    let lng = town.lng + rng.random_range(-0.02..0.02);
    let town = &town.name;
    let address = format!("{town}正街{}号", rng.random_range(1..=300));
    let phone = format!("1380000{:04}", rng.random_range(0..10_000));
    let mut b = json!({
        // Marks the ticket simulated: kept off the board and out of the stats.
        "source": "loadtest",
        "external_id": external_id,
        "reporter": { "name": "测试来电人", "phone": phone, "anonymous": false },
        "address_text": address,
        "location": { "lat": (lat * 1e6_f64).round() / 1e6, "lng": (lng * 1e6_f64).round() / 1e6 },
    });
    if urgent {
        let (category, text) = *URGENT.choose(rng).unwrap_or(&URGENT[0]);
        b["kind"] = "report".into();
        b["category"] = category.into();
        b["urgency"] = "I".into();
        b["description"] = format!("{town}{text}").into();
    } else {
        let (category, kind, text) = *ROUTINE.choose(rng).unwrap_or(&ROUTINE[0]);
        b["kind"] = kind.into();
        b["category"] = category.into();
        b["urgency"] = "III".into();
        b["description"] = format!("{town}{text}").into();
    }
    b
}

/// The platform side: its client, token and where intakes go.
#[derive(Clone)]
pub struct Platform {
    pub http: reqwest::Client,
    pub endpoint: String,
    pub token: String,
}

impl Platform {
    /// Sends one intake; the new ticket's id, or the error's key.
    async fn intake(&self, body: &Value) -> Result<String, String> {
        let resp = self
            .http
            .post(&self.endpoint)
            .bearer_auth(&self.token)
            .timeout(TIMEOUT)
            .json(body)
            .send()
            .await
            .map_err(|e| {
                if e.is_timeout() {
                    "intake:timeout".to_owned()
                } else {
                    "intake:transport".to_owned()
                }
            })?;
        let status = resp.status().as_u16();
        let bytes = resp.bytes().await.map_err(|_| "intake:transport")?;
        if !matches!(status, 200 | 201) {
            return Err(format!("intake:{status}"));
        }
        serde_json::from_slice::<Created>(&bytes)
            .map(|c| c.id)
            .map_err(|_| "intake:bad_answer".to_owned())
    }
}

/// The ticket feed's settings.
pub struct Feed {
    pub platform: Platform,
    pub per_s: f64,
    pub urgent_share: f64,
    /// Put in every `external_id`, so each intake is a new ticket.
    pub run_id: String,
    pub seed: u64,
    pub max_inflight: usize,
    pub counters: Arc<Counters>,
    pub tracker: Arc<Tracker>,
}

/// Takes tickets in at `per_s` during the warm-up and the measured window.
pub async fn feed(f: Feed, mut stage: watch::Receiver<Stage>) {
    let Feed {
        platform,
        per_s,
        urgent_share,
        run_id,
        seed,
        max_inflight,
        counters,
        tracker,
    } = f;
    if per_s <= 0.0 {
        return;
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let gate = Arc::new(Semaphore::new(max_inflight.max(1)));
    let mut every = tokio::time::interval(Duration::from_secs_f64(1.0 / per_s));
    every.set_missed_tick_behavior(MissedTickBehavior::Burst);
    for n in 0u64.. {
        tokio::select! {
            _ = every.tick() => {}
            _ = stage.changed() => {}
        }
        if !stage.borrow().intake() {
            break;
        }
        let Ok(permit) = gate.clone().try_acquire_owned() else {
            counters.error("intake_backlog");
            continue;
        };
        let urgent = rng.random_bool(urgent_share);
        let b = body(&mut rng, &format!("{run_id}-{n}"), urgent);
        let (platform, counters, tracker) = (platform.clone(), counters.clone(), tracker.clone());
        tokio::spawn(async move {
            let sent = now_us();
            counters.add(&counters.intakes_sent, 1);
            match platform.intake(&b).await {
                Ok(id) => {
                    tracker.intake_acked(&id, urgent, sent, now_us());
                    counters.add(&counters.intakes_acked, 1);
                }
                Err(key) => counters.error(&key),
            }
            drop(permit);
        });
    }
}

/// Takes in `n` routine tickets as fast as the engine answers (`concurrency` at once);
/// returns how many were acknowledged.
pub async fn preload(
    platform: &Platform,
    n: usize,
    concurrency: usize,
    run_id: &str,
    seed: u64,
    bar: &indicatif::ProgressBar,
) -> u64 {
    let done = AtomicU64::new(0);
    futures_util::stream::iter(0..n)
        .for_each_concurrent(concurrency.max(1), |k| {
            let mut rng = StdRng::seed_from_u64(seed ^ (k as u64).wrapping_mul(0x9E37_79B9));
            let b = body(&mut rng, &format!("{run_id}-open-{k}"), false);
            let done = &done;
            async move {
                if platform.intake(&b).await.is_ok() {
                    done.fetch_add(1, Ordering::Relaxed);
                }
                bar.inc(1);
            }
        })
        .await;
    done.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_follow_the_contract() {
        let mut rng = StdRng::seed_from_u64(3);
        let u = body(&mut rng, "x-1", true);
        assert_eq!(
            (u["urgency"].as_str(), u["kind"].as_str()),
            (Some("I"), Some("report"))
        );
        assert!(
            u["location"]["lat"]
                .as_f64()
                .is_some_and(|l| (29.8..30.25).contains(&l))
        );
        let r = body(&mut rng, "x-2", false);
        assert_eq!(r["urgency"], "III");
        assert_eq!(r["external_id"], "x-2");
    }
}
