//! Make a staff member a handler of the ticket.

use super::*;

/// Make a staff member a handler (e.g. the writer of a no-onsite report).
#[derive(Clone, Debug, PartialEq)]
pub struct Assign {
    pub staff: StaffId,
}

impl Step for Assign {
    const INFO: StepInfo = StepInfo {
        name: "assign",
        verb: "assign",
        roles: &[Role::Dispatcher],
        summary: "Make a staff member a handler of the ticket (e.g. the writer of a no-onsite report); their field device then sees it.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { staff } = self;
        let t = cx.ticket;
        let status = t.status;
        if status.is_closed() {
            return Err(cx.illegal());
        }
        Ok((
            EventKind::Assigned {
                staff_id: staff.clone(),
            },
            status,
        ))
    }
}

/// What a caller sends for the `assign` step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignRequest {
    pub staff_id: String,
}

impl CallerStep for Assign {
    type Body = AssignRequest;

    /// The staff member must be registered and in service (the service checks the roster).
    fn from_body(b: AssignRequest, _: &Catalog) -> Result<Self, Rejection> {
        let staff = b.staff_id.parse().map_err(|_| unknown_staff(&b.staff_id))?;
        Ok(Assign { staff })
    }
}

/// No staff member `raw` is registered.
pub fn unknown_staff(raw: &str) -> Rejection {
    Rejection::rule(
        ErrorCode::UnknownStaff,
        format!("no staff member `{raw}` is registered"),
    )
}
