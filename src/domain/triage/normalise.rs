//! Text normalisation before matching: full-width ASCII to half-width, ASCII to lowercase,
//! whitespace dropped (operators type "梅川镇 正街"), and the guide's common input-method
//! slips replaced by their correct form (陪送 → 配送). Punctuation is kept: it bounds the
//! reach of a negation cue.

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
    fn fixes_variants() {
        let v = [("陪送".to_owned(), "配送".to_owned())];
        assert_eq!(normalise("陪送太慢，陪送员", &v), "配送太慢,配送员");
    }
}
