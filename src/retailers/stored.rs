//! How the registry is kept in the store: in generations of chunks. A generation is the
//! whole registry in chunks of [`CHUNK`] retailers (`retailer_chunk/{generation}-{index}`,
//! each a JSON array); the `retailer_registry/current` pointer names the generation that is
//! the registry and how many chunks it has. An import writes the next generation a few
//! chunks per store write, so no write holds the whole file (one sled batch of 145,000
//! records took 700 MB), and then switches the pointer in one small write: until then the
//! old registry is what a restart reads, after it the new one, never a mix. The chunks of
//! an import cut short are overwritten by the next import, which also deletes any beyond
//! its own count; the previous generation is deleted once the pointer has moved.
//!
//! A store written before chunked imports keeps one `retailer/{licence}` record per
//! retailer and no pointer: it is read as it is, and the first import writes a generation
//! and then deletes those records.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::domain::retailer::Retailer;
use crate::domain::retailer::search::SearchIndex;
use crate::store::{RecordKind, Store, StoreError, Write};

/// Retailers in one chunk (about 300 KB of JSON).
pub const CHUNK: usize = 1000;
/// Chunks per store write.
const CHUNKS_PER_WRITE: usize = 4;
/// Ids per delete of the old per-licence records.
const DELETES_PER_WRITE: usize = 5000;
const CURRENT: &str = "current";

/// The `current` pointer: generation `generation` in `chunks` chunks is the registry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pointer {
    pub generation: u64,
    pub chunks: u64,
}

fn chunk_id(generation: u64, index: u64) -> String {
    format!("{generation}-{index}")
}

/// Reads the registry: the current generation, or the per-licence records of an older
/// store (`None` pointer).
pub fn load(store: &dyn Store) -> Result<(Vec<Retailer>, Option<Pointer>), StoreError> {
    let Some(bytes) = store.record(RecordKind::RetailerRegistry, CURRENT)? else {
        let retailers = store
            .records(RecordKind::Retailer)?
            .iter()
            .map(|bytes| serde_json::from_slice::<Retailer>(bytes))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok((retailers, None));
    };
    let pointer: Pointer = serde_json::from_slice(&bytes)?;
    let mut retailers = Vec::new();
    for index in 0..pointer.chunks {
        let id = chunk_id(pointer.generation, index);
        let chunk = store
            .record(RecordKind::RetailerChunk, &id)?
            .ok_or_else(|| StoreError::Corrupt(format!("retailer chunk {id} is missing")))?;
        retailers.extend(serde_json::from_slice::<Vec<Retailer>>(&chunk)?);
    }
    Ok((retailers, Some(pointer)))
}

/// Writes `index`'s retailers as the generation after `previous` and moves the pointer to
/// it; durable when this returns.
pub async fn write_generation(
    store: &Arc<dyn Store>,
    index: &Arc<SearchIndex>,
    previous: Option<Pointer>,
) -> Result<Pointer, StoreError> {
    let generation = previous.map_or(1, |p| p.generation + 1);
    let total = index.retailers().len();
    let chunks = total.div_ceil(CHUNK) as u64;
    let group = CHUNK * CHUNKS_PER_WRITE;
    for (g, start) in (0..total).step_by(group).enumerate() {
        let index = index.clone();
        let items = super::blocking(move || {
            let rows = &index.retailers()[start..(start + group).min(total)];
            rows.chunks(CHUNK)
                .enumerate()
                .map(|(i, chunk)| {
                    let k = (g * CHUNKS_PER_WRITE + i) as u64;
                    Ok((chunk_id(generation, k), serde_json::to_vec(chunk)?))
                })
                .collect::<Result<Vec<_>, StoreError>>()
        })
        .await??;
        store
            .submit(Write::PutRecords {
                kind: RecordKind::RetailerChunk,
                items,
            })
            .await?;
    }
    // Chunks of an earlier attempt at this generation that ran further than this one.
    let mut stale = Vec::new();
    let mut k = chunks;
    while store
        .record(RecordKind::RetailerChunk, &chunk_id(generation, k))?
        .is_some()
    {
        stale.push(chunk_id(generation, k));
        k += 1;
    }
    if !stale.is_empty() {
        delete(store, RecordKind::RetailerChunk, stale).await?;
    }
    let pointer = Pointer { generation, chunks };
    store
        .submit(Write::PutRecords {
            kind: RecordKind::RetailerRegistry,
            items: vec![(CURRENT.to_owned(), serde_json::to_vec(&pointer)?)],
        })
        .await?;
    Ok(pointer)
}

async fn delete(
    store: &Arc<dyn Store>,
    kind: RecordKind,
    ids: Vec<String>,
) -> Result<(), StoreError> {
    for part in ids.chunks(DELETES_PER_WRITE) {
        store
            .submit(Write::DeleteRecords {
                kind,
                ids: part.to_vec(),
            })
            .await?;
    }
    Ok(())
}

/// Deletes what the pointer no longer names: the previous generation, and the per-licence
/// records of an older store (or ones left by a stop between the pointer's move and this).
pub async fn clear_previous(
    store: &Arc<dyn Store>,
    previous: Option<Pointer>,
) -> Result<(), StoreError> {
    if let Some(p) = previous {
        let ids = (0..p.chunks).map(|k| chunk_id(p.generation, k)).collect();
        delete(store, RecordKind::RetailerChunk, ids).await?;
    }
    let old = store.clone();
    let licences = super::blocking(move || {
        old.records(RecordKind::Retailer)?
            .iter()
            .map(|bytes| {
                Ok(serde_json::from_slice::<Retailer>(bytes)?
                    .licence()
                    .to_string())
            })
            .collect::<Result<Vec<_>, StoreError>>()
    })
    .await??;
    if !licences.is_empty() {
        delete(store, RecordKind::Retailer, licences).await?;
    }
    Ok(())
}
