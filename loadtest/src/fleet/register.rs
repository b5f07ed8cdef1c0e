//! Setting up a simulated fleet through the admin API: one squad per load process, one
//! crew-less vehicle per socket (`<prefix>-v00001`…) and a `field` token bound to each.
//! Every squad and vehicle is registered `simulated: true`, so the engine keeps them and
//! their tickets off the public board and out of the stats; and before registering
//! anything, `guard_store` refuses a store holding real squads or vehicles (any not marked
//! simulated) unless the run was told `--allow-real-store`.
//! Requests run concurrently with a bound, retry briefly on 429/503 (the engine answers
//! overload with those), and treat 409 on a squad or vehicle as "already registered", so a
//! second run against the same store reuses the fleet.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use futures_util::StreamExt;
use indicatif::ProgressBar;
use reqwest::header::{AUTHORIZATION, HeaderValue};
use serde_json::json;

/// Attempts per request when the engine answers 429 or 503.
const ATTEMPTS: u32 = 5;

/// A vehicle of the simulated fleet, with the token its app connects with.
#[derive(Debug, Clone)]
pub struct SimVehicle {
    pub index: usize,
    pub id: String,
    pub token: String,
}

/// The admin side of the engine's API.
pub struct Admin {
    http: reqwest::Client,
    base: String,
    auth: HeaderValue,
}

impl Admin {
    pub fn new(base: &str, token: &str, pool: usize) -> Result<Self> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(pool)
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .tcp_nodelay(true)
            .no_proxy()
            .build()
            .context("building the HTTP client")?;
        let mut auth = HeaderValue::from_str(&format!("Bearer {}", token.trim()))
            .context("the admin token contains characters not allowed in a header")?;
        auth.set_sensitive(true);
        Ok(Self {
            http,
            base: base.trim_end_matches('/').to_owned(),
            auth,
        })
    }

    /// POSTs `body` to `/api/v1/<path>`; returns the status and the answer's text.
    async fn post(&self, path: &str, body: &serde_json::Value) -> Result<(u16, String)> {
        let url = format!("{}/api/v1/{path}", self.base);
        let mut wait = Duration::from_millis(50);
        for attempt in 1..=ATTEMPTS {
            let resp = self
                .http
                .post(&url)
                .header(AUTHORIZATION, self.auth.clone())
                .json(body)
                .send()
                .await
                .with_context(|| format!("POST {url}"))?;
            let status = resp.status().as_u16();
            let text = resp.text().await.unwrap_or_default();
            if matches!(status, 429 | 503) && attempt < ATTEMPTS {
                tokio::time::sleep(wait).await;
                wait *= 2;
                continue;
            }
            return Ok((status, text));
        }
        unreachable!("the last attempt returns")
    }

    /// GETs `/api/v1/<path>` as JSON.
    async fn get_json(&self, path: &str) -> Result<serde_json::Value> {
        let url = format!("{}/api/v1/{path}", self.base);
        let resp = self
            .http
            .get(&url)
            .header(AUTHORIZATION, self.auth.clone())
            .send()
            .await
            .with_context(|| format!("GET {url}"))?;
        let status = resp.status().as_u16();
        let text = resp.text().await.unwrap_or_default();
        match status {
            200 => serde_json::from_str(&text).with_context(|| format!("GET {url}: not JSON")),
            401 | 403 => bail!("the engine refused the admin token: {text}"),
            s => bail!("GET {url} answered {s}: {text}"),
        }
    }

    /// Refuses to go on when the engine's store holds real squads or vehicles (any not
    /// marked simulated), unless `allow_real` (`--allow-real-store`).
    pub async fn guard_store(&self, allow_real: bool) -> Result<()> {
        let teams = self.get_json("teams").await?;
        let vehicles = self.get_json("vehicles").await?;
        let real = real_records(&teams, &vehicles);
        if real.is_empty() {
            return Ok(());
        }
        if allow_real {
            eprintln!(
                "warning: the store holds real data ({}); going on as --allow-real-store says \
                 (this run's squads, vehicles and tickets are marked simulated)",
                summary(&real)
            );
            return Ok(());
        }
        bail!(
            "the engine's store holds real data ({}): a load test would add its squads, \
             vehicles and tickets to the store of a working command centre, and its vehicles \
             would be offered real tickets. Run it against an engine on an empty store \
             (e.g. APP__STORE__PATH=/tmp/loadtest.sled), or pass --allow-real-store to run \
             anyway (what it creates is marked simulated and kept off the board and the stats)",
            summary(&real)
        )
    }

    /// Creates a record; 201 and 409 (already there) are both fine.
    async fn ensure(&self, path: &str, body: serde_json::Value) -> Result<()> {
        match self.post(path, &body).await? {
            (200 | 201 | 409, _) => Ok(()),
            (401 | 403, text) => bail!("the engine refused the admin token: {text}"),
            (s, text) => bail!("POST /api/v1/{path} answered {s}: {text}"),
        }
    }

    pub async fn ensure_team(&self, id: &str, name: &str) -> Result<()> {
        self.ensure_team_in(id, name, "enforcement", "武穴市").await
    }

    /// A squad of `department` working `area`.
    pub async fn ensure_team_in(
        &self,
        id: &str,
        name: &str,
        department: &str,
        area: &str,
    ) -> Result<()> {
        self.ensure(
            "teams",
            json!({ "id": id, "name": name, "department": department, "area": area,
                    "simulated": true }),
        )
        .await
    }

    pub async fn ensure_vehicle(&self, id: &str, plate: &str, team: &str) -> Result<()> {
        self.ensure_vehicle_in(id, plate, team, "enforcement").await
    }

    /// A crew-less vehicle of `department` in squad `team`.
    pub async fn ensure_vehicle_in(
        &self,
        id: &str,
        plate: &str,
        team: &str,
        department: &str,
    ) -> Result<()> {
        self.ensure(
            "vehicles",
            json!({ "id": id, "plate": plate, "team_id": team,
                    "department": department, "crew": [], "simulated": true }),
        )
        .await
    }

    /// Issues a token for `role` bound to (or labelled) `subject`; returns the secret.
    pub async fn issue_token(&self, role: &str, subject: &str) -> Result<String> {
        let (status, text) = self
            .post("tokens", &json!({ "role": role, "subject": subject }))
            .await?;
        if !(200..300).contains(&status) {
            bail!("POST /api/v1/tokens ({role} for {subject}) answered {status}: {text}");
        }
        let v: serde_json::Value =
            serde_json::from_str(&text).context("the token answer is not JSON")?;
        v["token"]
            .as_str()
            .map(str::to_owned)
            .with_context(|| format!("no `token` in the answer: {text}"))
    }
}

/// The squads and vehicles (`team T-1`, `vehicle V-01`) of the engine's roster lists that
/// are not marked simulated: real data a load test must not run beside unless told.
pub fn real_records(teams: &serde_json::Value, vehicles: &serde_json::Value) -> Vec<String> {
    let real = |list: &serde_json::Value, what: &str| -> Vec<String> {
        list.as_array()
            .into_iter()
            .flatten()
            .filter(|r| r["simulated"] != true)
            .map(|r| format!("{what} {}", r["id"].as_str().unwrap_or("?")))
            .collect()
    };
    let mut out = real(teams, "squad");
    out.extend(real(vehicles, "vehicle"));
    out
}

/// A few of them by name, and how many.
fn summary(real: &[String]) -> String {
    let named: Vec<&str> = real.iter().take(3).map(String::as_str).collect();
    let more = real.len().saturating_sub(named.len());
    if more > 0 {
        format!("{} and {more} more not marked simulated", named.join(", "))
    } else {
        format!("{} not marked simulated", named.join(", "))
    }
}

/// The id of vehicle `index` of the fleet with `prefix`.
pub fn vehicle_id(prefix: &str, index: usize) -> String {
    format!("{prefix}-v{:05}", index + 1)
}

/// Registers (when `register`) and issues tokens for `n` vehicles; `bar` counts them.
pub async fn fleet(
    admin: &Admin,
    prefix: &str,
    n: usize,
    register: bool,
    concurrency: usize,
    bar: &ProgressBar,
) -> Result<Vec<SimVehicle>> {
    let team = format!("{prefix}-team");
    if register {
        admin
            .ensure_team(&team, &format!("武穴稽查压测中队 {prefix}"))
            .await?;
    }
    let team = &team;
    let mut out: Vec<SimVehicle> = futures_util::stream::iter(0..n)
        .map(|index| async move {
            let id = vehicle_id(prefix, index);
            if register {
                let plate = format!("鄂J·{prefix}{:05}", index + 1);
                admin.ensure_vehicle(&id, &plate, team).await?;
            }
            let token = admin.issue_token("field", &id).await?;
            bar.inc(1);
            Ok::<_, anyhow::Error>(SimVehicle { index, id, token })
        })
        .buffer_unordered(concurrency.max(1))
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_>>()?;
    out.sort_by_key(|v| v.index);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_store_holding_any_squad_or_vehicle_not_marked_simulated_holds_real_data() {
        let sim_teams = json!([{ "id": "lt-t01", "simulated": true }]);
        let sim_vehicles = json!([{ "id": "lt-v000001", "simulated": true }]);
        assert!(real_records(&sim_teams, &sim_vehicles).is_empty());
        assert!(real_records(&json!([]), &json!([])).is_empty());
        // A record written before the flag, or by hand, has none: real.
        let teams = json!([{ "id": "T-ENF-1" }, { "id": "lt-t01", "simulated": true }]);
        let vehicles = json!([{ "id": "V-01", "simulated": false }]);
        assert_eq!(
            real_records(&teams, &vehicles),
            ["squad T-ENF-1", "vehicle V-01"]
        );
        let many: Vec<String> = (0..5).map(|i| format!("squad T-{i}")).collect();
        assert_eq!(
            summary(&many),
            "squad T-0, squad T-1, squad T-2 and 2 more not marked simulated"
        );
    }

    #[test]
    fn ids_are_valid_engine_ids_and_distinct_per_prefix() {
        let a = vehicle_id("lt-p0", 0);
        assert_eq!(a, "lt-p0-v00001");
        assert_ne!(a, vehicle_id("lt-p1", 0));
        assert!(
            a.len() <= 64
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        );
    }
}
