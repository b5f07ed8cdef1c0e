//! Backup files: written whole or not at all, checked end to end, restored into a new
//! store (the format is in the parent module).

use super::*;

/// Why a backup or a restore did not happen.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error("{path}: {source}")]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    /// The file is not a whole, unaltered backup.
    #[error("{path} is not a valid backup: {why}")]
    Invalid { path: PathBuf, why: String },
    #[error("{0} exists and is not empty; restore only into a new or empty directory")]
    TargetNotEmpty(PathBuf),
    /// The store is open in another process (a serving engine).
    #[error("the store at {0} is in use by another process")]
    Locked(PathBuf),
    #[error("there is no store at {0}")]
    NoStore(PathBuf),
    /// The source of the backup failed (the engine's answer, the connection).
    #[error("{0}")]
    Other(String),
}

fn file_err(path: &Path) -> impl Fn(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::File {
        path: path.to_owned(),
        source,
    }
}

/// The partial file a backup is written to before it is complete.
pub fn partial_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// Writes a backup to `<file>.partial` with `fill`, syncs it, checks it, renames it to
/// `file`. The partial file is removed on failure.
pub fn write_file(
    file: &Path,
    fill: impl FnOnce(&mut dyn Write) -> Result<(), BackupError>,
) -> Result<Summary, BackupError> {
    let partial = partial_path(file);
    let result = (|| {
        let mut out = File::create(&partial).map_err(file_err(&partial))?;
        fill(&mut out)?;
        out.sync_all().map_err(file_err(&partial))?;
        drop(out);
        let summary = check(&partial)?.summary;
        std::fs::rename(&partial, file).map_err(file_err(file))?;
        if let Some(dir) = file.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The rename itself made durable.
            let _ = File::open(dir).and_then(|d| d.sync_all());
        }
        Ok(summary)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

/// Backs up the store at `store` while no engine has it open.
pub fn backup_offline(store: &Path, file: &Path) -> Result<Summary, BackupError> {
    if !store.exists() {
        return Err(BackupError::NoStore(store.to_owned()));
    }
    let db = sled::Config::new().path(store).open().map_err(|e| {
        let text = e.to_string();
        if text.contains("could not acquire lock") {
            BackupError::Locked(store.to_owned())
        } else {
            BackupError::Store(e.into())
        }
    })?;
    let main = db.open_tree("main").map_err(StoreError::from)?;
    let records = db.open_tree("records").map_err(StoreError::from)?;
    let files = crate::evidence::FileStore::of_store(store);
    write_file(file, |out| {
        let snapshot = Snapshot::start(Registry::default(), main, records)?;
        write_with_files(snapshot, Some(&files), out)?;
        Ok(())
    })
}

/// A backup file checked end to end.
pub struct Checked {
    pub summary: Summary,
    pub created: String,
}

/// Checks that `file` is a whole, unaltered backup: digest, header, every entry, count.
pub fn check(file: &Path) -> Result<Checked, BackupError> {
    let invalid = |why: &str| BackupError::Invalid {
        path: file.to_owned(),
        why: why.to_owned(),
    };
    let len = std::fs::metadata(file).map_err(file_err(file))?.len();
    let mut r = BufReader::new(File::open(file).map_err(file_err(file))?);
    if len < TRAILER_LEN {
        return Err(invalid("too short (truncated?)"));
    }
    // The digest first: over everything but its own 32 bytes.
    let mut hash = Sha256::new();
    let mut left = len - 32;
    let mut buf = vec![0u8; 64 * 1024];
    while left > 0 {
        let n = (buf.len() as u64).min(left) as usize;
        r.read_exact(&mut buf[..n]).map_err(file_err(file))?;
        hash.update(&buf[..n]);
        left -= n as u64;
    }
    let mut stored = [0u8; 32];
    r.read_exact(&mut stored).map_err(file_err(file))?;
    if hash.finalize()[..] != stored {
        return Err(invalid(
            "its checksum does not match (truncated or altered)",
        ));
    }
    let mut reader = Entries::open(file)?;
    let mut summary = Summary {
        last_event_id: reader.last_event_id,
        entries: 0,
        tickets: 0,
        events: 0,
        bytes: len,
        files: 0,
    };
    while let Some((tree, key, _)) = reader.next_entry()? {
        summary.count(tree, &key);
    }
    if reader.count != Some(summary.entries) {
        return Err(invalid("its entry count does not match"));
    }
    Ok(Checked {
        summary,
        created: reader.created.clone(),
    })
}

/// One entry of a file: tree tag, key, value.
type Entry = (u8, Vec<u8>, Vec<u8>);

/// Reads a backup's header and entries (the trailer's count is kept when met).
struct Entries {
    path: PathBuf,
    r: BufReader<File>,
    last_event_id: u64,
    created: String,
    count: Option<u64>,
}

impl Entries {
    fn open(path: &Path) -> Result<Self, BackupError> {
        let mut r = BufReader::new(File::open(path).map_err(file_err(path))?);
        let mut header = Vec::new();
        for _ in 0..3 {
            let mut line = Vec::new();
            for byte in (&mut r).bytes() {
                let byte = byte.map_err(file_err(path))?;
                if byte == b'\n' {
                    break;
                }
                line.push(byte);
                if line.len() > 200 {
                    break;
                }
            }
            header.push(String::from_utf8_lossy(&line).into_owned());
        }
        let invalid = |why: String| BackupError::Invalid {
            path: path.to_owned(),
            why,
        };
        if header[0] != MAGIC {
            return Err(invalid(format!(
                "it does not start with `{MAGIC}` (another format or version)"
            )));
        }
        let last_event_id = header[1]
            .strip_prefix("last_event_id ")
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| invalid("no last_event_id line".into()))?;
        let created = header[2]
            .strip_prefix("created ")
            .ok_or_else(|| invalid("no created line".into()))?
            .to_owned();
        Ok(Self {
            path: path.to_owned(),
            r,
            last_event_id,
            created,
            count: None,
        })
    }

    fn next_entry(&mut self) -> Result<Option<Entry>, BackupError> {
        let path = self.path.clone();
        let invalid = |why: &str| BackupError::Invalid {
            path: path.clone(),
            why: why.to_owned(),
        };
        let mut tag = [0u8; 1];
        self.r
            .read_exact(&mut tag)
            .map_err(|_| invalid("it ends before its trailer"))?;
        match tag[0] {
            TRAILER => {
                let mut count = [0u8; 8];
                self.r
                    .read_exact(&mut count)
                    .map_err(|_| invalid("its trailer is cut short"))?;
                self.count = Some(u64::from_be_bytes(count));
                Ok(None)
            }
            MAIN | RECORDS | FILES => {
                let mut parts = [Vec::new(), Vec::new()];
                for part in &mut parts {
                    let mut len = [0u8; 4];
                    self.r
                        .read_exact(&mut len)
                        .map_err(|_| invalid("an entry is cut short"))?;
                    part.resize(u32::from_be_bytes(len) as usize, 0);
                    self.r
                        .read_exact(part)
                        .map_err(|_| invalid("an entry is cut short"))?;
                }
                let [key, value] = parts;
                Ok(Some((tag[0], key, value)))
            }
            _ => Err(invalid("an entry has an unknown tree")),
        }
    }
}

/// Restores `file` into a new sled store at `store`. Refuses a non-empty target and a file
/// that fails [`check`], creating nothing then.
pub fn restore(file: &Path, store: &Path) -> Result<Summary, BackupError> {
    if store.exists() {
        let empty = store.is_dir()
            && std::fs::read_dir(store)
                .map_err(file_err(store))?
                .next()
                .is_none();
        if !empty {
            return Err(BackupError::TargetNotEmpty(store.to_owned()));
        }
    }
    let checked = check(file)?;
    let existed = store.exists();
    let result = restore_checked(file, store, &checked);
    if result.is_err() {
        if existed {
            if let Ok(entries) = std::fs::read_dir(store) {
                for e in entries.flatten() {
                    let p = e.path();
                    let _ = std::fs::remove_dir_all(&p).or_else(|_| std::fs::remove_file(&p));
                }
            }
        } else {
            let _ = std::fs::remove_dir_all(store);
        }
    }
    result
}

fn restore_checked(file: &Path, store: &Path, checked: &Checked) -> Result<Summary, BackupError> {
    let db = sled::Config::new()
        .path(store)
        .open()
        .map_err(StoreError::from)?;
    let trees = [
        db.open_tree("main").map_err(StoreError::from)?,
        db.open_tree("records").map_err(StoreError::from)?,
    ];
    let mut entries = Entries::open(file)?;
    let files = crate::evidence::FileStore::of_store(store);
    let mut batches = [sled::Batch::default(), sled::Batch::default()];
    let mut pending = 0usize;
    while let Some((tree, key, value)) = entries.next_entry()? {
        if tree == FILES {
            let hash = String::from_utf8_lossy(&key).into_owned();
            if !crate::domain::ticket::is_sha256(&hash) {
                return Err(BackupError::Invalid {
                    path: file.to_owned(),
                    why: "an evidence file is not named by a SHA-256".into(),
                });
            }
            files.put(&hash, &value).map_err(|e| BackupError::Invalid {
                path: file.to_owned(),
                why: format!("evidence file {hash}: {e}"),
            })?;
            continue;
        }
        let i = usize::from(tree == RECORDS);
        batches[i].insert(key, value);
        pending += 1;
        if pending >= 10_000 {
            for (t, b) in trees.iter().zip(&mut batches) {
                t.apply_batch(std::mem::take(b)).map_err(StoreError::from)?;
            }
            pending = 0;
        }
    }
    for (t, b) in trees.iter().zip(batches) {
        t.apply_batch(b).map_err(StoreError::from)?;
    }
    db.flush().map_err(StoreError::from)?;
    let stored = match trees[0]
        .get(keys::LAST_EVENT_ID)
        .map_err(StoreError::from)?
    {
        Some(v) => u64_from(&v)?,
        None => 0,
    };
    if stored != checked.summary.last_event_id {
        return Err(BackupError::Invalid {
            path: file.to_owned(),
            why: format!(
                "its header says last event {}, its entries {stored}",
                checked.summary.last_event_id
            ),
        });
    }
    Ok(checked.summary.clone())
}
