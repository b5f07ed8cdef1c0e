//! Tests of the handling guide: the shipped guide loads, and each broken field is refused
//! with an error naming the file, the category and the field.

#![allow(clippy::unwrap_used, reason = "tests")]

use super::*;

#[test]
fn the_shipped_guide_has_all_its_categories() {
    let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").expect("valid");
    let codes = [
        "counterfeit",
        "smuggled",
        "unlicensed_retail",
        "licence_violation",
        "unlicensed_transport",
        "outflow",
        "sale_to_minors",
        "online_sale",
        "supply_release",
        "allocation_fairness",
        "customer_tier",
        "account_manager_service",
        "order_consultation",
        "late_delivery",
        "delivery_attitude",
        "damaged_or_wrong_goods",
        "licence_consultation",
        "suggestion",
        "other",
    ];
    assert_eq!(catalog.categories().len(), codes.len());
    for code in codes {
        assert!(catalog.get(code).is_some(), "{code} missing");
    }
    assert_eq!(
        catalog.get("unlicensed_transport").map(|c| c.urgency),
        Some(Urgency::I)
    );
}

#[test]
fn errors_name_the_file_category_and_field() {
    let text = BUILTIN_CATALOG.replacen("name_zh = \"假冒卷烟\"", "name_zh = \"\"", 1);
    let err = Catalog::from_toml(&text, "guide.toml").expect_err("empty name");
    let msg = err.to_string();
    assert!(
        msg.contains("guide.toml") && msg.contains("counterfeit") && msg.contains("name_zh"),
        "{msg}"
    );
}

#[test]
fn unknown_fields_and_missing_grades_are_refused() {
    let text = BUILTIN_CATALOG.replacen("[sla.IV]", "[sla.V]", 1);
    assert!(Catalog::from_toml(&text, "g.toml").is_err());
}

/// Loads the shipped guide with `from` replaced by `to` (once) and returns the error text.
fn broken(from: &str, to: &str) -> String {
    assert!(BUILTIN_CATALOG.contains(from), "`{from}` not in the guide");
    let text = BUILTIN_CATALOG.replacen(from, to, 1);
    Catalog::from_toml(&text, "guide.toml")
        .expect_err("must be refused")
        .to_string()
}

fn names(msg: &str, category: &str, field: &str) {
    assert!(
        msg.contains("guide.toml") && msg.contains(category) && msg.contains(field),
        "{msg}"
    );
}

#[test]
fn every_category_has_its_guide_content() {
    let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
    for c in catalog.categories() {
        assert!(!c.keywords.is_empty(), "{}", c.code);
        assert!(!c.reply_template.is_empty(), "{}", c.code);
        assert!(
            (4..=8).contains(&c.handling_steps.len()),
            "{}: {} steps",
            c.code,
            c.handling_steps.len()
        );
        if c.path == HandlingPath::Full {
            assert!(c.notice_wording.is_some(), "{}", c.code);
        }
        if c.path != HandlingPath::DirectAnswer {
            assert!(!c.report_evidence.is_empty(), "{}", c.code);
            assert!(!c.legal_basis.is_empty(), "{}", c.code);
        }
    }
    for code in [
        "counterfeit",
        "smuggled",
        "unlicensed_transport",
        "outflow",
        "online_sale",
    ] {
        assert!(
            !catalog.get(code).unwrap().escalation_phrases.is_empty(),
            "{code}"
        );
    }
    assert_eq!(catalog.triage().places.len(), 12);
    assert!(catalog.triage().brands.contains(&"黄鹤楼".to_owned()));
}

#[test]
fn duplicate_keywords_are_refused() {
    let msg = broken(
        "keywords = [\"假烟\", \"假冒\"",
        "keywords = [\"假烟\", \"假烟\", \"假冒\"",
    );
    names(&msg, "counterfeit", "keywords");
    assert!(msg.contains("twice"), "{msg}");
}

#[test]
fn a_phrase_repeating_a_keyword_is_refused() {
    let msg = broken(
        "phrases = [\"假冒卷烟\"",
        "phrases = [\"假烟\", \"假冒卷烟\"",
    );
    names(&msg, "counterfeit", "phrases");
}

#[test]
fn missing_keywords_are_refused() {
    let at = BUILTIN_CATALOG.find("code = \"smuggled\"").unwrap();
    let line = BUILTIN_CATALOG[at..]
        .lines()
        .find(|l| l.starts_with("keywords = "))
        .unwrap();
    let msg = broken(line, "keywords = []");
    names(&msg, "smuggled", "keywords");
}

#[test]
fn empty_escalation_phrases_are_refused() {
    let msg = broken(
        "escalation_phrases = [\"正在装车\"",
        "escalation_phrases = [\"\", \"正在装车\"",
    );
    names(&msg, "unlicensed_transport", "escalation_phrases");
    let msg = broken(
        "escalation_phrases = [\"暴力抗法\"",
        "escalation_phrases = [\" \", \"暴力抗法\"",
    );
    assert!(
        msg.contains("guide.toml") && msg.contains("triage") && msg.contains("escalation_phrases"),
        "{msg}"
    );
}

#[test]
fn unknown_evidence_kinds_are_refused() {
    let msg = broken(
        "report_evidence = [\"screenshot\"",
        "report_evidence = [\"hearsay\", \"screenshot\"",
    );
    names(&msg, "online_sale", "report_evidence");
    assert!(
        msg.contains("hearsay") && msg.contains("inspection_record"),
        "{msg}"
    );
}

#[test]
fn a_reported_category_needs_evidence_and_legal_basis() {
    let msg = broken(
        "report_evidence = [\"allocation_record\", \"order_record\", \"call_record\"]",
        "report_evidence = []",
    );
    names(&msg, "supply_release", "report_evidence");
    let msg = broken(
        "legal_basis = [\n  \"《中华人民共和国烟草专卖法》（卷烟供应管理条款）\",\n  \"行业卷烟货源投放管理有关规定\",\n  \"本单位卷烟货源投放策略\",\n]",
        "legal_basis = []",
    );
    names(&msg, "supply_release", "legal_basis");
}

#[test]
fn empty_steps_notice_and_reply_are_refused() {
    let msg = broken(
        "handling_steps = [\n  \"接单后确认咨询人",
        "handling_steps = [\n  \"\", \"接单后确认咨询人",
    );
    names(&msg, "order_consultation", "handling_steps");
    let counterfeit_notice = BUILTIN_CATALOG
        .lines()
        .find(|l| l.starts_with("notice_wording = \"经营者：你（单位）经营的上述卷烟"))
        .unwrap();
    let msg = broken(counterfeit_notice, "");
    names(&msg, "counterfeit", "notice_wording");
    let msg = broken(counterfeit_notice, "notice_wording = \" \"");
    names(&msg, "counterfeit", "notice_wording");
    let msg = broken(
        "reply_template = \"您好！您于{received_date}反映的编号为{number}的货源投放问题",
        "reply_template = \"您好！{ticket}您于{received_date}反映的编号为{number}的货源投放问题",
    );
    names(&msg, "supply_release", "reply_template");
    assert!(msg.contains("{ticket}"), "{msg}");
}

#[test]
fn category_time_limits_are_checked_and_used() {
    let msg = broken(
        "[category.sla.IV]\nintake = 4.0",
        "[category.sla.IV]\nintake = -1.0",
    );
    names(&msg, "order_consultation", "sla");

    let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
    let global = catalog.total_limit(Urgency::IV).unwrap();
    let own = catalog
        .total_limit_for(Some("order_consultation"), Urgency::IV)
        .unwrap();
    assert_eq!(global, Duration::hours(72));
    assert_eq!(own, Duration::hours(24));
    assert_eq!(
        catalog.stage_limit_for(Some("order_consultation"), Urgency::IV, Stage::Reply),
        Some(Duration::hours(8))
    );
    // A grade the category does not override, an unknown category and no category all
    // fall back to the global table.
    for category in [Some("order_consultation"), Some("nope"), None] {
        assert_eq!(
            catalog.stage_limit_for(category, Urgency::II, Stage::OnSite),
            catalog.stage_limit(Urgency::II, Stage::OnSite)
        );
    }
    assert_eq!(
        catalog.stage_limit_for(Some("counterfeit"), Urgency::I, Stage::Closed),
        None
    );
    assert_eq!(
        catalog.stage_limit_for(Some("unlicensed_transport"), Urgency::I, Stage::OnSite),
        Some(Duration::hours(1))
    );
}

#[test]
fn replies_render_their_placeholders() {
    let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
    let template = &catalog.get("order_consultation").unwrap().reply_template;
    let reply = render_reply(template, |name| {
        (name == "number").then(|| "{received_date}".to_owned())
    });
    // One pass: a filled value is never read as a placeholder itself.
    assert!(reply.contains("编号为{received_date}的"), "{reply}");
    assert!(reply.contains("{result}"), "{reply}");
}

#[test]
fn triage_weights_and_decisive_phrases_are_checked() {
    let msg = broken("triage_weight = 1.5", "triage_weight = 0.0");
    names(&msg, "online_sale", "triage_weight");
    let msg = broken(
        "decisive_phrases = [\"建议\"",
        "decisive_phrases = [\"建议\", \"建议\"",
    );
    names(&msg, "suggestion", "decisive_phrases");
}

#[test]
fn triage_table_entries_are_checked() {
    let msg = broken(
        "escalation_quantities = { \"件\" = 2",
        "escalation_quantities = { \"件件\" = 2",
    );
    assert!(
        msg.contains("guide.toml") && msg.contains("escalation_quantities"),
        "{msg}"
    );
    let msg = broken(
        "variants = { \"陪送\" = \"配送\"",
        "variants = { \"陪送\" = \"\"",
    );
    assert!(
        msg.contains("guide.toml") && msg.contains("variants"),
        "{msg}"
    );
}

#[test]
fn return_reasons_are_a_fixed_set_with_other() {
    let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
    let codes = catalog.return_reason_codes();
    for code in [
        "missing_evidence",
        "facts_unclear",
        "wrong_legal_basis",
        "incomplete_section",
        "wrong_category",
        "format",
        "other",
    ] {
        assert!(codes.contains(&code), "{code} missing from {codes:?}");
    }
    assert!(catalog.return_reason("nonsense").is_none());

    let msg = broken("code = \"facts_unclear\"", "code = \"missing_evidence\"");
    assert!(
        msg.contains("guide.toml")
            && msg.contains("return_reason `missing_evidence`")
            && msg.contains("appears twice"),
        "{msg}"
    );
    let msg = broken("code = \"format\"", "code = \"Format\"");
    assert!(
        msg.contains("return_reason `Format`, field `code`"),
        "{msg}"
    );
    let msg = broken(
        "code = \"other\"\nname_zh = \"其他\"",
        "code = \"misc\"\nname_zh = \"其他\"",
    );
    assert!(msg.contains("`other` reason"), "{msg}");
    let msg = broken("name_zh = \"事实不清\"", "name_zh = \"\"");
    assert!(
        msg.contains("return_reason `facts_unclear`, field `name_zh`"),
        "{msg}"
    );
}

#[test]
fn the_reopen_target_comes_from_the_category_or_the_guide() {
    let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
    let full = Some(HandlingPath::Full);
    assert_eq!(catalog.return_visit().reopen_to, ReopenTarget::Reporting);
    assert_eq!(
        catalog.reopen_to(Some("counterfeit"), full),
        ReopenTarget::Triaged
    );
    assert_eq!(
        catalog.reopen_to(Some("late_delivery"), Some(HandlingPath::NoOnsite)),
        ReopenTarget::Reporting
    );
    assert_eq!(
        catalog.reopen_to(Some("damaged_or_wrong_goods"), full),
        ReopenTarget::Reporting
    );
    // A direct answer has no report.
    assert_eq!(
        catalog.reopen_to(Some("order_consultation"), Some(HandlingPath::DirectAnswer)),
        ReopenTarget::Triaged
    );
    // The guide-wide default moves the categories that do not say.
    let text = BUILTIN_CATALOG.replacen(
        "[return_visit]\nreopen_to = \"reporting\"",
        "[return_visit]\nreopen_to = \"triaged\"",
        1,
    );
    let moved = Catalog::from_toml(&text, "g.toml").unwrap();
    assert_eq!(
        moved.reopen_to(Some("late_delivery"), Some(HandlingPath::NoOnsite)),
        ReopenTarget::Triaged
    );

    let msg = broken(
        "code = \"order_consultation\"",
        "code = \"order_consultation\"\nreopen_to = \"reporting\"",
    );
    names(&msg, "order_consultation", "reopen_to");
    assert!(
        broken("reopen_to = \"triaged\"", "reopen_to = \"rewrite\"").contains("rewrite"),
        "an unknown target is refused"
    );
}

#[test]
fn the_known_evidence_kinds_cover_every_template() {
    let catalog = Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap();
    let known = catalog.evidence_kinds();
    assert_eq!(&known[..EVIDENCE_KINDS.len()], EVIDENCE_KINDS);
    for c in catalog.categories() {
        for kind in &c.report_evidence {
            assert!(known.contains(&kind.as_str()), "{}: {kind}", c.code);
        }
    }
    assert!(!known.contains(&"photos"));
}

mod kinds;
mod parse;
