//! How exactly a ticket's position is known, and an approximate position for a ticket that
//! names a place but no shop the registry can be sure of ("梅川镇菜市场旁边那家烟酒店").
//!
//! A citizen who names the town, or a street, village or landmark of it, has said where the
//! problem is, roughly: the ticket gets the centre of that town (`town`), or the centroid of
//! the registry's shops whose address holds that street or village in that town (`street`),
//! so it is on the map and the nearest vehicles can be listed while the dispatcher confirms
//! the shop. A position known only that roughly is never grounds for the engine to send a
//! vehicle on its own ([`Location::is_approximate`]); a triage that sets the position or
//! confirms a shop makes it exact (`given`, `shop`). Pure: the towns come from the service
//! area, the streets from the registry's addresses.

use serde::{Deserialize, Serialize};

use super::area::ServiceArea;
use super::geo::LatLng;
use super::retailer::normalize::fold_char;
use super::retailer::search::SearchIndex;
use super::ticket::{Location, NewTicket};

/// How exactly a ticket's position is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// Coordinates sent with the ticket or set by a dispatcher.
    Given,
    /// The registry's position of the shop the ticket names (or a dispatcher confirmed).
    Shop,
    /// Approximate: the centroid of the registry's shops on the street, village or
    /// landmark the text names, in its town.
    Street,
    /// Approximate: the centre of the town the text names.
    Town,
}

impl Precision {
    /// A position that stands for a street or a town, not a site.
    pub fn is_approximate(self) -> bool {
        matches!(self, Precision::Street | Precision::Town)
    }
}

impl Location {
    /// The position is only approximate (a street or a town): the engine never sends a
    /// vehicle to it on its own (the fast track and the automatic offers hold it with an
    /// alert to confirm the place); a dispatcher may. Tickets from before the precision was
    /// recorded count as exact.
    pub fn is_approximate(&self) -> bool {
        self.position.is_some() && self.precision.is_some_and(Precision::is_approximate)
    }

    /// A triage that sets the position (`given`) or confirms a shop (`shop`) makes the
    /// position exact; one that changes neither leaves it as it was.
    pub fn set_by_triage(&mut self, position: bool, shop: bool) {
        if self.position.is_none() || !(position || shop) {
            return;
        }
        self.precision = Some(if shop {
            Precision::Shop
        } else {
            Precision::Given
        });
        self.approximate_place = None;
    }

    /// At intake, after the registry has been consulted: records how exactly the position
    /// is known, or, with no position, places the ticket approximately by the town,
    /// street, village or landmark its text names (`text`: the description and the address
    /// as the citizen said them).
    pub fn place_at_intake(&mut self, text: &str, area: &ServiceArea, registry: &SearchIndex) {
        if let Some(p) = self.position {
            let at_shop = self
                .retailer_licence
                .as_deref()
                .and_then(|l| registry.get(l))
                .is_some_and(|r| r.position() == p);
            self.precision = Some(if at_shop {
                Precision::Shop
            } else {
                Precision::Given
            });
            return;
        }
        if let Some(guess) = approximate(text, area, registry) {
            self.position = Some(guess.position);
            self.precision = Some(guess.precision);
            self.approximate_place = Some(guess.place);
        }
    }
}

impl NewTicket {
    /// Records how exactly the intake's position is known, or places it approximately by
    /// the place its address and description name (`Location::place_at_intake`). Run after
    /// the registry has resolved the shop.
    pub fn place(&mut self, area: &ServiceArea, registry: &SearchIndex) {
        let text = format!(
            "{} {}",
            self.location.address_text.as_deref().unwrap_or(""),
            self.description
        );
        self.location.place_at_intake(&text, area, registry);
    }
}

/// An approximate position found in a text.
#[derive(Clone, Debug, PartialEq)]
pub struct Guess {
    pub position: LatLng,
    pub precision: Precision,
    /// What the position stands for: the town (`梅川镇`), or the town and the street
    /// (`梅川镇广济路`).
    pub place: String,
}

/// A town named in `text` (its full name, else the short name people say, `梅川`; `武穴市`
/// is the city, not 武穴街道), the earliest named first.
fn town_named<'a>(text: &str, area: &'a ServiceArea) -> Option<&'a super::area::TownPlace> {
    let mut best: Option<(usize, usize, &super::area::TownPlace)> = None;
    for t in area.towns() {
        let full = text.find(t.name.as_str());
        let short = (t.short.chars().count() >= 2 && t.short != t.name)
            .then(|| {
                text.match_indices(t.short.as_str())
                    .find(|(at, s)| !text[at + s.len()..].starts_with('市'))
                    .map(|(at, _)| at)
            })
            .flatten();
        // The full name is the surer mention; it wins over a short one at the same place.
        let found = full.map(|at| (at, 0)).or(short.map(|at| (at, 1)));
        if let Some((at, rank)) = found
            && best.is_none_or(|(b, r, _)| (at, rank) < (b, r))
        {
            best = Some((at, rank, t));
        }
    }
    best.map(|(_, _, t)| t)
}

/// The street, village or landmark part of a registry address: what follows the town's
/// name up to the house or group number (`梅川镇广济路12号` → `广济路`, `梅川镇南冲村7组39号`
/// → `南冲村`). Two characters at least.
fn street_of<'a>(address: &'a str, town: &str) -> Option<&'a str> {
    let rest = address.strip_prefix("武穴市").unwrap_or(address);
    let rest = rest.strip_prefix(town)?;
    let end = rest
        .char_indices()
        .find(|(_, c)| c.is_ascii_digit() || "号组#（(，,".contains(*c))
        .map_or(rest.len(), |(i, _)| i);
    let street = &rest[..end];
    (street.chars().count() >= 2).then_some(street)
}

/// An approximate position for `text`: the centroid of the registry's shops on the
/// longest street, village or landmark the text names (in the town it names, or in the one
/// town where that street is, when it names none), else the centre of the town it names.
pub fn approximate(text: &str, area: &ServiceArea, registry: &SearchIndex) -> Option<Guess> {
    let text: String = text.chars().map(fold_char).collect();
    let town = town_named(&text, area);
    // street → (town, sum of lat, sum of lng, shops)
    let mut streets: Vec<(&str, &str, f64, f64, u32)> = Vec::new();
    for r in registry.retailers() {
        let shop_town = r.town().name();
        if town.is_some_and(|t| t.name != shop_town) {
            continue;
        }
        let Some(street) = street_of(r.address(), shop_town) else {
            continue;
        };
        if !text.contains(street) {
            continue;
        }
        let p = r.position();
        match streets
            .iter_mut()
            .find(|s| s.0 == street && s.1 == shop_town)
        {
            Some(s) => {
                s.2 += p.lat();
                s.3 += p.lng();
                s.4 += 1;
            }
            None => streets.push((street, shop_town, p.lat(), p.lng(), 1)),
        }
    }
    // The longest street named wins (`梅川大道` over `梅川`); one named in several towns,
    // with no town to choose between them, places nothing.
    let longest = streets.iter().map(|s| s.0.len()).max();
    let named: Vec<_> = streets
        .iter()
        .filter(|s| Some(s.0.len()) == longest)
        .collect();
    if let [(street, shop_town, lat, lng, n)] = named.as_slice()
        && let Ok(position) = LatLng::new(lat / f64::from(*n), lng / f64::from(*n))
    {
        return Some(Guess {
            position,
            precision: Precision::Street,
            place: format!("{shop_town}{street}"),
        });
    }
    town.map(|t| Guess {
        position: t.centre,
        precision: Precision::Town,
        place: t.name.clone(),
    })
}

#[cfg(test)]
#[path = "place_tests.rs"]
mod tests;
