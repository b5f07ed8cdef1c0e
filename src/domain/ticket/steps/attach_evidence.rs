//! Attach an evidence file the engine has stored (by hash) to the ticket.

use super::*;
use crate::domain::ticket::Attachment;

/// A file already written to the engine's file store (`crate::evidence`), to be recorded
/// on the ticket. Taken through the evidence upload route, not a step route of its own:
/// the body is the file.
#[derive(Clone, Debug, PartialEq)]
pub struct AttachEvidence {
    pub sha256: String,
    pub size: u64,
    pub content_type: String,
    pub kind: String,
    pub shows_reporter: bool,
    /// Boxed: most files carry none, and every command is as large as its largest step.
    pub hint: Option<Box<crate::domain::ticket::PhotoHint>>,
}

impl Step for AttachEvidence {
    const INFO: StepInfo = StepInfo {
        name: "evidence",
        verb: "attach evidence to",
        roles: &[Role::Dispatcher, Role::Field],
        summary: "Attach an evidence file (multipart upload): kept by its SHA-256.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let t = cx.ticket;
        if t.status.is_closed() {
            return Err(cx.illegal());
        }
        if !crate::domain::ticket::is_sha256(&self.sha256) {
            return Err(Rejection::rule(
                ErrorCode::BadEvidence,
                "a file is named by its SHA-256 (64 lowercase hex digits)",
            ));
        }
        let kind = EventKind::EvidenceAttached(Attachment {
            sha256: self.sha256.clone(),
            size: self.size,
            content_type: self.content_type.clone(),
            kind: self.kind.clone(),
            by: cx.by.clone(),
            shows_reporter: self.shows_reporter,
            hint: self.hint.as_deref().cloned(),
        });
        Ok((kind, t.status))
    }
}
