//! Reading and checking the area file. Each `[[area]]` table is read field by field with
//! its code at hand, so every problem names the file, the area and the field (a dotted path
//! such as `towns[3].lat`): a missing or misspelt field, a value of the wrong type, a code
//! that is not numeric or repeats another, an outline that is too short or crosses itself,
//! a town whose centre lies outside its area.

use geo::{Contains, Coord, LineString, Point, Polygon};
use toml::{Table, Value};

use super::{Area, AreaError, TownPlace};
use crate::domain::geo::LatLng;
use crate::domain::retailer::Town;

const AREA_FIELDS: [&str; 5] = ["code", "name", "name_en", "outline", "towns"];
const TOWN_FIELDS: [&str; 6] = ["code", "name", "name_en", "short", "lat", "lng"];

/// What went wrong in one area, before the file and area are attached.
struct Fault {
    field: String,
    message: String,
}

fn fault(field: impl Into<String>, message: impl Into<String>) -> Fault {
    Fault {
        field: field.into(),
        message: message.into(),
    }
}

/// Every area of the file, checked on its own and against the others.
pub(super) fn parse(text: &str, file: &str) -> Result<Vec<Area>, AreaError> {
    let whole = |message: String| AreaError::Parse {
        file: file.to_owned(),
        message,
    };
    let mut root: Table = text
        .parse()
        .map_err(|e: toml::de::Error| whole(e.to_string()))?;
    let entries = match root.remove("area") {
        Some(Value::Array(items)) => items,
        Some(_) => return Err(whole("`area` must be a list of [[area]] tables".into())),
        None => Vec::new(),
    };
    if let Some(key) = root.keys().next() {
        return Err(whole(format!(
            "unknown key `{key}`: the file lists [[area]] tables (each with its \
             [[area.towns]]); see config/area.toml"
        )));
    }
    if entries.is_empty() {
        return Err(whole(
            "no [[area]]: the service area needs at least one area".into(),
        ));
    }
    let mut areas: Vec<Area> = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let label = entry
            .get("code")
            .and_then(Value::as_str)
            .map_or_else(|| format!("#{} (no code)", i + 1), str::to_owned);
        let located = |f: Fault| AreaError::Area {
            file: file.to_owned(),
            area: label.clone(),
            field: f.field,
            message: f.message,
        };
        let area = area(entry).map_err(located)?;
        if areas.iter().any(|a| a.code == area.code) {
            return Err(located(fault("code", "another area has this code")));
        }
        for (t, town) in area.towns.iter().enumerate() {
            let repeats = areas.iter().flat_map(|a| a.towns.iter());
            for other in repeats {
                if other.code == town.code {
                    return Err(located(fault(
                        format!("towns[{t}].code"),
                        format!("`{}` is a town of another area too", town.code),
                    )));
                }
                if other.name == town.name {
                    return Err(located(fault(
                        format!("towns[{t}].name"),
                        format!("`{}` is a town of another area too", town.name),
                    )));
                }
            }
        }
        areas.push(area);
    }
    Ok(areas)
}

fn unknown(table: &Table, known: &[&str], at: &str) -> Result<(), Fault> {
    match table.keys().find(|k| !known.contains(&k.as_str())) {
        Some(k) => Err(fault(
            format!("{at}{k}"),
            format!("unknown field; the fields are {}", known.join(", ")),
        )),
        None => Ok(()),
    }
}

fn text(table: &Table, key: &str, at: &str) -> Result<String, Fault> {
    match table.get(key) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_owned()),
        Some(Value::String(_)) => Err(fault(format!("{at}{key}"), "must not be blank")),
        Some(_) => Err(fault(format!("{at}{key}"), "must be a string")),
        None => Err(fault(format!("{at}{key}"), "missing")),
    }
}

fn number(table: &Table, key: &str, at: &str) -> Result<f64, Fault> {
    match table.get(key) {
        Some(Value::Float(f)) => Ok(*f),
        Some(Value::Integer(i)) => Ok(*i as f64),
        Some(_) => Err(fault(format!("{at}{key}"), "must be a number")),
        None => Err(fault(format!("{at}{key}"), "missing")),
    }
}

/// A code of `digits` digits, written as a string.
fn code(table: &Table, digits: usize, at: &str) -> Result<String, Fault> {
    let field = format!("{at}code");
    let code = match table.get("code") {
        Some(Value::String(s)) => s.trim().to_owned(),
        Some(Value::Integer(i)) => {
            return Err(fault(
                field,
                format!("write the code as a string: code = \"{i}\""),
            ));
        }
        Some(_) => return Err(fault(field, "must be a string of digits")),
        None => return Err(fault(field, "missing")),
    };
    if code.len() != digits || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(fault(
            field,
            format!("`{code}` is not a code of {digits} digits"),
        ));
    }
    Ok(code)
}

fn area(entry: &Value) -> Result<Area, Fault> {
    let table = entry
        .as_table()
        .ok_or_else(|| fault("*", "must be a table"))?;
    unknown(table, &AREA_FIELDS, "")?;
    let code = code(table, 6, "")?;
    let name = text(table, "name", "")?;
    let name_en = text(table, "name_en", "")?;
    let outline = outline(table.get("outline"))?;
    let mut bbox = [
        f64::INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::NEG_INFINITY,
    ];
    for c in outline.exterior().coords() {
        bbox = [
            bbox[0].min(c.x),
            bbox[1].min(c.y),
            bbox[2].max(c.x),
            bbox[3].max(c.y),
        ];
    }
    let entries = match table.get("towns") {
        None => &Vec::new(),
        Some(Value::Array(items)) => items,
        Some(_) => return Err(fault("towns", "must be a list of [[area.towns]] tables")),
    };
    let mut towns: Vec<TownPlace> = Vec::with_capacity(entries.len());
    for (i, entry) in entries.iter().enumerate() {
        let at = format!("towns[{i}].");
        let town = town(entry, &code, &outline, &at)?;
        if towns.iter().any(|t| t.code == town.code) {
            return Err(fault(format!("{at}code"), "another town has this code"));
        }
        if towns.iter().any(|t| t.name == town.name) {
            return Err(fault(format!("{at}name"), "another town has this name"));
        }
        towns.push(town);
    }
    Ok(Area {
        code,
        name,
        name_en,
        outline,
        towns,
        bbox,
    })
}

fn town(
    entry: &Value,
    area_code: &str,
    outline: &Polygon<f64>,
    at: &str,
) -> Result<TownPlace, Fault> {
    let table = entry
        .as_table()
        .ok_or_else(|| fault(at.trim_end_matches('.'), "must be a table"))?;
    unknown(table, &TOWN_FIELDS, at)?;
    let code = code(table, 9, at)?;
    if !code.starts_with(area_code) {
        return Err(fault(
            format!("{at}code"),
            format!("`{code}` does not start with its area's code {area_code}"),
        ));
    }
    let name = text(table, "name", at)?;
    let name_en = text(table, "name_en", at)?;
    let town: Option<Town> = name.parse().ok();
    let short = match table.get("short") {
        None => town.map_or_else(|| name.clone(), |t| t.short().to_owned()),
        Some(_) => text(table, "short", at)?,
    };
    let (lat, lng) = (number(table, "lat", at)?, number(table, "lng", at)?);
    let centre = LatLng::new(lat, lng).map_err(|e| fault(format!("{at}lat"), e))?;
    if !outline.contains(&Point::new(lng, lat)) {
        return Err(fault(
            format!("{at}lat"),
            format!("the centre of `{name}` ({lat}, {lng}) lies outside its area's outline"),
        ));
    }
    Ok(TownPlace {
        code,
        name,
        name_en,
        short,
        centre,
        town,
    })
}

/// The exterior ring: at least three distinct points, valid positions, enclosing some
/// area, not crossing itself. A repeated first point at the end is dropped.
fn outline(value: Option<&Value>) -> Result<Polygon<f64>, Fault> {
    let items = match value {
        Some(Value::Array(items)) => items,
        Some(_) => return Err(fault("outline", "must be a list of [lng, lat] pairs")),
        None => return Err(fault("outline", "missing")),
    };
    let mut ring: Vec<Coord<f64>> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let pair: Option<Vec<f64>> = item.as_array().and_then(|p| {
            p.iter()
                .map(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)))
                .collect()
        });
        let [lng, lat] = pair
            .as_deref()
            .and_then(|p| <[f64; 2]>::try_from(p).ok())
            .ok_or_else(|| fault(format!("outline[{i}]"), "must be a [lng, lat] pair"))?;
        LatLng::new(lat, lng).map_err(|e| fault(format!("outline[{i}]"), e))?;
        ring.push(Coord { x: lng, y: lat });
    }
    if ring.len() > 1 && ring.first() == ring.last() {
        ring.pop();
    }
    ring.dedup();
    if ring.len() < 3 {
        return Err(fault("outline", "needs at least three distinct points"));
    }
    let n = ring.len();
    let twice_area: f64 = (0..n)
        .map(|i| {
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            a.x * b.y - b.x * a.y
        })
        .sum();
    if twice_area.abs() < 1e-12 {
        return Err(fault(
            "outline",
            "encloses no area (its points lie on a line)",
        ));
    }
    for i in 0..n {
        for j in i + 1..n {
            // Neighbouring edges share a point; every other pair must not meet.
            if j == i + 1 || (i == 0 && j == n - 1) {
                continue;
            }
            let (a, b) = (ring[i], ring[(i + 1) % n]);
            let (c, d) = (ring[j], ring[(j + 1) % n]);
            if segments_cross(a, b, c, d) {
                return Err(fault(
                    "outline",
                    format!(
                        "crosses itself: the edge from point {i} meets the edge from point {j}"
                    ),
                ));
            }
        }
    }
    Ok(Polygon::new(LineString::new(ring), Vec::new()))
}

/// Whether segments `a`–`b` and `c`–`d` meet (touching counts).
fn segments_cross(a: Coord<f64>, b: Coord<f64>, c: Coord<f64>, d: Coord<f64>) -> bool {
    let orient = |p: Coord<f64>, q: Coord<f64>, r: Coord<f64>| {
        let v = (q.x - p.x) * (r.y - p.y) - (q.y - p.y) * (r.x - p.x);
        if v.abs() < 1e-15 { 0 } else { v.signum() as i8 }
    };
    let on = |p: Coord<f64>, q: Coord<f64>, r: Coord<f64>| {
        r.x >= p.x.min(q.x) && r.x <= p.x.max(q.x) && r.y >= p.y.min(q.y) && r.y <= p.y.max(q.y)
    };
    let (o1, o2, o3, o4) = (
        orient(a, b, c),
        orient(a, b, d),
        orient(c, d, a),
        orient(c, d, b),
    );
    if o1 != o2 && o3 != o4 && o1 != 0 && o2 != 0 && o3 != 0 && o4 != 0 {
        return true;
    }
    (o1 == 0 && on(a, b, c))
        || (o2 == 0 && on(a, b, d))
        || (o3 == 0 && on(c, d, a))
        || (o4 == 0 && on(c, d, b))
}
