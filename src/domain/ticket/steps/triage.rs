//! Classify the ticket: category, grade, place; picks its handling path.

use super::*;

/// Who may take this step.
pub const ROLES: &[Role] = &[Role::Dispatcher];

/// This step's row of [`STEPS`](super::STEPS).
pub const STEP: StepInfo = StepInfo {
    name: "triage",
    verb: "triage",
    roles: ROLES,
    summary: "Classify the ticket: category, grade, place; picks its handling path.",
};

/// Checks the step against the ticket: the event it yields and the status it leads to.
pub(super) fn decide(
    cx: &Cx,
    category: &Option<String>,
    urgency: &Option<Urgency>,
    position: &Option<LatLng>,
    address_text: &Option<String>,
    retailer_licence: &Option<String>,
    duplicate_of: &Option<TicketId>,
) -> Result<(EventKind, Status), Rejection> {
    let t = cx.ticket;
    let status = t.status;
    use Status::*;
    if !matches!(status, Received | Triaged | EnRoute | OnSite) {
        return Err(cx.illegal());
    }
    let code = category.as_ref().or(t.category.as_ref()).ok_or_else(|| {
        Rejection::rule(
            ErrorCode::CategoryRequired,
            "triage needs a category: the ticket has none yet",
        )
    })?;
    let cat = cx.catalog.get(code).ok_or_else(|| {
        Rejection::rule(
            ErrorCode::UnknownCategory,
            format!("unknown category `{code}`"),
        )
    })?;
    let category_changed = t.category.as_deref() != Some(cat.code.as_str());
    let (grade, from_default) = match urgency {
        Some(g) => (*g, false),
        None if t.triage.urgency_from_default || t.urgency.is_none() => (cat.urgency, true),
        None => (t.urgency.unwrap_or(cat.urgency), false),
    };
    let in_field = matches!(status, EnRoute | OnSite);
    if in_field && cat.path != HandlingPath::Full {
        return Err(Rejection::rule(
            ErrorCode::PathConflict,
            format!(
                "a vehicle is already on this ticket; category `{}` needs no on-site stage",
                cat.code
            ),
        ));
    }
    let mut location = t.location.clone();
    if position.is_some() {
        location.position = *position;
    }
    if address_text.is_some() {
        location.address_text = address_text.clone();
    }
    if retailer_licence.is_some() {
        location.retailer_licence = retailer_licence.clone();
    }
    location.set_by_triage(position.is_some(), retailer_licence.is_some());
    let next = match (in_field, cat.path) {
        (true, _) => status,
        (false, HandlingPath::Full) => Triaged,
        (false, HandlingPath::NoOnsite) => Reporting,
        (false, HandlingPath::DirectAnswer) => Replying,
    };
    let overridden =
        (t.category.is_some() && category_changed) || (urgency.is_some() && *urgency != t.urgency);
    // A vague intake gets its shop, place or category here: check again, as
    // intake would have, unless a possible duplicate is already named.
    let relocated = category_changed
        || location.retailer_licence != t.location.retailer_licence
        || location.position != t.location.position;
    let possible_duplicate_of =
        duplicate_of.filter(|d| relocated && *d != t.id && t.possible_duplicate_of.is_none());
    Ok((
        EventKind::Triaged {
            category: cat.code.clone(),
            urgency: grade,
            department: cat.lead_department,
            path: cat.path,
            location,
            urgency_from_default: from_default,
            overridden,
            possible_duplicate_of,
        },
        next,
    ))
}
