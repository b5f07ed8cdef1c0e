//! Return reasons on the wire: a review or approval return lists reasons, each either a
//! guide code with an optional note (`{ "code": "missing_evidence", "note": "..." }`) or,
//! as before codes existed, plain text. Plain text equal to a code is that code; any other
//! text is filed under `other` with the text as its note. An unknown code is refused with
//! the list of allowed ones, so a console can show them.

use serde::Deserialize;
use utoipa::ToSchema;

use super::dto::check_len;
use crate::api::error::ApiError;
use crate::domain::catalog::Catalog;
use crate::domain::error_code::ErrorCode;
use crate::domain::ticket::ReturnReason;

/// Most reasons one return may carry.
const MAX_REASONS: usize = 50;
/// Longest note, in characters.
const MAX_NOTE: usize = 1000;

/// One return reason as sent.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ReasonIn {
    /// A guide reason code, with the reviewer's note.
    Coded {
        code: String,
        #[serde(default)]
        note: Option<String>,
        /// Any other key: refused, so a misspelt `notes` is not dropped in silence.
        #[serde(flatten)]
        #[schema(ignore)]
        other: std::collections::BTreeMap<String, serde_json::Value>,
    },
    /// Free text (the form used before reason codes): a code, or a note filed under `other`.
    Text(String),
}

/// Checks the reasons against the guide and turns them into domain reasons. Blank plain
/// strings are dropped (they never said anything).
pub fn parse(list: Vec<ReasonIn>, catalog: &Catalog) -> Result<Vec<ReturnReason>, ApiError> {
    if list.len() > MAX_REASONS {
        return Err(ApiError::of(
            ErrorCode::TooMany,
            format!("at most {MAX_REASONS} reasons"),
        ));
    }
    let mut out = Vec::with_capacity(list.len());
    for reason in list {
        match reason {
            ReasonIn::Text(text) => {
                check_len("reasons", &text, MAX_NOTE)?;
                let trimmed = text.trim();
                if trimmed.is_empty() {
                    continue;
                }
                out.push(match catalog.return_reason(trimmed) {
                    Some(r) => ReturnReason::new(r.code.clone(), None),
                    None => ReturnReason::other(text),
                });
            }
            ReasonIn::Coded { code, note, other } => {
                if let Some(key) = other.keys().next() {
                    return Err(ApiError::of(
                        ErrorCode::UnknownReasonField,
                        format!("a reason has `code` and `note`, not `{key}`"),
                    ));
                }
                if catalog.return_reason(&code).is_none() {
                    return Err(unknown_code(&code, catalog));
                }
                if let Some(n) = &note {
                    check_len("reasons.note", n, MAX_NOTE)?;
                }
                let note = note.filter(|n| !n.trim().is_empty());
                out.push(ReturnReason::new(code, note));
            }
        }
    }
    Ok(out)
}

/// 422 naming the code and every code the guide allows.
pub fn unknown_code(code: &str, catalog: &Catalog) -> ApiError {
    let allowed = catalog.return_reason_codes();
    ApiError::of(
        ErrorCode::UnknownReasonCode,
        format!(
            "`{code}` is not a return reason; use one of {}",
            allowed.join(", ")
        ),
    )
    .with_details(serde_json::json!({ "code": code, "allowed": allowed }))
}
