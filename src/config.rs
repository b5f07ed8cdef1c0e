//! Settings, layered: the built-in `config/default.toml`, then `config/default.toml` and
//! `config/{APP_ENV}.toml` from the config directory (`APP_CONFIG_DIR`, default `config`),
//! then `APP__SECTION__KEY` environment variables. Invalid settings fail at start with a
//! message naming the key.
//!
//! What was named must exist: `APP_ENV=staging` needs `staging.toml` in the config
//! directory, and a directory named by `APP_CONFIG_DIR` must be there. Unnamed, the
//! environment is `development` (its file optional) and the directory `config`; when that
//! is missing the engine runs on the built-in defaults and says so ([`Settings::notices`]).
//! Values keep the type the built-in defaults give each key: strings stay as written
//! (`0012` is not `12`), a whole-number setting takes only a whole number.

use std::path::{Path, PathBuf};

use config::{Config, Environment, File, FileFormat};
use serde::Deserialize;

use crate::domain::area::{BUILTIN_AREA, ServiceArea};
use crate::domain::catalog::{BUILTIN_CATALOG, Catalog};
use crate::store::StoreOptions;

#[cfg(test)]
mod load_tests;
mod sources;
pub use sources::Sources;

const BUILTIN_DEFAULTS: &str = include_str!("../config/default.toml");

#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub store: StoreSettings,
    pub auth: AuthSettings,
    pub tickets: TicketSettings,
    pub dispatch: DispatchSettings,
    pub fleet: FleetSettings,
    pub streams: StreamSettings,
    pub board: BoardSettings,
    pub log: LogSettings,
    pub area: AreaSettings,
    pub ops: OpsSettings,
    /// The outbound status feed to the 12313 platform (`feed/`).
    pub feed: FeedSettings,
    /// How long reporters' personal data is kept (`actors/retention.rs`).
    pub privacy: PrivacySettings,
    /// The config directory the settings were read from: the guide and the area file
    /// default to files in it.
    #[serde(skip)]
    pub config_dir: PathBuf,
    /// What the operator should know about how the settings were found (no config
    /// directory: built-in defaults); printed and logged at start.
    #[serde(skip)]
    pub notices: Vec<String>,
}

/// The outbound status feed (`feed/`, `docs/feed.md`).
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

/// Reporters' personal data retention.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrivacySettings {
    /// Days a closed ticket keeps its reporter's name, phone and address.
    pub retain_days: u32,
    /// How often the engine looks for tickets past it, seconds.
    pub sweep_every_s: u64,
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
    /// Moves of off-duty vehicles (a GPS gateway's whole fleet, say) go out this seldom.
    pub idle_tick_ms: u64,
    /// Most events a resuming client is replayed; further behind gets a snapshot.
    pub max_replay: u64,
    /// Most open tickets in a console snapshot (the most urgent first).
    pub snapshot_max_tickets: usize,
    pub heartbeat_s: u64,
    pub socket_timeout_s: u64,
    /// Commands one console may have in flight.
    pub max_commands_in_flight: usize,
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

/// Settings that cannot be used, naming the key.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("configuration: {0}")]
    Load(#[from] config::ConfigError),
    #[error("configuration key `{key}`: {message}")]
    Invalid { key: &'static str, message: String },
    /// Transparent: the guide's error names its file already, and a `{0}` wrapper would
    /// print it twice in an error chain.
    #[error(transparent)]
    Catalog(#[from] crate::domain::catalog::CatalogError),
    /// A named environment or config directory that is not there (names the file).
    #[error("configuration: {0}")]
    Sources(String),
    /// A value of the wrong kind for its key (a whole-number setting given `yes`).
    #[error("configuration key `{key}`: {message}")]
    Kind { key: String, message: String },
    /// Transparent: the area file's error names the file, the area and the field.
    #[error(transparent)]
    Area(#[from] crate::domain::area::AreaError),
}

/// `APP__SECTION__KEY` variables (from the process, or from `vars` in tests). Values stay
/// strings: numbers and booleans are read as the setting's type asks, and lists are split
/// by [`list`].
pub fn env_source(vars: Option<std::collections::HashMap<String, String>>) -> Environment {
    Environment::with_prefix("APP")
        .prefix_separator("__")
        .separator("__")
        .source(vars)
}

fn invalid(key: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        key,
        message: message.into(),
    }
}

impl Settings {
    /// Loads from the process environment: `APP_CONFIG_DIR`, `APP_ENV` (see [`Sources`])
    /// and `APP__SECTION__KEY` variables.
    pub fn load() -> Result<Self, SettingsError> {
        Self::load_with(&Sources::from_process(), env_source(None))
    }

    /// Loads from `dir` for environment `env`, with `vars` on top (see [`env_source`]);
    /// neither is taken as named, so either may be missing (tests and tools).
    pub fn load_from(dir: &Path, env: &str, vars: Environment) -> Result<Self, SettingsError> {
        Self::load_with(&Sources::unnamed(dir, env), vars)
    }

    /// Loads from `sources`, with `vars` on top. A named environment whose file is missing,
    /// or a named directory that is not there, is an error naming it.
    pub fn load_with(sources: &Sources, vars: Environment) -> Result<Self, SettingsError> {
        let notices = sources.check()?;
        let built = Config::builder()
            .add_source(File::from_str(BUILTIN_DEFAULTS, FileFormat::Toml))
            .add_source(File::from(sources.dir.join("default.toml")).required(false))
            .add_source(File::from(sources.env_file()).required(sources.env_named))
            .add_source(vars)
            .build()?;
        sources::check_whole_numbers(&built)?;
        let mut settings: Settings = built.try_deserialize()?;
        settings.config_dir = sources.dir.clone();
        settings.notices = notices;
        settings.validate()?;
        Ok(settings)
    }

    fn validate_streams(&self) -> Result<(), SettingsError> {
        let s = &self.streams;
        if !(10..=10_000).contains(&s.tick_ms) {
            return Err(invalid("streams.tick_ms", "must be between 10 and 10000"));
        }
        if !(16..=1_000_000).contains(&s.max_backlog) {
            return Err(invalid(
                "streams.max_backlog",
                "must be between 16 and 1000000",
            ));
        }
        if !(1..=4096).contains(&s.max_backlog_mb) {
            return Err(invalid(
                "streams.max_backlog_mb",
                "must be between 1 and 4096",
            ));
        }
        if s.idle_tick_ms < s.tick_ms || s.idle_tick_ms > 600_000 {
            return Err(invalid(
                "streams.idle_tick_ms",
                "must be at least streams.tick_ms and at most 600000",
            ));
        }
        if s.snapshot_max_tickets == 0 {
            return Err(invalid(
                "streams.snapshot_max_tickets",
                "must be at least 1",
            ));
        }
        if s.heartbeat_s == 0 || s.socket_timeout_s <= s.heartbeat_s {
            return Err(invalid(
                "streams.socket_timeout_s",
                "must be longer than streams.heartbeat_s (at least 1)",
            ));
        }
        if s.max_commands_in_flight == 0 {
            return Err(invalid(
                "streams.max_commands_in_flight",
                "must be at least 1",
            ));
        }
        if self.board.leaderboard_every_s == 0 {
            return Err(invalid("board.leaderboard_every_s", "must be at least 1"));
        }
        Ok(())
    }

    fn validate_feed(&self) -> Result<(), SettingsError> {
        let feed = &self.feed;
        if feed.enabled() {
            let url = reqwest::Url::parse(feed.url.trim()).map_err(|e| {
                invalid(
                    "feed.url",
                    format!("`{}` is not a URL: {e}", feed.url.trim()),
                )
            })?;
            if url.scheme() != "http" || url.host_str().is_none() {
                return Err(invalid(
                    "feed.url",
                    "must be an http:// URL with a host (https needs a TLS proxy in front)",
                ));
            }
            if feed.secret.expose().trim().len() < 16 {
                return Err(invalid(
                    "feed.secret",
                    "must be set, at least 16 characters, when feed.url is set",
                ));
            }
        }
        if !(1..=1000).contains(&feed.max_attempts) {
            return Err(invalid("feed.max_attempts", "must be between 1 and 1000"));
        }
        if feed.backoff_base_ms == 0 || feed.backoff_cap_ms < feed.backoff_base_ms {
            return Err(invalid(
                "feed.backoff_cap_ms",
                "backoff_base_ms must be at least 1 and backoff_cap_ms at least backoff_base_ms",
            ));
        }
        if !(1..=600).contains(&feed.timeout_s) {
            return Err(invalid("feed.timeout_s", "must be between 1 and 600"));
        }
        if !(10..=60_000).contains(&feed.poll_ms) {
            return Err(invalid("feed.poll_ms", "must be between 10 and 60000"));
        }
        Ok(())
    }

    fn validate_privacy(&self) -> Result<(), SettingsError> {
        if !(1..=36_500).contains(&self.privacy.retain_days) {
            return Err(invalid(
                "privacy.retain_days",
                "must be between 1 and 36500",
            ));
        }
        if !(1..=86_400).contains(&self.privacy.sweep_every_s) {
            return Err(invalid(
                "privacy.sweep_every_s",
                "must be between 1 and 86400",
            ));
        }
        Ok(())
    }

    fn validate(&self) -> Result<(), SettingsError> {
        self.validate_feed()?;
        self.validate_privacy()?;
        if self.server.host.trim().is_empty() {
            return Err(invalid("server.host", "must not be empty"));
        }
        // An address or a host name; anything else would only fail later, at bind time,
        // with a message that does not name the setting.
        let host = self.server.host.as_str();
        let name_like = host
            .split('.')
            .all(|l| !l.is_empty() && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'));
        if host.parse::<std::net::IpAddr>().is_err() && !name_like {
            return Err(invalid(
                "server.host",
                format!("`{host}` is neither an IP address nor a host name"),
            ));
        }
        if self.server.max_body_bytes < 1024 {
            return Err(invalid("server.max_body_bytes", "must be at least 1024"));
        }
        if self.store.cache_capacity_mb == 0 {
            return Err(invalid("store.cache_capacity_mb", "must be at least 1"));
        }
        if self.store.max_batch == 0 {
            return Err(invalid("store.max_batch", "must be at least 1"));
        }
        if self.store.queue_capacity == 0 {
            return Err(invalid("store.queue_capacity", "must be at least 1"));
        }
        if self.store.path.as_os_str().is_empty() {
            return Err(invalid("store.path", "must not be empty"));
        }
        let prefix_ok = !self.tickets.number_prefix.is_empty()
            && self.tickets.number_prefix.len() <= 8
            && self
                .tickets
                .number_prefix
                .chars()
                .all(|c| c.is_ascii_uppercase());
        if !prefix_ok {
            return Err(invalid(
                "tickets.number_prefix",
                "use 1 to 8 capital letters",
            ));
        }
        if !(1..=64).contains(&self.tickets.arbiters) {
            return Err(invalid("tickets.arbiters", "must be between 1 and 64"));
        }
        self.validate_streams()?;
        let d = &self.dispatch;
        if d.offer_timeout_s == 0 {
            return Err(invalid("dispatch.offer_timeout_s", "must be at least 1"));
        }
        if d.offer_receipt_s == 0 || d.offer_receipt_s >= d.offer_timeout_s {
            return Err(invalid(
                "dispatch.offer_receipt_s",
                "must be at least 1 and less than dispatch.offer_timeout_s",
            ));
        }
        if !d.arrival_radius_m.is_finite() || d.arrival_radius_m <= 0.0 {
            return Err(invalid(
                "dispatch.arrival_radius_m",
                "must be a positive number of metres",
            ));
        }
        if !d.travel_speed_kmh.is_finite() || d.travel_speed_kmh <= 0.0 {
            return Err(invalid(
                "dispatch.travel_speed_kmh",
                "must be a positive speed",
            ));
        }
        if !d.max_offer_km.is_finite() || d.max_offer_km < 0.0 {
            return Err(invalid(
                "dispatch.max_offer_km",
                "must be 0 (as far as the service area reaches) or more",
            ));
        }
        if d.persist_fixes_every_s == 0 {
            return Err(invalid(
                "dispatch.persist_fixes_every_s",
                "must be at least 1",
            ));
        }
        if !(1..=64).contains(&d.arbiters) {
            return Err(invalid("dispatch.arbiters", "must be between 1 and 64"));
        }
        let f = &self.fleet;
        if f.heartbeat_s == 0 || f.socket_timeout_s <= f.heartbeat_s {
            return Err(invalid(
                "fleet.socket_timeout_s",
                "must be longer than fleet.heartbeat_s (at least 1)",
            ));
        }
        if f.max_frame_bytes < 1024 {
            return Err(invalid("fleet.max_frame_bytes", "must be at least 1024"));
        }
        if !(1..=100_000).contains(&f.max_batch_fixes) {
            return Err(invalid(
                "fleet.max_batch_fixes",
                "must be between 1 and 100000",
            ));
        }
        if f.max_fixes_per_s == 0 {
            return Err(invalid("fleet.max_fixes_per_s", "must be at least 1"));
        }
        if f.gateway_online_s == 0 {
            return Err(invalid("fleet.gateway_online_s", "must be at least 1"));
        }
        if (f.max_fix_burst as usize) < f.max_batch_fixes {
            return Err(invalid(
                "fleet.max_fix_burst",
                "must be at least fleet.max_batch_fixes (a full batch must be able to pass)",
            ));
        }
        if let Some(bad) = self.server.allowed_origins.iter().find(|o| {
            let Some((scheme, host)) = o.split_once("://") else {
                return true;
            };
            !matches!(scheme, "http" | "https") || host.is_empty() || host.contains('/')
        }) {
            return Err(invalid(
                "server.allowed_origins",
                format!("`{bad}` is not an origin like https://console.example:8443"),
            ));
        }
        if !self.area.margin_km.is_finite() || !(0.0..=100.0).contains(&self.area.margin_km) {
            return Err(invalid("area.margin_km", "must be between 0 and 100 km"));
        }
        let a = &self.auth;
        if !(1..=60_000).contains(&a.failed_per_minute) {
            return Err(invalid(
                "auth.failed_per_minute",
                "must be between 1 and 60000",
            ));
        }
        if !(1..=100_000).contains(&a.failed_burst) {
            return Err(invalid("auth.failed_burst", "must be between 1 and 100000"));
        }
        let metrics_token = &self.ops.metrics_token;
        if metrics_token.trim() != metrics_token
            || (!metrics_token.is_empty() && metrics_token.len() < 16)
        {
            return Err(invalid(
                "ops.metrics_token",
                "must be empty or at least 16 characters, without surrounding spaces",
            ));
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return Err(invalid(
                "log.level",
                format!("`{}` is not a tracing filter", self.log.level),
            ));
        }
        Ok(())
    }

    pub fn store_options(&self) -> StoreOptions {
        StoreOptions {
            path: self.store.path.clone(),
            cache_capacity: self.store.cache_capacity_mb * 1024 * 1024,
            max_batch: self.store.max_batch,
            queue_capacity: self.store.queue_capacity,
            number_prefix: self.tickets.number_prefix.clone(),
        }
    }

    /// The handling guide named by `tickets.catalog`, else `config/catalog.toml` next to
    /// the settings, else the built-in copy.
    pub fn catalog(&self) -> Result<Catalog, SettingsError> {
        let configured = self.tickets.catalog.trim();
        let path = if configured.is_empty() {
            self.config_dir.join("catalog.toml")
        } else {
            PathBuf::from(configured)
        };
        let catalog = match std::fs::read_to_string(&path) {
            Ok(text) => Catalog::from_toml(&text, &path.display().to_string())?,
            Err(e) if configured.is_empty() && e.kind() == std::io::ErrorKind::NotFound => {
                Catalog::from_toml(BUILTIN_CATALOG, "built-in catalog.toml")?
            }
            Err(e) => {
                return Err(invalid(
                    "tickets.catalog",
                    format!("cannot read {}: {e}", path.display()),
                ));
            }
        };
        if let Some(unknown) = self
            .board
            .embargoed_categories
            .iter()
            .find(|c| catalog.get(c).is_none())
        {
            return Err(invalid(
                "board.embargoed_categories",
                format!("`{unknown}` is not a category of the handling guide"),
            ));
        }
        Ok(catalog)
    }

    /// The service area named by `area.path`, else `area.toml` in the config directory,
    /// else the built-in copy; with the margin of `area.margin_km`.
    pub fn area(&self) -> Result<ServiceArea, SettingsError> {
        let configured = self.area.path.trim();
        let path = if configured.is_empty() {
            self.config_dir.join("area.toml")
        } else {
            PathBuf::from(configured)
        };
        let margin_m = self.area.margin_km * 1000.0;
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(ServiceArea::from_toml(
                &text,
                &path.display().to_string(),
                margin_m,
            )?),
            Err(e) if configured.is_empty() && e.kind() == std::io::ErrorKind::NotFound => Ok(
                ServiceArea::from_toml(BUILTIN_AREA, "built-in area.toml", margin_m)?,
            ),
            Err(e) => Err(invalid(
                "area.path",
                format!("cannot read {}: {e}", path.display()),
            )),
        }
    }

    pub fn bootstrap_admin_token(&self) -> Option<&str> {
        Some(self.auth.bootstrap_admin_token.trim()).filter(|t| !t.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn vars(pairs: &[(&str, &str)]) -> Environment {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        env_source(Some(map))
    }

    #[test]
    fn environment_overrides_defaults() {
        let s = Settings::load_from(
            Path::new("/nonexistent"),
            "test",
            vars(&[("APP__SERVER__PORT", "0"), ("APP__STORE__PATH", "/tmp/x")]),
        )
        .expect("valid");
        assert_eq!(s.server.port, 0);
        assert_eq!(s.store.path, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn feed_settings_are_checked_at_start() {
        let load = |pairs: &[(&str, &str)]| {
            Settings::load_from(Path::new("/nonexistent"), "test", vars(pairs))
        };
        let off = load(&[]).expect("off by default");
        assert!(!off.feed.enabled());
        let err = load(&[("APP__FEED__URL", "not a url")]).expect_err("bad url");
        assert!(err.to_string().contains("feed.url"), "{err}");
        let err = load(&[("APP__FEED__URL", "http://127.0.0.1:9/feed")]).expect_err("no secret");
        assert!(err.to_string().contains("feed.secret"), "{err}");
        let secret = "s3cret-s3cret-s3cret";
        let on = load(&[
            ("APP__FEED__URL", "http://127.0.0.1:9/feed"),
            ("APP__FEED__SECRET", secret),
        ])
        .expect("valid feed");
        assert!(on.feed.enabled());
        assert!(
            !format!("{:?}", on.feed).contains(secret),
            "the secret is never printed"
        );
        let err = load(&[("APP__FEED__MAX_ATTEMPTS", "0")]).expect_err("no attempts");
        assert!(err.to_string().contains("feed.max_attempts"), "{err}");
    }

    #[test]
    fn invalid_values_name_the_key() {
        let err = Settings::load_from(
            Path::new("/nonexistent"),
            "test",
            vars(&[("APP__SERVER__PORT", "seventy")]),
        )
        .expect_err("not a port");
        assert!(err.to_string().contains("server.port"), "{err}");
        let err = Settings::load_from(
            Path::new("/nonexistent"),
            "test",
            vars(&[("APP__STORE__CACHE_CAPACITY_MB", "0")]),
        )
        .expect_err("zero cache");
        assert!(err.to_string().contains("store.cache_capacity_mb"), "{err}");
        let err = Settings::load_from(
            Path::new("/nonexistent"),
            "test",
            vars(&[("APP__SERVER__HOST", "not a host")]),
        )
        .expect_err("not a host");
        assert!(err.to_string().contains("server.host"), "{err}");
        for host in ["0.0.0.0", "127.0.0.1", "::1", "localhost", "engine-1.local"] {
            let s = Settings::load_from(
                Path::new("/nonexistent"),
                "test",
                vars(&[("APP__SERVER__HOST", host)]),
            );
            assert!(s.is_ok(), "{host}: {:?}", s.err());
        }
    }
}
