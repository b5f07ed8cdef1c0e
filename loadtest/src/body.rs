//! Realistic intake bodies as the 12313 platform would send them: a mix of categories
//! (counterfeit and smuggled reports, late-delivery complaints, ordering questions) with
//! matching kinds and Chinese descriptions, addresses in Wuxue's towns, coordinates inside
//! the city's box, and a named or anonymous reporter. Generated from a seeded RNG so a run
//! can be repeated; every body carries a unique `external_id` so each request creates a
//! ticket instead of hitting the idempotent repeat path.

use rand::Rng;
use rand::seq::IndexedRandom;
use serde::Serialize;

/// Wuxue's bounding box (WGS-84), from which intake coordinates are drawn.
pub const LAT_RANGE: (f64, f64) = (29.82, 30.22);
pub const LNG_RANGE: (f64, f64) = (115.37, 115.83);

/// One category as the load mixes it: its code, the kind of ticket the platform files it
/// as, and what citizens typically say.
struct CategoryMix {
    code: &'static str,
    kind: &'static str,
    descriptions: &'static [&'static str],
}

const CATEGORIES: &[CategoryMix] = &[
    CategoryMix {
        code: "counterfeit",
        kind: "report",
        descriptions: &[
            "梅川镇某烟酒店疑似销售假烟，包装印刷模糊",
            "超市柜台的中华烟钢印不清，烟丝颜色发暗，怀疑是假烟",
            "小卖部低价出售玉溪，条盒封口胶水痕迹明显，疑似假冒",
        ],
    },
    CategoryMix {
        code: "late_delivery",
        kind: "complaint",
        descriptions: &[
            "本周订的卷烟到现在还没送到，已经超过约定送货时间两天",
            "送货车说好上午到，下午还没来，影响店里经营",
        ],
    },
    CategoryMix {
        code: "order_consultation",
        kind: "consultation",
        descriptions: &[
            "想咨询一下网上订货系统每周几可以下单，订货量上限是多少",
            "新办证的零售户，请问怎么开通网上订货",
        ],
    },
    CategoryMix {
        code: "smuggled",
        kind: "report",
        descriptions: &[
            "农贸市场附近有人出售没有中文标识的外烟，怀疑是走私烟",
            "网吧老板私下卖免税外烟，价格比市面低很多",
        ],
    },
];

const PLACES: &[&str] = &[
    "梅川镇正街",
    "武穴街道永宁大道",
    "田镇街道江堤路",
    "刊江街道沿江路",
    "龙坪镇新街",
    "花桥镇集镇",
    "大金镇大金街",
    "石佛寺镇菜市场旁",
    "余川镇中心街",
    "四望镇四望村",
];

const NAMES: &[&str] = &[
    "张三", "李四", "王芳", "刘伟", "陈静", "杨洋", "赵敏", "黄磊",
];

/// Share of reporters who stay anonymous.
const ANONYMOUS_SHARE: f64 = 0.2;

/// The body of `POST /api/v1/tickets`, as in the public contract.
#[derive(Debug, Serialize)]
pub struct Intake {
    pub source: &'static str,
    pub external_id: String,
    pub kind: &'static str,
    pub category: &'static str,
    pub description: &'static str,
    pub reporter: Reporter,
    pub address_text: String,
    pub location: Location,
}

/// Who called; name and phone are left out when the citizen stays anonymous.
#[derive(Debug, Serialize)]
pub struct Reporter {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    pub anonymous: bool,
}

/// A WGS-84 position.
#[derive(Debug, Serialize)]
pub struct Location {
    pub lat: f64,
    pub lng: f64,
}

/// The `external_id` of request `n` of client `client` in phase `phase` of run `run`.
pub fn external_id(run: &str, phase: usize, client: usize, n: u64) -> String {
    format!("lt-{run}-p{phase}-{client}-{n}")
}

/// Draws one intake body.
pub fn intake<R: Rng>(rng: &mut R, external_id: String) -> Intake {
    // CATEGORIES and every list below are non-empty constants, so `choose` finds one.
    let cat = CATEGORIES.choose(rng).unwrap_or(&CATEGORIES[0]);
    let description = cat.descriptions.choose(rng).copied().unwrap_or_default();
    let place = PLACES.choose(rng).copied().unwrap_or_default();
    let address_text = format!("{place}{}号", rng.random_range(1..=300));
    let reporter = if rng.random_bool(ANONYMOUS_SHARE) {
        Reporter {
            name: None,
            phone: None,
            anonymous: true,
        }
    } else {
        Reporter {
            name: NAMES.choose(rng).copied(),
            phone: Some(format!("13{:09}", rng.random_range(0..1_000_000_000u32))),
            anonymous: false,
        }
    };
    let location = Location {
        lat: round6(rng.random_range(LAT_RANGE.0..=LAT_RANGE.1)),
        lng: round6(rng.random_range(LNG_RANGE.0..=LNG_RANGE.1)),
    };
    Intake {
        // The load tester's own source: the engine keeps these tickets off the public
        // board and out of the stats.
        source: "loadtest",
        external_id,
        kind: cat.kind,
        category: cat.code,
        description,
        reporter,
        address_text,
        location,
    }
}

/// Rounds to six decimals (~0.1 m), as a GPS-fed platform would send.
fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use std::collections::BTreeSet;

    #[test]
    fn bodies_stay_in_range_and_mix_categories() {
        let mut rng = StdRng::seed_from_u64(7);
        let mut seen = BTreeSet::new();
        for n in 0..2000 {
            let b = intake(&mut rng, external_id("r", 0, 0, n));
            assert!((LAT_RANGE.0..=LAT_RANGE.1).contains(&b.location.lat));
            assert!((LNG_RANGE.0..=LNG_RANGE.1).contains(&b.location.lng));
            assert!(!b.description.is_empty());
            assert_eq!(b.reporter.anonymous, b.reporter.phone.is_none());
            seen.insert((b.category, b.kind));
        }
        let cats: BTreeSet<_> = seen.iter().map(|(c, _)| *c).collect();
        assert_eq!(cats.len(), CATEGORIES.len(), "{seen:?}");
        assert_eq!(
            seen.len(),
            CATEGORIES.len(),
            "one kind per category: {seen:?}"
        );
    }

    #[test]
    fn body_serialises_as_the_contract_says() {
        let mut rng = StdRng::seed_from_u64(1);
        let b = intake(&mut rng, external_id("abc", 1, 2, 3));
        let v = serde_json::to_value(&b).expect("serialises");
        assert_eq!(v["source"], "loadtest");
        assert_eq!(v["external_id"], "lt-abc-p1-2-3");
        assert!(v["location"]["lat"].is_f64());
        assert!(v["reporter"]["anonymous"].is_boolean());
    }

    #[test]
    fn external_ids_differ_across_phases_clients_and_requests() {
        let ids: BTreeSet<_> = (0..3)
            .flat_map(|p| (0..3).flat_map(move |c| (0..3).map(move |n| external_id("r", p, c, n))))
            .collect();
        assert_eq!(ids.len(), 27);
    }
}
