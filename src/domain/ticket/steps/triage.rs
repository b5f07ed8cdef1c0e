//! Classify the ticket: category, grade, place; picks its handling path.

use super::*;

/// The classification to record; what is left out keeps what intake proposed, so the
/// default triage confirms the proposal and changes nothing else.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Triage {
    pub category: Option<String>,
    pub urgency: Option<Urgency>,
    pub position: Option<LatLng>,
    pub address_text: Option<String>,
    pub retailer_licence: Option<String>,
    /// The case the triaged retailer, place and category repeat, looked up in the
    /// engine's index by the ticket's actor. Callers leave it `None`; it is recorded
    /// only when triage changes what the duplicate rule looks at and the ticket has no
    /// `possible_duplicate_of` yet.
    pub duplicate_of: Option<TicketId>,
}

impl Step for Triage {
    const INFO: StepInfo = StepInfo {
        name: "triage",
        verb: "triage",
        roles: &[Role::Dispatcher],
        summary: "Confirm or override category, urgency and location; picks the handling path.",
    };

    fn decide(&self, cx: &Cx) -> Result<(EventKind, Status), Rejection> {
        let Self { category, urgency, position, address_text, retailer_licence, duplicate_of } = self;
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
}

/// What a caller sends for the `triage` step.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TriageRequest {
    pub category: Option<String>,
    pub urgency: Option<Urgency>,
    pub location: Option<LatLngDto>,
    pub address_text: Option<String>,
    pub retailer_licence: Option<String>,
}

impl CallerStep for Triage {
    type Body = TriageRequest;

    /// Without a `location`, a retailer named from the registry places the ticket at the
    /// shop (the service looks it up).
    fn from_body(b: TriageRequest, _: &Catalog) -> Result<Self, Rejection> {
        check_opt("address_text", &b.address_text, 500)?;
        Ok(Triage {
            category: b.category,
            urgency: b.urgency,
            position: b.location.map(LatLngDto::parse).transpose()?,
            address_text: b.address_text,
            retailer_licence: licence(b.retailer_licence)?,
            duplicate_of: None,
        })
    }
}
