//! Setting the run up through the admin API: twelve enforcement squads (one per town) with
//! the socket vehicles spread over them, a logistics squad for the gateway-fed vehicles,
//! a `field` token per socket vehicle, a `platform` token for intake and the gateway, a
//! `dispatcher` token per console and one `board` token. Registering is idempotent (409
//! means already there), so a rerun against the same store reuses the fleet.

use anyhow::Result;
use futures_util::StreamExt;
use indicatif::ProgressBar;

use crate::fleet::path::TOWNS;
use crate::fleet::register::Admin;

/// A socket vehicle and the token its app connects with.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Crewed {
    pub index: usize,
    pub id: String,
    pub token: String,
}

/// Everything the run needs from the engine's admin side.
pub struct Setup {
    pub vehicles: Vec<Crewed>,
    pub gateway: Vec<String>,
    pub platform: String,
    pub dispatchers: Vec<String>,
    pub board: String,
    /// A dispatcher token for the audit (reads timelines).
    pub auditor: String,
}

pub fn squad_id(prefix: &str, town: usize) -> String {
    format!("{prefix}-t{:02}", town + 1)
}

pub fn vehicle_id(prefix: &str, index: usize) -> String {
    format!("{prefix}-v{:06}", index + 1)
}

pub fn gateway_id(prefix: &str, index: usize) -> String {
    format!("{prefix}-g{:06}", index + 1)
}

/// Registers the fleet and issues the tokens; `bar` counts vehicles.
pub async fn run(
    admin: &Admin,
    prefix: &str,
    vehicles: usize,
    gateway: usize,
    consoles: usize,
    concurrency: usize,
    bar: &ProgressBar,
) -> Result<Setup> {
    for (k, town) in TOWNS.iter().map(|t| &t.name).enumerate() {
        let name = format!("{town}稽查压测中队 {prefix}");
        admin
            .ensure_team_in(&squad_id(prefix, k), &name, "enforcement", town)
            .await?;
    }
    let logistics = format!("{prefix}-logistics");
    if gateway > 0 {
        admin
            .ensure_team_in(
                &logistics,
                &format!("物流配送压测 {prefix}"),
                "logistics",
                "武穴市",
            )
            .await?;
    }
    let mut crewed: Vec<Crewed> = futures_util::stream::iter(0..vehicles)
        .map(|index| async move {
            let id = vehicle_id(prefix, index);
            let plate = format!("鄂J·{prefix}{:05}", index + 1);
            let squad = squad_id(prefix, index % TOWNS.len());
            admin
                .ensure_vehicle_in(&id, &plate, &squad, "enforcement")
                .await?;
            let token = admin.issue_token("field", &id).await?;
            bar.inc(1);
            Ok::<_, anyhow::Error>(Crewed { index, id, token })
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    crewed.sort_by_key(|v| v.index);
    let logistics = &logistics;
    let gateway_ids: Vec<String> = futures_util::stream::iter(0..gateway)
        .map(|index| async move {
            let id = gateway_id(prefix, index);
            let plate = format!("鄂J·{prefix}G{:05}", index + 1);
            admin
                .ensure_vehicle_in(&id, &plate, logistics, "logistics")
                .await?;
            bar.inc(1);
            Ok::<_, anyhow::Error>(id)
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    let platform = admin
        .issue_token("platform", &format!("{prefix}-platform"))
        .await?;
    let mut dispatchers = Vec::with_capacity(consoles);
    for k in 0..consoles {
        dispatchers.push(
            admin
                .issue_token("dispatcher", &format!("{prefix}-console-{k}"))
                .await?,
        );
    }
    let board = admin
        .issue_token("board", &format!("{prefix}-board"))
        .await?;
    let auditor = admin
        .issue_token("dispatcher", &format!("{prefix}-auditor"))
        .await?;
    Ok(Setup {
        auditor,
        vehicles: crewed,
        gateway: gateway_ids,
        platform,
        dispatchers,
        board,
    })
}
