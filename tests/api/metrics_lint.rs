//! `/metrics` follows the Prometheus conventions (the rules of `promtool check metrics`):
//! every family has HELP and TYPE, counters end in `_total` and nothing else does, units
//! are base units, names are snake_case; batch sizes have count buckets; the `process_*`
//! families are there with sane values. The recorder is global to the test binary, so
//! this checks the rules on whatever families other tests have made too.

use std::collections::BTreeMap;

use reqwest::StatusCode;

use crate::common::{intake, spawn_app};

#[derive(Debug, Default)]
struct Family {
    help: Option<String>,
    kind: Option<String>,
    /// Sample lines: (series name, labels text, value).
    samples: Vec<(String, String, f64)>,
}

/// Families by name, from the text format.
fn parse(text: &str) -> BTreeMap<String, Family> {
    let mut families: BTreeMap<String, Family> = BTreeMap::new();
    for line in text.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let (name, help) = rest.split_once(' ').unwrap_or((rest, ""));
            families.entry(name.into()).or_default().help = Some(help.into());
        } else if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE has a kind");
            families.entry(name.into()).or_default().kind = Some(kind.into());
        } else if line.starts_with('#') {
            continue;
        } else {
            let (series, value) = line.rsplit_once(' ').expect("a sample has a value");
            let (name, labels) = match series.split_once('{') {
                Some((n, l)) => (n, l.trim_end_matches('}')),
                None => (series, ""),
            };
            let value: f64 = match value {
                "+Inf" => f64::INFINITY,
                v => v.parse().expect("a numeric value"),
            };
            let family = ["_bucket", "_sum", "_count"]
                .iter()
                .find_map(|s| {
                    let base = name.strip_suffix(s)?;
                    families.contains_key(base).then_some(base)
                })
                .unwrap_or(name)
                .to_owned();
            families
                .entry(family)
                .or_default()
                .samples
                .push((name.into(), labels.into(), value));
        }
    }
    families
}

fn snake_case(name: &str) -> bool {
    name.chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with('_')
        && !name.contains("__")
}

/// The promtool lint problems of the exposition, one line each.
fn lint(families: &BTreeMap<String, Family>) -> Vec<String> {
    let mut problems = Vec::new();
    for (name, f) in families {
        let kind = f.kind.as_deref().unwrap_or("");
        if f.help.as_deref().is_none_or(str::is_empty) {
            problems.push(format!("{name}: no help text"));
        }
        if kind.is_empty() {
            problems.push(format!("{name}: no TYPE"));
        }
        if !snake_case(name) {
            problems.push(format!("{name}: not snake_case"));
        }
        if kind == "counter" && !name.ends_with("_total") {
            problems.push(format!(
                "{name}: counter metrics should have \"_total\" suffix"
            ));
        }
        if kind != "counter" && name.ends_with("_total") {
            problems.push(format!(
                "{name}: non-counter metrics should not have \"_total\" suffix"
            ));
        }
        for unit in [
            "_ms",
            "_milliseconds",
            "_microseconds",
            "_nanoseconds",
            "_minutes",
            "_hours",
            "_kilobytes",
            "_megabytes",
            "_percent",
        ] {
            if name.contains(&format!("{unit}_")) || name.ends_with(unit) {
                problems.push(format!("{name}: use base units, not {unit}"));
            }
        }
    }
    problems
}

fn value(families: &BTreeMap<String, Family>, name: &str) -> f64 {
    let f = families
        .get(name)
        .unwrap_or_else(|| panic!("{name} is exported"));
    f.samples.first().map(|s| s.2).expect("a sample")
}

#[actix_web::test]
async fn metrics_pass_the_prometheus_lint_rules() {
    let app = spawn_app().await;
    // A write, so the store's histograms have samples.
    let dispatcher = app.token("dispatcher", None).await;
    let (s, _) = app
        .post(
            "/tickets",
            &dispatcher,
            intake("M-1", Some("counterfeit"), "report"),
        )
        .await;
    assert!(s.is_success(), "{s}");
    let res = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::OK);
    let text = res.text().await.expect("body");
    let families = parse(&text);

    let problems = lint(&families);
    assert!(problems.is_empty(), "{problems:#?}\n{text}");

    // Batch sizes are counted in writes: count buckets, well past 5.
    let batch = &families["hotline_store_batch_size"];
    assert_eq!(batch.kind.as_deref(), Some("histogram"));
    let bounds: Vec<&str> = batch
        .samples
        .iter()
        .filter(|s| s.0.ends_with("_bucket"))
        .filter_map(|s| s.1.split("le=\"").nth(1)?.split('"').next())
        .collect();
    for le in ["1", "8", "64", "1024", "+Inf"] {
        assert!(bounds.contains(&le), "bucket {le} in {bounds:?}");
    }
    assert!(!bounds.contains(&"0.0005"), "{bounds:?}");
    let flush = &families["hotline_store_flush_seconds"];
    assert!(
        flush.samples.iter().any(|s| s.1.contains("le=\"0.0005\"")),
        "seconds buckets stay for durations"
    );

    // The process families, with values that make sense for a live process.
    for (name, kind) in [
        ("process_cpu_seconds_total", "counter"),
        ("process_resident_memory_bytes", "gauge"),
        ("process_virtual_memory_bytes", "gauge"),
        ("process_open_fds", "gauge"),
        ("process_max_fds", "gauge"),
        ("process_start_time_seconds", "gauge"),
    ] {
        assert_eq!(
            families.get(name).and_then(|f| f.kind.as_deref()),
            Some(kind),
            "{name}"
        );
    }
    assert!(value(&families, "process_cpu_seconds_total") >= 0.0);
    let rss = value(&families, "process_resident_memory_bytes");
    assert!(rss > 1_000_000.0, "resident {rss}");
    assert!(value(&families, "process_virtual_memory_bytes") >= rss);
    let open = value(&families, "process_open_fds");
    assert!(open >= 3.0, "open fds {open}");
    assert!(value(&families, "process_max_fds") >= open);
    let start = value(&families, "process_start_time_seconds");
    assert!(start > 1.6e9 && start < 4.0e9, "start {start}");

    // Overload shows before it hurts: bus queue depths per interest, stream backlogs.
    // Another test's engine may set it between our scrape's set and render: presence only.
    assert!(value(&families, "hotline_ticket_commands_in_flight") >= 0.0);
    for name in ["hotline_bus_queue_depth", "hotline_bus_queue_depth_max"] {
        let f = families.get(name).unwrap_or_else(|| panic!("{name}"));
        assert!(
            f.samples
                .iter()
                .any(|s| s.1.contains("interest=\"tickets\"")),
            "{name}: {f:?}"
        );
    }
    app.stop().await;
}

#[test]
fn the_lint_finds_what_promtool_finds() {
    let text = "# TYPE a_ms gauge\na_ms 1\n# HELP b b\n# TYPE b counter\nb 1\n\
                # HELP c_total c\n# TYPE c_total gauge\nc_total 1\n";
    let problems = lint(&parse(text));
    assert!(
        problems.iter().any(|p| p.starts_with("a_ms: no help")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("a_ms: use base units"))
    );
    assert!(problems.iter().any(|p| p.starts_with("b: counter")));
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("c_total: non-counter"))
    );
}
