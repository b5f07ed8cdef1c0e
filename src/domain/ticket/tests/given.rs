//! The given/when/then harness: `given(ticket_in(Status::OnSite)).when(onsite(),
//! &vehicle_token(1)).then_status(Status::Reporting)`. Every step checks the contract of
//! `execute` on the way: an accepted command moves `seq` by one, lands on the decided status
//! and stamps the step's time; a refused one leaves the ticket exactly as it was.

use time::Duration;

use super::commands::{
    approve, archive, arrive, dispatch, merge_into_other, onsite, reply, review_pass, submit,
    submit_sections, transfer, triage, visit,
};
use super::fixtures::{
    all_evidence, assert_rule, catalog, complete_sections, dispatcher, new_ticket, staff_token,
    start, supervisor, this_id, this_number, vehicle_token,
};
use crate::domain::clock::Timestamp;
use crate::domain::role::Principal;
use crate::domain::ticket::{
    Command, Decision, EventKind, NewTicket, Rejection, Satisfaction, Stage, Status, Ticket,
    TransferTarget,
};

/// A ticket under test with its own clock, which moves 17 minutes with each accepted step.
pub(super) struct Fx {
    pub ticket: Ticket,
    pub now: Timestamp,
}

/// The ticket a scenario starts from; reads as the first line of given/when/then.
pub(super) fn given(fx: Fx) -> Fx {
    fx
}

/// A counterfeit ticket (full path, grade II, reporter reachable) walked to `status` the
/// plain way: triaged, V-001 sent with S-001 and S-002, a complete report, passed, approved,
/// answered, visited, archived. `transferred` and `merged` are reached from `triaged`.
pub(super) fn ticket_in(status: Status) -> Fx {
    use Status::*;
    let mut fx = Fx::new("counterfeit");
    let walk: [(Status, Command, Principal); 10] = [
        (Triaged, triage(), dispatcher()),
        (EnRoute, dispatch(1, &[1, 2]), dispatcher()),
        (OnSite, arrive(), vehicle_token(1)),
        (Reporting, onsite(), staff_token(1)),
        (
            InReview,
            submit_sections(complete_sections("counterfeit")),
            vehicle_token(1),
        ),
        (InApproval, review_pass(), supervisor()),
        (Replying, approve(), supervisor()),
        (AwaitingVisit, reply("经查属实，已依法处理。"), dispatcher()),
        (AwaitingVisit, visit(Satisfaction::Satisfied), dispatcher()),
        (Archived, archive(), dispatcher()),
    ];
    let target = match status {
        Transferred | Merged => Triaged,
        other => other,
    };
    for (reached, command, by) in walk {
        // `awaiting_visit` is where the reply leaves it, before the visit.
        if fx.status() == target {
            break;
        }
        fx.ok(command, &by);
        assert_eq!(fx.status(), reached);
    }
    match status {
        Transferred => {
            fx.ok(
                transfer(TransferTarget::Platform, "不属本单位职责"),
                &dispatcher(),
            );
        }
        Merged => {
            fx.ok(merge_into_other(), &dispatcher());
        }
        _ => {}
    }
    assert_eq!(fx.status(), status);
    fx
}

impl Fx {
    /// A ticket received at [`start`] from `new`.
    pub fn with(new: NewTicket) -> Self {
        let now = start();
        let (ticket, event) = Ticket::receive(new, this_id(), this_number(), catalog(), now)
            .expect("intake accepted");
        assert!(matches!(event, EventKind::Received { .. }));
        assert_eq!((ticket.status, ticket.seq), (Status::Received, 1));
        Self { ticket, now }
    }

    /// A ticket of `category` as [`new_ticket`] describes it.
    pub fn new(category: &str) -> Self {
        Self::with(new_ticket(category))
    }

    /// Sends `command` as `by`; what became of it is checked by the `then_*` of the answer.
    pub fn when(&mut self, command: Command, by: &Principal) -> Then {
        let before = self.ticket.clone();
        let at = self.now + Duration::minutes(17);
        let result = self.ticket.execute(&command, by, catalog(), at);
        match &result {
            Ok(decision) => {
                self.now = at;
                assert_eq!(
                    self.ticket.seq,
                    before.seq + 1,
                    "one accepted command, one event"
                );
                assert_eq!(self.ticket.status, decision.status);
                assert_eq!(self.ticket.updated_at, at);
            }
            Err(_) => assert_eq!(self.ticket, before, "a refused command changes nothing"),
        }
        Then {
            result,
            before: before.status,
            command,
            by: by.clone(),
        }
    }

    /// A step that must be accepted.
    pub fn ok(&mut self, command: Command, by: &Principal) -> Decision {
        self.when(command, by).then_accepted()
    }

    /// A step that must be refused.
    pub fn err(&mut self, command: Command, by: &Principal) -> Rejection {
        self.when(command, by).then_refused()
    }

    pub fn status(&self) -> Status {
        self.ticket.status
    }

    pub fn stages(&self) -> Vec<Stage> {
        self.ticket.stages.iter().map(|s| s.stage).collect()
    }

    /// Submits a complete report of the ticket's category from the device of V-001.
    pub fn submit_complete(&mut self) {
        let code = self.ticket.category.clone().expect("categorised");
        self.ok(
            submit(complete_sections(&code), all_evidence()),
            &vehicle_token(1),
        );
    }
}

/// What became of one command.
#[must_use = "say what the step must have done"]
pub(super) struct Then {
    result: Result<Decision, Rejection>,
    /// The status the command was sent in.
    before: Status,
    command: Command,
    by: Principal,
}

impl Then {
    pub fn then_accepted(self) -> Decision {
        let (command, by, before) = (&self.command, &self.by, self.before);
        self.result
            .unwrap_or_else(|e| panic!("{command:?} by {by:?} on a {before} ticket refused: {e}"))
    }

    /// Accepted, and the ticket is now in `status`.
    pub fn then_status(self, status: Status) -> Decision {
        let decision = self.then_accepted();
        assert_eq!(decision.status, status, "{:?}", decision.kind);
        decision
    }

    /// Accepted with the event named `name`.
    pub fn then_event(self, name: &str) -> Decision {
        let decision = self.then_accepted();
        assert_eq!(decision.kind.name(), name);
        decision
    }

    pub fn then_refused(self) -> Rejection {
        let command = &self.command;
        match self.result {
            Ok(d) => panic!(
                "{command:?} by {:?} must be refused, got {:?}",
                self.by, d.kind
            ),
            Err(e) => e,
        }
    }

    /// Refused by the payload or state rule `code`.
    pub fn then_rejected(self, code: &str) -> Rejection {
        let rejection = self.then_refused();
        assert_rule(&rejection, code);
        rejection
    }

    /// Refused because the step is not taken from the status it was sent in; `action` is
    /// how the message names the step.
    pub fn then_illegal(self, action: &str) -> Rejection {
        let status = self.before;
        let rejection = self.then_refused();
        assert!(
            matches!(&rejection, Rejection::IllegalTransition { action: a, status: s } if *a == action && *s == status),
            "expected `cannot {action} a ticket that is {status}`, got {rejection:?}"
        );
        rejection
    }

    /// Refused because the principal's role may not take the step.
    pub fn then_forbidden(self) -> Rejection {
        let (role, action) = (self.by.role, self.command.action());
        let rejection = self.then_refused();
        assert_eq!(rejection, Rejection::Forbidden { role, action });
        rejection
    }

    /// Refused because the field device is not bound to the ticket.
    pub fn then_not_assigned(self) {
        assert_eq!(self.then_refused(), Rejection::NotAssigned);
    }
}
