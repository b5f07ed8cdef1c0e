//! Intake: a new ticket from the 12313 platform (`POST /tickets`), an Open311 submission or
//! the demo loader, handled alike: the receipt time checked, the category suggested, the
//! retailer resolved, the site placed, then the ticket filed through the ticket directory,
//! durable before the answer. Idempotent on (source, external id).

use crate::actors::ticket::Intake;
use crate::cluster::forward::{Answer, Call};
use crate::cluster::node::Node;
use crate::domain::error_code::ErrorCode;
use crate::domain::role::{Principal, Role};
use crate::domain::ticket::NewTicket;
use crate::engine::Engine;
use crate::service::Error;

/// Who may file a ticket.
pub const ROLES: &[Role] = &[Role::Platform, Role::Dispatcher];

/// How many minutes ahead of the engine's clock a `received_at` may be.
const RECEIVED_AHEAD_MIN: i64 = 5;
/// How many days before the engine's clock a `received_at` may be.
const RECEIVED_BEHIND_DAYS: i64 = 366;

/// Files `new` for `by` (whose role the transport checked against [`ROLES`] before reading
/// the request). `created` is false when the external id was filed already.
pub async fn intake(engine: &Engine, mut new: NewTicket, by: Principal) -> Result<Intake, Error> {
    check_received(engine, &new)?;
    engine.classifier.suggest(&mut new);
    engine.retailers.resolve(&mut new);
    new.place(&engine.area, &engine.retailers.snapshot());
    if let Some(node) = forwarding(engine) {
        let partition = crate::cluster::partition::of(&engine.area, &new.location);
        if let Some(owner) = node.owner_url(&partition).await? {
            let call = Call::Intake {
                ticket: Box::new(new),
            };
            return match node.forward(&owner, &by, call).await? {
                Answer::Intake { ticket, created } => Ok(Intake {
                    ticket: *ticket,
                    created,
                }),
                _ => Err(crate::cluster::forward::unreachable(
                    "an answer of another kind",
                )),
            };
        }
    }
    let intake = engine.tickets.intake(new, by).await?;
    if intake.created {
        let t = &intake.ticket;
        tracing::info!(ticket_id = %t.id, number = %t.number, source = ?t.source, "ticket received");
    }
    Ok(intake)
}

/// The cluster node to forward through, when this call may be forwarded: in cluster mode,
/// and not itself a forwarded call (its owner runs it here, or refuses it).
pub(crate) fn forwarding(engine: &Engine) -> Option<&Node> {
    engine
        .cluster
        .as_deref()
        .filter(|_| crate::cluster::command_id().is_none())
}

fn check_received(engine: &Engine, new: &NewTicket) -> Result<(), Error> {
    // A platform clock a little ahead is tolerated; a receipt time further ahead would
    // count its ticket's handling time wrong, so it is refused.
    let latest = engine.clock.now() + time::Duration::minutes(RECEIVED_AHEAD_MIN);
    if new.received_at.is_some_and(|at| at > latest) {
        return Err(Error::of(
            ErrorCode::ReceivedInFuture,
            format!(
                "`received_at` is more than {RECEIVED_AHEAD_MIN} minutes ahead of the engine's clock"
            ),
        ));
    }
    // A call taken more than a year ago is a typo or a broken feed, not a ticket: it
    // would count a year of handling time.
    let earliest = engine.clock.now() + -time::Duration::days(RECEIVED_BEHIND_DAYS);
    if new.received_at.is_some_and(|at| at < earliest) {
        return Err(Error::of(
            ErrorCode::ReceivedTooLongAgo,
            format!("`received_at` is more than {RECEIVED_BEHIND_DAYS} days ago"),
        ));
    }
    Ok(())
}
