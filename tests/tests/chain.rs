//! The core chain: findings recorded offline reach the tracker exactly once,
//! merged with others' work, and only if the sender's role allows it.

use chrono::{Duration, Utc};
use device::{Device, RaiseInput};
use shared::issue::{EventBody, EventOutcome};
use shared::{Category, Department, Grade, Status};
use std::sync::Arc;
use tests::*;

fn raise(d: &mut Device, checkpoint: &str, title: &str) -> shared::IssueId {
    d.raise_issue(
        RaiseInput {
            checkpoint: checkpoint.into(),
            item: None,
            category: Category::EquipmentFault,
            grade: Grade::Deadline,
            title: title.into(),
            description: "现场发现".into(),
            photos: Vec::new(),
        },
        Utc::now(),
    )
    .expect("raise")
}

fn assign(d: &mut Device, id: shared::IssueId, to: &str) {
    let plan = d.plan().unwrap();
    let u = plan.user_by_name(to).unwrap();
    d.issue_event(
        id,
        EventBody::Assign {
            department: Department::Engineering,
            assignee: u.id,
            assignee_name: u.name.to_string(),
            deadline: Some(Utc::now() + Duration::days(2)),
        },
        true,
        Utc::now(),
    )
    .expect("assign");
}

fn rectify(d: &mut Device, id: shared::IssueId) {
    d.issue_event(
        id,
        EventBody::Rectify {
            note: "已更换".into(),
            photos: Vec::new(),
        },
        true,
        Utc::now(),
    )
    .expect("rectify");
}

fn the_device_says_what_it_refuses_in_chinese_and_keeps_nothing(seeded: Seeded) {
    let server = InProcessServer::start(seeded.store.clone());
    let dir = device_dir();
    let mut d = device(
        dir.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let before = d.issues(&Default::default()).unwrap().len();
    let input = |title: &str| RaiseInput {
        checkpoint: "CP-P01".into(),
        item: None,
        category: Category::EquipmentFault,
        grade: Grade::Deadline,
        title: title.into(),
        description: String::new(),
        photos: Vec::new(),
    };
    let err = d.raise_issue(input("  "), Utc::now()).unwrap_err();
    assert_eq!(err.code(), "bad_text", "{err}");
    assert!(err.to_string().contains("title"), "{err}");
    assert!(err.message_zh().contains("标题"), "{}", err.message_zh());
    let err = d
        .raise_issue(input(&"长".repeat(500)), Utc::now())
        .unwrap_err();
    assert!(err.message_zh().contains("标题"), "{}", err.message_zh());
    assert_eq!(d.issues(&Default::default()).unwrap().len(), before);
}

fn an_offline_finding_reaches_the_tracker_exactly_once(seeded: Seeded) {
    let mut server = InProcessServer::start(seeded.store.clone());
    let dir = device_dir();
    let mut inspector = device(
        dir.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    // The server goes away: the inspector works offline.
    server.stop();
    inspector.patrol_start("R3", Utc::now()).unwrap();
    let out = inspector
        .patrol_check(
            "CP-P03",
            &[
                ("extinguisher_pressure".into(), "0.8".parse().unwrap()),
                ("hydrant".into(), "pass".parse().unwrap()),
                ("alarm".into(), "pass".parse().unwrap()),
                ("fire_lane".into(), "na".parse().unwrap()),
            ],
            Utc::now(),
        )
        .unwrap();
    assert_eq!(
        out.failed,
        vec!["extinguisher_pressure".to_string()],
        "a reading below its limit fails"
    );
    let id = raise(&mut inspector, "CP-P03", "灭火器压力不足");
    inspector.patrol_finish(Utc::now()).unwrap();
    let err = inspector.sync(&opts_short()).unwrap_err();
    assert!(
        matches!(err, device::DeviceError::Sync(ref e) if e.exit_code() == 2),
        "{err}"
    );
    assert_eq!(
        inspector.pending_count().unwrap(),
        2,
        "patrol and issue wait to sync"
    );

    // Back online on the same address.
    let server = InProcessServer::start_on(seeded.store.clone(), server.addr);
    let report = inspector.sync(&opts()).unwrap();
    assert_eq!(report.pending, 0);
    assert!(report.refused_docs.is_empty(), "{:?}", report.refused_docs);
    let token = inspector.session().unwrap().token;
    let list = server_issues(&server.url, &token);
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, id);
    assert_eq!(list[0].checkpoint.as_deref(), Some("CP-P03"));
    // Syncing again moves nothing and duplicates nothing.
    let again = inspector.sync(&opts()).unwrap();
    assert_eq!(again.rounds, 1);
    assert_eq!(again.docs_sent, 0);
    assert_eq!(server_issues(&server.url, &token).len(), 1);
    // The timeline carries both clocks.
    let (status, detail) = api_get(&server.url, &token, &format!("/api/v1/issues/{id}"));
    assert_eq!(status, 200);
    let first = &detail["timeline"][0];
    assert_eq!(first["kind"], "raise");
    assert!(
        first["device_time"].is_string() && first["server_time"].is_string(),
        "{first}"
    );
    let event_id: uuid::Uuid = first["event"].as_str().unwrap().parse().unwrap();
    assert!(
        inspector.receipt(event_id).unwrap().is_some(),
        "the device learnt the server's receipt time"
    );
}

/// An inspector, a field worker and a manager logged in to one seeded server.
struct Team {
    _seeded: Seeded,
    _dirs: [tempfile::TempDir; 3],
    server: InProcessServer,
    inspector: Device,
    staff: Device,
    manager: Device,
}

impl Team {
    fn new(seeded: Seeded) -> Team {
        let server = InProcessServer::start(seeded.store.clone());
        let dirs = [device_dir(), device_dir(), device_dir()];
        let login = |i: usize, user: &str| {
            device(dirs[i].path(), &server.url, user, &seeded.password(user))
        };
        let (inspector, staff, manager) = (
            login(0, "inspector1"),
            login(1, "staff1"),
            login(2, "manager1"),
        );
        Team {
            _seeded: seeded,
            _dirs: dirs,
            server,
            inspector,
            staff,
            manager,
        }
    }
}

/// The inspector raises an issue, the manager assigns it to staff1, and all three sync.
fn assigned_issue(
    inspector: &mut Device,
    manager: &mut Device,
    staff: &mut Device,
    checkpoint: &str,
    title: &str,
) -> shared::IssueId {
    let id = raise(inspector, checkpoint, title);
    inspector.sync(&opts()).unwrap();
    manager.sync(&opts()).unwrap();
    assign(manager, id, "staff1");
    manager.sync(&opts()).unwrap();
    staff.sync(&opts()).unwrap();
    id
}

fn opts_short() -> device::SyncOptions {
    device::SyncOptions {
        timeout: std::time::Duration::from_secs(2),
        ..opts()
    }
}

fn the_closed_loop_runs_across_three_devices(seeded: Seeded) {
    let team = Team::new(seeded);
    let (server, mut inspector, mut staff, mut manager) =
        (team.server, team.inspector, team.staff, team.manager);
    let id = assigned_issue(
        &mut inspector,
        &mut manager,
        &mut staff,
        "CP-P01",
        "电梯异响",
    );
    let mine = staff
        .issues(&device::store::IssueFilter {
            assignee: Some(staff.session().unwrap().user.id),
            ..Default::default()
        })
        .unwrap();
    assert_eq!(mine.len(), 1, "the order reached the field worker");
    rectify(&mut staff, id);
    staff.sync(&opts()).unwrap();
    inspector.sync(&opts()).unwrap();
    inspector
        .issue_event(
            id,
            EventBody::Verify {
                note: "复查合格".into(),
            },
            true,
            Utc::now(),
        )
        .unwrap();
    inspector.sync(&opts()).unwrap();
    for d in [&mut staff, &mut manager] {
        d.sync(&opts()).unwrap();
    }
    let token = manager.session().unwrap().token;
    let server_list = server_issues(&server.url, &token);
    assert_eq!(server_list[0].status, Status::Verified);
    for d in [&inspector, &staff, &manager] {
        assert_eq!(
            comparable(&d.issues(&Default::default()).unwrap()),
            comparable(&server_list)
        );
    }
}

fn concurrent_status_changes_keep_both_events_and_show_the_conflict(seeded: Seeded) {
    let server = InProcessServer::start(seeded.store.clone());
    // A second manager, to make two concurrent assignments.
    {
        let mut txn = seeded.store.begin().unwrap();
        sync_server::accounts::add_user(
            &mut *txn,
            sync_server::accounts::NewUser {
                name: "manager2",
                display_name: None,
                role: shared::Role::Manager,
                site: "DEMO",
                password: "manager2-password",
                department: None,
            },
            Utc::now(),
        )
        .unwrap();
        txn.commit().unwrap();
    }
    let (di, ds, dm, dm2) = (device_dir(), device_dir(), device_dir(), device_dir());
    let mut inspector = device(
        di.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let mut staff = device(ds.path(), &server.url, "staff1", &seeded.password("staff1"));
    let mut manager = device(
        dm.path(),
        &server.url,
        "manager1",
        &seeded.password("manager1"),
    );
    let mut manager2 = device(dm2.path(), &server.url, "manager2", "manager2-password");
    let a = raise(&mut inspector, "CP-P01", "电梯门异响");
    let b = raise(&mut inspector, "CP-P02", "机房温度过高");
    inspector.sync(&opts()).unwrap();
    manager.sync(&opts()).unwrap();
    assign(&mut manager, a, "staff1");
    manager.sync(&opts()).unwrap();
    staff.sync(&opts()).unwrap();
    manager2.sync(&opts()).unwrap();

    // Offline: the worker rectifies `a` while the manager cancels it;
    // two managers assign `b` to different people.
    rectify(&mut staff, a);
    manager
        .issue_event(
            a,
            EventBody::Cancel {
                note: "重复登记".into(),
            },
            true,
            Utc::now(),
        )
        .unwrap();
    assign(&mut manager, b, "staff1");
    assign(&mut manager2, b, "inspector2");

    for _ in 0..2 {
        for d in [&mut staff, &mut manager, &mut manager2, &mut inspector] {
            d.sync(&opts()).unwrap();
        }
    }
    let token = manager.session().unwrap().token;
    let list = server_issues(&server.url, &token);
    for d in [&inspector, &staff, &manager, &manager2] {
        assert_eq!(
            comparable(&d.issues(&Default::default()).unwrap()),
            comparable(&list),
            "every replica agrees"
        );
    }
    let view_a = manager.issue(a).unwrap();
    assert!(
        view_a
            .timeline
            .iter()
            .any(|t| t.event.body.kind().code() == "rectify"),
        "rectify kept"
    );
    assert!(
        view_a
            .timeline
            .iter()
            .any(|t| t.event.body.kind().code() == "cancel"),
        "cancel kept"
    );
    let status_conflict = view_a
        .conflicts
        .iter()
        .find(|c| c.field == "status")
        .expect("status conflict");
    assert_eq!(status_conflict.values.len(), 2);
    assert!(status_conflict.values.contains(&status_conflict.chosen));
    assert_eq!(
        view_a.status.code(),
        status_conflict.chosen.split(' ').next().unwrap()
    );

    let sum_b = list.iter().find(|s| s.id == b).unwrap();
    let c = sum_b
        .conflicts
        .iter()
        .find(|c| c.field == "assignee")
        .expect("assignee conflict");
    let mut values = c.values.clone();
    values.sort();
    assert_eq!(values, vec!["inspector2".to_string(), "staff1".to_string()]);
    assert_eq!(
        Some(c.chosen.clone()),
        sum_b.assignee,
        "the chosen value is what the tracker shows"
    );
}

fn forbidden_changes_stay_in_history_but_never_reach_the_tracker(seeded: Seeded) {
    let team = Team::new(seeded);
    let (server, mut inspector, mut staff, mut manager) =
        (team.server, team.inspector, team.staff, team.manager);
    let id = assigned_issue(
        &mut inspector,
        &mut manager,
        &mut staff,
        "CP-P05",
        "配电房渗水",
    );
    rectify(&mut staff, id);

    // The local checks refuse it…
    let err = staff
        .issue_event(
            id,
            EventBody::Verify {
                note: "自己验收".into(),
            },
            true,
            Utc::now(),
        )
        .unwrap_err();
    assert!(err.to_string().contains("may not"), "{err}");
    // …so the device bypasses them.
    staff
        .issue_event(
            id,
            EventBody::Verify {
                note: "自己验收".into(),
            },
            false,
            Utc::now(),
        )
        .unwrap();
    staff
        .issue_event(
            id,
            EventBody::Regrade {
                grade: Some(Grade::LongTerm),
                category: None,
            },
            false,
            Utc::now(),
        )
        .unwrap();
    let report = staff.sync(&opts()).unwrap();
    assert!(
        report.refused_docs.is_empty(),
        "well-formed changes are merged, not refused outright"
    );
    let reasons: Vec<String> = report
        .refused_events
        .iter()
        .filter_map(|(_, e)| match &e.outcome {
            EventOutcome::Refused { code, .. } => Some(format!("{}:{code}", e.kind)),
            _ => None,
        })
        .collect();
    assert!(
        reasons.contains(&"verify:role_forbidden".to_string()),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&"regrade:role_forbidden".to_string()),
        "{reasons:?}"
    );

    let token = manager.session().unwrap().token;
    let list = server_issues(&server.url, &token);
    assert_eq!(
        list[0].status,
        Status::Rectified,
        "the tracker ignores the self-verification"
    );
    assert_eq!(
        list[0].grade,
        Grade::Deadline,
        "the tracker ignores the regrade"
    );
    assert_eq!(list[0].refused.len(), 2, "the manager sees both refusals");
    manager.sync(&opts()).unwrap();
    inspector.sync(&opts()).unwrap();
    for d in [&inspector, &staff, &manager] {
        assert_eq!(
            comparable(&d.issues(&Default::default()).unwrap()),
            comparable(&list)
        );
    }
    let detail = manager.issue(id).unwrap();
    let verify = detail
        .timeline
        .iter()
        .find(|t| t.event.body.kind().code() == "verify")
        .unwrap();
    match &verify.outcome {
        EventOutcome::Refused { reason, .. } => assert!(reason.contains("field_staff"), "{reason}"),
        other => panic!("verify should be refused, was {other:?}"),
    }
}

fn a_forged_actor_or_user_is_refused_outright_and_nothing_else_is_lost(seeded: Seeded) {
    let server = InProcessServer::start(seeded.store.clone());
    let (ds, dm) = (device_dir(), device_dir());
    let mut manager = device(
        dm.path(),
        &server.url,
        "manager1",
        &seeded.password("manager1"),
    );
    let mut staff = device(ds.path(), &server.url, "staff1", &seeded.password("staff1"));
    let a = raise(&mut manager, "CP-R01", "大堂地面污渍");
    let b = raise(&mut manager, "CP-R03", "大堂玻璃破损");
    let c = raise(&mut manager, "CP-R05", "大堂灯不亮");
    manager.sync(&opts()).unwrap();
    staff.sync(&opts()).unwrap();

    // A change under another actor id than the one bound to the token.
    staff
        .edit_doc_unchecked(a.into(), |d| {
            d.set_actor(shared::doc::actor([7u8; 16]));
            let view = shared::issue::fold(a, shared::doc::issue_events(d)?).unwrap();
            let mut e = comment_event(&view, "伪造的操作者");
            e.by = view.raised_by; // irrelevant: the actor alone is enough to refuse
            shared::doc::append_event(d, &e)
        })
        .unwrap();
    // An event claiming to be by the manager.
    let manager_id = manager.session().unwrap().user.id;
    staff
        .edit_doc_unchecked(b.into(), |d| {
            let view = shared::issue::fold(b, shared::doc::issue_events(d)?).unwrap();
            let mut e = comment_event(&view, "冒充经理");
            e.by = manager_id;
            e.by_name = "manager1".into();
            e.role = shared::Role::Manager;
            shared::doc::append_event(d, &e)
        })
        .unwrap();
    // An honest comment in the same batch.
    staff
        .issue_event(
            c,
            EventBody::Comment {
                text: "已到现场".into(),
            },
            true,
            Utc::now(),
        )
        .unwrap();
    let report = staff.sync(&opts()).unwrap();
    let mut codes: Vec<(shared::DocId, String, u16)> = report
        .refused_docs
        .iter()
        .map(|r| (r.doc, r.code.clone(), r.status))
        .collect();
    codes.sort();
    let mut want = vec![
        (a.into(), "forged_actor".to_string(), 403),
        (b.into(), "forged_user".to_string(), 403),
    ];
    want.sort();
    assert_eq!(codes, want);
    manager.sync(&opts()).unwrap();
    let on_server = |id| manager.issue(id).unwrap().timeline.len();
    assert_eq!(on_server(a), 1, "the forged change never reached anyone");
    assert_eq!(on_server(b), 1);
    assert_eq!(
        on_server(c),
        2,
        "the honest comment in the same batch arrived"
    );
    assert_eq!(
        staff.refused_docs().unwrap().len(),
        2,
        "the device shows what was refused"
    );
}

fn comment_event(view: &shared::issue::IssueView, text: &str) -> shared::issue::IssueEvent {
    shared::issue::IssueEvent {
        id: shared::EventId::new(),
        lamport: view.next_lamport(),
        by: view.raised_by,
        by_name: "staff1".into(),
        role: shared::Role::FieldStaff,
        device: shared::DeviceId::new(),
        at: Utc::now(),
        base: Some(view.base()),
        body: EventBody::Comment { text: text.into() },
    }
}

fn a_device_never_receives_another_sites_documents(seeded: Seeded) {
    seeded.add_other_site("other_inspector", shared::Role::Inspector);
    let server = InProcessServer::start(seeded.store.clone() as Arc<dyn sync_server::store::Store>);
    let (da, db) = (device_dir(), device_dir());
    let mut other = device(db.path(), &server.url, "other_inspector", "other-password");
    let secret = raise(&mut other, "CP-R01", "另一个项目的问题");
    other.sync(&opts()).unwrap();
    let mut ours = device(
        da.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    ours.sync(&opts()).unwrap();
    assert!(ours.issues(&Default::default()).unwrap().is_empty());
    assert!(
        ours.issue(secret).is_err(),
        "the document itself never arrived"
    );
    assert_eq!(ours.plan().unwrap().site.code.as_str(), "DEMO");
    let token = ours.session().unwrap().token;
    let (status, _) = api_get(&server.url, &token, &format!("/api/v1/issues/{secret}"));
    assert_eq!(status, 404);
    let (status, _) = api_get(&server.url, &token, "/api/v1/issues?site=OTHER");
    assert_eq!(status, 403);

    // Pushing a document that claims the other site is refused.
    let mine = raise(&mut ours, "CP-R01", "本项目的问题");
    let other_site = other.session().unwrap().site;
    let actor = ours.actor().unwrap();
    let forged_id = shared::IssueId::new();
    let mut forged = {
        let view = ours.issue(mine).unwrap();
        let mut raise_event = view.timeline[0].event.clone();
        raise_event.id = shared::EventId::new();
        if let EventBody::Raise { site, .. } = &mut raise_event.body {
            *site = other_site;
        }
        shared::doc::new_issue(
            shared::doc::actor(actor),
            forged_id,
            other_site,
            &raise_event,
        )
        .unwrap()
    };
    // Sent as a device would, in a raw request.
    let status = raw_push(&server.url, &token, forged_id.into(), &mut forged);
    assert_eq!(status, "forbidden_site");
}

/// Sends one issue document to the server as a device would, returning the refusal code (or "ok").
fn raw_push(url: &str, token: &str, id: shared::DocId, d: &mut automerge::AutoCommit) -> String {
    raw_push_kind(url, token, id, shared::wire::DocKind::Issue, d)
}

/// Sends one document of `kind` to the server, returning the refusal code (or "ok").
fn raw_push_kind(
    url: &str,
    token: &str,
    id: shared::DocId,
    kind: shared::wire::DocKind,
    d: &mut automerge::AutoCommit,
) -> String {
    use automerge::sync::SyncDoc;
    let mut state = shared::doc::state_for_empty_peer();
    shared::doc::send_changes_only(&mut state);
    let msg = d.sync().generate_sync_message(&mut state).unwrap();
    let req = shared::wire::SyncRequest {
        protocol: shared::wire::PROTOCOL_VERSION,
        cursor: 0,
        docs: vec![shared::wire::DocMessage {
            doc: id,
            kind,
            msg: msg.encode(),
        }],
    };
    let resp = reqwest::blocking::Client::new()
        .post(format!("{url}/api/v1/sync"))
        .bearer_auth(token)
        .header(
            shared::wire::PROTOCOL_HEADER,
            shared::wire::PROTOCOL_VERSION.to_string(),
        )
        .body(postcard::to_allocvec(&req).unwrap())
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200);
    let resp: shared::wire::SyncResponse = postcard::from_bytes(&resp.bytes().unwrap()).unwrap();
    resp.refused
        .first()
        .map(|r| r.code.clone())
        .unwrap_or_else(|| "ok".into())
}

fn only_inspectors_and_managers_record_patrols_and_only_their_own(seeded: Seeded) {
    let server = InProcessServer::start(seeded.store.clone());
    let (ds, di) = (device_dir(), device_dir());
    let mut staff = device(ds.path(), &server.url, "staff1", &seeded.password("staff1"));
    let err = staff.patrol_start("R1", Utc::now()).unwrap_err();
    assert!(err.to_string().contains("does not walk patrols"), "{err}");
    let inspector = device(
        di.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let plan = staff.plan().unwrap();
    let route = plan.route_by_code("R1").unwrap();
    let session = staff.session().unwrap();
    let token = session.token.clone();
    let run = |inspector_id, name: &str| shared::patrol::PatrolRun {
        id: shared::PatrolRunId::new(),
        site: session.site,
        route: route.id,
        route_code: route.code.clone(),
        inspector: inspector_id,
        inspector_name: name.into(),
        device: session.device,
        started_at: Utc::now(),
        checklists: vec![],
    };
    // A field worker's own patrol, pushed by hand, is refused by role…
    let own = run(session.user.id, "staff1");
    let mut d = shared::doc::new_patrol(shared::doc::actor(staff.actor().unwrap()), &own).unwrap();
    assert_eq!(
        raw_push_kind(
            &server.url,
            &token,
            own.id.into(),
            shared::wire::DocKind::Patrol,
            &mut d
        ),
        "role_forbidden"
    );
    // …and an inspector cannot record a patrol in someone else's name.
    let inspector_session = inspector.session().unwrap();
    let other = run(session.user.id, "staff1");
    let mut d =
        shared::doc::new_patrol(shared::doc::actor(inspector.actor().unwrap()), &other).unwrap();
    assert_eq!(
        raw_push_kind(
            &server.url,
            &inspector_session.token,
            other.id.into(),
            shared::wire::DocKind::Patrol,
            &mut d
        ),
        "forged_user"
    );
}

fn todays_tasks_show_the_open_patrols_progress_and_finished_rounds(seeded: Seeded) {
    let server = InProcessServer::start(seeded.store.clone());
    let dir = device_dir();
    let mut d = device(
        dir.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let route = &seeded.summary.routes[0];
    let cp = &route.checkpoints[0];
    d.patrol_start(&route.code, Utc::now()).unwrap();
    let answers = passing_answers(cp);
    d.patrol_check(&cp.code, &answers, Utc::now()).unwrap();
    let tasks = d.route_tasks(Utc::now()).unwrap();
    let t = tasks.iter().find(|t| t.code == route.code).unwrap();
    assert!(t.open);
    assert_eq!((t.checked(), t.steps.len()), (1, route.checkpoints.len()));
    assert_eq!(t.done_today, 0);
    d.patrol_finish(Utc::now()).unwrap();
    let tasks = d.route_tasks(Utc::now()).unwrap();
    let t = tasks.iter().find(|t| t.code == route.code).unwrap();
    assert!(!t.open);
    assert_eq!(t.done_today, 1);
    // A round finished yesterday (site time) does not count today.
    let tomorrow = Utc::now() + Duration::days(1);
    let t = d.route_tasks(tomorrow).unwrap();
    assert_eq!(
        t.iter().find(|t| t.code == route.code).unwrap().done_today,
        0
    );
}

tests::on_both_stores!(
    the_device_says_what_it_refuses_in_chinese_and_keeps_nothing,
    an_offline_finding_reaches_the_tracker_exactly_once,
    concurrent_status_changes_keep_both_events_and_show_the_conflict,
    a_forged_actor_or_user_is_refused_outright_and_nothing_else_is_lost,
    a_device_never_receives_another_sites_documents,
    only_inspectors_and_managers_record_patrols_and_only_their_own,
    todays_tasks_show_the_open_patrols_progress_and_finished_rounds,
    the_closed_loop_runs_across_three_devices,
    forbidden_changes_stay_in_history_but_never_reach_the_tracker,
);
