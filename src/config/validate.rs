//! Checks on the loaded settings: every value in range and consistent with the others, or
//! an error naming the key, so a bad setting stops the engine at start.

use super::{Settings, SettingsError};

/// The error for `key`, saying what it must be.
pub(super) fn invalid(key: &'static str, message: impl Into<String>) -> SettingsError {
    SettingsError::Invalid {
        key,
        message: message.into(),
    }
}

/// The shortest `evidence.orphan_grace_s`: far longer than a file can wait in place for its
/// attaching event to commit (a slow disk, a busy ticket actor). Builds with
/// `fault-injection` (tests) allow 1 s, so the sweep can be watched collecting.
pub const MIN_ORPHAN_GRACE_S: u64 = if cfg!(feature = "fault-injection") {
    1
} else {
    300
};

impl Settings {
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
        if s.defer_moves_max_ms < s.tick_ms || s.defer_moves_max_ms > 60_000 {
            return Err(invalid(
                "streams.defer_moves_max_ms",
                "must be at least streams.tick_ms and at most 60000",
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

    fn validate_evidence(&self) -> Result<(), SettingsError> {
        let e = &self.evidence;
        if !(1..=4_000_000_000).contains(&e.max_bytes) {
            return Err(invalid(
                "evidence.max_bytes",
                "must be between 1 and 4000000000",
            ));
        }
        if let Some(t) = e
            .allowed_types
            .iter()
            .find(|t| !crate::evidence::sniff::KNOWN.contains(&t.as_str()))
        {
            return Err(invalid(
                "evidence.allowed_types",
                format!(
                    "`{t}` is not a type the engine recognises by content (one of {})",
                    crate::evidence::sniff::KNOWN.join(", ")
                ),
            ));
        }
        if !(MIN_ORPHAN_GRACE_S..=30 * 86_400).contains(&e.orphan_grace_s) {
            return Err(invalid(
                "evidence.orphan_grace_s",
                format!(
                    "must be between {MIN_ORPHAN_GRACE_S} and 2592000: a file is put in place \
                     before its event commits, and a shorter grace could collect it between"
                ),
            ));
        }
        if !(1..=86_400).contains(&e.sweep_every_s) {
            return Err(invalid(
                "evidence.sweep_every_s",
                "must be between 1 and 86400",
            ));
        }
        if !(1..=1024).contains(&e.max_concurrent_uploads) {
            return Err(invalid(
                "evidence.max_concurrent_uploads",
                "must be between 1 and 1024",
            ));
        }
        Ok(())
    }

    fn validate_cluster(&self) -> Result<(), SettingsError> {
        let c = &self.cluster;
        if !c.enabled() {
            return Ok(());
        }
        redis::parse_redis_url(c.redis_url.trim()).ok_or_else(|| {
            invalid(
                "cluster.redis_url",
                format!("`{}` is not a redis:// URL", c.redis_url.trim()),
            )
        })?;
        let id = c.node_id.trim();
        // Node ids go into Redis values as `node:token`: no colon, no space.
        if id.is_empty()
            || id.len() > 64
            || !id
                .chars()
                .all(|ch| ch.is_ascii_alphanumeric() || ch == '-' || ch == '_' || ch == '.')
        {
            return Err(invalid(
                "cluster.node_id",
                "must be set with cluster.redis_url: 1-64 letters, digits, `-`, `_` or `.`",
            ));
        }
        let url = reqwest::Url::parse(c.advertise_url.trim()).map_err(|e| {
            invalid(
                "cluster.advertise_url",
                format!("must be this node's http:// URL with cluster.redis_url: {e}"),
            )
        })?;
        if url.scheme() != "http" {
            return Err(invalid(
                "cluster.advertise_url",
                "plain http:// only (the nodes talk on a private network)",
            ));
        }
        if c.secret.expose().trim().len() < 16 {
            return Err(invalid(
                "cluster.secret",
                "must be set, at least 16 characters, with cluster.redis_url",
            ));
        }
        if !(1000..=600_000).contains(&c.lease_ms) {
            return Err(invalid(
                "cluster.lease_ms",
                "must be between 1000 and 600000",
            ));
        }
        if c.lease_margin_ms == 0 || c.lease_margin_ms * 3 > c.lease_ms {
            return Err(invalid(
                "cluster.lease_margin_ms",
                "must be above 0 and at most a third of cluster.lease_ms",
            ));
        }
        if c.node_timeout_ms < c.lease_ms / 3 || c.node_timeout_ms > c.lease_ms {
            return Err(invalid(
                "cluster.node_timeout_ms",
                "must be between a third of cluster.lease_ms and cluster.lease_ms",
            ));
        }
        Ok(())
    }

    pub(super) fn validate(&self) -> Result<(), SettingsError> {
        self.validate_feed()?;
        self.validate_cluster()?;
        self.validate_privacy()?;
        self.validate_evidence()?;
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
        let (cert, key) = (&self.server.tls_cert, &self.server.tls_key);
        if cert.trim().is_empty() != key.trim().is_empty() {
            let (set, unset) = if key.trim().is_empty() {
                ("server.tls_cert", "server.tls_key")
            } else {
                ("server.tls_key", "server.tls_cert")
            };
            return Err(invalid(
                unset,
                format!(
                    "must be set with {set} (TLS needs both the certificate and its key; leave both empty for plain HTTP)"
                ),
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
        if self.tickets.passivate_after_s == 0 {
            return Err(invalid("tickets.passivate_after_s", "must be at least 1"));
        }
        self.validate_streams()?;
        let d = &self.dispatch;
        if d.offer_timeout_s == 0 {
            return Err(invalid("dispatch.offer_timeout_s", "must be at least 1"));
        }
        if !(1..=10_000).contains(&d.first_offer_wait_ms) {
            return Err(invalid(
                "dispatch.first_offer_wait_ms",
                "must be between 1 and 10000",
            ));
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
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod orphan_grace_tests {
    use std::collections::HashMap;
    use std::path::Path;

    use super::MIN_ORPHAN_GRACE_S;
    use crate::config::{Settings, SettingsError, env_source};

    fn from_env(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        Settings::load_from(Path::new("/nonexistent"), "test", env_source(Some(map)))
    }

    #[test]
    fn the_orphan_grace_is_at_least_its_minimum() {
        let below = (MIN_ORPHAN_GRACE_S - 1).to_string();
        let e = from_env(&[("APP__EVIDENCE__ORPHAN_GRACE_S", below.as_str())]).unwrap_err();
        assert!(e.to_string().contains("evidence.orphan_grace_s"), "{e}");
        let at = MIN_ORPHAN_GRACE_S.to_string();
        let s = from_env(&[("APP__EVIDENCE__ORPHAN_GRACE_S", at.as_str())]).unwrap();
        assert_eq!(s.evidence.orphan_grace_s, MIN_ORPHAN_GRACE_S);
    }
}
