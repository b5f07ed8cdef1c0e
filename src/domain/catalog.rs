//! The handling guide (处理指引): categories, who leads them, their default urgency grade,
//! the path a ticket of each category takes, the sections and evidence its report must
//! have, the standard handling steps, notice and reply wording, the legal basis, the words
//! auto-triage looks for, and the time limit of each stage per grade (globally, and per
//! category where one differs). It is data (`config/catalog.toml`), validated at start with
//! errors naming the file, the category and the field.

mod guide;
mod limits;
mod parse;
mod returns;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};
use time::Duration;

use super::ticket::Stage;

pub use guide::{EVIDENCE_KINDS, REPLY_PLACEHOLDERS, TriageLexicon, render_reply};
pub use limits::StageLimits;
use limits::hours;
pub use returns::{OTHER_REASON, ReopenTarget, ReturnReasonDef, ReturnVisitRules};

/// The three departments of a county unit.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Department {
    /// 专卖: enforcement (market inspectors).
    Enforcement,
    /// 营销: marketing (account managers).
    Marketing,
    /// 物流: logistics (delivery).
    Logistics,
}

impl Department {
    pub const ALL: [Department; 3] = [Self::Enforcement, Self::Marketing, Self::Logistics];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Enforcement => "enforcement",
            Self::Marketing => "marketing",
            Self::Logistics => "logistics",
        }
    }

    /// The department's name as the public knows it.
    pub fn name_zh(self) -> &'static str {
        match self {
            Self::Enforcement => "专卖",
            Self::Marketing => "营销",
            Self::Logistics => "物流",
        }
    }
}

/// Urgency grade: I (red, major lead, fast track) to IV (blue, consultation).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
pub enum Urgency {
    I,
    II,
    III,
    IV,
}

impl Urgency {
    pub const ALL: [Urgency; 4] = [Self::I, Self::II, Self::III, Self::IV];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::I => "I",
            Self::II => "II",
            Self::III => "III",
            Self::IV => "IV",
        }
    }
}

/// What the citizen filed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Report,
    Complaint,
    Consultation,
    Suggestion,
}

/// The stages a ticket of a category goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandlingPath {
    /// All five stages: intake, on-site, report, review, approval.
    Full,
    /// Checked from records and calls: intake, report, review, approval.
    NoOnsite,
    /// Consultations and suggestions: intake, then straight to the reply.
    DirectAnswer,
}

/// One problem type of the guide.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub kinds: Vec<Kind>,
    pub lead_department: Department,
    #[serde(default)]
    pub assist_departments: Vec<Department>,
    /// The task of each department's member in the collaboration group the engine forms
    /// when the category has assisting departments (the lead department's is the lead's).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub group_tasks: BTreeMap<Department, String>,
    pub urgency: Urgency,
    pub path: HandlingPath,
    /// Sections a report must fill before it can go to review.
    #[serde(default)]
    pub report_sections: Vec<String>,
    /// Single words that point to this category (matched on jieba tokens).
    #[serde(default)]
    pub keywords: Vec<String>,
    /// Multi-word phrases that point to this category (matched on the normalised text).
    #[serde(default)]
    pub phrases: Vec<String>,
    /// Phrases that settle the category on their own, whatever else the text is about
    /// ("建议…" is a suggestion even when it is about deliveries).
    #[serde(default)]
    pub decisive_phrases: Vec<String>,
    /// Phrases that raise a ticket of this category to grade I (a major lead).
    #[serde(default)]
    pub escalation_phrases: Vec<String>,
    /// The standard on-site or desk procedure, in order.
    #[serde(default)]
    pub handling_steps: Vec<String>,
    /// The standard wording of the notice served to the party, where one is served.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notice_wording: Option<String>,
    /// Evidence kinds the report must attach (from [`EVIDENCE_KINDS`]).
    #[serde(default)]
    pub report_evidence: Vec<String>,
    /// Laws and rules the handling rests on.
    #[serde(default)]
    pub legal_basis: Vec<String>,
    /// The standard answer to the citizen, with `{placeholder}`s from [`REPLY_PLACEHOLDERS`].
    #[serde(default)]
    pub reply_template: String,
    /// Time limits that differ from the global ones, per grade (absent grades use the global).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub sla: BTreeMap<Urgency, StageLimits>,
    /// How much this category's words count against other categories' (default 1): above 1
    /// for a category named by the kind of request rather than its topic (a suggestion
    /// about deliveries is a suggestion), or by a channel that outranks the goods sold.
    #[serde(default = "guide::default_triage_weight")]
    pub triage_weight: f64,
    /// Categories this one takes precedence over when a text speaks of both: the act or
    /// the channel decides who handles it, not the goods ("selling fakes to pupils" is a
    /// sale to minors; "fakes bought on WeChat" an online sale).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outranks: Vec<String>,
    /// For a category that answers questions: the categories whose topic its questions are
    /// about ("how do I renew my licence" is about licences, but nobody is reported). A
    /// text phrased as a question (or filed as a consultation) that reports nobody lands
    /// here rather than in those categories; a question that does report someone ("隔壁店
    /// 卖假烟怎么举报") stays with the report.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub answers: Vec<String>,
    /// Where an unsatisfied return visit reopens a ticket of this category, when it
    /// differs from the guide's `[return_visit] reopen_to`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reopen_to: Option<ReopenTarget>,
}

/// The guide-wide tables; the `[[category]]` tables are read one by one (`parse.rs`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    sla: BTreeMap<Urgency, StageLimits>,
    #[serde(default)]
    triage: TriageLexicon,
    #[serde(default, rename = "return_reason")]
    return_reasons: Vec<ReturnReasonDef>,
    #[serde(default)]
    return_visit: ReturnVisitRules,
}

/// A validated handling guide.
#[derive(Clone, Debug)]
pub struct Catalog {
    categories: Vec<Category>,
    by_code: HashMap<String, usize>,
    sla: BTreeMap<Urgency, StageLimits>,
    triage: TriageLexicon,
    return_reasons: Vec<ReturnReasonDef>,
    return_visit: ReturnVisitRules,
}

/// A guide that cannot be used, naming where it is wrong.
#[derive(Debug, thiserror::Error)]
pub enum CatalogError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    /// `category` is the code, or `#n (no code)` when the code cannot be read; `field` a
    /// dotted path for nested tables (`sla.IV.intake`), `*` for the whole table.
    #[error("{file}: category `{category}`, field `{field}`: {message}")]
    Category {
        file: String,
        category: String,
        field: String,
        message: String,
    },
    #[error("{file}: sla: {message}")]
    Sla { file: String, message: String },
    #[error("{file}: return_reason `{code}`, field `{field}`: {message}")]
    ReturnReason {
        file: String,
        code: String,
        field: &'static str,
        message: String,
    },
    #[error("{file}: triage, field `{field}`: {message}")]
    Triage {
        file: String,
        field: &'static str,
        message: String,
    },
}

impl Catalog {
    /// Parses and validates a guide; `file` names it in errors.
    pub fn from_toml(text: &str, file: &str) -> Result<Self, CatalogError> {
        let (parsed, categories) = parse::parse(text, file)?;
        let bad = |category: &str, field: &str, message: String| CatalogError::Category {
            file: file.to_owned(),
            category: category.to_owned(),
            field: field.to_owned(),
            message,
        };
        for grade in Urgency::ALL {
            let limits = parsed.sla.get(&grade).ok_or_else(|| CatalogError::Sla {
                file: file.to_owned(),
                message: format!("no time limits for grade {}", grade.as_str()),
            })?;
            limits.check(grade).map_err(|message| CatalogError::Sla {
                file: file.to_owned(),
                message,
            })?;
        }
        parsed
            .triage
            .check()
            .map_err(|(field, message)| CatalogError::Triage {
                file: file.to_owned(),
                field,
                message,
            })?;
        let mut by_code = HashMap::new();
        for (i, c) in categories.iter().enumerate() {
            let code_ok = !c.code.is_empty()
                && c.code
                    .chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch == '_');
            if !code_ok {
                return Err(bad(&c.code, "code", "use lowercase letters and '_'".into()));
            }
            if by_code.insert(c.code.clone(), i).is_some() {
                return Err(bad(&c.code, "code", "appears twice".into()));
            }
            if c.name_zh.trim().is_empty() {
                return Err(bad(&c.code, "name_zh", "must not be empty".into()));
            }
            if c.name_en.trim().is_empty() {
                return Err(bad(&c.code, "name_en", "must not be empty".into()));
            }
            if c.kinds.is_empty() {
                return Err(bad(&c.code, "kinds", "name at least one kind".into()));
            }
            if c.assist_departments.contains(&c.lead_department) {
                return Err(bad(
                    &c.code,
                    "assist_departments",
                    "must not repeat the lead department".into(),
                ));
            }
            guide::check_group_tasks(c).map_err(|message| bad(&c.code, "group_tasks", message))?;
            if c.report_sections.iter().any(|s| s.trim().is_empty()) {
                return Err(bad(
                    &c.code,
                    "report_sections",
                    "a section name is empty".into(),
                ));
            }
            if c.path != HandlingPath::DirectAnswer && c.report_sections.is_empty() {
                return Err(bad(
                    &c.code,
                    "report_sections",
                    "a category with a report needs its sections".into(),
                ));
            }
            guide::check_category(c).map_err(|(field, message)| bad(&c.code, field, message))?;
            returns::check_reopen(c).map_err(|(field, message)| bad(&c.code, field, message))?;
        }
        guide::check_outranks(&categories, &by_code)
            .map_err(|(code, message)| bad(&code, "outranks", message))?;
        guide::check_answers(&categories, &by_code)
            .map_err(|(code, message)| bad(&code, "answers", message))?;
        if categories.is_empty() {
            return Err(CatalogError::Parse {
                file: file.to_owned(),
                message: "no [[category]] entries".into(),
            });
        }
        returns::check_reasons(&parsed.return_reasons).map_err(|(code, field, message)| {
            CatalogError::ReturnReason {
                file: file.to_owned(),
                code,
                field,
                message,
            }
        })?;
        Ok(Self {
            categories,
            by_code,
            sla: parsed.sla,
            triage: parsed.triage,
            return_reasons: parsed.return_reasons,
            return_visit: parsed.return_visit,
        })
    }

    /// The category with this code.
    pub fn get(&self, code: &str) -> Option<&Category> {
        self.by_code.get(code).map(|&i| &self.categories[i])
    }

    /// Every category, in the guide's order.
    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// The categories, to edit in tests.
    #[cfg(test)]
    pub(crate) fn categories_mut(&mut self) -> &mut [Category] {
        &mut self.categories
    }

    /// Place names, brand names and global escalation phrases for auto-triage.
    pub fn triage(&self) -> &TriageLexicon {
        &self.triage
    }

    /// Time allowed for `stage` at `grade` by the global table; `None` for the closed stage.
    pub fn stage_limit(&self, grade: Urgency, stage: Stage) -> Option<Duration> {
        self.stage_limit_for(None, grade, stage)
    }

    /// Time allowed from intake to the reply at `grade` by the global table.
    pub fn total_limit(&self, grade: Urgency) -> Option<Duration> {
        self.total_limit_for(None, grade)
    }

    /// Time allowed for `stage` at `grade` for `category`: the category's own table for that
    /// grade if it has one, else the global table. `None` for the closed stage.
    pub fn stage_limit_for(
        &self,
        category: Option<&str>,
        grade: Urgency,
        stage: Stage,
    ) -> Option<Duration> {
        self.limits_for(category, grade)
            .and_then(|l| l.hours(stage))
            .map(hours)
    }

    /// Time allowed from intake to the reply at `grade` for `category` (its own table if it
    /// has one for that grade, else the global table).
    pub fn total_limit_for(&self, category: Option<&str>, grade: Urgency) -> Option<Duration> {
        self.limits_for(category, grade).map(|l| hours(l.total))
    }

    /// The global time limits, per grade.
    pub fn sla(&self) -> &BTreeMap<Urgency, StageLimits> {
        &self.sla
    }

    fn limits_for(&self, category: Option<&str>, grade: Urgency) -> Option<&StageLimits> {
        category
            .and_then(|code| self.get(code))
            .and_then(|c| c.sla.get(&grade))
            .or_else(|| self.sla.get(&grade))
    }
}

impl fmt::Display for Urgency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Display for Department {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The guide shipped in `config/catalog.toml`, compiled in so the binary runs anywhere.
pub const BUILTIN_CATALOG: &str = include_str!("../../config/catalog.toml");
