//! Scoring: every category gets the sum of the weights of its guide terms found in the
//! normalised text — phrases by substring, keywords by jieba token (search mode, so the
//! parts of a long word count too). Each term counts once. A word denied by a negation cue
//! just before it ("不是假烟") counts little, and a keyword inside a matched phrase counts
//! less (the phrase already carries it, and "送货员态度" is not a late-delivery word).

use jieba_rs::Jieba;

use super::lexicon::{Lexicon, Posting};
use super::normalise::is_clause_break;

/// Share of its weight a denied term keeps.
const NEGATED: f64 = 0.1;
/// Share of its weight a keyword inside a matched phrase keeps.
const INSIDE_PHRASE: f64 = 0.5;
/// How many characters before a term a negation cue may stand.
const NEGATION_REACH: usize = 4;

/// One guide term found in the text.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Hit {
    pub term: String,
    pub category: usize,
    pub weight: f64,
}

/// Scores of every category (in guide order) and the terms behind them.
#[derive(Clone, Debug)]
pub(super) struct Scores {
    pub scores: Vec<f64>,
    pub hits: Vec<Hit>,
}

/// Scores the normalised `text` against the lexicon.
pub(super) fn score(lexicon: &Lexicon, jieba: &Jieba, text: &str) -> Scores {
    let mut scores = vec![0.0; lexicon.categories.len()];
    let mut hits: Vec<Hit> = Vec::new();
    let mut spans: Vec<(usize, usize)> = Vec::new();

    for (phrase, postings) in &lexicon.phrases {
        let mut found = None;
        for (start, _) in text.match_indices(phrase.as_str()) {
            let end = start + phrase.len();
            if spans.iter().any(|&(s, e)| s <= start && end <= e) {
                continue;
            }
            let factor = negation_factor(lexicon, text, start);
            found = Some(found.map_or(factor, |f: f64| f.max(factor)));
            spans.push((start, end));
        }
        if let Some(factor) = found {
            add(&mut scores, &mut hits, phrase, postings, factor);
        }
    }

    let mut seen: Vec<&str> = Vec::new();
    for token in jieba.cut_for_search(text, true) {
        let Some(postings) = lexicon.keywords.get(token.word) else {
            continue;
        };
        if seen.contains(&token.word) {
            continue;
        }
        seen.push(token.word);
        let inside = spans
            .iter()
            .any(|&(s, e)| s <= token.byte_start && token.byte_end <= e);
        let factor = negation_factor(lexicon, text, token.byte_start)
            * if inside { INSIDE_PHRASE } else { 1.0 };
        add(&mut scores, &mut hits, token.word, postings, factor);
    }
    Scores { scores, hits }
}

fn add(scores: &mut [f64], hits: &mut Vec<Hit>, term: &str, postings: &[Posting], factor: f64) {
    for p in postings {
        let weight = p.weight * factor;
        scores[p.category] += weight;
        hits.push(Hit {
            term: term.to_owned(),
            category: p.category,
            weight,
        });
    }
}

/// [`NEGATED`] when a negation cue stands within reach before byte `start` in the same
/// clause, else 1.
fn negation_factor(lexicon: &Lexicon, text: &str, start: usize) -> f64 {
    let before = &text[..start];
    let clause_start = before
        .char_indices()
        .rev()
        .take(NEGATION_REACH + 4)
        .find(|&(_, ch)| is_clause_break(ch))
        .map_or(0, |(i, ch)| i + ch.len_utf8());
    let window_start = before
        .char_indices()
        .rev()
        .nth(NEGATION_REACH + 3)
        .map_or(0, |(i, _)| i)
        .max(clause_start);
    let window = &before[window_start..];
    let denied = lexicon.negations.iter().any(|cue| {
        window.find(cue.as_str()).is_some_and(|at| {
            // The cue must end within NEGATION_REACH characters of the term.
            window[at + cue.len()..].chars().count() < NEGATION_REACH
        })
    });
    if denied { NEGATED } else { 1.0 }
}
