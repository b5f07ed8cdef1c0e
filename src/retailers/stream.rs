//! A request body read as it arrives: the async side hands each chunk over a small bounded
//! channel to the parser on a blocking thread, which reads it through [`std::io::Read`].
//! At most [`IN_FLIGHT`] chunks wait between the two, so a fast client is held back by TCP
//! while the parser works, and a parser that stops early (a bad header) stops the reading.

use std::io::Read;

use actix_web::web::Bytes;
use futures_util::{Stream, StreamExt};
use tokio::sync::mpsc;

/// Chunks that may wait for the parser.
const IN_FLIGHT: usize = 4;

/// Why the body could not be read whole.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// Over the route's limit (bytes).
    #[error("the file is over the limit of {0} bytes")]
    TooLarge(usize),
    #[error("cannot read the body: {0}")]
    Broken(String),
}

/// The parser's end: reads the chunks in order; end of body is end of file.
pub struct ChunkReader {
    rx: mpsc::Receiver<Result<Bytes, BodyError>>,
    current: Bytes,
}

impl Read for ChunkReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                None => return Ok(0),
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(std::io::Error::other(e)),
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// A reader for the parser and the future that feeds it from `body`; the future ends with
/// the body's first error, if any (the reader then fails too).
pub fn pipe<S>(mut body: S) -> (ChunkReader, impl Future<Output = Option<BodyError>>)
where
    S: Stream<Item = Result<Bytes, BodyError>> + Unpin,
{
    let (tx, rx) = mpsc::channel(IN_FLIGHT);
    let feed = async move {
        while let Some(chunk) = body.next().await {
            let failed = chunk.as_ref().err().cloned();
            // The parser has stopped (it found the file bad): stop reading.
            if tx.send(chunk).await.is_err() || failed.is_some() {
                return failed;
            }
        }
        None
    };
    (
        ChunkReader {
            rx,
            current: Bytes::new(),
        },
        feed,
    )
}
