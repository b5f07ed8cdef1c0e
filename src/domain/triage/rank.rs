//! Ranking: the term scores, the character back-off, the guide's precedence between
//! categories and the kind of filing turned into one share per category, best first.

use super::lexicon::Lexicon;
use super::score::Scores;
use crate::domain::catalog::Kind;

/// Lowest score that names a category; below it the ticket goes to the fallback (`other`).
const MIN_SCORE: f64 = 1.0;
/// Score the fallback category always has, so weak evidence leaves it among the runners-up.
const FALLBACK_BASELINE: f64 = 0.8;
/// What the fallback gets over the best score when nothing reaches [`MIN_SCORE`].
const FALLBACK_LIFT: f64 = 0.5;
/// How sharply a score margin turns into confidence (softmax inverse temperature).
const SHARPNESS: f64 = 1.2;
/// Weight of the character back-off against whole-term scores: a pair of characters
/// shared with a guide term is a weak clue ("冒充" ~ "假冒"), enough to name a category
/// when no term does, and to settle a near-tie when one does.
const BACKOFF_SHARE: f64 = 0.5;
/// Share of an outranked category's score that its outranking category adds to its own,
/// when it has evidence of its own ("卖假烟给学生": the sale to minors takes the fakes'
/// weight too).
const OUTRANK_SHARE: f64 = 0.5;
/// What the platform's kind of filing adds to the categories that take that kind: a
/// tie-break, below one keyword.
const KIND_BONUS: f64 = 0.5;
/// What it adds to a category of that kind alone (suggestions, order consultations).
const KIND_ONLY_BONUS: f64 = 1.0;

/// Categories (indices into the lexicon) with their softmax shares, best first: the
/// guide's term scores, its character back-off and the examples' `votes`. Below
/// [`MIN_SCORE`] of term evidence the fallback leads before the votes.
pub(super) fn rank(
    lexicon: &Lexicon,
    scored: &Scores,
    votes: &[f64],
    kind: Option<Kind>,
) -> Vec<(usize, f64)> {
    let (scores, backoff) = (&scored.scores, &scored.backoff);
    let fallback = lexicon.fallback;
    let mut adjusted: Vec<f64> = scores
        .iter()
        .zip(backoff)
        .map(|(&s, &b)| s + BACKOFF_SHARE * b)
        .collect();
    let top = adjusted.iter().copied().fold(0.0, f64::max);
    for (i, entry) in lexicon.categories.iter().enumerate() {
        if scores[i] >= MIN_SCORE {
            let lent: f64 = entry.outranks.iter().map(|&o| scores[o]).sum();
            adjusted[i] += OUTRANK_SHARE * lent;
        }
        let takes_kind = kind.is_some_and(|k| entry.kinds.contains(&k));
        if i != fallback && takes_kind {
            adjusted[i] += if entry.kinds.len() == 1 {
                KIND_ONLY_BONUS
            } else {
                KIND_BONUS
            };
        }
    }
    if let Some(s) = adjusted.get_mut(fallback) {
        *s = if top < MIN_SCORE {
            top.max(FALLBACK_BASELINE) + FALLBACK_LIFT
        } else {
            s.max(FALLBACK_BASELINE)
        };
    }
    for (s, v) in adjusted.iter_mut().zip(votes) {
        *s += v;
    }
    let max = adjusted.iter().copied().fold(f64::MIN, f64::max);
    let exp: Vec<f64> = adjusted
        .iter()
        .map(|s| (SHARPNESS * (s - max)).exp())
        .collect();
    let sum: f64 = exp.iter().sum();
    let mut ranked: Vec<(usize, f64)> = exp.iter().enumerate().map(|(i, e)| (i, e / sum)).collect();
    // Ties keep the guide's order (stable sort).
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked
}
