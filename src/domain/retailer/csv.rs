//! Parsing a registry import file: UTF-8 CSV (an optional BOM is skipped) with a header
//! row naming the columns `licence,name,owner,address,town,lat,lng,market_inspector,
//! account_manager` (any order; the last two may be left out), and optionally a
//! `synthetic` column, accepted and not read: it marks made-up rows in the file itself (the
//! demo registry). The result is every row, or every problem — each with its line number,
//! the field and the reason — never a part.

use std::collections::HashMap;

use serde::Serialize;

use super::{Retailer, RetailerDraft};

/// Columns that must be in the header.
pub const REQUIRED: [&str; 7] = ["licence", "name", "owner", "address", "town", "lat", "lng"];
/// Columns that may be in the header.
pub const OPTIONAL: [&str; 2] = ["market_inspector", "account_manager"];
/// Columns that may be in the header and are not read: `synthetic` marks rows of made-up
/// data for whoever opens the file (`config/demo/retailers.csv` says `yes` on every row).
/// Any other unknown column is refused, so a misspelt one is not silently dropped.
pub const IGNORED: [&str; 1] = ["synthetic"];

/// One problem in an import file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RowError {
    /// 1-based line of the file (the header is line 1).
    pub line: u64,
    /// The column at fault; empty when the whole row (or file) is.
    pub field: String,
    pub message: String,
}

impl RowError {
    fn new(line: u64, field: &str, message: impl Into<String>) -> Self {
        Self {
            line,
            field: field.to_owned(),
            message: message.into(),
        }
    }
}

/// Where each column sits in a row.
struct Columns {
    index: HashMap<&'static str, usize>,
    width: usize,
}

impl Columns {
    fn get<'r>(&self, row: &'r ::csv::StringRecord, name: &str) -> Option<&'r str> {
        self.index.get(name).and_then(|&i| row.get(i))
    }
}

fn header(row: &::csv::StringRecord) -> Result<Columns, Vec<RowError>> {
    let mut index = HashMap::new();
    let mut errors = Vec::new();
    for (i, raw) in row.iter().enumerate() {
        let name = raw
            .trim()
            .trim_start_matches('\u{feff}')
            .to_ascii_lowercase();
        match REQUIRED
            .iter()
            .chain(&OPTIONAL)
            .chain(&IGNORED)
            .find(|c| **c == name)
        {
            Some(known) if index.insert(*known, i).is_some() => {
                errors.push(RowError::new(1, known, "this column appears twice"));
            }
            Some(_) => {}
            None => errors.push(RowError::new(
                1,
                &name,
                format!(
                    "unknown column `{name}`; the columns are {} (the last two optional; `{}` is accepted and not read)",
                    REQUIRED
                        .iter()
                        .chain(&OPTIONAL)
                        .copied()
                        .collect::<Vec<_>>()
                        .join(","),
                    IGNORED.join("`, `")
                ),
            )),
        }
    }
    for required in REQUIRED {
        if !index.contains_key(required) {
            errors.push(RowError::new(
                1,
                required,
                "this column is missing from the header",
            ));
        }
    }
    if errors.is_empty() {
        Ok(Columns {
            index,
            width: row.len(),
        })
    } else {
        Err(errors)
    }
}

fn number(line: u64, field: &str, raw: Option<&str>, errors: &mut Vec<RowError>) -> Option<f64> {
    let raw = raw.unwrap_or("").trim();
    if raw.is_empty() {
        errors.push(RowError::new(line, field, "is required"));
        return None;
    }
    match raw.parse::<f64>() {
        Ok(v) if v.is_finite() => Some(v),
        _ => {
            errors.push(RowError::new(
                line,
                field,
                format!("`{raw}` is not a number"),
            ));
            None
        }
    }
}

/// Validates one data row into a retailer, or adds its problems to `errors`.
fn row(
    line: u64,
    cols: &Columns,
    record: &::csv::StringRecord,
    errors: &mut Vec<RowError>,
) -> Option<Retailer> {
    if record.len() != cols.width {
        errors.push(RowError::new(
            line,
            "",
            format!("expected {} columns, found {}", cols.width, record.len()),
        ));
        return None;
    }
    let field = |name| cols.get(record, name).unwrap_or("").to_owned();
    let opt = |name| cols.get(record, name).map(str::to_owned);
    let before = errors.len();
    let lat = number(line, "lat", cols.get(record, "lat"), errors);
    let lng = number(line, "lng", cols.get(record, "lng"), errors);
    let bad_number = errors.len() > before;
    let draft = RetailerDraft {
        licence: field("licence"),
        name: field("name"),
        owner: opt("owner"),
        address: field("address"),
        town: field("town"),
        // A position that did not parse was reported above; a valid stand-in lets the
        // other fields be checked without a second message about it.
        lat: lat.filter(|_| !bad_number).unwrap_or(30.0),
        lng: lng.filter(|_| !bad_number).unwrap_or(115.5),
        market_inspector: opt("market_inspector"),
        account_manager: opt("account_manager"),
    };
    match Retailer::new(draft) {
        Ok(r) if !bad_number => Some(r),
        Ok(_) => None,
        Err(problems) => {
            errors.extend(
                problems
                    .into_iter()
                    .map(|p| RowError::new(line, p.field, p.message)),
            );
            None
        }
    }
}

/// Parses a whole import file: all retailers, or every problem found (sorted by line).
pub fn parse(bytes: &[u8]) -> Result<Vec<Retailer>, Vec<RowError>> {
    parse_lines(bytes).map(|rows| rows.into_iter().map(|(_, r)| r).collect())
}

/// [`parse`], with the line each retailer came from (for warnings about imported rows).
pub fn parse_lines(bytes: &[u8]) -> Result<Vec<(u64, Retailer)>, Vec<RowError>> {
    // Reading from a slice cannot fail.
    parse_reader(bytes).unwrap_or_else(|e| Err(vec![RowError::new(1, "", e.to_string())]))
}

fn not_utf8(line: u64) -> Vec<RowError> {
    vec![RowError::new(
        line,
        "",
        "the file is not UTF-8 text (save it as \"CSV UTF-8\"; GBK is not accepted)",
    )]
}

/// [`parse_lines`] over a file read as it arrives (a request body streamed in), one record
/// at a time: only the retailers are kept, never the file. The outer error is the reader's
/// own (the body could not be read); the inner result is the file's.
#[allow(
    clippy::type_complexity,
    reason = "the two layers of failure are the point: the body's, then the file's"
)]
pub fn parse_reader<R: std::io::Read>(
    reader: R,
) -> Result<Result<Vec<(u64, Retailer)>, Vec<RowError>>, std::io::Error> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut records = reader.records();
    let cols = match records.next() {
        None => {
            return Ok(Err(vec![RowError::new(
                1,
                "",
                "the file is empty: a header row is needed",
            )]));
        }
        Some(Err(e)) => {
            return match e.kind() {
                ::csv::ErrorKind::Io(_) => Err(e.into()),
                ::csv::ErrorKind::Utf8 { .. } => Ok(Err(not_utf8(1))),
                _ => Ok(Err(vec![RowError::new(
                    1,
                    "",
                    format!("unreadable header: {e}"),
                )])),
            };
        }
        Some(Ok(h)) => match header(&h) {
            Ok(cols) => cols,
            Err(errors) => return Ok(Err(errors)),
        },
    };
    let mut errors = Vec::new();
    let mut retailers = Vec::new();
    let mut seen: HashMap<String, u64> = HashMap::new();
    for record in records {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                match e.kind() {
                    ::csv::ErrorKind::Io(_) => return Err(e.into()),
                    // A file that is not UTF-8 gets this one answer, whatever else it has.
                    ::csv::ErrorKind::Utf8 { .. } => return Ok(Err(not_utf8(line))),
                    _ => errors.push(RowError::new(line, "", format!("unreadable row: {e}"))),
                }
                continue;
            }
        };
        let line = record.position().map_or(0, |p| p.line());
        if record.iter().all(|f| f.trim().is_empty()) {
            continue; // a blank row, as spreadsheets leave at the end
        }
        let licence = cols.get(&record, "licence").unwrap_or("").trim().to_owned();
        if !licence.is_empty()
            && let Some(first) = seen.get(&licence)
        {
            errors.push(RowError::new(
                line,
                "licence",
                format!("duplicate licence `{licence}` (first at line {first})"),
            ));
            continue;
        }
        seen.insert(licence, line);
        if let Some(r) = row(line, &cols, &record, &mut errors) {
            // Once a row is bad nothing will be imported: keep only the problems.
            if errors.is_empty() {
                retailers.push((line, r));
            }
        }
    }
    if retailers.is_empty() && errors.is_empty() {
        errors.push(RowError::new(
            2,
            "",
            "the file has a header but no retailer rows",
        ));
    }
    if errors.is_empty() {
        Ok(Ok(retailers))
    } else {
        errors.sort_by_key(|e| e.line);
        Ok(Err(errors))
    }
}
