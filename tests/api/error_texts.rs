//! Every error code the engine answers with has a message in both languages of the pages
//! (`err.<code>` in the Chinese and the English dictionary of `i18n.js`), so no page shows
//! the engine's English wording inside the Chinese UI. The codes are read from the source:
//! the first snake_case string literal of every place an error is made.

use std::collections::BTreeSet;
use std::path::Path;

/// Where an error code is written: the code is the first snake_case literal after it.
const MAKERS: &[&str] = &[
    "ApiError::rule(",
    "ApiError::conflict(",
    "ApiError::new(",
    "Self::rule(",
    "Self::conflict(",
    "Self::new(",
    "Rejection::rule(",
    "require_text(",
    "Frame::error(",
    "code: \"",
];

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            // Test modules name codes to expect, not to answer with.
            && path.file_name().is_none_or(|n| n != "tests.rs")
            && !path.components().any(|c| c.as_os_str() == "tests")
        {
            out.push(path);
        }
    }
}

/// The first string literal among a call's arguments (`s` starts just inside its
/// parenthesis; `"...` for a `code: "..."` field) that is a snake_case code.
fn first_code(s: &str) -> Option<String> {
    let mut depth = 1;
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => {
                depth -= 1;
                if depth == 0 {
                    return None;
                }
            }
            '"' => {
                let rest = &s[i + 1..];
                let close = rest.find('"')?;
                let lit = &rest[..close];
                let code = lit.starts_with(|c: char| c.is_ascii_lowercase())
                    && lit
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
                if code {
                    return Some(lit.to_owned());
                }
                for _ in 0..=lit.chars().count() {
                    chars.next();
                }
            }
            _ => {}
        }
    }
    None
}

fn engine_codes() -> BTreeSet<String> {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    let mut codes = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        // Unit tests name codes to expect, not to answer with.
        let text = text.split("#[cfg(test)]").next().unwrap_or_default();
        for maker in MAKERS {
            let mut at = 0;
            while let Some(i) = text[at..].find(maker) {
                let start = at + i + maker.len();
                let from = if maker.ends_with('"') {
                    start - 1
                } else {
                    start
                };
                codes.extend(first_code(&text[from..]));
                at = start;
            }
        }
    }
    codes
}

#[test]
fn every_engine_error_code_has_a_chinese_and_an_english_message() {
    let codes = engine_codes();
    for known in [
        "illegal_transition",
        "reason_required",
        "report_incomplete",
        "vehicle_offline",
    ] {
        assert!(codes.contains(known), "the scan finds `{known}`: {codes:?}");
    }
    let i18n = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("src/web/assets/js/i18n.js"),
    )
    .expect("i18n.js");
    let (zh, en) = i18n
        .split_once("\n  en: {")
        .expect("the English dictionary");
    let missing: Vec<_> = codes
        .iter()
        .filter(|c| {
            let key = format!("'err.{c}':");
            !zh.contains(&key) || !en.contains(&key)
        })
        .collect();
    assert!(
        missing.is_empty(),
        "error codes without a message in both languages: {missing:?}"
    );
    for key in ["'err.unknown':", "'err.network':"] {
        assert!(zh.contains(key) && en.contains(key), "{key}");
    }
}
