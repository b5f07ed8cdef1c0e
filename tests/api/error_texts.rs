//! The error-code table (`domain/error_code.rs`) is the whole list: every code the engine
//! answers with has a message in both languages of the pages (`err.<code>` in the Chinese
//! and the English dictionary of `i18n.js`), so no page shows the engine's English wording
//! inside the Chinese UI; a code still spelled as a literal where an error is made is one of
//! the table's; every code of the table is answered somewhere; README lists the table.

use std::collections::BTreeSet;
use std::path::Path;

use hotline_dispatch::domain::error_code::ErrorCode;

/// Codes of the table no place answers with yet, each with why it is kept.
const RESERVED: &[(&str, &str)] = &[];

/// Where an error code is written: the code is the first snake_case literal after it. A
/// maker counts where it starts a name (`RowError::new(` is not `Error::new(`).
const MAKERS: &[&str] = &[
    "ApiError::rule(",
    "ApiError::conflict(",
    "ApiError::new(",
    "Error::rule(",
    "Error::conflict(",
    "Error::new(",
    "Self::rule(",
    "Self::conflict(",
    "Self::new(",
    "Rejection::rule(",
    "require_text(",
    "ServerFrame::error(",
    "StreamFrame::error(",
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

/// The engine's source files with their text up to the first unit-test module (unit
/// tests name codes to expect, not to answer with); the table itself left out.
fn engine_sources() -> Vec<(std::path::PathBuf, String)> {
    let mut files = Vec::new();
    rust_files(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut files,
    );
    files
        .into_iter()
        .filter(|f| !f.ends_with("domain/error_code.rs"))
        .map(|f| {
            let text = std::fs::read_to_string(&f).expect("read");
            let text = text
                .split("#[cfg(test)]")
                .next()
                .unwrap_or_default()
                .to_owned();
            (f, text)
        })
        .collect()
}

/// The codes spelled as literals where an error is made.
fn spelled_codes() -> BTreeSet<String> {
    let mut codes = BTreeSet::new();
    for (_, text) in engine_sources() {
        for maker in MAKERS {
            let mut at = 0;
            while let Some(i) = text[at..].find(maker) {
                let start = at + i + maker.len();
                let starts_a_name = text[..at + i]
                    .chars()
                    .next_back()
                    .is_none_or(|c| !c.is_alphanumeric() && c != '_');
                if !starts_a_name {
                    at = start;
                    continue;
                }
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
fn the_scan_reads_a_literal_code() {
    assert_eq!(
        first_code(r#""too_long", format!("at most {n} (x)")).x"#).as_deref(),
        Some("too_long")
    );
    assert_eq!(first_code(r#"ErrorCode::TooLong, "Too long")"#), None);
}

#[test]
fn codes_spelled_outside_the_table_are_the_tables() {
    let strays: Vec<_> = spelled_codes()
        .into_iter()
        .filter(|c| ErrorCode::from_wire(c).is_none())
        .collect();
    assert!(
        strays.is_empty(),
        "error codes missing from domain/error_code.rs: {strays:?}"
    );
}

#[test]
fn every_code_of_the_table_is_answered_somewhere_or_reserved() {
    let sources = engine_sources();
    let used = |code: ErrorCode| {
        let variant = format!("ErrorCode::{code:?}");
        let literal = format!("\"{}\"", code.as_str());
        sources.iter().any(|(_, text)| {
            text.contains(&literal)
                || text.match_indices(&variant).any(|(i, m)| {
                    !text[i + m.len()..].starts_with(|c: char| c.is_ascii_alphanumeric())
                })
        })
    };
    let unused: Vec<_> = ErrorCode::ALL
        .iter()
        .filter(|c| !used(**c) && !RESERVED.iter().any(|(r, _)| *r == c.as_str()))
        .collect();
    assert!(unused.is_empty(), "codes nothing answers with: {unused:?}");
    for (code, why) in RESERVED {
        let code = ErrorCode::from_wire(code).expect("a reserved code is in the table");
        assert!(!used(code), "`{code}` is used: not reserved ({why})");
    }
}

#[test]
fn readme_lists_the_table() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md"))
        .expect("README.md");
    let table = ErrorCode::markdown_table();
    assert!(
        readme.contains(&table),
        "README's API overview lists the error codes as domain/error_code.rs has them:\n{table}"
    );
}

#[test]
fn every_engine_error_code_has_a_chinese_and_an_english_message() {
    let mut codes = spelled_codes();
    codes.extend(ErrorCode::ALL.iter().map(|c| c.as_str().to_owned()));
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
