//! The triage lexicon, built once from the handling guide: each keyword and phrase with the
//! categories that list it and its weight. Weights are inverse-document-frequency over the
//! guide itself — a word listed by one category says more than one listed by five — and
//! phrases weigh more than single words because they are more specific. Terms are indexed
//! by their first character so scoring is one pass over the text.

use std::collections::HashMap;

use crate::domain::catalog::{Catalog, Kind, Urgency};

/// Extra weight of a phrase over a single word with the same spread.
pub(super) const PHRASE_BOOST: f64 = 1.5;
/// Phrases shorter than this are treated as keywords.
const MIN_PHRASE_CHARS: usize = 3;
/// Weight of a decisive phrase: more than a handful of ordinary terms together.
pub(super) const DECISIVE_WEIGHT: f64 = 10.0;

/// What triage needs of one category.
#[derive(Clone, Debug)]
pub(super) struct CategoryEntry {
    pub code: String,
    pub urgency: Urgency,
    pub escalation_phrases: Vec<String>,
    /// What citizens file under it, for the kind tie-break.
    pub kinds: Vec<Kind>,
    /// Indices of the categories it takes precedence over.
    pub outranks: Vec<usize>,
    /// Indices of the categories whose questions it answers (guide `answers`).
    pub answers: Vec<usize>,
}

/// One way a term points to a category.
#[derive(Clone, Copy, Debug)]
pub(super) struct Posting {
    pub category: usize,
    pub weight: f64,
}

/// A keyword or phrase of the guide and the categories that list it.
#[derive(Clone, Debug)]
pub(super) struct Term {
    /// Lowercased, as it must appear in the normalised text.
    pub text: String,
    /// Phrases match anywhere; keywords must be a jieba token or get a discount.
    pub phrase: bool,
    pub postings: Vec<Posting>,
}

/// Every term, indexed by its first character for a single pass over the text.
#[derive(Clone, Debug)]
pub(super) struct Lexicon {
    pub categories: Vec<CategoryEntry>,
    /// Index of the category used when nothing matches (`other`, else the last one).
    pub fallback: usize,
    pub terms: Vec<Term>,
    /// First character → indices into `terms`, longest term first.
    pub by_first_char: HashMap<char, Vec<usize>>,
    /// Single characters and character pairs of the guide's terms → the categories whose
    /// terms use them, for a back-off when no whole term matches ("包装是破的" → 破 →
    /// damaged goods; "冒充的" → 冒充 ~ 假冒/冒牌 → counterfeit).
    pub grams: HashMap<String, Vec<Posting>>,
    pub negations: Vec<String>,
    pub hedges: Vec<String>,
    pub global_escalation: Vec<String>,
    /// Unit → least count that makes a bulk lead grade I.
    pub quantities: Vec<(char, u64)>,
    /// (wrong, right), longest wrong form first.
    pub variants: Vec<(String, String)>,
    /// A term, brand or place with one character swapped for a homophone → the term.
    pub homophones: HashMap<String, String>,
    /// Longest key of `homophones`, in characters.
    pub homophone_len: usize,
    pub question_cues: Vec<String>,
    pub report_cues: Vec<String>,
    pub premises: Vec<String>,
    pub own_cues: Vec<String>,
    pub concessions: Vec<String>,
    pub emphasis: Vec<String>,
    /// Calibrated confidence below which a proposal is flagged for a second look.
    pub low_confidence: f64,
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

        let mut terms: Vec<Term> = Vec::new();
        let mut index_of: HashMap<(String, bool), usize> = HashMap::new();
        let mut categories = Vec::with_capacity(catalog.categories().len());
        for (i, c) in catalog.categories().iter().enumerate() {
            let listed = c
                .keywords
                .iter()
                .map(|k| (k, false, idf(k) * c.triage_weight))
                .chain(
                    c.phrases
                        .iter()
                        .map(|p| (p, true, idf(p) * PHRASE_BOOST * c.triage_weight)),
                )
                .chain(
                    c.decisive_phrases
                        .iter()
                        .map(|p| (p, true, DECISIVE_WEIGHT)),
                );
            for (term, phrase, weight) in listed {
                // A two-character "phrase" matched anywhere is a keyword in disguise: it
                // must be a token of its own, and weighs like a keyword ("坏了" is not a
                // damaged-goods word inside "车坏了").
                let short =
                    phrase && weight < DECISIVE_WEIGHT && term.chars().count() < MIN_PHRASE_CHARS;
                let (phrase, weight) = if short {
                    (false, weight / PHRASE_BOOST)
                } else {
                    (phrase, weight)
                };
                let key = (term.to_lowercase(), phrase);
                let at = *index_of.entry(key.clone()).or_insert_with(|| {
                    terms.push(Term {
                        text: key.0,
                        phrase,
                        postings: Vec::new(),
                    });
                    terms.len() - 1
                });
                terms[at].postings.push(Posting {
                    category: i,
                    weight,
                });
            }
            categories.push(CategoryEntry {
                code: c.code.clone(),
                urgency: c.urgency,
                escalation_phrases: lowercase(&c.escalation_phrases),
                kinds: c.kinds.clone(),
                outranks: c
                    .outranks
                    .iter()
                    .filter_map(|o| catalog.categories().iter().position(|x| &x.code == o))
                    .collect(),
                answers: c
                    .answers
                    .iter()
                    .filter_map(|o| catalog.categories().iter().position(|x| &x.code == o))
                    .collect(),
            });
        }
        let mut by_first_char: HashMap<char, Vec<usize>> = HashMap::new();
        for (i, t) in terms.iter().enumerate() {
            if let Some(first) = t.text.chars().next() {
                by_first_char.entry(first).or_default().push(i);
            }
        }
        for list in by_first_char.values_mut() {
            list.sort_by(|&a, &b| {
                let (a, b) = (&terms[a], &terms[b]);
                b.text
                    .len()
                    .cmp(&a.text.len())
                    .then(b.phrase.cmp(&a.phrase))
            });
        }

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
        let targets: Vec<&str> = terms
            .iter()
            .map(|t| t.text.as_str())
            .chain(triage.brands.iter().map(String::as_str))
            .chain(triage.places.iter().map(String::as_str))
            .collect();
        let homophones = homophone_map(&targets, &triage.homophones);
        let homophone_len = homophones
            .keys()
            .map(|k| k.chars().count())
            .max()
            .unwrap_or(0);
        Self {
            homophones,
            homophone_len,
            question_cues: lowercase(&triage.question_cues),
            report_cues: lowercase(&triage.report_cues),
            premises: lowercase(&triage.premises),
            own_cues: lowercase(&triage.own_cues),
            concessions: lowercase(&triage.concessions),
            emphasis: lowercase(&triage.emphasis),
            low_confidence: triage.low_confidence,
            categories,
            fallback,
            terms,
            by_first_char,
            grams: gram_postings(catalog, n),
            negations: lowercase(&triage.negations),
            hedges: lowercase(&triage.hedges),
            global_escalation: lowercase(&triage.escalation_phrases),
            quantities: triage
                .escalation_quantities
                .iter()
                .filter_map(|(unit, &least)| unit.chars().next().map(|u| (u, least)))
                .collect(),
            variants,
        }
    }

    /// The text as matched: folded, slips fixed, homophones of guide terms read as them.
    pub(super) fn normalise(&self, text: &str) -> String {
        let text = super::normalise::normalise(text, &self.variants);
        super::normalise::fix_homophones(text, &self.homophones, self.homophone_len)
    }

    /// Words the tokeniser must keep whole: keywords, place and brand names.
    pub(super) fn dictionary_words<'a>(
        &'a self,
        catalog: &'a Catalog,
    ) -> impl Iterator<Item = &'a str> {
        let triage = catalog.triage();
        self.terms
            .iter()
            .filter(|t| !t.phrase)
            .map(|t| t.text.as_str())
            .chain(triage.places.iter().map(String::as_str))
            .chain(triage.brands.iter().map(String::as_str))
            .filter(|w| w.chars().count() >= 2)
    }
}

/// Share of a term's weight a single shared character carries.
const CHAR_BACKOFF: f64 = 0.25;
/// Share of a term's weight a shared character pair carries: a pair is far more specific.
const PAIR_BACKOFF: f64 = 0.6;
/// Characters (or pairs) used by this many categories or more say nothing.
const GRAM_MAX_SPREAD: usize = 5;

/// The characters and adjacent character pairs of a term (CJK only: ASCII words are
/// matched whole).
pub(super) fn grams(term: &str) -> Vec<String> {
    let chars: Vec<char> = term
        .chars()
        .filter(|ch| ch.is_alphanumeric() && !ch.is_ascii())
        .collect();
    let mut out: Vec<String> = chars.iter().map(|c| c.to_string()).collect();
    out.extend(chars.windows(2).map(|w| w.iter().collect::<String>()));
    out
}

fn gram_postings(catalog: &Catalog, n: f64) -> HashMap<String, Vec<Posting>> {
    let mut users: HashMap<String, Vec<usize>> = HashMap::new();
    for (i, c) in catalog.categories().iter().enumerate() {
        for g in c.keywords.iter().chain(&c.phrases).flat_map(|t| grams(t)) {
            let list = users.entry(g).or_default();
            if !list.contains(&i) {
                list.push(i);
            }
        }
    }
    users
        .into_iter()
        .filter(|(_, cats)| cats.len() < GRAM_MAX_SPREAD)
        .map(|(g, cats)| {
            let share = if g.chars().count() == 1 {
                CHAR_BACKOFF
            } else {
                PAIR_BACKOFF
            };
            let weight = share * (1.0 + n / cats.len() as f64).ln();
            let postings = cats
                .into_iter()
                .map(|category| Posting {
                    category,
                    weight: weight * catalog.categories()[category].triage_weight.min(1.0),
                })
                .collect();
            (g, postings)
        })
        .collect()
}

fn lowercase(list: &[String]) -> Vec<String> {
    list.iter().map(|p| p.to_lowercase()).collect()
}

/// Shortest term the homophone fix reads: two characters with one swapped say too little.
const HOMOPHONE_MIN_CHARS: usize = 3;

/// Every way to type one of `targets` with one character swapped for another of its sound
/// `groups`, mapped to the target. A form that is itself a target, or that two targets
/// share, is left out (it cannot be told apart).
fn homophone_map(targets: &[&str], groups: &[String]) -> HashMap<String, String> {
    let mut alike: HashMap<char, Vec<char>> = HashMap::new();
    for g in groups {
        for a in g.chars() {
            let list = alike.entry(a).or_default();
            for b in g.chars() {
                if b != a && !list.contains(&b) {
                    list.push(b);
                }
            }
        }
    }
    let known: std::collections::HashSet<&str> = targets.iter().copied().collect();
    let mut map: HashMap<String, String> = HashMap::new();
    let mut shared: std::collections::HashSet<String> = std::collections::HashSet::new();
    for &target in targets {
        let chars: Vec<char> = target.chars().collect();
        if chars.len() < HOMOPHONE_MIN_CHARS {
            continue;
        }
        for (i, c) in chars.iter().enumerate() {
            for &alt in alike.get(c).into_iter().flatten() {
                let mut typed = chars.clone();
                typed[i] = alt;
                let typed: String = typed.into_iter().collect();
                if known.contains(typed.as_str()) {
                    continue;
                }
                match map.get(&typed) {
                    Some(other) if other != target => {
                        shared.insert(typed);
                    }
                    Some(_) => {}
                    None => {
                        map.insert(typed, target.to_owned());
                    }
                }
            }
        }
    }
    for s in shared {
        map.remove(&s);
    }
    map
}
