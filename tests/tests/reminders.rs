//! Deadlines close the loop: the background job reminds the assignee before
//! an issue's deadline and escalates to the managers once it has passed; each
//! reaches devices at their next sync and a webhook receiver on loopback,
//! retried with backoff until it answers. Driven with an injected clock.

use chrono::{DateTime, Duration, Utc};
use device::RaiseInput;
use shared::issue::EventBody;
use shared::wire::NotificationKind;
use shared::{Category, Department, Grade};
use std::sync::Arc;
use sync_server::jobs::{self, Webhook};
use sync_server::store::Store;
use tests::*;

use tests::webhooks::receiver;

fn reminders_and_escalations_reach_devices_and_a_retried_webhook(seeded: Seeded) {
    let server = InProcessServer::start(seeded.store.clone());
    let (di, dm, ds) = (device_dir(), device_dir(), device_dir());
    let mut inspector = device(
        di.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let mut manager = device(
        dm.path(),
        &server.url,
        "manager1",
        &seeded.password("manager1"),
    );
    let mut staff = device(ds.path(), &server.url, "staff1", &seeded.password("staff1"));
    // This test follows deadlines: a rectification waits for verification longer than it runs.
    {
        let mut txn = seeded.store.begin().unwrap();
        let wait = shared::wire::SiteSettings {
            verify_hours: Some(720),
            ..Default::default()
        };
        sync_server::accounts::apply_settings(&mut *txn, "DEMO", &wait, Utc::now()).unwrap();
        txn.commit().unwrap();
    }
    let deadline = (Utc::now() + Duration::days(2)).with_nanosecond_zero();
    let late = raise_and_assign(&mut inspector, &mut manager, "CP-C01", deadline);
    let fixed = raise_and_assign(&mut inspector, &mut manager, "CP-C02", deadline);
    // One of them is fixed in time.
    staff.sync(&opts()).unwrap();
    staff
        .issue_event(
            fixed,
            EventBody::Rectify {
                note: "已修复".into(),
                photos: vec![],
            },
            true,
            Utc::now(),
        )
        .unwrap();
    staff.sync(&opts()).unwrap();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let store: Arc<dyn Store> = seeded.store.clone();
    let (url, seen) = rt.block_on(receiver(2));
    let hook = Webhook {
        url,
        timeout: std::time::Duration::from_secs(5),
    };
    let client = jobs::client();
    let run = |now| {
        rt.block_on(jobs::run_once(&store, &client, Some(&hook), now))
            .unwrap()
    };
    // The two new orders were announced before the webhook was set up.
    let (s, _) = rt
        .block_on(jobs::run_once(
            &store,
            &client,
            None,
            deadline - Duration::hours(6),
        ))
        .unwrap();
    assert_eq!(s.announced, 0, "no webhook, no calls");

    // Five hours before: nothing (the demo site reminds 4 hours ahead).
    let (s, d) = run(deadline - Duration::hours(5));
    assert_eq!(
        (s.reminders, s.escalations, d.delivered + d.failed),
        (0, 0, 0)
    );
    // Three hours before: one reminder (the fixed issue gets none); the webhook fails.
    let t = deadline - Duration::hours(3);
    let (s, d) = run(t);
    assert_eq!((s.reminders, s.escalations), (1, 0));
    assert_eq!((d.delivered, d.failed), (0, 1));
    // Ten seconds later: not created again, and the retry is not due yet.
    let (s, d) = run(t + Duration::seconds(10));
    assert_eq!((s.reminders, d.delivered + d.failed), (0, 0));
    // After 30 s the retry fails again; after another minute it gets through.
    let (_, d) = run(t + Duration::seconds(31));
    assert_eq!(d.failed, 1);
    let (_, d) = run(t + Duration::seconds(31 + 61));
    assert_eq!(d.delivered, 1);
    let (_, d) = run(t + Duration::seconds(600));
    assert_eq!(d.delivered + d.failed, 0, "delivered once, never again");
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 3);
        assert!(
            seen.iter()
                .all(|(id, _, _)| *id == seen[0].0 && !id.is_empty()),
            "one delivery id"
        );
        let attempts: Vec<&str> = seen.iter().map(|(_, a, _)| a.as_str()).collect();
        assert_eq!(attempts, ["1", "2", "3"]);
        let body = &seen[2].2;
        assert_eq!(body["kind"], "reminder");
        assert_eq!(body["issue"], late.to_string());
        assert_eq!(body["site"], "DEMO");
        assert_eq!(body["notified"], serde_json::json!(["staff1"]));
    }

    // An hour past the deadline: escalated to the managers, delivered at once.
    let (s, d) = run(deadline + Duration::hours(1));
    assert_eq!((s.reminders, s.escalations), (0, 1));
    assert_eq!(d.delivered, 1);
    {
        let seen = seen.lock().unwrap();
        let body = &seen.last().unwrap().2;
        assert_eq!(body["kind"], "escalation");
        assert_eq!(body["notified"], serde_json::json!(["manager1"]));
    }

    // Devices receive them at their next sync, as notifications to read offline
    // (staff1 already had its two new orders from the sync after assignment).
    let report = staff.sync(&opts()).unwrap();
    assert_eq!(report.notifications, 1);
    assert_eq!(staff.sync_status().unwrap().unseen_notifications, 3);
    let list = staff.notifications().unwrap();
    assert_eq!(list.len(), 3);
    assert_eq!(
        (list[0].0.kind, list[0].0.issue, list[0].1),
        (NotificationKind::Reminder, late, false)
    );
    let orders: Vec<_> = list
        .iter()
        .filter(|(n, _)| n.kind == NotificationKind::Assigned)
        .map(|(n, _)| n.issue)
        .collect();
    assert!(
        orders.contains(&late) && orders.contains(&fixed),
        "{list:?}"
    );
    staff.mark_notifications_seen().unwrap();
    assert_eq!(staff.sync_status().unwrap().unseen_notifications, 0);
    assert_eq!(
        staff.sync(&opts()).unwrap().notifications,
        0,
        "nothing twice"
    );
    manager.sync(&opts()).unwrap();
    let list = manager.notifications().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].0.kind, list[0].0.issue),
        (NotificationKind::Escalation, late)
    );
    let token = inspector.session().unwrap().token;
    let (status, mine) = api_get(&server.url, &token, "/api/v1/notifications");
    assert_eq!(
        (status, mine),
        (200, serde_json::json!([])),
        "the inspector is not told"
    );
}

fn an_unreachable_webhook_is_retried_with_backoff_then_given_up(seeded: Seeded) {
    let server = InProcessServer::start(seeded.store.clone());
    let (di, dm) = (device_dir(), device_dir());
    let mut inspector = device(
        di.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let mut manager = device(
        dm.path(),
        &server.url,
        "manager1",
        &seeded.password("manager1"),
    );
    let deadline = (Utc::now() + Duration::days(1)).with_nanosecond_zero();
    raise_and_assign(&mut inspector, &mut manager, "CP-C01", deadline);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store: Arc<dyn Store> = seeded.store.clone();
    let client = jobs::client();
    // The new order is announced without a webhook.
    rt.block_on(jobs::run_once(&store, &client, None, Utc::now()))
        .unwrap();

    // A port that was free a moment ago: nothing listens there.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let hook = Webhook {
        url: format!("http://127.0.0.1:{port}/hook"),
        timeout: std::time::Duration::from_secs(2),
    };
    let mut now = deadline + Duration::minutes(1);
    let mut failed = 0;
    let mut given_up = 0;
    for attempt in 1..=jobs::MAX_ATTEMPTS {
        let (_, d) = rt
            .block_on(jobs::run_once(&store, &client, Some(&hook), now))
            .unwrap();
        failed += d.failed;
        given_up += d.given_up;
        assert_eq!(d.failed + d.given_up, 1, "attempt {attempt}");
        // Just before the next retry nothing is sent.
        let (_, d) = rt
            .block_on(jobs::run_once(
                &store,
                &client,
                Some(&hook),
                now + jobs::retry_after(attempt) - Duration::seconds(1),
            ))
            .unwrap();
        assert_eq!(d.failed + d.given_up + d.delivered, 0);
        now += jobs::retry_after(attempt);
    }
    assert_eq!((failed, given_up), (jobs::MAX_ATTEMPTS as usize - 1, 1));
    let (_, d) = rt
        .block_on(jobs::run_once(
            &store,
            &client,
            Some(&hook),
            now + Duration::days(1),
        ))
        .unwrap();
    assert_eq!(d.failed + d.given_up + d.delivered, 0, "given up for good");
}

/// The notifications of `user` as the dashboard's bell shows them: (kind, issue).
fn bell(url: &str, token: &str) -> Vec<(String, String)> {
    let (status, list) = api_get(url, token, "/api/v1/notifications");
    assert_eq!(status, 200, "{list}");
    list.as_array()
        .unwrap()
        .iter()
        .map(|n| {
            (
                n["kind"].as_str().unwrap().to_string(),
                n["issue"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn nobody_waits_unseen_orders_verifications_dispatches_and_call_backs(seeded: Seeded) {
    let server = InProcessServer::start(seeded.store.clone());
    let url = server.url.clone();
    let (di, dm, ds) = (device_dir(), device_dir(), device_dir());
    let mut inspector = device(
        di.path(),
        &url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let mut manager = device(dm.path(), &url, "manager1", &seeded.password("manager1"));
    let mut staff = device(ds.path(), &url, "staff1", &seeded.password("staff1"));
    let (m_token, s_token, cs_token) = (
        manager.session().unwrap().token,
        staff.session().unwrap().token,
        login_token(&url, "cs1", &seeded.password("cs1")),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let store: Arc<dyn Store> = seeded.store.clone();
    let (hook_url, seen) = rt.block_on(receiver(0));
    let hook = Webhook {
        url: hook_url,
        timeout: std::time::Duration::from_secs(5),
    };
    let client = jobs::client();
    let run = |now| {
        rt.block_on(jobs::run_once(&store, &client, Some(&hook), now))
            .unwrap()
            .0
    };

    // An order is assigned (the deadline left as it is): the assignee hears at
    // the next sync, on the dashboard's bell and by webhook.
    let id = inspector
        .raise_issue(
            RaiseInput {
                checkpoint: "CP-C01".into(),
                item: None,
                category: Category::EquipmentFault,
                grade: Grade::Deadline,
                title: "大堂灯不亮".into(),
                description: String::new(),
                photos: vec![],
            },
            Utc::now(),
        )
        .unwrap();
    inspector.sync(&opts()).unwrap();
    manager.sync(&opts()).unwrap();
    let staff_id = manager.plan().unwrap().user_by_name("staff1").unwrap().id;
    let assign = |who: &str, uid: shared::UserId| EventBody::Assign {
        department: Department::Engineering,
        assignee: uid,
        assignee_name: who.into(),
        deadline: None,
    };
    manager
        .issue_event(id, assign("staff1", staff_id), true, Utc::now())
        .unwrap();
    manager.sync(&opts()).unwrap();
    let report = staff.sync(&opts()).unwrap();
    assert_eq!(report.notifications, 1, "{report:?}");
    let (n, seen_yet) = staff.notifications().unwrap()[0].clone();
    assert_eq!(
        (n.kind, n.issue, seen_yet),
        (NotificationKind::Assigned, id, false)
    );
    assert_eq!(
        bell(&url, &s_token),
        vec![("assigned".into(), id.to_string())]
    );
    let s = run(Utc::now());
    assert_eq!(s.announced, 1);
    {
        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        assert_eq!(seen[0].2["kind"], "assigned");
        assert_eq!(seen[0].2["notified"], serde_json::json!(["staff1"]));
    }
    // Re-assigned to the manager and back: each hand-over is a new order.
    let manager_id = manager.plan().unwrap().user_by_name("manager1").unwrap().id;
    manager
        .issue_event(id, assign("manager1", manager_id), true, Utc::now())
        .unwrap();
    manager.sync(&opts()).unwrap();
    manager
        .issue_event(id, assign("staff1", staff_id), true, Utc::now())
        .unwrap();
    manager.sync(&opts()).unwrap();
    assert_eq!(staff.sync(&opts()).unwrap().notifications, 1);
    assert_eq!(
        bell(&url, &m_token),
        vec![("assigned".into(), id.to_string())]
    );
    assert_eq!(run(Utc::now()).announced, 2);

    // Rectified: waiting for verification. After the site's 24 h the managers are
    // reminded; after 48 h it escalates.
    staff
        .issue_event(
            id,
            EventBody::Rectify {
                note: "已更换灯管".into(),
                photos: vec![],
            },
            true,
            Utc::now(),
        )
        .unwrap();
    staff.sync(&opts()).unwrap();
    let fixed_at = Utc::now();
    assert_eq!(run(fixed_at + Duration::hours(23)).waiting, 0);
    assert_eq!(run(fixed_at + Duration::hours(25)).waiting, 1);
    assert_eq!(run(fixed_at + Duration::hours(26)).waiting, 0, "once");
    assert_eq!(run(fixed_at + Duration::hours(49)).waiting, 1);
    let kinds: Vec<String> = bell(&url, &m_token).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        kinds,
        ["verification_overdue", "awaiting_verification", "assigned"],
        "newest first"
    );
    assert!(
        bell(&url, &s_token).iter().all(|(k, _)| k == "assigned"),
        "only the managers"
    );
    {
        let seen = seen.lock().unwrap();
        let last = &seen.last().unwrap().2;
        assert_eq!(last["kind"], "verification_overdue");
        assert_eq!(last["notified"], serde_json::json!(["manager1"]));
    }

    // A complaint nobody dispatches within its response time reaches customer
    // service and the managers; customer service dispatches it themselves.
    let (status, c) = api_post(
        &url,
        &cs_token,
        "/api/v1/complaints",
        &serde_json::json!({
            "location": "5栋电梯", "contact": "张先生 13900001111", "category": "equipment_fault",
            "title": "电梯门关不上", "description": ""
        }),
    );
    assert_eq!(status, 200, "{c}");
    let complaint = c["id"].as_str().unwrap().to_string();
    let respond_by: DateTime<Utc> = c["complaint"]["respond_by"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let entered: DateTime<Utc> = c["raised_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        respond_by - entered,
        Duration::hours(2),
        "equipment fault, normal: 2 h"
    );
    let deadline: DateTime<Utc> = c["deadline"].as_str().unwrap().parse().unwrap();
    assert_eq!(deadline - entered, Duration::hours(24));
    assert_eq!(run(respond_by - Duration::minutes(1)).waiting, 0);
    assert_eq!(run(respond_by + Duration::minutes(1)).waiting, 1);
    assert!(bell(&url, &cs_token).contains(&("response_overdue".into(), complaint.clone())));
    assert!(bell(&url, &m_token).contains(&("response_overdue".into(), complaint.clone())));
    let (status, d) = api_post(
        &url,
        &cs_token,
        &format!("/api/v1/issues/{complaint}/events"),
        &serde_json::to_value(assign("staff1", staff_id)).unwrap(),
    );
    assert_eq!(status, 200, "customer service dispatches complaints: {d}");
    assert_eq!(d["deadline"], c["deadline"], "the 24 h promise survives");
    assert!(d["responded_at"].is_string());
    assert_eq!(
        staff.sync(&opts()).unwrap().notifications,
        1,
        "the new order"
    );
    // …but not patrol findings.
    let (status, body) = api_post(
        &url,
        &cs_token,
        &format!("/api/v1/issues/{id}/events"),
        &serde_json::to_value(assign("staff1", staff_id)).unwrap(),
    );
    assert_eq!(status, 403, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("only on complaints"),
        "{body}"
    );

    // Fixed and verified: it joins the call-back queue, and after the site's
    // 24 h customer service is reminded.
    for (token, body) in [
        (
            &s_token,
            serde_json::json!({"kind": "rectify", "note": "已修好", "photos": []}),
        ),
        (
            &m_token,
            serde_json::json!({"kind": "verify", "note": "复查合格"}),
        ),
    ] {
        let (status, b) = api_post(
            &url,
            token,
            &format!("/api/v1/issues/{complaint}/events"),
            &body,
        );
        assert_eq!(status, 200, "{b}");
    }
    let (_, queue) = api_get(&url, &cs_token, "/api/v1/issues?awaiting_callback=true");
    let queue: Vec<&str> = queue
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(queue, [complaint.as_str()]);
    // The same queue on a customer-service device, offline after its sync (and its command line).
    let dc = device_dir();
    {
        let cs_device = device(dc.path(), &url, "cs1", &seeded.password("cs1"));
        let local = cs_device
            .issue_list(&shared::app::IssueFilter {
                awaiting_callback: true,
                ..Default::default()
            })
            .unwrap();
        let ids: Vec<String> = local.iter().map(|s| s.id.to_string()).collect();
        assert_eq!(ids, [complaint.as_str()]);
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_e2e-inspect"))
        .arg("--data-dir")
        .arg(dc.path())
        .args(["issue", "list", "--awaiting-callback", "--json"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1, "{listed}");
    assert_eq!(listed[0]["id"], complaint.as_str());
    let verified_at = Utc::now();
    assert_eq!(run(verified_at + Duration::hours(23)).waiting, 0);
    assert_eq!(run(verified_at + Duration::hours(25)).waiting, 1);
    assert!(bell(&url, &cs_token).contains(&("awaiting_callback".into(), complaint.clone())));
    let (status, _) = api_post(
        &url,
        &cs_token,
        &format!("/api/v1/issues/{complaint}/events"),
        &serde_json::json!({"kind": "callback", "satisfied": true, "note": "满意", "deadline": null}),
    );
    assert_eq!(status, 200);
    let (_, queue) = api_get(&url, &cs_token, "/api/v1/issues?awaiting_callback=true");
    assert_eq!(queue, serde_json::json!([]), "the queue empties");
}

trait Whole {
    fn with_nanosecond_zero(self) -> Self;
}
impl Whole for DateTime<Utc> {
    fn with_nanosecond_zero(self) -> Self {
        use chrono::Timelike;
        self.with_nanosecond(0).unwrap()
    }
}

tests::on_both_stores!(
    reminders_and_escalations_reach_devices_and_a_retried_webhook,
    an_unreachable_webhook_is_retried_with_backoff_then_given_up,
    nobody_waits_unseen_orders_verifications_dispatches_and_call_backs,
);
