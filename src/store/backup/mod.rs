//! Backups of a store that keeps serving, and their restore.
//!
//! sled has no snapshots, and stopping the writer for the length of a copy would stop
//! every intake. So a backup is copy-on-write: it registers with the writer between two
//! commits (the writer holds the registry's lock across "keep before-images, apply the
//! batch"), and from then on, before applying a batch, the writer keeps the value each key
//! it touches held at registration (`Some(bytes)`, or `None` if it was absent) — the first
//! before-image of a key only, and only for keys the scan has not passed yet. The backup
//! scans both trees in key order and writes, for each key, the kept before-image if there is
//! one (nothing for `None`), else the value read; then the kept values of keys the scan
//! never met (deleted meanwhile). The result is the store exactly as it was at
//! registration. Writes wait for nothing but those before-image reads while one runs.
//!
//! # File format (version 1)
//!
//! ```text
//! hotline-dispatch backup 1\n
//! last_event_id <u64>\n
//! created <RFC 3339 time>\n
//! then one entry per key:  tree (b'm' main, b'r' records), key length (u32 BE), key,
//!                          value length (u32 BE), value
//! then the evidence files: b'f', hash length (u32 BE), the hex SHA-256, file length
//!                          (u32 BE), the bytes — every file a ticket of the copy holds and
//!                          has not erased (`evidence/`), none for a store without files
//! then the trailer:        b'#', entry count (u64 BE), SHA-256 (32 bytes) of every byte
//!                          before it
//! ```
//!
//! A backup is written to `<file>.partial`, synced, then renamed. Restore checks the trailer
//! and the whole structure before it creates anything, so a truncated or altered file is
//! refused.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parking_lot::{Mutex, MutexGuard};
use sha2::{Digest, Sha256};
use sled::IVec;

use super::writer::u64_from;
use super::{StoreError, keys};

mod file;

pub use file::{BackupError, Checked, backup_offline, check, partial_path, restore, write_file};

const MAGIC: &str = "hotline-dispatch backup 1";
const MAIN: u8 = b'm';
const RECORDS: u8 = b'r';
/// An evidence file (`crate::evidence`), by its hash.
const FILES: u8 = b'f';
const TRAILER: u8 = b'#';
/// The trailer: tag, count, digest.
const TRAILER_LEN: u64 = 1 + 8 + 32;

/// The backup running on a store, if any; shared by the store and its writer.
pub(super) type Registry = Arc<Mutex<Option<Capture>>>;

/// What the writer keeps for a running backup: per tree, the before-images of keys the
/// scan has not reached yet, and how far the scan got.
#[derive(Default)]
pub(super) struct Capture {
    trees: [Kept; 2],
    /// A before-image could not be read: the backup fails rather than lie.
    failed: Option<String>,
}

#[derive(Default)]
struct Kept {
    before: HashMap<IVec, Option<IVec>>,
    /// The last key the scan handled.
    cursor: Option<IVec>,
}

impl Kept {
    fn passed(&self, key: &[u8]) -> bool {
        self.cursor.as_deref().is_some_and(|c| key <= c)
    }

    fn keep(&mut self, tree: &sled::Tree, touched: &[IVec]) -> Result<(), sled::Error> {
        for key in touched {
            if self.passed(key) || self.before.contains_key(key) {
                continue;
            }
            self.before.insert(key.clone(), tree.get(key)?);
        }
        Ok(())
    }
}

/// Called by the writer before it applies a commit: keeps the before-images a running
/// backup needs. Hold the returned guard until both trees' batches are applied.
pub(super) fn before_apply<'a>(
    registry: &'a Registry,
    main: (&sled::Tree, &[IVec]),
    records: (&sled::Tree, &[IVec]),
) -> MutexGuard<'a, Option<Capture>> {
    let mut guard = registry.lock();
    if let Some(capture) = guard.as_mut()
        && capture.failed.is_none()
    {
        let [m, r] = &mut capture.trees;
        if let Err(e) = m
            .keep(main.0, main.1)
            .and_then(|()| r.keep(records.0, records.1))
        {
            capture.failed = Some(e.to_string());
        }
    }
    guard
}

/// A consistent view of both trees as they were at registration, read entry by entry.
pub struct Snapshot {
    registry: Registry,
    trees: [sled::Tree; 2],
    last_event_id: u64,
    /// Which tree is being scanned (0, 1), then 2 for the keys the scan never met.
    stage: usize,
    iter: Option<sled::Iter>,
    leftovers: Option<std::vec::IntoIter<(usize, IVec, IVec)>>,
}

impl Snapshot {
    /// Registers with the writer; fails if another backup is running.
    pub(super) fn start(
        registry: Registry,
        main: sled::Tree,
        records: sled::Tree,
    ) -> Result<Self, StoreError> {
        let last_event_id = {
            let mut guard = registry.lock();
            if guard.is_some() {
                return Err(StoreError::Conflict("a backup is already running".into()));
            }
            // Read under the lock: no commit is half applied.
            let last = match main.get(keys::LAST_EVENT_ID)? {
                Some(v) => u64_from(&v)?,
                None => 0,
            };
            *guard = Some(Capture::default());
            last
        };
        Ok(Self {
            registry,
            trees: [main, records],
            last_event_id,
            stage: 0,
            iter: None,
            leftovers: None,
        })
    }

    pub fn last_event_id(&self) -> u64 {
        self.last_event_id
    }

    /// The next entry: (tree tag, key, value), in no promised order across stages.
    pub fn next_entry(&mut self) -> Option<Result<(u8, IVec, IVec), StoreError>> {
        loop {
            if self.stage < 2 {
                let iter = self
                    .iter
                    .get_or_insert_with(|| self.trees[self.stage].iter());
                match iter.next() {
                    Some(Ok((key, value))) => {
                        let mut guard = self.registry.lock();
                        let Some(capture) = guard.as_mut() else {
                            return Some(Err(StoreError::Io("the backup was cancelled".into())));
                        };
                        if let Some(why) = &capture.failed {
                            return Some(Err(StoreError::Io(why.clone())));
                        }
                        let kept = &mut capture.trees[self.stage];
                        kept.cursor = Some(key.clone());
                        match kept.before.remove(&key) {
                            Some(Some(before)) => return Some(Ok((tag(self.stage), key, before))),
                            // Created after registration.
                            Some(None) => continue,
                            None => return Some(Ok((tag(self.stage), key, value))),
                        }
                    }
                    Some(Err(e)) => return Some(Err(e.into())),
                    None => {
                        self.iter = None;
                        self.stage += 1;
                        continue;
                    }
                }
            }
            if self.leftovers.is_none() {
                let capture = self.registry.lock().take();
                let Some(capture) = capture else {
                    return Some(Err(StoreError::Io("the backup was cancelled".into())));
                };
                if let Some(why) = capture.failed {
                    return Some(Err(StoreError::Io(why)));
                }
                let mut rest = Vec::new();
                for (i, kept) in capture.trees.into_iter().enumerate() {
                    for (key, before) in kept.before {
                        if let Some(value) = before {
                            rest.push((i, key, value));
                        }
                    }
                }
                rest.sort_by(|a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
                self.leftovers = Some(rest.into_iter());
            }
            return self
                .leftovers
                .as_mut()
                .and_then(Iterator::next)
                .map(|(i, k, v)| Ok((tag(i), k, v)));
        }
    }
}

impl Drop for Snapshot {
    /// An abandoned backup stops costing the writer anything.
    fn drop(&mut self) {
        if self.leftovers.is_none() {
            self.registry.lock().take();
        }
    }
}

fn tag(stage: usize) -> u8 {
    if stage == 0 { MAIN } else { RECORDS }
}

/// What a backup holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Summary {
    pub last_event_id: u64,
    pub entries: u64,
    pub tickets: u64,
    pub events: u64,
    pub bytes: u64,
    /// Evidence files.
    pub files: u64,
}

impl Summary {
    fn count(&mut self, tree: u8, key: &[u8]) {
        self.entries += 1;
        if tree == FILES {
            self.files += 1;
        }
        if tree == MAIN {
            match key.first() {
                Some(&keys::TICKET) => self.tickets += 1,
                Some(&keys::EVENT) => self.events += 1,
                _ => {}
            }
        }
    }
}

/// Hashes and counts what passes through to the inner writer.
struct Hashing<W> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Hashing<W> {
    fn put(&mut self, data: &[u8]) -> std::io::Result<()> {
        self.hash.update(data);
        self.bytes += data.len() as u64;
        self.inner.write_all(data)
    }
}

/// Writes `snapshot` in the backup format to `out`.
pub fn write(snapshot: Snapshot, out: &mut dyn Write) -> Result<Summary, StoreError> {
    write_with_files(snapshot, None, out)
}

/// The evidence files a ticket snapshot holds and has not erased.
#[derive(serde::Deserialize)]
struct HeldFiles {
    #[serde(default)]
    files: Vec<HeldFile>,
}

#[derive(serde::Deserialize)]
struct HeldFile {
    sha256: String,
    #[serde(default)]
    erased: bool,
}

/// Writes `snapshot` and the evidence files its tickets hold (from `files`) to `out`. A
/// file erased with a reporter's data, or one no ticket of the copy holds, is left out.
pub fn write_with_files(
    mut snapshot: Snapshot,
    files: Option<&crate::evidence::FileStore>,
    out: &mut dyn Write,
) -> Result<Summary, StoreError> {
    let io = |e: std::io::Error| StoreError::Io(format!("writing the backup: {e}"));
    let mut w = Hashing {
        inner: BufWriter::with_capacity(64 * 1024, out),
        hash: Sha256::new(),
        bytes: 0,
    };
    let created = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let mut summary = Summary {
        last_event_id: snapshot.last_event_id(),
        entries: 0,
        tickets: 0,
        events: 0,
        bytes: 0,
        files: 0,
    };
    let mut held = std::collections::BTreeSet::new();
    w.put(
        format!(
            "{MAGIC}\nlast_event_id {}\ncreated {created}\n",
            summary.last_event_id
        )
        .as_bytes(),
    )
    .map_err(io)?;
    while let Some(entry) = snapshot.next_entry() {
        let (tree, key, value) = entry?;
        w.put(&[tree]).map_err(io)?;
        for part in [&key[..], &value[..]] {
            let len = u32::try_from(part.len())
                .map_err(|_| StoreError::Corrupt("an entry over 4 GiB".into()))?;
            w.put(&len.to_be_bytes()).map_err(io)?;
            w.put(part).map_err(io)?;
        }
        if files.is_some() && tree == MAIN && key.first() == Some(&keys::TICKET) {
            let ticket: HeldFiles = serde_json::from_slice(&value)?;
            held.extend(
                ticket
                    .files
                    .into_iter()
                    .filter(|f| !f.erased)
                    .map(|f| f.sha256),
            );
        }
        summary.count(tree, &key);
    }
    if let Some(files) = files {
        let mut buf = vec![0u8; 64 * 1024];
        for hash in &held {
            // A held file missing from the store is not copied; `verify` names it.
            let Some(mut file) = files.open(hash).map_err(io)? else {
                continue;
            };
            let len = file.metadata().map_err(io)?.len();
            let len32 = u32::try_from(len)
                .map_err(|_| StoreError::Corrupt("an evidence file over 4 GiB".into()))?;
            w.put(&[FILES]).map_err(io)?;
            w.put(&(hash.len() as u32).to_be_bytes()).map_err(io)?;
            w.put(hash.as_bytes()).map_err(io)?;
            w.put(&len32.to_be_bytes()).map_err(io)?;
            let mut left = len;
            while left > 0 {
                let n = std::io::Read::read(&mut file, &mut buf).map_err(io)?;
                if n == 0 {
                    return Err(StoreError::Io(format!("evidence file {hash} shrank")));
                }
                let n = n.min(left as usize);
                w.put(&buf[..n]).map_err(io)?;
                left -= n as u64;
            }
            summary.count(FILES, hash.as_bytes());
        }
    }
    w.put(&[TRAILER]).map_err(io)?;
    w.put(&summary.entries.to_be_bytes()).map_err(io)?;
    let digest = w.hash.clone().finalize();
    w.inner.write_all(&digest).map_err(io)?;
    w.inner.flush().map_err(io)?;
    summary.bytes = w.bytes + digest.len() as u64;
    Ok(summary)
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::bus::EventBus;
    use crate::store::{PutMode, RecordKind, SledStore, Store, StoreOptions, Write as W};

    fn open(path: &Path) -> SledStore {
        let options = StoreOptions {
            path: path.to_owned(),
            cache_capacity: 8 * 1024 * 1024,
            max_batch: 64,
            queue_capacity: 64,
            number_prefix: "WX".into(),
        };
        SledStore::open(&options, Arc::new(EventBus::new())).unwrap()
    }

    fn commit(store: &SledStore, write: W) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        rt.block_on(store.submit(write)).unwrap();
    }

    fn put(store: &SledStore, id: &str, value: &str) {
        commit(
            store,
            W::PutRecord {
                kind: RecordKind::Staff,
                id: id.into(),
                value: value.as_bytes().to_vec(),
                mode: PutMode::Upsert,
            },
        );
    }

    type State = BTreeMap<(u8, Vec<u8>), Vec<u8>>;

    /// Both trees as they are now.
    fn state(store: &SledStore) -> State {
        let mut out = State::new();
        for (tag, tree) in [(MAIN, &store.main_tree()), (RECORDS, &store.records_tree())] {
            for kv in tree.iter() {
                let (k, v) = kv.unwrap();
                out.insert((tag, k.to_vec()), v.to_vec());
            }
        }
        out
    }

    /// Takes entries into `into` until `key` of the records tree was taken.
    fn scan_until(snapshot: &mut Snapshot, into: &mut Vec<(u8, Vec<u8>, Vec<u8>)>, key: &str) {
        loop {
            let (t, k, v) = snapshot.next_entry().expect("not past the end").unwrap();
            into.push((t, k.to_vec(), v.to_vec()));
            if t == RECORDS && k == key.as_bytes() {
                return;
            }
        }
    }

    /// Fails naming the keys whose values differ (the values are long).
    fn assert_same(got: &State, want: &State) {
        let differ: Vec<String> = got
            .keys()
            .chain(want.keys())
            .filter(|k| got.get(*k) != want.get(*k))
            .map(|(t, k)| format!("{}:{}", *t as char, String::from_utf8_lossy(k)))
            .collect();
        assert!(differ.is_empty(), "keys that differ: {differ:?}");
    }

    fn collect(entries: Vec<(u8, Vec<u8>, Vec<u8>)>) -> State {
        let n = entries.len();
        let out: State = entries.into_iter().map(|(t, k, v)| ((t, k), v)).collect();
        assert_eq!(out.len(), n, "a key was written twice");
        out
    }

    #[test]
    fn a_backup_is_the_store_at_registration_whatever_commits_meanwhile() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir.path().join("s"));
        for (id, v) in [("a", "1"), ("c", "3"), ("e", "5"), ("g", "7"), ("i", "9")] {
            put(&store, id, v);
        }
        // Keys between the scan's position and the changes ahead of it, so that the scan
        // reads those changes' leaves only after they were made (sled's iterator reads a
        // leaf at a time).
        commit(
            &store,
            W::PutRecords {
                kind: RecordKind::Staff,
                items: (0..4000)
                    .map(|i| (format!("d{i:04}"), vec![b'x'; 256]))
                    .collect(),
            },
        );
        let mut snapshot = store.start_backup().unwrap();
        let at_start = state(&store);
        assert!(
            store.start_backup().is_err(),
            "one backup at a time on a store"
        );
        let mut taken = Vec::new();
        scan_until(&mut snapshot, &mut taken, "staff/c");

        // Behind the scan: a change and a new key. Ahead: two changes of one key, a
        // deletion, a new key; and a key deleted then made again.
        put(&store, "a", "10");
        put(&store, "b", "new");
        put(&store, "e", "50");
        put(&store, "e", "500");
        commit(
            &store,
            W::DeleteRecord {
                kind: RecordKind::Staff,
                id: "g".into(),
            },
        );
        put(&store, "f", "new");
        commit(
            &store,
            W::DeleteRecord {
                kind: RecordKind::Staff,
                id: "i".into(),
            },
        );
        put(&store, "i", "90");
        commit(
            &store,
            W::DeleteRecords {
                kind: RecordKind::Staff,
                ids: vec!["c".into(), "i".into()],
            },
        );
        assert_ne!(state(&store), at_start, "the store did change");

        while let Some(entry) = snapshot.next_entry() {
            let (t, k, v) = entry.unwrap();
            taken.push((t, k.to_vec(), v.to_vec()));
        }
        assert_same(&collect(taken), &at_start);
        assert!(store.backups.lock().is_none(), "unregistered at the end");

        // The next backup sees the changes, and writes no longer keep anything.
        put(&store, "z", "26");
        assert!(store.backups.lock().is_none());
        let mut again = store.start_backup().unwrap();
        let mut taken = Vec::new();
        while let Some(entry) = again.next_entry() {
            let (t, k, v) = entry.unwrap();
            taken.push((t, k.to_vec(), v.to_vec()));
        }
        assert_same(&collect(taken), &state(&store));
    }

    #[test]
    fn an_abandoned_backup_unregisters() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir.path().join("s"));
        put(&store, "a", "1");
        let mut snapshot = store.start_backup().unwrap();
        assert!(snapshot.next_entry().is_some());
        drop(snapshot);
        assert!(store.backups.lock().is_none());
        put(&store, "b", "2");
        assert!(store.start_backup().is_ok());
    }

    #[test]
    fn a_backup_file_restores_to_the_same_trees_and_refuses_damage() {
        let dir = tempfile::tempdir().unwrap();
        let store = open(&dir.path().join("s"));
        for i in 0..50 {
            put(&store, &format!("s{i:02}"), &"x".repeat(i));
        }
        let file = dir.path().join("b.backup");
        let summary = write_file(&file, |out| Ok(store.backup(out).map(|_| ())?)).unwrap();
        assert!(!partial_path(&file).exists());
        assert_eq!(summary.bytes, std::fs::metadata(&file).unwrap().len());
        let expected = state(&store);
        assert_eq!(summary.entries, expected.len() as u64);

        let target = dir.path().join("restored");
        let restored = restore(&file, &target).unwrap();
        assert_eq!(restored, summary);
        drop(store);
        let back = open(&target);
        assert_same(&state(&back), &expected);
        drop(back);

        assert!(matches!(
            restore(&file, &target),
            Err(BackupError::TargetNotEmpty(_))
        ));
        let bytes = std::fs::read(&file).unwrap();
        let mut flipped = bytes.clone();
        flipped[bytes.len() / 2] ^= 1;
        for (name, damaged) in [
            ("flipped", flipped),
            ("truncated", bytes[..bytes.len() - 10].to_vec()),
            ("short", bytes[..5].to_vec()),
        ] {
            let path = dir.path().join(name);
            std::fs::write(&path, damaged).unwrap();
            let target = dir.path().join(format!("{name}-store"));
            let err = restore(&path, &target).unwrap_err();
            assert!(matches!(err, BackupError::Invalid { .. }), "{name}: {err}");
            assert!(!target.exists(), "{name}: nothing created");
        }
    }
}
