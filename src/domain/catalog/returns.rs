//! What the guide says about sending work back: the reasons a reviewer or approver may
//! give for returning a report (`[[return_reason]]`: a fixed set of codes, so returns can
//! be counted per writer, handler, category and reason, and the guide's report template
//! improved where it fails), and where an unsatisfied return visit reopens a ticket
//! (`[return_visit] reopen_to`, and a category's own `reopen_to`).

use serde::{Deserialize, Serialize};

use super::{Catalog, Category, HandlingPath};

/// The reason code that carries free text: a plain-string reason is read as this one.
pub const OTHER_REASON: &str = "other";

/// One reason a report may be returned for.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReturnReasonDef {
    /// Stable code (`missing_evidence`), what returns carry and stats count.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    /// When a reviewer should use it.
    #[serde(default)]
    pub description: String,
}

/// Where a reopened ticket starts again.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReopenTarget {
    /// Back to intake, confirmed: a vehicle can be sent for a new on-site check.
    Triaged,
    /// Back to the report, rewritten from what is on record.
    Reporting,
}

/// `[return_visit]`: guide-wide rules of the return visit.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnVisitRules {
    /// Where an unsatisfied visit (or a reopen that names no target) sends a ticket whose
    /// category does not say.
    #[serde(default = "default_reopen_to")]
    pub reopen_to: ReopenTarget,
}

impl Default for ReturnVisitRules {
    fn default() -> Self {
        Self {
            reopen_to: default_reopen_to(),
        }
    }
}

fn default_reopen_to() -> ReopenTarget {
    ReopenTarget::Reporting
}

type Problem = (String, &'static str, String);

/// Codes in lowercase and `_`, unique, named, and `other` among them. The problem names
/// the code (or the list) and the field.
pub(super) fn check_reasons(reasons: &[ReturnReasonDef]) -> Result<(), Problem> {
    let mut seen = std::collections::HashSet::new();
    for r in reasons {
        let code_ok =
            !r.code.is_empty() && r.code.chars().all(|c| c.is_ascii_lowercase() || c == '_');
        if !code_ok {
            return Err((
                r.code.clone(),
                "code",
                "use lowercase letters and '_'".into(),
            ));
        }
        if !seen.insert(r.code.as_str()) {
            return Err((r.code.clone(), "code", "appears twice".into()));
        }
        if r.name_zh.trim().is_empty() {
            return Err((r.code.clone(), "name_zh", "must not be empty".into()));
        }
        if r.name_en.trim().is_empty() {
            return Err((r.code.clone(), "name_en", "must not be empty".into()));
        }
    }
    if !seen.contains(OTHER_REASON) {
        return Err((
            "*".into(),
            "code",
            format!(
                "the guide needs an `{OTHER_REASON}` reason (plain-text reasons are filed under it)"
            ),
        ));
    }
    Ok(())
}

/// A direct answer has no report to rewrite.
pub(super) fn check_reopen(c: &Category) -> Result<(), (&'static str, String)> {
    if c.path == HandlingPath::DirectAnswer && c.reopen_to == Some(ReopenTarget::Reporting) {
        return Err((
            "reopen_to",
            "a direct-answer category has no report: use `triaged`".into(),
        ));
    }
    Ok(())
}

impl Catalog {
    /// Every return reason, in the guide's order.
    pub fn return_reasons(&self) -> &[ReturnReasonDef] {
        &self.return_reasons
    }

    /// The return reason with this code.
    pub fn return_reason(&self, code: &str) -> Option<&ReturnReasonDef> {
        self.return_reasons.iter().find(|r| r.code == code)
    }

    /// The codes a return may carry, in the guide's order.
    pub fn return_reason_codes(&self) -> Vec<&str> {
        self.return_reasons
            .iter()
            .map(|r| r.code.as_str())
            .collect()
    }

    /// The guide-wide rules of the return visit.
    pub fn return_visit(&self) -> &ReturnVisitRules {
        &self.return_visit
    }

    /// Where a ticket of `category` on `path` starts again after an unsatisfied return
    /// visit (or a reopen that names no target): the category's `reopen_to`, else the
    /// guide's; a direct answer always goes back to intake (it has no report).
    pub fn reopen_to(&self, category: Option<&str>, path: Option<HandlingPath>) -> ReopenTarget {
        if path == Some(HandlingPath::DirectAnswer) {
            return ReopenTarget::Triaged;
        }
        category
            .and_then(|code| self.get(code))
            .and_then(|c| c.reopen_to)
            .unwrap_or(self.return_visit.reopen_to)
    }
}
