//! Evidence files attached to a ticket. The bytes are kept by the engine beside the store,
//! named by their SHA-256 (`crate::evidence`); the ticket keeps what the
//! `evidence.attached` event said of each: hash, size, content type, guide kind, who and
//! when, whether it shows the reporter, and what the file says of itself (a photo's EXIF
//! time and place, a hint never proof). The on-site record and the report name files by
//! hash, and only files attached to the same ticket, so the timeline shows exactly which
//! bytes were on the report when it was reviewed and approved.

use serde::{Deserialize, Serialize};

use super::{Evidence, Rejection, Ticket};
use crate::domain::clock::Timestamp;
use crate::domain::error_code::ErrorCode;
use crate::domain::geo::LatLng;
use crate::domain::role::Principal;

/// What a file says about itself (a JPEG's EXIF): where and when it claims it was taken,
/// set beside the site and the vehicle's own position. Phones strip or forge it: a hint
/// for the reviewer, never proof.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PhotoHint {
    /// The camera's own clock (EXIF `DateTimeOriginal`), as written (no zone).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<String>,
    /// The EXIF GPS position.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub position: Option<LatLng>,
    /// Metres from the ticket's site, when both are known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_site_m: Option<f64>,
    /// Metres from the vehicle's stored position, when both are known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_vehicle_m: Option<f64>,
    /// When the vehicle position compared was taken.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vehicle_fix_at: Option<Timestamp>,
    /// Seconds from the photo's own time (read as the command centre's local time) to the
    /// vehicle's fix compared: how far apart in time the two positions are.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fix_gap_s: Option<i64>,
}

/// The payload of `evidence.attached`: one file, as the engine checked and stored it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Attachment {
    /// Lowercase hex SHA-256 of the bytes: the file's name in the engine's file store.
    pub sha256: String,
    pub size: u64,
    /// The type found in the content (magic bytes), not only the one declared.
    pub content_type: String,
    /// One of the guide's evidence kinds.
    pub kind: String,
    /// Who attached it (the event's principal, kept with the file in the ticket). Not
    /// `by`: the event record's own `by` sits beside the event's fields.
    #[serde(rename = "attached_by")]
    pub by: Principal,
    /// The file shows the reporter (a face, a document with the name): its bytes are
    /// erased with the rest of the reporter's data.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub shows_reporter: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hint: Option<PhotoHint>,
}

/// A file attached to the ticket, as its state keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AttachedFile {
    #[serde(flatten)]
    pub attachment: Attachment,
    pub attached_at: Timestamp,
    /// Its bytes were erased (it showed the reporter); the hash stays on record.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub erased: bool,
}

/// Whether `s` is a SHA-256 as files are named: 64 lowercase hex digits.
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl Ticket {
    /// The file attached with hash `sha256`, if any.
    pub fn file(&self, sha256: &str) -> Option<&AttachedFile> {
        self.files.iter().find(|f| f.attachment.sha256 == sha256)
    }

    /// Refuses evidence that names a file (`sha256`) not attached to this ticket, or one
    /// whose bytes were erased: a record or a report may only point at what the ticket
    /// holds.
    pub(super) fn check_evidence_files(&self, evidence: &[Evidence]) -> Result<(), Rejection> {
        for hash in evidence.iter().filter_map(|e| e.sha256.as_deref()) {
            match self.file(hash) {
                Some(f) if !f.erased => {}
                _ => {
                    return Err(Rejection::rule(
                        ErrorCode::EvidenceNotAttached,
                        format!("no file {hash} is attached to this ticket"),
                    )
                    .with_details(serde_json::json!({ "sha256": hash })));
                }
            }
        }
        Ok(())
    }

    /// Files showing the reporter whose bytes are still kept.
    pub fn files_showing_reporter(&self) -> Vec<String> {
        self.files
            .iter()
            .filter(|f| f.attachment.shows_reporter && !f.erased)
            .map(|f| f.attachment.sha256.clone())
            .collect()
    }

    /// Whether it still holds anything of the reporter: a name, a phone, an address, or a
    /// file showing them.
    pub fn holds_personal_data(&self) -> bool {
        self.reporter
            .as_ref()
            .is_some_and(super::Reporter::has_personal_data)
            || !self.files_showing_reporter().is_empty()
    }

    pub(super) fn attach(&mut self, attachment: &Attachment, at: Timestamp) {
        // The same bytes attached again: the first attachment stands, except that the
        // file shows the reporter once any attachment of it says so, so retention erases
        // it whichever upload said it.
        match self
            .files
            .iter_mut()
            .find(|f| f.attachment.sha256 == attachment.sha256)
        {
            Some(f) => f.attachment.shows_reporter |= attachment.shows_reporter,
            None => self.files.push(AttachedFile {
                attachment: attachment.clone(),
                attached_at: at,
                erased: false,
            }),
        }
    }

    /// Marks the files erased and drops what they said of themselves: a photo's EXIF
    /// place and time can point at the reporter as surely as the picture.
    pub(super) fn erase_files(&mut self, hashes: &[String]) {
        for f in &mut self.files {
            if hashes.contains(&f.attachment.sha256) {
                f.erased = true;
                f.attachment.hint = None;
            }
        }
    }
}
