//! The writer's side of cluster mode (`docs/cluster.md`): a ticket write claims its
//! partition (a valid lease, a new command id), each partition's share of a batch is
//! appended to its log and the registry's share to the registry log before the batch is
//! applied, and followed entries are stored under this node's own event ids.

use std::collections::HashMap;
use std::sync::Arc;

use super::{Batch, Changes, Staged, Writer, u64_from};
use crate::cluster::log::{Appended, Entry, NewEntry};
use crate::cluster::partition;
use crate::cluster::registry::Change as SharedChange;
use crate::cluster::replicate::{self, Shipped};
use crate::domain::ids::TicketId;
use crate::domain::ticket::{EventKind, Ticket};
use crate::store::{RecordKind, StoreError, Written, chain, keys};

impl Writer {
    /// Checks that this node may write `partition` now and that `command` (if any) is
    /// new. The ticket a repeated command was applied to, when it is one.
    pub(super) fn claim(
        &mut self,
        partition: &str,
        command: Option<&str>,
        b: &mut Batch,
    ) -> Result<Option<TicketId>, StoreError> {
        let Some(r) = &mut self.replication else {
            return Ok(None);
        };
        if r.token(partition).is_none() {
            metrics::counter!("hotline_cluster_refused_total").increment(1);
            return Err(StoreError::NotOwner(partition.to_owned()));
        }
        let Some(command) = command else {
            return Ok(None);
        };
        if b.view.commands.contains(command) {
            return Err(StoreError::Unlogged(format!(
                "command `{command}` is being applied; retry"
            )));
        }
        let applied = r
            .applied(partition, command)
            .map_err(StoreError::Unlogged)?;
        if applied.is_none() {
            b.view.commands.insert(command.to_owned());
        }
        Ok(applied)
    }

    /// The partition of an existing ticket: as recorded when it was filed (a ticket from
    /// before cluster mode: where it is now).
    pub(super) fn partition(&mut self, ticket: &Ticket) -> Result<String, StoreError> {
        if let Some(p) = self.partitions.get(&ticket.id) {
            return Ok(p.clone());
        }
        let p = match self.main.get(keys::partition(&ticket.id))? {
            Some(v) => String::from_utf8_lossy(&v).into_owned(),
            None => match &self.replication {
                Some(r) => r.partition_of(ticket),
                None => return Err(StoreError::Corrupt("not in cluster mode".into())),
            },
        };
        self.partitions.insert(ticket.id, p.clone());
        Ok(p)
    }

    /// The last seq of `partition`'s log this store holds (or has staged).
    fn position(&mut self, partition: &str) -> Result<u64, StoreError> {
        if let Some(at) = self.positions.get(partition) {
            return Ok(*at);
        }
        let at = match self.main.get(keys::position(partition))? {
            Some(v) => u64_from(&v)?,
            None => 0,
        };
        self.positions.insert(partition.to_owned(), at);
        Ok(at)
    }

    /// Appends each partition's share of the batch to its log, and stages the partitions'
    /// new positions. Any refusal or unknown outcome refuses the whole batch: nothing is
    /// applied, and what a log did take comes back as followed entries.
    pub(super) fn log(&mut self, staged: &[Staged], main: &mut Changes) -> Result<(), StoreError> {
        if self.replication.is_none() {
            return Ok(());
        }
        let shared: Vec<SharedChange> = staged
            .iter()
            .filter(|s| s.outcome.is_ok())
            .flat_map(|s| s.shared.iter().cloned())
            .collect();
        if !shared.is_empty()
            && let Some(r) = &mut self.replication
        {
            r.append_registry(&shared).map_err(StoreError::Unlogged)?;
        }
        let mut shares: HashMap<&str, Vec<NewEntry>> = HashMap::new();
        for s in staged.iter().filter(|s| s.outcome.is_ok()) {
            let Some((partition, command)) = &s.logged else {
                continue;
            };
            let share = shares.entry(partition.as_str()).or_default();
            // A ticket handed over to this partition: its arrival is recorded first.
            if let Some(c) = s.published.first()
                && let Some(arrival) = self.arrival(&c.ticket.id, main)?
            {
                share.push(arrival);
            }
            for (i, c) in s.published.iter().enumerate() {
                share.push(NewEntry {
                    // The command is recorded once, on its first event.
                    command: command.clone().filter(|_| i == 0).unwrap_or_default(),
                    data: replicate::ship(&c.event, &c.ticket, false)?,
                });
            }
        }
        for (partition, entries) in shares {
            let first = self.position(partition)? + 1;
            let Some(r) = &mut self.replication else {
                return Ok(());
            };
            let token = r
                .token(partition)
                .ok_or_else(|| StoreError::NotOwner(partition.to_owned()))?;
            let appended = r
                .append(partition, token, first, &entries)
                .or_else(|e| resolve(r.as_mut(), partition, first, &entries, e));
            metrics::counter!("hotline_cluster_appends_total", "outcome" => appended_label(&appended))
                .increment(1);
            match appended {
                Ok(Appended::Done { last }) => {
                    main.insert(keys::position(partition), &last.to_be_bytes());
                    self.positions.insert(partition.to_owned(), last);
                }
                Ok(Appended::Fenced { .. }) => {
                    return Err(StoreError::NotOwner(partition.to_owned()));
                }
                Ok(Appended::NotNext { head }) => {
                    return Err(StoreError::Unlogged(format!(
                        "this node holds partition `{partition}` up to {} of {head}; it is catching up",
                        first - 1
                    )));
                }
                Ok(Appended::Duplicate { command, .. }) => {
                    return Err(StoreError::Unlogged(format!(
                        "command `{command}` was applied meanwhile"
                    )));
                }
                Err(e) => {
                    tracing::warn!(partition, error = %e, "cluster: append outcome unknown");
                    return Err(StoreError::Unlogged(e));
                }
            }
        }
        Ok(())
    }

    /// Forgets what staging a refused batch cached: it is read again from the store.
    pub(super) fn forget_staged(&mut self) {
        self.seqs.clear();
        self.heads.clear();
        self.numbers.clear();
        self.positions.clear();
        self.partitions.clear();
    }

    /// Stages a partition's followed entries past the position this store holds. Each
    /// entry must take its ticket one seq further than this store (and the batch) holds it,
    /// or nothing is staged: a ticket handed over from `unplaced` may have its next events
    /// in its town's log before this node has followed the handover (`Behind`, read again).
    pub(super) fn stage_follow(
        &mut self,
        partition: &str,
        entries: Vec<Entry>,
        b: &mut Batch,
    ) -> Result<Written, StoreError> {
        let mut at = self.position(partition)?;
        let mut next = Vec::new();
        let mut seqs: HashMap<TicketId, u64> = HashMap::new();
        for e in entries {
            if e.seq <= at {
                continue;
            }
            if e.seq != at + 1 {
                return Err(StoreError::Corrupt(format!(
                    "partition `{partition}`: entry {} cannot follow {at}",
                    e.seq
                )));
            }
            let shipped: Shipped = serde_json::from_slice(&e.data)?;
            let id = shipped.ticket.id;
            let held = match seqs.get(&id) {
                Some(seq) => *seq,
                None => self.followed_before(&id, b)?.map_or(0, |t| t.seq),
            };
            // An arrival builds on the state it records (the handover entry's).
            let step = u64::from(!shipped.handoff);
            if shipped.ticket.seq != held + step {
                return Err(StoreError::Behind(format!(
                    "partition `{partition}` entry {}: ticket {id} at seq {} here, {} there",
                    e.seq, held, shipped.ticket.seq
                )));
            }
            seqs.insert(id, shipped.ticket.seq);
            next.push(shipped);
            at = e.seq;
        }
        let advanced = !next.is_empty();
        let mut tickets = Vec::with_capacity(next.len());
        for shipped in next {
            if shipped.handoff {
                // Recorded here already, from the partition it came from.
                b.main.remove(&keys::handoff(&shipped.ticket.id));
                continue;
            }
            tickets.push(shipped.ticket.id);
            self.stage_followed(partition, shipped, b)?;
        }
        if advanced {
            b.main.insert(keys::position(partition), &at.to_be_bytes());
            self.positions.insert(partition.to_owned(), at);
        }
        Ok(Written::Followed { tickets })
    }

    /// Ticket `id` as this store, with the batch's followed entries, holds it.
    fn followed_before(&self, id: &TicketId, b: &Batch) -> Result<Option<Ticket>, StoreError> {
        if let Some(t) = b.view.tickets.get(id) {
            return Ok(Some(t.clone()));
        }
        Ok(self
            .main
            .get(keys::ticket(id))?
            .map(|v| serde_json::from_slice::<Ticket>(&v))
            .transpose()?)
    }

    /// Where a ticket of `from` goes once `after` is its state: a ticket with no place
    /// (`unplaced`) is handed over to the town triage placed it in. A placed ticket stays
    /// in its partition (its log holds its history from the start).
    pub(super) fn handoff(&self, from: &str, after: &Ticket) -> Option<String> {
        let r = self.replication.as_ref()?;
        if from != partition::UNPLACED {
            return None;
        }
        Some(r.partition_of(after)).filter(|to| to != partition::UNPLACED)
    }

    /// The record of ticket `id`'s arrival in its town's log, when it was handed over and
    /// its town's log does not record it yet: the ticket and the event that placed it, as
    /// stored. Staged as recorded with it.
    fn arrival(&self, id: &TicketId, main: &mut Changes) -> Result<Option<NewEntry>, StoreError> {
        if !self.main.contains_key(keys::handoff(id))? {
            return Ok(None);
        }
        let ticket: Ticket = match self.main.get(keys::ticket(id))? {
            Some(v) => serde_json::from_slice(&v)?,
            None => return Ok(None),
        };
        let event = match self.main.get(keys::timeline(id, ticket.seq))? {
            Some(v) => u64_from(&v)?,
            None => {
                return Err(StoreError::Corrupt(format!(
                    "ticket {id} has no last event"
                )));
            }
        };
        let event: crate::domain::ticket::EventRecord = match self.main.get(keys::event(event))? {
            Some(v) => serde_json::from_slice(&v)?,
            None => return Err(StoreError::Corrupt(format!("event {event} is missing"))),
        };
        main.remove(&keys::handoff(id));
        Ok(Some(NewEntry {
            command: String::new(),
            data: replicate::ship(&event, &ticket, true)?,
        }))
    }

    /// Records that ticket `id` is in `partition` from this batch on.
    pub(super) fn place(&mut self, id: TicketId, partition: &str, b: &mut Batch) {
        b.main
            .insert(&keys::partition(&id), partition.as_bytes().to_vec());
        self.partitions.insert(id, partition.to_owned());
    }

    /// Stages other nodes' changes to shared records, with the registry log's position.
    pub(super) fn stage_follow_registry(
        &mut self,
        position: String,
        changes: Vec<SharedChange>,
        b: &mut Batch,
    ) -> Result<Written, StoreError> {
        for change in changes {
            // Only shared kinds travel; any other is a newer node's kind this node does
            // not know, and is left out.
            let kind = RecordKind::parse(change.kind()).filter(|k| k.shared());
            let Some(kind) = kind else {
                tracing::warn!(
                    kind = change.kind(),
                    "cluster: a registry change of an unknown kind"
                );
                continue;
            };
            let key = |id: &str| keys::record(kind.as_str(), id);
            match change {
                SharedChange::Put { id, value, .. } => b.records.insert(key(&id), value),
                SharedChange::Delete { id, .. } => b.records.remove(key(&id)),
            }
        }
        b.main
            .insert(keys::REGISTRY_POSITION, position.into_bytes());
        Ok(Written::Record)
    }

    /// Stages one followed ticket write under this store's next event id.
    fn stage_followed(
        &mut self,
        partition: &str,
        shipped: Shipped,
        b: &mut Batch,
    ) -> Result<(), StoreError> {
        let Shipped {
            mut event, ticket, ..
        } = shipped;
        let id = ticket.id;
        let before = self.followed_before(&id, b)?;
        if before.is_none() && ticket.seq != 1 {
            return Err(StoreError::Corrupt(format!(
                "partition `{partition}`: ticket {id} at seq {} without its earlier events",
                ticket.seq
            )));
        }
        event.event_id = *b.next_id + 1;
        let erased = match (
            &event.kind,
            before.as_ref().and_then(|t| t.reporter.as_ref()),
        ) {
            (EventKind::PersonalDataErased { .. }, Some(reporter)) => {
                chain::erased_events(&self.main, &id, reporter)?
            }
            _ => Vec::new(),
        };
        self.stage_ticket(b.main, before.as_ref(), &ticket, &event)?;
        for (key, value) in erased {
            b.main.insert(key, value);
        }
        if before.is_none() {
            if let Some(ext) = ticket.external_id.as_deref() {
                let k = keys::external(ticket.source, ext);
                b.main.insert(k.clone(), id.as_bytes().to_vec());
                b.view.externals.insert(k, id);
            }
            self.place(id, partition, b);
        }
        if let Some(to) = self.handoff(partition, &ticket) {
            self.place(id, &to, b);
            b.main.insert(&keys::handoff(&id), &[] as &[u8]);
        }
        self.seqs.insert(id, ticket.seq);
        *b.next_id += 1;
        let event = Arc::new(event);
        b.publish(&event, &ticket);
        b.view.tickets.insert(id, ticket);
        Ok(())
    }
}

/// An append whose answer was lost: if the share carries a command id, the log says whether
/// it went in (the script is all or nothing), so the batch goes on as it would have;
/// without one, the outcome stays unknown (`Err`) and the batch is refused.
fn resolve(
    r: &mut dyn crate::cluster::replicate::Replication,
    partition: &str,
    first: u64,
    entries: &[NewEntry],
    lost: String,
) -> Result<Appended, String> {
    let Some((i, command)) = entries
        .iter()
        .enumerate()
        .find(|(_, e)| !e.command.is_empty())
    else {
        return Err(lost);
    };
    match r.command_seq(partition, &command.command) {
        Ok(Some(seq)) if seq == first + i as u64 => {
            tracing::info!(
                partition,
                "cluster: a lost append's answer found in the log"
            );
            Ok(Appended::Done {
                last: first + entries.len() as u64 - 1,
            })
        }
        Ok(_) => Err(format!("{lost}; not in the log when looked up")),
        Err(e) => Err(format!("{lost}; looking it up: {e}")),
    }
}

fn appended_label(a: &Result<Appended, String>) -> &'static str {
    match a {
        Ok(Appended::Done { .. }) => "done",
        Ok(Appended::Fenced { .. }) => "fenced",
        Ok(Appended::NotNext { .. }) => "behind",
        Ok(Appended::Duplicate { .. }) => "duplicate",
        Err(_) => "unknown",
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, reason = "tests")]

    use super::*;
    use crate::cluster::replicate::Replication;

    /// A log that answers lookups by command id only.
    struct Log(HashMap<String, u64>);

    impl Replication for Log {
        fn partition_of(&self, _: &Ticket) -> String {
            partition::UNPLACED.into()
        }
        fn token(&self, _: &str) -> Option<u64> {
            Some(1)
        }
        fn next_number(&mut self, _: i32) -> Result<u64, String> {
            Ok(1)
        }
        fn applied(&mut self, _: &str, _: &str) -> Result<Option<TicketId>, String> {
            Ok(None)
        }
        fn command_seq(&mut self, _: &str, command: &str) -> Result<Option<u64>, String> {
            Ok(self.0.get(command).copied())
        }
        fn append_registry(&mut self, _: &[SharedChange]) -> Result<(), String> {
            Ok(())
        }
        fn append(&mut self, _: &str, _: u64, _: u64, _: &[NewEntry]) -> Result<Appended, String> {
            Err("timed out".into())
        }
    }

    fn entry(command: &str) -> NewEntry {
        NewEntry {
            command: command.into(),
            data: b"{}".to_vec(),
        }
    }

    /// A lost answer is settled by the log: in it at the expected seq, the share went in;
    /// not in it (or elsewhere, or no command to look for), the outcome stays unknown.
    #[test]
    fn a_lost_append_is_settled_by_its_command_id() {
        let share = [entry(""), entry("cmd-b"), entry("")];
        let mut log = Log(HashMap::from([("cmd-b".to_owned(), 8)]));
        let found = resolve(&mut log, "p", 7, &share, "timed out".into());
        assert_eq!(found, Ok(Appended::Done { last: 9 }));
        let elsewhere = resolve(&mut log, "p", 3, &share, "timed out".into());
        assert!(elsewhere.is_err(), "{elsewhere:?}");
        let mut empty = Log(HashMap::new());
        assert!(resolve(&mut empty, "p", 7, &share, "timed out".into()).is_err());
        let anonymous = [entry(""), entry("")];
        let unknown = resolve(&mut log, "p", 7, &anonymous, "timed out".into());
        assert_eq!(unknown, Err("timed out".into()));
    }
}
