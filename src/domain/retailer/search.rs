//! Fuzzy lookup over the registry. Every retailer's normalised name, name without its
//! town ("core"), address, street part of the address (without the town), owner and town
//! go into one character-bigram inverted index, with a weaker single-character index and
//! the owner's surname beside it. A query's bigrams, characters and possible surname pick
//! the 64 best candidates by IDF-weighted overlap; they are re-ranked by overlap blended
//! with Jaro-Winkler similarity against each field, less a penalty when the query names
//! another town. `match_text` reads free text from a citizen and scores how much of each
//! shop's core name (and street) the text covers.

use std::collections::{HashMap, HashSet};

use super::normalize::{bigrams, normalize};
use super::{Licence, Retailer, Town};

type Gram = (char, char);

const NAME: u8 = 1;
const CORE: u8 = 2;
const ADDRESS: u8 = 4;
const STREET: u8 = 8;
const OWNER: u8 = 16;
const TOWN: u8 = 32;

/// Candidates re-ranked per query.
const CANDIDATES: usize = 64;
/// Weight of bigram overlap in a search score; the rest is Jaro-Winkler similarity.
const OVERLAP_WEIGHT: f64 = 0.6;
/// Weight of a query character that is the owner's surname, relative to a bigram's IDF.
const SURNAME_WEIGHT: f32 = 0.5;
/// Weight of a query character found in a field, relative to a bigram's IDF.
const UNIGRAM_WEIGHT: f32 = 0.3;
/// Taken off the search score of a shop outside the town(s) a query names.
const OTHER_TOWN_PENALTY: f64 = 0.2;

/// `match_text` treats its best hit as the retailer meant when its score is at least this
/// and leads the runner-up by [`CONFIDENT_MARGIN`]. See [`confident`].
///
/// Why 0.75: a `match_text` score is 0.7 × core-name coverage + 0.2 × street coverage +
/// 0.1 × town (1 when the text names the shop's town, 0.5 when it names none, 0 when it
/// names another). The whole shop name with no town reaches 0.75, with its town 0.8 and
/// more; the same name in a town the text does not name stays at 0.7 plus what the street
/// adds. So 0.75 asks for the whole name (or most of it and the street) and no town
/// against it. The margin leaves look-alikes (`福满多超市` and `武穴街道福满多超市`) to
/// the dispatcher. Chosen before measuring, then checked on the dev half of
/// `tests/data/retailer_mentions.jsonl`: 76 of 80 texts naming a shop are confident and
/// right, none wrong, and the 20 naming none stay below 0.45 (0.70 would add two; the
/// margin between 0.45 and 0.75 is what keeps a text about an unregistered shop with a
/// common-sounding name from being pinned on a registered one).
pub const CONFIDENT_SCORE: f64 = 0.75;
/// See [`CONFIDENT_SCORE`].
pub const CONFIDENT_MARGIN: f64 = 0.1;

/// One ranked answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub licence: Licence,
    /// 0..1, higher is better.
    pub score: f64,
}

/// True if the first hit can be taken as the retailer meant without asking: its score is
/// at least [`CONFIDENT_SCORE`] and the runner-up trails by [`CONFIDENT_MARGIN`] or more.
pub fn confident(hits: &[Hit]) -> bool {
    match hits {
        [] => false,
        [first] => first.score >= CONFIDENT_SCORE,
        [first, second, ..] => {
            first.score >= CONFIDENT_SCORE && first.score - second.score >= CONFIDENT_MARGIN
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Posting {
    doc: u32,
    fields: u8,
}

/// The searchable fields of one retailer, normalised.
#[derive(Debug)]
struct Doc {
    name: String,
    core: String,
    address: String,
    street: String,
    owner: String,
    town: Town,
    /// IDF mass of the core name's bigrams (for coverage in `match_text`).
    core_weight: f32,
    street_weight: f32,
}

/// Words that make a town name part of a street name (`刊江大道` is a street of 武穴街道).
const STREET_WORDS: [&str; 4] = ["路", "街", "大道", "村"];

/// The towns a normalised text names, not counting street names built on them.
fn towns_named(text: &str) -> Vec<Town> {
    Town::ALL
        .into_iter()
        .filter(|t| {
            text.match_indices(t.short()).any(|(i, m)| {
                let rest = &text[i + m.len()..];
                !STREET_WORDS.iter().any(|w| rest.starts_with(w))
            })
        })
        .collect()
}

/// `name` without the leading town, unless the town starts a street name (`刊江路...`).
fn strip_town(name: &str, town: Town) -> String {
    match name.strip_prefix(town.short()) {
        Some(rest)
            if rest.chars().count() >= 2 && !STREET_WORDS.iter().any(|w| rest.starts_with(w)) =>
        {
            rest.to_owned()
        }
        _ => name.to_owned(),
    }
}

/// The registry in memory with its inverted index. Immutable: an import builds a new one.
#[derive(Debug, Default)]
pub struct SearchIndex {
    retailers: Vec<Retailer>,
    docs: Vec<Doc>,
    by_licence: HashMap<Licence, u32>,
    postings: HashMap<Gram, Vec<Posting>>,
    /// Owner surname → retailers, for "李 + 烟酒店" style queries.
    surnames: HashMap<char, Vec<u32>>,
    /// Character → retailers having it in a field (each retailer once).
    unigrams: HashMap<char, Vec<u32>>,
}

impl SearchIndex {
    /// Indexes `retailers`; a later one replaces an earlier one with the same licence.
    pub fn build(retailers: Vec<Retailer>) -> SearchIndex {
        let mut unique: HashMap<Licence, usize> = HashMap::with_capacity(retailers.len());
        let mut kept: Vec<Retailer> = Vec::with_capacity(retailers.len());
        for r in retailers {
            match unique.get(r.licence()) {
                Some(&i) => kept[i] = r,
                None => {
                    unique.insert(r.licence().clone(), kept.len());
                    kept.push(r);
                }
            }
        }
        let mut index = SearchIndex::default();
        for r in kept {
            index.add(r);
        }
        index.weigh();
        index
    }

    fn add(&mut self, r: Retailer) {
        let id = u32::try_from(self.docs.len()).unwrap_or(u32::MAX);
        let name = normalize(r.name());
        let address = normalize(r.address());
        let doc = Doc {
            core: strip_town(&name, r.town()),
            street: strip_town(&address, r.town()),
            owner: normalize(r.owner().unwrap_or("")),
            town: r.town(),
            name,
            address,
            core_weight: 0.0,
            street_weight: 0.0,
        };
        let mut fields: HashMap<Gram, u8> = HashMap::new();
        for (text, bit) in [
            (&doc.name, NAME),
            (&doc.core, CORE),
            (&doc.address, ADDRESS),
            (&doc.street, STREET),
            (&doc.owner, OWNER),
        ] {
            for g in bigrams(text) {
                *fields.entry(g).or_default() |= bit;
            }
        }
        for g in bigrams(doc.town.short()) {
            *fields.entry(g).or_default() |= TOWN;
        }
        for (g, bits) in fields {
            self.postings.entry(g).or_default().push(Posting {
                doc: id,
                fields: bits,
            });
        }
        let mut chars: Vec<char> = [&doc.name, &doc.address, &doc.owner]
            .iter()
            .flat_map(|f| f.chars())
            .collect();
        chars.sort_unstable();
        chars.dedup();
        for c in chars {
            self.unigrams.entry(c).or_default().push(id);
        }
        if let Some(surname) = doc.owner.chars().next() {
            self.surnames.entry(surname).or_default().push(id);
        }
        self.by_licence.insert(r.licence().clone(), id);
        self.retailers.push(r);
        self.docs.push(doc);
    }

    /// Computes each document's IDF mass once every document is in.
    fn weigh(&mut self) {
        let mut core = vec![0f32; self.docs.len()];
        let mut street = vec![0f32; self.docs.len()];
        for list in self.postings.values() {
            let w = self.idf(list.len());
            for p in list {
                if p.fields & CORE != 0 {
                    core[p.doc as usize] += w;
                }
                if p.fields & STREET != 0 {
                    street[p.doc as usize] += w;
                }
            }
        }
        for (doc, (c, s)) in self.docs.iter_mut().zip(core.into_iter().zip(street)) {
            doc.core_weight = c;
            doc.street_weight = s;
        }
    }

    fn idf(&self, df: usize) -> f32 {
        (1.0 + self.docs.len().max(1) as f32 / df.max(1) as f32).ln()
    }

    fn gram_weight(&self, g: &Gram) -> f32 {
        self.idf(self.postings.get(g).map_or(1, Vec::len))
    }

    pub fn len(&self) -> usize {
        self.retailers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.retailers.is_empty()
    }

    pub fn get(&self, licence: &str) -> Option<&Retailer> {
        let id = self.by_licence.get(licence)?;
        self.retailers.get(*id as usize)
    }

    /// Every retailer, in index order.
    pub fn retailers(&self) -> &[Retailer] {
        &self.retailers
    }

    /// The `limit` retailers that best fit `query` (name, address, owner, town), best
    /// first. An empty or punctuation-only query finds nothing.
    pub fn search(&self, query: &str, limit: usize) -> Vec<Hit> {
        let q = normalize(query);
        let grams = bigrams(&q);
        if grams.is_empty() || limit == 0 {
            return Vec::new();
        }
        let n = self.docs.len();
        let mut acc = vec![0f32; n];
        let mut total = 0f32;
        for g in &grams {
            let w = self.gram_weight(g);
            total += w;
            for p in self.postings.get(g).map_or(&[][..], Vec::as_slice) {
                acc[p.doc as usize] += w;
            }
        }
        // Single characters carry a wrong or missing character's neighbours: weaker,
        // they break the ties of bigram overlap.
        let towns = towns_named(&q);
        let chars: HashSet<char> = q.chars().collect();
        for c in &chars {
            let docs = self.unigrams.get(c).map_or(&[][..], Vec::as_slice);
            let w = UNIGRAM_WEIGHT * self.idf(docs.len());
            total += w;
            for &d in docs {
                acc[d as usize] += w;
            }
            // A character may be the owner's surname, unless it belongs to a town name.
            if towns.iter().any(|t| t.short().contains(*c)) {
                continue;
            }
            if let Some(docs) = self.surnames.get(c) {
                let w = SURNAME_WEIGHT * self.idf(docs.len());
                for &d in docs {
                    acc[d as usize] += w;
                }
            }
        }
        let touched: Vec<(u32, f32)> = (0u32..).zip(acc).filter(|&(_, a)| a > 0.0).collect();
        let candidates = top(touched, CANDIDATES, |&(d, a)| {
            (f64::from(a), self.retailers[d as usize].licence())
        });
        let scored: Vec<(u32, f64)> = candidates
            .into_iter()
            .map(|(d, a)| {
                let overlap = f64::from(a / total).min(1.0);
                let doc = &self.docs[d as usize];
                let similar = [&doc.name, &doc.core, &doc.address, &doc.street, &doc.owner]
                    .iter()
                    .map(|f| strsim::jaro_winkler(&q, f))
                    .fold(0.0, f64::max);
                let elsewhere = !towns.is_empty() && !towns.contains(&doc.town);
                let penalty = if elsewhere { OTHER_TOWN_PENALTY } else { 0.0 };
                let score = OVERLAP_WEIGHT * overlap + (1.0 - OVERLAP_WEIGHT) * similar - penalty;
                (d, score.max(0.0))
            })
            .collect();
        self.hits(scored, limit)
    }

    /// Finds a retailer mentioned in free text (an intake description and the address the
    /// citizen gave): each shop is scored by how much of its core name the text covers
    /// (0.7), how much of its street and number (0.2), and whether the text names its
    /// town (0.1; half when it names no town, none when it names another). Best first, at
    /// most `limit`; use [`confident`] to decide whether the first one is meant.
    pub fn match_text(&self, description: &str, address: &str, limit: usize) -> Vec<Hit> {
        let (d, a) = (normalize(description), normalize(address));
        let mut grams = bigrams(&d);
        grams.extend(bigrams(&a));
        grams.sort_unstable();
        grams.dedup();
        let mut towns = towns_named(&d);
        towns.extend(towns_named(&a));
        let mut acc: HashMap<u32, (f32, f32)> = HashMap::new();
        for g in &grams {
            let w = self.gram_weight(g);
            for p in self.postings.get(g).map_or(&[][..], Vec::as_slice) {
                if p.fields & (CORE | STREET) != 0 {
                    let e = acc.entry(p.doc).or_default();
                    if p.fields & CORE != 0 {
                        e.0 += w;
                    }
                    if p.fields & STREET != 0 {
                        e.1 += w;
                    }
                }
            }
        }
        let scored: Vec<(u32, f64)> = acc
            .into_iter()
            .map(|(id, (core, street))| {
                let doc = &self.docs[id as usize];
                let cover = |got: f32, all: f32| {
                    f64::from(if all > 0.0 { got / all } else { 0.0 }).min(1.0)
                };
                let town = if towns.contains(&doc.town) {
                    1.0
                } else if towns.is_empty() {
                    0.5
                } else {
                    0.0
                };
                let score = 0.7 * cover(core, doc.core_weight)
                    + 0.2 * cover(street, doc.street_weight)
                    + 0.1 * town;
                (id, score)
            })
            .collect();
        self.hits(scored, limit)
    }

    fn hits(&self, scored: Vec<(u32, f64)>, limit: usize) -> Vec<Hit> {
        top(scored, limit, |&(d, s)| {
            (s, self.retailers[d as usize].licence())
        })
        .into_iter()
        .map(|(d, score)| Hit {
            licence: self.retailers[d as usize].licence().clone(),
            score: (score * 1000.0).round() / 1000.0,
        })
        .collect()
    }
}

/// The `n` best items by `key` (higher score first, then smaller licence), in order.
fn top<'a, T, F>(mut items: Vec<T>, n: usize, key: F) -> Vec<T>
where
    F: Fn(&T) -> (f64, &'a Licence),
{
    let order = |a: &T, b: &T| {
        let (sa, la) = key(a);
        let (sb, lb) = key(b);
        sb.total_cmp(&sa).then_with(|| la.cmp(lb))
    };
    if items.len() > n && n > 0 {
        items.select_nth_unstable_by(n - 1, order);
        items.truncate(n);
    }
    items.sort_by(order);
    items.truncate(n);
    items
}
