//! The single writer: group commit. It takes every write queued while the previous flush
//! was running, applies them as one atomic sled batch, flushes once, syncs the data file,
//! and only then acknowledges each write and publishes its events on the bus, in global
//! order. Event ids are assigned here, so they are dense and commit-ordered.
//!
//! sled's flush on Linux is `sync_file_range`: the written range reaches the disk, which
//! survives a killed process, but neither the drive's write cache nor the file's size is
//! forced, so a power cut could still lose it. `fdatasync` on the data file (a second
//! descriptor on sled's `db` file) after each flush does both; one per group commit.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::Receiver;
use std::time::Instant;

use tokio::sync::oneshot;

mod replicated;

use super::{Change, PutMode, RecordKind, StoreError, Write, Written};
use super::{chain, keys};
use crate::bus::{BusEvent, Committed, EventBus};
use crate::cluster::registry::Change as SharedChange;
use crate::cluster::replicate::Replication;
use crate::domain::ids::{TicketId, TicketNumber};
use crate::domain::ticket::{EventKind, EventRecord, FixedDeadlines, Ticket};

pub(super) struct Request {
    pub write: Write,
    pub reply: oneshot::Sender<Result<Written, StoreError>>,
}

pub(super) struct Writer {
    pub main: sled::Tree,
    pub records: sled::Tree,
    pub db: sled::Db,
    pub bus: Arc<EventBus>,
    pub last_event_id: Arc<AtomicU64>,
    pub number_prefix: String,
    pub max_batch: usize,
    /// Next ticket number per year, loaded lazily from the store.
    pub numbers: HashMap<i32, u64>,
    /// Last committed (or staged) per-ticket seq, for the optimistic check.
    pub seqs: HashMap<TicketId, u64>,
    /// Last committed (or staged) hash of each ticket's chain (`chain.rs`), loaded lazily.
    pub heads: HashMap<TicketId, chain::Hash>,
    /// sled's data file, synced (`fdatasync`) after every flush.
    pub data_file: std::fs::File,
    /// Set when a flush failed: from then on every write is refused.
    pub failed: Option<String>,
    /// A backup running meanwhile (see `backup.rs`).
    pub backups: super::backup::Registry,
    /// Cluster mode: every ticket write reaches its partition's log before it is applied.
    pub replication: Option<Box<dyn Replication>>,
    /// Cluster mode: partition → the last seq of its log in this store (loaded lazily).
    pub positions: HashMap<String, u64>,
    /// Cluster mode: ticket → its partition (loaded lazily).
    pub partitions: HashMap<TicketId, String>,
}

/// One tree's share of a commit: the sled batch, and the keys it touches (so that a
/// backup running meanwhile can keep what they held before).
#[derive(Default)]
pub(super) struct Changes {
    batch: sled::Batch,
    pub keys: Vec<sled::IVec>,
}

impl Changes {
    pub fn insert(&mut self, key: impl Into<sled::IVec>, value: impl Into<sled::IVec>) {
        let key = key.into();
        self.keys.push(key.clone());
        self.batch.insert(key, value);
    }

    pub fn remove(&mut self, key: impl Into<sled::IVec>) {
        let key = key.into();
        self.keys.push(key.clone());
        self.batch.remove(key);
    }

    /// Applies the batch to `tree`, unless it is empty: sled seals and writes two log
    /// buffers for every batch it applies, an empty one included.
    fn apply_to(self, tree: &sled::Tree) -> sled::Result<()> {
        if self.keys.is_empty() {
            return Ok(());
        }
        tree.apply_batch(self.batch)
    }
}

/// What staging one write left in the batch.
struct Staged {
    reply: oneshot::Sender<Result<Written, StoreError>>,
    outcome: Result<Written, StoreError>,
    /// The ticket events it adds, published once the batch is durable.
    published: Vec<Committed>,
    /// Cluster mode: the partition whose log its events go to, and its command id.
    logged: Option<(String, Option<String>)>,
    /// Cluster mode: its changes to records every node shares, for the registry log.
    shared: Vec<SharedChange>,
}

/// Within one batch, what earlier writes of the same batch already claimed.
#[derive(Default)]
struct BatchView {
    externals: HashMap<Vec<u8>, TicketId>,
    records: HashMap<Vec<u8>, bool>,
    /// Command ids of the batch's writes (cluster mode).
    commands: HashSet<String>,
    /// Tickets as followed entries of the batch left them (cluster mode).
    tickets: HashMap<TicketId, Ticket>,
}

/// The batch being built, as one write's staging sees it.
struct Batch<'a> {
    next_id: &'a mut u64,
    main: &'a mut Changes,
    records: &'a mut Changes,
    view: &'a mut BatchView,
    /// The staged write's ticket events, for the bus.
    published: &'a mut Vec<Committed>,
    /// The staged write's partition and command id (cluster mode).
    logged: &'a mut Option<(String, Option<String>)>,
    /// The staged write's changes to shared records, when they go to the registry log.
    shared: Option<&'a mut Vec<SharedChange>>,
}

impl Batch<'_> {
    fn put_record(&mut self, kind: RecordKind, id: &str, value: Vec<u8>) {
        let key = keys::record(kind.as_str(), id);
        if let Some(shared) = self.shared.as_mut().filter(|_| kind.shared()) {
            shared.push(SharedChange::Put {
                kind: kind.as_str().to_owned(),
                id: id.to_owned(),
                value: value.clone(),
            });
        }
        self.records.insert(key.clone(), value);
        self.view.records.insert(key, true);
    }

    fn delete_record(&mut self, kind: RecordKind, id: &str) {
        let key = keys::record(kind.as_str(), id);
        if let Some(shared) = self.shared.as_mut().filter(|_| kind.shared()) {
            shared.push(SharedChange::Delete {
                kind: kind.as_str().to_owned(),
                id: id.to_owned(),
            });
        }
        self.records.remove(key.clone());
        self.view.records.insert(key, false);
    }

    fn publish(&mut self, event: &Arc<EventRecord>, ticket: &Ticket) {
        self.published.push(Committed {
            event: event.clone(),
            ticket: Arc::new(ticket.clone()),
        });
    }
}

impl Writer {
    pub fn run(mut self, rx: Receiver<Request>) {
        while let Ok(first) = rx.recv() {
            let mut requests = vec![first];
            while requests.len() < self.max_batch {
                match rx.try_recv() {
                    Ok(r) => requests.push(r),
                    Err(_) => break,
                }
            }
            self.commit(requests);
        }
        if let Err(e) = self.db.flush() {
            tracing::error!(error = %e, "final flush failed");
        }
    }

    /// Forces the flushed data and the file's size to stable storage.
    fn sync_data(&self) -> Result<(), String> {
        let synced = self.data_file.sync_data();
        metrics::counter!("hotline_store_data_syncs_total").increment(1);
        synced.map_err(|e| format!("syncing the data file: {e}"))
    }

    fn commit(&mut self, requests: Vec<Request>) {
        if let Some(why) = &self.failed {
            for r in requests {
                let _ = r.reply.send(Err(StoreError::Io(format!(
                    "an earlier flush failed ({why}); restart the engine"
                ))));
            }
            return;
        }
        let started = Instant::now();
        let first_id = self.last_event_id.load(Ordering::Acquire);
        let mut next_id = first_id;
        let mut main = Changes::default();
        let mut records = Changes::default();
        let mut view = BatchView::default();
        let mut staged = Vec::with_capacity(requests.len());
        for Request { write, reply } in requests {
            let mut published = Vec::new();
            let mut logged = None;
            let mut shared = Vec::new();
            let mut batch = Batch {
                next_id: &mut next_id,
                main: &mut main,
                records: &mut records,
                view: &mut view,
                published: &mut published,
                logged: &mut logged,
                shared: self.replication.is_some().then_some(&mut shared),
            };
            let outcome = self.stage(write, &mut batch);
            staged.push(Staged {
                reply,
                outcome,
                published,
                logged,
                shared,
            });
        }
        if let Err(e) = self.log(&staged, &mut main) {
            // Nothing is applied: what the logs took reaches this store as followed entries.
            self.forget_staged();
            let why = e.to_string();
            for s in staged {
                let refused = match &e {
                    StoreError::NotOwner(p) => StoreError::NotOwner(p.clone()),
                    _ => StoreError::Unlogged(why.clone()),
                };
                let _ = s.reply.send(Err(refused));
            }
            return;
        }
        if next_id != first_id {
            main.insert(keys::LAST_EVENT_ID, &next_id.to_be_bytes());
        }
        // A backup registers only between two commits: its lock spans both batches.
        let backup = super::backup::before_apply(
            &self.backups,
            (&self.main, &main.keys),
            (&self.records, &records.keys),
        );
        let applied = main
            .apply_to(&self.main)
            .and_then(|()| records.apply_to(&self.records));
        drop(backup);
        let flushed = applied.and_then(|()| self.db.flush().map(|_| ()));
        let durable = flushed
            .map_err(|e| e.to_string())
            .and_then(|()| self.sync_data());
        metrics::counter!("hotline_store_flushes_total").increment(1);
        metrics::counter!("hotline_store_writes_total").increment(staged.len() as u64);
        metrics::histogram!("hotline_store_flush_seconds").record(started.elapsed().as_secs_f64());
        metrics::histogram!("hotline_store_batch_size").record(staged.len() as f64);
        match durable {
            Ok(()) => {
                self.last_event_id.store(next_id, Ordering::Release);
                for s in staged {
                    for committed in s.published {
                        self.bus.publish(BusEvent::Ticket(Arc::new(committed)));
                    }
                    let _ = s.reply.send(s.outcome);
                }
            }
            Err(e) => {
                // The batch may be partly in sled's memory and partly on disk: nothing more
                // can be promised. Refuse every later write until an operator restarts the
                // engine, which recovers from what is on disk.
                tracing::error!(error = %e, "store commit failed; the store refuses writes until restarted");
                self.failed = Some(e.clone());
                for s in staged {
                    let _ = s.reply.send(Err(StoreError::Io(e.clone())));
                }
            }
        }
    }

    fn stage(&mut self, write: Write, b: &mut Batch) -> Result<Written, StoreError> {
        match write {
            Write::CreateTicket {
                mut ticket,
                event,
                by,
                then,
                command,
            } => {
                let ext_key = ticket
                    .external_id
                    .as_deref()
                    .map(|e| keys::external(ticket.source, e));
                if let Some(k) = &ext_key {
                    if let Some(id) = b.view.externals.get(k) {
                        return Err(StoreError::DuplicateExternal(*id));
                    }
                    if let Some(v) = self.main.get(k)? {
                        return Err(StoreError::DuplicateExternal(id_from(&v)?));
                    }
                }
                let partition = self.replication.as_ref().map(|r| r.partition_of(&ticket));
                if let Some(p) = &partition {
                    if let Some(id) = self.claim(p, command.as_deref(), b)? {
                        return Err(StoreError::Repeated {
                            command: command.unwrap_or_default(),
                            ticket: id,
                        });
                    }
                    self.place(ticket.id, p, b);
                    *b.logged = Some((p.clone(), command));
                }
                // Numbered by the command centre's year: a call at 00:30 on 1 January local time
                // is the new year's.
                ticket.number =
                    self.next_number(ticket.created_at.centre_local().year(), b.main)?;
                let record = EventRecord {
                    event_id: *b.next_id + 1,
                    ticket_id: ticket.id,
                    number: ticket.number.clone(),
                    seq: ticket.seq,
                    at: ticket.created_at,
                    by,
                    status: ticket.status,
                    from_status: None,
                    deadlines: Some(ticket.fixed_deadlines())
                        .filter(|d| *d != FixedDeadlines::default()),
                    kind: event,
                };
                self.stage_ticket(b.main, None, &ticket, &record)?;
                if let Some(k) = ext_key {
                    b.main.insert(k.clone(), ticket.id.as_bytes().to_vec());
                    b.view.externals.insert(k, ticket.id);
                }
                self.seqs.insert(ticket.id, ticket.seq);
                *b.next_id += 1;
                let record = Arc::new(record);
                b.publish(&record, &ticket);
                let Some(mut change) = then else {
                    return Ok(Written::Ticket {
                        ticket,
                        event: record,
                    });
                };
                // The same batch: the second event builds on the ticket just numbered. Its
                // staging cannot fail on a ticket staged a moment ago (the head and seq are
                // the writer's own); if it did, the ticket is answered without it.
                change.after.number = ticket.number.clone();
                match self.stage_change(&ticket, *change, b) {
                    Ok(written) => Ok(written),
                    Err(e) => {
                        tracing::error!(ticket_id = %ticket.id, error = %e, "second event of a new ticket not staged");
                        Ok(Written::Ticket {
                            ticket,
                            event: record,
                        })
                    }
                }
            }
            Write::UpdateTicket {
                before,
                after,
                event,
                deadlines,
                by,
                command,
            } => {
                let mut handoff = None;
                if self.replication.is_some() {
                    let p = self.partition(&before)?;
                    if let Some(id) = self.claim(&p, command.as_deref(), b)? {
                        return Err(StoreError::Repeated {
                            command: command.unwrap_or_default(),
                            ticket: id,
                        });
                    }
                    handoff = self.handoff(&p, &after);
                    *b.logged = Some((p, command));
                }
                // Optimistic check: the change must build on the ticket as committed.
                let current = match self.seqs.get(&after.id) {
                    Some(seq) => *seq,
                    None => self
                        .main
                        .get(keys::ticket(&after.id))?
                        .map(|v| serde_json::from_slice::<Ticket>(&v).map(|t| t.seq))
                        .transpose()?
                        .unwrap_or(0),
                };
                if current != before.seq {
                    return Err(StoreError::Conflict(format!(
                        "ticket {} changed meanwhile (seq {current}, expected {})",
                        after.id, before.seq
                    )));
                }
                let id = after.id;
                let change = Change {
                    after,
                    event,
                    deadlines,
                    by,
                };
                let written = self.stage_change(&before, change, b)?;
                // Placed by this event: its next events go to its town's log (this one is in
                // the old partition's, which every node follows).
                if let Some(to) = handoff {
                    self.place(id, &to, b);
                    b.main.insert(&keys::handoff(&id), &[] as &[u8]);
                }
                Ok(written)
            }
            Write::Follow { partition, entries } => self.stage_follow(&partition, entries, b),
            Write::FollowRegistry { position, changes } => {
                self.stage_follow_registry(position, changes, b)
            }
            Write::PutRecord {
                kind,
                id,
                value,
                mode,
            } => {
                let key = keys::record(kind.as_str(), &id);
                let exists = match b.view.records.get(&key) {
                    Some(e) => *e,
                    None => self.records.contains_key(&key)?,
                };
                let name = format!("{} `{id}`", kind.as_str());
                match (mode, exists) {
                    (PutMode::Create, true) => return Err(StoreError::RecordExists(name)),
                    (PutMode::Update, false) => return Err(StoreError::RecordMissing(name)),
                    _ => {}
                }
                b.put_record(kind, &id, value);
                Ok(Written::Record)
            }
            Write::PutRecords { kind, items } => {
                // All or nothing: one request, one atomic batch.
                for (id, value) in items {
                    b.put_record(kind, &id, value);
                }
                Ok(Written::Record)
            }
            Write::DeleteRecord { kind, id } => {
                let key = keys::record(kind.as_str(), &id);
                let exists = match b.view.records.get(&key) {
                    Some(e) => *e,
                    None => self.records.contains_key(&key)?,
                };
                if !exists {
                    return Err(StoreError::RecordMissing(format!(
                        "{} `{id}`",
                        kind.as_str()
                    )));
                }
                b.delete_record(kind, &id);
                Ok(Written::Record)
            }
            Write::DeleteRecords { kind, ids } => {
                for id in ids {
                    b.delete_record(kind, &id);
                }
                Ok(Written::Record)
            }
        }
    }

    /// Stages `change` on `before` (already checked to be the ticket as committed).
    fn stage_change(
        &mut self,
        before: &Ticket,
        change: Change,
        b: &mut Batch,
    ) -> Result<Written, StoreError> {
        let Change {
            after,
            event,
            deadlines,
            by,
        } = change;
        let record = EventRecord {
            event_id: *b.next_id + 1,
            ticket_id: after.id,
            number: after.number.clone(),
            seq: after.seq,
            at: after.updated_at,
            by,
            status: after.status,
            from_status: Some(before.status),
            deadlines,
            kind: event,
        };
        let erased = match (&record.kind, &before.reporter) {
            (EventKind::PersonalDataErased { .. }, Some(reporter)) => {
                chain::erased_events(&self.main, &after.id, reporter)?
            }
            _ => Vec::new(),
        };
        self.stage_ticket(b.main, Some(before), &after, &record)?;
        for (key, event) in erased {
            b.main.insert(key, event);
        }
        self.seqs.insert(after.id, after.seq);
        *b.next_id += 1;
        let record = Arc::new(record);
        b.publish(&record, &after);
        Ok(Written::Ticket {
            ticket: after,
            event: record,
        })
    }

    fn stage_ticket(
        &mut self,
        main: &mut Changes,
        before: Option<&Ticket>,
        after: &Ticket,
        record: &EventRecord,
    ) -> Result<(), StoreError> {
        // Everything that can fail comes before anything is staged: a refused write must
        // leave nothing of itself in the shared batch.
        let prev = match before {
            None => chain::GENESIS,
            Some(_) => self.head(&after.id)?,
        };
        let event = serde_json::to_value(record)?;
        let snapshot = serde_json::to_vec(after)?;
        let new_entries = keys::index_entries(after);
        if let Some(before) = before {
            for old in keys::index_entries(before) {
                if !new_entries.contains(&old) {
                    main.remove(old);
                }
            }
        }
        for entry in new_entries {
            main.insert(entry, &[] as &[u8]);
        }
        main.insert(&keys::ticket(&after.id), snapshot);
        let (bytes, hash) = chain::seal(event, &prev, after.reporter.as_ref());
        main.insert(&keys::event(record.event_id), bytes);
        let head = chain::Head {
            seq: record.seq,
            hash,
        };
        main.insert(&keys::head(&after.id), head.to_bytes().to_vec());
        self.heads.insert(after.id, hash);
        main.insert(
            keys::timeline(&after.id, record.seq),
            &record.event_id.to_be_bytes(),
        );
        Ok(())
    }

    /// The hash of the ticket's last event, as committed or staged.
    fn head(&mut self, id: &TicketId) -> Result<chain::Hash, StoreError> {
        if let Some(hash) = self.heads.get(id) {
            return Ok(*hash);
        }
        let head = self
            .main
            .get(keys::head(id))?
            .map(|v| chain::Head::from_bytes(&v))
            .transpose()?
            .ok_or_else(|| StoreError::Corrupt(format!("ticket {id} has no chain head")))?;
        Ok(head.hash)
    }

    fn next_number(&mut self, year: i32, main: &mut Changes) -> Result<TicketNumber, StoreError> {
        if let Some(r) = &mut self.replication {
            // Any node may number a ticket: the counter is Redis'. A number taken by a
            // write that is then refused is skipped, never given twice.
            let n = r.next_number(year).map_err(StoreError::Unlogged)?;
            return Ok(TicketNumber::new(&self.number_prefix, year, n));
        }
        let key = keys::ticket_number_counter(year);
        let n = match self.numbers.get(&year) {
            Some(n) => *n,
            None => match self.main.get(&key)? {
                Some(v) => u64_from(&v)?,
                None => 0,
            },
        } + 1;
        self.numbers.insert(year, n);
        // Staged with the ticket: the counter is durable exactly when the ticket is.
        main.insert(key, &n.to_be_bytes());
        Ok(TicketNumber::new(&self.number_prefix, year, n))
    }
}

pub(super) fn id_from(v: &[u8]) -> Result<TicketId, StoreError> {
    let bytes: [u8; 16] = v
        .try_into()
        .map_err(|_| StoreError::Corrupt("bad ticket id".into()))?;
    Ok(TicketId::from_bytes(bytes))
}

pub(super) fn u64_from(v: &[u8]) -> Result<u64, StoreError> {
    let bytes: [u8; 8] = v
        .try_into()
        .map_err(|_| StoreError::Corrupt("bad counter".into()))?;
    Ok(u64::from_be_bytes(bytes))
}
