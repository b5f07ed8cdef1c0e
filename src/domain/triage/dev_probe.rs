#![allow(clippy::unwrap_used, clippy::print_stdout, reason = "tests")]
use super::Classifier;
use crate::domain::catalog::{BUILTIN_CATALOG, Catalog};
#[test]
fn dev_probe() {
    let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
    let c = Classifier::new(&catalog);
    let show = std::env::var("DEV_SHOW").unwrap_or_default();
    for k in 1..=12 {
        let name = if k == 1 {
            "dev".to_string()
        } else {
            format!("dev{k}")
        };
        let Ok(text) = std::fs::read_to_string(format!("/tmp/dev/{name}.txt")) else {
            continue;
        };
        let (mut n, mut t1, mut t3, mut u) = (0, 0, 0, 0);
        for line in text.lines().filter(|l| !l.is_empty()) {
            let mut parts = line.splitn(3, '|');
            let (cat, urg, txt) = (
                parts.next().unwrap(),
                parts.next().unwrap(),
                parts.next().unwrap(),
            );
            let got = c.classify(txt);
            n += 1;
            if got.category == cat {
                t1 += 1;
            }
            if got.alternatives.iter().any(|(x, _)| x == cat) {
                t3 += 1;
            }
            if got.urgency.as_str() == urg {
                u += 1;
            }
            if show == name && got.category != cat {
                println!(
                    "want {cat}/{urg} got {}/{} {:?} {:?}\n    {txt}",
                    got.category,
                    got.urgency,
                    got.alternatives
                        .iter()
                        .map(|(c, p)| format!("{c} {p:.2}"))
                        .collect::<Vec<_>>(),
                    got.escalated_by
                );
                for e in c.explain(txt) {
                    if e.term.chars().count() > 1 {
                        println!("      {} -> {} {:.2}", e.term, e.category, e.weight);
                    }
                }
            }
        }
        println!(
            "{name:5} n={n} top1 {:.1}% top3 {:.1}% urgency {:.1}%",
            100.0 * t1 as f64 / n as f64,
            100.0 * t3 as f64 / n as f64,
            100.0 * u as f64 / n as f64
        );
    }
}
