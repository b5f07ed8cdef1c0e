//! Grading: a ticket takes its category's default grade, raised to I (never lowered) when
//! an escalation phrase of that category or a guide-wide one appears, or — for categories
//! that have escalation phrases at all (goods that can come in bulk) — when a quantity
//! reaches the guide's threshold for its unit ("三十多条", "5箱", "几十件", "卅来箱",
//! "7、8个箱子": a range counts by its larger end).

use super::lexicon::Lexicon;
use super::score;

/// Words that, right before an escalation phrase, deny it.
const DENIALS: [&str; 5] = ["没有", "没", "不是", "不", "无"];

/// The phrase or quantity that raises a ticket of `category` to grade I, if any.
pub(super) fn escalation(lexicon: &Lexicon, category: usize, text: &str) -> Option<String> {
    let entry = &lexicon.categories[category];
    // A denied phrase does not count ("没有大量假烟", "不是一车"); a hedged one does (a lead
    // is a lead). "没有" is no general negation cue ("没有许可证" names a category), but
    // right before a bulk or live phrase it denies it.
    let affirmed = |p: &&String| {
        text.match_indices(p.as_str()).any(|(at, m)| {
            let before = &text[..at];
            !DENIALS.iter().any(|d| before.ends_with(d))
                && score::cue_factor(lexicon, text, at, at + m.len()) > score::NEGATED
        })
    };
    if let Some(p) = entry
        .escalation_phrases
        .iter()
        .chain(&lexicon.global_escalation)
        .find(affirmed)
    {
        return Some(p.clone());
    }
    if entry.escalation_phrases.is_empty() {
        return None;
    }
    large_quantity(&lexicon.quantities, text)
}

/// The first "number + unit" in `text` at or above the unit's threshold.
fn large_quantity(thresholds: &[(char, u64)], text: &str) -> Option<String> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let mut i = 0;
    while i < chars.len() {
        if !is_numeral(chars[i].1) {
            i += 1;
            continue;
        }
        let start = i;
        let mut from = i;
        let mut value = 0;
        loop {
            while i < chars.len() && is_numeral(chars[i].1) {
                i += 1;
            }
            // A range ("7、8箱", "七八箱" reads itself): the larger end counts.
            value = value.max(parse_number(chars[from..i].iter().map(|&(_, c)| c)));
            let range = chars
                .get(i)
                .is_some_and(|&(_, c)| matches!(c, '、' | '-' | '~' | '到' | '至'))
                && chars.get(i + 1).is_some_and(|&(_, c)| is_numeral(c));
            if !range {
                break;
            }
            i += 1;
            from = i;
        }
        let mut j = i;
        // "十多条", "二十来箱", "百余件", "7、8个箱子".
        while j < chars.len() && matches!(chars[j].1, '多' | '来' | '余' | '个') {
            j += 1;
        }
        let Some(&(_, unit)) = chars.get(j) else {
            break;
        };
        if let Some(&(_, min)) = thresholds.iter().find(|&&(u, _)| u == unit)
            && value >= min
        {
            let end = chars.get(j + 1).map_or(text.len(), |&(b, _)| b);
            return Some(text[chars[start].0..end].to_owned());
        }
    }
    None
}

fn is_numeral(ch: char) -> bool {
    ch.is_ascii_digit() || "零一二两三四五六七八九十百千万几廿卅".contains(ch)
}

/// Reads Arabic or Chinese numerals; 几 ("a few") counts as 3, so 几十 is 30, 十几 is 13.
fn parse_number(chars: impl Iterator<Item = char>) -> u64 {
    let (mut total, mut pending, mut arabic) = (0u64, None::<u64>, None::<u64>);
    for ch in chars {
        if let Some(d) = ch.to_digit(10) {
            arabic = Some(
                arabic
                    .unwrap_or(0)
                    .saturating_mul(10)
                    .saturating_add(u64::from(d)),
            );
            continue;
        }
        if let Some(a) = arabic.take() {
            pending = Some(a);
        }
        let digit = match ch {
            '零' => Some(0),
            '一' => Some(1),
            '二' | '两' => Some(2),
            '三' | '几' => Some(3),
            '四' => Some(4),
            '五' => Some(5),
            '六' => Some(6),
            '七' => Some(7),
            '八' => Some(8),
            '九' => Some(9),
            _ => None,
        };
        if let Some(d) = digit {
            pending = Some(d);
            continue;
        }
        // 廿 and 卅 are twenty and thirty, as 二十 and 三十.
        if let Some(tens) = match ch {
            '廿' => Some(20),
            '卅' => Some(30),
            _ => None,
        } {
            total = total.saturating_add(tens);
            continue;
        }
        let scale = match ch {
            '十' => 10,
            '百' => 100,
            '千' => 1000,
            _ => 10_000,
        };
        if scale == 10_000 {
            total = (total + pending.take().unwrap_or(0)).saturating_mul(scale);
        } else {
            total = total.saturating_add(pending.take().unwrap_or(1).saturating_mul(scale));
        }
    }
    total + pending.or(arabic).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_chinese_and_arabic_numbers() {
        let n = |s: &str| parse_number(s.chars());
        assert_eq!(n("30"), 30);
        assert_eq!(n("三十"), 30);
        assert_eq!(n("几十"), 30);
        assert_eq!(n("十几"), 13);
        assert_eq!(n("两百"), 200);
        assert_eq!(n("一百二十"), 120);
        assert_eq!(n("十"), 10);
        assert_eq!(n("五"), 5);
        assert_eq!(n("3万"), 30_000);
        assert_eq!(n("廿"), 20);
        assert_eq!(n("廿五"), 25);
        assert_eq!(n("卅"), 30);
    }

    #[test]
    fn reads_ranges_and_counters() {
        let t = [('件', 2), ('箱', 5), ('条', 50)];
        assert_eq!(
            large_quantity(&t, "一趟7、8个箱子").as_deref(),
            Some("7、8个箱")
        );
        assert_eq!(large_quantity(&t, "3、4箱"), None);
        assert_eq!(
            large_quantity(&t, "廿来条烟"),
            None,
            "twenty-odd is below 50"
        );
        assert_eq!(large_quantity(&t, "卅来箱").as_deref(), Some("卅来箱"));
    }

    #[test]
    fn finds_quantities_over_the_threshold() {
        let t = [('件', 2), ('箱', 2), ('条', 50)];
        assert_eq!(large_quantity(&t, "拉了三十多条烟"), None);
        assert_eq!(
            large_quantity(&t, "拉了六十多条烟").as_deref(),
            Some("六十多条")
        );
        assert_eq!(large_quantity(&t, "一条烟,5箱货").as_deref(), Some("5箱"));
        assert_eq!(large_quantity(&t, "好几十件").as_deref(), Some("几十件"));
        assert_eq!(large_quantity(&t, "就一件"), None);
    }
}
