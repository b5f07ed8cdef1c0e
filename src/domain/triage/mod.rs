//! Auto-triage (自动分类分级): a ticket's text to a category of the handling guide, a
//! confidence, the runners-up and an urgency grade. It is built once from the guide — a
//! jieba tokeniser that knows the guide's keywords, the Wuxue town names and cigarette
//! brands; a lexicon weighted by how specific each term is within the guide and by how
//! reliable labelled examples show it to be; a character back-off for texts in words the
//! guide does not list; and the guide's precedence between categories — and then
//! classifies without I/O in well under a millisecond. The dispatcher confirms or corrects
//! the result; grade I results go to the fast track before that.

mod bayes;
mod learn;
mod lexicon;
mod normalise;
mod rank;
mod score;
mod urgency;

#[cfg(test)]
mod calibrate;
#[cfg(test)]
mod eval;
#[cfg(test)]
mod eval_sets;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use jieba_rs::Jieba;

use super::catalog::{Catalog, Kind, Urgency};
use lexicon::Lexicon;

/// How many categories `alternatives` lists.
const ALTERNATIVES: usize = 3;

/// Labelled texts the term weights are learned from: the `tune` and `dev` lines of the
/// evaluation data (`tests/data/`), never its `holdout` lines.
pub const BUILTIN_EXAMPLES: &str = include_str!("../../../config/triage_examples.jsonl");

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
    /// The text is put as a question that reports nobody (or was filed as a consultation).
    pub question: bool,
    /// The confidence is below the guide's `low_confidence`: worth a second look.
    pub low_confidence: bool,
    /// What decided it: the guide terms found for the category and the words the
    /// labelled examples tie to it, strongest first.
    pub why: Vec<Reason>,
}

/// One reason for a proposal, as a dispatcher reads it.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Reason {
    /// The word as matched in the normalised text.
    pub term: String,
    /// `guide` (a keyword or phrase of the category in the guide) or `examples` (a word
    /// the labelled examples of the category contain, through the naive Bayes vote).
    pub source: String,
    /// What it added to the category's score (guide), or its log-likelihood ratio over
    /// the runner-up (examples).
    pub weight: f64,
}

/// How many guide terms and example words `why` names at most.
const WHY_TERMS: usize = 5;
const WHY_EXAMPLE_WORDS: usize = 3;

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
    /// Shared so a test can pair one tokeniser with many lexicons.
    jieba: Arc<Jieba>,
    lexicon: Lexicon,
    bayes: bayes::Model,
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
    /// Builds the tokeniser and the weighted lexicon from the guide and the built-in
    /// examples (tens of milliseconds: jieba loads its dictionary).
    pub fn new(catalog: &Catalog) -> Self {
        let examples = learn::parse(BUILTIN_EXAMPLES);
        let pairs: Vec<(&str, &str)> = examples
            .iter()
            .map(|(t, c)| (t.as_str(), c.as_str()))
            .collect();
        Self::with_examples(catalog, &pairs)
    }

    /// Builds the classifier and lets labelled `(text, category code)` examples weigh the
    /// guide's terms (examples of unknown categories are skipped).
    pub fn with_examples(catalog: &Catalog, examples: &[(&str, &str)]) -> Self {
        let (lexicon, bayes) = Self::learned(catalog, examples);
        let mut jieba = Jieba::new();
        for word in lexicon.dictionary_words(catalog) {
            if !jieba.has_word(word) {
                jieba.add_word(word, None, None);
            }
        }
        Self {
            jieba: Arc::new(jieba),
            lexicon,
            bayes,
        }
    }

    fn learned(catalog: &Catalog, examples: &[(&str, &str)]) -> (Lexicon, bayes::Model) {
        let mut lexicon = Lexicon::build(catalog);
        let examples: Vec<learn::Example> = examples
            .iter()
            .filter_map(|&(text, code)| {
                let category = lexicon.categories.iter().position(|c| c.code == code)?;
                Some(learn::Example {
                    text: lexicon.normalise(text),
                    category,
                })
            })
            .collect();
        learn::reweigh(&mut lexicon, &examples);
        let undenied: Vec<String> = examples
            .iter()
            .map(|e| score::undenied(&lexicon, &e.text))
            .collect();
        let bayes = bayes::Model::learn(
            lexicon.categories.len(),
            undenied
                .iter()
                .zip(&examples)
                .map(|(t, e)| (t.as_str(), e.category)),
        );
        (lexicon, bayes)
    }

    /// Classifies one ticket text of unknown kind.
    pub fn classify(&self, text: &str) -> Classification {
        self.classify_as(text, None)
    }

    /// Classifies one ticket text filed as `kind` (when the platform said which): the
    /// categories of that kind win near-ties.
    pub fn classify_as(&self, text: &str, kind: Option<Kind>) -> Classification {
        let text = self.lexicon.normalise(text);
        let scored = score::score(&self.lexicon, &self.jieba, &text);
        // What the text denies ("不是假烟") neither votes nor is given as a reason.
        let undenied = score::undenied(&self.lexicon, &text);
        let votes = self.bayes.votes(&undenied);
        let form = rank::Form::of(&self.lexicon, &text);
        let ranked = rank::rank(&self.lexicon, &scored, &votes, kind, form);
        let best = ranked.first().map_or(self.lexicon.fallback, |&(i, _)| i);
        let runner_up = ranked.get(1).map_or(best, |&(i, _)| i);
        let mut why: Vec<Reason> = scored
            .hits
            .iter()
            .filter(|h| h.category == best && h.weight > 0.0)
            .take(WHY_TERMS)
            .map(|h| Reason {
                term: h.term.clone(),
                source: "guide".into(),
                weight: round3(h.weight),
            })
            .collect();
        for (term, weight) in self
            .bayes
            .telling(&undenied, best, runner_up, WHY_EXAMPLE_WORDS)
        {
            if !why.iter().any(|r| r.term.contains(term.as_str())) {
                why.push(Reason {
                    term,
                    source: "examples".into(),
                    weight: round3(weight),
                });
            }
        }
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
        let confidence = ranked.first().map_or(0.0, |&(_, p)| p);
        Classification {
            category: entry.code.clone(),
            confidence,
            alternatives,
            urgency,
            escalated_by,
            question: form.asks(kind),
            low_confidence: confidence < self.lexicon.low_confidence,
            why,
        }
    }

    /// Every category's score before the softmax (guide order), for calibration.
    #[cfg(test)]
    fn logits_as(&self, text: &str, kind: Option<Kind>) -> Vec<f64> {
        let text = self.lexicon.normalise(text);
        let scored = score::score(&self.lexicon, &self.jieba, &text);
        let votes = self.bayes.votes(&score::undenied(&self.lexicon, &text));
        let form = rank::Form::of(&self.lexicon, &text);
        rank::logits(&self.lexicon, &scored, &votes, kind, form)
    }

    /// The phrase or quantity that would raise `text` to grade I as a ticket of `category`.
    fn escalation_as(&self, category: &str, text: &str) -> Option<String> {
        let index = self
            .lexicon
            .categories
            .iter()
            .position(|c| c.code == category)?;
        let text = self.lexicon.normalise(text);
        urgency::escalation(&self.lexicon, index, &text)
    }

    /// The guide terms found in `text` and what each added, for a dispatcher asking "why".
    pub fn explain(&self, text: &str) -> Vec<Evidence> {
        let text = self.lexicon.normalise(text);
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
}

impl Classifier {
    /// Fills what an intake left open — the category when none was given — and raises the
    /// grade to I (the fast track) when an escalation phrase of the classified category, of
    /// the category the platform gave, or of the whole guide appears, whatever grade came
    /// with it: a feed that files everything as III must not bury "一车假烟正在卸货". The
    /// grade is never lowered. The proposal itself goes to the dispatcher, who confirms or
    /// overrides it at triage.
    pub fn suggest(&self, new: &mut crate::domain::ticket::NewTicket) {
        let mut c = self.classify_as(&new.description, Some(new.kind));
        if c.escalated_by.is_none()
            && let Some(given) = new.category.as_deref()
        {
            c.escalated_by = self.escalation_as(given, &new.description);
        }
        if c.escalated_by.is_some() {
            c.urgency = Urgency::I;
        }
        if new.category.is_none() {
            new.category = Some(c.category.clone());
        }
        if c.escalated_by.is_some() {
            new.urgency = Some(Urgency::I);
        }
        new.suggestion = Some(crate::domain::ticket::Suggestion {
            category: c.category,
            confidence: round3(c.confidence),
            alternatives: c
                .alternatives
                .into_iter()
                .map(|(code, p)| (code, round3(p)))
                .collect(),
            urgency: c.urgency,
            escalated_by: c.escalated_by,
            question: c.question,
            low_confidence: c.low_confidence,
            why: c.why,
        });
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}
