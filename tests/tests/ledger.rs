//! The ledger (台账) against a real server on 127.0.0.1 and the real command
//! line: every accepted change enters its site's hash chain once, with who,
//! role, device and server time; the export carries the hashes, which anyone
//! can recompute; and one row edited or removed in the database is named by
//! `sync-server ledger verify`.

use chrono::{Duration, Utc};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::process::Command;
use sync_server::ledger::{Verified, verify};
use sync_server::store::Store;
use tests::*;

const SERVER: &str = env!("CARGO_BIN_EXE_e2e-sync-server");

/// Today and a week ago, local days of the demo site (UTC+8).
fn week() -> (String, String) {
    let day = |d: i64| {
        (Utc::now() + Duration::hours(8) - Duration::days(d))
            .format("%Y-%m-%d")
            .to_string()
    };
    (day(7), day(0))
}

fn ledger_csv(url: &str, token: &str) -> (u16, String) {
    let (from, to) = week();
    let resp = reqwest::blocking::Client::new()
        .get(format!(
            "{url}/api/v1/ledger?from={from}&to={to}&format=csv"
        ))
        .bearer_auth(token)
        .send()
        .unwrap();
    (resp.status().as_u16(), resp.text().unwrap())
}

/// The CSV's rows without the header, each as its fields.
fn rows(csv: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(csv.trim_start_matches('\u{feff}').as_bytes());
    r.records()
        .map(|rec| rec.unwrap().iter().map(str::to_string).collect())
        .collect()
}

fn cli_verify(dir: &std::path::Path) -> std::process::Output {
    Command::new(SERVER)
        .args(["ledger", "verify", "--site", "DEMO", "--data-dir"])
        .arg(dir)
        .output()
        .unwrap()
}

#[test]
fn every_accepted_change_enters_the_chain_once_and_a_changed_row_is_named() {
    let seeded = Seeded::new();
    let server = InProcessServer::serve(seeded.state(), "127.0.0.1:0".parse().unwrap());
    let url = server.url.clone();
    let site = {
        let mut txn = seeded.store.read().unwrap();
        txn.site_by_code("DEMO").unwrap().unwrap()
    };
    let count = || -> u64 {
        let mut txn = seeded.store.read().unwrap();
        match verify(&mut *txn, site.id).unwrap() {
            Verified::Whole { entries, .. } => entries,
            broken => panic!("{broken:?}"),
        }
    };
    // The seed's own changes (site, plan, users) are entered and verify.
    let seeded_entries = count();
    assert!(seeded_entries > 0);

    // An inspector walks one checkpoint and raises an issue on a tablet.
    let di = device_dir();
    let mut tablet = device(
        di.path(),
        &url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let route = &seeded.summary.routes[0];
    let cp = &route.checkpoints[0];
    tablet.patrol_start(&route.code, Utc::now()).unwrap();
    let answers = passing_answers(cp);
    tablet.patrol_check(&cp.code, &answers, Utc::now()).unwrap();
    let issue = tablet
        .raise_issue(
            device::RaiseInput {
                checkpoint: cp.code.clone(),
                item: None,
                category: shared::Category::HygieneDefect,
                grade: shared::Grade::Deadline,
                title: "垃圾桶满溢".into(),
                description: String::new(),
                photos: vec![],
            },
            Utc::now(),
        )
        .unwrap();
    tablet.sync(&opts()).unwrap();
    // Synced again, nothing new is entered twice.
    tablet.sync(&opts()).unwrap();
    let after_sync = count();
    assert_eq!(after_sync, seeded_entries + 3, "run, result, raise");

    // A manager assigns it on the dashboard; an admin adds a user.
    let manager = login_token(&url, "manager1", &seeded.password("manager1"));
    let staff2 = tablet.plan().unwrap().user_by_name("staff2").unwrap().id;
    let (status, body) = api_post(
        &url,
        &manager,
        &format!("/api/v1/issues/{issue}/events"),
        &json!({"kind": "assign", "department": "cleaning", "assignee": staff2,
                "assignee_name": "staff2", "deadline": Utc::now() + Duration::days(2)}),
    );
    assert_eq!(status, 200, "{body}");
    let admin = login_token(&url, "admin1", &seeded.password("admin1"));
    let (status, body) = api_post(
        &url,
        &admin,
        "/api/v1/admin/users",
        &json!({"name": "inspector9", "role": "inspector", "password": "a-long-password"}),
    );
    assert_eq!(status, 200, "{body}");
    assert!(count() >= after_sync + 2);

    // The export names each change's author, role, device and time, and carries the chain.
    let (status, csv) = ledger_csv(&url, &manager);
    assert_eq!(status, 200, "{csv}");
    assert!(csv.contains("本条哈希"), "Chinese headers: {csv}");
    let rows = rows(&csv);
    assert_eq!(rows.len() as u64, count(), "every entry of the week");
    let find = |kind: &str, what: &str| {
        rows.iter()
            .find(|r| r[2] == kind && r[5] == what)
            .unwrap_or_else(|| panic!("no {kind} {what} in {rows:?}"))
            .clone()
    };
    let raise = find("issue_event", "raise");
    assert_eq!(
        (raise[6].as_str(), raise[7].as_str()),
        ("inspector1", "inspector")
    );
    assert_eq!(raise[3], issue.to_string());
    assert_eq!(raise[8], tablet.session().unwrap().device.to_string());
    assert!(raise[9].contains("垃圾桶满溢"), "the event's own JSON");
    let assign = find("issue_event", "assign");
    assert_eq!(
        (assign[6].as_str(), assign[7].as_str()),
        ("manager1", "manager")
    );
    assert_eq!(find("patrol_result", &cp.code)[6], "inspector1");
    let added = rows
        .iter()
        .find(|r| r[2] == "user" && r[5] == "add_user" && r[3] == "inspector9")
        .unwrap()
        .clone();
    assert_eq!(
        (added[3].as_str(), added[6].as_str()),
        ("inspector9", "admin1")
    );
    assert!(
        !added[9].contains("argon2"),
        "no password hash in the ledger"
    );
    // Anyone can recompute the chain from the export with the documented formula.
    let mut prev = sync_server::ledger::GENESIS.to_string();
    for r in &rows {
        assert_eq!(r[10], prev, "entry {} links to the one before", r[0]);
        let at = chrono::DateTime::parse_from_rfc3339(&r[1]).unwrap();
        let fields = json!([
            r[0].parse::<u64>().unwrap(),
            site.id.to_string(),
            at.timestamp_millis(),
            r[2],
            r[3],
            r[4],
            r[5],
            r[6],
            r[7],
            r[8],
            r[9],
            r[10],
        ]);
        let hash: String = Sha256::digest(fields.to_string().as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(r[11], hash, "entry {}", r[0]);
        prev = hash;
    }

    // Those who may not export it are refused, and a bad range is explained.
    let inspector = login_token(&url, "inspector1", &seeded.password("inspector1"));
    assert_eq!(ledger_csv(&url, &inspector).0, 403);
    let (status, body) = api_get(
        &url,
        &manager,
        "/api/v1/ledger?from=2026-13-01&to=2026-12-01",
    );
    assert_eq!(status, 422, "{body}");
    message_zh(&body);
    let (status, body) = api_get(&url, &manager, "/api/v1/ledger/verify");
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["whole"], true);
    assert_eq!(body["entries"].as_u64(), Some(count()));

    // A clean ledger verifies on the command line…
    let out = cli_verify(seeded.dir.path());
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("whole"));

    // …one row changed in the database is named, by the CLI (exit 1) and the API…
    let db = rusqlite::Connection::open(seeded.dir.path().join("server.sqlite3")).unwrap();
    let n: i64 = raise[0].parse().unwrap();
    db.execute(
        "UPDATE ledger SET author = 'someone_else' WHERE site = ?1 AND n = ?2",
        rusqlite::params![site.id.as_uuid().as_bytes(), n],
    )
    .unwrap();
    let out = cli_verify(seeded.dir.path());
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains(&format!("BROKEN at entry {n}")), "{said}");
    let (_, body) = api_get(&url, &manager, "/api/v1/ledger/verify");
    assert_eq!(body["whole"], false);
    assert_eq!(body["broken_at"].as_i64(), Some(n));
    // …and so is a row taken out.
    db.execute(
        "UPDATE ledger SET author = 'inspector1' WHERE site = ?1 AND n = ?2",
        rusqlite::params![site.id.as_uuid().as_bytes(), n],
    )
    .unwrap();
    assert!(cli_verify(seeded.dir.path()).status.success(), "restored");
    db.execute(
        "DELETE FROM ledger WHERE site = ?1 AND n = ?2",
        rusqlite::params![site.id.as_uuid().as_bytes(), n + 1],
    )
    .unwrap();
    let out = cli_verify(seeded.dir.path());
    assert_eq!(out.status.code(), Some(1));
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(&format!("entry {} is missing", n + 1)),
        "{said}"
    );
    assert!(tests::hostile::alive(&url));
}

#[test]
fn the_ledger_exports_by_period_from_the_command_line_and_another_site_keeps_its_own_chain() {
    let mut seeded = Seeded::new();
    seeded.add_group(true);
    let (from, to) = week();
    let dir = tempfile::tempdir().unwrap();
    let out_csv = dir.path().join("ledger.csv");
    let out_xlsx = dir.path().join("ledger.xlsx");
    for (site, out) in [("EAST", &out_csv), ("EAST", &out_xlsx)] {
        let o = Command::new(SERVER)
            .args([
                "ledger", "export", "--site", site, "--from", &from, "--to", &to, "--out",
            ])
            .arg(out)
            .arg("--data-dir")
            .arg(seeded.dir.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{o:?}");
    }
    let csv = std::fs::read_to_string(&out_csv).unwrap();
    let rows = rows(&csv);
    // EAST's weeks of history were written through the tracker: events by its team.
    assert!(
        rows.iter()
            .any(|r| r[2] == "issue_event" && r[6].ends_with("_e")),
        "{csv}"
    );
    assert!(
        rows.iter()
            .all(|r| !r[6].starts_with("manager1") || r[6] == "manager1_e")
    );
    let book = std::fs::read(&out_xlsx).unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(book)).unwrap();
    let mut sheet = String::new();
    std::io::Read::read_to_string(&mut zip.by_name("xl/workbook.xml").unwrap(), &mut sheet)
        .unwrap();
    assert!(sheet.contains("台账"), "{sheet}");
    // Each site's chain is its own: both verify.
    for site in ["DEMO", "EAST"] {
        let o = Command::new(SERVER)
            .args(["ledger", "verify", "--site", site, "--data-dir"])
            .arg(seeded.dir.path())
            .output()
            .unwrap();
        assert!(o.status.success(), "{site}: {o:?}");
    }
    let bad = Command::new(SERVER)
        .args([
            "ledger",
            "export",
            "--site",
            "DEMO",
            "--from",
            "yesterday",
            "--to",
            &to,
            "--out",
        ])
        .arg(&out_csv)
        .arg("--data-dir")
        .arg(seeded.dir.path())
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a day"));
}

#[test]
fn a_manager_verifies_the_ledger_on_the_dashboard_and_sees_a_changed_row_named() {
    use tests::browser::*;
    let seeded = Seeded::new();
    let server = InProcessServer::serve(
        seeded.state().with_ui_dir(Some(ui_dist())),
        "127.0.0.1:0".parse().unwrap(),
    );
    let url = server.url.clone();
    let site = {
        let mut txn = seeded.store.read().unwrap();
        txn.site_by_code("DEMO").unwrap().unwrap()
    };
    let entries = {
        let mut txn = seeded.store.read().unwrap();
        match verify(&mut *txn, site.id).unwrap() {
            Verified::Whole { entries, .. } => entries,
            broken => panic!("{broken:?}"),
        }
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    // The job files last month's report (it writes nothing to the ledger).
    let store: std::sync::Arc<dyn Store> = seeded.store.clone();
    let (s, _) = rt
        .block_on(sync_server::jobs::run_once(
            &store,
            &sync_server::jobs::client(),
            None,
            Utc::now(),
        ))
        .unwrap();
    assert_eq!(s.reports, 1);
    let period = sync_server::monthly::previous_month(site.deadlines.offset(), Utc::now());
    let driver = ChromeDriver::start();
    let axe = axe_script();
    let profile = tempfile::tempdir().unwrap();
    let mut ui = Ui::new(
        rt.block_on(driver.session(1280, 900, profile.path())),
        "ledger",
    );
    rt.block_on(async {
        ui.log_in(&url, "manager1", &seeded.password("manager1"))
            .await;
        ui.tap("#nav-ledger").await;
        ui.wait_hash("#/ledger").await;
        // The filed report is listed with the chain head it printed, and downloads.
        ui.wait_text(&format!("#report-{period}"), &period).await;
        ui.tap(&format!("#report-{period}-pdf")).await;
        ui.wait_text("#banner", "月度品质报告已生成").await;
        ui.tap("#ledger-verify").await;
        let said = ui.wait_text("#ledger-result", "哈希链完整").await;
        assert!(said.contains(&format!("{entries} 条记录")), "{said}");
        ui.assert_no_codes("the ledger").await;
        ui.assert_accessible(&axe, "the ledger").await;
        ui.shot("ledger").await;

        let db = rusqlite::Connection::open(seeded.dir.path().join("server.sqlite3")).unwrap();
        db.execute(
            "UPDATE ledger SET content = '{}' WHERE site = ?1 AND n = 2",
            rusqlite::params![site.id.as_uuid().as_bytes()],
        )
        .unwrap();
        ui.tap("#ledger-verify").await;
        ui.wait_text("#ledger-result", "台账第 2 条与哈希链不符")
            .await;
        ui.c.close().await.ok();
    });
}
