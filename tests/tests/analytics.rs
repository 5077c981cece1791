//! The analysis figures over a history built through real devices with an
//! injected clock (November 2025, Beijing time, long before the demo's own
//! past): the API's figures are the ones worked out by hand below, every
//! figure and chart count drills down to exactly its issues, every table
//! downloads as a workbook and CSV, the CLI prints the same JSON, and a
//! manager of another site sees none of them.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use device::Device;
use serde_json::Value;
use shared::issue::EventBody;
use shared::{Category, Department, Grade, IssueId};
use tests::*;

const SERVER: &str = env!("CARGO_BIN_EXE_e2e-sync-server");

/// 2025-11-DD HH:00 in Beijing time.
fn t(day: u32, hour: u32) -> DateTime<Utc> {
    FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .with_ymd_and_hms(2025, 11, day, hour, 0, 0)
        .unwrap()
        .with_timezone(&Utc)
}

struct People {
    inspector: Device,
    manager: Device,
    staff: Device,
    staff_id: shared::UserId,
}

impl People {
    fn raise(&mut self, cp: &str, category: Category, title: &str, at: DateTime<Utc>) -> IssueId {
        let id = self
            .inspector
            .raise_issue(finding(cp, category, Grade::Deadline, title), at)
            .unwrap();
        self.inspector.sync(&opts()).unwrap();
        self.manager.sync(&opts()).unwrap();
        id
    }

    fn manager_does(&mut self, id: IssueId, body: EventBody, at: DateTime<Utc>) {
        self.manager.sync(&opts()).unwrap();
        self.manager.issue_event(id, body, true, at).unwrap();
        self.manager.sync(&opts()).unwrap();
    }

    fn assign(&mut self, id: IssueId, deadline: DateTime<Utc>, at: DateTime<Utc>) {
        let body = EventBody::Assign {
            department: Department::Engineering,
            assignee: self.staff_id,
            assignee_name: "staff1".into(),
            deadline: Some(deadline),
        };
        self.manager_does(id, body, at);
    }

    fn rectify(&mut self, id: IssueId, at: DateTime<Utc>) {
        self.staff.sync(&opts()).unwrap();
        let body = EventBody::Rectify {
            note: "已处理".into(),
            photos: vec![],
        };
        self.staff.issue_event(id, body, true, at).unwrap();
        self.staff.sync(&opts()).unwrap();
    }
}

fn figure(v: &Value, name: &str) -> (Option<f64>, u64, u64) {
    let f = &v[name];
    assert!(f.is_object(), "no figure {name} in {v}");
    (
        f["value"].as_f64(),
        f["numerator"].as_u64().unwrap(),
        f["denominator"].as_u64().unwrap(),
    )
}

fn figures_of_a_month_built_through_devices_match_the_hand_count(seeded: Seeded) {
    seeded.add_other_site("manager9", shared::Role::Manager);
    let server = InProcessServer::start(seeded.store.clone());
    let url = server.url.clone();
    let dirs = (device_dir(), device_dir(), device_dir());
    let manager = device(
        dirs.1.path(),
        &url,
        "manager1",
        &seeded.password("manager1"),
    );
    let staff_id = manager.plan().unwrap().user_by_name("staff1").unwrap().id;
    let mut p = People {
        inspector: device(
            dirs.0.path(),
            &url,
            "inspector1",
            &seeded.password("inspector1"),
        ),
        manager,
        staff: device(dirs.2.path(), &url, "staff1", &seeded.password("staff1")),
        staff_id,
    };

    // A: due 11-10 18:00; rectified 11-08, rejected, rectified again 11-09, verified:
    // on time, not a first-pass acceptance; 144 h from raise to the last rectification.
    let a = p.raise("CP-C01", Category::EquipmentFault, "空调漏水", t(3, 10));
    p.assign(a, t(10, 18), t(3, 11));
    p.rectify(a, t(8, 10));
    let reject = EventBody::Reject {
        note: "仍有渗水".into(),
        department: None,
        assignee: None,
        assignee_name: None,
        deadline: None,
    };
    p.manager_does(a, reject, t(8, 15));
    p.rectify(a, t(9, 10));
    let verify = || EventBody::Verify {
        note: "复查合格".into(),
    };
    p.manager_does(a, verify(), t(9, 16));
    // B: due 11-07 18:00, rectified 11-08 09:00 (late), verified at once: 72 h.
    let b = p.raise("CP-R01", Category::HygieneDefect, "大堂地面有垃圾", t(5, 9));
    p.assign(b, t(7, 18), t(5, 10));
    p.rectify(b, t(8, 9));
    p.manager_does(b, verify(), t(8, 12));
    // C: due 11-25 18:00, never fixed: late, and 5 d 6 h overdue when November ends.
    let c = p.raise("CP-R03", Category::SafetyHazard, "消防通道堆物", t(20, 9));
    p.assign(c, t(25, 18), t(20, 10));

    let token = login_token(&url, "manager1", &seeded.password("manager1"));
    let (status, report) = api_get(&url, &token, "/api/v1/analytics/kpis?period=2025-11");
    assert_eq!(status, 200, "{report}");
    let k = &report["kpis"];
    assert_eq!(figure(k, "on_time_rectification"), (Some(1.0 / 3.0), 1, 3));
    assert_eq!(figure(k, "first_pass_acceptance"), (Some(0.5), 1, 2));
    assert_eq!(figure(k, "fix_hours_median"), (Some(72.0), 2, 2));
    assert_eq!(figure(k, "fix_hours_p90"), (Some(144.0), 2, 2));
    assert_eq!(figure(k, "overdue_backlog"), (Some(1.0), 1, 1));
    assert_eq!(report["backlog_by_age"], serde_json::json!([0, 0, 1, 0]));
    assert_eq!(figure(k, "repeat_rate"), (Some(0.0), 0, 3));
    // No complaint, no survey, no patrol result in November 2025: no value, not 0.
    assert_eq!(figure(k, "complaint_on_time"), (None, 0, 0));
    assert_eq!(figure(k, "nps"), (None, 0, 0));
    assert_eq!(figure(k, "pass_rate"), (None, 0, 0));
    // Coverage is the coverage screen's figure for the same local days.
    let (_, cov) = api_get(
        &url,
        &token,
        "/api/v1/coverage?from=2025-11-01&to=2025-11-30",
    );
    let (_, done, due) = figure(k, "coverage");
    assert_eq!(
        (done, due),
        (
            cov["total"]["done"].as_u64().unwrap(),
            cov["total"]["due"].as_u64().unwrap()
        )
    );
    // October is the previous period, and empty.
    assert_eq!(
        figure(&report["previous"], "on_time_rectification"),
        (None, 0, 0)
    );
    assert_eq!(report["period"]["from"], "2025-10-31T16:00:00Z");

    // Broken down by assignee: all three are staff1's.
    let (_, by) = api_get(
        &url,
        &token,
        "/api/v1/analytics/kpis?period=2025-11&by=assignee",
    );
    let rows = by["rows"].as_array().unwrap();
    let staff1 = rows
        .iter()
        .find(|r| r["key"] == "staff1")
        .expect("a row for staff1");
    assert_eq!(
        figure(&staff1["kpis"], "on_time_rectification"),
        (Some(1.0 / 3.0), 1, 3)
    );
    // By category: one each.
    let (_, by) = api_get(
        &url,
        &token,
        "/api/v1/analytics/kpis?period=2025-11&by=category",
    );
    let row = |key: &str| {
        by["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["key"] == key)
            .unwrap_or_else(|| panic!("no row {key} in {by}"))
            .clone()
    };
    assert_eq!(
        figure(&row("hygiene_defect")["kpis"], "on_time_rectification"),
        (Some(0.0), 0, 1)
    );
    assert_eq!(
        figure(&row("equipment_fault")["kpis"], "first_pass_acceptance"),
        (Some(0.0), 0, 1)
    );

    // From the assignment: A 11-03 11:00 → 11-09 10:00 is 143 h, B 11-05 10:00 →
    // 11-08 09:00 is 71 h.
    assert_eq!(figure(k, "assigned_fix_hours_median"), (Some(71.0), 2, 2));
    assert_eq!(figure(k, "assigned_fix_hours_p90"), (Some(143.0), 2, 2));

    // Every figure drills down to exactly the issues it counts.
    let ids = |path: &str| -> Vec<String> {
        let (status, list) = api_get(&url, &token, path);
        assert_eq!(status, 200, "{path}: {list}");
        let mut ids: Vec<String> = list
            .as_array()
            .unwrap_or_else(|| panic!("{path}: {list}"))
            .iter()
            .map(|s| s["id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let set = |xs: &[IssueId]| {
        let mut v: Vec<String> = xs.iter().map(|i| i.to_string()).collect();
        v.sort();
        v
    };
    let link = report["links"]["on_time_rectification"].as_str().unwrap();
    assert_eq!(ids(link), set(&[a, b, c]), "the link of 整改及时率");
    let drill = |q: &str| ids(&format!("/api/v1/analytics/issues?period=2025-11&{q}"));
    assert_eq!(drill("kpi=on_time_rectification&part=numerator"), set(&[a]));
    assert_eq!(drill("kpi=on_time_rectification&part=rest"), set(&[b, c]));
    assert_eq!(drill("kpi=first_pass_acceptance&part=rest"), set(&[a]));
    assert_eq!(drill("kpi=overdue_backlog&part=numerator"), set(&[c]));
    assert_eq!(
        drill("kpi=on_time_rectification&part=rest&by=category&key=hygiene_defect"),
        set(&[b])
    );
    assert_eq!(
        drill("kpi=assigned_fix_hours_median&by=department&key=engineering"),
        set(&[a, b])
    );
    // A breakdown row's link lists that row's issues.
    let staff1_link = staff1["links"]["on_time_rectification"].as_str().unwrap();
    assert_eq!(ids(staff1_link), set(&[a, b, c]));

    // The charts: Pareto by category, heat maps by zone and weekday × hour,
    // hot spots, the trend's weeks and the departments' league, each a count
    // its drill-down lists. 11-03 is a Monday, 11-05 a Wednesday, 11-20 a Thursday.
    let pareto = report["pareto"].as_array().unwrap();
    assert_eq!(pareto.len(), 3, "{pareto:?}");
    assert!(pareto.iter().all(|c| c["count"] == 1), "{pareto:?}");
    let weekday = &report["weekday_hours"];
    assert_eq!(weekday[0]["hours"][10], 1, "Monday 10:00");
    assert_eq!(weekday[2]["hours"][9], 1, "Wednesday 09:00");
    assert_eq!(weekday[3]["hours"][9], 1, "Thursday 09:00");
    let cells: u64 = weekday
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["hours"].as_array().unwrap().iter())
        .map(|n| n.as_u64().unwrap())
        .sum();
    assert_eq!(cells, 3);
    assert_eq!(drill("kpi=raised&weekday=3&hour=9"), set(&[b]));
    assert_eq!(drill("kpi=raised&weekday=3&hour=10"), Vec::<String>::new());
    for zone in report["zone_hours"].as_array().unwrap() {
        let key = zone["key"].as_str().unwrap();
        let n: u64 = zone["hours"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap())
            .sum();
        assert_eq!(
            drill(&format!("kpi=raised&by=zone&key={key}")).len() as u64,
            n,
            "zone {key}"
        );
    }
    let spots = report["hot_spots"].as_array().unwrap();
    let spot = spots
        .iter()
        .find(|s| s["code"] == "CP-R01")
        .expect("CP-R01 on the plan");
    assert_eq!(spot["count"], 1);
    assert_eq!(drill("kpi=raised&checkpoint=CP-R01"), set(&[b]));
    let weeks = report["trend"].as_array().unwrap();
    assert_eq!(weeks.len(), 8);
    assert_eq!(weeks[7]["label"], "2025-W48", "the week of 11-30");
    let week = |label: &str| {
        weeks
            .iter()
            .find(|w| w["label"] == label)
            .unwrap_or_else(|| panic!("no {label}"))
            .clone()
    };
    // B was due in W45 (late), A in W46 (on time), C in W48 (late).
    assert_eq!(
        figure(&week("2025-W45"), "on_time_rectification"),
        (Some(0.0), 0, 1)
    );
    assert_eq!(
        figure(&week("2025-W46"), "on_time_rectification"),
        (Some(1.0), 1, 1)
    );
    assert_eq!(
        figure(&week("2025-W48"), "on_time_rectification"),
        (Some(0.0), 0, 1)
    );
    assert_eq!(
        ids("/api/v1/analytics/issues?period=2025-W46&kpi=on_time_rectification"),
        set(&[a])
    );
    let league = report["league"].as_array().unwrap();
    let engineering = league
        .iter()
        .find(|r| r["key"] == "engineering")
        .expect("engineering in the league");
    assert_eq!(
        figure(&engineering["kpis"], "on_time_rectification"),
        (Some(1.0 / 3.0), 1, 3)
    );

    // Every table downloads as a workbook with Chinese headers, and as CSV.
    let (status, kind, book) = api_bytes(
        &url,
        &token,
        "/api/v1/analytics/export?period=2025-11&table=kpis",
    );
    assert_eq!(status, 200);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(book)).expect("an xlsx is a zip");
    let mut read = |name: &str| {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).expect(name), &mut s).unwrap();
        s
    };
    let strings = read("xl/sharedStrings.xml");
    assert!(
        strings.contains("整改及时率") && strings.contains("分母"),
        "{strings}"
    );
    assert!(read("xl/workbook.xml").contains("指标"), "the sheet's name");
    let (status, kind, csv) = api_text(
        &url,
        &token,
        "/api/v1/analytics/export?period=2025-11&table=kpis&format=csv",
    );
    assert_eq!(status, 200);
    assert!(kind.starts_with("text/csv"), "{kind}");
    assert!(csv.starts_with('\u{feff}'), "a byte-order mark for Excel");
    assert!(
        csv.contains("整改及时率,on_time_rectification,33.3%,1,3,,0,0"),
        "{csv}"
    );
    for table in [
        "rows",
        "league",
        "trend",
        "pareto",
        "zone_hours",
        "weekday_hours",
        "hot_spots",
    ] {
        for format in ["xlsx", "csv"] {
            let (status, _, body) = api_bytes(
                &url,
                &token,
                &format!(
                    "/api/v1/analytics/export?period=2025-11&by=zone&table={table}&format={format}"
                ),
            );
            assert_eq!(status, 200, "{table}.{format}");
            assert!(!body.is_empty(), "{table}.{format}");
        }
    }
    let (_, _, pareto_csv) = api_text(
        &url,
        &token,
        "/api/v1/analytics/export?period=2025-11&table=pareto&format=csv",
    );
    assert!(
        pareto_csv.contains(",1,100.0%"),
        "the last category closes the Pareto: {pareto_csv}"
    );

    // Bad input is a clear 4xx.
    for bad in [
        "period=2025-13",
        "period=soon",
        "period=2025-11&by=weather",
        "by=zone",
    ] {
        let (status, body) = api_get(&url, &token, &format!("/api/v1/analytics/kpis?{bad}"));
        assert!((400..500).contains(&status), "{bad}: {status} {body}");
    }
    for bad in [
        "period=2025-11&kpi=pass_rate",
        "period=2025-11&kpi=weather",
        "period=2025-11&kpi=raised&part=half",
        "period=2025-11&kpi=raised&hour=24",
        "period=2025-11&kpi=raised&weekday=0",
        "period=2025-11&kpi=raised&by=zone",
        "period=2025-11&kpi=raised&key=Z01",
        "period=2025-13&kpi=raised",
        "kpi=raised",
        "period=2025-11&kpi=raised&hour=-1",
    ] {
        let (status, body) = api_get(&url, &token, &format!("/api/v1/analytics/issues?{bad}"));
        assert!((400..500).contains(&status), "{bad}: {status} {body}");
    }
    for bad in [
        "period=2025-11&table=salaries",
        "period=2025-11&table=kpis&format=pdf",
        "period=2025-11",
        "period=never&table=kpis",
    ] {
        let (status, _, body) = api_text(&url, &token, &format!("/api/v1/analytics/export?{bad}"));
        assert!((400..500).contains(&status), "{bad}: {status} {body}");
    }
    // Field staff do not read the analysis, its issues or its files.
    let staff_token = login_token(&url, "staff1", &seeded.password("staff1"));
    for path in [
        "/api/v1/analytics/kpis?period=2025-11",
        "/api/v1/analytics/issues?period=2025-11&kpi=raised",
        "/api/v1/analytics/export?period=2025-11&table=kpis",
    ] {
        let (status, _, _) = api_text(&url, &staff_token, path);
        assert_eq!(status, 403, "{path}");
    }
    // A manager of another site sees nothing of this one.
    let other = login_token(&url, "manager9", "other-password");
    let (status, theirs) = api_get(&url, &other, "/api/v1/analytics/kpis?period=2025-11");
    assert_eq!(status, 200);
    assert_eq!(theirs["site"], "OTHER");
    assert_eq!(
        figure(&theirs["kpis"], "on_time_rectification"),
        (None, 0, 0)
    );
    assert_eq!(
        figure(&theirs["kpis"], "first_pass_acceptance"),
        (None, 0, 0)
    );
    // Nor through the drill-down or the files: their lists are of their site only.
    for kpi in ["raised", "on_time_rectification", "overdue_backlog"] {
        let (status, list) = api_get(
            &url,
            &other,
            &format!("/api/v1/analytics/issues?period=2025-11&kpi={kpi}"),
        );
        assert_eq!((status, list), (200, serde_json::json!([])), "{kpi}");
    }
    let (status, _, theirs_csv) = api_text(
        &url,
        &other,
        "/api/v1/analytics/export?period=2025-11&table=pareto&format=csv",
    );
    assert_eq!(status, 200);
    assert!(!theirs_csv.contains("equipment_fault"), "{theirs_csv}");

    // The CLI prints the same report from the same data directory.
    let out = std::process::Command::new(SERVER)
        .args(["analytics", "--data-dir"])
        .arg(seeded.dir.path())
        .args(["--site", "DEMO", "--period", "2025-11", "--json"])
        .envs(seeded.cli_env())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cli: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(cli["kpis"], report["kpis"]);
    let text = std::process::Command::new(SERVER)
        .args(["analytics", "--data-dir"])
        .arg(seeded.dir.path())
        .args(["--site", "DEMO", "--period", "2025-11", "--by", "grade"])
        .envs(seeded.cli_env())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("整改及时率") && text.contains("33.3%  (1/3)"),
        "{text}"
    );

    // The app shows a manager the same figures, read-only and online; other
    // roles are refused, and offline it says so.
    let opts = device::SyncOptions::default();
    let in_app = p
        .manager
        .analytics("2025-11", Some(shared::kpi::By::Category), &opts)
        .unwrap();
    assert_eq!(serde_json::to_value(&in_app.kpis).unwrap(), report["kpis"]);
    assert!(!in_app.rows.is_empty());
    let behind = p
        .manager
        .analytics_issues("period=2025-11&kpi=raised", &opts)
        .unwrap();
    let (_, listed) = api_get(
        &url,
        &token,
        "/api/v1/analytics/issues?period=2025-11&kpi=raised",
    );
    assert_eq!(serde_json::to_value(&behind).unwrap(), listed);
    assert!(!behind.is_empty());
    let err = p.staff.analytics("2025-11", None, &opts).unwrap_err();
    assert_eq!(err.code(), "forbidden", "{err}");
    let err = p.manager.analytics("2025-13", None, &opts).unwrap_err();
    assert_eq!(err.code(), "invalid", "{err}");
    let mut server = server;
    server.stop();
    let err = p.manager.analytics("2025-11", None, &opts).unwrap_err();
    assert_eq!(err.code(), "offline", "{err}");
}

/// `demo-seed` as a newcomer runs it: three weeks of patrols, findings in
/// every state and grade, late and on-time fixes, a rejection, repeats,
/// complaints with call-backs; every figure of the analysis has something
/// behind it. `--empty` keeps the bare estate.
#[test]
fn the_demo_estate_has_weeks_of_history_behind_every_figure() {
    let data = tempfile::tempdir().unwrap();
    let seed = seed_with(SERVER, data.path());
    let past = &seed["past"];
    assert!(past["patrol_runs"].as_u64().unwrap() >= 40, "{past}");
    assert!(past["findings"].as_u64().unwrap() >= 10, "{past}");
    assert!(past["complaints"].as_u64().unwrap() >= 4, "{past}");
    let server = ProcessServer::start(SERVER, data.path(), "127.0.0.1:0");
    let token = login_token(&server.url, "manager1", &seed_password(&seed, "manager1"));
    let local = |days: i64| {
        (Utc::now() + chrono::Duration::hours(8) - chrono::Duration::days(days))
            .format("%Y-%m-%d")
            .to_string()
    };
    let period = format!("{}..{}", local(21), local(1));
    let (status, report) = api_get(
        &server.url,
        &token,
        &format!("/api/v1/analytics/kpis?period={period}"),
    );
    assert_eq!(status, 200, "{report}");
    let k = &report["kpis"];
    let (coverage, done, due) = figure(k, "coverage");
    assert!(
        due > 0 && done > 0 && done < due,
        "rounds missed, points skipped: {done}/{due}"
    );
    assert!(coverage.unwrap() > 0.7, "most rounds walked: {done}/{due}");
    let (_, passed, answered) = figure(k, "pass_rate");
    assert!(answered > 1000 && passed < answered, "{passed}/{answered}");
    assert!(figure(k, "findings_per_100_checks").1 > 0);
    let (on_time, kept, due) = figure(k, "on_time_rectification");
    assert!(
        due > 0 && kept > 0 && kept < due,
        "late and on-time fixes: {kept}/{due}"
    );
    assert!(on_time.unwrap() > 0.5);
    let (_, clean, verified) = figure(k, "first_pass_acceptance");
    assert!(clean < verified, "a rejection: {clean}/{verified}");
    assert!(figure(k, "repeat_rate").1 > 0, "repeats");
    assert!(figure(k, "fix_hours_median").0.is_some());
    let (_, satisfied, called) = figure(k, "callback_satisfaction");
    assert!(
        called >= 4 && satisfied < called,
        "call-backs: {satisfied}/{called}"
    );
    let activity = &report["activity"];
    assert!(activity["rounds"].as_u64().unwrap() >= 40, "{activity}");
    assert!(
        activity["dwell"][0].as_u64().unwrap() > 0,
        "a round walked in seconds per point: {activity}"
    );
    assert!(!report["pareto"].as_array().unwrap().is_empty());
    assert!(!report["league"].as_array().unwrap().is_empty());
    let spots: u64 = report["hot_spots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .sum();
    assert!(spots > 0, "hot spots");

    // Findings in every state and grade, each from the patrol or the complaint line.
    let issues = server_issues(&server.url, &token);
    for status in shared::Status::ALL {
        assert!(
            issues.iter().any(|s| s.status == *status),
            "no {status:?} issue in the demo"
        );
    }
    for grade in shared::Grade::ALL {
        assert!(issues.iter().any(|s| s.grade == *grade), "no {grade:?}");
    }
    assert!(issues.iter().any(|s| s.patrol.is_some()), "patrol findings");
    assert!(issues.iter().any(|s| s.overdue), "something overdue");
    let (status, runs) = api_get(&server.url, &token, "/api/v1/patrols?days=30");
    assert_eq!(status, 200);
    assert!(runs.as_array().unwrap().len() >= 40, "patrol records");
    drop(server);

    // `--empty`: the plan, the people and the schedules, nothing else.
    let bare = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(SERVER)
        .args(["demo-seed", "--empty", "--json", "--data-dir"])
        .arg(bare.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let seed: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(seed.get("past").is_none(), "{seed}");
    let server = ProcessServer::start(SERVER, bare.path(), "127.0.0.1:0");
    let token = login_token(&server.url, "manager1", &seed_password(&seed, "manager1"));
    assert!(server_issues(&server.url, &token).is_empty());
    let (_, runs) = api_get(&server.url, &token, "/api/v1/patrols?days=30");
    assert_eq!(runs, serde_json::json!([]));
}

/// A year of tracker rows at the demo site: raised every day, at three points
/// in two categories (so some repeat), fixed early, late or never, verified,
/// rejected or cancelled, some of them complaints called back.
fn a_year_of_rows(site: shared::SiteId, end: DateTime<Utc>) -> Vec<shared::wire::IssueSummary> {
    use shared::Status;
    let mut rows = Vec::new();
    for n in 0..730u32 {
        let raised = end - chrono::Duration::hours(12 * i64::from(n) + i64::from(n % 7));
        let status = [
            Status::Verified,
            Status::Verified,
            Status::Verified,
            Status::Cancelled,
            Status::Rectified,
            Status::Assigned,
            Status::Recorded,
        ][(n % 7) as usize];
        // Old open rows are rare in practice; keep only the recent ones open.
        let status = if n > 60 && !matches!(status, Status::Verified | Status::Cancelled) {
            Status::Verified
        } else {
            status
        };
        // Every 20 days a point of its own, fixed within hours: its repeats
        // reach back past anything else touched in the period.
        let rare = n % 40 == 0;
        let status = if rare && n > 0 {
            Status::Verified
        } else {
            status
        };
        let fixed =
            raised + chrono::Duration::hours(if rare { 2 } else { i64::from(n % 5) * 20 + 2 });
        let done = matches!(status, Status::Rectified | Status::Verified);
        let complaint = n % 11 == 0;
        rows.push(shared::wire::IssueSummary {
            id: IssueId::from_uuid(uuid::Uuid::from_u128(u128::from(n) + 1)),
            site,
            zone: None,
            status,
            grade: [Grade::Immediate, Grade::Deadline, Grade::LongTerm][(n % 3) as usize],
            category: if rare {
                Category::Landscaping
            } else if n % 2 == 0 {
                Category::HygieneDefect
            } else {
                Category::EquipmentFault
            },
            title: format!("第 {n} 条"),
            checkpoint: Some(if rare {
                "CP-RARE".to_string()
            } else {
                format!("CP-{}", n % 3)
            }),
            department: Some(Department::Cleaning),
            assignee: Some("staff1".into()),
            deadline: Some(raised + chrono::Duration::hours(if rare { 4 } else { 48 })),
            overdue: false,
            raised_by: "inspector1".into(),
            raised_at: raised,
            conflicts: vec![],
            refused: vec![],
            complaint_location: complaint.then(|| "3 栋".to_string()),
            satisfied: (complaint && status == Status::Verified).then_some(n % 2 == 0),
            repeat: None,
            respond_by: complaint.then(|| raised + chrono::Duration::hours(1)),
            responded_at: Some(raised + chrono::Duration::hours(1)),
            assignment: None,
            rectified_at: done.then_some(fixed),
            verified_at: (status == Status::Verified).then(|| fixed + chrono::Duration::hours(30)),
            awaiting_callback: false,
            patrol: None,
            item: None,
            rejections: n % 4,
        });
    }
    rows
}

fn a_period_reads_only_the_issues_that_can_count_in_it_and_its_figures_are_those_of_all(
    seeded: Seeded,
) {
    // A fixed instant: which days hold a counted deadline follows from the
    // time of day the rows are laid out from (laid out from about 02:00 at the
    // site, the one-day period below has none), so a wall-clock `now` made the
    // test depend on the hour it ran.
    let now = Utc.with_ymd_and_hms(2026, 12, 7, 9, 0, 0).unwrap();
    let mut txn = seeded.store.begin().unwrap();
    let site = sync_server::accounts::site(&mut *txn, "DEMO").unwrap();
    let (_, plan) = sync_server::accounts::load_plan(&mut *txn, &site).unwrap();
    for s in a_year_of_rows(site.id, now) {
        txn.put_issue(&s).unwrap();
    }
    txn.commit().unwrap();
    let mut txn = seeded.store.begin().unwrap();
    let query = |touched_since, raised_before| sync_server::store::IssueQuery {
        sites: vec![site.id],
        touched_since,
        raised_before,
        ..Default::default()
    };
    let flagged = |mut rows: Vec<shared::wire::IssueSummary>| {
        let flags = shared::repeat::repeats(&rows, plan.site.repeat_window_days);
        for s in &mut rows {
            s.repeat = flags.get(&s.id).cloned();
        }
        rows
    };
    let all = flagged(txn.list_issues(&query(None, None)).unwrap());
    let offset = plan.site.deadlines.offset();
    let day = |days: i64| {
        (now - chrono::Duration::days(days))
            .with_timezone(&offset)
            .format("%Y-%m-%d")
            .to_string()
    };
    let month = (now - chrono::Duration::days(100))
        .with_timezone(&offset)
        .format("%Y-%m")
        .to_string();
    // The day of a point's repeat 20 days after its last issue: the day before
    // (the previous period) does not reach back to it, the repeat window does.
    let rare_day = all
        .iter()
        .filter(|s| s.checkpoint.as_deref() == Some("CP-RARE") && s.repeat.is_some())
        .map(|s| s.raised_at)
        .find(|t| *t < now - chrono::Duration::days(150))
        .expect("a rare repeat")
        .with_timezone(&offset)
        .format("%Y-%m-%d")
        .to_string();
    for period in [
        month,
        rare_day.clone(),
        day(200),
        format!("{}..{}", day(150), day(120)),
        format!("{}..{}", day(20), day(0)),
    ] {
        let p = shared::kpi::Period::parse(&period, offset).unwrap();
        let window = chrono::Duration::days(plan.site.repeat_window_days.into());
        let read = txn
            .list_issues(&query(Some(p.from - window), Some(p.to)))
            .unwrap();
        // What a period reads: its own rows, those of the repeat window before
        // it, and any still open.
        assert!(
            read.len() * 3 < all.len(),
            "{period}: read {} of {} rows",
            read.len(),
            all.len()
        );
        let report = sync_server::analytics::report(&mut *txn, &plan, &period, None, now).unwrap();
        let (mut want, _) =
            shared::kpi::compute(&all, &[], shared::kpi::Figure::default(), &p, now);
        // Coverage and the answers come from patrol runs (none here).
        want.coverage = report.kpis.coverage;
        assert!(want.on_time_rectification.denominator > 0, "{period}");
        assert!(want.repeat_rate.numerator > 0, "{period}");
        let rare_repeats = all.iter().filter(|s| {
            p.contains(s.raised_at)
                && s.checkpoint.as_deref() == Some("CP-RARE")
                && s.repeat.is_some()
        });
        assert!(period != rare_day || rare_repeats.clone().count() == 1);
        assert!(
            rare_repeats.count() > 0
                || !all
                    .iter()
                    .any(|s| p.contains(s.raised_at) && s.checkpoint.as_deref() == Some("CP-RARE")),
            "{period}"
        );
        assert_eq!(report.kpis, want, "{period}");
        // The sites' league reads the period alone (no trend, no previous period).
        let league = sync_server::analytics::sites_league(
            &mut *txn,
            std::slice::from_ref(&plan),
            &period,
            now,
        )
        .unwrap();
        assert_eq!(league[0].kpis, want, "{period}: the league");
    }
}

tests::on_both_stores!(
    figures_of_a_month_built_through_devices_match_the_hand_count,
    a_period_reads_only_the_issues_that_can_count_in_it_and_its_figures_are_those_of_all,
);
