//! Where settings come from, and the checks that keep them honest before serde reads them.
//!
//! - **Named means required.** `APP_ENV` and `APP_CONFIG_DIR` are facts the operator
//!   states: an environment whose file is missing (`APP_ENV=stagign`) or a directory that is
//!   not there stops the engine, naming the file or directory. Unnamed, the environment is
//!   `development` (its file optional: a checkout has none) and the directory `config`
//!   (missing: the engine runs on the built-in defaults and says so in a notice).
//! - **Types come from the built-in defaults.** Environment variables are strings; the
//!   `config` crate would read `yes` as 1 and a TOML `80.5` as 80 for a whole-number
//!   setting. Every key whose default is a whole number must be given one.

use std::path::{Path, PathBuf};

use config::{Config, ValueKind};

use super::{BUILTIN_DEFAULTS, SettingsError};

/// The default environment when `APP_ENV` is not set.
pub const DEFAULT_ENV: &str = "development";
/// The default config directory when `APP_CONFIG_DIR` is not set (relative to the
/// working directory).
pub const DEFAULT_DIR: &str = "config";
/// Files of the config directory that are not environments.
const NOT_ENVIRONMENTS: [&str; 3] = ["default", "catalog", "area"];

/// The config directory and the environment, and whether the operator named each.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sources {
    pub dir: PathBuf,
    /// `APP_CONFIG_DIR` named the directory: it must exist.
    pub dir_named: bool,
    pub env: String,
    /// `APP_ENV` named the environment: its file must exist.
    pub env_named: bool,
}

impl Sources {
    /// From `APP_CONFIG_DIR` and `APP_ENV` (an empty variable counts as unset).
    pub fn from_process() -> Sources {
        Self::from_vars(
            std::env::var("APP_CONFIG_DIR").ok(),
            std::env::var("APP_ENV").ok(),
        )
    }

    /// From the values of `APP_CONFIG_DIR` and `APP_ENV`, as given (or not).
    pub fn from_vars(dir: Option<String>, env: Option<String>) -> Sources {
        let dir = dir.filter(|d| !d.trim().is_empty());
        let env = env.map(|e| e.trim().to_owned()).filter(|e| !e.is_empty());
        Sources {
            dir_named: dir.is_some(),
            dir: PathBuf::from(dir.unwrap_or_else(|| DEFAULT_DIR.into())),
            env_named: env.is_some(),
            env: env.unwrap_or_else(|| DEFAULT_ENV.into()),
        }
    }

    /// `dir` and `env` as defaults: nothing named, so nothing required.
    pub fn unnamed(dir: &Path, env: &str) -> Sources {
        Sources {
            dir: dir.to_path_buf(),
            dir_named: false,
            env: env.to_owned(),
            env_named: false,
        }
    }

    /// The environment's file.
    pub fn env_file(&self) -> PathBuf {
        self.dir.join(format!("{}.toml", self.env))
    }

    /// Checks what was named exists; returns the notices for what was not named and is
    /// missing.
    pub fn check(&self) -> Result<Vec<String>, SettingsError> {
        let mut notices = Vec::new();
        let env_ok = self
            .env
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !env_ok {
            return Err(SettingsError::Sources(format!(
                "APP_ENV `{}` is not an environment name: use letters, digits, '-' and '_'",
                self.env
            )));
        }
        if !self.dir.is_dir() {
            if self.dir_named {
                return Err(SettingsError::Sources(format!(
                    "APP_CONFIG_DIR names `{}`, which is not a directory",
                    self.dir.display()
                )));
            }
            if !self.env_named {
                notices.push(format!(
                    "no config directory `{}` (relative to {}): running on the built-in \
                     defaults and APP__ variables; set APP_CONFIG_DIR to name one",
                    self.dir.display(),
                    std::env::current_dir()
                        .map(|d| d.display().to_string())
                        .unwrap_or_else(|_| "the working directory".into()),
                ));
            }
        }
        let file = self.env_file();
        if self.env_named && !file.is_file() {
            let known = environments(&self.dir);
            let known = if known.is_empty() {
                "none".to_owned()
            } else {
                known.join(", ")
            };
            return Err(SettingsError::Sources(format!(
                "APP_ENV={} names an environment whose settings file {} does not exist \
                 (environments there: {known}; leave APP_ENV unset for {DEFAULT_ENV}, \
                 whose file is optional)",
                self.env,
                file.display()
            )));
        }
        Ok(notices)
    }
}

/// The environments a config directory holds: its `.toml` files other than the defaults,
/// the guide and the area.
fn environments(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let env = name.strip_suffix(".toml")?.to_owned();
            (!NOT_ENVIRONMENTS.contains(&env.as_str())).then_some(env)
        })
        .collect();
    out.sort();
    out
}

/// Refuses a whole-number setting given anything but a whole number (the `config` crate
/// reads `yes` as 1, `on` as 1 and a TOML float rounded). Which keys are whole numbers is
/// read off the built-in defaults.
pub fn check_whole_numbers(built: &Config) -> Result<(), SettingsError> {
    let defaults: toml::Table = toml::from_str(BUILTIN_DEFAULTS)
        .map_err(|e| SettingsError::Sources(format!("built-in defaults: {e}")))?;
    for (section, table) in &defaults {
        let Some(table) = table.as_table() else {
            continue;
        };
        for (key, default) in table {
            if !default.is_integer() {
                continue;
            }
            let path = format!("{section}.{key}");
            let Ok(value) = built.get::<config::Value>(&path) else {
                continue;
            };
            let refused = match &value.kind {
                ValueKind::String(s) => {
                    (!s.trim().is_empty() && s.trim().parse::<i64>().is_err()).then(|| s.clone())
                }
                ValueKind::Float(f) => Some(f.to_string()),
                ValueKind::Boolean(b) => Some(b.to_string()),
                _ => None,
            };
            if let Some(given) = refused {
                return Err(SettingsError::Kind {
                    key: path,
                    message: format!("`{given}` is not a whole number"),
                });
            }
        }
    }
    Ok(())
}
