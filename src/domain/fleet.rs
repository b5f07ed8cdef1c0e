//! The live fleet as pure data: a vehicle's status, its GPS fixes and the rules that
//! accept or refuse a fix.

use serde::{Deserialize, Serialize};
use time::Duration;

use super::clock::Timestamp;
use super::error_code::ErrorCode;
use super::geo::LatLng;
use super::ids::{OfferId, TicketId, TicketNumber};
use super::ticket::Ticket;

/// What a vehicle is doing now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VehicleStatus {
    OffDuty,
    /// On duty and free: the only status that can be offered a ticket.
    Available,
    /// Holding an open offer.
    Offered,
    /// Accepted a ticket and travelling to it.
    EnRoute,
    OnSite,
    /// Done on site, heading back; becomes available when the crew says so.
    Returning,
    /// Taken out of service by the command centre (broken down, in the workshop): never
    /// offered work, and the crew cannot change it; back in service it is `off_duty` until
    /// the crew says it is available.
    OutOfService,
}

impl VehicleStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::OffDuty => "off_duty",
            Self::Available => "available",
            Self::Offered => "offered",
            Self::EnRoute => "en_route",
            Self::OnSite => "on_site",
            Self::Returning => "returning",
            Self::OutOfService => "out_of_service",
        }
    }

    /// Statuses a crew may set by hand; the others follow offers and arrivals.
    pub fn settable_by_crew(self) -> bool {
        matches!(self, Self::OffDuty | Self::Available | Self::Returning)
    }
}

/// One GPS fix.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Fix {
    pub position: LatLng,
    pub at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub speed_kmh: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub heading: Option<f64>,
}

/// Why a fix was refused; it is counted, never indexed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FixRejection {
    #[error("the fix is more than the allowed skew in the future")]
    InFuture,
    #[error("the fix is older than the vehicle's last fix")]
    OutOfOrder,
    #[error("speed must be between 0 and 300 km/h")]
    BadSpeed,
    #[error("heading must be between 0 and 360 degrees")]
    BadHeading,
}

impl FixRejection {
    pub fn code(self) -> &'static str {
        match self {
            Self::InFuture => ErrorCode::FixInFuture,
            Self::OutOfOrder => ErrorCode::FixOutOfOrder,
            Self::BadSpeed => ErrorCode::BadSpeed,
            Self::BadHeading => ErrorCode::BadHeading,
        }
        .as_str()
    }
}

impl Fix {
    /// Checks a fix against the clock and the vehicle's last accepted fix. Positions are
    /// already range-checked by [`LatLng`].
    pub fn check(
        &self,
        last: Option<&Fix>,
        now: Timestamp,
        max_skew: Duration,
    ) -> Result<(), FixRejection> {
        if self.at > now + max_skew {
            return Err(FixRejection::InFuture);
        }
        if last.is_some_and(|l| self.at < l.at) {
            return Err(FixRejection::OutOfOrder);
        }
        if self
            .speed_kmh
            .is_some_and(|s| !s.is_finite() || !(0.0..=300.0).contains(&s))
        {
            return Err(FixRejection::BadSpeed);
        }
        if self
            .heading
            .is_some_and(|h| !h.is_finite() || !(0.0..=360.0).contains(&h))
        {
            return Err(FixRejection::BadHeading);
        }
        Ok(())
    }
}

/// The ticket a vehicle is heading to or working on.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActiveTicket {
    pub ticket_id: TicketId,
    pub number: TicketNumber,
    /// Where to go, when known.
    pub site: Option<LatLng>,
}

impl ActiveTicket {
    pub fn of(t: &Ticket) -> Self {
        Self {
            ticket_id: t.id,
            number: t.number.clone(),
            site: t.location.position,
        }
    }
}

/// An offer a vehicle is holding.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HeldOffer {
    pub ticket_id: TicketId,
    pub offer_id: OfferId,
    pub expires_at: Timestamp,
}

/// A vehicle's live state as persisted: written on every status change (durably) and
/// periodically for the latest fix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VehicleState {
    pub status: VehicleStatus,
    pub since: Timestamp,
    pub last_fix: Option<Fix>,
    pub active: Option<ActiveTicket>,
    pub offer: Option<HeldOffer>,
}

impl VehicleState {
    pub fn new(now: Timestamp) -> Self {
        Self {
            status: VehicleStatus::OffDuty,
            since: now,
            last_fix: None,
            active: None,
            offer: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fix(at: &str) -> Fix {
        Fix {
            position: LatLng::new(29.85, 115.56).expect("valid"),
            at: Timestamp::parse(at).expect("time"),
            speed_kmh: Some(40.0),
            heading: None,
        }
    }

    #[test]
    fn future_and_out_of_order_fixes_are_refused() {
        let now = Timestamp::parse("2026-11-27T08:00:00Z").expect("time");
        let skew = Duration::seconds(30);
        assert_eq!(
            fix("2026-11-27T08:05:00Z").check(None, now, skew),
            Err(FixRejection::InFuture)
        );
        let last = fix("2026-11-27T07:59:00Z");
        assert_eq!(
            fix("2026-11-27T07:58:00Z").check(Some(&last), now, skew),
            Err(FixRejection::OutOfOrder)
        );
        assert_eq!(
            fix("2026-11-27T07:59:30Z").check(Some(&last), now, skew),
            Ok(())
        );
        let mut fast = fix("2026-11-27T07:59:30Z");
        fast.speed_kmh = Some(f64::NAN);
        assert_eq!(fast.check(None, now, skew), Err(FixRejection::BadSpeed));
    }
}
