//! Hand the ticket to another department, the platform or another unit.

use super::*;

#[derive(Clone, Debug, PartialEq)]
pub struct Transfer {
    pub to: TransferTarget,
    pub reason: String,
}

impl Step for Transfer {
    const INFO: StepInfo = StepInfo {
        name: "transfer",
        verb: "transfer",
        roles: &[Role::Dispatcher],
        summary: "Transfer (转办) to another department (stays open) or out of this unit (closes).",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { to, reason } = self;
        let t = cx.ticket;
        let status = t.status;
        use Status::*;
        if status.is_closed() {
            return Err(cx.illegal());
        }
        require_text(reason, ErrorCode::ReasonRequired, "the reason")?;
        let next = match to {
            TransferTarget::Department { department } => {
                if t.department == Some(*department) {
                    return Err(Rejection::rule(
                        ErrorCode::SameDepartment,
                        format!("the ticket is already with {department}"),
                    ));
                }
                status
            }
            TransferTarget::OtherUnit { unit } => {
                require_text(unit, ErrorCode::UnitRequired, "the receiving unit")?;
                Transferred
            }
            TransferTarget::Platform => Transferred,
        };
        Ok((
            EventKind::Transferred {
                to: to.clone(),
                reason: reason.to_owned(),
            },
            next,
        ))
    }
}

/// Where a transfer is sent, as the caller names it.
#[derive(Clone, Copy, Debug, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TransferTo {
    Enforcement,
    Marketing,
    Logistics,
    /// Back to the 12313 platform as outside this unit's remit.
    Platform,
    /// Another unit, named in `unit`.
    OtherUnit,
}

/// What a caller sends for the `transfer` step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TransferRequest {
    pub to: TransferTo,
    /// The receiving unit, for `other_unit`.
    pub unit: Option<String>,
    pub reason: String,
}

impl CallerStep for Transfer {
    type Body = TransferRequest;

    fn from_body(b: TransferRequest, _: &Catalog) -> Result<Self, Rejection> {
        check_opt("unit", &b.unit, 200)?;
        let department = |department| TransferTarget::Department { department };
        let to = match b.to {
            TransferTo::Enforcement => department(Department::Enforcement),
            TransferTo::Marketing => department(Department::Marketing),
            TransferTo::Logistics => department(Department::Logistics),
            TransferTo::Platform => TransferTarget::Platform,
            TransferTo::OtherUnit => TransferTarget::OtherUnit {
                unit: b.unit.ok_or_else(|| {
                    Rejection::rule(ErrorCode::UnitRequired, "name the receiving `unit`")
                })?,
            },
        };
        check_len("reason", &b.reason, 1000)?;
        Ok(Transfer {
            to,
            reason: b.reason,
        })
    }
}
