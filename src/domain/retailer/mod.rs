//! The retailer registry (零售户信息库) as pure values: a licensed tobacco shop with its
//! licence number, name, owner, address, town and position, validated on construction
//! (the position must lie inside Wuxue county). `csv` parses an import file and reports
//! every bad row; `normalize` and `search` find a retailer from what a citizen or a
//! dispatcher typed, spelling variants and all.

pub mod csv;
pub mod normalize;
pub mod search;
#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::domain::geo::LatLng;
use crate::domain::ids::StaffId;

/// Wuxue county's bounding box: positions outside it are refused.
pub const COUNTY_LAT: (f64, f64) = (29.82, 30.22);
/// See [`COUNTY_LAT`].
pub const COUNTY_LNG: (f64, f64) = (115.37, 115.83);

/// Longest accepted licence number.
pub const LICENCE_MAX: usize = 32;

/// A retail licence number (typically 12 digits), the registry's key: 1 to 32 ASCII
/// letters or digits.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Licence(String);

impl Licence {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for Licence {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        if s.is_empty() {
            return Err("the licence number is empty".into());
        }
        if s.len() > LICENCE_MAX {
            return Err(format!(
                "the licence number has {} characters; at most {LICENCE_MAX} are allowed",
                s.len()
            ));
        }
        if !s.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err("a licence number is made of ASCII letters and digits only".into());
        }
        Ok(Self(s))
    }
}

impl std::borrow::Borrow<str> for Licence {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl FromStr for Licence {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Self::try_from(s.to_owned())
    }
}

impl From<Licence> for String {
    fn from(l: Licence) -> String {
        l.0
    }
}

impl fmt::Display for Licence {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

macro_rules! towns {
    ($($variant:ident = $name:literal, $short:literal;)*) => {
        /// The 12 towns and street districts of Wuxue (code 421182).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
        pub enum Town {
            $(#[serde(rename = $name)] $variant,)*
        }

        impl Town {
            /// Every town, in the order of DOMAIN.md.
            pub const ALL: [Town; 12] = [$(Town::$variant,)*];

            /// The official name, e.g. `梅川镇`.
            pub fn name(self) -> &'static str {
                match self { $(Town::$variant => $name,)* }
            }

            /// The name without 镇/街道, as people say it, e.g. `梅川`.
            pub fn short(self) -> &'static str {
                match self { $(Town::$variant => $short,)* }
            }
        }
    };
}

towns! {
    Wuxue = "武穴街道", "武穴";
    Kanjiang = "刊江街道", "刊江";
    Tianzhen = "田镇街道", "田镇";
    Wanzhanghu = "万丈湖街道", "万丈湖";
    Meichuan = "梅川镇", "梅川";
    Yuchuan = "余川镇", "余川";
    Huaqiao = "花桥镇", "花桥";
    Dajin = "大金镇", "大金";
    Shifosi = "石佛寺镇", "石佛寺";
    Siwang = "四望镇", "四望";
    Dafasi = "大法寺镇", "大法寺";
    Longping = "龙坪镇", "龙坪";
}

impl FromStr for Town {
    type Err = String;
    /// Accepts the official name or the short one (`梅川镇` or `梅川`), in simplified or
    /// traditional characters.
    fn from_str(s: &str) -> Result<Self, String> {
        let key = normalize::normalize(s);
        Town::ALL
            .into_iter()
            .find(|t| key == normalize::normalize(t.name()) || key == t.short())
            .ok_or_else(|| format!("`{s}` is not one of the 12 towns of Wuxue"))
    }
}

impl fmt::Display for Town {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Field limits, in characters.
pub const NAME_MAX: usize = 100;
/// See [`NAME_MAX`].
pub const OWNER_MAX: usize = 64;
/// See [`NAME_MAX`].
pub const ADDRESS_MAX: usize = 200;

/// Why a retailer is invalid: the field and a reason for people.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}

/// A retailer before validation, as a file or a client gave it; also the stored shape.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RetailerDraft {
    pub licence: String,
    pub name: String,
    pub owner: Option<String>,
    pub address: String,
    pub town: String,
    pub lat: f64,
    pub lng: f64,
    pub market_inspector: Option<String>,
    pub account_manager: Option<String>,
}

/// A licensed tobacco retailer. Valid by construction: see [`Retailer::new`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RetailerDraft", into = "RetailerDraft")]
pub struct Retailer {
    licence: Licence,
    name: String,
    owner: Option<String>,
    address: String,
    town: Town,
    position: LatLng,
    market_inspector: Option<StaffId>,
    account_manager: Option<StaffId>,
}

fn text(field: &'static str, value: &str, max: usize) -> Result<String, FieldError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    let n = value.chars().count();
    if n > max {
        return Err(FieldError::new(
            field,
            format!("has {n} characters; at most {max} are allowed"),
        ));
    }
    Ok(value.to_owned())
}

fn optional(
    field: &'static str,
    value: Option<&str>,
    max: usize,
) -> Result<Option<String>, FieldError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, max).map(Some),
    }
}

fn staff(field: &'static str, value: Option<&str>) -> Result<Option<StaffId>, FieldError> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(|_| {
            FieldError::new(
                field,
                format!("`{v}` is not a staff id (letters, digits, '-', '_')"),
            )
        }),
    }
}

/// Checks a coordinate against the county box; says so when lat and lng look swapped.
pub fn check_position(lat: f64, lng: f64) -> Result<LatLng, Vec<FieldError>> {
    let inside = |v: f64, (lo, hi): (f64, f64)| v.is_finite() && (lo..=hi).contains(&v);
    let mut errors = Vec::new();
    let swapped = inside(lng, COUNTY_LAT) && inside(lat, COUNTY_LNG);
    for (field, v, range, what) in [("lat", lat, COUNTY_LAT, "N"), ("lng", lng, COUNTY_LNG, "E")] {
        if !inside(v, range) {
            let hint = if swapped {
                " (lat and lng look swapped)"
            } else {
                ""
            };
            errors.push(FieldError::new(
                field,
                format!(
                    "{v} is outside Wuxue county ({}–{} {what}){hint}",
                    range.0, range.1
                ),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    LatLng::new(lat, lng).map_err(|m| vec![FieldError::new("lat", m)])
}

impl Retailer {
    /// Validates every field and returns all the problems found, not just the first.
    pub fn new(draft: RetailerDraft) -> Result<Retailer, Vec<FieldError>> {
        fn keep<T>(errors: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
            r.map_err(|e| errors.push(e)).ok()
        }
        let mut errors = Vec::new();
        let e = &mut errors;
        let licence = keep(
            e,
            Licence::try_from(draft.licence.trim().to_owned())
                .map_err(|m| FieldError::new("licence", m)),
        );
        let name = keep(e, text("name", &draft.name, NAME_MAX));
        let owner = keep(e, optional("owner", draft.owner.as_deref(), OWNER_MAX));
        let address = keep(e, text("address", &draft.address, ADDRESS_MAX));
        let town = keep(
            e,
            if draft.town.trim().is_empty() {
                Err(FieldError::new("town", "is required"))
            } else {
                draft
                    .town
                    .parse::<Town>()
                    .map_err(|m| FieldError::new("town", m))
            },
        );
        let inspector = keep(
            e,
            staff("market_inspector", draft.market_inspector.as_deref()),
        );
        let manager = keep(
            e,
            staff("account_manager", draft.account_manager.as_deref()),
        );
        let position = check_position(draft.lat, draft.lng)
            .map_err(|p| e.extend(p))
            .ok();
        let fields = licence
            .zip(name)
            .zip(owner.zip(address))
            .zip(town.zip(position))
            .zip(inspector.zip(manager));
        match fields {
            Some((
                (((licence, name), (owner, address)), (town, position)),
                (market_inspector, account_manager),
            )) if errors.is_empty() => Ok(Retailer {
                licence,
                name,
                owner,
                address,
                town,
                position,
                market_inspector,
                account_manager,
            }),
            _ => Err(errors),
        }
    }

    pub fn licence(&self) -> &Licence {
        &self.licence
    }

    /// The shop's registered name, e.g. `梅川镇老李烟酒店`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The licence holder (personal data of the retailer, shown to staff roles only).
    pub fn owner(&self) -> Option<&str> {
        self.owner.as_deref()
    }

    pub fn address(&self) -> &str {
        &self.address
    }

    pub fn town(&self) -> Town {
        self.town
    }

    pub fn position(&self) -> LatLng {
        self.position
    }

    /// The enforcement market inspector (市管员) in charge of this shop.
    pub fn market_inspector(&self) -> Option<&StaffId> {
        self.market_inspector.as_ref()
    }

    /// The marketing account manager (客户经理) serving this shop.
    pub fn account_manager(&self) -> Option<&StaffId> {
        self.account_manager.as_ref()
    }
}

impl TryFrom<RetailerDraft> for Retailer {
    type Error = String;
    fn try_from(draft: RetailerDraft) -> Result<Self, String> {
        Retailer::new(draft).map_err(|errors| {
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        })
    }
}

impl From<Retailer> for RetailerDraft {
    fn from(r: Retailer) -> Self {
        Self {
            licence: r.licence.into(),
            name: r.name,
            owner: r.owner,
            address: r.address,
            town: r.town.name().to_owned(),
            lat: r.position.lat(),
            lng: r.position.lng(),
            market_inspector: r.market_inspector.map(Into::into),
            account_manager: r.account_manager.map(Into::into),
        }
    }
}
