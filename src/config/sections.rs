//! The sections of the settings, one struct each, as `config/default.toml` lays them out;
//! what each key means is said there and in the README's settings table.

use std::path::PathBuf;

use serde::Deserialize;

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeedSettings {
    /// Where status messages are POSTed; empty = the feed is off.
    pub url: String,
    /// The HMAC-SHA256 key shared with the receiver; never logged (`Debug` hides it).
    #[serde(deserialize_with = "secret")]
    pub secret: Secret,
    /// Attempts per message before it is parked.
    pub max_attempts: u32,
    /// First back-off between attempts, doubled each time up to `backoff_cap_ms`.
    pub backoff_base_ms: u64,
    pub backoff_cap_ms: u64,
    /// Seconds one delivery may take.
    pub timeout_s: u64,
    /// How often the idle feed looks for new events, milliseconds.
    pub poll_ms: u64,
}

impl FeedSettings {
    /// Whether a receiver is configured.
    pub fn enabled(&self) -> bool {
        !self.url.trim().is_empty()
    }
}

/// Cluster mode on Redis (`cluster/`, `docs/cluster.md`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSettings {
    /// The Redis the nodes share; empty = one node on its own store.
    pub redis_url: String,
    pub node_id: String,
    /// Where the other nodes reach this node's HTTP server.
    pub advertise_url: String,
    /// What a node proves when it forwards a write to another; never logged.
    #[serde(deserialize_with = "secret")]
    pub secret: Secret,
    pub lease_ms: u64,
    pub lease_margin_ms: u64,
    pub node_timeout_ms: u64,
}

impl ClusterSettings {
    /// Whether this node runs in a cluster.
    pub fn enabled(&self) -> bool {
        !self.redis_url.trim().is_empty()
    }
}

/// Reporters' personal data retention.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySettings {
    /// Days a closed ticket keeps its reporter's name, phone and address.
    pub retain_days: u32,
    /// How often the engine looks for tickets past it, seconds.
    pub sweep_every_s: u64,
}

/// Evidence files the engine keeps (`evidence/`, `api/tickets/evidence.rs`).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceSettings {
    /// Largest file accepted, bytes; a larger upload is cut off at this size (413).
    pub max_bytes: u64,
    /// Content types accepted, as found in the bytes (magic numbers), not as declared.
    #[serde(deserialize_with = "list")]
    pub allowed_types: Vec<String>,
    /// Seconds a stored file no event refers to is kept before it is collected: an upload
    /// whose attaching event is still on its way is never taken for an orphan.
    pub orphan_grace_s: u64,
    /// How often files no event refers to are looked for, seconds.
    pub sweep_every_s: u64,
    /// Uploads received at once; each holds a blocking thread while its client sends, so
    /// more are refused (429) rather than let slow clients take every thread.
    pub max_concurrent_uploads: usize,
}

/// A setting that must never reach a log: its `Debug` prints only whether it is set.
#[derive(Clone, Default)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "<empty>"
        } else {
            "<secret>"
        })
    }
}

fn secret<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Secret, D::Error> {
    String::deserialize(d).map(Secret)
}

/// Who may read the operations routes that show more than liveness.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpsSettings {
    /// A bearer token accepted for `/metrics` only (a scraper from another host); empty =
    /// none.
    pub metrics_token: String,
    /// Client addresses (or CIDR ranges) served `/metrics` without a token.
    #[serde(deserialize_with = "list")]
    pub metrics_allow: Vec<crate::net::AddrRange>,
}

/// The service area: where the engine dispatches on its own.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaSettings {
    /// The area file; empty = `area.toml` in the config directory, else the built-in copy.
    pub path: String,
    /// A position this far outside every outline still counts as inside (outlines are
    /// approximate, and a shop on the border road is the county's), km.
    pub margin_km: f64,
}

/// The console, field and board streams.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StreamSettings {
    /// Vehicle moves are coalesced and sent once per tick.
    pub tick_ms: u64,
    /// Frames that may wait for one client before it is cut off.
    pub max_backlog: usize,
    /// Megabytes of frames that may wait for one client before it is cut off.
    pub max_backlog_mb: usize,
    /// A zoomed-out console's counts of off-duty and gateway-only vehicles per cell are
    /// refreshed this often (when they changed).
    pub idle_tick_ms: u64,
    /// Most events a resuming client is replayed; further behind gets a snapshot.
    pub max_replay: u64,
    /// Most open tickets in a console snapshot (the most urgent first).
    pub snapshot_max_tickets: usize,
    pub heartbeat_s: u64,
    pub socket_timeout_s: u64,
    /// Commands one console may have in flight.
    pub max_commands_in_flight: usize,
    /// Intakes in flight at which consoles' moves start to wait (intake is shed last);
    /// 0 = never.
    pub defer_moves_at_intakes: usize,
    /// The longest consoles' moves wait while intake is pressed.
    pub defer_moves_max_ms: u64,
}

/// What the public board leaves off until closed.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BoardSettings {
    #[serde(deserialize_with = "list")]
    pub embargoed_categories: Vec<String>,
    #[serde(deserialize_with = "list")]
    pub hidden_grades: Vec<crate::domain::catalog::Urgency>,
    /// How often the squad leaderboard is recomputed and pushed, when it changed.
    pub leaderboard_every_s: u64,
    /// How long an archived ticket (hidden ones included) stays on the board as done, s.
    #[serde(default = "done_for_s")]
    pub done_for_s: u64,
}

fn done_for_s() -> u64 {
    1800
}

/// A list setting: a TOML array, or one comma-separated string (how environment variables
/// carry lists: `APP__DISPATCH__AUTO_OFFER_GRADES=I,II`). Items are trimmed and blank ones
/// skipped, so `APP__BOARD__HIDDEN_GRADES=` means none. Lists are split here, not by the
/// `config` crate, because its splitting only runs with `try_parsing`, which also rewrites
/// strings that look like numbers (`0012` would become `12`).
pub fn list<'de, D, T>(d: D) -> Result<Vec<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error;
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum ListOrText {
        List(Vec<serde_json::Value>),
        Text(String),
    }
    let items: Vec<serde_json::Value> = match ListOrText::deserialize(d)? {
        ListOrText::List(items) => items,
        ListOrText::Text(text) => text.split(',').map(|s| s.into()).collect(),
    };
    items
        .into_iter()
        .filter_map(|v| match v {
            serde_json::Value::String(s) if s.trim().is_empty() => None,
            serde_json::Value::String(s) => Some(serde_json::Value::String(s.trim().to_owned())),
            other => Some(other),
        })
        .map(|v| serde_json::from_value(v).map_err(D::Error::custom))
        .collect()
}

impl BoardSettings {
    pub fn policy(&self) -> crate::domain::board::BoardPolicy {
        crate::domain::board::BoardPolicy {
            embargoed_categories: self.embargoed_categories.clone(),
            hidden_grades: self.hidden_grades.clone(),
            done_for_s: self.done_for_s,
        }
    }
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DispatchSettings {
    pub offer_timeout_s: u64,
    /// Seconds an app that confirms offers has to confirm one before it is withdrawn.
    pub offer_receipt_s: u64,
    /// Milliseconds a grade I intake waits for its first offer to be planned, so both are
    /// committed in one flush; past it the ticket is filed alone and offered after.
    pub first_offer_wait_ms: u64,
    #[serde(deserialize_with = "list")]
    pub auto_offer_grades: Vec<crate::domain::catalog::Urgency>,
    pub arrival_radius_m: f64,
    pub travel_speed_kmh: f64,
    pub max_fix_age_s: u64,
    pub max_clock_skew_s: u64,
    /// Candidate search radius of automatic offers and of the nearest route without
    /// `max_km`, km; 0 = as far as the service area reaches (see `ServiceArea::reach_m`).
    pub max_offer_km: f64,
    pub own_team_margin_s: u64,
    pub persist_fixes_every_s: u64,
    pub arbiters: usize,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleetSettings {
    pub socket_timeout_s: u64,
    pub heartbeat_s: u64,
    pub max_frame_bytes: usize,
    pub max_batch_fixes: usize,
    /// Fixes a second one vehicle socket may keep sending (a frame that is not a
    /// position counts as one).
    pub max_fixes_per_s: u32,
    /// Fixes a socket may send at once beyond that rate: the backlog a device replays
    /// after a network gap. Past both, it is cut off as flooding.
    pub max_fix_burst: u32,
    /// A vehicle without a connected socket counts as online this long after a GPS
    /// gateway's last fix for it (`POST /positions`); offline vehicles are never offered.
    #[serde(default = "gateway_online_default")]
    pub gateway_online_s: u64,
}

fn gateway_online_default() -> u64 {
    120
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub workers: usize,
    pub max_body_bytes: usize,
    pub shutdown_timeout_s: u64,
    /// Web origins (`https://console.example:8443`) whose pages may open a socket, besides
    /// the engine's own; clients that send no `Origin` (devices, apps) are not affected.
    #[serde(deserialize_with = "list")]
    pub allowed_origins: Vec<String>,
    /// Reverse proxies (addresses or CIDR ranges) whose `X-Forwarded-For` names the client;
    /// empty = the peer address is the client (see `api/peer.rs`).
    #[serde(deserialize_with = "list")]
    pub trusted_proxies: Vec<crate::net::AddrRange>,
    /// PEM certificate chain; with `tls_key`, the port serves HTTPS and WSS (`tls.rs`).
    /// Empty, with `tls_key` empty too: plain HTTP.
    pub tls_cert: String,
    /// PEM private key of `tls_cert`.
    pub tls_key: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSettings {
    pub path: PathBuf,
    pub cache_capacity_mb: u64,
    pub max_batch: usize,
    pub queue_capacity: usize,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub bootstrap_admin_token: String,
    /// Failed authentications one client address is allowed per minute, sustained...
    pub failed_per_minute: u32,
    /// ... beyond a first burst of this many; past both it is answered 429 (a valid token
    /// still passes). See `api/throttle.rs`.
    pub failed_burst: u32,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TicketSettings {
    pub number_prefix: String,
    pub arbiters: usize,
    /// Seconds a ticket goes unused before its actor is stopped (its state is in the store;
    /// the next command starts it again).
    pub passivate_after_s: u64,
    pub catalog: String,
}

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    Json,
    Pretty,
}
