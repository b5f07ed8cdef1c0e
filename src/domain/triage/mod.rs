//! Auto-triage (自动分类分级): a ticket's text to a category of the handling guide, a
//! confidence, the runners-up and an urgency grade. It is built once from the guide — a
//! jieba tokeniser that knows the guide's keywords, the Wuxue town names and cigarette
//! brands, and a lexicon weighted by how specific each term is within the guide — and then
//! classifies without I/O in well under a millisecond. The dispatcher confirms or corrects
//! the result; grade I results go to the fast track before that.

mod lexicon;
mod normalise;
mod score;
mod urgency;

#[cfg(test)]
mod eval;
#[cfg(test)]
mod tests;

use jieba_rs::Jieba;

use super::catalog::{Catalog, Urgency};
use lexicon::Lexicon;

/// Lowest score that names a category; below it the ticket goes to the fallback (`other`).
const MIN_SCORE: f64 = 1.0;
/// Score the fallback category always has, so weak evidence leaves it among the runners-up.
const FALLBACK_BASELINE: f64 = 0.8;
/// How sharply a score margin turns into confidence (softmax inverse temperature).
const SHARPNESS: f64 = 1.2;
/// Scale of the character back-off against whole-term scores: small enough never to
/// outrank a category that a term named.
const BACKOFF_SHARE: f64 = 0.01;
/// How many categories `alternatives` lists.
const ALTERNATIVES: usize = 3;

/// What triage says about one text.
#[derive(Clone, Debug, PartialEq)]
pub struct Classification {
    /// The best category's code.
    pub category: String,
    /// How sure, 0 to 1: the best category's share after a softmax over the scores, so a
    /// wide margin over the runner-up gives a high value.
    pub confidence: f64,
    /// The top categories with their shares, best first (the first is `category`).
    pub alternatives: Vec<(String, f64)>,
    /// The category's default grade, or I when an escalation phrase was found.
    pub urgency: Urgency,
    /// The phrase that raised the grade to I, if one did.
    pub escalated_by: Option<String>,
}

/// One guide term found in a text and what it added to a category.
#[derive(Clone, Debug, PartialEq)]
pub struct Evidence {
    /// The keyword or phrase as it stands in the guide (lowercased).
    pub term: String,
    /// The category it counts for.
    pub category: String,
    /// What it added to that category's score.
    pub weight: f64,
}

/// The classifier; build it once at start and share it (it is read-only).
pub struct Classifier {
    jieba: Jieba,
    lexicon: Lexicon,
}

impl std::fmt::Debug for Classifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Classifier")
            .field("categories", &self.lexicon.categories.len())
            .field("terms", &self.lexicon.terms.len())
            .finish()
    }
}

impl Classifier {
    /// Builds the tokeniser and the weighted lexicon from the guide (tens of milliseconds:
    /// jieba loads its dictionary).
    pub fn new(catalog: &Catalog) -> Self {
        let lexicon = Lexicon::build(catalog);
        let mut jieba = Jieba::new();
        for word in lexicon.dictionary_words(catalog) {
            if !jieba.has_word(word) {
                jieba.add_word(word, None, None);
            }
        }
        Self { jieba, lexicon }
    }

    /// Classifies one ticket text.
    pub fn classify(&self, text: &str) -> Classification {
        let text = normalise::normalise(text, &self.lexicon.variants);
        let scored = score::score(&self.lexicon, &self.jieba, &text);
        let ranked = self.rank(&scored.scores, &scored.backoff);
        let best = ranked.first().map_or(self.lexicon.fallback, |&(i, _)| i);
        let entry = &self.lexicon.categories[best];
        let escalated_by = urgency::escalation(&self.lexicon, best, &text);
        let urgency = if escalated_by.is_some() {
            Urgency::I
        } else {
            entry.urgency
        };
        let alternatives: Vec<(String, f64)> = ranked
            .iter()
            .take(ALTERNATIVES)
            .map(|&(i, p)| (self.lexicon.categories[i].code.clone(), p))
            .collect();
        Classification {
            category: entry.code.clone(),
            confidence: ranked.first().map_or(0.0, |&(_, p)| p),
            alternatives,
            urgency,
            escalated_by,
        }
    }

    /// The guide terms found in `text` and what each added, for a dispatcher asking "why".
    pub fn explain(&self, text: &str) -> Vec<Evidence> {
        let text = normalise::normalise(text, &self.lexicon.variants);
        score::score(&self.lexicon, &self.jieba, &text)
            .hits
            .into_iter()
            .map(|h| Evidence {
                term: h.term,
                category: self.lexicon.categories[h.category].code.clone(),
                weight: h.weight,
            })
            .collect()
    }

    /// Categories by softmax share, best first. Below [`MIN_SCORE`] the fallback wins;
    /// it always has at least [`FALLBACK_BASELINE`]. Categories no whole term named are
    /// ordered among themselves by their character back-off.
    fn rank(&self, scores: &[f64], backoff: &[f64]) -> Vec<(usize, f64)> {
        let fallback = self.lexicon.fallback;
        let top = scores.iter().copied().fold(0.0, f64::max);
        let mut adjusted: Vec<f64> = scores
            .iter()
            .zip(backoff)
            .map(|(&s, &b)| if s > 0.0 { s } else { BACKOFF_SHARE * b })
            .collect();
        if let Some(s) = adjusted.get_mut(fallback) {
            *s = if top < MIN_SCORE {
                top.max(FALLBACK_BASELINE) + 0.5
            } else {
                s.max(FALLBACK_BASELINE)
            };
        }
        let max = adjusted.iter().copied().fold(f64::MIN, f64::max);
        let exp: Vec<f64> = adjusted
            .iter()
            .map(|s| (SHARPNESS * (s - max)).exp())
            .collect();
        let sum: f64 = exp.iter().sum();
        let mut ranked: Vec<(usize, f64)> =
            exp.iter().enumerate().map(|(i, e)| (i, e / sum)).collect();
        // Ties keep the guide's order (stable sort).
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked
    }
}

impl Classifier {
    /// Fills what an intake left open: the category when none was given, grade I when an
    /// escalation phrase appears and no grade was given (the fast track), and the proposal
    /// itself for the dispatcher, who confirms or overrides it at triage.
    pub fn suggest(&self, new: &mut crate::domain::ticket::NewTicket) {
        let c = self.classify(&new.description);
        if new.category.is_none() {
            new.category = Some(c.category.clone());
        }
        if new.urgency.is_none() && c.escalated_by.is_some() {
            new.urgency = Some(Urgency::I);
        }
        new.suggestion = Some(crate::domain::ticket::Suggestion {
            category: c.category,
            confidence: (c.confidence * 1000.0).round() / 1000.0,
            alternatives: c.alternatives,
            urgency: c.urgency,
            escalated_by: c.escalated_by,
        });
    }
}
