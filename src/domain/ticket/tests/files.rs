//! Evidence files: attached by the ticket's own field devices and dispatchers, named by
//! hash in the on-site record and the report (only files this ticket holds), and erased
//! with the reporter's data when they show the reporter.

use super::commands::*;
use super::fixtures::*;
use super::given::{given, ticket_in};
use crate::domain::Timestamp;
use crate::domain::role::Role;
use crate::domain::ticket::{Command, EventKind, Evidence, Status, steps};

fn attach(hash: &str, shows_reporter: bool) -> Command {
    Command::AttachEvidence(steps::AttachEvidence {
        sha256: hash.into(),
        size: 1234,
        content_type: "image/jpeg".into(),
        kind: "photo".into(),
        shows_reporter,
        hint: None,
    })
}

fn by_hash(hash: &str) -> Evidence {
    Evidence {
        kind: "photo".into(),
        reference: format!("evidence/{hash}"),
        note: None,
        sha256: Some(hash.into()),
    }
}

#[test]
fn a_file_is_attached_by_the_tickets_own_devices_and_dispatchers() {
    let h1 = "1".repeat(64);
    let mut fx = given(ticket_in(Status::OnSite));
    let d = fx
        .when(attach(&h1, false), &vehicle_token(1))
        .then_event("evidence.attached");
    assert_eq!(d.status, Status::OnSite, "attaching never moves the ticket");
    assert_eq!(fx.ticket.files.len(), 1);
    let f = &fx.ticket.files[0];
    assert_eq!(f.attachment.sha256, h1);
    assert_eq!(f.attachment.by, vehicle_token(1));
    fx.ok(attach(&"2".repeat(64), false), &dispatcher());
    // Another vehicle, the board, a supervisor: no.
    fx.when(attach(&"3".repeat(64), false), &vehicle_token(2))
        .then_not_assigned();
    fx.when(attach(&"3".repeat(64), false), &as_role(Role::Board))
        .then_forbidden();
    fx.when(attach(&"3".repeat(64), false), &supervisor())
        .then_forbidden();
    fx.when(attach("not-a-hash", false), &dispatcher())
        .then_rejected("bad_evidence");
    // The same bytes again: recorded, the first attachment stands.
    fx.ok(attach(&h1, false), &staff_token(1));
    assert_eq!(fx.ticket.files.len(), 2);
    assert_eq!(
        fx.ticket.file(&h1).expect("kept").attachment.by,
        vehicle_token(1)
    );
}

#[test]
fn the_same_bytes_show_the_reporter_once_any_attachment_says_so() {
    let h = "e".repeat(64);
    let mut fx = given(ticket_in(Status::OnSite));
    fx.ok(attach(&h, false), &vehicle_token(1));
    assert!(fx.ticket.files_showing_reporter().is_empty());
    fx.ok(attach(&h, true), &vehicle_token(1));
    assert_eq!(fx.ticket.files.len(), 1);
    let f = fx.ticket.file(&h).expect("kept");
    assert!(f.attachment.shows_reporter, "the later `true` is kept");
    assert_eq!(f.attachment.by, vehicle_token(1));
    // A later `false` does not take it back.
    fx.ok(attach(&h, false), &dispatcher());
    assert!(fx.ticket.file(&h).expect("kept").attachment.shows_reporter);
    assert_eq!(fx.ticket.files_showing_reporter(), vec![h.clone()]);
}

#[test]
fn the_record_and_the_report_name_only_files_of_this_ticket() {
    let h = "a".repeat(64);
    let mut fx = given(ticket_in(Status::OnSite));
    fx.when(
        onsite_record("查获", "登记", vec![by_hash(&"b".repeat(64))]),
        &vehicle_token(1),
    )
    .then_rejected("evidence_not_attached");
    fx.ok(attach(&h, false), &vehicle_token(1));
    let d = fx.ok(
        onsite_record("查获", "登记", vec![by_hash(&h)]),
        &vehicle_token(1),
    );
    match d.kind {
        EventKind::OnsiteRecorded { evidence, .. } => {
            assert_eq!(evidence[0].sha256.as_deref(), Some(h.as_str()))
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_file_showing_the_reporter_is_erased_with_the_reporters_data() {
    let shows = "c".repeat(64);
    let plain = "d".repeat(64);
    let mut fx = given(ticket_in(Status::OnSite));
    let photo_hint = || {
        Some(Box::new(crate::domain::ticket::PhotoHint {
            taken_at: Some("2026:12:01 08:00:00".into()),
            position: Some(crate::domain::geo::LatLng::new(31.2, 121.5).expect("position")),
            ..Default::default()
        }))
    };
    let with_hint = |hash: &str, shows_reporter: bool| match attach(hash, shows_reporter) {
        Command::AttachEvidence(mut a) => {
            a.hint = photo_hint();
            Command::AttachEvidence(a)
        }
        other => other,
    };
    fx.ok(with_hint(&shows, true), &vehicle_token(1));
    fx.ok(with_hint(&plain, false), &vehicle_token(1));
    assert!(fx.ticket.holds_personal_data());
    // Walk it closed, then past retention.
    let mut t = given(ticket_in(Status::Archived)).ticket;
    t.files = fx.ticket.files.clone();
    t.reporter = None;
    assert!(
        t.holds_personal_data(),
        "a file showing the reporter is personal data"
    );
    let later =
        Timestamp::from_unix_millis(t.updated_at.unix_millis() + 400 * 86_400_000).expect("time");
    let (after, kind) = t.erasure_due(later, 365).expect("due");
    match &kind {
        EventKind::PersonalDataErased { files, .. } => assert_eq!(files, &vec![shows.clone()]),
        other => panic!("{other:?}"),
    }
    assert!(
        after.file(&shows).expect("kept").erased,
        "the hash stays, the bytes go"
    );
    assert!(
        after.file(&shows).expect("kept").attachment.hint.is_none(),
        "the photo's own place and time go with the bytes"
    );
    assert!(!after.file(&plain).expect("kept").erased);
    assert!(after.file(&plain).expect("kept").attachment.hint.is_some());
    assert!(!after.holds_personal_data());
    assert!(after.erasure_due(later, 365).is_none());
}
