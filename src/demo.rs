//! Synthetic demo data for Wuxue (武穴市): squads, staff, vehicles and tickets of every kind
//! at various stages. Everything here is made up and says so: names are placeholders, the
//! town positions are rough approximations, phones use the reserved 1380000xxxx range.

use crate::domain::catalog::{Department, Kind, Urgency};
use crate::domain::geo::LatLng;
use crate::domain::ids::{StaffId, TeamId, VehicleId};
use crate::domain::registry::{Staff, StaffRole, Team, Vehicle};
use crate::domain::role::{Principal, Role, Subject};
use crate::domain::ticket::{
    ApprovalDecision, Command, Location, NewTicket, Reporter, ReturnReason, ReviewDecision,
    Satisfaction, Source,
};
use crate::engine::Engine;
use crate::store::PutMode;

pub use crate::domain::towns::TOWNS;

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
    for (vid, plate, team, department, crew) in fleet {
        let vehicle = Vehicle {
            id: id(vid)?,
            plate: plate.into(),
            team_id: id(team)?,
            department,
            crew: crew.iter().map(|s| id(s)).collect::<Result<_, _>>()?,
            service: Default::default(),
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
    // After the staff, so the registry's inspectors and account managers are known.
    let report = engine
        .retailers
        .import(DEMO_RETAILERS.to_vec(), &engine.roster)
        .await
        .map_err(err)?;
    if let Some(w) = report.warnings.first() {
        tracing::warn!(count = report.warnings.len(), line = w.line, staff_id = %w.staff_id, "demo registry names staff the demo roster lacks");
    }
    load_tickets(engine).await?;
    put_on_the_road(engine).await
}

/// Demo vehicles go on duty at a town centre each, so the map and the nearest-vehicle
/// search have something to show.
async fn put_on_the_road(engine: &Engine) -> Result<(), DemoError> {
    use crate::actors::fleet::messages::{ChangeStatus, ReportFixes};
    use crate::domain::fleet::{Fix, VehicleStatus};
    let now = engine.clock.now();
    for (i, vid) in ["V-02", "V-03", "V-04"].iter().enumerate() {
        let (_, lat, lng) = TOWNS[(i * 4 + 1) % TOWNS.len()];
        let vid: VehicleId = id(vid)?;
        let Some(addr) = engine.fleet.vehicle(&vid, &engine.roster).map_err(err)? else {
            continue;
        };
        let position = LatLng::new(lat, lng).map_err(DemoError)?;
        let fix = Fix {
            position,
            at: now,
            speed_kmh: Some(0.0),
            heading: None,
        };
        addr.send(ReportFixes(vec![fix])).await.map_err(err)?;
        let _ = addr
            .send(ChangeStatus(VehicleStatus::Available))
            .await
            .map_err(err)?;
    }
    Ok(())
}

struct Demo<'a> {
    engine: &'a Engine,
    n: u32,
}

impl Demo<'_> {
    async fn ticket(
        &mut self,
        kind: Kind,
        category: &str,
        urgency: Option<Urgency>,
        town: usize,
        text: &str,
    ) -> Result<crate::domain::ids::TicketId, DemoError> {
        self.n += 1;
        let (name, lat, lng) = TOWNS[town % TOWNS.len()];
        let offset = f64::from(self.n) * 0.0013;
        let new = NewTicket {
            source: Source::Hotline,
            external_id: Some(format!("DEMO-{:04}", self.n)),
            kind,
            category: Some(category.into()),
            urgency,
            description: format!("（合成演示数据）{name}{text}"),
            reporter: Some(Reporter {
                name: Some(format!("演示市民{}", self.n)),
                phone: Some(format!("1380000{:04}", self.n)),
                address: None,
                anonymous: false,
            }),
            location: Location {
                position: LatLng::new(lat + offset, lng - offset).ok(),
                address_text: Some(format!("{name}正街{}号（合成）", self.n)),
                retailer_licence: None,
                reported_licence: None,
                ..Location::default()
            },
            received_at: None,
            possible_duplicate_of: None,
            retailer_candidates: Vec::new(),
            suggestion: None,
        };
        let platform = Principal::new(Role::Platform, Some(Subject::Label("demo".into())));
        Ok(self
            .engine
            .tickets
            .intake(new, platform)
            .await
            .map_err(err)?
            .ticket
            .id)
    }

    /// Runs `steps` in order on ticket `id`, each by the role it needs.
    async fn walk(
        &self,
        id: crate::domain::ids::TicketId,
        steps: Vec<(Role, Option<Subject>, Command)>,
    ) -> Result<(), DemoError> {
        for (role, subject, command) in steps {
            if matches!(command, Command::SubmitReport { .. }) {
                self.report(id, command, Principal::new(role, subject))
                    .await?;
                continue;
            }
            self.engine
                .tickets
                .execute(id, command, Principal::new(role, subject))
                .await
                .map_err(err)?;
        }
        Ok(())
    }

    /// Submits a report; while the ticket's collaboration group (formed from the guide as
    /// the bus is followed, so possibly just now) is active, its lead writes it.
    async fn report(
        &self,
        id: crate::domain::ids::TicketId,
        command: Command,
        by: Principal,
    ) -> Result<(), DemoError> {
        use crate::actors::ticket::CommandError;
        use crate::domain::ticket::Rejection;
        for _ in 0..3 {
            let lead = self
                .engine
                .store
                .ticket(&id)
                .map_err(err)?
                .and_then(|t| t.group_lead().cloned());
            let author = match lead {
                Some(l) => Principal::new(Role::Field, Some(Subject::Staff(l))),
                None => by.clone(),
            };
            match self
                .engine
                .tickets
                .execute(id, command.clone(), author)
                .await
            {
                Err(CommandError::Rejected(Rejection::Denied {
                    code: "not_group_lead",
                    ..
                })) => continue,
                other => {
                    other.map_err(err)?;
                    return Ok(());
                }
            }
        }
        Err(DemoError(format!(
            "ticket {id}: the report found no group lead to write it"
        )))
    }
}

fn triage() -> (Role, Option<Subject>, Command) {
    let c = Command::Triage {
        category: None,
        urgency: None,
        position: None,
        address_text: None,
        retailer_licence: None,
        duplicate_of: None,
    };
    (Role::Dispatcher, None, c)
}

async fn load_tickets(engine: &Engine) -> Result<(), DemoError> {
    // One (synthetic) attachment of every evidence kind the guide asks for.
    let mut kinds: Vec<String> = engine
        .catalog
        .categories()
        .iter()
        .flat_map(|c| c.report_evidence.clone())
        .collect();
    kinds.sort();
    kinds.dedup();
    let evidence: Vec<crate::domain::ticket::Evidence> = kinds
        .into_iter()
        .map(|k| crate::domain::ticket::Evidence {
            reference: format!("demo-{k}"),
            kind: k,
            note: None,
        })
        .collect();
    let mut d = Demo { engine, n: 0 };
    let v1: VehicleId = id("V-01")?;
    let team: TeamId = id("T-ENF-1")?;
    let crew: Vec<StaffId> = vec![id("S-001")?, id("S-002")?];
    let field = Some(Subject::Vehicle(v1.clone()));
    let dispatch = || {
        (
            Role::Dispatcher,
            None,
            Command::Dispatch {
                vehicle: v1.clone(),
                team: team.clone(),
                crew: crew.clone(),
            },
        )
    };
    let onsite = |f: &Option<Subject>| {
        (
            Role::Field,
            f.clone(),
            Command::RecordOnsite {
                findings: "现场查获疑似假冒卷烟（合成）".into(),
                actions: "先行登记保存，送检".into(),
                evidence: Vec::new(),
            },
        )
    };
    let report = |f: &Option<Subject>| {
        let sections = [
            "facts",
            "onsite_findings",
            "handling",
            "legal_basis",
            "conclusion",
        ]
        .iter()
        .map(|s| ((*s).to_owned(), "（合成演示内容）".to_owned()))
        .collect();
        (
            Role::Field,
            f.clone(),
            Command::SubmitReport {
                sections,
                evidence: evidence.clone(),
            },
        )
    };

    // Fresh intakes waiting for a dispatcher.
    d.ticket(
        Kind::Report,
        "counterfeit",
        None,
        4,
        "某便利店疑似销售假烟，包装印刷模糊",
    )
    .await?;
    d.ticket(
        Kind::Complaint,
        "late_delivery",
        None,
        1,
        "卷烟配送迟到两天",
    )
    .await?;
    d.ticket(
        Kind::Consultation,
        "order_consultation",
        None,
        0,
        "咨询网上订货时间",
    )
    .await?;
    // A grade-I lead sent before triage (fast track), en route.
    let t = d
        .ticket(
            Kind::Report,
            "unlicensed_transport",
            Some(Urgency::I),
            7,
            "一辆面包车运输大量卷烟",
        )
        .await?;
    d.walk(t, vec![dispatch()]).await?;
    // Triaged, waiting for a vehicle.
    let t = d
        .ticket(Kind::Report, "smuggled", None, 5, "疑似销售走私烟")
        .await?;
    d.walk(t, vec![triage()]).await?;
    // On site.
    let t = d
        .ticket(Kind::Report, "counterfeit", None, 2, "烟酒店出售假冒中华")
        .await?;
    d.walk(
        t,
        vec![
            triage(),
            dispatch(),
            (Role::Field, field.clone(), Command::Arrive),
        ],
    )
    .await?;
    // Report in review.
    let t = d
        .ticket(Kind::Report, "sale_to_minors", None, 3, "小卖部向学生售烟")
        .await?;
    d.walk(
        t,
        vec![
            triage(),
            dispatch(),
            (Role::Field, field.clone(), Command::Arrive),
            onsite(&field),
            report(&field),
        ],
    )
    .await?;
    // Awaiting the return visit.
    let t = d
        .ticket(Kind::Report, "counterfeit", None, 8, "超市疑似售假")
        .await?;
    d.walk(
        t,
        vec![
            triage(),
            dispatch(),
            (Role::Field, field.clone(), Command::Arrive),
            onsite(&field),
            report(&field),
            // Returned once for its evidence, then rewritten.
            (
                Role::Dispatcher,
                None,
                Command::Review {
                    decision: ReviewDecision::Return,
                    reasons: vec![ReturnReason::new(
                        "missing_evidence",
                        Some("鉴别检验报告未附（合成）".into()),
                    )],
                },
            ),
            report(&field),
            (
                Role::Dispatcher,
                None,
                Command::Review {
                    decision: ReviewDecision::Pass,
                    reasons: vec![],
                },
            ),
            (
                Role::Supervisor,
                None,
                Command::Approve {
                    decision: ApprovalDecision::Approve,
                    reasons: vec![],
                },
            ),
            (
                Role::Dispatcher,
                None,
                Command::Reply {
                    text: "经查属实，已依法处理（合成）".into(),
                },
            ),
        ],
    )
    .await?;
    // Archived consultation.
    let t = d
        .ticket(
            Kind::Consultation,
            "order_consultation",
            None,
            9,
            "咨询新办证流程",
        )
        .await?;
    d.walk(
        t,
        vec![
            triage(),
            (
                Role::Dispatcher,
                None,
                Command::Reply {
                    text: "已电话告知办理流程（合成）".into(),
                },
            ),
            (
                Role::Dispatcher,
                None,
                Command::RecordVisit {
                    satisfaction: Satisfaction::Satisfied,
                    comment: None,
                },
            ),
            (Role::Dispatcher, None, Command::Archive { note: None }),
        ],
    )
    .await?;
    // A no-onsite complaint being written up by an account manager.
    let t = d
        .ticket(
            Kind::Complaint,
            "account_manager_service",
            None,
            10,
            "客户经理服务态度差",
        )
        .await?;
    d.walk(
        t,
        vec![
            triage(),
            (
                Role::Dispatcher,
                None,
                Command::Assign {
                    staff: id("S-005")?,
                },
            ),
        ],
    )
    .await?;
    // A suggestion answered directly.
    let t = d
        .ticket(Kind::Suggestion, "suggestion", None, 11, "建议增加配送频次")
        .await?;
    d.walk(t, vec![triage()]).await?;
    Ok(())
}

/// Issues one demo token per role and returns them (the secrets are not kept anywhere).
pub async fn issue_tokens(engine: &Engine) -> Result<DemoTokens, DemoError> {
    let now = engine.clock.now();
    let roles: [(&str, Role, Option<Subject>); 6] = [
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
    ];
    let mut out = DemoTokens::default();
    for (label, role, subject) in roles {
        let issued = engine.tokens.issue(role, subject, now).await.map_err(err)?;
        out.tokens.push((label.to_owned(), issued.secret));
    }
    Ok(out)
}
