//! Every error code the engine answers with, in one table: the stable snake_case code a
//! client matches on, the class that sets its HTTP status, and what it means. Codes are
//! spelled here and nowhere else; the rest of the engine names them as [`ErrorCode`]
//! variants. The table is served in the OpenAPI document (`x-error-codes`) and listed in
//! README's API overview, so a client can see every code it may meet.
//!
//! A code keeps its spelling and its class once published: clients and the pages'
//! dictionaries (`err.<code>` in `i18n.js`) depend on them. Add codes, never rename one.

use serde::{Serialize, Serializer};

/// How an error is answered: the HTTP status of each class, or none for codes that are
/// only ever named inside another answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorClass {
    /// 400: the request cannot be read (not JSON, wrong types, a bad parameter).
    BadRequest,
    /// 401: no token, or one the engine does not know.
    Unauthorized,
    /// 403: the role or the person may not take this step.
    Forbidden,
    /// 404: no such resource.
    NotFound,
    /// 405: the route does not take this method.
    MethodNotAllowed,
    /// 409: the step clashes with the current state.
    Conflict,
    /// 410: the resource was there and is gone for good (erased).
    Gone,
    /// 413: the body is over its limit.
    PayloadTooLarge,
    /// 415: the body is not of a type the route reads.
    UnsupportedMediaType,
    /// 422: valid JSON that breaks a rule.
    Unprocessable,
    /// 429: too much at once; retry later.
    TooManyRequests,
    /// 500: the engine failed; nothing was changed.
    Internal,
    /// 503: a part of the engine is restarting or stopping; retry.
    Unavailable,
    /// Only in a socket `error` frame (a frame the server cannot use), never an HTTP answer.
    Frame,
    /// Names one refused item inside a batch answer (a GPS fix), never a whole answer.
    Item,
}

impl ErrorClass {
    /// The HTTP status number of the class (console `error` frames carry it too); `None`
    /// for codes that never make an answer of their own.
    pub const fn http_status(self) -> Option<u16> {
        Some(match self {
            Self::BadRequest => 400,
            Self::Unauthorized => 401,
            Self::Forbidden => 403,
            Self::NotFound => 404,
            Self::MethodNotAllowed => 405,
            Self::Conflict => 409,
            Self::Gone => 410,
            Self::PayloadTooLarge => 413,
            Self::UnsupportedMediaType => 415,
            Self::Unprocessable => 422,
            Self::TooManyRequests => 429,
            Self::Internal => 500,
            Self::Unavailable => 503,
            Self::Frame | Self::Item => return None,
        })
    }

    /// How the docs show the class: the status number, or where the code appears.
    pub const fn label(self) -> &'static str {
        match self {
            Self::BadRequest => "400",
            Self::Unauthorized => "401",
            Self::Forbidden => "403",
            Self::NotFound => "404",
            Self::MethodNotAllowed => "405",
            Self::Conflict => "409",
            Self::Gone => "410",
            Self::PayloadTooLarge => "413",
            Self::UnsupportedMediaType => "415",
            Self::Unprocessable => "422",
            Self::TooManyRequests => "429",
            Self::Internal => "500",
            Self::Unavailable => "503",
            Self::Frame => "socket frame",
            Self::Item => "batch item",
        }
    }
}

/// The table: one row per code, `Variant = "wire_code", Class, "what it means"`. The
/// meaning is the default message (and the docs' text); a place that knows more says more.
macro_rules! error_codes {
    ($($variant:ident = $code:literal, $class:ident, $message:literal;)*) => {
        /// A stable error code (see the module docs); `as_str` is its wire spelling.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $(
                #[doc = $message]
                $variant,
            )*
        }

        impl ErrorCode {
            /// Every code, in the table's order (by class, then by name).
            pub const ALL: &'static [ErrorCode] = &[$(Self::$variant,)*];

            /// The code as clients see it.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(Self::$variant => $code,)*
                }
            }

            /// The class that sets how the code is answered.
            pub const fn class(self) -> ErrorClass {
                match self {
                    $(Self::$variant => ErrorClass::$class,)*
                }
            }

            /// What the code means, for the docs and for a place with nothing to add.
            pub const fn default_message(self) -> &'static str {
                match self {
                    $(Self::$variant => $message,)*
                }
            }
        }
    };
}

error_codes! {
    Malformed = "malformed", BadRequest, "the request cannot be read: not JSON, a wrong type or value, or a bad parameter";

    Unauthorized = "unauthorized", Unauthorized, "no bearer token, or one the engine does not know";

    Forbidden = "forbidden", Forbidden, "the caller's role may not take this step";
    NotAssigned = "not_assigned", Forbidden, "this ticket is not assigned to you";
    NotGroupLead = "not_group_lead", Forbidden, "only the collaboration group's lead (or a dispatcher) may take this step";
    NotGroupMember = "not_group_member", Forbidden, "the caller is not a member of the ticket's collaboration group";
    NotTaskHolder = "not_task_holder", Forbidden, "the task is another member's; only they or a dispatcher mark it done";
    OriginNotAllowed = "origin_not_allowed", Forbidden, "pages from this origin may not open the socket (see server.allowed_origins)";

    NotFound = "not_found", NotFound, "no such resource";

    MethodNotAllowed = "method_not_allowed", MethodNotAllowed, "the route does not take this method (see the `Allow` header)";

    AlreadyExists = "already_exists", Conflict, "a record with this id or external id already exists";
    BackupRunning = "backup_running", Conflict, "a backup is already running";
    Conflict = "conflict", Conflict, "the ticket changed meanwhile; reload and retry";
    FeedOff = "feed_off", Conflict, "the intake feed is switched off";
    GroupActive = "group_active", Conflict, "this ticket already has an active collaboration group";
    IllegalTransition = "illegal_transition", Conflict, "the step is not allowed in the ticket's current status (`details.status`)";
    NoActiveGroup = "no_active_group", Conflict, "the ticket has no active collaboration group";
    NoSuccessor = "no_successor", Conflict, "the group's lead cannot leave while no other member can take over";
    NoVehicleAvailable = "no_vehicle_available", Conflict, "no eligible vehicle is available";
    OfferNotOpen = "offer_not_open", Conflict, "the offer is not open (answered, expired or called off)";
    OutOfService = "out_of_service", Conflict, "the vehicle or staff member is out of service";
    TaskDone = "task_done", Conflict, "the task is already done";
    VehicleBusy = "vehicle_busy", Conflict, "the vehicle is on another ticket";
    VehicleOffline = "vehicle_offline", Conflict, "the vehicle is offline";

    EvidenceErased = "evidence_erased", Gone, "the file's bytes were erased with the reporter's personal data; its hash stays on record";

    TooLarge = "too_large", PayloadTooLarge, "the body is over its size limit";

    EvidenceTypeMismatch = "evidence_type_mismatch", UnsupportedMediaType, "the file's content is not of the type it was declared as";
    EvidenceTypeNotAllowed = "evidence_type_not_allowed", UnsupportedMediaType, "the file's content is of a type `evidence.allowed_types` does not list";
    UnsupportedMediaType = "unsupported_media_type", UnsupportedMediaType, "the body is not of a type the route reads";

    AlreadyMember = "already_member", Unprocessable, "the staff member is already in the group";
    AlreadyMerged = "already_merged", Unprocessable, "that ticket is already merged into this one";
    AlreadyVisited = "already_visited", Unprocessable, "the return visit is already recorded";
    BadBatch = "bad_batch", Unprocessable, "the batch of fixes is empty or over its limit";
    BadEvidence = "bad_evidence", Unprocessable, "evidence needs a kind and a reference";
    BadExternalId = "bad_external_id", Unprocessable, "`external_id` must not be blank";
    BadId = "bad_id", Unprocessable, "an id is not in its form";
    BadPhone = "bad_phone", Unprocessable, "the phone number is not one";
    BadPosition = "bad_position", Unprocessable, "the position is outside WGS-84 ranges";
    BadReopenTarget = "bad_reopen_target", Unprocessable, "a ticket cannot be reopened to that status";
    BadReturnTo = "bad_return_to", Unprocessable, "`return_to` goes with a return only";
    BadRole = "bad_role", Unprocessable, "a token cannot be issued for that role";
    BadRows = "bad_rows", Unprocessable, "rows of the file are wrong (listed in `details`); nothing was imported";
    BlankRetailerLicence = "blank_retailer_licence", Unprocessable, "`retailer_licence` is blank";
    CategoryRequired = "category_required", Unprocessable, "classify the ticket first";
    DescriptionRequired = "description_required", Unprocessable, "the description must not be empty";
    DuplicateMember = "duplicate_member", Unprocessable, "a staff member is named twice";
    EvidenceEmpty = "evidence_empty", Unprocessable, "the evidence file is empty";
    EvidenceFileMissing = "evidence_file_missing", Unprocessable, "the upload has no `file` part";
    EvidenceKindMismatch = "evidence_kind_mismatch", Unprocessable, "the evidence kind does not fit the file (a photo must be an image, a video a video, audio audio)";
    EvidenceNotAttached = "evidence_not_attached", Unprocessable, "the evidence names a file (`sha256`) not attached to this ticket";
    FindingsRequired = "findings_required", Unprocessable, "the findings must not be empty";
    LeadRequired = "lead_required", Unprocessable, "the group needs a lead among its members";
    MembersRequired = "members_required", Unprocessable, "a group needs at least one member";
    MergeCycle = "merge_cycle", Unprocessable, "that ticket was merged into this one; merge the other way round";
    MergeInterrupted = "merge_interrupted", Unprocessable, "the engine stopped before the duplicate was closed";
    MergeIntoItself = "merge_into_itself", Unprocessable, "a ticket cannot be merged into itself";
    NoActiveTicket = "no_active_ticket", Unprocessable, "this vehicle is not on its way to a ticket";
    NoOnsiteStage = "no_onsite_stage", Unprocessable, "the ticket's handling path has no on-site stage";
    NoSite = "no_site", Unprocessable, "the ticket has no position to send a vehicle to";
    NotAMember = "not_a_member", Unprocessable, "the staff member is not in the group";
    NotMerged = "not_merged", Unprocessable, "that ticket is not merged into this one";
    NothingToChange = "nothing_to_change", Unprocessable, "name members to add or remove, or a new lead";
    NoticeRequired = "notice_required", Unprocessable, "the notice must not be empty";
    OfferOpen = "offer_open", Unprocessable, "this ticket already has an offer waiting for an answer";
    OneLead = "one_lead", Unprocessable, "a group has one lead";
    OutsideServiceArea = "outside_service_area", Unprocessable, "the position is outside the service area";
    PathConflict = "path_conflict", Unprocessable, "the step does not fit the ticket's handling path";
    ReasonRequired = "reason_required", Unprocessable, "the reason must not be empty";
    ReasonsRequired = "reasons_required", Unprocessable, "a return needs at least one reason";
    ReceivedInFuture = "received_in_future", Unprocessable, "`received_at` is in the future";
    ReceivedTooLongAgo = "received_too_long_ago", Unprocessable, "`received_at` is too far in the past";
    ReplyRequired = "reply_required", Unprocessable, "the reply must not be empty";
    ReportIncomplete = "report_incomplete", Unprocessable, "the report lacks what its template requires (`details.missing`)";
    Required = "required", Unprocessable, "a required field is empty";
    ReturnVisitMissing = "return_visit_missing", Unprocessable, "record the return visit before archiving";
    SameDepartment = "same_department", Unprocessable, "the ticket is already with that department";
    SlaNotDue = "sla_not_due", Unprocessable, "the time limit's checkpoint is not due yet";
    SlaStale = "sla_stale", Unprocessable, "the ticket has left that stage or the checkpoint was already raised";
    SubjectRequired = "subject_required", Unprocessable, "a field token must be bound to a vehicle or a staff member";
    TaskRequired = "task_required", Unprocessable, "each member needs a task";
    TextRequired = "text_required", Unprocessable, "the text must not be empty";
    TooLong = "too_long", Unprocessable, "a text is over its length limit";
    TooMany = "too_many", Unprocessable, "a list is over its length limit";
    TooManyMembers = "too_many_members", Unprocessable, "a group is over its member limit";
    UnitRequired = "unit_required", Unprocessable, "name the receiving unit";
    UnknownCategory = "unknown_category", Unprocessable, "the category is not in the handling guide";
    UnknownEvidenceKind = "unknown_evidence_kind", Unprocessable, "the evidence kind is not in the handling guide";
    UnknownReasonCode = "unknown_reason_code", Unprocessable, "the return reason is not one of the guide's codes (`details.allowed`)";
    UnknownReasonField = "unknown_reason_field", Unprocessable, "a reason has `code` and `note` only";
    UnknownRetailer = "unknown_retailer", Unprocessable, "no such retailer in the registry";
    UnknownStaff = "unknown_staff", Unprocessable, "no such staff member is registered";
    UnknownSubject = "unknown_subject", Unprocessable, "neither a registered vehicle nor a staff member";
    UnknownTask = "unknown_task", Unprocessable, "the group has no such task";
    UnknownTeam = "unknown_team", Unprocessable, "no such team is registered";
    UnknownTicket = "unknown_ticket", Unprocessable, "no such ticket";
    UnknownVehicle = "unknown_vehicle", Unprocessable, "no such vehicle is registered";
    VehicleNotOnTicket = "vehicle_not_on_ticket", Unprocessable, "the vehicle is not on this ticket";
    VehiclePassed = "vehicle_passed", Unprocessable, "the vehicle already declined this ticket";
    VehicleRequired = "vehicle_required", Unprocessable, "name the vehicle";

    Busy = "busy", TooManyRequests, "too much at once; retry shortly";
    Overloaded = "overloaded", TooManyRequests, "the store is overloaded; retry shortly";
    TooManyFailures = "too_many_failures", TooManyRequests, "too many failed authentications from this address; retry after `Retry-After`";

    StorageError = "storage_error", Internal, "the store failed; nothing was changed";

    GroupRestarted = "group_restarted", Unavailable, "the collaboration group is restarting; retry";
    NotLogged = "not_logged", Unavailable, "cluster mode: the partition's log did not confirm the write; nothing was acknowledged, retry";
    NotOwner = "not_owner", Unavailable, "cluster mode: the ticket's partition is changing owner; retry";
    ShuttingDown = "shutting_down", Unavailable, "the engine is shutting down";
    TicketRestarted = "ticket_restarted", Unavailable, "the ticket is restarting; retry";
    Unavailable = "unavailable", Unavailable, "a part of the engine is restarting; retry";

    BadFrame = "bad_frame", Frame, "the frame cannot be used (not JSON, no `type`, a bad field)";
    FixRejected = "fix_rejected", Frame, "fixes of the frame were refused (each listed in `rejected`)";
    Internal = "internal", Frame, "the server could not write its answer";
    NotPositionReporter = "not_position_reporter", Frame, "another device of this vehicle reports its positions";
    StatusRefused = "status_refused", Frame, "the vehicle cannot take that status now";

    BadHeading = "bad_heading", Item, "heading must be between 0 and 360 degrees";
    BadSpeed = "bad_speed", Item, "speed must be between 0 and 300 km/h";
    FixInFuture = "fix_in_future", Item, "the fix is more than the allowed skew in the future";
    FixOutOfOrder = "fix_out_of_order", Item, "the fix is older than the vehicle's last fix";
    NotYourVehicle = "not_your_vehicle", Item, "a field token sends fixes for its own vehicle only";
}

impl ErrorCode {
    /// The code spelled `wire`, if the table has it.
    pub fn from_wire(wire: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|c| c.as_str() == wire)
    }

    /// The table as Markdown (`| code | status | meaning |`), as README's API overview
    /// lists it.
    pub fn markdown_table() -> String {
        let mut out = String::from("| code | status | meaning |\n|---|---|---|\n");
        for code in Self::ALL {
            out.push_str(&format!(
                "| `{}` | {} | {} |\n",
                code.as_str(),
                code.class().label(),
                code.default_message().replace('|', "\\|")
            ));
        }
        out
    }
}

/// What a rejection's constructor takes as its code: an [`ErrorCode`], or the wire spelling
/// of one from a caller not yet naming the variant (`tests/api/error_texts.rs` checks that
/// every such spelling is in the table).
pub trait IntoCode {
    fn wire(self) -> &'static str;
}

impl IntoCode for ErrorCode {
    fn wire(self) -> &'static str {
        self.as_str()
    }
}

impl IntoCode for &'static str {
    fn wire(self) -> &'static str {
        self
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_described() {
        let mut seen = BTreeSet::new();
        for code in ErrorCode::ALL {
            let s = code.as_str();
            assert!(seen.insert(s), "`{s}` appears twice");
            assert!(
                s.starts_with(|c: char| c.is_ascii_lowercase())
                    && s.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
                "`{s}` is not snake_case"
            );
            assert!(!code.default_message().is_empty(), "`{s}` has no meaning");
            assert_eq!(ErrorCode::from_wire(s), Some(*code));
        }
        assert_eq!(ErrorCode::from_wire("no_such_code"), None);
    }

    #[test]
    fn the_table_is_ordered_by_class_then_code() {
        let keys: Vec<_> = ErrorCode::ALL
            .iter()
            .map(|c| (c.class(), c.as_str()))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
    }

    #[test]
    fn classes_give_the_contract_statuses() {
        use ErrorCode as C;
        for (code, status) in [
            (C::Malformed, Some(400)),
            (C::Unauthorized, Some(401)),
            (C::NotAssigned, Some(403)),
            (C::NotFound, Some(404)),
            (C::MethodNotAllowed, Some(405)),
            (C::IllegalTransition, Some(409)),
            (C::EvidenceErased, Some(410)),
            (C::TooLarge, Some(413)),
            (C::UnsupportedMediaType, Some(415)),
            (C::ReportIncomplete, Some(422)),
            (C::TooManyFailures, Some(429)),
            (C::StorageError, Some(500)),
            (C::TicketRestarted, Some(503)),
            (C::BadFrame, None),
            (C::FixOutOfOrder, None),
        ] {
            assert_eq!(code.class().http_status(), status, "{code}");
        }
    }

    #[test]
    fn serialises_as_its_wire_spelling() {
        assert_eq!(
            serde_json::to_string(&ErrorCode::TooLong).expect("json"),
            r#""too_long""#
        );
        assert_eq!(ErrorCode::UnknownVehicle.to_string(), "unknown_vehicle");
        assert!(ErrorCode::markdown_table().contains("| `too_long` | 422 | "));
    }
}
