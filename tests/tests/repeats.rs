//! Repeat problems: the same checkpoint and category within the site's window
//! is flagged, more strongly when the earlier one had been verified before it
//! was raised; a repeat opens a root-cause task by itself, a manager writes
//! the analysis and corrective actions, the record closes when every action
//! is done, and a recurrence judges it 无效 while a quiet window judges it 有效.

use chrono::{Duration, Utc};
use device::Device;
use serde_json::json;
use shared::issue::EventBody;
use shared::{Category, Department, Grade};
use tests::*;

/// A finding at `cp` to be put right by a deadline.
fn raise(d: &mut Device, cp: &str, category: Category, title: &str) -> shared::IssueId {
    let id = d
        .raise_issue(finding(cp, category, Grade::Deadline, title), Utc::now())
        .unwrap();
    d.sync(&opts()).unwrap();
    id
}

/// The demo site served in process, `inspector1`'s device signed in, and a manager's token.
fn site_with_inspector() -> (Seeded, InProcessServer, tempfile::TempDir, Device, String) {
    let seeded = Seeded::new();
    let server = InProcessServer::start(seeded.store.clone());
    let di = device_dir();
    let inspector = device(
        di.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let token = login_token(&server.url, "manager1", &seeded.password("manager1"));
    (seeded, server, di, inspector, token)
}

fn a_problem_that_comes_back_is_flagged_and_gets_a_root_cause_record(seeded: Seeded) {
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

    // The first leak is fixed and verified…
    let first = raise(
        &mut inspector,
        "CP-C01",
        Category::EquipmentFault,
        "大堂空调漏水",
    );
    manager.sync(&opts()).unwrap();
    let s1 = manager
        .plan()
        .unwrap()
        .user_by_name("staff1")
        .unwrap()
        .clone();
    manager
        .issue_event(
            first,
            EventBody::Assign {
                department: Department::Engineering,
                assignee: s1.id,
                assignee_name: "staff1".into(),
                deadline: Some(Utc::now() + Duration::days(1)),
            },
            true,
            Utc::now(),
        )
        .unwrap();
    manager.sync(&opts()).unwrap();
    staff.sync(&opts()).unwrap();
    staff
        .issue_event(
            first,
            EventBody::Rectify {
                note: "更换排水管".into(),
                photos: vec![],
            },
            true,
            Utc::now(),
        )
        .unwrap();
    staff.sync(&opts()).unwrap();
    manager.sync(&opts()).unwrap();
    manager
        .issue_event(
            first,
            EventBody::Verify {
                note: String::new(),
            },
            true,
            Utc::now(),
        )
        .unwrap();
    manager.sync(&opts()).unwrap();
    // …and comes back. Another category at the same point, and the same category elsewhere, do not count.
    let again = raise(
        &mut inspector,
        "CP-C01",
        Category::EquipmentFault,
        "大堂空调又漏水",
    );
    let other_kind = raise(
        &mut inspector,
        "CP-C01",
        Category::HygieneDefect,
        "地面有水渍",
    );
    let elsewhere = raise(
        &mut inspector,
        "CP-C02",
        Category::EquipmentFault,
        "电梯厅空调漏水",
    );

    let token = login_token(&url, "manager1", &seeded.password("manager1"));
    let flags = |token: &str| -> std::collections::HashMap<String, serde_json::Value> {
        let (status, list) = api_get(&url, token, "/api/v1/issues");
        assert_eq!(status, 200);
        list.as_array()
            .unwrap()
            .iter()
            .map(|s| (s["id"].as_str().unwrap().to_string(), s["repeat"].clone()))
            .collect()
    };
    let f = flags(&token);
    assert_eq!(
        f[&again.to_string()],
        json!({"earlier": [first], "titles": ["大堂空调漏水"], "after_verified": true})
    );
    for id in [first, other_kind, elsewhere] {
        assert!(f[&id.to_string()].is_null(), "{id} is not a repeat");
    }
    let (_, detail) = api_get(&url, &token, &format!("/api/v1/issues/{again}"));
    assert_eq!(detail["repeat"]["after_verified"], true);
    // Devices flag the same from their own copies.
    inspector.sync(&opts()).unwrap();
    let local = inspector.issue_list(&Default::default()).unwrap();
    let mine = local.iter().find(|s| s.id == again).unwrap();
    assert_eq!(
        mine.repeat.as_ref().map(|r| r.earlier.clone()),
        Some(vec![first])
    );

    // The window is the site's: with 0 days nothing repeats.
    {
        let mut txn = seeded.store.begin().unwrap();
        sync_server::accounts::update_site(&mut *txn, "DEMO", Utc::now(), |s| {
            s.repeat_window_days = 0
        })
        .unwrap();
        txn.commit().unwrap();
    }
    assert!(flags(&token)[&again.to_string()].is_null());
    {
        let mut txn = seeded.store.begin().unwrap();
        sync_server::accounts::update_site(&mut *txn, "DEMO", Utc::now(), |s| {
            s.repeat_window_days = 30
        })
        .unwrap();
        txn.commit().unwrap();
    }

    // The repeat opened a root-cause task by itself, linked to both issues.
    let (_, list) = api_get(&url, &token, "/api/v1/root-causes");
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 1, "{list:?}");
    let task = &list[0];
    assert_eq!(
        (task["status"].as_str(), task["trigger"].as_str()),
        (Some("pending"), Some("repeat"))
    );
    assert_eq!(task["issues"], json!([first, again]));
    assert_eq!(task["checkpoint"], "CP-C01");
    let task_id = task["id"].as_str().unwrap().to_string();
    // Syncing again, or another event on the issue, opens nothing twice.
    inspector.sync(&opts()).unwrap();
    let (_, list) = api_get(&url, &token, "/api/v1/root-causes");
    assert_eq!(list.as_array().unwrap().len(), 1);

    // A manager writes the analysis into the task: five whys, the cause, two actions.
    let record = json!({
        "id": task_id,
        "issues": [again],
        "whys": ["空调漏水", "冷凝水排不出", "排水管坡度不够", "安装时未按图施工", "验收时未检查坡度"],
        "cause": "supplier",
        "actions": [
            {"action": "重新铺设排水管", "owner": "staff1", "due": "2026-12-15"},
            {"action": "验收检查表加入坡度检查项", "owner": "manager1", "due": "2026-12-20"},
        ],
    });
    let (status, saved) = api_post(&url, &token, "/api/v1/root-causes", &record);
    assert_eq!(status, 200, "{saved}");
    assert_eq!(
        (saved["id"].as_str(), saved["status"].as_str()),
        (Some(task_id.as_str()), Some("acting"))
    );
    assert_eq!(saved["by"], "manager1");
    assert_eq!(saved["whys"].as_array().unwrap().len(), 5);
    assert_eq!(saved["issues"], json!([first, again]));

    // Bad records are refused with the reason; only managers write them.
    for (change, needle) in [
        (json!({"whys": []}), "why"),
        (json!({"issues": []}), "issue"),
        (json!({"actions": []}), "action"),
        (
            json!({"actions": [{"action": "x", "owner": "nobody", "due": "2026-12-15"}]}),
            "nobody",
        ),
        (
            json!({"actions": [{"action": " ", "owner": "staff1", "due": "2026-12-15"}]}),
            "action 1",
        ),
        (
            json!({"issues": [shared::IssueId::from_uuid(uuid::Uuid::nil())]}),
            "no issue",
        ),
    ] {
        let mut bad = record.clone();
        for (k, v) in change.as_object().unwrap() {
            bad[k] = v.clone();
        }
        let (status, body) = api_post(&url, &token, "/api/v1/root-causes", &bad);
        assert_eq!(status, 422, "{body}");
        assert!(body["message"].as_str().unwrap().contains(needle), "{body}");
        message_zh(&body);
    }
    let inspector_token = inspector.session().unwrap().token;
    let (status, _) = api_post(&url, &inspector_token, "/api/v1/root-causes", &record);
    assert_eq!(status, 403);

    // Each owner marks their own action done; the record closes only when every one is.
    let staff_token = staff.session().unwrap().token;
    let action = |token: &str, n: u32, status: &str| {
        api_post(
            &url,
            token,
            &format!("/api/v1/root-causes/{task_id}/actions/{n}"),
            &json!({ "status": status }),
        )
    };
    let (status, body) = action(&staff_token, 2, "done");
    assert_eq!(status, 403, "not staff1's action: {body}");
    let (status, body) = action(&staff_token, 1, "checked");
    assert_eq!(status, 422, "checked before done: {body}");
    let (status, body) = action(&staff_token, 1, "done");
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("acting")),
        "{body}"
    );
    let (status, body) = action(&staff_token, 1, "checked");
    assert_eq!(status, 422, "only a manager checks: {body}");
    let (status, _) = action(&inspector_token, 1, "done");
    assert_eq!(status, 403);
    let (status, body) = action(&token, 9, "done");
    assert_eq!(status, 422, "{body}");
    let (status, body) = action(&token, 2, "done");
    assert_eq!(
        (status, body["status"].as_str()),
        (200, Some("watching")),
        "{body}"
    );
    assert!(body["closed_at"].is_string());
    let (status, body) = action(&token, 1, "checked");
    assert_eq!(
        (status, body["actions"][0]["status"].as_str()),
        (200, Some("checked"))
    );

    // The command line lists the record with its actions.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_e2e-sync-server"))
        .args(["repeats", "--site", "DEMO", "--data-dir"])
        .arg(seeded.dir.path())
        .envs(seeded.cli_env())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains(&format!(
            "{again} CP-C01 equipment_fault 大堂空调又漏水 — RECURRED AFTER VERIFICATION"
        )),
        "{text}"
    );
    assert!(
        text.contains("root-cause records: 1")
            && text.contains("[watching] opened by repeat")
            && text.contains("1. 重新铺设排水管 — staff1 by 2026-12-15 [checked]"),
        "{text}"
    );

    // The problem comes back while the record is watched: it is judged 无效 and reopens.
    let third = raise(
        &mut inspector,
        "CP-C01",
        Category::EquipmentFault,
        "大堂空调第三次漏水",
    );
    let (_, list) = api_get(&url, &token, "/api/v1/root-causes");
    let r = &list[0];
    assert_eq!(r["status"], "ineffective", "{r}");
    assert_eq!(r["recurred"], json!([third]));
    assert!(r["issues"].as_array().unwrap().contains(&json!(third)));
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "no second record for the same problem"
    );
}

#[test]
fn the_job_reminds_an_overdue_analysis_and_judges_a_closed_record_effective() {
    let (seeded, server, _di, mut inspector, token) = site_with_inspector();
    let url = server.url.clone();
    raise(
        &mut inspector,
        "CP-R05",
        Category::HygieneDefect,
        "垃圾桶满溢",
    );
    // Two items failed on the same walk are siblings, not a repeat.
    inspector.patrol_start("R1", Utc::now()).unwrap();
    let run = inspector.open_patrol().unwrap().unwrap().run.id;
    let sibling = |title: &str| finding("CP-R06", Category::HygieneDefect, Grade::Deadline, title);
    let a = inspector
        .raise_issue(sibling("地面有垃圾"), Utc::now())
        .unwrap();
    let b = inspector
        .raise_issue(sibling("墙面污渍"), Utc::now())
        .unwrap();
    assert_eq!(inspector.issue(a).unwrap().patrol, Some(run));
    inspector.patrol_finish(Utc::now()).unwrap();
    inspector.sync(&opts()).unwrap();
    let (_, list) = api_get(&url, &token, "/api/v1/issues");
    for id in [a, b] {
        let s = list
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id.to_string())
            .unwrap();
        assert!(s["repeat"].is_null(), "{s}");
    }
    raise(
        &mut inspector,
        "CP-R05",
        Category::HygieneDefect,
        "垃圾桶又满溢",
    );
    let (_, list) = api_get(&url, &token, "/api/v1/root-causes");
    assert_eq!(
        list.as_array().unwrap().len(),
        1,
        "only CP-R05 repeats: {list}"
    );
    let id = list[0]["id"].as_str().unwrap().to_string();
    let due: chrono::NaiveDate = list[0]["due"].as_str().unwrap().parse().unwrap();

    // Nothing is due while the analysis has time; the day after its due date the managers hear.
    let scan = |now: chrono::DateTime<Utc>| {
        let mut txn = seeded.store.begin().unwrap();
        let r = sync_server::jobs::scan(&mut *txn, now, false).unwrap();
        txn.commit().unwrap();
        r
    };
    assert_eq!(scan(Utc::now()).root_causes, 0);
    let late = due.and_hms_opt(23, 0, 0).unwrap().and_utc() + Duration::days(1);
    assert_eq!(scan(late).root_causes, 1);
    assert_eq!(scan(late).root_causes, 0, "once");
    let (_, notes) = api_get(&url, &token, "/api/v1/notifications");
    let rca: Vec<_> = notes
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "root_cause")
        .collect();
    assert_eq!(rca.len(), 1, "{notes}");
    assert_eq!(rca[0]["title"], "垃圾桶满溢");

    // Analysed, its one action done: closed, then effective once the window passes quietly.
    let record = json!({
        "id": id, "issues": [], "whys": ["清运不及时"], "cause": "process",
        "actions": [{"action": "增加下午清运", "owner": "manager1", "due": due.to_string()}],
    });
    let mut record = record;
    record["issues"] = list[0]["issues"].clone();
    let (status, body) = api_post(&url, &token, "/api/v1/root-causes", &record);
    assert_eq!(status, 200, "{body}");
    let (status, body) = api_post(
        &url,
        &token,
        &format!("/api/v1/root-causes/{id}/actions/1"),
        &json!({"status": "done"}),
    );
    assert_eq!((status, body["status"].as_str()), (200, Some("watching")));
    let closed: chrono::DateTime<Utc> = body["closed_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(scan(closed + Duration::days(29)).root_causes, 0);
    assert_eq!(scan(closed + Duration::days(30)).root_causes, 1);
    let (_, list) = api_get(&url, &token, "/api/v1/root-causes");
    assert_eq!(list[0]["status"], "effective");
}

/// Issues join an open record one by one: each repeat is appended in the
/// order it came, without rewriting the record, and the ledger says which
/// issue joined. Two items failed on one walk join too when an earlier
/// round's issue makes them repeats, even when the latest issue before the
/// second is its own sibling.
#[test]
fn repeats_join_the_open_record_in_order_and_the_ledger_names_each() {
    let (seeded, server, _di, mut inspector, token) = site_with_inspector();
    let url = server.url.clone();
    let first = raise(
        &mut inspector,
        "CP-R07",
        Category::SafetyHazard,
        "消防通道堵塞",
    );
    let second = raise(
        &mut inspector,
        "CP-R07",
        Category::SafetyHazard,
        "消防通道又堵",
    );
    inspector.patrol_start("R1", Utc::now()).unwrap();
    let sibling = |title: &str| finding("CP-R07", Category::SafetyHazard, Grade::Deadline, title);
    let a = inspector
        .raise_issue(sibling("通道堆放纸箱"), Utc::now())
        .unwrap();
    let b = inspector
        .raise_issue(sibling("通道停放电动车"), Utc::now())
        .unwrap();
    inspector.patrol_finish(Utc::now()).unwrap();
    inspector.sync(&opts()).unwrap();
    // Another category at the same checkpoint is another matter.
    let other = raise(
        &mut inspector,
        "CP-R07",
        Category::HygieneDefect,
        "地面污渍",
    );

    let (_, list) = api_get(&url, &token, "/api/v1/root-causes");
    let records = list.as_array().unwrap();
    assert_eq!(records.len(), 1, "{list}");
    let ids: Vec<String> = [first, second, a, b]
        .iter()
        .map(|i| i.to_string())
        .collect();
    assert_eq!(records[0]["issues"], json!(ids), "{list}");
    assert!(!list.to_string().contains(&other.to_string()));

    // Flags are judged against the site's issues, not the page: the newest
    // alone still names both earlier rounds' issues (and not its sibling).
    let (_, page) = api_get(
        &url,
        &token,
        "/api/v1/issues?category=safety_hazard&limit=1",
    );
    assert_eq!(page[0]["id"], ids[3], "{page}");
    assert_eq!(page[0]["repeat"]["earlier"], json!(ids[..2]), "{page}");
    let (_, detail) = api_get(&url, &token, &format!("/api/v1/issues/{}", ids[3]));
    assert_eq!(detail["repeat"], page[0]["repeat"]);
    let (_, all) = api_get(&url, &token, "/api/v1/issues");
    let flag = |id: &str| {
        all.as_array()
            .unwrap()
            .iter()
            .find(|s| s["id"] == id)
            .map(|s| s["repeat"]["earlier"].clone())
            .unwrap()
    };
    assert_eq!(flag(&ids[0]), serde_json::Value::Null);
    assert_eq!(flag(&ids[1]), json!([ids[0]]));
    assert_eq!(flag(&ids[2]), json!(ids[..2]));
    assert_eq!(flag(&other.to_string()), serde_json::Value::Null);

    let mut txn = seeded.store.begin().unwrap();
    let site = txn.site_by_code("DEMO").unwrap().unwrap().id;
    let entries: Vec<_> = txn
        .ledger_page(site, 0, 100_000)
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "root_cause")
        .collect();
    let said: Vec<(&str, &str)> = entries
        .iter()
        .map(|e| (e.what.as_str(), e.entry.as_str()))
        .collect();
    assert_eq!(
        said,
        [
            ("open", ""),
            ("recur", ids[2].as_str()),
            ("recur", ids[3].as_str())
        ]
    );
    let opened: serde_json::Value = serde_json::from_str(&entries[0].content).unwrap();
    assert_eq!(opened["issues"], json!(ids[..2]));
    let joined: serde_json::Value = serde_json::from_str(&entries[2].content).unwrap();
    assert_eq!(joined["issues"], json!([ids[3]]));
    assert!(matches!(
        sync_server::ledger::verify(&mut *txn, site).unwrap(),
        sync_server::ledger::Verified::Whole { .. }
    ));
}

tests::on_both_stores!(a_problem_that_comes_back_is_flagged_and_gets_a_root_cause_record,);
