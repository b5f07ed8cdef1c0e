//! Drafts written from the guide and what a ticket already holds: the report (every
//! required section, prefilled where the ticket says something, and what is still missing)
//! and the answer to the citizen (the category's reply template, filled). Both are offered
//! for editing; nothing here changes the ticket.
//!
//! The report's rule lives here too, once: what a version carries (`report_evidence`:
//! the evidence of the version before it, returned or reopened, plus what is submitted)
//! and what it lacks (`report_gaps`). The gate (`Command::SubmitReport(steps::SubmitReport)`) and the draft both
//! ask these two, so a draft with nothing missing is a report the gate accepts, and the
//! draft's `missing` is exactly the gate's 422.

use std::collections::BTreeMap;

use super::{Evidence, Ticket};
use crate::domain::catalog::{Category, Department, render_reply};

/// The reply template of a ticket with no category (yet).
pub const FALLBACK_REPLY: &str = "您好！您反映的编号为{number}的问题已处理：{result}。";

/// A report to start from (also the body of `GET /tickets/{id}/report/draft`).
#[derive(Clone, Debug, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct ReportDraft {
    /// Every required section (and any the last report added), prefilled where the ticket
    /// already says something; a section already written keeps its text.
    pub sections: BTreeMap<String, String>,
    pub required: Vec<String>,
    /// Evidence kinds the report must carry (in it, in the version before it or in the
    /// on-site record).
    pub required_evidence: Vec<String>,
    /// The evidence the next version carries over from the last one (returned or
    /// reopened): it stays on the report without being sent again; a submission adds to it
    /// (the same kind and reference replaces the item).
    #[schema(value_type = Vec<Object>)]
    pub evidence: Vec<Evidence>,
    /// What is still missing against the template (`Ticket::report_gaps`): exactly what
    /// the report route answers 422 for when these sections are submitted with no new
    /// evidence.
    pub missing: Vec<String>,
    /// The guide's standard handling steps for the category.
    pub handling_steps: Vec<String>,
}

impl Ticket {
    /// The report prefilled from the ticket (facts), the on-site record (findings,
    /// handling) and the template (legal basis), over the last report's sections.
    pub fn report_draft(&self, category: Option<&Category>) -> ReportDraft {
        let required = category
            .map(|c| c.report_sections.clone())
            .unwrap_or_default();
        let mut sections: BTreeMap<String, String> = required
            .iter()
            .map(|s| (s.clone(), String::new()))
            .collect();
        if let Some(previous) = &self.report {
            sections.extend(previous.sections.clone());
        }
        prefill(&mut sections, "facts", &self.description, false);
        if let Some(onsite) = &self.onsite {
            // A site visit after the last report (a reopened ticket checked again) is news:
            // its findings replace what that report said of the site.
            let newer = self
                .report
                .as_ref()
                .is_some_and(|r| onsite.recorded_at > r.submitted_at);
            prefill(&mut sections, "onsite_findings", &onsite.findings, newer);
            prefill(&mut sections, "handling", &onsite.actions, newer);
        }
        if let Some(c) = category {
            prefill(
                &mut sections,
                "legal_basis",
                &c.legal_basis.join("；"),
                false,
            );
        }
        let missing = self.report_gaps(category, &sections, &[]);
        ReportDraft {
            sections,
            required,
            required_evidence: category
                .map(|c| c.report_evidence.clone())
                .unwrap_or_default(),
            evidence: self.report_evidence(&[]),
            missing,
            handling_steps: category
                .map(|c| c.handling_steps.clone())
                .unwrap_or_default(),
        }
    }

    /// The evidence a report submitted now carries: the last version's (a returned or
    /// reopened report keeps what it was given), then `submitted`; a submitted item of the
    /// same kind and reference replaces the carried one.
    pub fn report_evidence(&self, submitted: &[Evidence]) -> Vec<Evidence> {
        let same = |a: &Evidence, b: &Evidence| a.kind == b.kind && a.reference == b.reference;
        let carried = self.report.iter().flat_map(|r| r.evidence.iter());
        carried
            .filter(|c| !submitted.iter().any(|s| same(c, s)))
            .chain(submitted)
            .cloned()
            .collect()
    }

    /// What a report of `sections` submitted with `submitted` evidence lacks against its
    /// category's template: empty required sections (by name), then required evidence
    /// kinds found neither in the evidence it carries (`report_evidence`) nor in the
    /// on-site record (as `evidence:<kind>`), in the guide's order. The gate's 422 and the
    /// draft's `missing` both come from here.
    pub fn report_gaps(
        &self,
        category: Option<&Category>,
        sections: &BTreeMap<String, String>,
        submitted: &[Evidence],
    ) -> Vec<String> {
        let Some(c) = category else { return Vec::new() };
        let carried = self.report_evidence(submitted);
        let on_site = self.onsite.iter().flat_map(|o| o.evidence.iter());
        let kinds: Vec<&str> = carried
            .iter()
            .chain(on_site)
            .map(|e| e.kind.as_str())
            .collect();
        let sections_missing = c
            .report_sections
            .iter()
            .filter(|s| sections.get(*s).is_none_or(|v| v.trim().is_empty()))
            .cloned();
        let evidence_missing = c
            .report_evidence
            .iter()
            .filter(|k| !kinds.contains(&k.as_str()))
            .map(|k| format!("evidence:{k}"));
        sections_missing.chain(evidence_missing).collect()
    }

    /// The answer to the citizen: the category's reply template (or [`FALLBACK_REPLY`])
    /// with every placeholder filled. The result is the report's conclusion, else the
    /// on-site findings; the measures are the report's handling section. Names stay out
    /// (`{reporter}`, `{handler}` are left blank for the dispatcher to add if wanted).
    /// Free text goes in as a clause: the template ends the sentence, so the text's own
    /// closing punctuation is dropped (no "。。").
    pub fn reply_draft(&self, category: Option<&Category>) -> String {
        let section = |name: &str| {
            self.report
                .as_ref()
                .and_then(|r| r.sections.get(name))
                .cloned()
                .unwrap_or_default()
        };
        let fill = |name: &str| -> Option<String> {
            Some(match name {
                "number" => self.number.to_string(),
                "received_date" => {
                    // The date the citizen knows: the command centre's, not UTC's.
                    let d = self.received_at.centre_local().date();
                    format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day())
                }
                "department" => match self.department {
                    Some(Department::Enforcement) => "专卖部门",
                    Some(Department::Marketing) => "营销部门",
                    Some(Department::Logistics) => "物流部门",
                    None => "我局",
                }
                .to_owned(),
                "place" => self
                    .location
                    .address_text
                    .as_deref()
                    .map_or_else(|| "现场".into(), clause),
                "result" => clause(
                    &Some(section("conclusion"))
                        .filter(|s| !s.trim().is_empty())
                        .or_else(|| self.onsite.as_ref().map(|o| o.findings.clone()))
                        .unwrap_or_default(),
                ),
                "measures" => clause(&section("handling")),
                "category" => category.map(|c| c.name_zh.clone()).unwrap_or_default(),
                "contact" => "12313".to_owned(),
                "reporter" | "handler" => String::new(),
                _ => return None,
            })
        };
        let template = category.map_or(FALLBACK_REPLY, |c| c.reply_template.as_str());
        render_reply(template, fill)
    }
}

/// Free text as a clause of a template's sentence: trimmed, without the closing
/// punctuation the writer ended it with (the template supplies its own).
fn clause(text: &str) -> String {
    const CLOSERS: &[char] = &[
        '。', '．', '.', '！', '!', '；', ';', '，', ',', '、', '：', ':',
    ];
    text.trim()
        .trim_end_matches(|c: char| CLOSERS.contains(&c) || c.is_whitespace())
        .to_owned()
}

/// Puts `value` into the template's section `key` when the section is empty, or always
/// when `replace`; sections the template does not have are left out.
fn prefill(sections: &mut BTreeMap<String, String>, key: &str, value: &str, replace: bool) {
    if let Some(v) = sections.get_mut(key)
        && (replace || v.trim().is_empty())
    {
        value.clone_into(v);
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::domain::catalog::{BUILTIN_CATALOG, Catalog, Kind};
    use crate::domain::clock::Timestamp;
    use crate::domain::ids::{TicketId, TicketNumber};
    use crate::domain::ticket::{Location, NewTicket, OnsiteRecord, Source};

    fn ticket(category: Option<&str>, received_at: &str) -> (Catalog, Ticket) {
        let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
        let at = Timestamp::parse(received_at).unwrap();
        let new = NewTicket {
            source: Source::Hotline,
            external_id: None,
            kind: Kind::Report,
            category: category.map(Into::into),
            urgency: None,
            description: "梅川镇某店疑似销售假烟".into(),
            reporter: None,
            location: Location::default(),
            received_at: Some(at),
            possible_duplicate_of: None,
            retailer_candidates: Vec::new(),
            suggestion: None,
        };
        let number = TicketNumber::new("WX", 2026, 7);
        let (t, _) =
            Ticket::receive(new, TicketId::from_bytes([7; 16]), number, &catalog, at).unwrap();
        (catalog, t)
    }

    #[test]
    fn the_reply_dates_the_call_by_the_centres_calendar() {
        // 01:30 on 2 March in Wuxue is still 1 March in UTC.
        let (catalog, t) = ticket(Some("counterfeit"), "2026-03-01T17:30:00Z");
        let text = t.reply_draft(catalog.get("counterfeit"));
        assert!(text.contains("2026年3月2日"), "{text}");
        assert!(
            text.contains("WX-2026-000007") && text.contains("专卖部门"),
            "{text}"
        );
        assert!(!text.contains('{'), "{text}");
    }

    #[test]
    fn filled_text_is_never_read_as_a_placeholder() {
        let (_, mut t) = ticket(None, "2026-03-02T08:00:00Z");
        t.onsite = Some(OnsiteRecord {
            findings: "店主称{contact}打不通".into(),
            actions: String::new(),
            evidence: Vec::new(),
            recorded_at: t.received_at,
        });
        // No category yet: the fallback template.
        assert_eq!(
            t.reply_draft(None),
            "您好！您反映的编号为WX-2026-000007的问题已处理：店主称{contact}打不通。"
        );
    }

    #[test]
    fn text_ending_its_own_sentence_gives_no_doubled_punctuation() {
        use crate::domain::ticket::Report;
        let (catalog, mut t) = ticket(Some("counterfeit"), "2026-03-02T08:00:00Z");
        let mut sections = BTreeMap::new();
        sections.insert(
            "conclusion".to_owned(),
            "举报属实，查获假烟3条。".to_owned(),
        );
        sections.insert("handling".to_owned(), "已先行登记保存；\n".to_owned());
        t.report = Some(Report {
            sections,
            evidence: Vec::new(),
            submitted_at: t.received_at,
            version: 1,
            returned: None,
        });
        let text = t.reply_draft(catalog.get("counterfeit"));
        for doubled in ["。。", "；。", "。；", ".。"] {
            assert!(!text.contains(doubled), "{doubled} in {text}");
        }
        assert!(
            text.contains("处理结果：举报属实，查获假烟3条。已采取措施：已先行登记保存。"),
            "{text}"
        );
        // No category: the fallback template, from the on-site findings.
        t.report = None;
        t.onsite = Some(OnsiteRecord {
            findings: "未发现违法行为。 ".into(),
            actions: String::new(),
            evidence: Vec::new(),
            recorded_at: t.received_at,
        });
        assert_eq!(
            t.reply_draft(None),
            "您好！您反映的编号为WX-2026-000007的问题已处理：未发现违法行为。"
        );
    }

    #[test]
    fn a_site_visit_after_the_report_replaces_what_it_said_of_the_site() {
        use crate::domain::ticket::Report;
        let (catalog, mut t) = ticket(Some("counterfeit"), "2026-03-02T08:00:00Z");
        let category = catalog.get("counterfeit");
        let at = |h: i64| t.received_at + time::Duration::hours(h);
        let onsite = |findings: &str, recorded_at| OnsiteRecord {
            findings: findings.into(),
            actions: "登记".into(),
            evidence: Vec::new(),
            recorded_at,
        };
        let mut sections = BTreeMap::new();
        sections.insert("onsite_findings".to_owned(), "未见假烟".to_owned());
        sections.insert("conclusion".to_owned(), "不属实".to_owned());
        t.onsite = Some(onsite("未见假烟", at(1)));
        t.report = Some(Report {
            sections,
            evidence: Vec::new(),
            submitted_at: at(2),
            version: 1,
            returned: None,
        });
        // Returned for a rewrite: the report's words stand.
        let d = t.report_draft(category);
        assert_eq!(d.sections["onsite_findings"], "未见假烟");
        // Reopened and checked again: the new visit's findings replace the old ones; the
        // rest of the report stays for the writer to revise.
        t.onsite = Some(onsite("柜台下查获假中华5条", at(30)));
        let d = t.report_draft(category);
        assert_eq!(d.sections["onsite_findings"], "柜台下查获假中华5条");
        assert_eq!(d.sections["conclusion"], "不属实");
    }
}

#[cfg(test)]
#[path = "draft_gate.rs"]
mod draft_gate;
