//! `verify` for evidence files: every file a ticket holds (not erased) is kept, and every
//! kept file's bytes hash to its name.

use std::collections::BTreeMap;
use std::path::Path;

use super::FileStore;
use crate::store::keys;

/// What the audit found intact.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Audited {
    /// Files kept in the file store, each re-hashed.
    pub files: u64,
    /// Files tickets hold (not erased), each found.
    pub held: u64,
}

/// Audits the evidence files of the store at `store` (not open in another process).
pub fn audit(store: &Path) -> Result<Audited, String> {
    let files = FileStore::of_store(store);
    let db = sled::Config::new()
        .path(store)
        .flush_every_ms(None)
        .open()
        .map_err(|e| format!("cannot open the store at {}: {e}", store.display()))?;
    let main = db
        .open_tree("main")
        .map_err(|e| format!("cannot open the store: {e}"))?;
    // Every held file and the first ticket holding it.
    let mut held: BTreeMap<String, String> = BTreeMap::new();
    for kv in main.scan_prefix([keys::TICKET]) {
        let (key, value) = kv.map_err(|e| format!("reading the store: {e}"))?;
        if key.len() != 17 {
            continue;
        }
        let ticket: crate::domain::ticket::Ticket = serde_json::from_slice(&value)
            .map_err(|e| format!("a ticket snapshot cannot be read: {e}"))?;
        for f in ticket.files.iter().filter(|f| !f.erased) {
            held.entry(f.attachment.sha256.clone())
                .or_insert_with(|| ticket.number.to_string());
        }
    }
    for (hash, number) in &held {
        if !files.contains(hash) {
            return Err(format!(
                "ticket {number} holds evidence file {hash}, which is missing from {}",
                files.dir().display()
            ));
        }
    }
    let broken = files
        .check()
        .map_err(|e| format!("reading the evidence files: {e}"))?;
    if let Some(hash) = broken.first() {
        return Err(format!(
            "evidence file {hash} does not hash to its name: its bytes were altered{}",
            held.get(hash)
                .map(|n| format!(" (held by ticket {n})"))
                .unwrap_or_default()
        ));
    }
    let kept = files
        .stored()
        .map_err(|e| format!("reading the evidence files: {e}"))?
        .len() as u64;
    Ok(Audited {
        files: kept,
        held: held.len() as u64,
    })
}
