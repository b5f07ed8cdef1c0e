//! Bearer tokens. A token is shown once when issued and stored only as its SHA-256 hash.
//! Lookups hit an in-memory map of hashes, loaded at start and kept current by issue and
//! revoke; the store is the durable copy. A revocation is also announced on a broadcast
//! channel, so every socket opened with the token closes at once (HTTP refuses it on the
//! next request; sockets check it on every command frame too).

use std::collections::HashMap;
use std::sync::Arc;

use parking_lot::RwLock;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::domain::Timestamp;
use crate::domain::role::{Principal, Role, Subject};
use crate::store::{PutMode, RecordKind, Store, StoreError, Write};

/// A stored token: everything but the secret.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TokenRecord {
    pub id: String,
    pub role: Role,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<Subject>,
    /// Hex SHA-256 of the secret.
    pub hash: String,
    pub created_at: Timestamp,
}

impl TokenRecord {
    pub fn principal(&self) -> Principal {
        Principal::new(self.role, self.subject.clone())
    }
}

/// A freshly issued token: the secret travels only in this value.
#[derive(Debug)]
pub struct IssuedToken {
    pub record: TokenRecord,
    pub secret: String,
}

/// Who presented a live token: the principal, and the token's id (none for the bootstrap
/// admin token, which lives in the settings and cannot be revoked).
#[derive(Clone, Debug)]
pub struct Authenticated {
    pub principal: Principal,
    pub token_id: Option<String>,
}

/// Room for revocations not yet seen by a slow socket; one that lags further re-checks its
/// own token instead (see [`TokenBook::is_live`]).
const REVOCATION_BACKLOG: usize = 1024;

/// The live tokens, by hash (to authenticate) and by id (to revoke and to re-check a
/// socket's token on every frame, both without a scan).
#[derive(Default)]
struct Live {
    by_hash: HashMap<String, TokenRecord>,
    hash_of: HashMap<String, String>,
}

impl Live {
    fn insert(&mut self, record: TokenRecord) {
        self.hash_of.insert(record.id.clone(), record.hash.clone());
        self.by_hash.insert(record.hash.clone(), record);
    }

    fn remove(&mut self, id: &str) {
        if let Some(h) = self.hash_of.remove(id) {
            self.by_hash.remove(&h);
        }
    }
}

pub struct TokenBook {
    store: Arc<dyn Store>,
    live: RwLock<Live>,
    bootstrap_hash: Option<String>,
    /// Ids of revoked tokens, as they are revoked.
    revoked: tokio::sync::broadcast::Sender<String>,
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

impl TokenBook {
    pub fn load(
        store: Arc<dyn Store>,
        bootstrap_admin_token: Option<&str>,
    ) -> Result<Self, StoreError> {
        let mut live = Live::default();
        for raw in store.records(RecordKind::Token)? {
            let record: TokenRecord = serde_json::from_slice(&raw)?;
            live.insert(record);
        }
        Ok(Self {
            store,
            live: RwLock::new(live),
            bootstrap_hash: bootstrap_admin_token.map(hash),
            revoked: tokio::sync::broadcast::channel(REVOCATION_BACKLOG).0,
        })
    }

    /// Who is behind a presented secret, if it is a live token.
    pub fn authenticate(&self, secret: &str) -> Option<Authenticated> {
        let h = hash(secret);
        if self.bootstrap_hash.as_deref() == Some(h.as_str()) {
            return Some(Authenticated {
                principal: Principal::new(Role::Admin, Some(Subject::Label("bootstrap".into()))),
                token_id: None,
            });
        }
        self.live.read().by_hash.get(&h).map(|r| Authenticated {
            principal: r.principal(),
            token_id: Some(r.id.clone()),
        })
    }

    /// Whether the token a socket was opened with still stands (`None`: the bootstrap
    /// token, which only a restart with other settings withdraws).
    pub fn is_live(&self, token_id: Option<&str>) -> bool {
        token_id.is_none_or(|id| self.live.read().hash_of.contains_key(id))
    }

    /// Cluster mode: a token issued on another node now authenticates here too.
    pub fn followed_issue(&self, record: TokenRecord) {
        self.live.write().insert(record);
    }

    /// Cluster mode: a token revoked on another node stops here at once, sockets included.
    pub fn followed_revoke(&self, id: &str) {
        self.live.write().remove(id);
        let _ = self.revoked.send(id.to_owned());
    }

    /// Revocations as they happen: the ids of revoked tokens.
    pub fn revocations(&self) -> tokio::sync::broadcast::Receiver<String> {
        self.revoked.subscribe()
    }

    /// Issues a token; the secret is returned once and never stored.
    pub async fn issue(
        &self,
        role: Role,
        subject: Option<Subject>,
        now: Timestamp,
    ) -> Result<IssuedToken, StoreError> {
        let secret = format!(
            "hd_{}{}",
            uuid::Uuid::new_v4().simple(),
            uuid::Uuid::new_v4().simple()
        );
        let id = uuid::Uuid::now_v7().simple().to_string();
        let record = TokenRecord {
            id: id.clone(),
            role,
            subject,
            hash: hash(&secret),
            created_at: now,
        };
        let value = serde_json::to_vec(&record)?;
        self.store
            .submit(Write::PutRecord {
                kind: RecordKind::Token,
                id,
                value,
                mode: PutMode::Create,
            })
            .await?;
        self.live.write().insert(record.clone());
        Ok(IssuedToken { record, secret })
    }

    /// Revokes token `id`; `RecordMissing` when there is none. It stops authenticating
    /// before the store is even asked (put back only if the store refuses), and every
    /// socket opened with it is told.
    pub async fn revoke(&self, id: &str) -> Result<(), StoreError> {
        let taken = {
            let mut live = self.live.write();
            let record = live
                .hash_of
                .get(id)
                .and_then(|h| live.by_hash.get(h))
                .cloned();
            live.remove(id);
            record
        };
        let written = self
            .store
            .submit(Write::DeleteRecord {
                kind: RecordKind::Token,
                id: id.to_owned(),
            })
            .await;
        if let Err(e) = written {
            if let Some(record) = taken.filter(|_| !matches!(e, StoreError::RecordMissing(_))) {
                self.live.write().insert(record);
            }
            return Err(e);
        }
        // No receiver is fine: no socket was open.
        let _ = self.revoked.send(id.to_owned());
        Ok(())
    }

    /// Revokes every token bound to `subject` (a person or a vehicle taken out of
    /// service); returns their ids.
    pub async fn revoke_subject(&self, subject: &Subject) -> Result<Vec<String>, StoreError> {
        let ids: Vec<String> = self
            .live
            .read()
            .by_hash
            .values()
            .filter(|r| r.subject.as_ref() == Some(subject))
            .map(|r| r.id.clone())
            .collect();
        for id in &ids {
            match self.revoke(id).await {
                // Revoked meanwhile by someone else: that is the outcome wanted.
                Ok(()) | Err(StoreError::RecordMissing(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(ids)
    }

    pub fn list(&self) -> Vec<TokenRecord> {
        let mut all: Vec<_> = self.live.read().by_hash.values().cloned().collect();
        all.sort_by(|a, b| a.id.cmp(&b.id));
        all
    }
}
