//! The sled implementation of [`Store`].
//!
//! Durability: a write is acknowledged after `Db::flush`, which survives a process crash
//! (kill -9). On Linux sled flushes with `sync_file_range`, which does not promise that the
//! data survives a power loss or kernel crash.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

use parking_lot::Mutex;
use tokio::sync::oneshot;

use super::writer::{Request, Writer, id_from, u64_from};
use super::{Pending, RecordKind, Store, StoreError, TicketPage, TicketQuery, Write, keys};
use crate::bus::EventBus;
use crate::cluster::replicate::Replication;
use crate::domain::ids::TicketId;
use crate::domain::ticket::{EventRecord, Source, Status, Ticket};

/// How to open the store.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    pub path: PathBuf,
    /// sled's page cache, in bytes.
    pub cache_capacity: u64,
    /// Most writes one flush may carry.
    pub max_batch: usize,
    /// Most writes waiting for the writer; past it, writes are refused as overload.
    pub queue_capacity: usize,
    /// Prefix of human ticket numbers (`WX` gives `WX-2026-000123`).
    pub number_prefix: String,
}

pub struct SledStore {
    main: sled::Tree,
    records: sled::Tree,
    db: sled::Db,
    /// The store's directory: evidence files are kept beside it (`evidence/`).
    path: PathBuf,
    last_event_id: Arc<AtomicU64>,
    queue: Mutex<Option<SyncSender<Request>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    /// A backup running on this store (see `backup.rs`).
    pub(super) backups: super::backup::Registry,
}

impl SledStore {
    pub fn open(options: &StoreOptions, bus: Arc<EventBus>) -> Result<Self, StoreError> {
        Self::open_with(options, bus, None)
    }

    /// Opens the store; with `replication` (cluster mode) every ticket write is appended to
    /// its partition's log before it is applied, and followed entries can be stored.
    pub fn open_with(
        options: &StoreOptions,
        bus: Arc<EventBus>,
        replication: Option<Box<dyn Replication>>,
    ) -> Result<Self, StoreError> {
        let db = sled::Config::new()
            .path(&options.path)
            .cache_capacity(options.cache_capacity)
            // Every batch is flushed by the writer itself; sled's own background flusher
            // would only compete with it for the disk.
            .flush_every_ms(None)
            .open()?;
        let main = db.open_tree("main")?;
        let records = db.open_tree("records")?;
        let last = match main.get(keys::LAST_EVENT_ID)? {
            Some(v) => u64_from(&v)?,
            None => 0,
        };
        let last_event_id = Arc::new(AtomicU64::new(last));
        index_numbers(&main)?;
        super::chain::link_unchained(&main)?;
        let backups = super::backup::Registry::default();
        // sled's data file (`db` in its directory); read access is enough to sync it.
        let data_file = std::fs::File::open(options.path.join("db"))
            .map_err(|e| StoreError::Io(format!("opening the store's data file: {e}")))?;
        let writer = Writer {
            data_file,
            backups: backups.clone(),
            main: main.clone(),
            records: records.clone(),
            db: db.clone(),
            bus,
            last_event_id: last_event_id.clone(),
            number_prefix: options.number_prefix.clone(),
            max_batch: options.max_batch.max(1),
            numbers: Default::default(),
            failed: None,
            seqs: Default::default(),
            heads: Default::default(),
            replication,
            positions: Default::default(),
            partitions: Default::default(),
        };
        let (tx, rx) = sync_channel(options.queue_capacity.max(1));
        let handle = std::thread::Builder::new()
            .name("store-writer".into())
            .spawn(move || writer.run(rx))
            .map_err(|e| StoreError::Io(e.to_string()))?;
        Ok(Self {
            main,
            records,
            db,
            path: options.path.clone(),
            last_event_id,
            queue: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(handle)),
            backups,
        })
    }

    /// Registers a backup: the store as of now, read while the writer goes on.
    pub(super) fn start_backup(&self) -> Result<super::backup::Snapshot, StoreError> {
        super::backup::Snapshot::start(
            self.backups.clone(),
            self.main.clone(),
            self.records.clone(),
        )
    }

    #[cfg(test)]
    pub(super) fn main_tree(&self) -> sled::Tree {
        self.main.clone()
    }

    #[cfg(test)]
    pub(super) fn records_tree(&self) -> sled::Tree {
        self.records.clone()
    }

    pub(super) fn main(&self) -> &sled::Tree {
        &self.main
    }

    fn load_ticket(&self, key: &[u8]) -> Result<Option<Ticket>, StoreError> {
        match self.main.get(key)? {
            Some(v) => Ok(Some(serde_json::from_slice(&v)?)),
            None => Ok(None),
        }
    }

    fn load_event(&self, event_id: u64) -> Result<EventRecord, StoreError> {
        let v = self
            .main
            .get(keys::event(event_id))?
            .ok_or_else(|| StoreError::Corrupt(format!("event {event_id} is missing")))?;
        Ok(serde_json::from_slice(&v)?)
    }
}

impl Store for SledStore {
    fn submit(&self, write: Write) -> Pending {
        let (reply, rx) = oneshot::channel();
        let queue = self.queue.lock();
        match queue.as_ref() {
            Some(tx) => match tx.try_send(Request { write, reply }) {
                Ok(()) => {}
                Err(TrySendError::Full(r)) => {
                    let _ = r.reply.send(Err(StoreError::Overloaded));
                }
                Err(TrySendError::Disconnected(r)) => {
                    let _ = r.reply.send(Err(StoreError::Closed));
                }
            },
            None => {
                let _ = reply.send(Err(StoreError::Closed));
            }
        }
        Pending(rx)
    }

    fn ticket(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        self.load_ticket(&keys::ticket(id))
    }

    fn ticket_by_external(
        &self,
        source: Source,
        external_id: &str,
    ) -> Result<Option<Ticket>, StoreError> {
        match self.main.get(keys::external(source, external_id))? {
            Some(v) => self.ticket(&id_from(&v)?),
            None => Ok(None),
        }
    }

    fn ticket_by_number(&self, number: &str) -> Result<Option<Ticket>, StoreError> {
        let prefix = keys::index_prefix(keys::Field::Number, number);
        match self.main.scan_prefix(prefix).keys().next().transpose()? {
            Some(k) => match keys::id_from_index(&k) {
                Some(id) => self.ticket(&id),
                None => Ok(None),
            },
            None => Ok(None),
        }
    }

    fn timeline(&self, id: &TicketId) -> Result<Vec<EventRecord>, StoreError> {
        self.main
            .scan_prefix(keys::timeline_prefix(id))
            .map(|kv| {
                let (_, v) = kv?;
                self.load_event(u64_from(&v)?)
            })
            .collect()
    }

    fn events_since(&self, after: u64, limit: usize) -> Result<Vec<EventRecord>, StoreError> {
        let last = self.last_event_id();
        let start = after.saturating_add(1);
        if start > last {
            return Ok(Vec::new());
        }
        // Bounded by the acknowledged id: a batch being applied is not visible yet.
        self.main
            .range(keys::event(start)..=keys::event(last))
            .take(limit)
            .map(|kv| Ok(serde_json::from_slice(&kv?.1)?))
            .collect()
    }

    fn last_event_id(&self) -> u64 {
        self.last_event_id.load(Ordering::Acquire)
    }

    fn list_tickets(&self, query: &TicketQuery) -> Result<TicketPage, StoreError> {
        super::query::list(self, query)
    }

    fn open_ticket_ids(&self) -> Result<Vec<TicketId>, StoreError> {
        let mut ids = Vec::new();
        for status in Status::ALL.into_iter().filter(|s| !s.is_closed()) {
            for kv in self
                .main
                .scan_prefix(keys::index_prefix(keys::Field::Status, status.as_str()))
            {
                let (k, _) = kv?;
                ids.extend(keys::id_from_index(&k));
            }
        }
        ids.sort();
        Ok(ids)
    }

    fn count_by_status(&self) -> Result<Vec<(Status, u64)>, StoreError> {
        Status::ALL
            .into_iter()
            .map(|s| {
                let prefix = keys::index_prefix(keys::Field::Status, s.as_str());
                Ok((s, self.main.scan_prefix(prefix).keys().count() as u64))
            })
            .collect()
    }

    fn ticket_partition(&self, id: &TicketId) -> Result<Option<String>, StoreError> {
        Ok(self
            .main
            .get(keys::partition(id))?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    fn positions(&self) -> Result<std::collections::BTreeMap<String, u64>, StoreError> {
        self.main
            .scan_prefix(keys::POSITIONS)
            .map(|kv| {
                let (k, v) = kv?;
                let partition = String::from_utf8_lossy(&k[keys::POSITIONS.len()..]).into_owned();
                Ok((partition, u64_from(&v)?))
            })
            .collect()
    }

    fn registry_position(&self) -> Result<Option<String>, StoreError> {
        Ok(self
            .main
            .get(keys::REGISTRY_POSITION)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    fn closed_with_personal_data(
        &self,
        before: crate::domain::Timestamp,
        limit: usize,
    ) -> Result<Vec<TicketId>, StoreError> {
        self.main
            .range(vec![keys::RETENTION]..keys::retention_until(before))
            .keys()
            .take(limit)
            .map(|k| {
                keys::id_from_index(&k?)
                    .ok_or_else(|| StoreError::Corrupt("bad retention key".into()))
            })
            .collect()
    }

    fn record(&self, kind: RecordKind, id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .records
            .get(keys::record(kind.as_str(), id))?
            .map(|v| v.to_vec()))
    }

    fn records(&self, kind: RecordKind) -> Result<Vec<Vec<u8>>, StoreError> {
        self.records
            .scan_prefix(keys::record_prefix(kind.as_str()))
            .map(|kv| Ok(kv?.1.to_vec()))
            .collect()
    }

    fn backup(&self, out: &mut dyn std::io::Write) -> Result<super::backup::Summary, StoreError> {
        let files = crate::evidence::FileStore::of_store(&self.path);
        super::backup::write_with_files(self.start_backup()?, Some(&files), out)
    }

    fn close(&self) -> Result<(), StoreError> {
        drop(self.queue.lock().take());
        if let Some(handle) = self.writer.lock().take() {
            let _ = handle.join();
        }
        self.db.flush()?;
        Ok(())
    }
}

impl Drop for SledStore {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

/// Gives every snapshot of a store written before numbers were indexed its number entry,
/// once, before the writer starts (later snapshots get it with every write).
fn index_numbers(main: &sled::Tree) -> Result<(), StoreError> {
    #[derive(serde::Deserialize)]
    struct Numbered {
        id: TicketId,
        number: crate::domain::ids::TicketNumber,
    }
    if main.get(keys::NUMBER_INDEX_DONE)?.is_some() {
        return Ok(());
    }
    let mut batch = sled::Batch::default();
    for kv in main.scan_prefix([keys::TICKET]) {
        let (_, v) = kv?;
        let t: Numbered = serde_json::from_slice(&v)?;
        batch.insert(
            keys::index(keys::Field::Number, t.number.as_str(), &t.id),
            &[] as &[u8],
        );
    }
    batch.insert(keys::NUMBER_INDEX_DONE, &[1u8] as &[u8]);
    main.apply_batch(batch)?;
    main.flush()?;
    Ok(())
}

impl SledStore {
    /// Checks the whole record: every event's link in its ticket's hash chain, and every
    /// snapshot against its last event (see `chain.rs`).
    pub fn verify(&self) -> Result<super::chain::Verified, super::chain::Broken> {
        super::chain::verify(&self.main)
    }

    /// Loads the snapshot stored under `id`, for the query module.
    pub(super) fn snapshot(&self, id: &TicketId) -> Result<Option<Ticket>, StoreError> {
        self.ticket(id)
    }
}
