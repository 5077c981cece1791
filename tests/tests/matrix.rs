//! The permission table, cell by cell, against a real server on 127.0.0.1.
//!
//! Every cell of `shared::policy` — each issue change ([`POLICY`]), each way of
//! raising ([`may_raise`]) and each other action ([`ACTIONS`]) — is tried by a
//! signed-in user of each role, once on their own site (`DEMO`) and once from
//! another site (`OTHER`, aimed at `DEMO`'s records), over REST and over sync
//! where the action has both. The expectation is computed from the table, never
//! written by hand: a cell reaches `DEMO` exactly when the sender is on `DEMO`
//! and the table lets the role do it. A refused cell leaves `DEMO` unchanged.

use automerge::ROOT;
use automerge::transaction::Transactable;
use chrono::{Duration, Utc};
use serde_json::{Value, json};
use shared::issue::{Complaint, EventBody, EventOutcome};
use shared::policy::{ACTIONS, Action, ChangeKind, POLICY, allowed_on, may_raise, permits};
use shared::wire::DocKind;
use shared::{Category, Department, Grade, IssueId, Role};
use std::collections::BTreeMap;
use tests::hostile::*;
use tests::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Side {
    Own,
    Other,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Channel {
    Rest,
    Sync,
}

const OTHER_PASSWORD: &str = "other-password";
/// The name of one of DEMO's checkpoints; an answer that holds it came from DEMO.
const DEMO_MARK: &str = "甲站标记点位";

/// The account of `role` on each side. `DEMO`'s inspector is inspector2, so
/// inspector1 can walk and raise the setup's records as somebody else.
fn user(side: Side, role: Role) -> &'static str {
    match (side, role) {
        (Side::Own, Role::Inspector) => "inspector2",
        (Side::Own, Role::FieldStaff) => "staff1",
        (Side::Own, Role::Manager) => "manager1",
        (Side::Own, Role::Admin) => "admin1",
        (Side::Own, Role::CustomerService) => "cs1",
        (Side::Own, Role::Group) => "group1",
        (Side::Other, Role::Inspector) => "inspector_o",
        (Side::Other, Role::FieldStaff) => "staff_o",
        (Side::Other, Role::Manager) => "manager_o",
        (Side::Other, Role::Admin) => "admin_o",
        (Side::Other, Role::CustomerService) => "cs_o",
        (Side::Other, Role::Group) => "group_o",
    }
}

struct World {
    seeded: Seeded,
    server: InProcessServer,
    peers: BTreeMap<&'static str, RawPeer>,
    /// inspector1's peer, which raises the issues the cells change.
    raiser: RawPeer,
}

/// `DEMO` (seeded, one checkpoint named [`DEMO_MARK`]) and `OTHER`, whose plan
/// has the same codes but its own checkpoint names (`乙-N`), so an answer
/// shows which site it came from.
fn world(seeded: Seeded) -> World {
    let now = Utc::now();
    {
        let mut txn = seeded.store.begin().unwrap();
        sync_server::accounts::add_site(&mut *txn, "OTHER", "另一个项目", now).unwrap();
        let site = txn.site_by_code("OTHER").unwrap().unwrap();
        let mut plan = sync_server::seed::demo_plan(site);
        for (i, cp) in plan.checkpoints.iter_mut().enumerate() {
            cp.name = format!("乙-{i}");
        }
        sync_server::accounts::store_plan(&mut *txn, plan, now).unwrap();
        for role in Role::ALL {
            sync_server::accounts::add_user(
                &mut *txn,
                sync_server::accounts::NewUser {
                    name: user(Side::Other, *role),
                    display_name: None,
                    role: *role,
                    site: "OTHER",
                    password: OTHER_PASSWORD,
                    department: (*role == Role::FieldStaff).then_some(Department::Engineering),
                },
                now,
            )
            .unwrap();
        }
        // DEMO's group office (the seed has none), with OTHER's password.
        sync_server::accounts::add_user(
            &mut *txn,
            sync_server::accounts::NewUser {
                name: user(Side::Own, Role::Group),
                display_name: None,
                role: Role::Group,
                site: "DEMO",
                password: OTHER_PASSWORD,
                department: None,
            },
            now,
        )
        .unwrap();
        // One of DEMO's checkpoints carries a name nothing else has.
        let demo = txn.site_by_code("DEMO").unwrap().unwrap();
        let (_, mut plan) = sync_server::accounts::load_plan(&mut *txn, &demo).unwrap();
        plan.checkpoints[0].name = DEMO_MARK.into();
        sync_server::accounts::store_plan(&mut *txn, plan, now).unwrap();
        txn.commit().unwrap();
    }
    let server = InProcessServer::serve(seeded.state(), "127.0.0.1:0".parse().unwrap());
    let mut peers = BTreeMap::new();
    for side in [Side::Own, Side::Other] {
        for role in Role::ALL {
            let name = user(side, *role);
            let pw = match side {
                Side::Own if *role != Role::Group => seeded.password(name),
                _ => OTHER_PASSWORD.to_string(),
            };
            peers.insert(name, RawPeer::login(&server.url, name, &pw));
        }
    }
    let raiser = RawPeer::login(&server.url, "inspector1", &seeded.password("inspector1"));
    World {
        seeded,
        server,
        peers,
        raiser,
    }
}

impl World {
    fn url(&self) -> String {
        self.server.url.clone()
    }
    fn token(&self, side: Side, role: Role) -> String {
        self.peers[user(side, role)].token.clone()
    }
    fn peer(&mut self, side: Side, role: Role) -> &mut RawPeer {
        self.peers.get_mut(user(side, role)).unwrap()
    }
    fn manager(&self) -> String {
        self.token(Side::Own, Role::Manager)
    }
    fn get(&self, token: &str, path: &str) -> (u16, Value) {
        api_get(&self.server.url, token, path)
    }
    fn post(&self, token: &str, path: &str, body: &Value) -> (u16, Value) {
        api_post(&self.server.url, token, path, body)
    }
    /// The tracker's record of a `DEMO` issue, as its manager reads it.
    fn tracker(&self, id: IssueId) -> Value {
        let (status, body) = self.get(&self.manager(), &format!("/api/v1/issues/{id}"));
        assert_eq!(status, 200, "{body}");
        body
    }
    /// The fields no refused change may move.
    fn fingerprint(&self, id: IssueId) -> Value {
        let t = self.tracker(id);
        json!([
            t["title"],
            t["description"],
            t["grade"],
            t["category"],
            t["status"],
            t["deadline"],
            t["assignee_name"],
            t["department"]
        ])
    }
    fn demo_issue_count(&self) -> usize {
        let (status, list) = self.get(&self.manager(), "/api/v1/issues");
        assert_eq!(status, 200, "{list}");
        list.as_array().unwrap().len()
    }
    fn user_id(&self, name: &str) -> shared::UserId {
        self.peers[name].login.user.id
    }

    /// A patrol finding on `DEMO`, raised by inspector1 over sync.
    fn finding(&mut self) -> IssueId {
        let site = self.raiser.site();
        let raise = self.raiser.event(1, raise_body(site, None));
        let id = IssueId::new();
        let d = shared::doc::new_issue(shared::doc::actor(self.raiser.actor), id, site, &raise)
            .unwrap();
        self.raiser.adopt(id.into(), DocKind::Issue, d);
        assert_eq!(refusal_code(&self.raiser.push(id.into())), "ok");
        id
    }

    /// A complaint on `DEMO`, entered by customer service over REST.
    fn complaint(&mut self) -> IssueId {
        let (status, body) = self.post(
            &self.token(Side::Own, Role::CustomerService),
            "/api/v1/complaints",
            &complaint_json(),
        );
        assert_eq!(status, 200, "{body}");
        body["id"].as_str().unwrap().parse().unwrap()
    }

    /// A change made by `DEMO`'s own people to move an issue along.
    fn advance(&self, id: IssueId, role: Role, body: EventBody) {
        let (status, answer) = self.post(
            &self.token(Side::Own, role),
            &format!("/api/v1/issues/{id}/events"),
            &serde_json::to_value(&body).unwrap(),
        );
        assert_eq!(status, 200, "{answer}");
    }

    /// A `DEMO` issue (a complaint or a patrol finding) in a state where
    /// `kind` is a legal next step.
    fn issue_ready_for(&mut self, kind: ChangeKind, complaint: bool) -> IssueId {
        let id = if complaint {
            self.complaint()
        } else {
            self.finding()
        };
        let assign = matches!(
            kind,
            ChangeKind::MoveDeadline
                | ChangeKind::Rectify
                | ChangeKind::Verify
                | ChangeKind::Reject
                | ChangeKind::Reopen
                | ChangeKind::Callback
        );
        let rectify = matches!(
            kind,
            ChangeKind::Verify | ChangeKind::Reject | ChangeKind::Reopen | ChangeKind::Callback
        );
        let verify = matches!(kind, ChangeKind::Reopen | ChangeKind::Callback);
        if assign {
            self.advance(id, Role::Manager, self.body(ChangeKind::Assign));
        }
        if rectify {
            self.advance(id, Role::FieldStaff, self.body(ChangeKind::Rectify));
        }
        if verify {
            self.advance(id, Role::Manager, self.body(ChangeKind::Verify));
        }
        id
    }

    /// A well-formed change of each kind.
    fn body(&self, kind: ChangeKind) -> EventBody {
        let later = Utc::now() + Duration::days(3);
        match kind {
            ChangeKind::Raise => unreachable!("raising is its own matrix"),
            ChangeKind::Edit => EventBody::Edit {
                title: Some("改过的标题".into()),
                description: Some("改过的描述".into()),
            },
            ChangeKind::Regrade => EventBody::Regrade {
                grade: Some(Grade::LongTerm),
                category: Some(Category::Other),
            },
            ChangeKind::Assign => EventBody::Assign {
                department: Department::Engineering,
                assignee: self.user_id("staff1"),
                assignee_name: "staff1".into(),
                deadline: Some(Utc::now() + Duration::days(2)),
            },
            ChangeKind::MoveDeadline => EventBody::MoveDeadline { deadline: later },
            ChangeKind::Rectify => EventBody::Rectify {
                note: "已修好".into(),
                photos: vec![],
            },
            ChangeKind::Verify => EventBody::Verify {
                note: "验收合格".into(),
            },
            ChangeKind::Reject => EventBody::Reject {
                note: "没修好".into(),
                department: None,
                assignee: None,
                assignee_name: None,
                deadline: None,
            },
            ChangeKind::Cancel => EventBody::Cancel {
                note: "重复".into(),
            },
            ChangeKind::Reopen => EventBody::Reopen {
                note: "又坏了".into(),
                department: None,
                assignee: None,
                assignee_name: None,
                deadline: None,
            },
            ChangeKind::Comment => EventBody::Comment {
                text: "备注".into(),
            },
            ChangeKind::Callback => EventBody::Callback {
                satisfied: true,
                note: "业主满意".into(),
                deadline: None,
            },
        }
    }
}

fn raise_body(site: shared::SiteId, complaint: Option<Complaint>) -> EventBody {
    EventBody::Raise {
        site,
        zone: None,
        checkpoint: None,
        checkpoint_code: None,
        item: None,
        patrol: None,
        category: Category::EquipmentFault,
        grade: Grade::Deadline,
        title: "消防门闭门器损坏".into(),
        description: "现场发现".into(),
        photos: vec![],
        deadline: None,
        complaint,
    }
}

fn complaint_json() -> Value {
    json!({
        "zone": null,
        "location": "3栋2单元 1202 门口",
        "contact": "王女士 138 0000 0000",
        "category": "equipment_fault",
        "title": "电梯异响",
        "description": "业主来电反映",
    })
}

/// Cells whose observed answer differs from the table's, for one report.
#[derive(Default)]
struct Ledger {
    cells: usize,
    wrong: Vec<String>,
}

impl Ledger {
    fn record(&mut self, cell: String, expected: bool, reached: bool, detail: &str) {
        self.cells += 1;
        if expected != reached {
            self.wrong.push(format!(
                "{cell}: the table says {}, the server {} ({detail})",
                if expected { "yes" } else { "no" },
                if reached { "let it through" } else { "refused" }
            ));
        }
    }
    fn assert_all(&self, cells: usize) {
        assert!(
            self.wrong.is_empty(),
            "{} of {} cells disagree with the table:\n{}",
            self.wrong.len(),
            self.cells,
            self.wrong.join("\n")
        );
        assert_eq!(self.cells, cells, "every cell was tried");
    }
}

/// The outcome the tracker gave the event `event` of issue `id`.
fn outcome(w: &World, id: IssueId, event: shared::EventId) -> Option<EventOutcome> {
    let t = w.tracker(id);
    t["timeline"].as_array().unwrap().iter().find_map(|item| {
        (item["event"] == json!(event)).then(|| {
            serde_json::from_value(json!({
                "outcome": item["outcome"], "code": item["code"], "reason": item["reason"]
            }))
            .unwrap_or(EventOutcome::Applied)
        })
    })
}

/// Tries one issue change; returns whether it reached `DEMO`'s tracker.
fn try_change(
    w: &mut World,
    side: Side,
    role: Role,
    kind: ChangeKind,
    complaint: bool,
    channel: Channel,
) -> (bool, String) {
    let id = w.issue_ready_for(kind, complaint);
    let before = w.fingerprint(id);
    let body = w.body(kind);
    let (reached, detail) = match (channel, side) {
        (Channel::Rest, _) => {
            let (status, answer) = w.post(
                &w.token(side, role),
                &format!("/api/v1/issues/{id}/events"),
                &serde_json::to_value(&body).unwrap(),
            );
            let code = answer["code"].as_str().unwrap_or_default().to_string();
            match (side, status) {
                (_, 200) => (true, "200".to_string()),
                (Side::Own, 403) => {
                    assert_eq!(code, "role_forbidden", "{answer}");
                    (false, format!("403 {code}"))
                }
                (Side::Other, 404) => (false, "404".to_string()),
                _ => panic!("unexpected answer {status} {answer}"),
            }
        }
        (Channel::Sync, Side::Own) => {
            let p = w.peer(side, role);
            p.pull();
            if !p.docs.contains_key(&id.into()) {
                // Not sent to this role: a copy it got elsewhere, as the same account.
                w.raiser.pull();
                let copy = w.raiser.docs.get_mut(&id.into()).unwrap().1.fork();
                let p = w.peer(side, role);
                p.adopt(id.into(), DocKind::Issue, copy);
            }
            let p = w.peer(side, role);
            let event = p.event(p.next_lamport(id.into()), body);
            let code = p.append_and_push(id.into(), &event);
            assert_eq!(code, "ok", "a well-formed change is merged");
            match outcome(w, id, event.id) {
                Some(EventOutcome::Applied) => (true, "applied".to_string()),
                Some(EventOutcome::Refused { code, .. }) => {
                    assert_eq!(code, "role_forbidden");
                    (false, format!("history only: {code}"))
                }
                other => panic!(
                    "{kind} by {}: unexpected outcome {other:?} of {} in {}",
                    role.code(),
                    event.id,
                    w.tracker(id)["timeline"]
                ),
            }
        }
        (Channel::Sync, Side::Other) => {
            // A copy of DEMO's document (as if it leaked), changed by OTHER's user.
            w.raiser.pull();
            let mut copy = w.raiser.docs.get_mut(&id.into()).unwrap().1.fork();
            let p = w.peer(side, role);
            copy.set_actor(shared::doc::actor(p.actor));
            let event = p.event(2, body);
            shared::doc::append_event(&mut copy, &event).unwrap();
            p.adopt(id.into(), DocKind::Issue, copy);
            let code = refusal_code(&p.push(id.into()));
            p.docs.remove(&id.into());
            assert_ne!(code, "ok", "another site's document is refused");
            (outcome(w, id, event.id).is_some(), code)
        }
    };
    if !reached {
        assert_eq!(w.fingerprint(id), before, "a refused change moves nothing");
    }
    (reached, detail)
}

fn every_issue_change_is_decided_by_the_policy_table_on_rest_and_sync(seeded: Seeded) {
    let mut w = world(seeded);
    let mut ledger = Ledger::default();
    let kinds: Vec<ChangeKind> = POLICY
        .iter()
        .map(|(k, _)| *k)
        .filter(|k| *k != ChangeKind::Raise)
        .collect();
    // Each change on a patrol finding and on a complaint (a call-back only on
    // a complaint): some cells differ (customer service dispatches complaints).
    let cases: Vec<(ChangeKind, bool)> = kinds
        .iter()
        .flat_map(|&k| [(k, false), (k, true)])
        .filter(|&(k, complaint)| complaint || k != ChangeKind::Callback)
        .collect();
    for &(kind, complaint) in &cases {
        for &role in Role::ALL {
            for side in [Side::Own, Side::Other] {
                for channel in [Channel::Rest, Channel::Sync] {
                    let expected = side == Side::Own && allowed_on(role, kind, complaint);
                    let (reached, detail) =
                        try_change(&mut w, side, role, kind, complaint, channel);
                    let what = if complaint { "complaint" } else { "finding" };
                    ledger.record(
                        format!(
                            "{kind} of a {what} by {} ({side:?} site, {channel:?})",
                            role.code()
                        ),
                        expected,
                        reached,
                        &detail,
                    );
                }
            }
        }
    }
    ledger.assert_all(cases.len() * Role::ALL.len() * 2 * 2);
    assert!(alive(&w.url()));
}

fn raising_follows_the_table_for_findings_and_complaints(seeded: Seeded) {
    let mut w = world(seeded);
    let demo_site = w.raiser.site();
    let mut ledger = Ledger::default();
    for complaint in [false, true] {
        for &role in Role::ALL {
            for side in [Side::Own, Side::Other] {
                let expected = side == Side::Own && may_raise(role, complaint);
                let what = if complaint { "complaint" } else { "finding" };
                // Over sync: a new issue document naming DEMO.
                let before = w.demo_issue_count();
                let p = w.peer(side, role);
                let body = raise_body(
                    demo_site,
                    complaint.then(|| Complaint {
                        location: "3栋".into(),
                        contact: "王女士 138****0000".into(),
                        ..Default::default()
                    }),
                );
                let raise = p.event(1, body);
                let id = IssueId::new();
                let d = shared::doc::new_issue(shared::doc::actor(p.actor), id, demo_site, &raise)
                    .unwrap();
                p.adopt(id.into(), DocKind::Issue, d);
                let code = refusal_code(&p.push(id.into()));
                let after = w.demo_issue_count();
                let reached = after > before;
                assert_eq!(reached, code == "ok", "{code}");
                ledger.record(
                    format!("raise a {what} by {} ({side:?} site, Sync)", role.code()),
                    expected,
                    reached,
                    &code,
                );
                // Over REST: only complaints are raised there (findings come from a checkpoint).
                let before = after;
                let (status, answer) = if complaint {
                    w.post(
                        &w.token(side, role),
                        "/api/v1/complaints",
                        &complaint_json(),
                    )
                } else {
                    let id = w.finding();
                    let body = serde_json::to_value(raise_body(demo_site, None)).unwrap();
                    let r = w.post(
                        &w.token(side, role),
                        &format!("/api/v1/issues/{id}/events"),
                        &body,
                    );
                    w.raiser.pull();
                    r
                };
                let after = w.demo_issue_count() - usize::from(!complaint);
                let reached = after > before;
                assert!(
                    reached || (400..500).contains(&status) || side == Side::Other,
                    "{status} {answer}"
                );
                ledger.record(
                    format!("raise a {what} by {} ({side:?} site, Rest)", role.code()),
                    expected && complaint,
                    reached,
                    &format!("{status} {}", answer["code"]),
                );
            }
        }
    }
    ledger.assert_all(2 * Role::ALL.len() * 2 * 2);
    assert!(alive(&w.url()));
}

/// What the setup put on `DEMO` for the action cells to aim at.
struct Targets {
    issue: IssueId,
    photo: String,
    patrol: shared::PatrolRunId,
    spot_check: String,
}

fn targets(w: &mut World) -> Targets {
    // A finding with a photo, raised on a real device and synced (photo uploaded).
    let dir = device_dir();
    let mut d = device(
        dir.path(),
        &w.url(),
        "inspector1",
        &w.seeded.password("inspector1"),
    );
    let photo = d
        .add_photo(
            &pictures::jpeg(&pictures::photo_like(320, 240, 5), 85, None),
            "IMG.jpg",
            Utc::now(),
        )
        .unwrap();
    let issue = d
        .raise_issue(
            device::RaiseInput {
                checkpoint: "CP-R01".into(),
                item: None,
                category: Category::EquipmentFault,
                grade: Grade::Deadline,
                title: "带照片的问题".into(),
                description: String::new(),
                photos: vec![photo.clone()],
            },
            Utc::now(),
        )
        .unwrap();
    let report = d.sync(&opts()).unwrap();
    assert!(report.photos.uploaded >= 1, "{:?}", report.photos);
    let patrol = walk(&mut w.raiser);
    assert_eq!(refusal_code(&w.raiser.push(patrol.into())), "ok");
    // A schedule (so coverage has a row of DEMO's) and a drawn spot check.
    let (status, body) = w.post(
        &w.token(Side::Own, Role::Admin),
        "/api/v1/admin/schedules",
        &json!({"code": "MATRIX", "name": "矩阵巡查", "route": "R1", "repeat": "daily"}),
    );
    assert_eq!(status, 200, "{body}");
    let (status, drawn) = w.post(&w.manager(), "/api/v1/spot-checks", &draw_json());
    assert_eq!(status, 200, "{drawn}");
    Targets {
        issue,
        photo: photo.hash.as_str().to_string(),
        patrol,
        spot_check: drawn["spot_check"]["code"].as_str().unwrap().to_string(),
    }
}

fn draw_json() -> Value {
    let from = Utc::now() + Duration::hours(1);
    json!({"n": 1, "zone": null, "from": from, "until": from + Duration::hours(4)})
}

/// Starts a patrol run of the peer's site, as the peer; returns its id.
fn walk(p: &mut RawPeer) -> shared::PatrolRunId {
    p.pull();
    let site = p.site();
    let plan = shared::doc::plan(&p.docs[&site.into()].1).unwrap();
    let route = &plan.routes[0];
    let run = shared::patrol::PatrolRun {
        id: shared::PatrolRunId::new(),
        site,
        route: route.id,
        route_code: route.code.clone(),
        inspector: p.login.user.id,
        inspector_name: p.login.user.name.to_string(),
        device: p.login.device,
        started_at: Utc::now(),
        checklists: vec![],
    };
    let d = shared::doc::new_patrol(shared::doc::actor(p.actor), &run).unwrap();
    p.adopt(run.id.into(), DocKind::Patrol, d);
    run.id
}

/// The names of `DEMO`'s checkpoints (OTHER's are `乙-N`).
fn demo_names(w: &World) -> Vec<String> {
    let (status, plan) = w.get(&w.token(Side::Own, Role::Admin), "/api/v1/plan");
    assert_eq!(status, 200, "{plan}");
    plan["checkpoints"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

/// Tries one action; returns whether it reached `DEMO` (changed it, or
/// answered with its records) and what the server said.
fn try_action(
    w: &mut World,
    t: &Targets,
    n: usize,
    side: Side,
    role: Role,
    action: Action,
) -> (bool, String) {
    let token = w.token(side, role);
    let url = w.url();
    let status_of =
        |s: u16, body: &str| format!("{s} {}", body.chars().take(80).collect::<String>());
    match action {
        Action::ChangePlan => {
            let code = format!("M{n}");
            let (s, body) = w.post(
                &token,
                "/api/v1/admin/schedules",
                &json!({"code": code, "name": "新计划", "route": "R1", "repeat": "daily"}),
            );
            let (_, plan) = w.get(&w.token(Side::Own, Role::Admin), "/api/v1/plan");
            let reached = plan.to_string().contains(&format!("\"{code}\""));
            (reached, status_of(s, &body.to_string()))
        }
        Action::ExportPlan | Action::PrintLabels => {
            let path = if action == Action::ExportPlan {
                "/api/v1/admin/export/checkpoints.csv"
            } else {
                "/api/v1/admin/qr-sheet"
            };
            let (s, _, text) = api_text(&url, &token, path);
            let reached = s == 200 && text.contains(DEMO_MARK);
            if s == 200 && side == Side::Other {
                assert!(text.contains("乙-0"), "the sender's own site is answered");
            }
            (reached, status_of(s, ""))
        }
        Action::ManageUsers => {
            let name = format!("new_user_{n}");
            let (s, body) = w.post(
                &token,
                "/api/v1/admin/users",
                &json!({"name": name, "display_name": null, "role": "customer_service",
                        "department": null, "password": "a-long-password-1"}),
            );
            let added_to_demo =
                match login_with_actor(&url, &name, "a-long-password-1", rand::random()) {
                    Ok(l) => l.site.code.as_str() == "DEMO",
                    Err(_) => false,
                };
            // And disabling one of DEMO's people (a fresh one, so cells stay independent).
            let victim = format!("victim_{n}");
            let (vs, vbody) = w.post(
                &w.token(Side::Own, Role::Admin),
                "/api/v1/admin/users",
                &json!({"name": victim, "display_name": null, "role": "field_staff",
                        "department": "cleaning", "password": "a-long-password-2"}),
            );
            assert_eq!(vs, 200, "{vbody}");
            let (ds, _) = w.post(
                &token,
                &format!("/api/v1/admin/users/{victim}/disable"),
                &json!({}),
            );
            let disabled =
                login_with_actor(&url, &victim, "a-long-password-2", rand::random()).is_err();
            assert_eq!(
                added_to_demo, disabled,
                "adding and disabling agree (add {s}, disable {ds})"
            );
            (added_to_demo, status_of(s, &body.to_string()))
        }
        Action::DrawSpotCheck => {
            let (s, body) = w.post(&token, "/api/v1/spot-checks", &draw_json());
            // OTHER's inspectors are all `…_o`: a draw among DEMO's names another.
            let reached = s == 200
                && body["inspector_name"]
                    .as_str()
                    .is_some_and(|i| !i.ends_with("_o"));
            (reached, status_of(s, &body.to_string()))
        }
        Action::LaunchPatrol => {
            let adhoc = |w: &World| {
                let (_, plan) = w.get(&w.token(Side::Own, Role::Admin), "/api/v1/plan");
                plan["adhoc"].as_array().map_or(0, |a| a.len())
            };
            let before = adhoc(w);
            let from = Utc::now() + Duration::hours(1);
            let (s, body) = w.post(
                &token,
                "/api/v1/adhoc-patrols",
                &json!({"name": "台风前检查", "checkpoints": ["CP-R01"], "inspectors": ["inspector1"],
                        "zone": null, "from": from, "until": from + Duration::hours(6)}),
            );
            (adhoc(w) > before, status_of(s, &body.to_string()))
        }
        Action::ReplaySpotCheck => {
            let (s, body) = w.get(
                &token,
                &format!("/api/v1/spot-checks/{}/replay", t.spot_check),
            );
            // OTHER numbers its draws the same way: its own draw of that code is no leak.
            let demo_draw = body["inspector_name"]
                .as_str()
                .is_some_and(|i| !i.ends_with("_o"));
            (s == 200 && demo_draw, status_of(s, &body.to_string()))
        }
        Action::ReadCoverage => {
            let today = tests::site_today();
            let (s, body) = w.get(
                &token,
                &format!(
                    "/api/v1/coverage?from={}&to={}",
                    today - Duration::days(7),
                    today
                ),
            );
            // The total row carries the site's name.
            let demo = &w.seeded.summary.site_name;
            (
                s == 200 && body.to_string().contains(demo.as_str()),
                status_of(s, &body.to_string()),
            )
        }
        Action::WalkPatrol => {
            let before = patrol_count(w);
            let (code, pushed) = if side == Side::Own {
                let p = w.peer(side, role);
                let id = walk(p);
                (refusal_code(&p.push(id.into())), id)
            } else {
                // A run naming DEMO, from OTHER.
                let demo = w.raiser.site();
                w.raiser.pull();
                let plan = shared::doc::plan(&w.raiser.docs[&demo.into()].1).unwrap();
                let p = w.peer(side, role);
                let run = shared::patrol::PatrolRun {
                    id: shared::PatrolRunId::new(),
                    site: demo,
                    route: plan.routes[0].id,
                    route_code: plan.routes[0].code.clone(),
                    inspector: p.login.user.id,
                    inspector_name: p.login.user.name.to_string(),
                    device: p.login.device,
                    started_at: Utc::now(),
                    checklists: vec![],
                };
                let d = shared::doc::new_patrol(shared::doc::actor(p.actor), &run).unwrap();
                p.adopt(run.id.into(), DocKind::Patrol, d);
                (refusal_code(&p.push(run.id.into())), run.id)
            };
            let reached = patrol_count(w) > before;
            assert_eq!(reached, code == "ok", "{code} {pushed}");
            (reached, code)
        }
        Action::ReadAllPatrols => {
            let (s, body) = w.get(&token, &format!("/api/v1/patrols/{}", t.patrol));
            let (_, list) = w.get(&token, "/api/v1/patrols");
            let listed = list.to_string().contains(&t.patrol.to_string());
            assert_eq!(
                s == 200,
                listed,
                "the list and the record agree: {s} {list}"
            );
            (s == 200, status_of(s, &body.to_string()))
        }
        Action::WriteRootCause => {
            let record = json!({
                "id": null, "issues": [t.issue], "whys": ["为什么"], "cause": "supplier",
                "actions": [{"action": "整改", "owner": "staff1", "due": "2027-01-15"}],
            });
            let before = root_causes(w);
            let (s, body) = w.post(&token, "/api/v1/root-causes", &record);
            (root_causes(w) > before, status_of(s, &body.to_string()))
        }
        Action::ReadSite => {
            let (s, body) = w.get(&token, &format!("/api/v1/issues/{}", t.issue));
            let (_, list) = w.get(&token, "/api/v1/issues");
            let listed = list.to_string().contains(&t.issue.to_string());
            assert_eq!(s == 200, listed, "the list and the record agree");
            (s == 200, status_of(s, &body.to_string()))
        }
        Action::Photos => {
            let (s, _, _) = api_text(&url, &token, &format!("/api/v1/photos/{}", t.photo));
            let (us, _, _) = api_text(&url, &token, &format!("/api/v1/photos/{}/upload", t.photo));
            assert_eq!(
                s == 200,
                us == 200,
                "reading and upload status agree ({s}, {us})"
            );
            (s == 200, status_of(s, ""))
        }
        Action::ReadLedger => {
            let today = tests::site_today();
            let resp = reqwest::blocking::Client::new()
                .get(format!(
                    "{url}/api/v1/ledger?from={}&to={today}&format=csv",
                    today - Duration::days(7)
                ))
                .bearer_auth(&token)
                .send()
                .unwrap();
            let s = resp.status().as_u16();
            let body = resp.text().unwrap_or_default();
            // DEMO's plan entries name it; OTHER's ledger names OTHER.
            (s == 200 && body.contains(",DEMO,"), status_of(s, &body))
        }
        Action::RecordSurvey => {
            let id = uuid::Uuid::now_v7();
            let (s, body) = w.post(
                &token,
                "/api/v1/surveys",
                &json!({"id": id, "respondent": format!("M{n}"), "nps": 9,
                        "taken_at": Utc::now() - Duration::minutes(1)}),
            );
            // Reached DEMO when DEMO's list holds it.
            let month = (Utc::now() + Duration::hours(8))
                .format("%Y-%m")
                .to_string();
            let (_, list) = w.get(&w.manager(), &format!("/api/v1/surveys?period={month}"));
            (
                list.to_string().contains(&id.to_string()),
                status_of(s, &body.to_string()),
            )
        }
        Action::ManageEquipment => {
            let code = format!("M{n}");
            let (s, body) = api_put(
                &url,
                &token,
                &format!("/api/v1/equipment/{code}"),
                &json!({"code": code, "name": "消防泵", "kind": "fire_pump", "maintenance_days": 30}),
            );
            // Reached DEMO when DEMO's register holds it.
            let (_, register) = w.get(&w.manager(), "/api/v1/equipment");
            let reached = register.to_string().contains(&format!("\"{code}\""));
            (reached, status_of(s, &body.to_string()))
        }
        Action::SyncPlan => {
            let demo = w.raiser.site();
            w.raiser.pull();
            let mut copy = w.raiser.docs.get_mut(&demo.into()).unwrap().1.fork();
            let before = demo_names(w);
            let p = w.peer(side, role);
            p.pull();
            copy.set_actor(shared::doc::actor(p.actor));
            copy.put(ROOT, "name", format!("改名{n}")).unwrap();
            // Rename the first checkpoint, wherever the plan keeps it (a map or a list).
            if let Some((_, obj)) = automerge::ReadDoc::get(&copy, ROOT, "checkpoints").unwrap() {
                let first = match automerge::ReadDoc::object_type(&copy, &obj) {
                    Ok(automerge::ObjType::List) => automerge::ReadDoc::get(&copy, &obj, 0),
                    _ => {
                        let key = automerge::ReadDoc::keys(&copy, &obj).next();
                        match key {
                            Some(k) => automerge::ReadDoc::get(&copy, &obj, k.as_str()),
                            None => Ok(None),
                        }
                    }
                };
                if let Some((automerge::Value::Object(_), cp)) = first.unwrap() {
                    copy.put(&cp, "name", "被改的点位").unwrap();
                }
            }
            let had = p.docs.remove(&demo.into());
            p.adopt(demo.into(), DocKind::Plan, copy);
            let code = refusal_code(&p.push(demo.into()));
            p.docs.remove(&demo.into());
            if let Some(had) = had {
                p.docs.insert(demo.into(), had);
            }
            let reached = code == "ok" || demo_names(w) != before;
            (reached, code)
        }
    }
}

fn patrol_count(w: &World) -> usize {
    let (s, list) = w.get(&w.manager(), "/api/v1/patrols");
    assert_eq!(s, 200, "{list}");
    list.as_array().unwrap().len()
}

fn root_causes(w: &World) -> usize {
    let (s, list) = w.get(&w.manager(), "/api/v1/root-causes");
    assert_eq!(s, 200, "{list}");
    list.as_array().unwrap().len()
}

fn every_other_action_is_decided_by_the_action_table(seeded: Seeded) {
    let mut w = world(seeded);
    let t = targets(&mut w);
    assert!(demo_names(&w).iter().any(|n| n == DEMO_MARK));
    let mut ledger = Ledger::default();
    let mut n = 0;
    for &action in Action::ALL.iter() {
        assert!(
            ACTIONS.iter().any(|(a, _)| *a == action),
            "{action:?} is in the table"
        );
        for &role in Role::ALL {
            for side in [Side::Own, Side::Other] {
                n += 1;
                let expected = side == Side::Own && permits(role, action);
                let (reached, detail) = try_action(&mut w, &t, n, side, role, action);
                ledger.record(
                    format!("{} by {} ({side:?} site)", action.code(), role.code()),
                    expected,
                    reached,
                    &detail,
                );
            }
        }
    }
    ledger.assert_all(Action::ALL.len() * Role::ALL.len() * 2);
    assert!(alive(&w.url()));
}

#[test]
fn the_action_table_names_every_action_once() {
    for action in Action::ALL {
        assert_eq!(
            ACTIONS.iter().filter(|(a, _)| *a == action).count(),
            1,
            "{action:?}"
        );
    }
    assert_eq!(ACTIONS.len(), Action::ALL.len());
}

tests::on_both_stores!(
    every_issue_change_is_decided_by_the_policy_table_on_rest_and_sync,
    raising_follows_the_table_for_findings_and_complaints,
    every_other_action_is_decided_by_the_action_table,
);
