//! Synthetic demo data for Wuxue (武穴市): squads, staff, vehicles and tickets of every kind
//! at various stages. Everything here is made up and says so: names are placeholders, the
//! town positions are rough approximations, phones use the reserved 1380000xxxx range.
//! The tickets are walked through the same commands as real work (`demo/tickets.rs`), the
//! vehicles driven through the same messages (`demo/field.rs`), so the engine's own
//! invariants hold on them: a vehicle holds at most one ticket, and its live state agrees
//! with the tickets it is on.

use crate::domain::catalog::Department;
use crate::domain::role::{Role, Subject};
use crate::domain::roster::{Staff, StaffRole, Team, Vehicle};
use crate::domain::towns;
use crate::engine::Engine;
use crate::store::PutMode;

mod field;
mod tickets;

/// Tokens issued for the demo, one per role.
#[derive(Debug, Default)]
pub struct DemoTokens {
    pub tokens: Vec<(String, String)>,
}

#[derive(Debug, thiserror::Error)]
#[error("loading demo data: {0}")]
pub struct DemoError(String);

fn err(e: impl std::fmt::Display) -> DemoError {
    DemoError(e.to_string())
}

fn id<T: std::str::FromStr>(s: &str) -> Result<T, DemoError> {
    s.parse().map_err(|_| DemoError(format!("bad demo id {s}")))
}

/// Whether the store holds nothing yet.
pub fn store_is_empty(engine: &Engine) -> Result<bool, DemoError> {
    let no_staff = engine.roster.list::<Staff>().map_err(err)?.is_empty();
    Ok(engine.store.last_event_id() == 0 && no_staff)
}

/// The synthetic registry of Wuxue retailers (`scripts/gen-retailers.py`).
const DEMO_RETAILERS: &[u8] = include_bytes!("../config/demo/retailers.csv");

/// Loads squads, staff, vehicles, the retailer registry and tickets into an empty store.
pub async fn load(engine: &Engine) -> Result<(), DemoError> {
    let squads = [
        (
            "T-ENF-1",
            "执法一中队（合成）",
            Department::Enforcement,
            "武穴街道",
        ),
        (
            "T-ENF-2",
            "执法二中队（合成）",
            Department::Enforcement,
            "梅川镇",
        ),
        (
            "T-MKT-1",
            "营销服务组（合成）",
            Department::Marketing,
            "武穴街道",
        ),
        (
            "T-LOG-1",
            "物流配送组（合成）",
            Department::Logistics,
            "刊江街道",
        ),
    ];
    for (tid, name, department, area) in squads {
        let team = Team {
            id: id(tid)?,
            name: name.into(),
            department,
            area: Some(area.into()),
            simulated: false,
        };
        engine
            .roster
            .put(&team, PutMode::Upsert)
            .await
            .map_err(err)?;
    }
    let people = [
        (
            "S-001",
            "市管员甲",
            StaffRole::Inspector,
            Department::Enforcement,
            "T-ENF-1",
            "ZM-001",
        ),
        (
            "S-002",
            "市管员乙",
            StaffRole::Inspector,
            Department::Enforcement,
            "T-ENF-1",
            "ZM-002",
        ),
        (
            "S-003",
            "市管员丙",
            StaffRole::Inspector,
            Department::Enforcement,
            "T-ENF-2",
            "ZM-003",
        ),
        (
            "S-004",
            "市管员丁",
            StaffRole::Inspector,
            Department::Enforcement,
            "T-ENF-2",
            "ZM-004",
        ),
        (
            "S-005",
            "客户经理甲",
            StaffRole::AccountManager,
            Department::Marketing,
            "T-MKT-1",
            "YX-001",
        ),
        (
            "S-006",
            "客户经理乙",
            StaffRole::AccountManager,
            Department::Marketing,
            "T-MKT-1",
            "YX-002",
        ),
        (
            "S-007",
            "送货员甲",
            StaffRole::Driver,
            Department::Logistics,
            "T-LOG-1",
            "WL-001",
        ),
        (
            "S-008",
            "调度员甲",
            StaffRole::Dispatcher,
            Department::Marketing,
            "T-MKT-1",
            "DD-001",
        ),
        (
            "S-009",
            "审核员甲",
            StaffRole::Reviewer,
            Department::Enforcement,
            "T-ENF-1",
            "SH-001",
        ),
        (
            "S-010",
            "督办员甲",
            StaffRole::Supervisor,
            Department::Enforcement,
            "T-ENF-1",
            "DB-001",
        ),
    ];
    for (sid, name, role, department, team, badge) in people {
        let staff = Staff {
            id: id(sid)?,
            name: name.into(),
            role,
            department,
            team_id: Some(id(team)?),
            badge: badge.into(),
            phone: None,
            service: Default::default(),
        };
        engine
            .roster
            .put(&staff, PutMode::Upsert)
            .await
            .map_err(err)?;
    }
    let fleet = [
        (
            "V-01",
            "鄂J·Z0001",
            "T-ENF-1",
            Department::Enforcement,
            &["S-001", "S-002"][..],
        ),
        (
            "V-02",
            "鄂J·Z0002",
            "T-ENF-2",
            Department::Enforcement,
            &["S-003", "S-004"][..],
        ),
        (
            "V-03",
            "鄂J·Y0003",
            "T-MKT-1",
            Department::Marketing,
            &["S-005"][..],
        ),
        (
            "V-04",
            "鄂J·W0004",
            "T-LOG-1",
            Department::Logistics,
            &["S-007"][..],
        ),
    ];
    // Each vehicle starts at its squad's town (a little apart), off duty.
    let mut homes = Vec::new();
    for (k, (vid, plate, team, department, crew)) in fleet.into_iter().enumerate() {
        let town = squads
            .iter()
            .find(|s| s.0 == team)
            .and_then(|s| towns::builtin().iter().position(|t| t.name == s.3))
            .unwrap_or(0);
        let spread = 0.002 * k as f64;
        homes.push((id(vid)?, tickets::near_town(town, spread, spread)?));
        let vehicle = Vehicle {
            id: id(vid)?,
            plate: plate.into(),
            team_id: id(team)?,
            department,
            crew: crew.iter().map(|s| id(s)).collect::<Result<_, _>>()?,
            service: Default::default(),
            simulated: false,
        };
        engine
            .roster
            .put(&vehicle, PutMode::Upsert)
            .await
            .map_err(err)?;
        engine.fleet.add(vehicle).map_err(err)?;
    }
    for team in engine.roster.list::<Team>().map_err(err)? {
        if engine.fleet.team(&team.id).is_none() {
            engine.fleet.add_team(team);
        }
    }
    let crews = field::Crews { engine };
    for (v, at) in &homes {
        crews.fix(v, *at).await?;
    }
    // After the staff, so the registry's inspectors and account managers are known.
    let report = engine
        .retailers
        .import(DEMO_RETAILERS.to_vec(), &engine.roster)
        .await
        .map_err(err)?;
    if let Some(w) = report.warnings.first() {
        tracing::warn!(count = report.warnings.len(), line = w.line, staff_id = %w.staff_id, "demo registry names staff the demo roster lacks");
    }
    tickets::load(engine, &homes).await
}

/// Issues one demo token per role and returns them (the secrets are not kept anywhere).
pub async fn issue_tokens(engine: &Engine) -> Result<DemoTokens, DemoError> {
    let now = engine.clock.now();
    let roles: [(&str, Role, Option<Subject>); 8] = [
        (
            "admin",
            Role::Admin,
            Some(Subject::Label("demo-admin".into())),
        ),
        (
            "dispatcher",
            Role::Dispatcher,
            Some(Subject::Label("demo-dispatcher".into())),
        ),
        (
            "supervisor",
            Role::Supervisor,
            Some(Subject::Label("demo-supervisor".into())),
        ),
        (
            "platform",
            Role::Platform,
            Some(Subject::Label("demo-12313".into())),
        ),
        (
            "board",
            Role::Board,
            Some(Subject::Label("demo-hall-screen".into())),
        ),
        (
            "field (vehicle V-01)",
            Role::Field,
            Some(Subject::Vehicle(id("V-01")?)),
        ),
        // A second phone on V-01 (its crew member's), and an account manager who rides in
        // no vehicle: what the field page looks like to each.
        (
            "field (crew S-002, V-01)",
            Role::Field,
            Some(Subject::Staff(id("S-002")?)),
        ),
        (
            "field (staff S-006)",
            Role::Field,
            Some(Subject::Staff(id("S-006")?)),
        ),
    ];
    let mut out = DemoTokens::default();
    for (label, role, subject) in roles {
        let issued = engine.tokens.issue(role, subject, now).await.map_err(err)?;
        out.tokens.push((label.to_owned(), issued.secret));
    }
    Ok(out)
}
