//! What labelled examples teach the lexicon: how far each guide term can be trusted. A
//! term's weight for a category is scaled by the share of the examples containing it that
//! belong to that category, pulled towards the guide's own belief when the examples say
//! little (a term seen once proves nothing). "送货的" appears in late-delivery texts as
//! often as in attitude ones, so it counts less for attitude; "免税" only ever means
//! smuggled goods, so it keeps its weight. The examples (`config/triage_examples.jsonl`)
//! are the tune and dev lines of the evaluation data, never its holdout lines.

use super::lexicon::{DECISIVE_WEIGHT, Lexicon};

/// How many examples the guide's belief is worth.
const PRIOR_EXAMPLES: f64 = 2.0;
/// The guide's belief: the share of texts containing a listed term that are of its
/// category.
const PRIOR_RELIABILITY: f64 = 0.8;

/// One labelled text, normalised like the texts classified.
#[derive(Clone, Debug)]
pub(super) struct Example {
    pub text: String,
    pub category: usize,
}

/// Scales every posting by the reliability the examples show for it (decisive phrases
/// keep their weight: they settle the category by definition).
pub(super) fn reweigh(lexicon: &mut Lexicon, examples: &[Example]) {
    for term in &mut lexicon.terms {
        let with: Vec<usize> = examples
            .iter()
            .filter(|e| e.text.contains(term.text.as_str()))
            .map(|e| e.category)
            .collect();
        if with.is_empty() {
            continue;
        }
        let n = with.len() as f64;
        for p in &mut term.postings {
            if p.weight >= DECISIVE_WEIGHT {
                continue;
            }
            let k = with.iter().filter(|&&c| c == p.category).count() as f64;
            let reliability = (k + PRIOR_EXAMPLES * PRIOR_RELIABILITY) / (n + PRIOR_EXAMPLES);
            p.weight *= reliability / PRIOR_RELIABILITY;
        }
    }
}

#[derive(serde::Deserialize)]
struct Line {
    text: String,
    category: String,
}

/// Reads `{ "text", "category" }` lines; blank or unreadable lines are skipped (the
/// built-in file is checked by a test).
pub(super) fn parse(jsonl: &str) -> Vec<(String, String)> {
    jsonl
        .lines()
        .filter_map(|l| serde_json::from_str::<Line>(l).ok())
        .map(|l| (l.text, l.category))
        .collect()
}
