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
/// How sharply a score margin turns into confidence (softmax inverse temperature): fitted
/// so the shown confidence is a probability (see `calibrate.rs`; re-fit with
/// `TRIAGE_CALIBRATE=1 cargo test --release --lib triage::calibrate -- --nocapture`).
pub(super) const SHARPNESS: f64 = 1.2;
/// Share of the topic's score a category that answers questions on it takes, for a
/// question that reports nobody ("许可证到期了怎么延续" is about licences, not a violation).
const ANSWER_SHARE: f64 = 1.0;
/// What the topic keeps of its score then.
const TOPIC_KEEPS: f64 = 0.5;
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

/// How a text is put: as a question, and whether it names someone who does something.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub(super) struct Form {
    pub question: bool,
    pub reports: bool,
}

impl Form {
    /// Reads the cues of the normalised `text`.
    pub(super) fn of(lexicon: &Lexicon, text: &str) -> Self {
        let any = |cues: &[String]| cues.iter().any(|c| text.contains(c.as_str()));
        Self {
            question: any(&lexicon.question_cues),
            reports: any(&lexicon.report_cues)
                || (any(&lexicon.premises) && !any(&lexicon.own_cues)),
        }
    }

    /// Whether the text asks about a topic rather than reports on it: a question (or a
    /// consultation, as the platform filed it) that names nobody doing anything. A text
    /// filed as a report or complaint is taken as filed.
    pub(super) fn asks(self, kind: Option<Kind>) -> bool {
        match kind {
            Some(Kind::Consultation) => !self.reports,
            None => self.question && !self.reports,
            Some(_) => false,
        }
    }
}

/// Categories (indices into the lexicon) with their softmax shares, best first.
pub(super) fn rank(
    lexicon: &Lexicon,
    scored: &Scores,
    votes: &[f64],
    kind: Option<Kind>,
    form: Form,
) -> Vec<(usize, f64)> {
    shares(&logits(lexicon, scored, votes, kind, form), SHARPNESS)
}

/// The softmax of `logits` at inverse temperature `sharpness`, best first (ties keep the
/// guide's order).
pub(super) fn shares(logits: &[f64], sharpness: f64) -> Vec<(usize, f64)> {
    let max = logits.iter().copied().fold(f64::MIN, f64::max);
    let exp: Vec<f64> = logits
        .iter()
        .map(|s| (sharpness * (s - max)).exp())
        .collect();
    let sum: f64 = exp.iter().sum();
    let mut ranked: Vec<(usize, f64)> = exp.iter().enumerate().map(|(i, e)| (i, e / sum)).collect();
    ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
    ranked
}

/// One score per category: the guide's term scores, its character back-off, precedence,
/// the kind, questions, and the examples' `votes`. Below [`MIN_SCORE`] of term evidence
/// the fallback leads before the votes.
pub(super) fn logits(
    lexicon: &Lexicon,
    scored: &Scores,
    votes: &[f64],
    kind: Option<Kind>,
    form: Form,
) -> Vec<f64> {
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
        // A category that answers questions on other categories' topics gains from them
        // below, not from the kind alone.
        let takes_kind = kind.is_some_and(|k| entry.kinds.contains(&k)) && entry.answers.is_empty();
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
    if form.asks(kind) {
        for (i, entry) in lexicon.categories.iter().enumerate() {
            let Some(topic) = entry
                .answers
                .iter()
                .copied()
                .max_by(|&a, &b| adjusted[a].total_cmp(&adjusted[b]))
            else {
                continue;
            };
            adjusted[i] += ANSWER_SHARE * adjusted[topic].max(0.0);
            for &a in &entry.answers {
                adjusted[a] *= TOPIC_KEEPS;
            }
        }
    }
    // The examples tell the topic, the form whether it is asked or reported: a category
    // that answers questions takes the vote of its best topic.
    for (i, entry) in lexicon.categories.iter().enumerate() {
        let vote = entry
            .answers
            .iter()
            .filter_map(|&a| votes.get(a).copied())
            .fold(f64::NEG_INFINITY, f64::max);
        adjusted[i] += if vote.is_finite() {
            vote
        } else {
            votes.get(i).copied().unwrap_or(0.0)
        };
    }
    adjusted
}
