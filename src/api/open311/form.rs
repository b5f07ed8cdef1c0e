//! `POST /open311/v2/requests.json`: a form-encoded GeoReport v2 submission turned into the
//! engine's intake (the same checks as `POST /api/v1/tickets`: lengths, position range,
//! phone characters). Nothing is registered unless every field passes.

use std::collections::HashMap;

use crate::api::error::ApiError;
use crate::domain::catalog::{Catalog, Kind};
use crate::domain::error_code::ErrorCode;
use crate::domain::geo::LatLng;
use crate::domain::input::{MAX_DESCRIPTION, check_len, check_opt, licence};
use crate::domain::ticket::{Location, NewTicket, Reporter, Source};

use super::wire::Open311Error;

/// Longest accepted client key for idempotent submission (`external_id`, an extension).
const MAX_EXTERNAL_ID: usize = 128;

/// The fields of a submission, first occurrence of each kept. Unknown fields (and every
/// `attribute[...]`: no service defines one) are ignored, as the spec asks.
pub struct Form(HashMap<String, String>);

impl Form {
    pub fn parse(body: &[u8]) -> Result<Self, Open311Error> {
        let text = std::str::from_utf8(body)
            .map_err(|_| Open311Error::bad_request("the body is not UTF-8"))?;
        let pairs = actix_web::web::Query::<Vec<(String, String)>>::from_query(text)
            .map_err(|e| Open311Error::bad_request(format!("the body is not form-encoded: {e}")))?
            .into_inner();
        let mut fields = HashMap::new();
        for (k, v) in pairs {
            fields.entry(k).or_insert(v);
        }
        Ok(Self(fields))
    }

    /// A field's value, trimmed; blank counts as absent.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|v| v.trim()).filter(|v| !v.is_empty())
    }

    fn owned(&self, name: &str) -> Option<String> {
        self.get(name).map(str::to_owned)
    }

    fn number(&self, name: &str) -> Result<Option<f64>, Open311Error> {
        self.get(name)
            .map(|v| {
                v.parse::<f64>()
                    .map_err(|_| Open311Error::bad_request(format!("`{name}` is not a number")))
            })
            .transpose()
    }

    /// The intake this submission asks for. `service_code` must be a category of the guide;
    /// a location is required: `lat` and `long` together, `address_string`, or `address_id`
    /// (a retailer licence of the registry).
    pub fn into_new_ticket(self, catalog: &Catalog) -> Result<NewTicket, Open311Error> {
        let code = self
            .get("service_code")
            .ok_or_else(|| Open311Error::bad_request("`service_code` is required"))?;
        let category = catalog.get(code).ok_or_else(|| {
            Open311Error::bad_request(format!(
                "`service_code` `{code}` is not a service of services.json"
            ))
        })?;
        let position = match (self.number("lat")?, self.number("long")?) {
            (Some(lat), Some(lng)) => {
                Some(LatLng::new(lat, lng).map_err(Open311Error::bad_request)?)
            }
            (None, None) => None,
            _ => {
                return Err(Open311Error::bad_request(
                    "`lat` and `long` go together: send both or neither",
                ));
            }
        };
        let address_text = self.owned("address_string");
        check_opt("address_string", &address_text, 500)?;
        let retailer_licence = licence(self.owned("address_id"))?;
        if position.is_none() && address_text.is_none() && retailer_licence.is_none() {
            return Err(Open311Error::bad_request(
                "a location is required: `lat` and `long`, `address_string` or `address_id`",
            ));
        }
        // The spec makes the description optional; the engine needs words to triage, so a
        // request without one is described by its service's name.
        let description = self
            .owned("description")
            .unwrap_or_else(|| category.name_zh.clone());
        check_len("description", &description, MAX_DESCRIPTION)?;
        let external_id = self.owned("external_id");
        check_opt("external_id", &external_id, MAX_EXTERNAL_ID)?;
        Ok(NewTicket {
            source: Source::Open311,
            external_id,
            kind: category.kinds.first().copied().unwrap_or(Kind::Report),
            category: Some(category.code.clone()),
            urgency: None,
            description,
            reporter: self.reporter()?,
            location: Location {
                position,
                address_text,
                retailer_licence,
                reported_licence: None,
                ..Location::default()
            },
            received_at: None,
            possible_duplicate_of: None,
            retailer_candidates: Vec::new(),
            suggestion: None,
        })
    }

    /// The reporter from `first_name`, `last_name` and `phone` (`email`, `device_id` and
    /// `account_id` have no place in a ticket and are dropped).
    fn reporter(&self) -> Result<Option<Reporter>, ApiError> {
        // Chinese names are family name first, with no space; Latin ones take a space.
        let name = match (self.get("last_name"), self.get("first_name")) {
            (Some(last), Some(first)) if last.is_ascii() && first.is_ascii() => {
                Some(format!("{first} {last}"))
            }
            (Some(last), Some(first)) => Some(format!("{last}{first}")),
            (one, other) => one.or(other).map(str::to_owned),
        };
        check_opt("first_name + last_name", &name, 64)?;
        let phone = self.owned("phone");
        check_opt("phone", &phone, 32)?;
        if phone
            .as_deref()
            .is_some_and(|p| !p.chars().all(|c| c.is_ascii_digit() || "+- ".contains(c)))
        {
            return Err(ApiError::of(
                ErrorCode::BadPhone,
                "`phone` may hold digits, spaces, '+' and '-' only",
            ));
        }
        if name.is_none() && phone.is_none() {
            return Ok(None);
        }
        Ok(Some(Reporter {
            name,
            phone,
            address: None,
            anonymous: false,
        }))
    }
}
