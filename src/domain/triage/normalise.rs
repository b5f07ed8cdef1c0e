//! Text normalisation before matching: full-width ASCII to half-width, ASCII to lowercase,
//! whitespace dropped (operators type "梅川镇 正街"), and the guide's common input-method
//! slips replaced by their correct form (陪送 → 配送). Punctuation is kept: it bounds the
//! reach of a negation cue. Then a guide term typed with a character that sounds alike
//! (黄河楼, 客户经里) is read as the term.

use std::collections::HashMap;

/// Normalises `text` and fixes the `variants` (wrong, right), longest wrong form first.
pub(super) fn normalise(text: &str, variants: &[(String, String)]) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        let ch = match ch {
            '\u{3000}' => ' ',
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(ch as u32 - 0xFEE0).unwrap_or(ch),
            _ => ch,
        };
        if ch.is_whitespace() {
            continue;
        }
        out.push(ch.to_ascii_lowercase());
    }
    for (wrong, right) in variants {
        if out.contains(wrong.as_str()) {
            out = out.replace(wrong.as_str(), right);
        }
    }
    out
}

/// Replaces every guide term typed with a homophone (黄河楼 → 黄鹤楼): `homophones` maps
/// the typed forms to the terms, none longer than `longest` characters; the longest form
/// at each position wins.
pub(super) fn fix_homophones(
    text: String,
    homophones: &HashMap<String, String>,
    longest: usize,
) -> String {
    if homophones.is_empty() {
        return text;
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    let mut changed = false;
    'outer: while i < chars.len() {
        for len in (3..=longest.min(chars.len() - i)).rev() {
            let window: String = chars[i..i + len].iter().collect();
            if let Some(term) = homophones.get(&window) {
                out.push_str(term);
                i += len;
                changed = true;
                continue 'outer;
            }
        }
        out.push(chars[i]);
        i += 1;
    }
    if changed { out } else { text }
}

/// Whether `ch` ends a clause, so a negation before it does not reach past it.
pub(super) fn is_clause_break(ch: char) -> bool {
    matches!(
        ch,
        '，' | '。' | '；' | '！' | '？' | '、' | ',' | '.' | ';' | '!' | '?' | ':' | '：' | '\n'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_width_case_and_spaces() {
        assert_eq!(normalise("ＱＱ群 里　卖 烟！", &[]), "qq群里卖烟!");
    }

    #[test]
    fn fixes_homophones_of_terms_only() {
        let map: HashMap<String, String> = [("黄河楼", "黄鹤楼"), ("客户经里", "客户经理")]
            .into_iter()
            .map(|(a, b)| (a.to_owned(), b.to_owned()))
            .collect();
        assert_eq!(
            fix_homophones("买了黄河楼找客户经里".into(), &map, 4),
            "买了黄鹤楼找客户经理"
        );
        assert_eq!(fix_homophones("黄河边".into(), &map, 4), "黄河边");
    }

    #[test]
    fn fixes_variants() {
        let v = [("陪送".to_owned(), "配送".to_owned())];
        assert_eq!(normalise("陪送太慢，陪送员", &v), "配送太慢,配送员");
    }
}
