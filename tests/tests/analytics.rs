//! The analysis figures over a history built through real devices with an
//! injected clock (November 2025, Beijing time, long before the demo's own
//! past): the API's figures are the ones worked out by hand below, the CLI
//! prints the same JSON, and a manager of another site sees none of them.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use device::{Device, RaiseInput};
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
                at,
            )
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

#[test]
fn figures_of_a_month_built_through_devices_match_the_hand_count() {
    let seeded = Seeded::new();
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
    // Field staff do not read the analysis.
    let staff_token = login_token(&url, "staff1", &seeded.password("staff1"));
    let (status, _) = api_get(&url, &staff_token, "/api/v1/analytics/kpis?period=2025-11");
    assert_eq!(status, 403);
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

    // The CLI prints the same report from the same data directory.
    let out = std::process::Command::new(SERVER)
        .args(["analytics", "--data-dir"])
        .arg(seeded.dir.path())
        .args(["--site", "DEMO", "--period", "2025-11", "--json"])
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
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(
        text.contains("整改及时率") && text.contains("33.3%  (1/3)"),
        "{text}"
    );
}
