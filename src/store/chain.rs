//! The event log's hash chain: what makes the record tamper-evident.
//!
//! Each stored event carries `chain: { prev, hash }`. `hash` is SHA-256 over a domain tag,
//! `prev`, and the event's *hashed form*; `prev` is the hash of the same ticket's previous
//! event (32 zero bytes for its first). The chain is per ticket, not global, because a
//! ticket is the unit that moves: in cluster mode each partition appends its own tickets'
//! events, and a ticket's record can be checked (or handed over as evidence) on its own.
//! What a per-ticket chain cannot see by itself — a ticket's last events cut off, or a
//! whole ticket removed — is covered by the head kept beside each snapshot (`h` keys:
//! the seq and hash of the ticket's last event) and by the log's dense global ids.
//!
//! The hashed form is the stored event, without `chain`, with the reporter's name, phone
//! and address masked in its text (`redact::erase_json`), as canonical JSON (object keys
//! sorted, no spaces). Retention later writes exactly that masking into the stored event,
//! so erasing personal data leaves every hash valid. The form is computed from the stored
//! JSON itself, not from the Rust types, so a field added to an event type later does not
//! change the hashes of events already written.
//!
//! `verify` walks the whole store and names the first broken link. Anyone able to rewrite
//! the store can also recompute every hash: the digest it prints (over every ticket's
//! head) is what an operator records elsewhere to make that visible too.

use std::collections::HashMap;
use std::collections::hash_map::Entry;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::StoreError;
use super::keys;
use super::writer::u64_from;
use crate::domain::ids::TicketId;
use crate::domain::redact;
use crate::domain::ticket::{Reporter, Ticket};

/// A hash in the chain.
pub type Hash = [u8; 32];

/// The `prev` of a ticket's first event.
pub const GENESIS: Hash = [0; 32];

/// What every event's hash starts with: the version of this scheme. The masking rules of
/// `redact::erase_json` are part of the hashed form: a change to them is a new version
/// (hash new events with a new tag, check old ones with theirs), never an edit in place.
const TAG: &[u8] = b"hotline-dispatch event chain v1\0";

/// The key under which the stored event keeps its link.
const CHAIN: &str = "chain";

/// A ticket's last link: its seq and its hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Head {
    pub seq: u64,
    pub hash: Hash,
}

impl Head {
    pub fn to_bytes(self) -> [u8; 40] {
        let mut out = [0u8; 40];
        out[..8].copy_from_slice(&self.seq.to_be_bytes());
        out[8..].copy_from_slice(&self.hash);
        out
    }

    pub fn from_bytes(v: &[u8]) -> Result<Self, StoreError> {
        let bytes: [u8; 40] = v
            .try_into()
            .map_err(|_| StoreError::Corrupt("bad chain head".into()))?;
        let mut hash = [0u8; 32];
        hash.copy_from_slice(&bytes[8..]);
        Ok(Self {
            seq: u64_from(&bytes[..8])?,
            hash,
        })
    }
}

/// Links `event` (an event record as JSON, without `chain`) after `prev` and returns the
/// bytes to store and its hash.
pub fn seal(mut event: Value, prev: &Hash, reporter: Option<&Reporter>) -> (Vec<u8>, Hash) {
    let hash = link(prev, &event, reporter);
    if let Value::Object(map) = &mut event {
        map.insert(
            CHAIN.into(),
            serde_json::json!({ "prev": hex::encode(prev), "hash": hex::encode(hash) }),
        );
    }
    (canonical(&event), hash)
}

/// The hash of `event` after `prev` (any `chain` in `event` is left out).
fn link(prev: &Hash, event: &Value, reporter: Option<&Reporter>) -> Hash {
    let mut form = event.clone();
    if let Value::Object(map) = &mut form {
        map.remove(CHAIN);
    }
    redact::erase_json(&mut form, reporter);
    let mut h = Sha256::new();
    h.update(TAG);
    h.update(prev);
    h.update(canonical(&form));
    h.finalize().into()
}

/// JSON with object keys sorted at every level and no whitespace: one text per value.
fn canonical(value: &Value) -> Vec<u8> {
    fn sorted(v: &Value) -> Value {
        match v {
            Value::Object(map) => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                entries.sort_by(|a, b| a.0.cmp(b.0));
                Value::Object(
                    entries
                        .into_iter()
                        .map(|(k, v)| (k.clone(), sorted(v)))
                        .collect(),
                )
            }
            Value::Array(items) => Value::Array(items.iter().map(sorted).collect()),
            other => other.clone(),
        }
    }
    // serde_json writes an object's keys in its map's order; the map here is built sorted,
    // and (without `preserve_order`) a BTreeMap keeps them so.
    serde_json::to_vec(&sorted(value)).unwrap_or_default()
}

/// A stored event to write again: its key and its new bytes.
pub(super) type Rewrite = (Vec<u8>, Vec<u8>);

/// A ticket's stored events with the reporter's personal data erased from their text,
/// each keeping its `chain` as it was (the hashed form already had it masked): the
/// rewrites to stage, all read before any is.
pub(super) fn erased_events(
    main: &sled::Tree,
    ticket: &TicketId,
    reporter: &Reporter,
) -> Result<Vec<Rewrite>, StoreError> {
    let mut rewrites = Vec::new();
    for kv in main.scan_prefix(keys::timeline_prefix(ticket)) {
        let (_, id) = kv?;
        let key = keys::event(u64_from(&id)?);
        let Some(stored) = main.get(key)? else {
            continue;
        };
        let mut event: Value = serde_json::from_slice(&stored)?;
        let chain = match &mut event {
            Value::Object(map) => map.remove(CHAIN),
            _ => None,
        };
        redact::erase_json(&mut event, Some(reporter));
        if let (Value::Object(map), Some(chain)) = (&mut event, chain) {
            map.insert(CHAIN.into(), chain);
        }
        rewrites.push((key.to_vec(), canonical(&event)));
    }
    Ok(rewrites)
}

/// The outcome of a check of the whole store.
#[derive(Debug, PartialEq, Eq)]
pub struct Verified {
    pub events: u64,
    pub tickets: u64,
    /// SHA-256 over every ticket's head in ticket id order: one value for the whole record.
    pub digest: Hash,
}

/// The first broken link found, in words an operator can act on.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Broken(pub String);

impl From<StoreError> for Broken {
    fn from(e: StoreError) -> Self {
        Self(e.to_string())
    }
}

impl From<sled::Error> for Broken {
    fn from(e: sled::Error) -> Self {
        Self(format!("storage failure: {e}"))
    }
}

/// Opens the store at `path` without writing to it and verifies it. The engine holds the
/// store while it serves: verify a backup restored elsewhere instead.
pub fn verify_store(path: &std::path::Path) -> Result<Verified, Broken> {
    if !path.join("conf").is_file() {
        return Err(Broken(format!("no store at {}", path.display())));
    }
    let db = sled::Config::new()
        .path(path)
        .flush_every_ms(None)
        .open()
        .map_err(|e| match e {
            e if super::in_use(&e) => Broken(format!(
                "the store at {} is in use (is the engine serving it?): take a backup, restore \
                 it elsewhere and verify that",
                path.display()
            )),
            other => Broken(format!(
                "cannot open the store at {}: {other}",
                path.display()
            )),
        })?;
    let main = db.open_tree("main")?;
    if main.get(keys::CHAIN_DONE)?.is_none() && main.get(keys::LAST_EVENT_ID)?.is_some() {
        return Err(Broken(
            "the store's events are not linked yet: start the engine on it once".into(),
        ));
    }
    verify(&main)
}

/// What the walk knows of one ticket so far.
struct Walked {
    number: String,
    reporter: Option<Reporter>,
    head: Head,
}

/// Checks the whole store: every event is where its id says, ids are dense up to the last
/// acknowledged one, each ticket's events follow one another (seq, `prev`), each hash
/// matches its event, the timeline points at them, and every snapshot's head and seq are
/// its last event's.
pub fn verify(main: &sled::Tree) -> Result<Verified, Broken> {
    let last = match main.get(keys::LAST_EVENT_ID)? {
        Some(v) => u64_from(&v)?,
        None => 0,
    };
    let mut walked: HashMap<TicketId, Walked> = HashMap::new();
    let mut expected = 1u64;
    for kv in main.scan_prefix([keys::EVENT]) {
        let (key, value) = kv?;
        let id = u64_from(&key[1..])?;
        if id != expected {
            return Err(if id > expected {
                Broken(format!(
                    "event {expected} is missing (the next stored is {id})"
                ))
            } else {
                Broken(format!("event {id} is stored out of order"))
            });
        }
        if id > last {
            return Err(Broken(format!(
                "event {id} lies after the last acknowledged event ({last})"
            )));
        }
        check_event(main, id, &value, &mut walked)?;
        expected += 1;
    }
    if expected - 1 != last {
        return Err(Broken(format!(
            "the log ends at event {} but {last} were acknowledged",
            expected - 1
        )));
    }
    let tickets = check_snapshots(main, &walked)?;
    let mut ids: Vec<&TicketId> = walked.keys().collect();
    ids.sort();
    let mut digest = Sha256::new();
    for id in ids {
        digest.update(id.as_bytes());
        digest.update(walked[id].head.to_bytes());
    }
    Ok(Verified {
        events: last,
        tickets,
        digest: digest.finalize().into(),
    })
}

fn check_event(
    main: &sled::Tree,
    id: u64,
    stored: &[u8],
    walked: &mut HashMap<TicketId, Walked>,
) -> Result<(), Broken> {
    let at = |what: &str| Broken(format!("event {id}: {what}"));
    let event: Value =
        serde_json::from_slice(stored).map_err(|e| at(&format!("not readable ({e})")))?;
    if event.get("event_id").and_then(Value::as_u64) != Some(id) {
        return Err(at("its content names another event id"));
    }
    let ticket: TicketId = event
        .get("ticket_id")
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .ok_or_else(|| at("no ticket id"))?;
    let seq = event
        .get("seq")
        .and_then(Value::as_u64)
        .ok_or_else(|| at("no seq"))?;
    let (prev, hash) = stored_link(&event).ok_or_else(|| at("no chain link"))?;
    let w = match walked.entry(ticket) {
        Entry::Occupied(w) => w.into_mut(),
        Entry::Vacant(slot) => {
            let snapshot = load_snapshot(main, &ticket)?
                .ok_or_else(|| at(&format!("its ticket {ticket} has no snapshot")))?;
            slot.insert(Walked {
                number: snapshot.number.to_string(),
                reporter: snapshot.reporter,
                head: Head {
                    seq: 0,
                    hash: GENESIS,
                },
            })
        }
    };
    let at = |what: &str| Broken(format!("event {id} ({} seq {seq}): {what}", w.number));
    if seq != w.head.seq + 1 {
        return Err(at(&format!(
            "follows seq {} of its ticket: an event is missing or out of order",
            w.head.seq
        )));
    }
    if prev != w.head.hash {
        return Err(at("its link does not match the ticket's previous event"));
    }
    if link(&prev, &event, w.reporter.as_ref()) != hash {
        return Err(at("its content does not match its hash (edited)"));
    }
    match main.get(keys::timeline(&ticket, seq))? {
        Some(v) if u64_from(&v)? == id => {}
        _ => return Err(at("the ticket's timeline does not point at it")),
    }
    w.head = Head { seq, hash };
    Ok(())
}

fn stored_link(event: &Value) -> Option<(Hash, Hash)> {
    let chain = event.get(CHAIN)?;
    let decode = |name: &str| -> Option<Hash> {
        hex::decode(chain.get(name)?.as_str()?)
            .ok()?
            .try_into()
            .ok()
    };
    Some((decode("prev")?, decode("hash")?))
}

fn load_snapshot(main: &sled::Tree, id: &TicketId) -> Result<Option<Ticket>, Broken> {
    match main.get(keys::ticket(id))? {
        Some(v) => serde_json::from_slice(&v)
            .map(Some)
            .map_err(|e| Broken(format!("ticket {id}: snapshot not readable ({e})"))),
        None => Ok(None),
    }
}

/// Every snapshot has events, its seq is its last event's, and its head is that event's.
fn check_snapshots(main: &sled::Tree, walked: &HashMap<TicketId, Walked>) -> Result<u64, Broken> {
    let mut count = 0;
    for kv in main.scan_prefix([keys::TICKET]) {
        let (key, value) = kv?;
        let t: Ticket = serde_json::from_slice(&value)
            .map_err(|e| Broken(format!("a ticket snapshot is not readable ({e})")))?;
        if key.as_ref() != keys::ticket(&t.id) {
            return Err(Broken(format!(
                "ticket {}: stored under another id",
                t.number
            )));
        }
        let w = walked
            .get(&t.id)
            .ok_or_else(|| Broken(format!("ticket {}: no events in the log", t.number)))?;
        if t.seq != w.head.seq {
            return Err(Broken(format!(
                "ticket {}: the snapshot is at seq {} but its last event is seq {}",
                t.number, t.seq, w.head.seq
            )));
        }
        let head = main
            .get(keys::head(&t.id))?
            .map(|v| Head::from_bytes(&v))
            .transpose()?;
        if head != Some(w.head) {
            return Err(Broken(format!(
                "ticket {}: its recorded head is not its last event's (events cut off or replaced)",
                t.number
            )));
        }
        count += 1;
    }
    if count != walked.len() as u64 {
        return Err(Broken(format!(
            "{} ticket(s) have events but no snapshot",
            walked.len() as u64 - count
        )));
    }
    Ok(count)
}

/// Links every event of a store written before the chain existed, once, at open: each
/// ticket's events in order, its head beside its snapshot, and puts its closed tickets in
/// the retention queue. Returns how many events were linked.
pub fn link_unchained(main: &sled::Tree) -> Result<u64, StoreError> {
    if main.get(keys::CHAIN_DONE)?.is_some() {
        return Ok(0);
    }
    let mut heads: HashMap<TicketId, (Head, Option<Reporter>)> = HashMap::new();
    let mut batch = sled::Batch::default();
    let mut count = 0;
    for kv in main.scan_prefix([keys::EVENT]) {
        let (key, value) = kv?;
        let mut event: Value = serde_json::from_slice(&value)?;
        if let Value::Object(map) = &mut event {
            map.remove(CHAIN);
        }
        let ticket: TicketId = serde_json::from_value(event["ticket_id"].clone())?;
        let seq = event["seq"].as_u64().unwrap_or_default();
        let (head, reporter) = match heads.entry(ticket) {
            Entry::Occupied(e) => e.into_mut(),
            Entry::Vacant(slot) => {
                let reporter = main
                    .get(keys::ticket(&ticket))?
                    .map(|v| serde_json::from_slice::<Ticket>(&v))
                    .transpose()?
                    .and_then(|t| t.reporter);
                let genesis = Head {
                    seq: 0,
                    hash: GENESIS,
                };
                slot.insert((genesis, reporter))
            }
        };
        let (bytes, hash) = seal(event, &head.hash, reporter.as_ref());
        batch.insert(key, bytes);
        *head = Head { seq, hash };
        count += 1;
        // A large store is linked in pieces, never held whole in memory. A stop half-way
        // links it again from the start (`CHAIN_DONE` is written last).
        if count % 10_000 == 0 {
            main.apply_batch(std::mem::take(&mut batch))?;
        }
    }
    for (ticket, (head, _)) in &heads {
        batch.insert(&keys::head(ticket), head.to_bytes().to_vec());
    }
    // The retention queue started with the chain: closed tickets join it here.
    for kv in main.scan_prefix([keys::TICKET]) {
        let t: Ticket = serde_json::from_slice(&kv?.1)?;
        for entry in keys::index_entries(&t) {
            batch.insert(entry, &[] as &[u8]);
        }
    }
    batch.insert(keys::CHAIN_DONE, &[1u8] as &[u8]);
    main.apply_batch(batch)?;
    main.flush()?;
    Ok(count)
}
