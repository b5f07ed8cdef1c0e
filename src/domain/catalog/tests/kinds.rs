//! The guide's kinds against what the platform sends (`report`, `complaint`,
//! `consultation`, `suggestion`): every kind has a category to land in, and no question
//! lands only in categories that send someone on site.

use super::super::*;

fn guide() -> Catalog {
    Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").expect("valid")
}

#[test]
fn every_kind_the_platform_sends_has_a_category_without_a_site_visit() {
    let catalog = guide();
    for kind in [
        Kind::Report,
        Kind::Complaint,
        Kind::Consultation,
        Kind::Suggestion,
    ] {
        let taking: Vec<&Category> = catalog
            .categories()
            .iter()
            .filter(|c| c.kinds.contains(&kind))
            .collect();
        assert!(!taking.is_empty(), "no category takes {kind:?}");
        if matches!(kind, Kind::Consultation | Kind::Suggestion) {
            assert!(
                taking.iter().any(|c| c.path == HandlingPath::DirectAnswer),
                "{kind:?}: no direct-answer category"
            );
        }
    }
}

#[test]
fn no_category_that_takes_questions_sends_anyone_on_site() {
    for c in guide().categories() {
        if c.kinds.contains(&Kind::Consultation) || c.kinds.contains(&Kind::Suggestion) {
            assert_ne!(
                c.path,
                HandlingPath::Full,
                "{}: takes consultations or suggestions but sends someone on site",
                c.code
            );
        }
    }
}

#[test]
fn the_licence_topics_have_a_consultation_that_answers_them() {
    let catalog = guide();
    let answer = catalog
        .get("licence_consultation")
        .expect("licensing questions");
    assert_eq!(answer.kinds, vec![Kind::Consultation]);
    assert_eq!(answer.path, HandlingPath::DirectAnswer);
    assert!(!answer.reply_template.is_empty());
    assert!(answer.sla.contains_key(&Urgency::IV), "its own time limit");
    // Every on-site category that reports on licences has its questions answered there.
    for topic in ["licence_violation", "unlicensed_retail"] {
        assert!(answer.answers.iter().any(|a| a == topic), "{topic}");
    }
}

#[test]
fn only_a_direct_answer_consultation_answers_questions() {
    let text = BUILTIN_CATALOG.replacen(
        "[[category]]\ncode = \"other\"",
        "[[category]]\ncode = \"other\"\nanswers = [\"counterfeit\"]",
        1,
    );
    assert!(
        Catalog::from_toml(&text, "g.toml").is_ok(),
        "other answers directly"
    );
    let text = BUILTIN_CATALOG.replacen(
        "answers = [\"licence_violation\", \"unlicensed_retail\"]",
        "answers = [\"no_such_category\"]",
        1,
    );
    let err = Catalog::from_toml(&text, "g.toml").expect_err("unknown topic");
    assert!(err.to_string().contains("answers"), "{err}");
    let text = BUILTIN_CATALOG.replacen(
        "code = \"licence_consultation\"\nname_zh = \"许可证办理咨询\"\nname_en = \"Licence application enquiry\"\nkinds = [\"consultation\"]",
        "code = \"licence_consultation\"\nname_zh = \"许可证办理咨询\"\nname_en = \"Licence application enquiry\"\nkinds = [\"report\"]",
        1,
    );
    let err = Catalog::from_toml(&text, "g.toml").expect_err("not a consultation");
    assert!(err.to_string().contains("answers"), "{err}");
}
