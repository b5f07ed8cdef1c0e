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
    let (consult1, consult3) = measure(&classifier, "consult", &consult);
    let (hard1, hard3) = measure(&classifier, "hard", &hard);
    // Measured: consultation set 93.1 % / 98.3 % (54 and 57 of 58), harder set 95.0 % /
    // 100 % (96 and 101 of 101). The harder set's target is 92 % top-1.
    assert!(consult1 >= 93.0, "consultation set top-1 {consult1:.1}%");
    assert!(consult3 >= 98.0, "consultation set top-3 {consult3:.1}%");
    assert!(hard1 >= 92.0, "harder set top-1 {hard1:.1}%");
    assert!(hard3 >= 98.0, "harder set top-3 {hard3:.1}%");
}

#[test]
fn the_blind_sets_are_never_learned_from() {
    let learned = super::learn::parse(super::BUILTIN_EXAMPLES);
    for line in read(CONSULT).iter().chain(&read(HARD)) {
        assert!(
            !learned.iter().any(|(t, _)| *t == line.text),
            "{}: a blind line is among the examples",
            line.id
        );
    }
}

#[test]
fn a_licensing_question_is_answered_and_a_question_form_report_stays_a_report() {
    let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
    let classifier = Classifier::new(&catalog);
    let got = classifier.classify_as("请问办烟草零售许可证需要什么材料", Some(Kind::Consultation));
    assert_eq!(got.category, "licence_consultation", "{got:?}");
    assert!(got.question, "{got:?}");
    assert!(got.why.iter().any(|r| r.source == "guide"), "{got:?}");
    let got = classifier.classify_as("我想问一下，隔壁店卖假烟怎么举报", Some(Kind::Consultation));
    assert_eq!(got.category, "counterfeit", "{got:?}");
    assert!(!got.question, "{got:?}");
    // A question that names a place selling (not the asker's own) reports it.
    for text in [
        "村里小卖部没有证还卖烟，你们管不管？",
        "棋牌室里卖烟没有证，怎么处理？",
    ] {
        let got = classifier.classify_as(text, Some(Kind::Consultation));
        assert_eq!(got.category, "unlicensed_retail", "{text}: {got:?}");
    }
    let got = classifier.classify_as(
        "我想开个小超市，烟草的证去哪里办？",
        Some(Kind::Consultation),
    );
    assert_eq!(got.category, "licence_consultation", "{got:?}");
    // Typed with homophones, the terms still count.
    let got = classifier.classify_as("客户经里从来不来，打电话也不接", Some(Kind::Complaint));
    assert_eq!(got.category, "account_manager_service", "{got:?}");
}
