//! Who the engine puts in a group it forms from the guide.

use super::*;

fn person(n: u32, role: StaffRole, department: Department, team: &str) -> Staff {
    Staff {
        id: s(n),
        name: format!("员工{n}"),
        role,
        department,
        team_id: Some(team.parse::<TeamId>().unwrap()),
        badge: format!("B-{n}"),
        phone: None,
        service: Default::default(),
    }
}

fn squad(id: &str, department: Department, area: &str) -> Team {
    Team {
        id: id.parse().unwrap(),
        name: id.into(),
        department,
        area: Some(area.into()),
        simulated: false,
    }
}

fn roster() -> (Vec<Staff>, Vec<Team>) {
    use Department::*;
    use StaffRole::*;
    let staff = vec![
        person(1, Inspector, Enforcement, "T-1"),
        person(2, Inspector, Enforcement, "T-1"),
        person(3, Inspector, Enforcement, "T-2"),
        person(4, Dispatcher, Marketing, "T-3"),
        person(5, AccountManager, Marketing, "T-3"),
        person(6, AccountManager, Marketing, "T-3"),
        person(7, Driver, Logistics, "T-4"),
    ];
    let teams = vec![
        squad("T-1", Enforcement, "武穴街道"),
        squad("T-2", Enforcement, "梅川镇"),
        squad("T-3", Marketing, "武穴街道"),
        squad("T-4", Logistics, "刊江街道"),
    ];
    (staff, teams)
}

fn ids(p: &Plan) -> Vec<(StaffId, MemberRole)> {
    p.members
        .iter()
        .map(|m| (m.staff_id.clone(), m.role))
        .collect()
}

#[test]
fn the_plan_prefers_the_crew_sent_then_the_shop_then_the_squad_covering_the_place() {
    let (staff, teams) = roster();
    let outflow = catalog().get("outflow").unwrap();
    // Sent: V-1 with S-2 aboard → S-2 leads; the shop's account manager S-6 assists.
    let t = reporting();
    let mut sent = t.clone();
    sent.assignment.crew = vec![s(4), s(2)];
    let shop = ShopContacts {
        market_inspector: Some(s(3)),
        account_manager: Some(s(6)),
        town: Some("梅川镇".into()),
    };
    let p = plan(&sent, outflow, &staff, &teams, &shop).unwrap();
    assert_eq!(
        ids(&p),
        [
            (s(2), MemberRole::Lead),
            (s(6), MemberRole::Assist),
            (s(7), MemberRole::Assist)
        ]
    );
    assert_eq!(
        p.members[0].task,
        outflow.group_tasks[&Department::Enforcement]
    );
    assert_eq!(
        p.members[2].task,
        outflow.group_tasks[&Department::Logistics]
    );
    assert!(p.unfilled.is_empty());
    // Nobody sent: the shop's inspector leads.
    let mut idle = t.clone();
    idle.assignment.crew.clear();
    idle.assignment.team_id = None;
    let p = plan(&idle, outflow, &staff, &teams, &shop).unwrap();
    assert_eq!(p.members[0].staff_id, s(3));
    // No registry record: the inspector of the squad covering the town (梅川镇 → T-2).
    let town_only = ShopContacts {
        town: Some("梅川镇".into()),
        ..ShopContacts::default()
    };
    let p = plan(&idle, outflow, &staff, &teams, &town_only).unwrap();
    assert_eq!(ids(&p)[0], (s(3), MemberRole::Lead));
    assert_eq!(
        ids(&p)[1],
        (s(5), MemberRole::Assist),
        "first account manager"
    );
    // Nothing known: the first squad's first inspector.
    let p = plan(&idle, outflow, &staff, &teams, &ShopContacts::default()).unwrap();
    assert_eq!(p.members[0].staff_id, s(1));
}

#[test]
fn the_plan_forms_nothing_without_assisting_departments_or_people() {
    let (staff, teams) = roster();
    let t = reporting();
    let none = ShopContacts::default();
    // Smuggling has no assisting department.
    assert_eq!(
        plan(
            &t,
            catalog().get("smuggled").unwrap(),
            &staff,
            &teams,
            &none
        ),
        None
    );
    // Counterfeit needs a driver: without one there is nobody to assist.
    let no_driver: Vec<Staff> = staff
        .iter()
        .filter(|p| p.role != StaffRole::Driver)
        .cloned()
        .collect();
    let counterfeit = catalog().get("counterfeit").unwrap();
    assert_eq!(plan(&t, counterfeit, &no_driver, &teams, &none), None);
    // Outflow without a driver still forms with marketing, and says logistics is unfilled.
    let p = plan(
        &t,
        catalog().get("outflow").unwrap(),
        &no_driver,
        &teams,
        &none,
    )
    .unwrap();
    assert_eq!(p.unfilled, [Department::Logistics]);
    // No inspector at all: no lead, no group.
    let no_lead: Vec<Staff> = staff
        .iter()
        .filter(|p| p.department != Department::Enforcement)
        .cloned()
        .collect();
    assert_eq!(plan(&t, counterfeit, &no_lead, &teams, &none), None);
}

#[test]
fn a_transferred_ticket_falls_back_to_default_task_wording() {
    let (staff, teams) = roster();
    let mut t = reporting();
    // Transferred to marketing: counterfeit's guide has no marketing task.
    t.department = Some(Department::Marketing);
    let counterfeit = catalog().get("counterfeit").unwrap();
    let p = plan(&t, counterfeit, &staff, &teams, &ShopContacts::default()).unwrap();
    assert_eq!(p.members[0].department, Department::Marketing);
    assert_eq!(p.members[0].task, DEFAULT_LEAD_TASK);
    assert_eq!(
        p.members[1].task,
        counterfeit.group_tasks[&Department::Logistics]
    );
    assert_ne!(p.members[1].task, DEFAULT_ASSIST_TASK);
}

#[test]
fn the_guide_words_every_involved_departments_task() {
    for c in catalog().categories() {
        if c.assist_departments.is_empty() {
            continue;
        }
        assert!(c.group_tasks.contains_key(&c.lead_department), "{}", c.code);
        for d in &c.assist_departments {
            assert!(c.group_tasks.contains_key(d), "{} {d}", c.code);
        }
    }
    let broken = BUILTIN_CATALOG.replacen(
        "group_tasks = { enforcement = \"牵头现场检查",
        "group_tasks = { marketing = \"x\", enforcement = \"牵头现场检查",
        1,
    );
    let err = Catalog::from_toml(&broken, "catalog.toml").unwrap_err();
    assert!(err.to_string().contains("group_tasks"), "{err}");
    // Counterfeit's logistics task left out.
    let missing: Vec<String> = BUILTIN_CATALOG
        .lines()
        .map(|l| match l.split_once(", logistics = ") {
            Some((head, _)) if l.contains("牵头现场检查") => format!("{head} }}"),
            _ => l.to_owned(),
        })
        .collect();
    let err = Catalog::from_toml(&missing.join("\n"), "catalog.toml").unwrap_err();
    assert!(err.to_string().contains("`logistics`"), "{err}");
}

#[test]
fn the_plan_never_picks_anyone_out_of_service() {
    let (mut staff, teams) = roster();
    let outflow = catalog().get("outflow").unwrap();
    let mut sent = reporting();
    sent.assignment.crew = vec![s(4), s(2)];
    let shop = ShopContacts {
        market_inspector: Some(s(3)),
        account_manager: Some(s(6)),
        town: Some("梅川镇".into()),
    };
    // S-2 (aboard) and S-6 (the shop's account manager) are out of service.
    for p in staff.iter_mut().filter(|p| p.id == s(2) || p.id == s(6)) {
        p.service.in_service = false;
    }
    let p = plan(&sent, outflow, &staff, &teams, &shop).unwrap();
    assert_eq!(
        ids(&p),
        [
            (s(3), MemberRole::Lead),
            (s(5), MemberRole::Assist),
            (s(7), MemberRole::Assist)
        ]
    );
}
