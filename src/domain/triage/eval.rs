//! Accuracy of auto-triage on the evaluation set `tests/data/triage_eval.jsonl` (synthetic
//! operator texts written without seeing the guide or this code) and the dev sentences
//! `tests/data/triage_dev.jsonl` (written later, from DOMAIN.md, while tuning). The guide's
//! words, the learned term weights and the naive Bayes vote come from the `tune` and `dev`
//! lines only; the `holdout` lines are the honest figure and carry the assertions.
//!
//! The target is top-1 ≥ 90 % and top-3 ≥ 98 % on the holdout, asserted. Reached: holdout
//! 93.4 % / 99.1 % (95.3 % / 100 % before the guide had `licence_consultation` and its ten
//! licensing questions were relabelled; see `tests/data/README.md`). Earlier figures, with
//! the guide as it was then: fitted: tune 100 / 100, dev 99.4 / 100, dev2 97.8 / 100, dev3
//! 97.7 / 100. Leave-one-out (`TRIAGE_EVAL_LOO=1`): tune 94.8 / 99.6, dev 94.4 / 100,
//! dev2 97.8 / 100, dev3 88.4 / 96.7. dev3, classified before it was learned from: 85.4 /
//! 97.0 without the vote, 89.1 / 97.5 with it (its settings were chosen on dev3 then).
//!
//! A leave-one-out estimate classifies each tune or dev text with a guide without the
//! terms that match it and no other tune or dev text, and with weights and votes learned
//! from the other examples — a stand-in for an unseen text, since the guide's words were
//! tuned on these texts. Urgency is printed, not asserted: the guide's grade is never
//! lowered, and the set grades consultations in complaint categories IV and some
//! transport/outflow leads II.
//!
//! `cargo test --release --lib triage::eval -- --nocapture` prints the figures; with
//! `TRIAGE_EVAL_LOO=1` also the leave-one-out ones (half a minute in release); with
//! `TRIAGE_EVAL_SHOW=1` every tune or dev line classified wrongly (never a holdout line),
//! with `TRIAGE_EVAL_SHOW=loo` the leave-one-out misses, and with
//! `TRIAGE_EVAL_HIDE_HOLDOUT=1` it skips the holdout lines altogether (for tuning runs).

#![allow(clippy::unwrap_used, reason = "tests")]

use std::collections::HashMap;

use serde::Deserialize;

use super::Classifier;
use crate::domain::catalog::{BUILTIN_CATALOG, Catalog, Urgency};

const EVAL: &str = include_str!("../../../tests/data/triage_eval.jsonl");
const DEV: &str = include_str!("../../../tests/data/triage_dev.jsonl");

/// Least holdout top-1 accuracy, in percent: the target (reached 93.4, 99 of 106).
const HOLDOUT_TOP1: f64 = 90.0;
/// Least holdout top-3 accuracy, in percent: the target (reached 99.1, 105 of 106).
const HOLDOUT_TOP3: f64 = 98.0;

#[derive(Deserialize)]
pub(super) struct Line {
    pub id: String,
    pub text: String,
    pub category: String,
    pub urgency: Urgency,
    pub split: String,
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

    fn add(&mut self, line: &Line, got: &super::Classification) -> bool {
        let top1 = got.category == line.category;
        self.n += 1;
        self.top1 += usize::from(top1);
        self.top3 += usize::from(got.alternatives.iter().any(|(c, _)| *c == line.category));
        self.urgency += usize::from(got.urgency == line.urgency);
        top1
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

pub(super) fn lines() -> Vec<Line> {
    EVAL.lines()
        .chain(DEV.lines())
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// The tune and dev lines as learning examples, leaving out line `skip`.
pub(super) fn examples(lines: &[Line], skip: Option<usize>) -> Vec<(&str, &str)> {
    lines
        .iter()
        .enumerate()
        .filter(|&(i, l)| l.split != "holdout" && Some(i) != skip)
        .map(|(_, l)| (l.text.as_str(), l.category.as_str()))
        .collect()
}

fn show(classifier: &Classifier, tag: &str, line: &Line, got: &super::Classification) {
    let alts: Vec<String> = got
        .alternatives
        .iter()
        .map(|(c, p)| format!("{c} {p:.2}"))
        .collect();
    println!(
        "{tag}{} want {}/{} got {}/{} [{}] {:?}\n    {}",
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

#[test]
fn accuracy_on_the_evaluation_set() {
    let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
    let lines = lines();
    let classifier = Classifier::new(&catalog);
    let show_mode = std::env::var("TRIAGE_EVAL_SHOW").ok();
    let hide_holdout = std::env::var_os("TRIAGE_EVAL_HIDE_HOLDOUT").is_some();
    let mut tallies: HashMap<&str, Tally> = HashMap::new();
    for line in &lines {
        assert!(
            catalog.get(&line.category).is_some(),
            "{}: unknown category {}",
            line.id,
            line.category
        );
        assert!(
            matches!(
                line.split.as_str(),
                "tune" | "holdout" | "dev" | "dev2" | "dev3"
            ),
            "{}: unknown split {}",
            line.id,
            line.split
        );
        if hide_holdout && line.split == "holdout" {
            continue;
        }
        let got = classifier.classify(&line.text);
        let right = tallies
            .entry(line.split.as_str())
            .or_default()
            .add(line, &got);
        let wrong_grade = show_mode.as_deref() == Some("urgency") && got.urgency != line.urgency;
        let listed = matches!(show_mode.as_deref(), Some("1" | "urgency"));
        if listed && line.split != "holdout" && (!right || wrong_grade) {
            show(&classifier, "", line, &got);
        }
    }
    let mut loo = if std::env::var_os("TRIAGE_EVAL_LOO").is_none() {
        HashMap::new()
    } else {
        leave_one_out(&catalog, &classifier, &lines, show_mode.as_deref())
    };
    let holdout = tallies.remove("holdout").unwrap_or_default();
    for split in ["tune", "dev", "dev2", "dev3"] {
        let fitted = tallies.remove(split).unwrap_or_default();
        println!("{}", fitted.line(split));
        if let Some(left_out) = loo.remove(split) {
            println!("{}", left_out.line(&format!("{split}-loo")));
        }
    }
    if hide_holdout {
        return;
    }
    println!("{}", holdout.line("holdout"));
    assert!(holdout.n > 0);
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

/// Each tune and dev text classified by a guide without the terms that match it and no
/// other tune or dev text, and with weights learned from the other examples.
fn leave_one_out(
    catalog: &Catalog,
    classifier: &Classifier,
    lines: &[Line],
    show_mode: Option<&str>,
) -> HashMap<String, Tally> {
    let mut tallies: HashMap<String, Tally> = HashMap::new();
    for_each_left_out(catalog, classifier, lines, |line, loo| {
        let tally = tallies.entry(line.split.clone()).or_default();
        let got = loo.classify(&line.text);
        let in_top3 = got.alternatives.iter().any(|(c, _)| *c == line.category);
        let right = tally.add(line, &got);
        if (!right && show_mode == Some("loo")) || (!in_top3 && show_mode == Some("loo3")) {
            show(loo, "LOO ", line, &got);
        }
    });
    tallies
}

/// Calls `f` with each tune and dev line and a classifier that never saw it: the guide
/// without the terms only that tune text uses (a dev text keeps its terms, which were
/// drawn from tune texts only), weights learned from the other examples.
pub(super) fn for_each_left_out(
    catalog: &Catalog,
    classifier: &Classifier,
    lines: &[Line],
    mut f: impl FnMut(&Line, &Classifier),
) {
    let texts: Vec<Option<String>> = lines
        .iter()
        .map(|l| (l.split != "holdout").then(|| classifier.lexicon.normalise(&l.text)))
        .collect();
    let mut users: HashMap<&str, Vec<usize>> = HashMap::new();
    for t in &classifier.lexicon.terms {
        for (i, text) in texts.iter().enumerate() {
            if text.as_ref().is_some_and(|x| x.contains(t.text.as_str())) {
                users.entry(t.text.as_str()).or_default().push(i);
            }
        }
    }
    for (i, line) in lines.iter().enumerate() {
        if line.split == "holdout" {
            continue;
        }
        let own = |w: &String| {
            line.split == "tune"
                && users
                    .get(w.to_lowercase().as_str())
                    .is_some_and(|u| u.as_slice() == [i])
        };
        let mut masked = catalog.clone();
        for c in masked.categories_mut() {
            c.keywords.retain(|w| !own(w));
            c.phrases.retain(|w| !own(w));
            c.decisive_phrases.retain(|w| !own(w));
        }
        // The tokeniser is the full guide's: building one per text would take minutes.
        let (lexicon, bayes) = Classifier::learned(&masked, &examples(lines, Some(i)));
        let loo = Classifier {
            jieba: classifier.jieba.clone(),
            lexicon,
            bayes,
        };
        f(line, &loo);
    }
}

#[test]
fn the_built_in_examples_are_the_tune_and_dev_lines() {
    let lines = lines();
    let mut want: Vec<(String, String)> = examples(&lines, None)
        .into_iter()
        .map(|(t, c)| (t.to_owned(), c.to_owned()))
        .collect();
    let mut have = super::learn::parse(super::BUILTIN_EXAMPLES);
    assert_eq!(
        have.len(),
        super::BUILTIN_EXAMPLES.lines().count(),
        "every line reads"
    );
    want.sort();
    have.sort();
    assert_eq!(
        have, want,
        "config/triage_examples.jsonl must hold exactly the tune and dev lines \
         (regenerate it as tests/data/README.md says)"
    );
    for line in lines.iter().filter(|l| l.split == "holdout") {
        assert!(
            !have.iter().any(|(t, _)| *t == line.text),
            "{}: a holdout line is among the examples",
            line.id
        );
    }
}
