//! An upload streamed to its temp file: chunks cross a small bounded channel to a blocking
//! thread that writes and hashes them, so the request's worker never waits on the disk and
//! never holds more than a few chunks. The size limit is enforced as chunks arrive: past
//! it the upload stops and its temp file is removed.

use std::io;

use actix_web::web::Bytes;
use tokio::sync::mpsc;

use super::files::{Finished, Incoming};

/// Chunks waiting for the writing thread.
const QUEUE: usize = 8;

/// An upload that sends nothing for this long is refused and its temp file removed: a
/// client that stalls would otherwise hold an upload slot and a writing thread forever.
/// Long enough for a phone on a weak mobile link to resume.
pub const IDLE: std::time::Duration = std::time::Duration::from_secs(30);

/// Why an upload was not received.
#[derive(Debug, thiserror::Error)]
pub enum ReceiveError {
    #[error("the file is over its limit of {0} bytes")]
    TooLarge(u64),
    #[error("writing the file: {0}")]
    Io(#[from] io::Error),
}

/// An upload on its way to the disk.
pub struct Receiving {
    tx: Option<mpsc::Sender<Bytes>>,
    task: tokio::task::JoinHandle<io::Result<Incoming>>,
    size: u64,
    limit: u64,
}

impl Receiving {
    /// Starts writing into `incoming` on a blocking thread; at most `limit` bytes.
    pub fn start(incoming: Incoming, limit: u64) -> Self {
        let (tx, mut rx) = mpsc::channel::<Bytes>(QUEUE);
        let task = tokio::task::spawn_blocking(move || {
            let mut incoming = incoming;
            while let Some(chunk) = rx.blocking_recv() {
                incoming.write(&chunk)?;
            }
            Ok(incoming)
        });
        Self {
            tx: Some(tx),
            task,
            size: 0,
            limit,
        }
    }

    /// Bytes received so far.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Hands a chunk to the writer; refuses one that takes the upload past its limit.
    pub async fn push(&mut self, chunk: Bytes) -> Result<(), ReceiveError> {
        self.size += chunk.len() as u64;
        if self.size > self.limit {
            return Err(ReceiveError::TooLarge(self.limit));
        }
        let Some(tx) = &self.tx else {
            return Err(ReceiveError::Io(io::Error::other("the upload is closed")));
        };
        if tx.send(chunk).await.is_err() {
            // The writer stopped: its error says why.
            self.tx = None;
            return Err(match self.join().await {
                Err(e) => e,
                Ok(_) => ReceiveError::Io(io::Error::other("the file writer stopped")),
            });
        }
        Ok(())
    }

    async fn join(&mut self) -> Result<Incoming, ReceiveError> {
        self.tx = None;
        match (&mut self.task).await {
            Ok(r) => Ok(r?),
            Err(e) => Err(ReceiveError::Io(io::Error::other(format!(
                "the file writer failed: {e}"
            )))),
        }
    }

    /// Waits for every chunk to be written, then fsyncs the temp file on a blocking
    /// thread: the whole upload, hashed.
    pub async fn finish(mut self) -> Result<Finished, ReceiveError> {
        let incoming = self.join().await?;
        match tokio::task::spawn_blocking(move || incoming.finish()).await {
            Ok(r) => Ok(r?),
            Err(e) => Err(ReceiveError::Io(io::Error::other(format!(
                "the file writer failed: {e}"
            )))),
        }
    }
}

impl Drop for Receiving {
    /// An upload given up (refused, or its request gone): the writer ends, and dropping
    /// its `Incoming` removes the temp file.
    fn drop(&mut self) {
        self.tx = None;
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, reason = "tests")]
mod tests {
    use super::*;
    use crate::evidence::FileStore;

    #[tokio::test]
    async fn an_upload_is_cut_off_at_its_limit_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let files = FileStore::of_store(dir.path());
        let mut r = Receiving::start(files.incoming().unwrap(), 10);
        r.push(Bytes::from_static(b"123456")).await.unwrap();
        let over = r.push(Bytes::from_static(b"789012")).await;
        assert!(matches!(over, Err(ReceiveError::TooLarge(10))), "{over:?}");
        drop(r);
        // The writer ends on its own thread and removes the temp file.
        for _ in 0..100 {
            if files.temps().unwrap().is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        assert!(files.temps().unwrap().is_empty());

        let mut r = Receiving::start(files.incoming().unwrap(), 10);
        r.push(Bytes::from_static(b"12345")).await.unwrap();
        r.push(Bytes::from_static(b"67890")).await.unwrap();
        assert_eq!(r.size(), 10);
        let done = r.finish().await.unwrap();
        assert_eq!(done.size, 10);
        assert_eq!(done.head, b"1234567890");
        files.keep(done).unwrap();
        assert_eq!(files.stored().unwrap().len(), 1);
        assert!(files.temps().unwrap().is_empty());
    }
}
