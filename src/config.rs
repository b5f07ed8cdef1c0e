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
mod sections;
mod sources;
mod validate;
pub use sections::*;
pub use sources::Sources;
use validate::invalid;

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
    /// Evidence files: size and type limits, orphan collection (`evidence/`).
    pub evidence: EvidenceSettings,
    /// Cluster mode on Redis (`cluster/`); off unless `cluster.redis_url` is set.
    pub cluster: ClusterSettings,
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
