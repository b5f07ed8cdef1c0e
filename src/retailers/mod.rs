//! The retailer registry service (零售户信息库): the registry and its search index in
//! memory, loaded from the store at start. An import is all or nothing: the file is parsed
//! as it arrives (`stream.rs`: the body is never held whole, only the rows it yields) and
//! validated whole; then a new index (old retailers plus the imported ones, which replace
//! any with the same licence) is built, written to the store as a new generation and made
//! the registry by one small durable write (`stored.rs`), and only then swapped in.
//! Searches read the current index without waiting for an import to finish.

mod stored;
pub mod stream;

use std::sync::Arc;

use parking_lot::RwLock;
use serde::Serialize;

use crate::domain::ids::StaffId;
use crate::domain::retailer::Retailer;
use crate::domain::retailer::csv::{RowError, parse_lines, parse_reader};
use crate::domain::retailer::search::{Hit, SearchIndex, confident};
use crate::roster::Roster;
use crate::store::{Store, StoreError};

pub use self::stream::BodyError;

/// What an import did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportReport {
    /// Rows written (new and replaced).
    pub imported: usize,
    /// Of those, rows that replaced a retailer with the same licence.
    pub replaced: usize,
    /// Rows imported as they are but naming staff the roster does not hold, in line order.
    pub warnings: Vec<StaffWarning>,
}

/// An imported row whose market inspector or account manager is no one on the roster
/// (yet): the row is kept — the roster may be filled in later — but what rests on that
/// person does not work until then.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StaffWarning {
    /// 1-based line of the file (the header is line 1).
    pub line: u64,
    pub licence: String,
    /// `market_inspector` or `account_manager`.
    pub field: &'static str,
    pub staff_id: String,
    pub message: String,
}

/// What `match_text` found in an intake's text.
#[derive(Clone, Debug)]
pub struct TextMatch {
    /// Best first, with scores 0..1.
    pub candidates: Vec<(Retailer, f64)>,
    /// True if the first candidate can be taken as the retailer meant without asking.
    pub confident: bool,
}

/// Why an import changed nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file has problems; every one is listed.
    #[error("{} row problem(s) in the file", .0.len())]
    BadRows(Vec<RowError>),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The request body could not be read whole.
    #[error(transparent)]
    Body(#[from] BodyError),
}

/// The registry and its search index.
pub struct RetailerBook {
    store: Arc<dyn Store>,
    /// The current index; replaced whole by an import.
    index: RwLock<Arc<SearchIndex>>,
    /// One import at a time, so two imports cannot each build on the index before the
    /// other and lose its rows. Holds the stored generation the index came from (`None`:
    /// an older store's per-licence records, or none).
    importing: tokio::sync::Mutex<Option<stored::Pointer>>,
}

/// Runs CPU-heavy work (parsing, indexing) off the async workers when a runtime is there.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) => handle
            .spawn_blocking(f)
            .await
            .map_err(|e| StoreError::Io(format!("registry worker failed: {e}"))),
        Err(_) => Ok(f()),
    }
}

impl RetailerBook {
    /// Loads every stored retailer and indexes them.
    pub fn load(store: Arc<dyn Store>) -> Result<RetailerBook, StoreError> {
        let (retailers, pointer) = stored::load(store.as_ref())?;
        let count = retailers.len();
        let index = SearchIndex::build(retailers);
        tracing::info!(retailers = count, "retailer registry loaded");
        Ok(RetailerBook {
            store,
            index: RwLock::new(Arc::new(index)),
            importing: tokio::sync::Mutex::new(pointer),
        })
    }

    /// Cluster mode: reads the registry again after another node imported one.
    pub fn reload(&self) -> Result<(), StoreError> {
        let (retailers, pointer) = stored::load(self.store.as_ref())?;
        *self.index.write() = Arc::new(SearchIndex::build(retailers));
        // The next import here builds on the generation now stored (an import running
        // here meanwhile writes its own, and keeps its pointer).
        if let Ok(mut stored_as) = self.importing.try_lock() {
            *stored_as = pointer;
        }
        Ok(())
    }

    /// The current index (a snapshot: later imports do not change it).
    pub fn snapshot(&self) -> Arc<SearchIndex> {
        self.index.read().clone()
    }

    /// Imports a CSV file (see [`crate::domain::retailer::csv`]): every row or nothing.
    /// Rows naming staff that `roster` does not hold are imported and reported as warnings.
    pub async fn import(&self, csv: Vec<u8>, roster: &Roster) -> Result<ImportReport, ImportError> {
        let lines = blocking(move || parse_lines(&csv))
            .await?
            .map_err(ImportError::BadRows)?;
        self.commit(lines, roster).await
    }

    /// [`Self::import`] of a file read from `body` as it arrives (a request body): only the
    /// parsed rows are kept, never the file. A body that fails (over its limit, cut off)
    /// imports nothing and is [`ImportError::Body`].
    pub async fn import_stream<S>(
        &self,
        body: S,
        roster: &Roster,
    ) -> Result<ImportReport, ImportError>
    where
        S: futures_util::Stream<Item = Result<actix_web::web::Bytes, BodyError>> + Unpin,
    {
        use futures_util::future::{Either, select};
        let (reader, feed) = stream::pipe(body);
        let parsing = blocking(move || parse_reader(reader));
        let parsed = match select(std::pin::pin!(feed), std::pin::pin!(parsing)).await {
            // The body has all come in (or failed): the parser finishes what it was given.
            Either::Left((None, parsing)) => parsing.await,
            Either::Left((Some(failed), _)) => return Err(failed.into()),
            // The parser stopped before the body ended (the file is bad): the rest of the
            // body is not read.
            Either::Right((parsed, _)) => parsed,
        };
        let lines = parsed?
            .map_err(|e| BodyError::Broken(e.to_string()))?
            .map_err(ImportError::BadRows)?;
        self.commit(lines, roster).await
    }

    /// Writes parsed rows as the registry's next generation and swaps the new index in.
    async fn commit(
        &self,
        lines: Vec<(u64, Retailer)>,
        roster: &Roster,
    ) -> Result<ImportReport, ImportError> {
        let warnings = staff_warnings(&lines, roster)?;
        let rows: Vec<Retailer> = lines.into_iter().map(|(_, r)| r).collect();
        let mut stored_as = self.importing.lock().await;
        let current = self.snapshot();
        let replaced = rows
            .iter()
            .filter(|r| current.get(r.licence().as_str()).is_some())
            .count();
        let imported = rows.len();
        // The old retailers plus the new rows, built before anything is written...
        let index = Arc::new(
            blocking(move || {
                let mut all: Vec<Retailer> = current.retailers().to_vec();
                all.extend(rows);
                SearchIndex::build(all)
            })
            .await?,
        );
        // ... written as the next generation, and swapped in once that is durable.
        let previous = *stored_as;
        *stored_as = Some(stored::write_generation(&self.store, &index, previous).await?);
        let total = index.len();
        *self.index.write() = index;
        if let Err(e) = stored::clear_previous(&self.store, previous).await {
            tracing::warn!(error = %e, "the previous registry generation could not be deleted (nothing reads it any more)");
        }
        tracing::info!(
            imported,
            replaced,
            total,
            warnings = warnings.len(),
            "retailers imported"
        );
        Ok(ImportReport {
            imported,
            replaced,
            warnings,
        })
    }

    pub fn get(&self, licence: &str) -> Option<Retailer> {
        self.snapshot().get(licence).cloned()
    }

    /// The best `limit` retailers for a query, with their scores. A query of digits (six
    /// or more: a licence number as an inspector reads it off the wall, whole or in part)
    /// first lists the licences that contain it, with score 1.
    pub fn search(&self, query: &str, limit: usize) -> Vec<(Retailer, f64)> {
        let index = self.snapshot();
        let digits = query.trim();
        let mut out: Vec<(Retailer, f64)> = Vec::new();
        if digits.len() >= MIN_LICENCE_DIGITS && digits.bytes().all(|b| b.is_ascii_digit()) {
            out.extend(
                index
                    .retailers()
                    .iter()
                    .filter(|r| r.licence().as_str().contains(digits))
                    .take(limit)
                    .map(|r| (r.clone(), 1.0)),
            );
        }
        for hit in resolve(&index, index.search(query, limit)) {
            if out.len() >= limit {
                break;
            }
            if !out.iter().any(|(r, _)| r.licence() == hit.0.licence()) {
                out.push(hit);
            }
        }
        out
    }

    /// Retailers mentioned in an intake's free text (description and address as the
    /// citizen gave them), best first, and whether the first one can be taken as meant
    /// (see [`confident`] for the threshold).
    pub fn match_text(&self, description: &str, address: &str, limit: usize) -> TextMatch {
        let index = self.snapshot();
        let hits = index.match_text(description, address, limit);
        TextMatch {
            confident: confident(&hits),
            candidates: resolve(&index, hits),
        }
    }

    pub fn len(&self) -> usize {
        self.snapshot().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Every staff id of the rows that the roster does not hold (each id looked up once).
fn staff_warnings(
    rows: &[(u64, Retailer)],
    roster: &Roster,
) -> Result<Vec<StaffWarning>, StoreError> {
    let mut known: std::collections::HashMap<StaffId, bool> = std::collections::HashMap::new();
    let mut warnings = Vec::new();
    for (line, r) in rows {
        let people = [
            (
                "market_inspector",
                r.market_inspector(),
                "the own-team preference in dispatch will not apply to this shop",
            ),
            (
                "account_manager",
                r.account_manager(),
                "the shop's account manager cannot be reached through the engine (e.g. in a collaboration group)",
            ),
        ];
        for (field, id, consequence) in people {
            let Some(id) = id else { continue };
            let on_roster = match known.get(id) {
                Some(&k) => k,
                None => {
                    let k = roster.staff(id)?.is_some();
                    known.insert(id.clone(), k);
                    k
                }
            };
            if !on_roster {
                warnings.push(StaffWarning {
                    line: *line,
                    licence: r.licence().to_string(),
                    field,
                    staff_id: id.to_string(),
                    message: format!("`{id}` is not on the staff roster: {consequence}"),
                });
            }
        }
    }
    Ok(warnings)
}

/// Fewest digits a query needs to be looked up among licence numbers.
const MIN_LICENCE_DIGITS: usize = 6;

fn resolve(index: &SearchIndex, hits: Vec<Hit>) -> Vec<(Retailer, f64)> {
    hits.into_iter()
        .filter_map(|h| index.get(h.licence.as_str()).map(|r| (r.clone(), h.score)))
        .collect()
}

impl RetailerBook {
    /// Resolves an intake's place against the registry: a registry licence fills in the
    /// position; otherwise a confident match in the description and address names the
    /// retailer and its position; failing that, the likely retailers are kept for the
    /// dispatcher to confirm at triage. A licence the registry does not hold does not
    /// refuse the report (the registry may lag behind the platform): it is kept as
    /// `reported_licence` for the dispatcher and the text is matched as if none was sent.
    pub fn resolve(&self, new: &mut crate::domain::ticket::NewTicket) {
        use crate::domain::ticket::RetailerCandidate;
        let loc = &mut new.location;
        if let Some(licence) = loc.retailer_licence.take() {
            if let Some(r) = self.get(&licence) {
                loc.position.get_or_insert(r.position());
                loc.retailer_licence = Some(licence);
                return;
            }
            tracing::info!(%licence, "intake names a licence the registry does not hold");
            loc.reported_licence = Some(licence);
        }
        let found = self.match_text(
            &new.description,
            loc.address_text.as_deref().unwrap_or(""),
            5,
        );
        match found.candidates.first() {
            Some((r, _)) if found.confident => {
                loc.retailer_licence = Some(r.licence().as_str().to_owned());
                loc.position.get_or_insert(r.position());
            }
            _ => {
                new.retailer_candidates = found
                    .candidates
                    .iter()
                    // Up to five shops sharing a name or address fragment with the text:
                    // the dispatcher, who can call back, is the judge of weak matches.
                    .filter(|(_, score)| *score > 0.0)
                    .map(|(r, score)| RetailerCandidate {
                        licence: r.licence().as_str().to_owned(),
                        name: r.name().to_owned(),
                        address: r.address().to_owned(),
                        score: (score * 1000.0).round() / 1000.0,
                    })
                    .collect();
            }
        }
    }
}
