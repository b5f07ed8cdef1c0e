//! How settings are found and read: strings stay strings, whole numbers are whole, every
//! list setting in both its forms, and the rules for named and unnamed environments and
//! config directories.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::collections::HashMap;
use std::path::Path;

use super::*;
use crate::domain::catalog::Urgency;

fn vars(pairs: &[(&str, &str)]) -> Environment {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    env_source(Some(map))
}

/// Settings from the built-in defaults and `pairs` only (no config directory).
fn from_env(pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    Settings::load_from(Path::new("/nonexistent"), "test", vars(pairs))
}

/// A config directory holding `files` (name, contents).
fn config_dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// Settings from `dir` for environment `env`, both named.
fn named(dir: &Path, env: &str, pairs: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    let sources = Sources::from_vars(Some(dir.display().to_string()), Some(env.into()));
    Settings::load_with(&sources, vars(pairs))
}

#[test]
fn strings_stay_exactly_as_written() {
    let s = from_env(&[
        ("APP__AUTH__BOOTSTRAP_ADMIN_TOKEN", "00123456789012345678"),
        ("APP__STORE__PATH", "000123"),
        ("APP__TICKETS__CATALOG", "0012.50"),
        ("APP__AREA__PATH", "1e30"),
    ])
    .unwrap();
    assert_eq!(s.auth.bootstrap_admin_token, "00123456789012345678");
    assert_eq!(s.bootstrap_admin_token(), Some("00123456789012345678"));
    assert_eq!(s.store.path, PathBuf::from("000123"));
    assert_eq!(s.tickets.catalog, "0012.50");
    assert_eq!(s.area.path, "1e30");
    for token in ["true", "1e5", "0x10", "-0", "007"] {
        let s = from_env(&[("APP__AUTH__BOOTSTRAP_ADMIN_TOKEN", token)]).unwrap();
        assert_eq!(s.auth.bootstrap_admin_token, token);
    }
    let s = from_env(&[("APP__TICKETS__NUMBER_PREFIX", "WXJ")]).unwrap();
    assert_eq!(s.tickets.number_prefix, "WXJ");
}

#[test]
fn whole_number_settings_take_only_whole_numbers_and_errors_name_the_key() {
    for (key, path, value) in [
        ("APP__SERVER__PORT", "server.port", "1e30"),
        ("APP__STORE__MAX_BATCH", "store.max_batch", "1e30"),
        ("APP__STORE__MAX_BATCH", "store.max_batch", "yes"),
        ("APP__STORE__MAX_BATCH", "store.max_batch", "12.5"),
        ("APP__STORE__QUEUE_CAPACITY", "store.queue_capacity", "on"),
        ("APP__SERVER__PORT", "server.port", "99999"),
        ("APP__SERVER__PORT", "server.port", "-1"),
        (
            "APP__STORE__MAX_BATCH",
            "store.max_batch",
            "99999999999999999999",
        ),
    ] {
        let err = from_env(&[(key, value)]).expect_err(value).to_string();
        assert!(err.contains(path), "{key}={value}: {err}");
    }
    let s = from_env(&[("APP__STORE__MAX_BATCH", "64"), ("APP__SERVER__PORT", "0")]).unwrap();
    assert_eq!((s.store.max_batch, s.server.port), (64, 0));
    // In a file too: a TOML float for a whole number is not rounded.
    let dir = config_dir(&[("staging.toml", "[store]\nmax_batch = 12.5\n")]);
    let err = named(dir.path(), "staging", &[]).unwrap_err().to_string();
    assert!(
        err.contains("store.max_batch") && err.contains("12.5"),
        "{err}"
    );
    // A decimal setting still takes any number.
    let s = from_env(&[("APP__DISPATCH__MAX_OFFER_KM", "12.5")]).unwrap();
    assert_eq!(s.dispatch.max_offer_km, 12.5);
}

#[test]
fn dispatch_auto_offer_grades_in_both_forms() {
    let s = from_env(&[("APP__DISPATCH__AUTO_OFFER_GRADES", " I , ,II ")]).unwrap();
    assert_eq!(s.dispatch.auto_offer_grades, vec![Urgency::I, Urgency::II]);
    // Empty: no grade is offered automatically when triaged.
    let s = from_env(&[("APP__DISPATCH__AUTO_OFFER_GRADES", "")]).unwrap();
    assert!(s.dispatch.auto_offer_grades.is_empty());
    let err = from_env(&[("APP__DISPATCH__AUTO_OFFER_GRADES", "I,V")]).unwrap_err();
    assert!(err.to_string().contains("auto_offer_grades"), "{err}");
    let dir = config_dir(&[(
        "staging.toml",
        "[dispatch]\nauto_offer_grades = [\"II\", \"III\"]\n",
    )]);
    let s = named(dir.path(), "staging", &[]).unwrap();
    assert_eq!(
        s.dispatch.auto_offer_grades,
        vec![Urgency::II, Urgency::III]
    );
    let dir = config_dir(&[("staging.toml", "[dispatch]\nauto_offer_grades = []\n")]);
    let s = named(dir.path(), "staging", &[]).unwrap();
    assert!(s.dispatch.auto_offer_grades.is_empty());
    // The variable wins over the file.
    let s = named(
        dir.path(),
        "staging",
        &[("APP__DISPATCH__AUTO_OFFER_GRADES", "I")],
    )
    .unwrap();
    assert_eq!(s.dispatch.auto_offer_grades, vec![Urgency::I]);
}

#[test]
fn board_embargoed_categories_in_both_forms() {
    let s = from_env(&[("APP__BOARD__EMBARGOED_CATEGORIES", "smuggled, outflow,")]).unwrap();
    assert_eq!(s.board.embargoed_categories, vec!["smuggled", "outflow"]);
    let s = from_env(&[("APP__BOARD__EMBARGOED_CATEGORIES", " ")]).unwrap();
    assert!(s.board.embargoed_categories.is_empty());
    let dir = config_dir(&[(
        "staging.toml",
        "[board]\nembargoed_categories = [\"smuggled\"]\n",
    )]);
    let s = named(dir.path(), "staging", &[]).unwrap();
    assert_eq!(s.board.embargoed_categories, vec!["smuggled"]);
    let dir = config_dir(&[("staging.toml", "[board]\nembargoed_categories = []\n")]);
    let s = named(dir.path(), "staging", &[]).unwrap();
    assert!(s.board.embargoed_categories.is_empty());
}

#[test]
fn evidence_settings_in_both_forms_and_checked() {
    let s = from_env(&[]).unwrap();
    assert!(s.evidence.allowed_types.contains(&"image/jpeg".to_owned()));
    assert_eq!(s.evidence.max_bytes, 26_214_400);
    let s = from_env(&[
        (
            "APP__EVIDENCE__ALLOWED_TYPES",
            "image/jpeg, application/pdf,",
        ),
        ("APP__EVIDENCE__MAX_BYTES", "1048576"),
    ])
    .unwrap();
    assert_eq!(
        s.evidence.allowed_types,
        vec!["image/jpeg", "application/pdf"]
    );
    assert_eq!(s.evidence.max_bytes, 1_048_576);
    let e = from_env(&[("APP__EVIDENCE__ALLOWED_TYPES", "image/jpeg,text/html")]).unwrap_err();
    assert!(
        e.to_string().contains("evidence.allowed_types") && e.to_string().contains("text/html"),
        "{e}"
    );
    let e = from_env(&[("APP__EVIDENCE__MAX_BYTES", "0")]).unwrap_err();
    assert!(e.to_string().contains("evidence.max_bytes"), "{e}");
    let e = from_env(&[("APP__EVIDENCE__ORPHAN_GRACE_S", "0")]).unwrap_err();
    assert!(e.to_string().contains("evidence.orphan_grace_s"), "{e}");
}

#[test]
fn board_hidden_grades_in_both_forms() {
    let s = from_env(&[("APP__BOARD__HIDDEN_GRADES", "I,II")]).unwrap();
    assert_eq!(s.board.hidden_grades, vec![Urgency::I, Urgency::II]);
    let s = from_env(&[("APP__BOARD__HIDDEN_GRADES", "")]).unwrap();
    assert!(s.board.hidden_grades.is_empty(), "empty = none");
    let err = from_env(&[("APP__BOARD__HIDDEN_GRADES", "1")]).unwrap_err();
    assert!(err.to_string().contains("hidden_grades"), "{err}");
    let dir = config_dir(&[("staging.toml", "[board]\nhidden_grades = [\"II\"]\n")]);
    let s = named(dir.path(), "staging", &[]).unwrap();
    assert_eq!(s.board.hidden_grades, vec![Urgency::II]);
    let dir = config_dir(&[("staging.toml", "[board]\nhidden_grades = []\n")]);
    let s = named(dir.path(), "staging", &[]).unwrap();
    assert!(s.board.hidden_grades.is_empty());
}

#[test]
fn server_trusted_proxies_in_both_forms() {
    let r = |s: &str| s.parse::<crate::net::AddrRange>().unwrap();
    let s = from_env(&[(
        "APP__SERVER__TRUSTED_PROXIES",
        "10.0.0.1, 192.168.0.0/16,, ::1",
    )])
    .unwrap();
    assert_eq!(
        s.server.trusted_proxies,
        vec![r("10.0.0.1"), r("192.168.0.0/16"), r("::1")]
    );
    let s = from_env(&[("APP__SERVER__TRUSTED_PROXIES", "")]).unwrap();
    assert!(s.server.trusted_proxies.is_empty(), "empty = no proxy");
    let err = from_env(&[("APP__SERVER__TRUSTED_PROXIES", "10.0.0.300")]).unwrap_err();
    assert!(err.to_string().contains("trusted_proxies"), "{err}");
    let dir = config_dir(&[(
        "staging.toml",
        "[server]\ntrusted_proxies = [\"10.1.0.0/16\"]\n",
    )]);
    let s = named(dir.path(), "staging", &[]).unwrap();
    assert_eq!(s.server.trusted_proxies, vec![r("10.1.0.0/16")]);
    let dir = config_dir(&[("staging.toml", "[server]\ntrusted_proxies = []\n")]);
    let s = named(dir.path(), "staging", &[]).unwrap();
    assert!(s.server.trusted_proxies.is_empty());
}

#[test]
fn ops_metrics_allow_in_both_forms() {
    let r = |s: &str| s.parse::<crate::net::AddrRange>().unwrap();
    let s = from_env(&[("APP__OPS__METRICS_ALLOW", " 127.0.0.1 ,10.0.0.0/8")]).unwrap();
    assert_eq!(s.ops.metrics_allow, vec![r("127.0.0.1"), r("10.0.0.0/8")]);
    // Empty: no address is served /metrics without the token.
    let s = from_env(&[("APP__OPS__METRICS_ALLOW", "")]).unwrap();
    assert!(s.ops.metrics_allow.is_empty());
    let err = from_env(&[("APP__OPS__METRICS_ALLOW", "localhost")]).unwrap_err();
    assert!(err.to_string().contains("metrics_allow"), "{err}");
    let dir = config_dir(&[("staging.toml", "[ops]\nmetrics_allow = [\"fd00::/8\"]\n")]);
    let s = named(dir.path(), "staging", &[]).unwrap();
    assert_eq!(s.ops.metrics_allow, vec![r("fd00::/8")]);
    let dir = config_dir(&[("staging.toml", "[ops]\nmetrics_allow = []\n")]);
    let s = named(dir.path(), "staging", &[]).unwrap();
    assert!(s.ops.metrics_allow.is_empty());
}

#[test]
fn server_allowed_origins_in_both_forms() {
    let s = from_env(&[(
        "APP__SERVER__ALLOWED_ORIGINS",
        "https://console.example:8443, ,http://10.0.0.5:8080",
    )])
    .unwrap();
    assert_eq!(
        s.server.allowed_origins,
        vec!["https://console.example:8443", "http://10.0.0.5:8080"]
    );
    let s = from_env(&[("APP__SERVER__ALLOWED_ORIGINS", "")]).unwrap();
    assert!(
        s.server.allowed_origins.is_empty(),
        "empty = only the engine's own"
    );
    let err = from_env(&[("APP__SERVER__ALLOWED_ORIGINS", "console.example")]).unwrap_err();
    assert!(err.to_string().contains("allowed_origins"), "{err}");
    let dir = config_dir(&[(
        "staging.toml",
        "[server]\nallowed_origins = [\"https://a.example\"]\n",
    )]);
    let s = named(dir.path(), "staging", &[]).unwrap();
    assert_eq!(s.server.allowed_origins, vec!["https://a.example"]);
    let dir = config_dir(&[("staging.toml", "[server]\nallowed_origins = []\n")]);
    let s = named(dir.path(), "staging", &[]).unwrap();
    assert!(s.server.allowed_origins.is_empty());
}

#[test]
fn a_named_environment_needs_its_file() {
    let dir = config_dir(&[("test.toml", ""), ("catalog.toml", "")]);
    let err = named(dir.path(), "staging", &[]).unwrap_err().to_string();
    let file = dir.path().join("staging.toml").display().to_string();
    assert!(err.contains(&file), "names the file: {err}");
    assert!(err.contains("APP_ENV=staging"), "{err}");
    assert!(
        err.contains("environments there: test;"),
        "lists the others: {err}"
    );
    // Present: read.
    let dir = config_dir(&[("staging.toml", "[server]\nport = 9099\n")]);
    assert_eq!(named(dir.path(), "staging", &[]).unwrap().server.port, 9099);
    // Not a name at all.
    let err = named(dir.path(), "../staging", &[])
        .unwrap_err()
        .to_string();
    assert!(err.contains("not an environment name"), "{err}");
}

#[test]
fn unnamed_the_environment_is_development_and_its_file_optional() {
    let sources = Sources::from_vars(None, None);
    assert_eq!(sources.env, "development");
    assert!(!sources.env_named && !sources.dir_named);
    assert_eq!(sources.dir, PathBuf::from("config"));
    // An empty variable is no name.
    let sources = Sources::from_vars(Some(" ".into()), Some("".into()));
    assert!(!sources.env_named && !sources.dir_named);
    // A directory without development.toml: the defaults and the directory's default.toml.
    let dir = config_dir(&[("default.toml", "[server]\nport = 9098\n")]);
    let sources = Sources::from_vars(Some(dir.path().display().to_string()), None);
    let s = Settings::load_with(&sources, vars(&[])).unwrap();
    assert_eq!(s.server.port, 9098);
    assert!(s.notices.is_empty(), "{:?}", s.notices);
    // When present, it is read.
    let dir = config_dir(&[("development.toml", "[server]\nport = 9097\n")]);
    let sources = Sources::from_vars(Some(dir.path().display().to_string()), None);
    let s = Settings::load_with(&sources, vars(&[])).unwrap();
    assert_eq!(s.server.port, 9097);
}

#[test]
fn a_named_config_directory_must_exist() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-config");
    let sources = Sources::from_vars(Some(missing.display().to_string()), None);
    let err = Settings::load_with(&sources, vars(&[]))
        .unwrap_err()
        .to_string();
    assert!(err.contains("APP_CONFIG_DIR"), "{err}");
    assert!(err.contains(&missing.display().to_string()), "{err}");
    // A file is not a directory either.
    let file = dir.path().join("config.toml");
    std::fs::write(&file, "").unwrap();
    let sources = Sources::from_vars(Some(file.display().to_string()), None);
    assert!(Settings::load_with(&sources, vars(&[])).is_err());
}

#[test]
fn an_unnamed_missing_config_directory_runs_on_defaults_and_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let sources = Sources::unnamed(&dir.path().join("config"), "development");
    let s = Settings::load_with(&sources, vars(&[])).unwrap();
    assert_eq!(s.server.port, 8080, "the built-in default");
    assert_eq!(s.notices.len(), 1, "{:?}", s.notices);
    assert!(
        s.notices[0].contains("built-in defaults"),
        "{}",
        s.notices[0]
    );
    // The guide and the area fall back to the built-in copies.
    assert!(s.catalog().is_ok());
    assert_eq!(s.area().unwrap().source(), "built-in area.toml");
}

#[test]
fn the_guide_and_the_area_are_read_from_the_config_directory() {
    let text = crate::domain::area::BUILTIN_AREA
        .replace("name_en = \"Wuxue\"", "name_en = \"Wuxue (local)\"");
    let dir = config_dir(&[("area.toml", &text)]);
    let sources = Sources::from_vars(Some(dir.path().display().to_string()), None);
    let s = Settings::load_with(&sources, vars(&[("APP__AREA__MARGIN_KM", "2")])).unwrap();
    let area = s.area().unwrap();
    assert_eq!(area.areas()[0].name_en(), "Wuxue (local)");
    assert_eq!(area.margin_m(), 2_000.0);
    // A named file that is missing, or a bad one, names the file.
    let err = from_env(&[("APP__AREA__PATH", "/nonexistent/area.toml")])
        .unwrap()
        .area()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("area.path") && err.contains("/nonexistent/area.toml"),
        "{err}"
    );
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, text.replace("code = \"421182\"", "code = \"4211\"")).unwrap();
    let err = from_env(&[("APP__AREA__PATH", &bad.display().to_string())])
        .unwrap()
        .area()
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("bad.toml") && err.contains("field `code`"),
        "{err}"
    );
    let err = from_env(&[("APP__AREA__MARGIN_KM", "-1")]).unwrap_err();
    assert!(err.to_string().contains("area.margin_km"), "{err}");
}

#[test]
fn server_tls_needs_both_files_or_neither() {
    let s = from_env(&[]).unwrap();
    assert!(
        s.server.tls_cert.is_empty() && s.server.tls_key.is_empty(),
        "plain HTTP by default"
    );
    let s = from_env(&[
        ("APP__SERVER__TLS_CERT", "/etc/hotline/cert.pem"),
        ("APP__SERVER__TLS_KEY", "/etc/hotline/key.pem"),
    ])
    .unwrap();
    assert_eq!(s.server.tls_cert, "/etc/hotline/cert.pem");
    assert_eq!(s.server.tls_key, "/etc/hotline/key.pem");
    let err = from_env(&[("APP__SERVER__TLS_CERT", "/etc/hotline/cert.pem")]).unwrap_err();
    let e = err.to_string();
    assert!(
        e.contains("`server.tls_key`") && e.contains("server.tls_cert"),
        "{e}"
    );
    let err = from_env(&[("APP__SERVER__TLS_KEY", "/etc/hotline/key.pem")]).unwrap_err();
    assert!(err.to_string().contains("`server.tls_cert`"), "{err}");
    let dir = config_dir(&[(
        "staging.toml",
        "[server]\ntls_cert = \"c.pem\"\ntls_key = \"k.pem\"\n",
    )]);
    let s = named(dir.path(), "staging", &[]).unwrap();
    assert_eq!(
        (s.server.tls_cert.as_str(), s.server.tls_key.as_str()),
        ("c.pem", "k.pem")
    );
    // A variable overrides the file, and blanking one of the pair is refused.
    let err = named(dir.path(), "staging", &[("APP__SERVER__TLS_KEY", "")]).unwrap_err();
    assert!(err.to_string().contains("`server.tls_key`"), "{err}");
}

#[test]
fn cluster_mode_needs_its_node_address_and_secret() {
    assert!(!from_env(&[]).unwrap().cluster.enabled(), "off by default");
    let whole = [
        ("APP__CLUSTER__REDIS_URL", "redis://127.0.0.1:6379/0"),
        ("APP__CLUSTER__NODE_ID", "node-1"),
        ("APP__CLUSTER__ADVERTISE_URL", "http://10.0.0.1:8080"),
        ("APP__CLUSTER__SECRET", "0123456789abcdef"),
    ];
    let s = from_env(&whole).unwrap();
    assert!(s.cluster.enabled());
    assert_eq!(s.cluster.lease_ms, 10_000);
    assert!(
        !format!("{:?}", s.cluster).contains("0123456789abcdef"),
        "never logged"
    );
    let broken = [
        (
            "APP__CLUSTER__REDIS_URL",
            "http://127.0.0.1:6379",
            "cluster.redis_url",
        ),
        ("APP__CLUSTER__NODE_ID", "", "cluster.node_id"),
        ("APP__CLUSTER__NODE_ID", "node:1", "cluster.node_id"),
        ("APP__CLUSTER__ADVERTISE_URL", "", "cluster.advertise_url"),
        (
            "APP__CLUSTER__ADVERTISE_URL",
            "https://10.0.0.1",
            "cluster.advertise_url",
        ),
        ("APP__CLUSTER__SECRET", "short", "cluster.secret"),
        ("APP__CLUSTER__LEASE_MS", "500", "cluster.lease_ms"),
        (
            "APP__CLUSTER__LEASE_MARGIN_MS",
            "5000",
            "cluster.lease_margin_ms",
        ),
        (
            "APP__CLUSTER__NODE_TIMEOUT_MS",
            "60000",
            "cluster.node_timeout_ms",
        ),
    ];
    for (key, value, named) in broken {
        let mut pairs: Vec<(&str, &str)> =
            whole.iter().filter(|(k, _)| *k != key).copied().collect();
        pairs.push((key, value));
        let err = from_env(&pairs).expect_err(key).to_string();
        assert!(err.contains(named), "{key}={value}: {err}");
    }
}
