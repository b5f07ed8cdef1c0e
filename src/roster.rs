//! The roster: staff, squads and vehicles as durable records (create, read, update, list).
//! Live vehicle and team actors build on it.

use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::domain::ids::{StaffId, TeamId, VehicleId};
use crate::domain::roster::{Staff, Team, Vehicle};
use crate::store::{PutMode, RecordKind, Store, StoreError, Write};

pub struct Roster {
    store: Arc<dyn Store>,
    /// Held by whoever reads a record to write it back changed (a PUT, a change of
    /// service, a crew losing a member), so two such writes never interleave.
    writing: tokio::sync::Mutex<()>,
}

/// Something kept in the roster.
pub trait RosterRecord: Serialize + DeserializeOwned {
    const KIND: RecordKind;
    fn key(&self) -> &str;
}

impl RosterRecord for Staff {
    const KIND: RecordKind = RecordKind::Staff;
    fn key(&self) -> &str {
        self.id.as_str()
    }
}

impl RosterRecord for Team {
    const KIND: RecordKind = RecordKind::Team;
    fn key(&self) -> &str {
        self.id.as_str()
    }
}

impl RosterRecord for Vehicle {
    const KIND: RecordKind = RecordKind::Vehicle;
    fn key(&self) -> &str {
        self.id.as_str()
    }
}

impl Roster {
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            writing: tokio::sync::Mutex::new(()),
        }
    }

    /// The roster's write lock: hold it from reading a record to writing it back.
    pub async fn writing(&self) -> tokio::sync::MutexGuard<'_, ()> {
        self.writing.lock().await
    }

    /// Writes `record` durably; `mode` says whether it must be new or must exist.
    pub async fn put<R: RosterRecord>(&self, record: &R, mode: PutMode) -> Result<(), StoreError> {
        let value = serde_json::to_vec(record)?;
        self.store
            .submit(Write::PutRecord {
                kind: R::KIND,
                id: record.key().to_owned(),
                value,
                mode,
            })
            .await
            .map(|_| ())
    }

    pub fn get<R: RosterRecord>(&self, id: &str) -> Result<Option<R>, StoreError> {
        match self.store.record(R::KIND, id)? {
            Some(raw) => Ok(Some(serde_json::from_slice(&raw)?)),
            None => Ok(None),
        }
    }

    pub fn list<R: RosterRecord>(&self) -> Result<Vec<R>, StoreError> {
        self.store
            .records(R::KIND)?
            .iter()
            .map(|raw| Ok(serde_json::from_slice(raw)?))
            .collect()
    }

    pub fn staff(&self, id: &StaffId) -> Result<Option<Staff>, StoreError> {
        self.get(id.as_str())
    }

    pub fn team(&self, id: &TeamId) -> Result<Option<Team>, StoreError> {
        self.get(id.as_str())
    }

    pub fn vehicle(&self, id: &VehicleId) -> Result<Option<Vehicle>, StoreError> {
        self.get(id.as_str())
    }
}
