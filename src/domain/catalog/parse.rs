//! Reading the guide's TOML. The guide-wide tables are read in one go; each `[[category]]`
//! table is read on its own with its code at hand, so what TOML or serde finds wrong in a
//! category (a missing field, a misspelt or unknown one, a value of the wrong type) names
//! the file, the category (its code, or its place in the file when the code itself is what
//! is missing or malformed), the field and the line, like the checks that follow.

use serde::Deserialize;
use toml::Spanned;
use toml::de::{DeTable, DeValue, Deserializer, ValueDeserializer};

use super::{CatalogError, CatalogFile, Category};

/// The guide-wide tables and the categories, each deserialized but not yet checked.
pub(super) fn parse(text: &str, file: &str) -> Result<(CatalogFile, Vec<Category>), CatalogError> {
    let syntax = |mut e: toml::de::Error| {
        e.set_input(Some(text));
        CatalogError::Parse {
            file: file.to_owned(),
            message: e.to_string(),
        }
    };
    let doc = DeTable::parse(text).map_err(syntax)?;
    let span = doc.span();
    let mut root = doc.into_inner();
    let entries = match root.remove("category") {
        None => Vec::new(),
        Some(value) => match value.into_inner() {
            DeValue::Array(items) => items.into_iter().collect(),
            _ => {
                return Err(CatalogError::Parse {
                    file: file.to_owned(),
                    message: "`category` must be a list of [[category]] tables".into(),
                });
            }
        },
    };
    let guide =
        CatalogFile::deserialize(Deserializer::from(Spanned::new(span, root))).map_err(syntax)?;
    let categories = entries
        .into_iter()
        .enumerate()
        .map(|(i, entry)| category(text, file, i, entry))
        .collect::<Result<_, _>>()?;
    Ok((guide, categories))
}

/// One `[[category]]` table; `index` counts from 0 in the file's order.
fn category(
    text: &str,
    file: &str,
    index: usize,
    entry: Spanned<DeValue<'_>>,
) -> Result<Category, CatalogError> {
    let code = match entry.get_ref() {
        DeValue::Table(t) => t
            .get("code")
            .and_then(|c| c.get_ref().as_str())
            .map(str::to_owned),
        _ => None,
    };
    let name = code.unwrap_or_else(|| format!("#{} (no code)", index + 1));
    let DeValue::Table(table) = entry.get_ref() else {
        return Err(CatalogError::Category {
            file: file.to_owned(),
            category: name,
            field: "*".into(),
            message: "must be a table".into(),
        });
    };
    let field_at = |at: usize| path_at(table, at);
    Category::deserialize(ValueDeserializer::from(entry.clone())).map_err(|e| {
        let at = e.span().map(|s| s.start);
        let field = at
            .and_then(field_at)
            .or_else(|| quoted(e.message(), "missing field `"))
            .unwrap_or_else(|| "*".into());
        let line = at
            .and_then(|at| text.get(..at))
            .map(|before| before.matches('\n').count() + 1);
        let message = match line {
            Some(line) => format!("{} (line {line})", e.message()),
            None => e.message().to_owned(),
        };
        CatalogError::Category {
            file: file.to_owned(),
            category: name.clone(),
            field,
            message,
        }
    })
}

/// The dotted key path (`sla.IV.intake`) of the entry of `table` whose key or value holds
/// byte `at`; `None` when `at` is outside every entry (the table's own header).
fn path_at(table: &DeTable<'_>, at: usize) -> Option<String> {
    table.iter().find_map(|(key, value)| {
        let key_name = key.get_ref().as_ref();
        if key.span().contains(&at) {
            return Some(key_name.to_owned());
        }
        let inner = match value.get_ref() {
            DeValue::Table(t) => path_at(t, at).map(|rest| format!("{key_name}.{rest}")),
            DeValue::Array(items) => items
                .iter()
                .filter_map(|item| item.get_ref().as_table())
                .find_map(|t| path_at(t, at))
                .map(|rest| format!("{key_name}.{rest}")),
            _ => None,
        };
        inner.or_else(|| value.span().contains(&at).then(|| key_name.to_owned()))
    })
}

/// The name in backquotes right after `prefix` in a serde message.
fn quoted(message: &str, prefix: &str) -> Option<String> {
    let rest = message.strip_prefix(prefix)?;
    rest.split_once('`').map(|(name, _)| name.to_owned())
}
