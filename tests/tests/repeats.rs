//! Repeat problems: the same checkpoint and category within the site's window
//! is flagged, more strongly when the earlier one had been verified; a manager
//! links a root-cause record (five whys, cause, action, owner, due date).

use chrono::{Duration, Utc};
use device::{Device, RaiseInput};
use serde_json::json;
use shared::issue::EventBody;
use shared::{Category, Department, Grade};
use sync_server::store::Store;
use tests::*;

fn raise(d: &mut Device, cp: &str, category: Category, title: &str) -> shared::IssueId {
    let id = d
        .raise_issue(
            RaiseInput {
                checkpoint: cp.into(),
                item: None,
                category,
                grade: Grade::Deadline,
                title: title.into(),
                description: String::new(),
                photos: vec![],
            },
            Utc::now(),
        )
        .unwrap();
    d.sync(&opts()).unwrap();
    id
}

#[test]
fn a_problem_that_comes_back_is_flagged_and_gets_a_root_cause_record() {
    let seeded = Seeded::new();
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
        json!({"earlier": [first], "after_verified": true})
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

    // A manager records the root cause, linked to both issues.
    let record = json!({
        "id": null,
        "issues": [again, first],
        "whys": ["空调漏水", "冷凝水排不出", "排水管坡度不够", "安装时未按图施工", "验收时未检查坡度"],
        "cause": "supplier",
        "action": "重新铺设排水管并加入验收检查项",
        "owner": "staff1",
        "due": "2026-12-15",
    });
    let (status, saved) = api_post(&url, &token, "/api/v1/root-causes", &record);
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["by"], "manager1");
    let (_, list) = api_get(&url, &token, "/api/v1/root-causes");
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["issues"], json!([again, first]));
    assert_eq!(list[0]["whys"].as_array().unwrap().len(), 5);
    // Editing keeps the id.
    let mut edit = record.clone();
    edit["id"] = saved["id"].clone();
    edit["action"] = json!("重新铺设排水管");
    let (status, edited) = api_post(&url, &token, "/api/v1/root-causes", &edit);
    assert_eq!((status, &edited["id"]), (200, &saved["id"]));
    let (_, list) = api_get(&url, &token, "/api/v1/root-causes");
    assert_eq!(
        (list.as_array().unwrap().len(), list[0]["action"].as_str()),
        (1, Some("重新铺设排水管"))
    );

    // Bad records are refused with the reason; only managers write them.
    for (change, needle) in [
        (json!({"whys": []}), "why"),
        (json!({"issues": []}), "issue"),
        (json!({"owner": "nobody"}), "nobody"),
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
    }
    let inspector_token = inspector.session().unwrap().token;
    let (status, _) = api_post(&url, &inspector_token, "/api/v1/root-causes", &record);
    assert_eq!(status, 403);

    // The command line lists both.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_e2e-sync-server"))
        .args(["repeats", "--site", "DEMO", "--data-dir"])
        .arg(seeded.dir.path())
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
        text.contains("root-cause records: 1") && text.contains("supplier → 重新铺设排水管"),
        "{text}"
    );
}
