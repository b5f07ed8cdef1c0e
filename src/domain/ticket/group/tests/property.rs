//! Random group steps by random principals keep the group consistent.

use super::*;

fn any_principal() -> impl Strategy<Value = Principal> {
    prop_oneof![
        Just(dispatcher()),
        Just(supervisor()),
        Just(Principal::system()),
        (1u32..=9).prop_map(staff_token),
        (1u32..=9).prop_map(vehicle_token),
    ]
}

fn any_member() -> impl Strategy<Value = NewMember> {
    (
        1u32..=9,
        any::<bool>(),
        0usize..3,
        prop_oneof![Just("任务"), Just(""), Just("  ")],
    )
        .prop_map(|(n, lead, d, task)| NewMember {
            staff_id: s(n),
            role: if lead {
                MemberRole::Lead
            } else {
                MemberRole::Assist
            },
            department: Department::ALL[d],
            task: if task == "任务" {
                format!("任务{n}")
            } else {
                task.into()
            },
        })
}

fn any_command() -> impl Strategy<Value = GroupCommand> {
    let ids = || proptest::collection::vec((1u32..=9).prop_map(s), 0..3);
    prop_oneof![
        (proptest::collection::vec(any_member(), 0..5), any::<bool>())
            .prop_map(|(members, auto)| GroupCommand::Form { members, auto }),
        (prop_oneof![Just("消息"), Just(" ")], ids()).prop_map(|(t, acting_for)| {
            GroupCommand::Post {
                text: t.into(),
                acting_for,
            }
        }),
        (0u32..8, ids()).prop_map(|(task_id, acting_for)| GroupCommand::CompleteTask {
            task_id,
            note: None,
            acting_for,
        }),
        (
            proptest::collection::vec(any_member(), 0..3),
            ids(),
            proptest::option::of((1u32..=9).prop_map(s))
        )
            .prop_map(|(add, remove, lead)| GroupCommand::ChangeMembers {
                add,
                remove,
                lead,
                reason: None,
            }),
        any::<bool>().prop_map(|on_close| GroupCommand::Dissolve {
            reason: "结束".into(),
            on_close,
        }),
        // A member taken out of service, with some crew aboard and some members out.
        (
            1u32..=9,
            proptest::collection::vec((1u32..=9, 0usize..3), 0..3),
            ids()
        )
            .prop_map(|(n, crew, unavailable)| GroupCommand::Withdraw {
                staff: s(n),
                reason: "停职".into(),
                crew: crew
                    .into_iter()
                    .map(|(c, d)| (s(c), Department::ALL[d]))
                    .collect(),
                unavailable,
            }),
    ]
}

#[test]
fn random_group_steps_keep_the_group_consistent() {
    let mut runner = TestRunner::new(Config {
        cases: 128,
        ..Config::default()
    });
    let steps = proptest::collection::vec((any_command(), any_principal()), 1..40);
    let base = reporting();
    runner
        .run(&steps, |steps| {
            let mut t = base.clone();
            let mut posts_this_generation = 0u32;
            for (i, (command, by)) in steps.into_iter().enumerate() {
                let before = t.clone();
                let command = Command::Group(command);
                match t.execute(&command, &by, catalog(), at(10 + i as i64)) {
                    Err(_) => prop_assert_eq!(&t, &before, "a refusal changed the ticket"),
                    Ok(d) => {
                        prop_assert_eq!(t.status, before.status, "group steps keep the status");
                        prop_assert_eq!(t.seq, before.seq + 1);
                        match d.kind {
                            EventKind::GroupFormed(_) => posts_this_generation = 0,
                            EventKind::GroupMessage(_) => posts_this_generation += 1,
                            _ => {}
                        }
                        if by.role == Role::Field {
                            prop_assert!(matches!(
                                d.kind,
                                EventKind::GroupMessage(_) | EventKind::GroupTaskDone(_)
                            ));
                        }
                    }
                }
                if let Some(g) = &t.group {
                    prop_assert_eq!(g.messages, posts_this_generation);
                    let leads = g
                        .members
                        .iter()
                        .filter(|m| m.role == MemberRole::Lead)
                        .count();
                    prop_assert_eq!(leads, 1, "exactly one lead");
                    prop_assert!((1..=MAX_MEMBERS).contains(&g.members.len()));
                    let ids: HashSet<&StaffId> = g.members.iter().map(|m| &m.staff_id).collect();
                    prop_assert_eq!(ids.len(), g.members.len(), "no member twice");
                    let tasks: HashSet<u32> = g.members.iter().map(|m| m.task.id).collect();
                    prop_assert_eq!(tasks.len(), g.members.len(), "task ids unique");
                    prop_assert!(tasks.iter().all(|&id| id < g.next_task_id));
                    prop_assert!(g.members.iter().all(|m| !m.task.text.trim().is_empty()));
                    prop_assert_eq!(t.group_member_ids().is_empty(), !g.is_active());
                }
            }
            Ok(())
        })
        .unwrap();
}
