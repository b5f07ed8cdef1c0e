//! What callers send, checked once for every transport: text lengths, retailer licences,
//! positions, evidence and return reasons. Each check refuses with a coded [`Rejection`]
//! (the error-code table gives its status) and changes nothing.
//!
//! Return reasons: a review or approval return lists reasons, each either a guide code with
//! an optional note (`{ "code": "missing_evidence", "note": "..." }`) or, as before codes
//! existed, plain text. Plain text equal to a code is that code; any other text is filed
//! under `other` with the text as its note. An unknown code is refused with the list of
//! allowed ones, so a console can show them.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::catalog::Catalog;
use crate::domain::error_code::ErrorCode;
use crate::domain::geo::LatLng;
use crate::domain::ticket::{Evidence, Rejection, ReturnReason};

#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
pub struct LatLngDto {
    pub lat: f64,
    pub lng: f64,
}

impl LatLngDto {
    pub fn parse(self) -> Result<LatLng, Rejection> {
        LatLng::new(self.lat, self.lng).map_err(|m| Rejection::rule(ErrorCode::BadPosition, m))
    }
}

impl From<LatLng> for LatLngDto {
    fn from(p: LatLng) -> Self {
        Self {
            lat: p.lat(),
            lng: p.lng(),
        }
    }
}

/// Longest accepted free texts, in characters.
pub const MAX_DESCRIPTION: usize = 4000;
pub const MAX_SHORT: usize = 200;

pub fn check_len(field: &str, value: &str, max: usize) -> Result<(), Rejection> {
    let n = value.chars().count();
    if n > max {
        return Err(Rejection::rule(
            ErrorCode::TooLong,
            format!("`{field}` has {n} characters; at most {max} are allowed"),
        ));
    }
    Ok(())
}

/// A retailer licence as sent: at most 32 characters, trimmed, and not blank (a shop that
/// is not known is left out, not sent empty).
pub fn licence(raw: Option<String>) -> Result<Option<String>, Rejection> {
    check_opt("retailer_licence", &raw, 32)?;
    match raw {
        None => Ok(None),
        Some(l) if l.trim().is_empty() => Err(Rejection::rule(
            ErrorCode::BlankRetailerLicence,
            "`retailer_licence` is blank: leave it out when the shop's licence is not known",
        )),
        Some(l) => Ok(Some(l.trim().to_owned())),
    }
}

pub fn check_opt(field: &str, value: &Option<String>, max: usize) -> Result<(), Rejection> {
    value
        .as_deref()
        .map_or(Ok(()), |v| check_len(field, v, max))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct EvidenceDto {
    /// One of the guide's evidence kinds (`photo`, `inspection_record`, ...; `GET /catalog`
    /// lists them as `evidence_kinds`); anything else is refused.
    pub kind: String,
    /// Where the file is kept (an attachment id or URL of the document system). May be
    /// left out when `sha256` names a file the engine keeps.
    #[serde(default)]
    pub reference: String,
    pub note: Option<String>,
    /// A file attached to this ticket (`POST /tickets/{id}/evidence`), by its SHA-256: the
    /// timeline then shows exactly which bytes the record or report carried. A hash not
    /// attached to the ticket is refused (422 `evidence_not_attached`).
    #[serde(default)]
    pub sha256: Option<String>,
}

impl EvidenceDto {
    /// Checks sizes and kinds: an unknown kind (a typo such as `photos`) is refused with
    /// 422 `unknown_evidence_kind` and the allowed kinds, since stored as it is it would
    /// silently leave the kind the template asks for missing.
    pub fn parse_all(
        items: Vec<EvidenceDto>,
        catalog: &Catalog,
    ) -> Result<Vec<Evidence>, Rejection> {
        if items.len() > 100 {
            return Err(Rejection::rule(
                ErrorCode::TooMany,
                "at most 100 evidence items",
            ));
        }
        let known = catalog.evidence_kinds();
        items
            .into_iter()
            .map(|e| {
                check_len("evidence.kind", &e.kind, 64)?;
                check_len("evidence.reference", &e.reference, 500)?;
                check_opt("evidence.note", &e.note, 1000)?;
                let sha256 = e.sha256.map(|h| h.trim().to_ascii_lowercase());
                if let Some(h) = &sha256
                    && !crate::domain::ticket::is_sha256(h)
                {
                    return Err(Rejection::rule(
                        ErrorCode::BadEvidence,
                        "`evidence.sha256` must be a SHA-256: 64 hex digits",
                    ));
                }
                if e.kind.trim().is_empty() || (e.reference.trim().is_empty() && sha256.is_none())
                {
                    return Err(Rejection::rule(
                        ErrorCode::BadEvidence,
                        "evidence needs a kind and a reference (or the `sha256` of a file attached to the ticket)",
                    ));
                }
                if !known.contains(&e.kind.as_str()) {
                    return Err(Rejection::rule(
                        ErrorCode::UnknownEvidenceKind,
                        format!(
                            "`{}` is not an evidence kind; use one of {}",
                            e.kind,
                            known.join(", ")
                        ),
                    )
                    .with_details(serde_json::json!({ "kind": e.kind, "allowed": known })));
                }
                // A file the engine keeps is referred to by its route when no other
                // reference was given.
                let reference = match (&sha256, e.reference.trim().is_empty()) {
                    (Some(h), true) => format!("evidence/{h}"),
                    _ => e.reference,
                };
                Ok(Evidence {
                    kind: e.kind,
                    reference,
                    note: e.note,
                    sha256,
                })
            })
            .collect()
    }
}

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

/// Checks return reasons against the guide and turns them into domain reasons. Blank plain
/// strings are dropped (they never said anything).
pub fn return_reasons(
    list: Vec<ReasonIn>,
    catalog: &Catalog,
) -> Result<Vec<ReturnReason>, Rejection> {
    if list.len() > MAX_REASONS {
        return Err(Rejection::rule(
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
                    return Err(Rejection::rule(
                        ErrorCode::UnknownReasonField,
                        format!("a reason has `code` and `note`, not `{key}`"),
                    ));
                }
                if catalog.return_reason(&code).is_none() {
                    return Err(unknown_reason_code(&code, catalog));
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
pub fn unknown_reason_code(code: &str, catalog: &Catalog) -> Rejection {
    let allowed = catalog.return_reason_codes();
    Rejection::rule(
        ErrorCode::UnknownReasonCode,
        format!(
            "`{code}` is not a return reason; use one of {}",
            allowed.join(", ")
        ),
    )
    .with_details(serde_json::json!({ "code": code, "allowed": allowed }))
}
