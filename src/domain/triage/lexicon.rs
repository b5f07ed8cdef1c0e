//! The triage lexicon, built once from the handling guide: each keyword and phrase with the
//! categories that list it and its weight. Weights are inverse-document-frequency over the
//! guide itself — a word listed by one category says more than one listed by five — and
//! phrases weigh more than single words because they are more specific.

use std::collections::HashMap;

use crate::domain::catalog::{Catalog, Urgency};

/// Extra weight of a phrase over a single word with the same spread.
pub(super) const PHRASE_BOOST: f64 = 1.5;

/// What triage needs of one category.
#[derive(Clone, Debug)]
pub(super) struct CategoryEntry {
    pub code: String,
    pub urgency: Urgency,
    pub escalation_phrases: Vec<String>,
}

/// One way a term points to a category.
#[derive(Clone, Copy, Debug)]
pub(super) struct Posting {
    pub category: usize,
    pub weight: f64,
}

/// Keywords (looked up by jieba token) and phrases (found in the normalised text).
#[derive(Clone, Debug)]
pub(super) struct Lexicon {
    pub categories: Vec<CategoryEntry>,
    /// Index of the category used when nothing matches (`other`, else the last one).
    pub fallback: usize,
    pub keywords: HashMap<String, Vec<Posting>>,
    /// Longest first, so a longer phrase is found before the phrases inside it.
    pub phrases: Vec<(String, Vec<Posting>)>,
    pub negations: Vec<String>,
    pub global_escalation: Vec<String>,
    /// (wrong, right), longest wrong form first.
    pub variants: Vec<(String, String)>,
}

impl Lexicon {
    /// Collects the guide's words and weighs them.
    pub(super) fn build(catalog: &Catalog) -> Self {
        let n = catalog.categories().len().max(1) as f64;
        let mut spread: HashMap<&str, usize> = HashMap::new();
        for c in catalog.categories() {
            for term in c.keywords.iter().chain(&c.phrases) {
                *spread.entry(term.as_str()).or_default() += 1;
            }
        }
        let idf = |term: &str| -> f64 {
            let df = spread.get(term).copied().unwrap_or(1).max(1) as f64;
            (1.0 + n / df).ln()
        };

        let mut keywords: HashMap<String, Vec<Posting>> = HashMap::new();
        let mut phrases: HashMap<String, Vec<Posting>> = HashMap::new();
        let mut categories = Vec::with_capacity(catalog.categories().len());
        for (i, c) in catalog.categories().iter().enumerate() {
            for k in &c.keywords {
                let key = k.to_lowercase();
                keywords.entry(key).or_default().push(Posting {
                    category: i,
                    weight: idf(k),
                });
            }
            for p in &c.phrases {
                let key = p.to_lowercase();
                phrases.entry(key).or_default().push(Posting {
                    category: i,
                    weight: idf(p) * PHRASE_BOOST,
                });
            }
            categories.push(CategoryEntry {
                code: c.code.clone(),
                urgency: c.urgency,
                escalation_phrases: c
                    .escalation_phrases
                    .iter()
                    .map(|p| p.to_lowercase())
                    .collect(),
            });
        }
        let mut phrases: Vec<_> = phrases.into_iter().collect();
        phrases.sort_by(|a, b| {
            b.0.chars()
                .count()
                .cmp(&a.0.chars().count())
                .then(a.0.cmp(&b.0))
        });

        let triage = catalog.triage();
        let mut variants: Vec<(String, String)> = triage
            .variants
            .iter()
            .map(|(w, r)| (w.to_lowercase(), r.to_lowercase()))
            .collect();
        variants.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        let fallback = categories
            .iter()
            .position(|c| c.code == "other")
            .unwrap_or(categories.len().saturating_sub(1));
        Self {
            categories,
            fallback,
            keywords,
            phrases,
            negations: triage.negations.clone(),
            global_escalation: triage
                .escalation_phrases
                .iter()
                .map(|p| p.to_lowercase())
                .collect(),
            variants,
        }
    }

    /// Words the tokeniser must keep whole: keywords, place and brand names.
    pub(super) fn dictionary_words<'a>(
        &'a self,
        catalog: &'a Catalog,
    ) -> impl Iterator<Item = &'a str> {
        let triage = catalog.triage();
        self.keywords
            .keys()
            .map(String::as_str)
            .chain(triage.places.iter().map(String::as_str))
            .chain(triage.brands.iter().map(String::as_str))
            .filter(|w| w.chars().count() >= 2)
    }
}
