//! The two command lines as people and scripts use them: real processes, real files.

use device::Device;
use std::path::Path;
use std::process::{Command, Output};
use tests::*;

const SERVER: &str = env!("CARGO_BIN_EXE_e2e-sync-server");
const INSPECT: &str = env!("CARGO_BIN_EXE_e2e-inspect");

fn server(args: &[&str], dir: &Path) -> Output {
    Command::new(SERVER)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .expect("run sync-server")
}

fn inspect(dir: &Path, args: &[&str]) -> Output {
    Command::new(INSPECT)
        .arg("--data-dir")
        .arg(dir)
        .args(["--timeout", "5"])
        .args(args)
        .output()
        .expect("run inspect")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "stdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).to_string()
}

#[test]
fn demo_seed_describes_the_site_and_refuses_to_run_twice() {
    let data = tempfile::tempdir().unwrap();
    let json: serde_json::Value =
        serde_json::from_str(&ok(&server(&["demo-seed", "--json"], data.path()))).unwrap();
    assert_eq!(json["site"], "DEMO");
    let users: Vec<&str> = json["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap())
        .collect();
    for u in ["inspector1", "inspector2", "staff1", "manager1", "admin1"] {
        assert!(users.contains(&u), "{u}");
    }
    assert!(
        json["users"]
            .as_array()
            .unwrap()
            .iter()
            .all(|u| u["password"].as_str().unwrap().len() >= 8 && u["role"].is_string())
    );
    assert_eq!(json["departments"].as_array().unwrap().len(), 5);
    let routes = json["routes"].as_array().unwrap();
    assert_eq!(
        routes
            .iter()
            .map(|r| r["code"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["R1", "R2", "R3"]
    );
    let checkpoints: usize = routes
        .iter()
        .map(|r| r["checkpoints"].as_array().unwrap().len())
        .sum();
    assert!(
        (35..=45).contains(&checkpoints),
        "{checkpoints} checkpoints"
    );
    let reading = routes
        .iter()
        .flat_map(|r| r["checkpoints"].as_array().unwrap())
        .flat_map(|c| c["items"].as_array().unwrap())
        .find(|i| i["code"] == "extinguisher_pressure")
        .unwrap();
    assert_eq!(
        (
            reading["kind"].as_str(),
            reading["min"].as_f64(),
            reading["max"].as_f64(),
            reading["unit"].as_str()
        ),
        (Some("reading"), Some(1.0), Some(1.4), Some("MPa"))
    );

    // The demo has a past (weeks of it; `analytics.rs` checks the figures): a
    // complaint whose 48 h promise survived its dispatch, a fix waiting for
    // verification too long, and a root cause open until its actions are done.
    {
        use sync_server::store::Store;
        let store = sync_server::sqlite::SqliteStore::open(data.path()).unwrap();
        let mut txn = store.begin().unwrap();
        let site = txn.site_by_code("DEMO").unwrap().unwrap();
        let issues = txn
            .list_issues(&sync_server::store::IssueQuery {
                sites: vec![site.id],
                ..Default::default()
            })
            .unwrap();
        let complaint = issues
            .iter()
            .find(|i| i.title == "楼上夜间装修噪音")
            .unwrap();
        assert_eq!(complaint.assignee.as_deref(), Some("staff3"));
        assert_eq!(
            complaint.deadline.unwrap() - complaint.raised_at,
            chrono::Duration::hours(48)
        );
        assert!(complaint.responded_at.unwrap() <= complaint.respond_by.unwrap());
        assert!(issues.iter().any(|i| i.status == shared::Status::Rectified));
        let again = issues
            .iter()
            .find(|i| i.title == "东区垃圾分类点又满溢")
            .unwrap();
        let causes = txn.root_causes(site.id).unwrap();
        let cause = causes
            .iter()
            .find(|c| c.issues.contains(&again.id))
            .unwrap();
        assert_eq!(cause.status, shared::repeat::RootCauseStatus::Acting);
        let states: Vec<_> = cause.actions.iter().map(|a| a.status).collect();
        assert_eq!(
            states,
            [
                shared::repeat::ActionStatus::Done,
                shared::repeat::ActionStatus::Open
            ]
        );
        let report = sync_server::jobs::scan(&mut *txn, chrono::Utc::now(), false).unwrap();
        assert!(
            report.waiting >= 1,
            "the fix waiting for verification: {report:?}"
        );
        let manager = txn.user_by_name("manager1").unwrap().unwrap();
        let notes = txn.notifications_for(manager.id, 0, 50).unwrap();
        assert!(
            notes
                .iter()
                .any(|n| n.kind == shared::wire::NotificationKind::AwaitingVerification),
            "{notes:?}"
        );
    }

    let again = server(&["demo-seed"], data.path());
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains("already holds data"),
        "{}",
        stderr(&again)
    );
}

fn items_for(seed: &serde_json::Value, checkpoint: &str, fail: &str) -> Vec<String> {
    let cp = seed["routes"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["checkpoints"].as_array().unwrap())
        .find(|c| c["code"] == checkpoint)
        .unwrap();
    cp["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let code = i["code"].as_str().unwrap();
            let answer = if code == fail {
                "fail".to_string()
            } else if i["kind"] == "reading" {
                let min = i["min"].as_f64();
                let max = i["max"].as_f64();
                format!(
                    "{}",
                    match (min, max) {
                        (Some(a), Some(b)) => (a + b) / 2.0,
                        (Some(a), None) => a + 10.0,
                        (None, Some(b)) => b - 1.0,
                        _ => 1.0,
                    }
                )
            } else {
                "pass".into()
            };
            format!("{code}={answer}")
        })
        .collect()
}

#[test]
fn a_scripted_patrol_from_login_to_tracker_with_exit_codes() {
    let data = tempfile::tempdir().unwrap();
    let seed: serde_json::Value =
        serde_json::from_str(&ok(&server(&["demo-seed", "--json"], data.path()))).unwrap();
    let mut srv = ProcessServer::start(SERVER, data.path(), "127.0.0.1:0");
    let dev = tempfile::tempdir().unwrap();
    let d = dev.path();
    let out = ok(&inspect(
        d,
        &[
            "login",
            "--server",
            &srv.url,
            "--user",
            "inspector1",
            "--password",
            &seed_password(&seed, "inspector1"),
        ],
    ));
    assert!(out.contains("logged in as inspector1"), "{out}");

    // Offline from here on: the server goes down.
    srv.kill();
    ok(&inspect(d, &["patrol", "start", "--route", "R1"]));
    let mut args = vec![
        "patrol".to_string(),
        "check".into(),
        "--checkpoint".into(),
        "CP-R01".into(),
    ];
    for i in items_for(&seed, "CP-R01", "floor") {
        args.push("--item".into());
        args.push(i);
    }
    let out = ok(&inspect(
        d,
        &args.iter().map(String::as_str).collect::<Vec<_>>(),
    ));
    assert!(out.contains("failed: floor"), "{out}");
    let bad = inspect(
        d,
        &[
            "patrol",
            "check",
            "--checkpoint",
            "CP-R01",
            "--item",
            "floor=maybe",
        ],
    );
    assert!(
        !bad.status.success() && stderr(&bad).contains("not an answer"),
        "{}",
        stderr(&bad)
    );
    let id = ok(&inspect(
        d,
        &[
            "issue",
            "raise",
            "--checkpoint",
            "CP-R01",
            "--item",
            "floor",
            "--category",
            "hygiene_defect",
            "--grade",
            "immediate",
            "--title",
            "大堂地面有垃圾",
        ],
    ));
    let id = id.trim_end_matches('\n');
    assert!(
        uuid::Uuid::parse_str(id).is_ok(),
        "raise prints the id alone: {id:?}"
    );
    let bad = inspect(
        d,
        &[
            "issue",
            "raise",
            "--checkpoint",
            "CP-R01",
            "--category",
            "urgent",
            "--grade",
            "immediate",
            "--title",
            "x",
        ],
    );
    assert!(!bad.status.success());
    ok(&inspect(d, &["patrol", "finish"]));

    let down = inspect(d, &["sync"]);
    assert_eq!(
        down.status.code(),
        Some(2),
        "unreachable server: {}",
        stderr(&down)
    );
    assert!(
        stderr(&down).contains("cannot reach the server"),
        "{}",
        stderr(&down)
    );

    let srv = ProcessServer::start(SERVER, data.path(), &srv.addr.to_string());
    let up = inspect(d, &["sync"]);
    assert_eq!(up.status.code(), Some(0), "{}", stderr(&up));
    assert!(String::from_utf8_lossy(&up.stdout).contains("sent 2 document(s)"));

    let list: serde_json::Value =
        serde_json::from_str(&ok(&inspect(d, &["issue", "list", "--json"]))).unwrap();
    let issue = &list[0];
    assert_eq!(issue["id"], id);
    for key in [
        "status",
        "grade",
        "category",
        "title",
        "checkpoint",
        "department",
        "assignee",
        "deadline",
        "conflicts",
    ] {
        assert!(issue.get(key).is_some(), "{key} in {issue}");
    }
    assert_eq!(
        (
            issue["status"].as_str(),
            issue["grade"].as_str(),
            issue["category"].as_str(),
            issue["checkpoint"].as_str()
        ),
        (
            Some("recorded"),
            Some("immediate"),
            Some("hygiene_defect"),
            Some("CP-R01")
        )
    );
    assert!(
        issue["department"].is_null()
            && issue["assignee"].is_null()
            && issue["conflicts"].as_array().unwrap().is_empty()
    );

    // A manager assigns, staff rectifies, inspector verifies — all through the CLI.
    let (m, s) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    ok(&inspect(
        m.path(),
        &[
            "login",
            "--server",
            &srv.url,
            "--user",
            "manager1",
            "--password",
            &seed_password(&seed, "manager1"),
        ],
    ));
    // Assigning without --deadline keeps the deadline the issue got when it was raised.
    let raised_deadline = issue["deadline"].as_str().unwrap().to_string();
    ok(&inspect(
        m.path(),
        &[
            "issue",
            "assign",
            id,
            "--department",
            "engineering",
            "--assignee",
            "staff1",
        ],
    ));
    let kept: serde_json::Value =
        serde_json::from_str(&ok(&inspect(m.path(), &["issue", "list", "--json"]))).unwrap();
    let kept = kept
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["id"] == id)
        .unwrap();
    assert_eq!(kept["deadline"], raised_deadline.as_str(), "{kept}");
    assert_eq!(kept["assignee"], "staff1");
    let shown = ok(&inspect(m.path(), &["issue", "show", id]));
    assert!(!shown.contains("deadline 2"), "no deadline move: {shown}");
    // Giving one on purpose moves it, and the timeline says so.
    ok(&inspect(
        m.path(),
        &[
            "issue",
            "assign",
            id,
            "--department",
            "engineering",
            "--assignee",
            "staff1",
            "--deadline",
            "2030-01-01T18:00:00+08:00",
        ],
    ));
    let shown = ok(&inspect(m.path(), &["issue", "show", id]));
    assert!(
        shown.contains(&format!(
            "deadline {} → 2030-01-01T10:00:00Z (extended by",
            {
                let t: chrono::DateTime<chrono::Utc> = raised_deadline.parse().unwrap();
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            }
        )),
        "{shown}"
    );
    ok(&inspect(m.path(), &["sync"]));
    ok(&inspect(
        s.path(),
        &[
            "login",
            "--server",
            &srv.url,
            "--user",
            "staff1",
            "--password",
            &seed_password(&seed, "staff1"),
        ],
    ));
    let refused = inspect(
        s.path(),
        &["issue", "verify", id, "--accept", "--note", "x"],
    );
    assert!(
        !refused.status.success() && stderr(&refused).contains("may not"),
        "{}",
        stderr(&refused)
    );
    ok(&inspect(
        s.path(),
        &["issue", "rectify", &id[..13], "--note", "已清扫"],
    ));
    ok(&inspect(s.path(), &["sync"]));
    ok(&inspect(d, &["sync"]));
    ok(&inspect(
        d,
        &["issue", "verify", id, "--accept", "--note", "复查合格"],
    ));
    ok(&inspect(d, &["sync"]));
    let list: serde_json::Value =
        serde_json::from_str(&ok(&inspect(d, &["issue", "list", "--json"]))).unwrap();
    assert_eq!(list[0]["status"], "verified");
    assert_eq!(list[0]["assignee"], "staff1");
    assert_eq!(list[0]["department"], "engineering");
    assert_eq!(list[0]["deadline"], "2030-01-01T10:00:00Z");

    // A lost device: its token is revoked, sync exits 3.
    ok(&server(
        &["token", "revoke", "--user", "inspector1"],
        data.path(),
    ));
    let revoked = inspect(d, &["sync"]);
    assert_eq!(revoked.status.code(), Some(3), "{}", stderr(&revoked));
    assert!(
        stderr(&revoked).contains("log in again"),
        "{}",
        stderr(&revoked)
    );

    // Admin commands and an online backup.
    ok(&server(
        &[
            "site",
            "add",
            "--code",
            "TOWER",
            "--name",
            "写字楼",
            "--deadline-days",
            "7",
        ],
        data.path(),
    ));
    let set = ok(&server(
        &["site", "set", "--code", "TOWER", "--keep-originals", "true"],
        data.path(),
    ));
    assert!(set.contains("devices keep camera originals"), "{set}");
    ok(&server(
        &[
            "user",
            "add",
            "--name",
            "tw1",
            "--role",
            "inspector",
            "--site",
            "TOWER",
            "--password",
            "tw1-password",
        ],
        data.path(),
    ));
    ok(&server(
        &[
            "user",
            "password",
            "--name",
            "tw1",
            "--password",
            "tw1-new-password",
        ],
        data.path(),
    ));
    let c = tempfile::tempdir().unwrap();
    let old = inspect(
        c.path(),
        &[
            "login",
            "--server",
            &srv.url,
            "--user",
            "tw1",
            "--password",
            "tw1-password",
        ],
    );
    assert_eq!(old.status.code(), Some(3));
    ok(&inspect(
        c.path(),
        &[
            "login",
            "--server",
            &srv.url,
            "--user",
            "tw1",
            "--password",
            "tw1-new-password",
        ],
    ));
    let plan = inspect(c.path(), &["status"]);
    assert!(plan.status.success());
    assert!(
        Device::open(c.path())
            .unwrap()
            .plan()
            .unwrap()
            .site
            .keep_originals,
        "the site setting reached the device"
    );
    ok(&server(&["user", "disable", "--name", "tw1"], data.path()));
    assert_eq!(
        inspect(c.path(), &["sync"]).status.code(),
        Some(3),
        "a disabled user's token stops working"
    );
    let backup = data.path().join("copy.sqlite3");
    ok(&server(
        &["backup", "--to", backup.to_str().unwrap()],
        data.path(),
    ));
    let restored = tempfile::tempdir().unwrap();
    std::fs::copy(&backup, restored.path().join("server.sqlite3")).unwrap();
    let copy = ProcessServer::start(SERVER, restored.path(), "127.0.0.1:0");
    let m2 = tempfile::tempdir().unwrap();
    ok(&inspect(
        m2.path(),
        &[
            "login",
            "--server",
            &copy.url,
            "--user",
            "manager1",
            "--password",
            &seed_password(&seed, "manager1"),
        ],
    ));
    let list: serde_json::Value =
        serde_json::from_str(&ok(&inspect(m2.path(), &["issue", "list", "--json"]))).unwrap();
    assert_eq!(
        list[0]["status"], "verified",
        "the backup holds the whole history"
    );
}

#[test]
fn tls_when_given_a_certificate() {
    let data = tempfile::tempdir().unwrap();
    let seed: serde_json::Value =
        serde_json::from_str(&ok(&server(&["demo-seed", "--json"], data.path()))).unwrap();
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let (cert_path, key_path) = (data.path().join("cert.pem"), data.path().join("key.pem"));
    std::fs::write(&cert_path, cert.cert.pem()).unwrap();
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).unwrap();
    let mut child = Command::new(SERVER)
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-cert"])
        .arg(&cert_path)
        .arg("--tls-key")
        .arg(&key_path)
        .arg("--data-dir")
        .arg(data.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(child.stdout.take().unwrap()),
        &mut line,
    )
    .unwrap();
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap()
        .replace("127.0.0.1", "localhost");
    assert!(url.starts_with("https://"), "{url}");
    let d = tempfile::tempdir().unwrap();
    let untrusted = inspect(
        d.path(),
        &[
            "login",
            "--server",
            &url,
            "--user",
            "inspector1",
            "--password",
            &seed_password(&seed, "inspector1"),
        ],
    );
    assert!(
        !untrusted.status.success(),
        "an unknown certificate is not trusted"
    );
    let out = Command::new(INSPECT)
        .arg("--data-dir")
        .arg(d.path())
        .arg("--ca-cert")
        .arg(&cert_path)
        .args([
            "login",
            "--server",
            &url,
            "--user",
            "inspector1",
            "--password",
            &seed_password(&seed, "inspector1"),
        ])
        .output()
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();
    ok(&out);
}

#[test]
fn a_new_site_is_set_up_from_csv_files_and_walked_from_the_command_line() {
    let data = tempfile::tempdir().unwrap();
    let files = tempfile::tempdir().unwrap();
    ok(&server(
        &["site", "add", "--code", "POOL", "--name", "会所"],
        data.path(),
    ));
    ok(&server(
        &[
            "user",
            "add",
            "--name",
            "pool1",
            "--role",
            "inspector",
            "--site",
            "POOL",
            "--password",
            "pool1-password",
        ],
        data.path(),
    ));
    let checklists = files.path().join("检查表.csv");
    std::fs::write(
        &checklists,
        "\u{feff}检查表编码,检查表名称,检查项编码,检查项,类别,方式,下限,上限,单位\n\
         T-POOL,泳池,water_clear,池水清澈,环境卫生,合格判定,,,\n\
         T-POOL,泳池,chlorine,余氯,设施设备,读数,0.3,1.0,mg/L\n",
    )
    .unwrap();
    let bad = files.path().join("bad.csv");
    std::fs::write(
        &bad,
        "点位编码,点位名称,区域编码,区域名称,区域类型,检查表编码,路线\n\
         CP-W01,泳池东侧,Z-POOL,会所泳池,公共设施,T-POOL,R1\n\
         CP-W02,泳池西侧,Z-POOL,会所泳池,公共设施,T-NONE,R1\n",
    )
    .unwrap();
    // One bad row: the error names it, and nothing (not even the checklists) is imported.
    let out = server(
        &[
            "site",
            "import",
            "--code",
            "POOL",
            "--checklists",
            checklists.to_str().unwrap(),
            "--checkpoints",
            bad.to_str().unwrap(),
        ],
        data.path(),
    );
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(
        err.contains("checkpoints.csv line 3, column 检查表编码: no checklist T-NONE"),
        "{err}"
    );
    let export = files.path().join("export");
    ok(&server(
        &[
            "site",
            "export",
            "--code",
            "POOL",
            "--out",
            export.to_str().unwrap(),
        ],
        data.path(),
    ));
    let empty = std::fs::read_to_string(export.join("checkpoints.csv")).unwrap();
    assert_eq!(empty.lines().count(), 1, "only the header: {empty}");

    let good = files.path().join("good.csv");
    std::fs::write(
        &good,
        std::fs::read_to_string(&bad)
            .unwrap()
            .replace("T-NONE", "T-POOL"),
    )
    .unwrap();
    let report = ok(&server(
        &[
            "site",
            "import",
            "--code",
            "POOL",
            "--checklists",
            checklists.to_str().unwrap(),
            "--checkpoints",
            good.to_str().unwrap(),
        ],
        data.path(),
    ));
    assert!(report.contains("checklists: new T-POOL v1"), "{report}");
    assert!(
        report.contains("checkpoints: 2 new, 0 updated, 0 unchanged"),
        "{report}"
    );
    ok(&server(
        &[
            "site",
            "export",
            "--code",
            "POOL",
            "--out",
            export.to_str().unwrap(),
        ],
        data.path(),
    ));
    let exported = std::fs::read_to_string(export.join("checkpoints.csv")).unwrap();
    assert!(
        exported.contains("Z-POOL,会所泳池,公共设施,CP-W01,泳池东侧,,,T-POOL,每天,R1"),
        "{exported}"
    );
    let sheet = files.path().join("qr");
    let printed = ok(&server(
        &[
            "site",
            "qr-sheet",
            "--code",
            "POOL",
            "--out",
            sheet.to_str().unwrap(),
        ],
        data.path(),
    ));
    assert!(printed.starts_with("2 labels on 1 page(s)"), "{printed}");
    let page = std::fs::read_to_string(sheet.join("page-01.svg")).unwrap();
    assert!(page.contains("泳池东侧") && page.contains("data-code=\"CP-W02\""));
    assert!(sheet.join("sheet.html").is_file());

    // The inspector's device gets the site and walks it.
    let srv = ProcessServer::start(SERVER, data.path(), "127.0.0.1:0");
    let dev = tempfile::tempdir().unwrap();
    ok(&inspect(
        dev.path(),
        &[
            "login",
            "--server",
            &srv.url,
            "--user",
            "pool1",
            "--password",
            "pool1-password",
        ],
    ));
    ok(&inspect(dev.path(), &["patrol", "start", "--route", "R1"]));
    let arrived = ok(&inspect(
        dev.path(),
        &["patrol", "arrive", "--checkpoint", "cp-w01"],
    ));
    assert!(
        arrived.contains("泳池 v1 (2 items)") && arrived.contains("余氯"),
        "{arrived}"
    );
    let checked = ok(&inspect(
        dev.path(),
        &[
            "patrol",
            "check",
            "--checkpoint",
            "CP-W01",
            "--item",
            "water_clear=pass",
            "--item",
            "chlorine=1.5",
        ],
    ));
    assert!(checked.contains("failed: chlorine"), "{checked}");
}
