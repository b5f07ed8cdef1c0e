//! What the labelled examples say about words the guide does not list: a naive Bayes model
//! over the characters and character pairs of the examples. The guide's terms are precise
//! but few; citizens say "抽着呛嗓子" or "送来的条子是瘪的", and the examples have seen such
//! words next to their category. The model only adds a bounded vote to the guide's score
//! (a text it has never seen the like of gets no say), so the guide stays in charge and a
//! dispatcher can still read why a category won.

use std::collections::HashMap;

/// Additive smoothing of feature counts (the model has ~50 examples per category).
const SMOOTHING: f64 = 0.3;
/// How many nats of log-likelihood make one point of the guide's score.
const NATS_PER_POINT: f64 = 4.0;
/// The most a vote can take from a category against the model's favourite.
const MAX_VOTE: f64 = 3.0;

/// Fewer features known to the model than this and it does not vote.
const MIN_KNOWN: usize = 4;

/// Per-category counts of the features of the examples.
#[derive(Clone, Debug, Default)]
pub(super) struct Model {
    /// Feature → how many examples of each category contain it.
    counts: HashMap<String, Vec<u32>>,
    /// Examples per category.
    examples: Vec<u32>,
}

impl Model {
    /// Learns from `(normalised text, category index)` pairs for `categories` categories.
    pub(super) fn learn<'a>(
        categories: usize,
        examples: impl IntoIterator<Item = (&'a str, usize)>,
    ) -> Self {
        let mut model = Self {
            counts: HashMap::new(),
            examples: vec![0; categories],
        };
        for (text, category) in examples {
            if category >= categories {
                continue;
            }
            model.examples[category] += 1;
            for f in features(text) {
                model.counts.entry(f).or_insert_with(|| vec![0; categories])[category] += 1;
            }
        }
        model
    }

    /// Each category's vote, 0 for the model's favourite and down to `-MAX_VOTE`; all 0
    /// when the model knows too little (no examples, or fewer than [`MIN_KNOWN`] known
    /// features: "你好" says nothing).
    pub(super) fn votes(&self, text: &str) -> Vec<f64> {
        let n = self.examples.len();
        let mut loglik = vec![0.0; n];
        let mut known = 0;
        for f in features(text) {
            let Some(counts) = self.counts.get(&f) else {
                continue;
            };
            known += 1;
            for (c, ll) in loglik.iter_mut().enumerate() {
                let seen = f64::from(counts[c]) + SMOOTHING;
                let total = f64::from(self.examples[c]) + 2.0 * SMOOTHING;
                *ll += (seen / total).ln();
            }
        }
        // Categories without examples cannot be judged: they get no vote either way.
        let trained = |c: usize| self.examples[c] > 0;
        let best = (0..n)
            .filter(|&c| trained(c))
            .map(|c| loglik[c])
            .fold(f64::NEG_INFINITY, f64::max);
        if known < MIN_KNOWN || !best.is_finite() {
            return vec![0.0; n];
        }
        (0..n)
            .map(|c| {
                if trained(c) {
                    ((loglik[c] - best) / NATS_PER_POINT).max(-MAX_VOTE)
                } else {
                    0.0
                }
            })
            .collect()
    }
}

impl Model {
    /// The character pairs of `text` that speak most for `category` over `against`
    /// (log-likelihood ratio in nats, highest first, at most `n`), for the "why" a
    /// dispatcher reads; only pairs the examples of `category` contain.
    pub(super) fn telling(
        &self,
        text: &str,
        category: usize,
        against: usize,
        n: usize,
    ) -> Vec<(String, f64)> {
        let (Some(&nc), Some(&na)) = (self.examples.get(category), self.examples.get(against))
        else {
            return Vec::new();
        };
        let p = |seen: u32, total: u32| {
            (f64::from(seen) + SMOOTHING) / (f64::from(total) + 2.0 * SMOOTHING)
        };
        let mut out: Vec<(String, f64)> = features(text)
            .into_iter()
            .filter(|f| f.chars().count() == 2)
            .filter_map(|f| {
                let counts = self.counts.get(&f)?;
                (counts[category] > 0).then(|| {
                    let ratio = (p(counts[category], nc) / p(counts[against], na)).ln();
                    (f, ratio)
                })
            })
            .filter(|(_, r)| *r > 0.0)
            .collect();
        out.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        out.truncate(n);
        out
    }
}

/// The distinct CJK characters and adjacent CJK pairs of a normalised text.
fn features(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let cjk = |c: char| ('\u{4E00}'..='\u{9FFF}').contains(&c);
    let mut out: Vec<String> = chars
        .iter()
        .filter(|&&c| cjk(c))
        .map(|c| c.to_string())
        .collect();
    out.extend(
        chars
            .windows(2)
            .filter(|w| cjk(w[0]) && cjk(w[1]))
            .map(|w| w.iter().collect::<String>()),
    );
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_seen_with_a_category_vote_for_it() {
        let model = Model::learn(
            2,
            [
                ("抽着呛嗓子", 0),
                ("烟抽着发苦呛人", 0),
                ("送货太晚了", 1),
                ("今天又没送来", 1),
            ],
        );
        let v = model.votes("这烟抽着呛嗓子");
        assert_eq!(v[0], 0.0);
        assert!(v[1] < 0.0, "{v:?}");
        let v = model.votes("还没送来");
        assert!(v[0] < v[1], "{v:?}");
    }

    #[test]
    fn an_unknown_text_gets_no_vote() {
        let model = Model::learn(2, [("抽着呛嗓子", 0), ("送货太晚了", 1)]);
        assert_eq!(model.votes("abc 123"), vec![0.0, 0.0]);
        assert_eq!(model.votes("嗓子"), vec![0.0, 0.0], "too little to judge");
        assert_eq!(Model::default().votes("呛"), Vec::<f64>::new());
    }

    #[test]
    fn votes_are_bounded() {
        let model = Model::learn(2, [("一二三四五六七八九十", 0), ("甲乙丙丁", 1)]);
        let v = model.votes("一二三四五六七八九十");
        assert!(v[1] >= -MAX_VOTE, "{v:?}");
    }
}
