//! The file store: evidence bytes named by their SHA-256, `<dir>/<2 hex>/<64 hex>`, beside
//! the ticket store (`<store.path>/evidence`). A file arrives as a temp file in `<dir>/tmp`
//! (same file system), is fsynced, renamed into place and its directory fsynced: a file
//! under its final name is always whole. Content-addressed, so the same bytes attached
//! twice are one file, and a name is its own check (`verify`).

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use sha2::{Digest, Sha256};

use crate::domain::ticket::is_sha256;

/// Where upload temp files are written, inside the file store's directory.
const TMP: &str = "tmp";
/// Bytes of a file's beginning kept while it is written: enough for its type and a JPEG's
/// EXIF block (at most 64 KiB, near the start).
pub const HEAD_KEPT: usize = 128 * 1024;

/// Held while a file is moved into place and while the sweep removes one, so a sweep never
/// removes a file an upload has just stored again under the same name.
static PLACING: parking_lot::Mutex<()> = parking_lot::Mutex::new(());

/// The evidence file store of one ticket store.
#[derive(Clone, Debug)]
pub struct FileStore {
    dir: PathBuf,
}

/// A stored file, as listed.
#[derive(Clone, Debug)]
pub struct Stored {
    pub sha256: String,
    pub len: u64,
    pub modified: SystemTime,
}

impl FileStore {
    /// The file store beside the ticket store at `store`.
    pub fn of_store(store: &Path) -> Self {
        Self {
            dir: store.join("evidence"),
        }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the file `sha256` is kept; `sha256` must be one ([`is_sha256`]).
    pub fn path_of(&self, sha256: &str) -> PathBuf {
        self.dir.join(&sha256[..2]).join(sha256)
    }

    /// A new temp file to write an upload into.
    pub fn incoming(&self) -> io::Result<Incoming> {
        let tmp = self.dir.join(TMP);
        std::fs::create_dir_all(&tmp)?;
        let path = tmp.join(format!("{}.part", uuid::Uuid::now_v7()));
        let file = File::options().write(true).create_new(true).open(&path)?;
        Ok(Incoming {
            file: Some(file),
            path: Some(path),
            hash: Sha256::new(),
            size: 0,
            head: Vec::new(),
        })
    }

    /// Moves a finished upload into place under its hash, durably (the rename and the
    /// directory entry fsynced). The same bytes already there are simply replaced.
    pub fn keep(&self, mut file: Finished) -> io::Result<()> {
        let Some(temp) = file.temp.take() else {
            return Ok(());
        };
        let target = self.path_of(&file.sha256);
        let parent = self.dir.join(&file.sha256[..2]);
        let fresh = !parent.exists();
        std::fs::create_dir_all(&parent)?;
        let placing = PLACING.lock();
        let renamed = std::fs::rename(&temp, &target);
        drop(placing);
        if let Err(e) = renamed {
            let _ = std::fs::remove_file(&temp);
            return Err(e);
        }
        sync_dir(&parent)?;
        if fresh {
            sync_dir(&self.dir)?;
        }
        Ok(())
    }

    /// Writes `bytes` as the file `sha256` (a restore), refusing bytes of another hash.
    pub fn put(&self, sha256: &str, bytes: &[u8]) -> io::Result<()> {
        let mut incoming = self.incoming()?;
        incoming.write(bytes)?;
        let finished = incoming.finish()?;
        if finished.sha256 != sha256 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!("the bytes of {sha256} hash to {}", finished.sha256),
            ));
        }
        self.keep(finished)
    }

    /// The file `sha256`, open for reading; `None` when it is not kept.
    pub fn open(&self, sha256: &str) -> io::Result<Option<File>> {
        if !is_sha256(sha256) {
            return Ok(None);
        }
        match File::open(self.path_of(sha256)) {
            Ok(f) => Ok(Some(f)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Whether the file `sha256` is kept.
    pub fn contains(&self, sha256: &str) -> bool {
        is_sha256(sha256) && self.path_of(sha256).is_file()
    }

    /// Removes the file `sha256`; whether it was there.
    pub fn remove(&self, sha256: &str) -> io::Result<bool> {
        if !is_sha256(sha256) {
            return Ok(false);
        }
        match std::fs::remove_file(self.path_of(sha256)) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Removes the file `sha256` if it was last written before `cutoff` (checked again
    /// under the lock uploads are placed under); whether it was removed.
    pub fn remove_if_older(&self, sha256: &str, cutoff: SystemTime) -> io::Result<bool> {
        if !is_sha256(sha256) {
            return Ok(false);
        }
        let path = self.path_of(sha256);
        let _placing = PLACING.lock();
        match std::fs::metadata(&path) {
            Ok(m) if m.modified()? < cutoff => {
                std::fs::remove_file(&path)?;
                Ok(true)
            }
            Ok(_) => Ok(false),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Every file kept, by name (anything else in the directory is left alone).
    pub fn stored(&self) -> io::Result<Vec<Stored>> {
        let mut out = Vec::new();
        let top = match std::fs::read_dir(&self.dir) {
            Ok(t) => t,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
            Err(e) => return Err(e),
        };
        for sub in top {
            let sub = sub?;
            let name = sub.file_name();
            let name = name.to_string_lossy();
            if name.len() != 2 || !sub.file_type()?.is_dir() {
                continue;
            }
            for f in std::fs::read_dir(sub.path())? {
                let f = f?;
                let hash = f.file_name().to_string_lossy().into_owned();
                if !is_sha256(&hash) || !hash.starts_with(name.as_ref()) {
                    continue;
                }
                let meta = f.metadata()?;
                out.push(Stored {
                    sha256: hash,
                    len: meta.len(),
                    modified: meta.modified()?,
                });
            }
        }
        out.sort_by(|a, b| a.sha256.cmp(&b.sha256));
        Ok(out)
    }

    /// Upload temp files and when each was last written.
    pub fn temps(&self) -> io::Result<Vec<(PathBuf, SystemTime)>> {
        let mut out = Vec::new();
        match std::fs::read_dir(self.dir.join(TMP)) {
            Ok(entries) => {
                for e in entries {
                    let e = e?;
                    out.push((e.path(), e.metadata()?.modified()?));
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        Ok(out)
    }

    /// Re-hashes every kept file; the names of those whose bytes are not their hash.
    pub fn check(&self) -> io::Result<Vec<String>> {
        let mut broken = Vec::new();
        for s in self.stored()? {
            let mut f = File::open(self.path_of(&s.sha256))?;
            if hash_reader(&mut f)? != s.sha256 {
                broken.push(s.sha256);
            }
        }
        Ok(broken)
    }
}

/// The SHA-256 of everything `r` yields, as lowercase hex.
pub fn hash_reader(r: &mut impl Read) -> io::Result<String> {
    let mut hash = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = r.read(&mut buf)?;
        if n == 0 {
            return Ok(hex::encode(hash.finalize()));
        }
        hash.update(&buf[..n]);
    }
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// An upload being written to its temp file, hashed as it goes. Dropped unfinished, the
/// temp file is removed.
pub struct Incoming {
    file: Option<File>,
    path: Option<PathBuf>,
    hash: Sha256,
    size: u64,
    head: Vec<u8>,
}

impl Incoming {
    pub fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("the upload is closed"))?;
        file.write_all(chunk)?;
        self.hash.update(chunk);
        self.size += chunk.len() as u64;
        if self.head.len() < HEAD_KEPT {
            let room = HEAD_KEPT - self.head.len();
            self.head.extend_from_slice(&chunk[..chunk.len().min(room)]);
        }
        Ok(())
    }

    pub fn size(&self) -> u64 {
        self.size
    }

    /// Flushes and fsyncs the temp file: what it holds is whole on disk.
    pub fn finish(mut self) -> io::Result<Finished> {
        if let Some(file) = self.file.take() {
            file.sync_all()?;
        }
        Ok(Finished {
            temp: self.path.take(),
            sha256: hex::encode(std::mem::take(&mut self.hash).finalize()),
            size: self.size,
            head: std::mem::take(&mut self.head),
        })
    }
}

impl Drop for Incoming {
    fn drop(&mut self) {
        self.file.take();
        if let Some(p) = self.path.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// A whole upload in its temp file: its hash, size and first bytes. Dropped before
/// [`FileStore::keep`] (a refused file), the temp file is removed: nothing is stored.
pub struct Finished {
    temp: Option<PathBuf>,
    pub sha256: String,
    pub size: u64,
    pub head: Vec<u8>,
}

impl Drop for Finished {
    fn drop(&mut self) {
        if let Some(p) = self.temp.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_kept_under_its_hash_and_a_refused_one_leaves_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let files = FileStore::of_store(dir.path());
        let mut up = files.incoming().unwrap();
        up.write(b"hello ").unwrap();
        up.write(b"evidence").unwrap();
        let done = up.finish().unwrap();
        let want = hex::encode(Sha256::digest(b"hello evidence"));
        assert_eq!(done.sha256, want);
        assert_eq!(done.size, 14);
        assert_eq!(done.head, b"hello evidence");
        files.keep(done).unwrap();
        assert!(files.contains(&want));
        assert_eq!(
            files.path_of(&want).parent().unwrap().file_name().unwrap(),
            &want[..2]
        );
        let listed = files.stored().unwrap();
        assert_eq!(listed.len(), 1);
        assert_eq!(listed[0].len, 14);
        assert!(files.check().unwrap().is_empty());
        // Refused: dropped before keep; and one dropped mid-write.
        let mut refused = files.incoming().unwrap();
        refused.write(b"nope").unwrap();
        drop(refused.finish().unwrap());
        let mut cut = files.incoming().unwrap();
        cut.write(b"half").unwrap();
        drop(cut);
        assert!(
            files.temps().unwrap().is_empty(),
            "no temp file is left behind"
        );
        assert_eq!(files.stored().unwrap().len(), 1);
        // Altered bytes are found.
        std::fs::write(files.path_of(&want), b"hello evidencE").unwrap();
        assert_eq!(files.check().unwrap(), vec![want.clone()]);
        assert!(files.put(&want, b"other bytes").is_err());
        files.put(&want, b"hello evidence").unwrap();
        assert!(files.check().unwrap().is_empty());
        // Removed only when written before the cutoff.
        let now = SystemTime::now();
        let minute = std::time::Duration::from_secs(60);
        assert!(!files.remove_if_older(&want, now - minute).unwrap());
        assert!(files.contains(&want));
        assert!(files.remove_if_older(&want, now + minute).unwrap());
        assert!(!files.contains(&want));
        files.put(&want, b"hello evidence").unwrap();
        assert!(files.remove(&want).unwrap());
        assert!(!files.contains(&want));
    }
}
