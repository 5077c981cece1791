//! Complaints (投诉): customer service enters a resident's complaint into the
//! same tracker with a service-level deadline by kind; it is assigned, fixed
//! and verified like any issue; the closing call-back records whether the
//! resident was satisfied, and an unsatisfied one reopens it.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use shared::Status;
use tests::*;

fn complaint(category: &str, title: &str) -> Value {
    json!({
        "zone": null,
        "location": "3栋2单元 1202 门口",
        "contact": "王女士 138 0000 0000",
        "category": category,
        "title": title,
        "description": "业主来电反映",
    })
}

fn event(url: &str, token: &str, id: &str, body: Value) -> (u16, Value) {
    api_post(url, token, &format!("/api/v1/issues/{id}/events"), &body)
}

fn a_complaint_is_followed_to_a_satisfied_call_back(seeded: Seeded) {
    let server = InProcessServer::start(seeded.store.clone());
    let url = server.url.clone();
    let cs = login_token(&url, "cs1", &seeded.password("cs1"));
    let manager = login_token(&url, "manager1", &seeded.password("manager1"));
    let inspector = login_token(&url, "inspector1", &seeded.password("inspector1"));

    // Service levels by kind: a neighbour dispute 48 h, a facility fault 24 h.
    let before = Utc::now();
    let (status, dispute) = api_post(
        &url,
        &cs,
        "/api/v1/complaints",
        &complaint("neighbour_dispute", "楼上噪音扰民"),
    );
    assert_eq!(status, 200, "{dispute}");
    let (status, fault) = api_post(
        &url,
        &cs,
        "/api/v1/complaints",
        &complaint("equipment_fault", "单元门禁坏了"),
    );
    assert_eq!(status, 200, "{fault}");
    let due = |d: &Value| {
        chrono::DateTime::parse_from_rfc3339(d["deadline"].as_str().unwrap())
            .unwrap()
            .with_timezone(&Utc)
            - before
    };
    assert!(
        (due(&dispute) - Duration::hours(48)).num_seconds().abs() < 60,
        "{dispute}"
    );
    assert!(
        (due(&fault) - Duration::hours(24)).num_seconds().abs() < 60,
        "{fault}"
    );
    assert_eq!(fault["complaint_location"], "3栋2单元 1202 门口");
    assert_eq!(fault["description"], "业主来电反映");
    let id = fault["id"].as_str().unwrap().to_string();

    // Only customer service and managers enter complaints; bad input is named.
    let (status, body) = api_post(
        &url,
        &inspector,
        "/api/v1/complaints",
        &complaint("other", "x"),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("role_forbidden"))
    );
    let mut bad = complaint("other", "x");
    bad["contact"] = json!("  ");
    let (status, body) = api_post(&url, &cs, "/api/v1/complaints", &bad);
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("contact"),
        "{body}"
    );
    let (status, list) = api_get(&url, &manager, "/api/v1/issues?source=complaint");
    assert_eq!((status, list.as_array().unwrap().len()), (200, 2));
    let (_, list) = api_get(&url, &manager, "/api/v1/issues?source=patrol");
    assert_eq!(list.as_array().unwrap().len(), 0);

    // No call-back before the fix is verified.
    let (status, body) = event(
        &url,
        &cs,
        &id,
        json!({"kind": "callback", "satisfied": true, "note": "", "deadline": null}),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("illegal_transition")),
        "{body}"
    );

    // Assigned, fixed on the field worker's phone, verified.
    let ds = device_dir();
    let mut staff = device(ds.path(), &url, "staff1", &seeded.password("staff1"));
    let staff_id = staff.plan().unwrap().user_by_name("staff1").unwrap().id;
    let assign = json!({"kind": "assign", "department": "engineering", "assignee": staff_id, "assignee_name": "staff1", "deadline": Utc::now() + Duration::hours(20)});
    assert_eq!(event(&url, &manager, &id, assign.clone()).0, 200);
    let fix = |staff: &mut device::Device, note: &str| {
        staff.sync(&opts()).unwrap();
        let issue = id.parse().unwrap();
        staff
            .issue_event(
                issue,
                shared::issue::EventBody::Rectify {
                    note: note.into(),
                    photos: vec![],
                },
                true,
                Utc::now(),
            )
            .unwrap();
        staff.sync(&opts()).unwrap();
    };
    fix(&mut staff, "已更换门禁读卡器");
    assert_eq!(
        event(
            &url,
            &manager,
            &id,
            json!({"kind": "verify", "note": "复查正常"})
        )
        .0,
        200
    );

    // The resident is not satisfied: the complaint is open again, with a fresh 24 h.
    let callback_at = Utc::now();
    let (status, d) = event(
        &url,
        &cs,
        &id,
        json!({"kind": "callback", "satisfied": false, "note": "晚上还是打不开", "deadline": callback_at + Duration::hours(24)}),
    );
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["status"], "assigned");
    assert_eq!(d["satisfied"], false);
    assert_eq!(d["assignee"], "staff1", "back to the same person");
    // An unsatisfied resident opens a root-cause task in the managers' queue by itself.
    let (_, causes) = api_get(&url, &manager, "/api/v1/root-causes");
    let task = causes
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["issues"].as_array().unwrap().contains(&json!(id)))
        .unwrap_or_else(|| panic!("a task for {id}: {causes}"));
    assert_eq!(
        (task["status"].as_str(), task["trigger"].as_str()),
        (Some("pending"), Some("unsatisfied"))
    );

    fix(&mut staff, "更换门禁电源");
    assert_eq!(
        event(
            &url,
            &manager,
            &id,
            json!({"kind": "verify", "note": "夜间复查正常"})
        )
        .0,
        200
    );
    let (status, d) = event(
        &url,
        &cs,
        &id,
        json!({"kind": "callback", "satisfied": true, "note": "业主满意", "deadline": null}),
    );
    assert_eq!(status, 200, "{d}");
    assert_eq!(
        (d["status"].as_str(), d["satisfied"].as_bool()),
        (Some("verified"), Some(true))
    );
    let kinds: Vec<&str> = d["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "raise", "assign", "rectify", "verify", "callback", "rectify", "verify", "callback"
        ]
    );

    // The field worker's device folds the same.
    staff.sync(&opts()).unwrap();
    let view = staff.issue(id.parse().unwrap()).unwrap();
    assert_eq!(view.status, Status::Verified);
    assert!(
        view.callback
            .as_ref()
            .is_some_and(|c| c.satisfied && c.by_name == "cs1")
    );

    // A patrol finding gets no call-back; customer service raises no patrol findings.
    let di = device_dir();
    let mut insp = device(
        di.path(),
        &url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let finding = insp
        .raise_issue(
            device::RaiseInput {
                checkpoint: "CP-C01".into(),
                item: None,
                category: shared::Category::HygieneDefect,
                grade: shared::Grade::Deadline,
                title: "大堂地面脏".into(),
                description: String::new(),
                photos: vec![],
            },
            Utc::now(),
        )
        .unwrap();
    insp.sync(&opts()).unwrap();
    let (status, body) = event(
        &url,
        &manager,
        &finding.to_string(),
        json!({"kind": "callback", "satisfied": true, "note": "", "deadline": null}),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("not_a_complaint"))
    );
    let dc = device_dir();
    let mut cs_device = device(dc.path(), &url, "cs1", &seeded.password("cs1"));
    let err = cs_device
        .raise_issue(
            device::RaiseInput {
                checkpoint: "CP-C01".into(),
                item: None,
                category: shared::Category::Other,
                grade: shared::Grade::Deadline,
                title: "x".into(),
                description: String::new(),
                photos: vec![],
            },
            Utc::now(),
        )
        .unwrap_err();
    assert_eq!(err.code(), "role_forbidden");

    // Customer service on a tablet, offline: the complaint syncs later and the server takes it.
    let mut server = server;
    server.stop();
    let offline = cs_device
        .raise_complaint(
            &shared::app::ComplaintRequest {
                zone: Some("Z-RES".into()).filter(|_| false),
                location: "地下车库 B2 出口".into(),
                contact: "李先生 139 0000 0000".into(),
                category: shared::Category::OrderSecurity,
                urgency: shared::codes::Urgency::Urgent,
                title: "车库出口被堵".into(),
                description: String::new(),
                photos: vec![],
            },
            Utc::now(),
        )
        .unwrap();
    let server = InProcessServer::start_on(seeded.store.clone(), server.addr);
    let report = cs_device.sync(&opts()).unwrap();
    assert!(report.refused_docs.is_empty(), "{:?}", report.refused_docs);
    let (status, d) = api_get(&server.url, &manager, &format!("/api/v1/issues/{offline}"));
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["complaint_location"], "地下车库 B2 出口");
    assert_eq!(d["raised_by"], "cs1");
    assert_eq!(
        d["complaint"]["contact"], "李先生 139 0000 0000",
        "the full contact followed the document"
    );
    assert_eq!(report.contacts.sent, 1, "{report:?}");
}

fn service_levels_are_a_site_table_by_kind_and_urgency_set_on_screen_by_csv_or_command(
    seeded: Seeded,
) {
    let server = InProcessServer::start(seeded.store.clone());
    let url = server.url.clone();
    let admin = login_token(&url, "admin1", &seeded.password("admin1"));
    let manager = login_token(&url, "manager1", &seeded.password("manager1"));
    let cs = login_token(&url, "cs1", &seeded.password("cs1"));

    // The standard table: every kind × urgency, with the deck's two promises.
    let (status, kind, csv_text) = api_text(&url, &admin, "/api/v1/admin/export/sla.csv");
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/csv"), "{kind}");
    let rows: Vec<&str> = csv_text.lines().skip(1).collect();
    assert_eq!(rows.len(), shared::Category::ALL.len() * 2, "{csv_text}");
    assert!(csv_text.contains("邻里纠纷,一般,240,48"), "{csv_text}");
    assert!(csv_text.contains("设备故障,一般,120,24"), "{csv_text}");

    // A file with mistakes is refused row by row, and nothing changes.
    let bad = "投诉类型,紧急程度,响应时限(分钟),解决时限(小时)\n\
               漏水,紧急,30,4\n\
               邻里纠纷,紧急,0,12\n\
               邻里纠纷,一般,600,4\n\
               设备故障,紧急,30,4\n\
               设备故障,urgent,30,4\n";
    let (status, body) = api_post(&url, &admin, "/api/v1/admin/import", &json!({ "sla": bad }));
    assert_eq!(status, 422, "{body}");
    let lines: Vec<u64> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3, 4, 6], "{body}");
    let (_, _, again) = api_text(&url, &admin, "/api/v1/admin/export/sla.csv");
    assert_eq!(again, csv_text);
    // A good one changes its cells; the others keep theirs.
    let good = "category,urgency,respond_minutes,resolve_hours\nneighbour_dispute,urgent,30,12\n";
    let (status, report) = api_post(
        &url,
        &admin,
        "/api/v1/admin/import",
        &json!({ "sla": good }),
    );
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["sla_cells"], 1);
    let (status, _) = api_post(
        &url,
        &manager,
        "/api/v1/admin/import",
        &json!({ "sla": good }),
    );
    assert_eq!(status, 403, "only admins change the plan");

    // Settings on screen (the API behind it): checked, admins only.
    let (status, site) = api_put(
        &url,
        &admin,
        "/api/v1/admin/settings",
        &json!({ "verify_hours": 12, "complaint_sla": [
            {"category": "equipment_fault", "urgency": "urgent", "respond_minutes": 20, "resolve_hours": 3}
        ]}),
    );
    assert_eq!(status, 200, "{site}");
    assert_eq!(site["deadlines"]["verify_hours"], 12);
    assert_eq!(site["deadlines"]["callback_hours"], 24, "left as it was");
    for bad in [
        json!({ "verify_hours": 0 }),
        json!({ "complaint_sla": [{"category": "other", "urgency": "normal", "respond_minutes": 0, "resolve_hours": 3}] }),
        json!({ "colour": "red" }),
    ] {
        let (status, body) = api_put(&url, &admin, "/api/v1/admin/settings", &bad);
        assert!(status == 422 || status == 400, "{status} {body}");
    }
    let (status, _) = api_put(
        &url,
        &manager,
        "/api/v1/admin/settings",
        &json!({ "verify_hours": 1 }),
    );
    assert_eq!(status, 403);
    let (_, plan) = api_get(&url, &manager, "/api/v1/plan");
    assert_eq!(
        plan["site"]["deadlines"]["verify_hours"], 12,
        "devices receive it with the plan"
    );

    // An urgent neighbour dispute and an urgent fault follow the site's cells; a normal one the standard.
    let enter = |category: &str, urgency: &str| {
        let mut c = complaint(category, "业主投诉");
        c["urgency"] = json!(urgency);
        let (status, d) = api_post(&url, &cs, "/api/v1/complaints", &c);
        assert_eq!(status, 200, "{d}");
        let at = |k: &str| -> chrono::DateTime<Utc> { d[k].as_str().unwrap().parse().unwrap() };
        let raised = at("raised_at");
        let respond: chrono::DateTime<Utc> = d["complaint"]["respond_by"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap();
        (
            respond - raised,
            at("deadline") - raised,
            d["complaint"]["urgency"].clone(),
        )
    };
    assert_eq!(
        enter("neighbour_dispute", "urgent"),
        (Duration::minutes(30), Duration::hours(12), json!("urgent"))
    );
    assert_eq!(
        enter("equipment_fault", "urgent"),
        (Duration::minutes(20), Duration::hours(3), json!("urgent"))
    );
    let mut plain = complaint("neighbour_dispute", "楼上噪音");
    plain.as_object_mut().unwrap().remove("urgency");
    let (_, d) = api_post(&url, &cs, "/api/v1/complaints", &plain);
    assert_eq!(d["complaint"]["urgency"], "normal", "the default urgency");

    // The command line sets the same settings and reads and writes the same file.
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_e2e-sync-server"))
            .args(args)
            .arg("--data-dir")
            .arg(seeded.dir.path())
            .envs(seeded.cli_env())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    let out = run(&["site", "set", "--code", "DEMO", "--callback-hours", "36"]);
    assert!(
        out.contains("verification awaited 12 h, call-backs 36 h"),
        "{out}"
    );
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sla.csv");
    std::fs::write(
        &file,
        "category,urgency,respond_minutes,resolve_hours\nother,normal,60,8\n",
    )
    .unwrap();
    let out = run(&[
        "site",
        "import",
        "--code",
        "DEMO",
        "--sla",
        file.to_str().unwrap(),
    ]);
    assert!(
        out.contains("complaint service levels: 1 cell(s) set"),
        "{out}"
    );
    run(&[
        "site",
        "export",
        "--code",
        "DEMO",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    let exported = std::fs::read_to_string(&file).unwrap();
    assert!(
        exported.contains("其他,一般,60,8") && exported.contains("邻里纠纷,紧急,30,12"),
        "{exported}"
    );
}

tests::on_both_stores!(
    a_complaint_is_followed_to_a_satisfied_call_back,
    service_levels_are_a_site_table_by_kind_and_urgency_set_on_screen_by_csv_or_command,
);
