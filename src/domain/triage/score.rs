//! Scoring: every category gets the weights of its guide terms found in the normalised
//! text — phrases anywhere, keywords where jieba (search mode, so the parts of a long word
//! count too) cut them as a token, or at a discount where it cut the text differently.
//! Each term counts once, and each further term of a category a little less. A word denied
//! by a negation cue just before it ("不是假烟") counts little, one after a hedge ("听说")
//! half, and a keyword inside a matched phrase or a longer keyword less (the phrase
//! already carries it, and "送货员态度" is not a late-delivery word).
//! What a negation denies is also left out of the text the examples' vote reads.

use std::collections::{HashMap, HashSet};

use jieba_rs::Jieba;

use super::lexicon::{Lexicon, Posting};
use super::normalise::is_clause_break;

/// Share of its weight a denied term keeps.
pub(super) const NEGATED: f64 = 0.1;
/// Share of its weight a keyword inside a matched phrase or longer keyword keeps.
const INSIDE_PHRASE: f64 = 0.5;
/// Share of its weight a keyword keeps when jieba cut the text differently around it.
const UNALIGNED: f64 = 0.6;
/// How many characters before a term a negation cue may stand ("不是走私的那种外国烟":
/// the denial covers the whole short clause).
const NEGATION_REACH: usize = 8;
/// What, right after a negation cue, makes it no denial of what follows ("不是第一次卖假烟").
const NOT_A_DENIAL: [&str; 6] = ["第一次", "头一次", "一次两次", "一两次", "头一回", "只有"];
/// Share of its weight a term gains after an emphasis cue ("主要是…").
const EMPHASISED: f64 = 1.5;
/// Share of its weight a term after a hedge ("听说", "估计") keeps.
const HEDGED: f64 = 0.5;
/// How many characters before a term a hedge may stand.
const HEDGE_REACH: usize = 6;
/// Each further term of a category counts this share of the one before it (terms taken
/// strongest first), so one clear signal is not outvoted by a pile of loose mentions.
const DECAY: f64 = 0.6;

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
    /// From whole keywords and phrases.
    pub scores: Vec<f64>,
    /// From single characters: orders the categories no whole term named.
    pub backoff: Vec<f64>,
    pub hits: Vec<Hit>,
}

/// Scores the normalised `text` against the lexicon.
pub(super) fn score(lexicon: &Lexicon, jieba: &Jieba, text: &str) -> Scores {
    let tokens: HashSet<(usize, usize)> = jieba
        .cut_for_search(text, true)
        .into_iter()
        .map(|t| (t.byte_start, t.byte_end))
        .collect();
    // Every occurrence of every term: (term, start, end), found in one pass.
    let mut found: Vec<(usize, usize, usize)> = Vec::new();
    for (start, ch) in text.char_indices() {
        let Some(candidates) = lexicon.by_first_char.get(&ch) else {
            continue;
        };
        for &t in candidates {
            let term = &lexicon.terms[t].text;
            if text[start..].starts_with(term.as_str()) {
                found.push((t, start, start + term.len()));
            }
        }
    }
    // Phrases before keywords, longer before shorter: a term inside one already taken
    // counts less (or, for a phrase inside a phrase, not at all).
    found.sort_by(|a, b| {
        let (ta, tb) = (&lexicon.terms[a.0], &lexicon.terms[b.0]);
        tb.phrase
            .cmp(&ta.phrase)
            .then(tb.text.len().cmp(&ta.text.len()))
            .then(a.1.cmp(&b.1))
    });
    // The cue words themselves say nothing about the topic ("网上说" is hearsay, not an
    // online sale).
    let cues: Vec<(usize, usize)> = lexicon
        .hedges
        .iter()
        .chain(&lexicon.negations)
        .flat_map(|c| {
            text.match_indices(c.as_str())
                .map(|(at, m)| (at, at + m.len()))
        })
        .collect();
    let mut taken: Vec<(usize, usize)> = Vec::new();
    let mut best: HashMap<usize, f64> = HashMap::new();
    for &(t, start, end) in &found {
        let term = &lexicon.terms[t];
        if cues.iter().any(|&(s, e)| s <= start && end <= e) {
            continue;
        }
        let inside = taken.iter().any(|&(s, e)| s <= start && end <= e);
        let mut factor = cue_factor(lexicon, text, start, end);
        if term.phrase {
            if inside {
                continue;
            }
        } else {
            let aligned = tokens.contains(&(start, end));
            if !aligned && term.text.chars().count() < 2 {
                continue;
            }
            if !aligned {
                factor *= UNALIGNED;
            }
            if inside {
                factor *= INSIDE_PHRASE;
            }
        }
        taken.push((start, end));
        let slot = best.entry(t).or_insert(0.0);
        *slot = slot.max(factor);
    }
    let mut hits: Vec<Hit> = Vec::new();
    for (&t, &factor) in &best {
        let term = &lexicon.terms[t];
        add(&mut hits, &term.text, &term.postings, factor);
    }
    hits.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.term.cmp(&b.term)));
    let scores = decayed(lexicon.categories.len(), &hits);

    // Back-off: characters and character pairs outside every matched term, each once.
    let outside = |at: usize| !taken.iter().any(|&(s, e)| s <= at && at < e);
    let positions: Vec<(usize, char)> = text.char_indices().collect();
    let mut grams: Vec<Hit> = Vec::new();
    let mut seen: HashSet<String> = HashSet::new();
    for (k, &(at, ch)) in positions.iter().enumerate() {
        if !outside(at) {
            continue;
        }
        let mut candidates = vec![(ch.to_string(), at + ch.len_utf8())];
        if let Some(&(next_at, next)) = positions.get(k + 1)
            && outside(next_at)
        {
            candidates.push((format!("{ch}{next}"), next_at + next.len_utf8()));
        }
        for (gram, end) in candidates {
            if seen.contains(&gram) {
                continue;
            }
            if let Some(postings) = lexicon.grams.get(&gram) {
                let factor = cue_factor(lexicon, text, at, end);
                add(&mut grams, &gram, postings, factor);
                seen.insert(gram);
            }
        }
    }
    grams.sort_by(|a, b| b.weight.total_cmp(&a.weight).then(a.term.cmp(&b.term)));
    let backoff = decayed(lexicon.categories.len(), &grams);
    Scores {
        scores,
        backoff,
        hits,
    }
}

/// Per category: its hits strongest first, each further one worth [`DECAY`] of the one
/// before.
fn decayed(categories: usize, hits: &[Hit]) -> Vec<f64> {
    let mut scores = vec![0.0; categories];
    let mut share = vec![1.0; categories];
    for h in hits {
        scores[h.category] += h.weight * share[h.category];
        share[h.category] *= DECAY;
    }
    scores
}

fn add(hits: &mut Vec<Hit>, term: &str, postings: &[Posting], factor: f64) {
    for p in postings {
        let weight = p.weight * factor;
        hits.push(Hit {
            term: term.to_owned(),
            category: p.category,
            weight,
        });
    }
}

/// How much of its weight the term at `start..end` keeps given the cues before it in its
/// clause: [`NEGATED`] after a negation, [`HEDGED`] after a hedge, else 1.
pub(super) fn cue_factor(lexicon: &Lexicon, text: &str, start: usize, end: usize) -> f64 {
    let before = &text[..start];
    let clause_start = before
        .char_indices()
        .rev()
        .find(|&(_, ch)| is_clause_break(ch))
        .map_or(0, |(i, ch)| i + ch.len_utf8());
    let clause = &before[clause_start..];
    let after = &text[end..];
    let rest = &after[..after.find(is_clause_break).unwrap_or(after.len())];
    if negated(&lexicon.negations, clause, after) {
        NEGATED
    } else if cue_within(&lexicon.hedges, clause, HEDGE_REACH)
        || lexicon
            .concessions
            .iter()
            .any(|c| rest.contains(c.as_str()))
    {
        HEDGED
    } else if lexicon.emphasis.iter().any(|c| clause.contains(c.as_str())) {
        EMPHASISED
    } else {
        1.0
    }
}

/// Whether a negation cue ends within [`NEGATION_REACH`] characters before the term.
/// Not a denial: "是不是假烟" (a question), and a clause that ends in 吗 ("这不是超范围了
/// 吗", a rhetorical question).
fn negated(cues: &[String], clause: &str, after: &str) -> bool {
    let denied = cues.iter().any(|cue| {
        clause.match_indices(cue.as_str()).any(|(at, _)| {
            let denied = &clause[at + cue.len()..];
            !clause[..at].ends_with('是')
                && denied.chars().count() < NEGATION_REACH
                && !NOT_A_DENIAL.iter().any(|n| denied.starts_with(n))
        })
    });
    let clause_end = after.find(is_clause_break).unwrap_or(after.len());
    denied && !after[..clause_end].contains('吗')
}

/// Whether one of `cues` ends within `reach` characters before the end of `clause`.
fn cue_within(cues: &[String], clause: &str, reach: usize) -> bool {
    cues.iter().any(|cue| {
        clause
            .match_indices(cue.as_str())
            .any(|(at, _)| clause[at + cue.len()..].chars().count() < reach)
    })
}

/// `text` without what its negations deny ("不是走私的那种外国烟，是…" keeps "，是…"): the
/// denied words are no evidence for the examples' vote either.
pub(super) fn undenied(lexicon: &Lexicon, text: &str) -> String {
    let mut cut: Vec<(usize, usize)> = Vec::new();
    for cue in &lexicon.negations {
        for (at, m) in text.match_indices(cue.as_str()) {
            let end = at + m.len();
            let rest = &text[end..];
            if text[..at].ends_with('是') || NOT_A_DENIAL.iter().any(|n| rest.starts_with(n)) {
                continue;
            }
            let clause = rest.find(is_clause_break).unwrap_or(rest.len());
            let reach = rest
                .char_indices()
                .nth(NEGATION_REACH)
                .map_or(rest.len(), |(i, _)| i);
            cut.push((at, end + clause.min(reach)));
        }
    }
    if cut.is_empty() {
        return text.to_owned();
    }
    text.char_indices()
        .filter(|&(i, _)| !cut.iter().any(|&(s, e)| s <= i && i < e))
        .map(|(_, c)| c)
        .collect()
}
