//! Collecting files no event refers to. An upload is stored before the event that
//! attaches it is committed; a crash (or a refused step) in between leaves a file nothing
//! names. Every `evidence.sweep_every_s` the sweep reads the events committed since its last
//! look (`evidence.attached` adds a reference, `ticket.personal_data_erased` takes away the
//! files it names), then removes every file and temp file older than
//! `evidence.orphan_grace_s` that no live reference holds: orphans, and the bytes of files
//! erased with a reporter's data (unless another ticket still holds the same bytes). The
//! grace keeps an upload whose event is still on its way; re-storing the same bytes renews
//! the file's time, so a fresh upload of an old orphan is never collected under it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use super::FileStore;
use crate::config::EvidenceSettings;
use crate::domain::ids::TicketId;
use crate::domain::ticket::EventKind;
use crate::store::{Store, StoreError};

/// Events read per round.
const ROUND: usize = 1000;

/// Which tickets hold each file, as far as the events read so far say.
#[derive(Default)]
pub struct References {
    /// The last event read.
    after: u64,
    live: HashMap<String, HashSet<TicketId>>,
}

/// What one sweep did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Swept {
    pub files: u64,
    pub temps: u64,
}

impl References {
    /// Reads the events committed since the last call.
    pub fn catch_up(&mut self, store: &dyn Store) -> Result<(), StoreError> {
        loop {
            let events = store.events_since(self.after, ROUND)?;
            for e in &events {
                match &e.kind {
                    EventKind::EvidenceAttached(a) => {
                        self.live
                            .entry(a.sha256.clone())
                            .or_default()
                            .insert(e.ticket_id);
                    }
                    EventKind::PersonalDataErased { files, .. } => {
                        for hash in files {
                            if let Some(holders) = self.live.get_mut(hash) {
                                holders.remove(&e.ticket_id);
                                if holders.is_empty() {
                                    self.live.remove(hash);
                                }
                            }
                        }
                    }
                    _ => {}
                }
                self.after = self.after.max(e.event_id);
            }
            if events.len() < ROUND {
                return Ok(());
            }
        }
    }

    /// Whether a committed event still refers to the file.
    pub fn is_live(&self, sha256: &str) -> bool {
        self.live.contains_key(sha256)
    }
}

/// One sweep at `now`: catch up on the events, then remove what nothing refers to and
/// is older than `grace`.
pub fn sweep(
    refs: &mut References,
    store: &dyn Store,
    files: &FileStore,
    grace: Duration,
    now: SystemTime,
) -> Result<Swept, StoreError> {
    refs.catch_up(store)?;
    let io = |e: std::io::Error| StoreError::Io(format!("evidence files: {e}"));
    let old = |t: SystemTime| now.duration_since(t).is_ok_and(|age| age >= grace);
    let cutoff = now.checked_sub(grace).unwrap_or(SystemTime::UNIX_EPOCH);
    let mut swept = Swept::default();
    for f in files.stored().map_err(io)? {
        if !refs.is_live(&f.sha256)
            && old(f.modified)
            && files.remove_if_older(&f.sha256, cutoff).map_err(io)?
        {
            swept.files += 1;
        }
    }
    for (path, modified) in files.temps().map_err(io)? {
        if old(modified) && std::fs::remove_file(&path).is_ok() {
            swept.temps += 1;
        }
    }
    Ok(swept)
}

/// Starts the periodic sweep (the first one a period after start).
pub fn start(store: Arc<dyn Store>, files: FileStore, settings: &EvidenceSettings) {
    let grace = Duration::from_secs(settings.orphan_grace_s);
    let every = Duration::from_secs(settings.sweep_every_s);
    let refs = Arc::new(parking_lot::Mutex::new(References::default()));
    actix::spawn(async move {
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let (store, files, refs) = (store.clone(), files.clone(), refs.clone());
            let done = tokio::task::spawn_blocking(move || {
                sweep(&mut refs.lock(), &*store, &files, grace, SystemTime::now())
            })
            .await;
            match done {
                Ok(Ok(s)) => {
                    metrics::counter!("hotline_evidence_collected_total").increment(s.files);
                    if s.files + s.temps > 0 {
                        tracing::info!(
                            files = s.files,
                            temps = s.temps,
                            "evidence files collected"
                        );
                    }
                }
                Ok(Err(e)) => tracing::warn!(error = %e, "evidence sweep stopped"),
                Err(e) => tracing::warn!(error = %e, "evidence sweep failed"),
            }
        }
    });
}
