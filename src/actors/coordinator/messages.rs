//! Messages a coordinator answers, the view it gives of its group, and the errors of group
//! steps.

use actix::Message;
use tokio::sync::oneshot;

use crate::actors::ticket::{CommandError, Executed};
use crate::domain::Timestamp;
use crate::domain::ids::StaffId;
use crate::domain::role::Principal;
use crate::domain::ticket::{EventKind, EventRecord, GroupCommand, Ticket};

/// One chat message, as the timeline holds it.
#[derive(Clone, Debug, PartialEq)]
pub struct RecentMessage {
    pub event_id: u64,
    pub at: Timestamp,
    pub message_no: u32,
    /// The member who wrote it; `None` for the command centre (see `by`).
    pub author: Option<StaffId>,
    pub by: Principal,
    pub text: String,
}

impl RecentMessage {
    /// The message an event carries, if it is one of generation `generation`.
    pub fn of(e: &EventRecord, generation: u32) -> Option<Self> {
        match &e.kind {
            EventKind::GroupMessage(m) if m.generation == generation => Some(Self {
                event_id: e.event_id,
                at: e.at,
                message_no: m.message_no,
                author: m.author.clone(),
                by: e.by.clone(),
                text: m.text.clone(),
            }),
            _ => None,
        }
    }
}

/// A group as its coordinator knows it: the ticket (which holds the group) and the latest
/// messages, oldest first.
#[derive(Clone, Debug)]
pub struct GroupView {
    pub ticket: Ticket,
    pub messages: Vec<RecentMessage>,
}

/// Why a group step did not happen. Nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum GroupError {
    #[error(transparent)]
    Command(#[from] CommandError),
    /// The ticket has no group (or none active, for a step that needs one).
    #[error("this ticket has no active collaboration group")]
    NoGroup,
    #[error("the collaboration group has no task {0}")]
    UnknownTask(u32),
    /// The coordinator's mailbox is full.
    #[error("this collaboration group is busy; try again shortly")]
    Busy,
    /// The coordinator failed while handling the step and is rebuilt on the next one.
    #[error("the collaboration group's coordinator failed and was restarted; retry the request")]
    Failed,
}

impl From<crate::store::StoreError> for GroupError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Command(e.into())
    }
}

/// Run a group step; `reply` is answered once its event is durable. The reply travels in
/// the message so that senders can `try_send` (a full mailbox fails fast).
#[derive(Message)]
#[rtype(result = "()")]
pub struct RunGroupCommand {
    pub command: GroupCommand,
    pub by: Principal,
    pub reply: oneshot::Sender<Result<Executed, GroupError>>,
}

/// The group's current view.
#[derive(Message)]
#[rtype(result = "()")]
pub struct GetGroup {
    pub reply: oneshot::Sender<GroupView>,
}

/// A committed event of the coordinator's ticket, from the bus: keeps its view current
/// whoever made the change.
#[derive(Message)]
#[rtype(result = "()")]
pub struct Observe(pub crate::bus::TicketUpdate);
