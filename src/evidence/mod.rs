//! Evidence files the engine keeps: photos, documents, audio and video attached to a ticket.
//!
//! A file is stored by content — named by its SHA-256 under `<store.path>/evidence/`
//! (`files.rs`) — after its bytes were streamed to a temp file under the size limit, its type
//! found in the bytes themselves (`sniff.rs`), and the temp file fsynced and renamed into
//! place, all on blocking threads, never on the store's group-commit writer: a large file
//! never holds up ticket acknowledgements. Only then is the `evidence.attached` event
//! committed through the ticket's actor like any step. A crash in between leaves a file no
//! event refers to, which the sweep (`sweep.rs`) collects after `evidence.orphan_grace_s`;
//! a crash before the rename leaves only a temp file, collected the same way. A JPEG's
//! EXIF time and GPS are read at upload (`exif.rs`) as a hint for the reviewer.

pub mod audit;
pub mod exif;
pub mod files;
pub mod receive;
pub mod sniff;
pub mod sweep;

pub use files::FileStore;
