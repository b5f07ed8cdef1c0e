//! Accuracy of auto-triage on the evaluation set `tests/data/triage_eval.jsonl` (synthetic
//! operator texts written without seeing the guide or this code). The guide's words were
//! tuned on the `tune` lines (and on hand-written sentences) only; the `holdout` lines are
//! the honest figure and carry the assertions. The target was top-1 ≥ 90 % and top-3 ≥ 98 %
//! on the holdout; the guide reaches 86.8 % and 97.2 % (tune: 98.0 % and 100 %), so the
//! floors below guard what is reached, not the target. Urgency is printed, not asserted:
//! the guide's grade is never lowered, and the set grades consultations in complaint
//! categories IV and some transport/outflow leads II.
//!
//! `cargo test --release --lib triage::eval -- --nocapture` prints the figures; with
//! `TRIAGE_EVAL_SHOW=1` it also prints every `tune` line classified wrongly (never a
//! holdout line).

#![allow(clippy::unwrap_used, reason = "tests")]

use serde::Deserialize;

use super::Classifier;
use crate::domain::catalog::{BUILTIN_CATALOG, Catalog, Urgency};

const EVAL: &str = include_str!("../../../tests/data/triage_eval.jsonl");

/// Least holdout top-1 accuracy, in percent (reached: 86.8; target: 90).
const HOLDOUT_TOP1: f64 = 85.0;
/// Least holdout top-3 accuracy, in percent (reached: 97.2; target: 98).
const HOLDOUT_TOP3: f64 = 96.0;

#[derive(Deserialize)]
struct Line {
    id: String,
    text: String,
    category: String,
    urgency: Urgency,
    split: String,
}

#[derive(Default)]
struct Tally {
    n: usize,
    top1: usize,
    top3: usize,
    urgency: usize,
}

impl Tally {
    fn pct(&self, k: usize) -> f64 {
        100.0 * k as f64 / self.n.max(1) as f64
    }

    fn line(&self, split: &str) -> String {
        format!(
            "{split:8} n={:3}  top-1 {:5.1}%  top-3 {:5.1}%  urgency {:5.1}%",
            self.n,
            self.pct(self.top1),
            self.pct(self.top3),
            self.pct(self.urgency)
        )
    }
}

#[test]
fn accuracy_on_the_evaluation_set() {
    let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
    let classifier = Classifier::new(&catalog);
    let show = std::env::var_os("TRIAGE_EVAL_SHOW").is_some();
    let (mut tune, mut holdout) = (Tally::default(), Tally::default());
    for raw in EVAL.lines().filter(|l| !l.trim().is_empty()) {
        let line: Line = serde_json::from_str(raw).unwrap();
        assert!(
            catalog.get(&line.category).is_some(),
            "{}: unknown category {}",
            line.id,
            line.category
        );
        let got = classifier.classify(&line.text);
        let tally = match line.split.as_str() {
            "tune" => &mut tune,
            "holdout" => &mut holdout,
            other => panic!("{}: unknown split {other}", line.id),
        };
        tally.n += 1;
        let top1 = got.category == line.category;
        let top3 = got.alternatives.iter().any(|(c, _)| *c == line.category);
        tally.top1 += usize::from(top1);
        tally.top3 += usize::from(top3);
        tally.urgency += usize::from(got.urgency == line.urgency);
        if show && line.split == "tune" && (!top1 || got.urgency != line.urgency) {
            let alts: Vec<String> = got
                .alternatives
                .iter()
                .map(|(c, p)| format!("{c} {p:.2}"))
                .collect();
            println!(
                "{} want {}/{} got {}/{} [{}] {:?}\n    {}",
                line.id,
                line.category,
                line.urgency,
                got.category,
                got.urgency,
                alts.join(", "),
                got.escalated_by,
                line.text
            );
            for e in classifier.explain(&line.text) {
                println!("      {} -> {} {:.2}", e.term, e.category, e.weight);
            }
        }
    }
    println!("{}", tune.line("tune"));
    println!("{}", holdout.line("holdout"));
    assert!(holdout.n > 0 && tune.n > 0);
    assert!(
        holdout.pct(holdout.top1) >= HOLDOUT_TOP1,
        "holdout top-1 {:.1}%",
        holdout.pct(holdout.top1)
    );
    assert!(
        holdout.pct(holdout.top3) >= HOLDOUT_TOP3,
        "holdout top-3 {:.1}%",
        holdout.pct(holdout.top3)
    );
}
