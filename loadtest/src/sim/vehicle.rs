//! One simulated vehicle app on `/ws/vehicle`, doing what a crew's phone does: it streams
//! fixes at the run's rate (each fix's `ts` is the moment it was made, so a console can
//! tell how old a position is when it sees it), takes every offer at once, drives to the
//! site at 40–60 km/h (the engine notices the arrival from the fixes), stays on site for
//! the configured time, files the on-site record over HTTP with its own field token, and
//! once the ticket has moved on tells the engine it is available again and drives on.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rand::Rng;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;

use super::Stage;
use super::track::{Counters, Tracker};
use crate::fleet::path::{Mover, now_us};

type Ws = WebSocketStream<tokio::net::TcpStream>;

/// What every vehicle task shares.
pub struct VehicleCtx {
    pub counters: Arc<Counters>,
    pub tracker: Arc<Tracker>,
    pub http: reqwest::Client,
    /// `http://host:port`.
    pub base: String,
    /// Fixes per second.
    pub rate: f64,
    /// Fixes per frame.
    pub batch: usize,
    pub onsite: Duration,
}

/// The job a vehicle is on.
#[derive(Debug)]
struct Job {
    ticket_id: String,
    /// When the crew will be done on site (set on arrival).
    done_at: Option<Instant>,
    record_filed: bool,
}

/// Runs one vehicle until the stage is `Finish` or the engine closes the socket.
pub async fn drive(
    ws: Ws,
    mut mover: Mover,
    token: String,
    ctx: Arc<VehicleCtx>,
    mut stage: watch::Receiver<Stage>,
) {
    let (mut sink, mut stream) = ws.split();
    let period = Duration::from_secs_f64(ctx.batch as f64 / ctx.rate);
    // A random offset spreads the vehicles' frames over the period.
    let offset = period.mul_f64(rand::rng().random_range(0.0..1.0));
    let mut ticker = tokio::time::interval_at(Instant::now() + offset, period);
    ticker.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let mut job: Option<Job> = None;
    let c = &ctx.counters;
    // An app reports where it is as soon as it is connected: the engine can offer it work.
    if sink
        .send(Message::text(mover.frame(now_us(), 1)))
        .await
        .is_ok()
    {
        c.add(&c.fixes_sent, 1);
    }
    loop {
        let onsite_done = job
            .as_ref()
            .and_then(|j| j.done_at.filter(|_| !j.record_filed));
        tokio::select! {
            changed = stage.changed() => {
                if changed.is_err() || *stage.borrow() == Stage::Finish {
                    break;
                }
            }
            _ = ticker.tick() => {
                let frame = mover.frame(now_us(), ctx.batch);
                if sink.send(Message::text(frame)).await.is_err() {
                    c.error("vehicle_send_failed");
                    break;
                }
                c.add(&c.fixes_sent, ctx.batch as u64);
            }
            _ = sleep_until_opt(onsite_done) => {
                if let Some(j) = job.as_mut() {
                    j.record_filed = true;
                    tokio::spawn(file_record(ctx.clone(), token.clone(), j.ticket_id.clone()));
                }
            }
            msg = stream.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => t,
                    Some(Ok(Message::Close(_))) | None | Some(Err(_)) => {
                        if *stage.borrow() != Stage::Finish {
                            c.add(&c.sockets_lost, 1);
                        }
                        break;
                    }
                    Some(Ok(_)) => continue,
                };
                let Ok(v) = serde_json::from_str::<Value>(text.as_str()) else {
                    c.error("vehicle_bad_frame");
                    continue;
                };
                // The app confirms every offer as it arrives (it declared `offer.received`).
                let receipt = (v["type"] == "offer").then(|| {
                    json!({ "type": "offer.received", "offer_id": v["offer_id"] }).to_string()
                });
                let reply = handle(&v, &mut job, &mut mover, &ctx);
                let mut failed = false;
                for frame in receipt.into_iter().chain(reply) {
                    if sink.send(Message::text(frame)).await.is_err() {
                        failed = true;
                        break;
                    }
                }
                if failed {
                    c.error("vehicle_send_failed");
                    break;
                }
            }
        }
    }
    let _ = tokio::time::timeout(Duration::from_secs(2), sink.close()).await;
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Reacts to one frame from the engine; returns the frame to answer with, if any.
fn handle(v: &Value, job: &mut Option<Job>, mover: &mut Mover, ctx: &VehicleCtx) -> Option<String> {
    let c = &ctx.counters;
    match v["type"].as_str().unwrap_or_default() {
        "offer" => {
            let at = now_us();
            let ticket_id = v["ticket"]["id"].as_str().unwrap_or_default();
            ctx.tracker.vehicle_offer(ticket_id, at);
            c.add(&c.offers_received, 1);
            if job.is_some() {
                c.error("offer_while_on_a_job");
            }
            let pos = &v["location"]["position"];
            if let (Some(lat), Some(lng)) = (pos["lat"].as_f64(), pos["lng"].as_f64()) {
                mover.dispatch_to(lat, lng);
            }
            *job = Some(Job {
                ticket_id: ticket_id.to_owned(),
                done_at: None,
                record_filed: false,
            });
            Some(json!({ "type": "offer.accept", "offer_id": v["offer_id"] }).to_string())
        }
        "ack" => {
            match v["request"].as_str() {
                Some("offer.accept") => c.add(&c.offers_accepted, 1),
                Some("status") => c.add(&c.vehicles_freed, 1),
                _ => {}
            }
            None
        }
        "ticket.updated" => {
            let mine = job
                .as_ref()
                .is_some_and(|j| v["ticket_id"].as_str() == Some(j.ticket_id.as_str()));
            if !mine {
                return None;
            }
            match v["status"].as_str().unwrap_or_default() {
                "en_route" => None,
                "on_site" => {
                    c.add(&c.arrivals, 1);
                    mover.park();
                    if let Some(j) = job.as_mut() {
                        j.done_at.get_or_insert(Instant::now() + ctx.onsite);
                    }
                    None
                }
                // The dispatch was called off: the engine makes the vehicle available.
                "received" | "triaged" => {
                    *job = None;
                    mover.resume();
                    None
                }
                // Done on site: back on the road and free for the next job.
                _ => {
                    *job = None;
                    mover.resume();
                    Some(r#"{"type":"status","status":"available"}"#.into())
                }
            }
        }
        "offer.cancelled" => {
            c.error("offer_cancelled");
            *job = None;
            mover.resume();
            None
        }
        "error" => {
            let code = v["code"].as_str().unwrap_or("error");
            c.error(&format!("vehicle_error:{code}"));
            None
        }
        _ => None,
    }
}

/// Files the on-site record of `ticket_id` as the vehicle's crew would.
async fn file_record(ctx: Arc<VehicleCtx>, token: String, ticket_id: String) {
    let url = format!("{}/api/v1/tickets/{ticket_id}/onsite-record", ctx.base);
    let body = json!({
        "findings": "现场检查：店内柜台及仓库未发现涉案卷烟，已对经营者进行法规宣传。",
        "actions": "现场检查，拍照取证，制作检查记录",
        "evidence": [ { "kind": "photo", "reference": "lt-photo" } ],
    });
    let sent = ctx
        .http
        .post(url)
        .bearer_auth(token)
        .json(&body)
        .send()
        .await;
    let c = &ctx.counters;
    match sent {
        Ok(r) if r.status().is_success() => c.add(&c.onsite_records, 1),
        Ok(r) => c.error(&format!("onsite_record:{}", r.status().as_u16())),
        Err(_) => c.error("onsite_record:transport"),
    }
}
