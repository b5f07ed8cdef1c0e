//! The binary's command line: `--help` lists the commands and where the settings come
//! from; `check-config` checks what `serve` would load at start without opening the store;
//! a mistaken command line is refused with exit status 2.

use crate::common::{run_binary as run, temp_store, text};

#[test]
fn help_lists_the_commands_and_the_settings() {
    for args in [&["--help"][..], &["-h"], &["help"]] {
        let out = run(args, &[]);
        assert!(out.status.success(), "{args:?}: {out:?}");
        let help = text(&out.stdout);
        for line in [
            "serve",
            "check-config",
            "verify",
            "backup",
            "restore",
            "gen-cert",
            "APP__SECTION__KEY",
            "APP_ENV",
            "APP_CONFIG_DIR",
        ] {
            assert!(help.contains(line), "{args:?} names {line}: {help}");
        }
        assert!(help.contains("config/default.toml"), "{help}");
        assert!(help.contains("README.md"), "{help}");
    }
    for command in [
        "serve",
        "check-config",
        "verify",
        "backup",
        "restore",
        "gen-cert",
    ] {
        let out = run(&[command, "--help"], &[]);
        assert!(out.status.success(), "{command}: {out:?}");
        let help = text(&out.stdout);
        assert!(
            help.contains(&format!("Usage: hotline-dispatch {command}")),
            "{help}"
        );
    }
    assert!(text(&run(&["serve", "--help"], &[]).stdout).contains("--demo"));
}

#[test]
fn check_config_passes_on_the_default_settings_without_opening_the_store() {
    let (_dir, store) = temp_store();
    let path = store.to_str().expect("utf-8 path");
    let out = run(&["check-config"], &[("APP__STORE__PATH", path)]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{out:?}");
    assert!(stdout.contains("settings are valid"), "{stdout}");
    assert!(stdout.contains(path), "names the store: {stdout}");
    assert!(stdout.contains("config/catalog.toml: "), "{stdout}");
    assert!(stdout.contains(" categories"), "{stdout}");
    assert!(stdout.contains("config/area.toml: 1 area"), "{stdout}");
    assert!(
        stdout.contains("APP__STORE__PATH"),
        "names the variables: {stdout}"
    );
    assert!(!store.exists(), "the store was not created");
}

#[test]
fn check_config_names_a_bad_setting_and_a_missing_file() {
    let (_dir, store) = temp_store();
    let path = store.to_str().expect("utf-8 path");
    let cases = [
        ("APP__SERVER__PORT", "notanumber", "server.port"),
        ("APP__AREA__PATH", "/nonexistent", "area.path"),
        ("APP__TICKETS__CATALOG", "/nonexistent", "tickets.catalog"),
    ];
    for (key, value, named) in cases {
        let out = run(
            &["check-config"],
            &[("APP__STORE__PATH", path), (key, value)],
        );
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{key}={value}: {out:?}");
        assert!(stderr.contains(named), "{key}={value}: {stderr}");
        assert!(stderr.contains(value), "{key}={value}: {stderr}");
        assert!(!text(&out.stdout).contains("valid"), "{out:?}");
        assert!(!store.exists(), "{key}={value}: the store was not created");
    }
}

#[test]
fn an_unknown_command_or_option_exits_2_naming_it() {
    for (args, named) in [
        (&["frobnicate"][..], "frobnicate"),
        (&["serve", "--frob"], "--frob"),
        (&["check-config", "extra"], "extra"),
    ] {
        let out = run(args, &[]);
        let stderr = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(stderr.contains(named), "{args:?}: {stderr}");
        assert!(stderr.contains("Usage: hotline-dispatch"), "{stderr}");
    }
}
