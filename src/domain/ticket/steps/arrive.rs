//! The vehicle on its way is on site.

use super::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Arrive;

impl Step for Arrive {
    const INFO: StepInfo = StepInfo {
        name: "arrive",
        verb: "arrive",
        roles: &[Role::Field],
        summary: "The assigned vehicle has arrived (also detected from positions).",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let t = cx.ticket;
        let status = t.status;
        use Status::*;
        if status != EnRoute {
            return Err(cx.illegal());
        }
        let vehicle_id = t.assignment.vehicle_id.clone();
        Ok((EventKind::Arrived { vehicle_id }, OnSite))
    }
}

impl CallerStep for Arrive {
    type Body = NoBody;

    /// Arrival says nothing but that the vehicle is there.
    const BODY: BodyRule = BodyRule::Ignored;

    fn empty_body() -> Option<NoBody> {
        Some(NoBody {})
    }

    fn from_body(_: NoBody, _: &Catalog) -> Result<Self, Rejection> {
        Ok(Arrive)
    }
}
