//! The handling-guide content of a category beyond its routing — triage words, escalation
//! phrases, handling steps, notice and reply wording, required evidence, legal basis,
//! per-category time limits, the task of each department in a collaboration group — and the
//! guide-wide triage lexicon (place names, brand names, global escalation phrases, negation
//! cues). Each check returns the offending field and a message; the caller adds the file
//! and the category.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::{Deserialize, Serialize};

use super::{Category, Department, HandlingPath};

/// The evidence kinds a report may require; anything else in `report_evidence` is refused.
pub const EVIDENCE_KINDS: &[&str] = &[
    "photo",
    "video",
    "inspection_record",
    "sampling_record",
    "identification_report",
    "seizure_list",
    "statement",
    "call_record",
    "screenshot",
    "licence_record",
    "order_record",
    "delivery_record",
    "allocation_record",
    "tier_record",
    "notice_receipt",
    // General kinds a device may attach to any record.
    "document",
    "audio",
];

/// The placeholders a `reply_template` may use, filled in when the reply is written.
pub const REPLY_PLACEHOLDERS: &[&str] = &[
    "number",
    "received_date",
    "reporter",
    "place",
    "category",
    "department",
    "handler",
    "result",
    "measures",
    "contact",
];

/// Most handling steps a category may list.
const MAX_STEPS: usize = 12;

/// Bounds of a category's `triage_weight`.
const TRIAGE_WEIGHTS: std::ops::RangeInclusive<f64> = 0.1..=10.0;

/// The `triage_weight` of a category that does not set one.
pub(super) fn default_triage_weight() -> f64 {
    1.0
}

/// Guide-wide words for auto-triage (`[triage]` in the guide).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriageLexicon {
    /// Town and street-district names, so the tokeniser keeps them whole.
    #[serde(default)]
    pub places: Vec<String>,
    /// Cigarette brand names, so the tokeniser keeps them whole.
    #[serde(default)]
    pub brands: Vec<String>,
    /// Phrases that raise a ticket of any category to grade I.
    #[serde(default)]
    pub escalation_phrases: Vec<String>,
    /// Cues that, right before a word, deny it ("不是假烟"): the word then counts less.
    #[serde(default)]
    pub negations: Vec<String>,
    /// Quantities that make a bulk lead grade I, as unit → least count (`件 = 2`, `条 = 50`);
    /// they apply to categories that have escalation phrases.
    #[serde(default)]
    pub escalation_quantities: BTreeMap<String, u64>,
    /// Cues that make the words after them a passing remark ("听说他还卖点假的"): those
    /// words count less, so the main complaint wins.
    #[serde(default)]
    pub hedges: Vec<String>,
    /// Common input-method slips and their correct form (陪送 → 配送), fixed before matching.
    #[serde(default)]
    pub variants: BTreeMap<String, String>,
    /// Groups of characters an input method confuses because they sound alike (`鹤河和`):
    /// a guide term, brand or place of three characters or more typed with one character
    /// swapped for another of its group (黄河楼, 客户经里) is read as the term.
    #[serde(default)]
    pub homophones: Vec<String>,
    /// Cues that a text asks something (请问, 怎么, 吗, ？): with them, or filed as a
    /// consultation, a text that reports nobody goes to the category that `answers` its topic.
    #[serde(default)]
    pub question_cues: Vec<String>,
    /// Cues that a question still reports someone (举报, 隔壁, 那家, 有人): it stays a report.
    #[serde(default)]
    pub report_cues: Vec<String>,
    /// Places that sell (小卖部, 棋牌室, 超市): a question naming one reports it, unless
    /// the asker speaks of their own (`own_cues`: 我想, 我家, 我的).
    #[serde(default)]
    pub premises: Vec<String>,
    #[serde(default)]
    pub own_cues: Vec<String>,
    /// Cues after a word, in its clause, that make it a side remark ("档位低也就算了"):
    /// it counts like a hedged word.
    #[serde(default)]
    pub concessions: Vec<String>,
    /// Cues that what follows in the clause is the main grievance (主要是, 关键是): its
    /// words count more.
    #[serde(default)]
    pub emphasis: Vec<String>,
    /// Calibrated confidence below which the console flags a proposal for a second look
    /// (0 to 1; default 0.6).
    #[serde(default = "default_low_confidence")]
    pub low_confidence: f64,
}

fn default_low_confidence() -> f64 {
    0.6
}

impl Default for TriageLexicon {
    fn default() -> Self {
        Self {
            places: Vec::new(),
            brands: Vec::new(),
            escalation_phrases: Vec::new(),
            negations: Vec::new(),
            escalation_quantities: BTreeMap::new(),
            hedges: Vec::new(),
            variants: BTreeMap::new(),
            homophones: Vec::new(),
            question_cues: Vec::new(),
            report_cues: Vec::new(),
            premises: Vec::new(),
            own_cues: Vec::new(),
            concessions: Vec::new(),
            emphasis: Vec::new(),
            low_confidence: default_low_confidence(),
        }
    }
}

type Problem = (&'static str, String);

impl TriageLexicon {
    /// Entries must be non-empty, trimmed and unique within each list.
    pub(super) fn check(&self) -> Result<(), Problem> {
        words("places", &self.places)?;
        words("brands", &self.brands)?;
        words("escalation_phrases", &self.escalation_phrases)?;
        words("negations", &self.negations)?;
        words("hedges", &self.hedges)?;
        words("homophones", &self.homophones)?;
        words("question_cues", &self.question_cues)?;
        words("report_cues", &self.report_cues)?;
        words("premises", &self.premises)?;
        words("own_cues", &self.own_cues)?;
        words("concessions", &self.concessions)?;
        words("emphasis", &self.emphasis)?;
        if let Some(g) = self.homophones.iter().find(|g| g.chars().count() < 2) {
            return Err((
                "homophones",
                format!("`{g}`: a group needs two characters or more"),
            ));
        }
        if !(0.0..=1.0).contains(&self.low_confidence) {
            return Err((
                "low_confidence",
                format!("{} is not between 0 and 1", self.low_confidence),
            ));
        }
        for (unit, least) in &self.escalation_quantities {
            if unit.chars().count() != 1 {
                return Err((
                    "escalation_quantities",
                    format!("`{unit}` is not a one-character unit"),
                ));
            }
            if *least == 0 {
                return Err((
                    "escalation_quantities",
                    format!("`{unit}`: the least count must be above 0"),
                ));
            }
        }
        for (wrong, right) in &self.variants {
            if wrong.trim().is_empty() || right.trim().is_empty() {
                return Err(("variants", "an entry is empty".into()));
            }
            if wrong == right || right.contains(wrong.as_str()) {
                return Err((
                    "variants",
                    format!("`{wrong}` → `{right}` would replace itself again"),
                ));
            }
        }
        Ok(())
    }
}

/// Each `answers` entry names another category of the guide; only a category that takes
/// consultations and sends nobody on site answers questions (a question must never send an
/// inspector because of the category it landed in).
pub(super) fn check_answers(
    categories: &[Category],
    by_code: &HashMap<String, usize>,
) -> Result<(), (String, String)> {
    for c in categories.iter().filter(|c| !c.answers.is_empty()) {
        if !c.kinds.contains(&super::Kind::Consultation) || c.path != HandlingPath::DirectAnswer {
            return Err((
                c.code.clone(),
                "only a direct-answer category that takes consultations answers questions".into(),
            ));
        }
        for a in &c.answers {
            if a == &c.code || !by_code.contains_key(a) {
                return Err((c.code.clone(), format!("`{a}` is not another category")));
            }
        }
    }
    Ok(())
}

/// Checks the guide content of one category.
pub(super) fn check_category(c: &Category) -> Result<(), Problem> {
    if c.keywords.is_empty() {
        return Err(("keywords", "list at least one keyword".into()));
    }
    words("keywords", &c.keywords)?;
    words("phrases", &c.phrases)?;
    if let Some(dup) = c.phrases.iter().find(|p| c.keywords.contains(p)) {
        return Err(("phrases", format!("`{dup}` is already a keyword")));
    }
    words("decisive_phrases", &c.decisive_phrases)?;
    if let Some(dup) = c
        .decisive_phrases
        .iter()
        .find(|p| c.keywords.contains(p) || c.phrases.contains(p))
    {
        return Err((
            "decisive_phrases",
            format!("`{dup}` is already a keyword or phrase"),
        ));
    }
    words("escalation_phrases", &c.escalation_phrases)?;

    if c.handling_steps.is_empty() || c.handling_steps.len() > MAX_STEPS {
        return Err((
            "handling_steps",
            format!(
                "list 1 to {MAX_STEPS} steps, not {}",
                c.handling_steps.len()
            ),
        ));
    }
    texts("handling_steps", &c.handling_steps)?;

    match &c.notice_wording {
        Some(text) if text.trim().is_empty() => {
            return Err(("notice_wording", "must not be empty".into()));
        }
        None if c.path == HandlingPath::Full => {
            return Err((
                "notice_wording",
                "a category handled on site needs the notice wording".into(),
            ));
        }
        _ => {}
    }

    if c.path != HandlingPath::DirectAnswer && c.report_evidence.is_empty() {
        return Err((
            "report_evidence",
            "a category with a report needs its evidence kinds".into(),
        ));
    }
    words("report_evidence", &c.report_evidence)?;
    if let Some(unknown) = c
        .report_evidence
        .iter()
        .find(|e| !EVIDENCE_KINDS.contains(&e.as_str()))
    {
        return Err((
            "report_evidence",
            format!(
                "`{unknown}` is not an evidence kind (use one of {})",
                EVIDENCE_KINDS.join(", ")
            ),
        ));
    }

    if c.path != HandlingPath::DirectAnswer && c.legal_basis.is_empty() {
        return Err((
            "legal_basis",
            "a category with a report needs its legal basis".into(),
        ));
    }
    texts("legal_basis", &c.legal_basis)?;

    if c.reply_template.trim().is_empty() {
        return Err(("reply_template", "must not be empty".into()));
    }
    placeholders(&c.reply_template).map_err(|m| ("reply_template", m))?;

    for (grade, limits) in &c.sla {
        limits.check(*grade).map_err(|m| ("sla", m))?;
    }
    if !TRIAGE_WEIGHTS.contains(&c.triage_weight) {
        return Err((
            "triage_weight",
            format!(
                "{} is not between {} and {}",
                c.triage_weight,
                TRIAGE_WEIGHTS.start(),
                TRIAGE_WEIGHTS.end()
            ),
        ));
    }
    Ok(())
}

/// Each `outranks` entry names another category of the guide, and precedence runs one way:
/// no chain of `outranks` comes back to where it started (`a` over `b` over `a` would let
/// each take the other's words). The problem names the category and says why.
pub(super) fn check_outranks(
    categories: &[Category],
    by_code: &HashMap<String, usize>,
) -> Result<(), (String, String)> {
    for c in categories {
        if let Some(other) = c
            .outranks
            .iter()
            .find(|o| *o == &c.code || !by_code.contains_key(*o))
        {
            return Err((
                c.code.clone(),
                format!("`{other}` is not another category of the guide"),
            ));
        }
    }
    // Depth-first from each category in the guide's order; a category met again while it
    // is still on the path closes a cycle.
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        New,
        OnPath,
        Done,
    }
    let mut marks = vec![Mark::New; categories.len()];
    for start in 0..categories.len() {
        if marks[start] != Mark::New {
            continue;
        }
        // (category, index of the next `outranks` entry to follow)
        let mut path: Vec<(usize, usize)> = vec![(start, 0)];
        marks[start] = Mark::OnPath;
        while let Some((node, next)) = path.last_mut() {
            let node = *node;
            let Some(code) = categories[node].outranks.get(*next) else {
                marks[node] = Mark::Done;
                path.pop();
                continue;
            };
            *next += 1;
            let Some(&to) = by_code.get(code) else {
                continue;
            };
            match marks[to] {
                Mark::New => {
                    marks[to] = Mark::OnPath;
                    path.push((to, 0));
                }
                Mark::OnPath => {
                    let from = path.iter().position(|&(n, _)| n == to).unwrap_or(0);
                    let chain: Vec<String> = path[from..]
                        .iter()
                        .map(|&(n, _)| format!("`{}`", categories[n].code))
                        .chain(std::iter::once(format!("`{}`", categories[to].code)))
                        .collect();
                    return Err((
                        categories[to].code.clone(),
                        format!(
                            "{} outrank each other in a cycle: precedence must run one way",
                            chain.join(" → ")
                        ),
                    ));
                }
                Mark::Done => {}
            }
        }
    }
    Ok(())
}

/// Longest group task wording, in characters.
const MAX_GROUP_TASK: usize = 500;

/// A category with assisting departments words the task of the lead department and of each
/// assisting one; no other department has a task.
pub(super) fn check_group_tasks(c: &Category) -> Result<(), String> {
    let involved: Vec<Department> = std::iter::once(c.lead_department)
        .chain(c.assist_departments.iter().copied())
        .collect();
    if let Some(d) = c.group_tasks.keys().find(|d| !involved.contains(d)) {
        return Err(format!(
            "`{d}` neither leads nor assists this category, so it has no task"
        ));
    }
    if !c.assist_departments.is_empty()
        && let Some(d) = involved.iter().find(|d| !c.group_tasks.contains_key(d))
    {
        return Err(format!(
            "the task of `{d}` in the collaboration group is missing"
        ));
    }
    for (d, text) in &c.group_tasks {
        if text.trim().is_empty() {
            return Err(format!("the task of `{d}` is empty"));
        }
        if text.chars().count() > MAX_GROUP_TASK {
            return Err(format!(
                "the task of `{d}` is over {MAX_GROUP_TASK} characters"
            ));
        }
    }
    Ok(())
}

/// Non-empty, trimmed, unique entries.
fn words(field: &'static str, list: &[String]) -> Result<(), Problem> {
    let mut seen = HashSet::new();
    for w in list {
        if w.trim().is_empty() {
            return Err((field, "an entry is empty".into()));
        }
        if w.trim() != w {
            return Err((field, format!("`{w}` has spaces around it")));
        }
        if !seen.insert(w.as_str()) {
            return Err((field, format!("`{w}` appears twice")));
        }
    }
    Ok(())
}

/// Non-empty entries.
fn texts(field: &'static str, list: &[String]) -> Result<(), Problem> {
    if list.iter().any(|t| t.trim().is_empty()) {
        return Err((field, "an entry is empty".into()));
    }
    Ok(())
}

/// Every `{name}` is a known placeholder and every brace is closed.
fn placeholders(template: &str) -> Result<(), String> {
    let mut rest = template;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            return Err("a `}` has no `{`".into());
        }
        let after = &rest[open + 1..];
        let close = after
            .find('}')
            .ok_or_else(|| "a `{` is not closed".to_owned())?;
        let name = &after[..close];
        if !REPLY_PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "`{{{name}}}` is not a placeholder (use one of {})",
                REPLY_PLACEHOLDERS.join(", ")
            ));
        }
        rest = &after[close + 1..];
    }
    Ok(())
}

/// A reply template with each `{placeholder}` replaced by `fill(name)`, in one pass (so a
/// filled value that itself holds braces is never read as a placeholder); unknown or
/// unfilled placeholders are left as they are.
pub fn render_reply(template: &str, fill: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        match after.find('}') {
            Some(close) => {
                let name = &after[..close];
                match fill(name) {
                    Some(value) => out.push_str(&value),
                    None => out.push_str(&rest[open..open + close + 2]),
                }
                rest = &after[close + 1..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

impl super::Catalog {
    /// Every evidence kind the guide knows: the fixed set, then any kind a report template
    /// names beyond it (none today: the templates are checked against the set). Evidence
    /// sent with an on-site record or a report must be one of these, so a typo cannot
    /// leave a required kind silently missing.
    pub fn evidence_kinds(&self) -> Vec<&str> {
        let mut kinds: Vec<&str> = EVIDENCE_KINDS.to_vec();
        for kind in self
            .categories()
            .iter()
            .flat_map(|c| c.report_evidence.iter())
        {
            if !kinds.contains(&kind.as_str()) {
                kinds.push(kind);
            }
        }
        kinds
    }
}
