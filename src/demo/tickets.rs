//! The demo's tickets, walked through the same commands as real work: intake by the
//! platform, triage and review by a dispatcher, offers made by the DispatcherActor and
//! answered by the vehicle, arrival detected from its fix, the on-site record, the report by
//! the group's lead, review, approval, reply, return visit, archive. The vehicles take one
//! ticket at a time and end where their tickets leave them:
//!
//! | vehicle | handles | ends |
//! |---|---|---|
//! | V-01 (T-ENF-1) | a report now in review, one archived, then the grade I lead | en route to the grade I lead |
//! | V-02 (T-ENF-2) | a report awaiting its return visit, one archived, then a counterfeit lead | on site |
//! | V-03, V-04 | nothing | available at their squad's town |

use super::field::Crews;
use super::{DemoError, err, id};
use crate::domain::catalog::{Kind, Urgency};
use crate::domain::fleet::VehicleStatus;
use crate::domain::geo::LatLng;
use crate::domain::ids::{TicketId, VehicleId};
use crate::domain::role::{Principal, Role, Subject};
use crate::domain::ticket::steps;
use crate::domain::ticket::{
    ApprovalDecision, Command, Evidence, Location, NewTicket, Reporter, ReturnReason,
    ReviewDecision, Satisfaction, Source,
};
use crate::engine::Engine;

use crate::domain::area::TownPlace;
use crate::domain::error_code::ErrorCode;
use crate::domain::towns;

struct Demo<'a> {
    engine: &'a Engine,
    crews: Crews<'a>,
    n: u32,
    /// One (synthetic) attachment of every evidence kind the guide asks for.
    evidence: Vec<Evidence>,
}

/// Who takes a step.
fn dispatcher() -> Principal {
    Principal::new(
        Role::Dispatcher,
        Some(Subject::Label("demo-dispatcher".into())),
    )
}

fn supervisor() -> Principal {
    Principal::new(
        Role::Supervisor,
        Some(Subject::Label("demo-supervisor".into())),
    )
}

fn crew_of(v: &VehicleId) -> Principal {
    Principal::new(Role::Field, Some(Subject::Vehicle(v.clone())))
}

/// The built-in area's town of index `town` (wrapping around).
fn town_at(town: usize) -> Result<&'static TownPlace, DemoError> {
    let all = towns::builtin();
    all.get(town % all.len().max(1))
        .ok_or_else(|| DemoError("the built-in area has no towns".into()))
}

/// A position near a town's centre (synthetic).
pub(super) fn near_town(town: usize, d_lat: f64, d_lng: f64) -> Result<LatLng, DemoError> {
    let c = town_at(town)?.centre;
    LatLng::new(c.lat() + d_lat, c.lng() + d_lng).map_err(DemoError)
}

impl Demo<'_> {
    async fn ticket(
        &mut self,
        kind: Kind,
        category: &str,
        urgency: Option<Urgency>,
        town: usize,
        text: &str,
    ) -> Result<TicketId, DemoError> {
        self.n += 1;
        let name = town_at(town)?.name.as_str();
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
                position: near_town(town, offset, -offset).ok(),
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
        // The same intake as the platform's: category suggested, retailer resolved, placed.
        let intake = crate::service::intake::intake(self.engine, new, platform).await;
        Ok(intake.map_err(err)?.ticket.id)
    }

    async fn run(&self, id: TicketId, command: Command, by: Principal) -> Result<(), DemoError> {
        self.engine
            .tickets
            .execute(id, command, by)
            .await
            .map_err(err)?;
        Ok(())
    }

    async fn triage(&self, id: TicketId) -> Result<(), DemoError> {
        let c = Command::Triage(steps::Triage::default());
        self.run(id, c, dispatcher()).await
    }

    /// Vehicle `v`, ready at `from`, is sent to ticket `id` and arrives there.
    async fn on_site(&self, id: TicketId, v: &VehicleId, from: LatLng) -> Result<(), DemoError> {
        self.crews.ready_at(v, from).await?;
        self.crews.send(id, v).await?;
        self.crews.arrive(id, v).await
    }

    /// The crew of `v` records what it found; the vehicle heads back.
    async fn record_onsite(&self, id: TicketId, v: &VehicleId) -> Result<(), DemoError> {
        let c = Command::RecordOnsite(steps::RecordOnsite {
            findings: "现场查获疑似假冒卷烟（合成）".into(),
            actions: "先行登记保存，送检".into(),
            evidence: Vec::new(),
        });
        self.run(id, c, crew_of(v)).await?;
        self.crews.leave(v).await
    }

    /// Submits the report; while the ticket's collaboration group (formed from the guide as
    /// the bus is followed, so possibly just now) is active, its lead writes it.
    async fn report(&self, id: TicketId, v: &VehicleId) -> Result<(), DemoError> {
        use crate::actors::ticket::CommandError;
        use crate::domain::ticket::Rejection;
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
        let command = Command::SubmitReport(steps::SubmitReport {
            sections,
            evidence: self.evidence.clone(),
        });
        for _ in 0..20 {
            let lead = self.crews.ticket(id)?.group_lead().cloned();
            let author = match lead {
                Some(l) => Principal::new(Role::Field, Some(Subject::Staff(l))),
                None => crew_of(v),
            };
            match self
                .engine
                .tickets
                .execute(id, command.clone(), author)
                .await
            {
                Err(CommandError::Rejected(Rejection::Denied { code, .. }))
                    if code == ErrorCode::NotGroupLead.as_str() =>
                {
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await
                }
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

    async fn review(&self, id: TicketId, decision: ReviewDecision) -> Result<(), DemoError> {
        let reasons = match decision {
            ReviewDecision::Return => vec![ReturnReason::new(
                "missing_evidence",
                Some("鉴别检验报告未附（合成）".into()),
            )],
            ReviewDecision::Pass => vec![],
        };
        self.run(
            id,
            Command::Review(steps::Review { decision, reasons }),
            dispatcher(),
        )
        .await
    }

    /// Review passed, approved, answered.
    async fn answer(&self, id: TicketId, text: &str) -> Result<(), DemoError> {
        self.review(id, ReviewDecision::Pass).await?;
        let approve = Command::Approve(steps::Approve {
            decision: ApprovalDecision::Approve,
            reasons: vec![],
        });
        self.run(id, approve, supervisor()).await?;
        let reply = Command::Reply(steps::Reply { text: text.into() });
        self.run(id, reply, dispatcher()).await
    }

    /// Return visit (satisfied) and archive.
    async fn close(&self, id: TicketId) -> Result<(), DemoError> {
        let visit = Command::RecordVisit(steps::RecordVisit {
            satisfaction: Satisfaction::Satisfied,
            comment: None,
        });
        self.run(id, visit, dispatcher()).await?;
        self.run(
            id,
            Command::Archive(steps::Archive { note: None }),
            dispatcher(),
        )
        .await
    }

    /// A full-path ticket handled by `v` from intake to archive.
    async fn archived(
        &mut self,
        v: &VehicleId,
        home: LatLng,
        (category, town, text): (&str, usize, &str),
    ) -> Result<(), DemoError> {
        let t = self
            .ticket(Kind::Report, category, None, town, text)
            .await?;
        self.triage(t).await?;
        self.on_site(t, v, home).await?;
        self.record_onsite(t, v).await?;
        self.report(t, v).await?;
        self.answer(t, "经查属实，已依法处理（合成）").await?;
        self.close(t).await
    }
}

/// One (synthetic) attachment of every evidence kind the guide asks for.
fn all_evidence(engine: &Engine) -> Vec<Evidence> {
    let mut kinds: Vec<String> = engine
        .catalog
        .categories()
        .iter()
        .flat_map(|c| c.report_evidence.clone())
        .collect();
    kinds.sort();
    kinds.dedup();
    kinds
        .into_iter()
        .map(|k| Evidence {
            reference: format!("demo-{k}"),
            kind: k,
            note: None,
            sha256: None,
        })
        .collect()
}

/// Tickets at every stage. `homes` are the vehicles with their squad's town position.
pub(super) async fn load(engine: &Engine, homes: &[(VehicleId, LatLng)]) -> Result<(), DemoError> {
    let mut d = Demo {
        engine,
        crews: Crews { engine },
        n: 0,
        evidence: all_evidence(engine),
    };
    let home = |v: &str| {
        homes
            .iter()
            .find(|(id, _)| id.as_str() == v)
            .cloned()
            .ok_or_else(|| DemoError(format!("no demo vehicle {v}")))
    };
    let (v1, home1) = home("V-01")?;
    let (v2, home2) = home("V-02")?;

    // Fresh intakes waiting for a dispatcher (every crew still off duty).
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
    // Triaged, waiting for a vehicle: none was free, so the console has an alert.
    let t = d
        .ticket(Kind::Report, "smuggled", None, 5, "疑似销售走私烟")
        .await?;
    d.triage(t).await?;

    // Report in review (V-01).
    let t = d
        .ticket(Kind::Report, "sale_to_minors", None, 3, "小卖部向学生售烟")
        .await?;
    d.triage(t).await?;
    d.on_site(t, &v1, home1).await?;
    d.record_onsite(t, &v1).await?;
    d.report(t, &v1).await?;

    // Awaiting the return visit (V-02): returned once for its evidence, then rewritten.
    let t = d
        .ticket(Kind::Report, "counterfeit", None, 8, "超市疑似售假")
        .await?;
    d.triage(t).await?;
    d.on_site(t, &v2, home2).await?;
    d.record_onsite(t, &v2).await?;
    d.report(t, &v2).await?;
    d.review(t, ReviewDecision::Return).await?;
    d.report(t, &v2).await?;
    d.answer(t, "经查属实，已依法处理（合成）").await?;

    // Closed, one per enforcement squad, for the stats and the board's leaderboard.
    d.archived(&v1, home1, ("unlicensed_retail", 6, "一家无证商店摆卖卷烟"))
        .await?;
    d.archived(
        &v2,
        home2,
        ("licence_violation", 10, "烟店异地经营，与许可证地址不符"),
    )
    .await?;

    // On site (V-02).
    let t = d
        .ticket(Kind::Report, "counterfeit", None, 2, "烟酒店出售假冒中华")
        .await?;
    d.triage(t).await?;
    d.on_site(t, &v2, home2).await?;

    // A grade I lead: the fast track offers it to the nearest free vehicle (V-01) before
    // triage; the crew accepted and is on its way, a little out of its town.
    d.crews.ready_at(&v1, home1).await?;
    let t = d
        .ticket(
            Kind::Report,
            "unlicensed_transport",
            Some(Urgency::I),
            7,
            "一辆面包车运输大量卷烟",
        )
        .await?;
    d.crews.send(t, &v1).await?;
    let site = d
        .crews
        .ticket(t)?
        .location
        .position
        .ok_or_else(|| DemoError("the grade I demo ticket has no site".into()))?;
    let step = |a: f64, b: f64| a + (b - a) * 0.1;
    let on_the_way = LatLng::new(step(home1.lat(), site.lat()), step(home1.lng(), site.lng()))
        .map_err(DemoError)?;
    d.crews.fix(&v1, on_the_way).await?;

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
    d.triage(t).await?;
    d.run(
        t,
        Command::Reply(steps::Reply {
            text: "已电话告知办理流程（合成）".into(),
        }),
        dispatcher(),
    )
    .await?;
    d.close(t).await?;
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
    d.triage(t).await?;
    let assign = Command::Assign(steps::Assign {
        staff: id("S-005")?,
    });
    d.run(t, assign, dispatcher()).await?;
    // A suggestion answered directly.
    let t = d
        .ticket(Kind::Suggestion, "suggestion", None, 11, "建议增加配送频次")
        .await?;
    d.triage(t).await?;

    // The other crews are on duty at their squad's town.
    for (v, at) in homes.iter().filter(|(v, _)| *v != v1 && *v != v2) {
        d.crews.ready_at(v, *at).await?;
    }
    // Every vehicle holds what its tickets say.
    for (v, _) in homes {
        let view = d.crews.wait_vehicle(v, "settled", |_| true).await?;
        let busy = matches!(view.status, VehicleStatus::EnRoute | VehicleStatus::OnSite);
        if busy != view.active.is_some() {
            return Err(DemoError(format!(
                "demo vehicle {v} is {} holding {:?}",
                view.status.as_str(),
                view.active.map(|a| a.ticket_id)
            )));
        }
    }
    Ok(())
}
