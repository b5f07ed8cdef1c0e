//! Accuracy on the two sets written blind, after the classifier had been tuned and never
//! learned from: `tests/data/triage_consult.jsonl` (consultations, reports phrased as
//! questions, complaints that mention other categories) and `tests/data/triage_hard.jsonl`
//! (implied categories, negations, a main grievance beside a passing mention, operators'
//! typos and homophones, mixed number styles). Each text is classified with the kind the
//! platform would send (`classify_as`). Neither set is among the learned examples (a test
//! checks it), so the figures are honest.
//!
//! `cargo test --lib triage::eval_sets -- --nocapture` prints the figures;
//! `TRIAGE_EVAL_SHOW=sets` also prints every miss.

#![allow(clippy::unwrap_used, reason = "tests")]

use serde::Deserialize;

use super::Classifier;
use crate::domain::catalog::{BUILTIN_CATALOG, Catalog, Kind};

pub(super) const CONSULT: &str = include_str!("../../../tests/data/triage_consult.jsonl");
pub(super) const HARD: &str = include_str!("../../../tests/data/triage_hard.jsonl");

#[derive(Deserialize)]
pub(super) struct Line {
    pub id: String,
    pub text: String,
    pub category: String,
    pub kind: Kind,
}

pub(super) fn read(jsonl: &str) -> Vec<Line> {
    jsonl
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// (top-1 %, top-3 %) of `lines`, printing the misses when asked.
pub(super) fn measure(classifier: &Classifier, name: &str, lines: &[Line]) -> (f64, f64) {
    let show = std::env::var("TRIAGE_EVAL_SHOW").is_ok_and(|v| v == "sets");
    let (mut top1, mut top3) = (0usize, 0usize);
    for line in lines {
        let got = classifier.classify_as(&line.text, Some(line.kind));
        let right = got.category == line.category;
        top1 += usize::from(right);
        top3 += usize::from(got.alternatives.iter().any(|(c, _)| *c == line.category));
        if show && !right {
            let alts: Vec<String> = got
                .alternatives
                .iter()
                .map(|(c, p)| format!("{c} {p:.2}"))
                .collect();
            println!(
                "{} want {} got {} [{}]\n    {}",
                line.id,
                line.category,
                got.category,
                alts.join(", "),
                line.text
            );
        }
    }
    let n = lines.len().max(1) as f64;
    let pct = |k: usize| 100.0 * k as f64 / n;
    println!(
        "{name:8} n={:3}  top-1 {:5.1}%  top-3 {:5.1}%",
        lines.len(),
        pct(top1),
        pct(top3)
    );
    (pct(top1), pct(top3))
}

#[test]
fn accuracy_on_the_consultation_and_harder_sets() {
    let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
    let classifier = Classifier::new(&catalog);
    let consult = read(CONSULT);
    let hard = read(HARD);
    measure(&classifier, "consult", &consult);
    measure(&classifier, "hard", &hard);
}
