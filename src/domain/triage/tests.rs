//! Unit tests of auto-triage on hand-written sentences: categories, fallback, urgency
//! escalation, negation, confidence and the shape of the result.

#![allow(clippy::unwrap_used, reason = "tests")]

use std::sync::OnceLock;

use super::Classifier;
use crate::domain::catalog::{BUILTIN_CATALOG, Catalog, Urgency};

fn classifier() -> &'static Classifier {
    static CLASSIFIER: OnceLock<Classifier> = OnceLock::new();
    CLASSIFIER.get_or_init(|| {
        Classifier::new(&Catalog::from_toml(BUILTIN_CATALOG, "catalog.toml").unwrap())
    })
}

#[test]
fn clear_texts_get_their_category() {
    let cases = [
        ("梅川镇正街一家烟酒店卖假烟，包装印刷模糊", "counterfeit"),
        ("有人在微信朋友圈卖烟，还能快递到家", "online_sale"),
        (
            "客户经理从来不来拜访，打电话也不接",
            "account_manager_service",
        ),
        ("请问每周几可以订货？忘记密码了怎么办", "order_consultation"),
        ("这周的烟到现在还没送到，送货太晚了", "late_delivery"),
        ("送货员态度恶劣，把烟往地上扔", "delivery_attitude"),
        (
            "今天到的货少了一条，还有两条包装破损",
            "damaged_or_wrong_goods",
        ),
        ("学校门口小卖部卖烟给学生", "sale_to_minors"),
        ("建议烟草公司增加紧俏烟的投放透明度", "suggestion"),
    ];
    for (text, want) in cases {
        let got = classifier().classify(text);
        assert_eq!(got.category, want, "{text}: {got:?}");
    }
}

#[test]
fn nothing_recognisable_falls_back_to_other() {
    let got = classifier().classify("你好");
    assert_eq!(got.category, "other");
    assert_eq!(got.urgency, Urgency::IV);
    assert!(got.confidence < 0.9, "{got:?}");
}

#[test]
fn alternatives_are_three_best_first_and_start_with_the_category() {
    let got = classifier().classify("花桥镇有家店没有许可证还在卖烟");
    assert_eq!(got.alternatives.len(), 3);
    assert_eq!(got.alternatives[0].0, got.category);
    assert!((got.alternatives[0].1 - got.confidence).abs() < 1e-12);
    assert!(got.alternatives.windows(2).all(|w| w[0].1 >= w[1].1));
    assert!(
        got.alternatives
            .iter()
            .all(|(_, p)| (0.0..=1.0).contains(p))
    );
}

#[test]
fn escalation_phrases_raise_to_grade_one() {
    let plain = classifier().classify("龙坪镇有家店卖假烟");
    assert_eq!(plain.category, "counterfeit");
    assert_eq!(plain.urgency, Urgency::II);
    assert_eq!(plain.escalated_by, None);

    let big = classifier().classify("龙坪镇有个仓库卖假烟，都是成箱的");
    assert_eq!(big.category, "counterfeit");
    assert_eq!(big.urgency, Urgency::I);
    assert!(big.escalated_by.is_some(), "{big:?}");
}

#[test]
fn a_global_escalation_phrase_raises_any_category() {
    let got = classifier().classify("市管员去查无证经营，老板暴力抗法");
    assert_eq!(got.urgency, Urgency::I, "{got:?}");
    assert_eq!(got.escalated_by.as_deref(), Some("暴力抗法"));
}

#[test]
fn grade_is_never_lowered() {
    let got = classifier().classify("有辆车在运输卷烟，没有准运证");
    assert_eq!(got.category, "unlicensed_transport");
    assert_eq!(got.urgency, Urgency::I);
}

#[test]
fn a_denied_word_counts_less() {
    let c = classifier();
    let plain: f64 = c
        .explain("买到假烟")
        .iter()
        .filter(|e| e.term == "假烟")
        .map(|e| e.weight)
        .sum();
    let denied: f64 = c
        .explain("这次不是假烟")
        .iter()
        .filter(|e| e.term == "假烟")
        .map(|e| e.weight)
        .sum();
    assert!(denied < plain * 0.5, "{denied} vs {plain}");
}

#[test]
fn town_names_stay_whole() {
    let c = classifier();
    let tokens: Vec<&str> = c
        .jieba
        .cut("石佛寺镇大法寺镇万丈湖街道", false)
        .into_iter()
        .map(|t| t.word)
        .collect();
    assert_eq!(tokens, ["石佛寺镇", "大法寺镇", "万丈湖街道"]);
}

#[test]
fn full_width_and_spaces_do_not_matter() {
    let a = classifier().classify("ＱＱ群里 有人 卖烟");
    let b = classifier().classify("qq群里有人卖烟");
    assert_eq!(a, b);
}

#[test]
fn the_platforms_kind_breaks_ties_towards_its_categories() {
    use crate::domain::catalog::Kind;
    // Nothing recognisable: still `other`, but a consultation's runner-up is the category
    // that takes consultations alone.
    let got = classifier().classify_as("你好", Some(Kind::Consultation));
    assert_eq!(got.category, "other");
    assert_eq!(got.alternatives[1].0, "order_consultation", "{got:?}");
    let plain = classifier().classify("你好");
    assert_ne!(plain.alternatives[1].0, "order_consultation", "{plain:?}");
}

#[test]
fn the_act_outranks_the_goods() {
    let got = classifier().classify("学校门口的小卖部卖假烟给学生");
    assert_eq!(got.category, "sale_to_minors", "{got:?}");
    let got = classifier().classify("朋友圈有人卖假烟，加微信就能买");
    assert_eq!(got.category, "online_sale", "{got:?}");
}

#[test]
fn suggest_raises_a_given_grade_but_never_lowers_one() {
    use crate::domain::catalog::Kind;
    use crate::domain::ticket::{Location, NewTicket, Source};
    let new = |category: Option<&str>, urgency: Option<Urgency>, text: &str| NewTicket {
        source: Source::Hotline,
        external_id: None,
        kind: Kind::Report,
        category: category.map(str::to_owned),
        urgency,
        description: text.to_owned(),
        reporter: None,
        location: Location::default(),
        received_at: None,
        possible_duplicate_of: None,
        retailer_candidates: Vec::new(),
        suggestion: None,
    };
    // A feed grade of III and a bulk lead: grade I.
    let mut t = new(Some("counterfeit"), Some(Urgency::III), "一车假烟正在卸货");
    classifier().suggest(&mut t);
    assert_eq!(t.urgency, Some(Urgency::I));
    assert_eq!(t.category.as_deref(), Some("counterfeit"));
    // The given category's own phrases count even when the classifier reads another one.
    let mut t = new(
        Some("counterfeit"),
        Some(Urgency::II),
        "送货员说仓库里有几十条",
    );
    classifier().suggest(&mut t);
    assert_eq!(t.urgency, Some(Urgency::I), "{:?}", t.suggestion);
    // Nothing to escalate: the given grade stays, a missing one stays missing.
    let mut t = new(None, Some(Urgency::II), "这周的烟到现在还没送到");
    classifier().suggest(&mut t);
    assert_eq!(t.urgency, Some(Urgency::II));
    assert_eq!(t.category.as_deref(), Some("late_delivery"));
    let mut t = new(None, None, "这周的烟到现在还没送到");
    classifier().suggest(&mut t);
    assert_eq!(t.urgency, None);
    // A given grade I is never lowered.
    let mut t = new(None, Some(Urgency::I), "建议增加投放透明度");
    classifier().suggest(&mut t);
    assert_eq!(t.urgency, Some(Urgency::I));
}

#[test]
fn only_an_affirmed_bulk_or_live_lead_is_grade_one() {
    for text in [
        "我正在抽的这包烟味道不对，怀疑是假烟",
        "店里没有大量假烟，就是几包味道不对",
    ] {
        let got = classifier().classify(text);
        assert_eq!(got.urgency, Urgency::II, "{text}: {got:?}");
    }
    let got = classifier().classify("一辆面包车正在往店里卸假烟，好几十条");
    assert_eq!(got.urgency, Urgency::I, "{got:?}");
}
