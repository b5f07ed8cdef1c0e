//! The end of a run: the drain (offers still on their way), telling unserved tickets from
//! lost offers by their timelines, and the settings as the report gives them.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use tokio::time::Instant;

use super::args::Plan;
use super::report::Settings;
use super::run::wait;
use super::track::{Snap, Tracker};
use crate::intake::StopSignal;

/// Waits for offers still on their way: until the intakes in flight are answered and no
/// vehicle or console has seen a new offer for two seconds (or every grade I ticket
/// reached a vehicle and every console), or the drain time is up. `true` on Ctrl-C.
pub async fn drain(
    tracker: &Tracker,
    total: &Arc<dyn Fn() -> Snap + Send + Sync>,
    plan: &Plan,
    stop: &mut StopSignal,
) -> bool {
    let until = Instant::now() + plan.args.drain;
    let mut at = Instant::now();
    let mut seen = (u64::MAX, u64::MAX);
    let mut quiet_since = Instant::now();
    while at < until {
        at += Duration::from_millis(250);
        if wait(at.min(until), stop).await {
            return true;
        }
        let t = total();
        let now = (tracker.receipts(), t.offers_received);
        if now != seen {
            seen = now;
            quiet_since = Instant::now();
        }
        let settled = t.intakes_sent
            == t.intakes_acked
                + t.errors
                    .iter()
                    .filter(|(k, _)| k.starts_with("intake:"))
                    .map(|(_, v)| v)
                    .sum::<u64>();
        let all_in = t.offers_received >= tracker.urgent_acked()
            && tracker.audit(&HashSet::new()).console_lost == 0;
        if settled && (all_in || quiet_since.elapsed() >= Duration::from_secs(2)) {
            return false;
        }
    }
    false
}

/// Of the grade I tickets no vehicle received, those the engine never offered (no
/// `offer.sent` in the timeline: no eligible vehicle was free). The rest are lost.
pub async fn unserved(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    ids: Vec<String>,
) -> HashSet<String> {
    futures_util::stream::iter(ids)
        .map(|id| async move {
            let url = format!("{base}/api/v1/tickets/{id}/events");
            let events: serde_json::Value = http
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .ok()?
                .json()
                .await
                .ok()?;
            let offered = events.as_array()?.iter().any(|e| e["type"] == "offer.sent");
            (!offered).then_some(id)
        })
        .buffer_unordered(32)
        .filter_map(std::future::ready)
        .collect()
        .await
}

/// The plan's settings, as the report gives them.
pub fn settings(plan: &Plan) -> Settings {
    let a = &plan.args;
    Settings {
        vehicles: plan.vehicles,
        gateway_vehicles: plan.gateway_vehicles,
        rate_hz: a.rate,
        batch: a.batch,
        gateway_batch: a.gateway_batch,
        tickets_per_s: plan.tickets,
        urgent_share: a.urgent_share,
        consoles: plan.consoles,
        // The name the option takes on the command line.
        console_view: clap::ValueEnum::to_possible_value(&plan.args.console_view)
            .map(|v| v.get_name().to_owned())
            .unwrap_or_default(),
        boards: plan.boards,
        duration_s: plan.duration.as_secs_f64(),
        warmup_s: a.warmup.as_secs_f64(),
        drain_s: a.drain.as_secs_f64(),
        onsite_s: a.onsite.as_secs_f64(),
        open_tickets: a.open_tickets,
        procs: a.procs,
        addresses: a.addresses.iter().map(|x| x.to_string()).collect(),
    }
}
