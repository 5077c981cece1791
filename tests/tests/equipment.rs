//! The equipment register (设施设备台账) against a real server on 127.0.0.1
//! and the real command line: CSV imported by code all or nothing and
//! exported as it was read, rows kept by managers and administrators only and
//! never across sites, certificates checked and kept in the photo store,
//! maintenance recorded, 设施合规率 by kind in the API and the monthly report,
//! the job reminding ahead of a due date and raising one issue for an expired
//! inspection, every change in the ledger, and the register on the dashboard.

use base64::Engine;
use chrono::{Duration, NaiveDate, Utc};
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use sync_server::jobs::{self, Webhook};
use sync_server::store::Store;
use tests::*;

const SERVER: &str = env!("CARGO_BIN_EXE_e2e-sync-server");

fn server(args: &[&str], dir: &Path) -> Output {
    Command::new(SERVER)
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .expect("run sync-server")
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

/// The site's local day (Asia/Shanghai) `days` from today.
fn day(days: i64) -> NaiveDate {
    tests::site_today() + Duration::days(days)
}

fn item(
    code: &str,
    kind: &str,
    cycle: u32,
    last: Option<NaiveDate>,
    due: Option<NaiveDate>,
) -> Value {
    json!({
        "code": code,
        "name": format!("{code} 设备"),
        "kind": kind,
        "location": "地下一层",
        "checkpoint": "CP-P03",
        "maintenance_days": cycle,
        "last_maintained": last,
        "inspection_due": due,
    })
}

/// A small PDF as a scanner writes one: header, one empty page, end mark.
fn scan_pdf() -> Vec<u8> {
    b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n\
      2 0 obj <</Type /Pages /Kids [3 0 R] /Count 1>> endobj\n\
      3 0 obj <</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842]>> endobj\n\
      trailer <</Root 1 0 R>>\n%%EOF\n"
        .to_vec()
}

fn upload(bytes: &[u8], name: &str, due: NaiveDate) -> Value {
    json!({
        "file_name": name,
        "base64": base64::engine::general_purpose::STANDARD.encode(bytes),
        "inspection_due": due,
    })
}

fn register(url: &str, token: &str) -> Value {
    let (status, r) = api_get(url, token, "/api/v1/equipment");
    assert_eq!(status, 200, "{r}");
    r
}

fn row<'a>(r: &'a Value, code: &str) -> &'a Value {
    r["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["equipment"]["code"] == code)
        .unwrap_or_else(|| panic!("no {code} in {r}"))
}

fn kind_rate(r: &Value, kind: &str) -> (u64, u64) {
    let k = r["compliance"]["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kind"] == kind)
        .unwrap_or_else(|| panic!("no {kind} in {r}"));
    (
        k["rate"]["numerator"].as_u64().unwrap(),
        k["rate"]["denominator"].as_u64().unwrap(),
    )
}

#[test]
fn the_command_line_imports_all_or_nothing_lists_and_exports_what_it_read() {
    let data = tempfile::tempdir().unwrap();
    ok(&server(&["demo-seed", "--empty"], data.path()));
    let files = tempfile::tempdir().unwrap();
    let csv = files.path().join("equipment.csv");

    // Four mistakes, each named by line and column; nothing imported.
    std::fs::write(
        &csv,
        "设备编号,设备名称,设备类型,位置,巡查点,保养周期(天),上次保养,年检到期,备注,报废\n\
         EL-01,1号电梯,电梯,1号楼,CP-P01,15,2026-11-20,2027-06-30,,否\n\
         EL-02,2号电梯,飞船,1号楼,CP-P01,15,,,,否\n\
         FP-01,消防泵,消防水泵,泵房,CP-NOPE,30,,,,否\n\
         EL-01,重复,电梯,,,,,,,否\n\
         GEN-01,发电机,发电机,,,30,2026-13-01,,,否\n",
    )
    .unwrap();
    let out = server(
        &[
            "equipment",
            "import",
            "--site",
            "DEMO",
            "--file",
            csv.to_str().unwrap(),
        ],
        data.path(),
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    for (line, what) in [(3, "飞船"), (4, "CP-NOPE"), (5, "EL-01"), (6, "2026-13-01")] {
        assert!(
            err.contains(&format!("line {line}")) && err.contains(what),
            "line {line} ({what}) not named: {err}"
        );
    }
    assert!(err.contains("4 bad row"), "{err}");
    let listed = ok(&server(
        &["equipment", "list", "--site", "DEMO"],
        data.path(),
    ));
    assert!(listed.contains("(0 in the register)"), "{listed}");

    // Good rows, with English headers and a label for the kind: imported.
    std::fs::write(
        &csv,
        "code,name,kind,location,checkpoint,maintenance_days,last_maintained,inspection_due,note,retired\n\
         EL-01,1号电梯,elevator,1号楼,CP-P01,15,2026-11-20,2027-06-30,,no\n\
         FP-01,消防泵,消防水泵,泵房,CP-P03,30,2026-10-01,2026-11-30,,no\n\
         EX-01,灭火器,Fire extinguisher,大堂,,0,,2027-03-01,\"=HYPERLINK(\"\"x\"\")\",no\n\
         EL-00,旧电梯,电梯,2号楼,,15,,,,yes\n",
    )
    .unwrap();
    let out = ok(&server(
        &[
            "equipment",
            "import",
            "--site",
            "DEMO",
            "--file",
            csv.to_str().unwrap(),
        ],
        data.path(),
    ));
    assert!(out.contains("4 added, 0 updated, 0 unchanged"), "{out}");

    // Judged on 2026-12-05: the pump's maintenance (due 10-31) and inspection
    // (11-30) have expired; the elevator's maintenance is due on 12-05 and still
    // valid that day; the retired one counts nowhere.
    let listed = ok(&server(
        &[
            "equipment",
            "list",
            "--site",
            "DEMO",
            "--date",
            "2026-12-05",
        ],
        data.path(),
    ));
    assert!(listed.contains("设施合规率 66.7% (2/3)"), "{listed}");
    assert!(listed.contains("消防水泵 0.0% (0/1)"), "{listed}");
    assert!(listed.contains("电梯 100.0% (1/1)"), "{listed}");
    let pump = listed.lines().find(|l| l.starts_with("FP-01")).unwrap();
    assert!(
        pump.contains("保养 已逾期") && pump.contains("年检 已逾期") && pump.contains("不合规"),
        "{pump}"
    );
    let lift = listed.lines().find(|l| l.starts_with("EL-01")).unwrap();
    assert!(
        lift.contains("(2026-12-05)") && lift.ends_with("\t合规"),
        "{lift}"
    );
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with("EL-00") && l.contains("报废")),
        "{listed}"
    );

    // Exported in the import's columns (the formula neutralised), it reads
    // back as unchanged; a changed row updates only that row.
    let out_csv = files.path().join("out.csv");
    ok(&server(
        &[
            "equipment",
            "export",
            "--site",
            "DEMO",
            "--out",
            out_csv.to_str().unwrap(),
        ],
        data.path(),
    ));
    let exported = std::fs::read_to_string(&out_csv).unwrap();
    assert!(exported.starts_with('\u{feff}'));
    assert!(exported.contains("'=HYPERLINK"), "{exported}");
    let mut rows = csv::Reader::from_reader(exported.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = rows.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(header[..3], ["设备编号", "设备名称", "设备类型"]);
    let fp: Vec<String> = rows
        .records()
        .map(|r| r.unwrap())
        .find(|r| &r[0] == "FP-01")
        .unwrap()
        .iter()
        .map(String::from)
        .collect();
    assert_eq!(fp[2], "消防水泵");
    assert_eq!(fp[6], "2026-10-01");
    assert_eq!(fp[7], "2026-11-30");
    let again = ok(&server(
        &[
            "equipment",
            "import",
            "--site",
            "DEMO",
            "--file",
            out_csv.to_str().unwrap(),
        ],
        data.path(),
    ));
    assert!(again.contains("0 added, 0 updated, 4 unchanged"), "{again}");
    std::fs::write(&out_csv, exported.replace("2026-10-01", "2026-12-01")).unwrap();
    let changed = ok(&server(
        &[
            "equipment",
            "import",
            "--site",
            "DEMO",
            "--file",
            out_csv.to_str().unwrap(),
        ],
        data.path(),
    ));
    assert!(
        changed.contains("0 added, 1 updated, 3 unchanged"),
        "{changed}"
    );

    // Every change is in the ledger, which still verifies.
    let ledger = files.path().join("ledger.csv");
    ok(&server(
        &[
            "ledger",
            "export",
            "--site",
            "DEMO",
            "--from",
            &day(-1).to_string(),
            "--to",
            &day(1).to_string(),
            "--out",
            ledger.to_str().unwrap(),
        ],
        data.path(),
    ));
    let text = std::fs::read_to_string(&ledger).unwrap();
    let equipment_rows = text.lines().filter(|l| l.contains(",equipment,")).count();
    assert_eq!(equipment_rows, 5, "4 imported, 1 changed:\n{text}");
    ok(&server(
        &["ledger", "verify", "--site", "DEMO"],
        data.path(),
    ));

    // The demo estate comes with a register: two of seven in service out of
    // order, the expired inspection's issue already raised.
    let demo = tempfile::tempdir().unwrap();
    ok(&server(&["demo-seed"], demo.path()));
    let listed = ok(&server(
        &["equipment", "list", "--site", "DEMO"],
        demo.path(),
    ));
    assert!(listed.contains("设施合规率 71.4% (5/7)"), "{listed}");
    use sync_server::store::Store;
    let store = sync_server::sqlite::SqliteStore::open(demo.path()).unwrap();
    let mut txn = store.read().unwrap();
    let site = txn.site_by_code("DEMO").unwrap().unwrap();
    let fa = txn.equipment(site.id, "FA-01").unwrap().unwrap();
    let id = sync_server::equipment::overdue_issue_id(site.id, "FA-01", fa.inspection_due.unwrap());
    let raised = txn
        .issue_summary(id)
        .unwrap()
        .expect("the expired inspection's issue");
    assert!(raised.title.contains("年检已过期"), "{}", raised.title);
}

fn the_api_keeps_the_register_by_role_and_site_and_checks_every_certificate(seeded: Seeded) {
    seeded.add_other_site("manager_o", shared::Role::Manager);
    let server = InProcessServer::serve(seeded.state(), "127.0.0.1:0".parse().unwrap());
    let url = server.url.clone();
    let manager = login_token(&url, "manager1", &seeded.password("manager1"));
    let admin = login_token(&url, "admin1", &seeded.password("admin1"));
    let inspector = login_token(&url, "inspector1", &seeded.password("inspector1"));
    let staff = login_token(&url, "staff1", &seeded.password("staff1"));
    let cs = login_token(&url, "cs1", &seeded.password("cs1"));
    let other = login_token(&url, "manager_o", "other-password");

    // A manager and an administrator keep it.
    let lift = item("EL-01", "elevator", 15, Some(day(-3)), Some(day(200)));
    let (s, b) = api_put(&url, &manager, "/api/v1/equipment/EL-01", &lift);
    assert_eq!(s, 200, "{b}");
    let pump = item("FP-01", "fire_pump", 30, Some(day(-40)), Some(day(100)));
    let (s, b) = api_put(&url, &admin, "/api/v1/equipment/FP-01", &pump);
    assert_eq!(s, 200, "{b}");
    let alarm = item("FA-01", "fire_alarm", 0, None, Some(day(-1)));
    assert_eq!(
        api_put(&url, &manager, "/api/v1/equipment/FA-01", &alarm).0,
        200
    );
    let r = register(&url, &manager);
    assert_eq!(r["site"], "DEMO");
    assert_eq!(r["remind_days"], 30);
    assert_eq!(r["compliance"]["rate"]["numerator"], 1);
    assert_eq!(r["compliance"]["rate"]["denominator"], 3);
    assert_eq!(kind_rate(&r, "elevator"), (1, 1));
    assert_eq!(kind_rate(&r, "fire_pump"), (0, 1));
    assert_eq!(row(&r, "FP-01")["maintenance"], "overdue");
    assert_eq!(row(&r, "FA-01")["inspection"], "overdue");
    assert_eq!(row(&r, "FA-01")["maintenance"], "not_applicable");
    assert_eq!(row(&r, "EL-01")["compliant"], true);

    // Everyone of the site reads it; nobody else changes it, nor anything across sites.
    for t in [&inspector, &staff, &cs] {
        assert_eq!(api_get(&url, t, "/api/v1/equipment").0, 200);
    }
    let before = register(&url, &manager);
    let mut moved = lift.clone();
    moved["inspection_due"] = json!(day(-10));
    for t in [&inspector, &staff, &cs] {
        let (s, b) = api_put(&url, t, "/api/v1/equipment/EL-01", &moved);
        assert_eq!(s, 403, "{b}");
        assert_eq!(b["code"], "role_forbidden");
        let (s, _) = api_post(
            &url,
            t,
            "/api/v1/equipment/FP-01/maintenance",
            &json!({"date": day(0)}),
        );
        assert_eq!(s, 403);
        let (s, _) = api_post(
            &url,
            t,
            "/api/v1/equipment/FA-01/certificate",
            &upload(&scan_pdf(), "c.pdf", day(300)),
        );
        assert_eq!(s, 403);
        let (s, _) = api_post(
            &url,
            t,
            "/api/v1/equipment/import",
            &json!({"csv": "code,name,kind\nX,x,elevator\n"}),
        );
        assert_eq!(s, 403);
    }
    // Another site's manager sees their own (empty) register and writes only there.
    let theirs = register(&url, &other);
    assert_eq!(theirs["site"], "OTHER");
    assert_eq!(theirs["items"].as_array().unwrap().len(), 0);
    assert_eq!(
        api_put(&url, &other, "/api/v1/equipment/EL-01", &moved).0,
        200
    );
    assert_eq!(
        api_post(
            &url,
            &other,
            "/api/v1/equipment/FP-01/maintenance",
            &json!({"date": day(0)})
        )
        .0,
        422
    );
    assert_eq!(register(&url, &manager), before, "nothing of DEMO changed");

    // Wrong input: refused with a reason, nothing changed.
    let (s, b) = api_put(&url, &manager, "/api/v1/equipment/EL-02", &lift);
    assert_eq!((s, b["code"].as_str()), (400, Some("code_mismatch")));
    let mut nowhere = lift.clone();
    nowhere["checkpoint"] = json!("CP-NOPE");
    let (s, b) = api_put(&url, &manager, "/api/v1/equipment/EL-01", &nowhere);
    assert_eq!(s, 422, "{b}");
    assert!(message_zh(&b).contains("CP-NOPE"), "{b}");
    let mut unnamed = lift.clone();
    unnamed["name"] = json!("  ");
    assert_eq!(
        api_put(&url, &manager, "/api/v1/equipment/EL-01", &unnamed).0,
        422
    );
    let mut bad_code = lift.clone();
    bad_code["code"] = json!("电梯 1");
    assert_eq!(
        api_put(&url, &manager, "/api/v1/equipment/x", &bad_code).0,
        400
    );
    let (s, _) = api_post(
        &url,
        &manager,
        "/api/v1/equipment/FP-01/maintenance",
        &json!({"date": day(2)}),
    );
    assert_eq!(s, 422, "a maintenance in the future");
    let (s, b) = api_post(
        &url,
        &manager,
        "/api/v1/equipment/import",
        &json!({"csv": "设备编号,设备名称\nA,b\n"}),
    );
    assert_eq!((s, b["code"].as_str()), (422, Some("bad_rows")), "{b}");
    let rows = b["rows"].as_array().expect("the bad rows");
    assert!(
        rows.iter().any(
            |r| r["column"].is_null() && r["message_zh"].as_str().unwrap().contains("设备类型")
        ),
        "the missing column is named: {b}"
    );
    assert_eq!(register(&url, &manager), before);

    // Hostile certificate files: refused, nothing kept, nothing changed.
    let jpeg = tests::pictures::jpeg(&tests::pictures::photo_like(640, 480, 7), 85, None);
    let hostile: Vec<(&str, Vec<u8>)> = vec![
        (
            "a PNG",
            tests::pictures::png(&tests::pictures::two_tone(8, 8)),
        ),
        ("a cut JPEG", jpeg[..jpeg.len() / 2].to_vec()),
        ("a cut PDF", scan_pdf()[..40].to_vec()),
        ("a script", b"<script>alert(1)</script>".to_vec()),
        ("a header bomb", tests::pictures::header_bomb(60000, 60000)),
        ("nothing", Vec::new()),
    ];
    for (what, bytes) in hostile {
        let (s, b) = api_post(
            &url,
            &manager,
            "/api/v1/equipment/FA-01/certificate",
            &upload(&bytes, "x.pdf", day(300)),
        );
        assert_eq!(s, 422, "{what}: {b}");
    }
    let (s, _) = api_post(
        &url,
        &manager,
        "/api/v1/equipment/FA-01/certificate",
        &json!({"file_name": "x.pdf", "base64": "@@not base64@@", "inspection_due": day(300)}),
    );
    assert_eq!(s, 422);
    let big = vec![b'%'; 11 * 1024 * 1024];
    let (s, _) = api_post(
        &url,
        &manager,
        "/api/v1/equipment/FA-01/certificate",
        &upload(&big, "big.pdf", day(300)),
    );
    assert_eq!(s, 413, "over the body limit");
    let (s, _) = api_post(
        &url,
        &manager,
        "/api/v1/equipment/NOPE/certificate",
        &upload(&scan_pdf(), "c.pdf", day(300)),
    );
    assert_eq!(s, 404);
    assert_eq!(register(&url, &manager), before);
    assert_eq!(
        api_bytes(&url, &manager, "/api/v1/equipment/FA-01/certificate").0,
        404
    );

    // A PDF scan and a JPEG photo are kept and come back byte for byte; the
    // new due date makes the inspection valid again.
    let (s, b) = api_post(
        &url,
        &manager,
        "/api/v1/equipment/FA-01/certificate",
        &upload(&scan_pdf(), "年检合格证.pdf", day(364)),
    );
    assert_eq!(s, 200, "{b}");
    assert_eq!(b["certificate"]["mime"], "application/pdf");
    assert_eq!(b["certificate"]["by"], "manager1");
    let (s, kind, bytes) = api_bytes(&url, &cs, "/api/v1/equipment/FA-01/certificate");
    assert_eq!((s, kind.as_str()), (200, "application/pdf"));
    assert_eq!(bytes, scan_pdf());
    let (s, b) = api_post(
        &url,
        &admin,
        "/api/v1/equipment/EL-01/certificate",
        &upload(&jpeg, "lift.jpg", day(365)),
    );
    assert_eq!(s, 200, "{b}");
    let (_, kind, bytes) = api_bytes(&url, &inspector, "/api/v1/equipment/EL-01/certificate");
    assert_eq!((kind.as_str(), bytes), ("image/jpeg", jpeg.clone()));
    assert_eq!(
        api_bytes(&url, &other, "/api/v1/equipment/FA-01/certificate").0,
        404
    );
    // A later edit of the row keeps the certificate.
    assert_eq!(
        api_put(&url, &manager, "/api/v1/equipment/EL-01", &lift).0,
        200
    );
    assert_eq!(
        row(&register(&url, &manager), "EL-01")["equipment"]["certificate"]["file_name"],
        "lift.jpg"
    );

    // The pump maintained today: everything is compliant now.
    let (s, b) = api_post(
        &url,
        &manager,
        "/api/v1/equipment/FP-01/maintenance",
        &json!({"date": day(0)}),
    );
    assert_eq!(s, 200, "{b}");
    let r = register(&url, &manager);
    assert_eq!(r["compliance"]["rate"]["numerator"], 3, "{r}");
    assert_eq!(row(&r, "FP-01")["next_maintenance"], json!(day(30)));

    // The CSV export keeps the certificate's name; the ledger has every change
    // with its author, and verifies.
    let (s, kind, text) = api_text(&url, &manager, "/api/v1/equipment?format=csv");
    assert_eq!(s, 200);
    assert!(kind.starts_with("text/csv"));
    assert!(text.contains("年检合格证.pdf"), "{text}");
    let from = day(-1);
    let to = day(1);
    let (_, _, ledger) = api_text(
        &url,
        &manager,
        &format!("/api/v1/ledger?from={from}&to={to}&format=csv"),
    );
    let ours: Vec<&str> = ledger
        .lines()
        .filter(|l| l.contains(",equipment,"))
        .collect();
    for what in [",add,", ",certify,", ",maintain,", ",change,"] {
        assert!(
            ours.iter().any(|l| l.contains(what)),
            "{what} missing:\n{ledger}"
        );
    }
    assert!(ours.iter().any(|l| l.contains("admin1")), "{ledger}");
    let (_, v) = api_get(&url, &manager, "/api/v1/ledger/verify");
    assert_eq!(v["whole"], true, "{v}");

    // A scan near the size limit (its JSON body past every other route's
    // limit) is taken whole and comes back byte for byte.
    let mut large = b"%PDF-1.4\n%".to_vec();
    large.resize(shared::equipment::MAX_CERTIFICATE_BYTES - 4096, b'x');
    large.extend_from_slice(&scan_pdf()[9..]);
    let (s, b) = api_post(
        &url,
        &manager,
        "/api/v1/equipment/FA-01/certificate",
        &upload(&large, "扫描件.pdf", day(364)),
    );
    assert_eq!(s, 200, "{b}");
    let (s, _, bytes) = api_bytes(&url, &manager, "/api/v1/equipment/FA-01/certificate");
    assert_eq!(s, 200);
    assert!(bytes == large, "the large scan came back whole");
}

/// A webhook receiver on 127.0.0.1:0 keeping the equipment calls.
async fn receiver() -> (String, Arc<Mutex<Vec<Value>>>) {
    let seen: Arc<Mutex<Vec<Value>>> = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |body: String| {
            let log = log.clone();
            async move {
                let body: Value = serde_json::from_str(&body).unwrap_or_default();
                if body["kind"] == "equipment_due" {
                    log.lock().unwrap().push(body);
                }
                axum::http::StatusCode::OK
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (url, seen)
}

fn the_job_reminds_ahead_and_raises_one_issue_for_an_expired_inspection(seeded: Seeded) {
    let server = InProcessServer::serve(seeded.state(), "127.0.0.1:0".parse().unwrap());
    let url = server.url.clone();
    let manager = login_token(&url, "manager1", &seeded.password("manager1"));
    for e in [
        item("EL-02", "elevator", 0, None, Some(day(10))),
        item("EL-03", "elevator", 0, None, Some(day(90))),
        item("GEN-01", "generator", 30, Some(day(-31)), None),
        item("FA-01", "fire_alarm", 0, None, Some(day(-1))),
    ] {
        let code = e["code"].as_str().unwrap().to_string();
        assert_eq!(
            api_put(&url, &manager, &format!("/api/v1/equipment/{code}"), &e).0,
            200
        );
    }
    let issues_before = server_issues(&url, &manager).len();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let (hook_url, seen) = rt.block_on(receiver());
    let hook = Webhook {
        url: hook_url,
        timeout: std::time::Duration::from_secs(5),
    };
    let store: Arc<dyn Store> = seeded.store.clone();
    let client = jobs::client();
    let now = Utc::now();
    let (scan, _) = rt
        .block_on(jobs::run_once(&store, &client, Some(&hook), now))
        .unwrap();
    // EL-02's inspection within the 30 days, GEN-01's maintenance overdue.
    assert_eq!(scan.equipment_reminders, 2, "{scan:?}");
    assert_eq!(scan.equipment_issues, 1, "{scan:?}");
    // Run again, later the same day: nothing new.
    let (again, _) = rt
        .block_on(jobs::run_once(
            &store,
            &client,
            Some(&hook),
            now + Duration::hours(1),
        ))
        .unwrap();
    assert_eq!((again.equipment_reminders, again.equipment_issues), (0, 0));

    let calls = seen.lock().unwrap().clone();
    let mut about: Vec<(String, String)> = calls
        .iter()
        .map(|c| {
            (
                c["equipment"].as_str().unwrap().to_string(),
                c["duty"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    about.sort();
    assert_eq!(
        about,
        [
            ("EL-02".to_string(), "inspection".to_string()),
            ("GEN-01".into(), "maintenance".into())
        ],
        "one call each, not repeated: {calls:?}"
    );
    let el = calls.iter().find(|c| c["equipment"] == "EL-02").unwrap();
    assert_eq!(el["site"], "DEMO");
    assert_eq!(el["due"], json!(day(10)));
    assert_eq!(el["notified"], json!(["manager1"]));
    assert!(el["title"].as_str().unwrap().contains("年检将于"), "{el}");

    // The manager's bell has them, pointing at the equipment.
    let (_, notes) = api_get(&url, &manager, "/api/v1/notifications");
    let text = notes.to_string();
    let ours: Vec<&Value> = notes
        .as_array()
        .map(|a| a.iter().collect())
        .unwrap_or_else(|| notes["notifications"].as_array().unwrap().iter().collect());
    let due: Vec<&Value> = ours
        .iter()
        .map(|n| {
            if n["notification"].is_object() {
                &n["notification"]
            } else {
                *n
            }
        })
        .filter(|n| n["kind"] == "equipment_due")
        .collect();
    assert_eq!(due.len(), 2, "{text}");
    assert!(
        due.iter().any(|n| n["equipment"]["code"] == "GEN-01"),
        "{text}"
    );

    // One issue for the expired inspection, at its checkpoint, raised by the system.
    let issues = server_issues(&url, &manager);
    assert_eq!(issues.len(), issues_before + 1);
    let raised = issues
        .iter()
        .find(|i| i.title.contains("FA-01") && i.title.contains("年检已过期"))
        .expect("the overdue issue");
    assert_eq!(raised.checkpoint.as_deref(), Some("CP-P03"));
    assert_eq!(raised.category, shared::Category::EquipmentFault);
    assert_eq!(raised.status, shared::Status::Recorded);
    let (_, detail) = api_get(&url, &manager, &format!("/api/v1/issues/{}", raised.id));
    assert!(detail.to_string().contains("system"), "{detail}");

    // With a new certificate the alarm is compliant and nothing more is raised.
    let (s, _) = api_post(
        &url,
        &manager,
        "/api/v1/equipment/FA-01/certificate",
        &upload(&scan_pdf(), "c.pdf", day(365)),
    );
    assert_eq!(s, 200);
    let (later, _) = rt
        .block_on(jobs::run_once(
            &store,
            &client,
            Some(&hook),
            now + Duration::days(1),
        ))
        .unwrap();
    assert_eq!(later.equipment_issues, 0);
    assert_eq!(server_issues(&url, &manager).len(), issues_before + 1);
    assert_eq!(kind_rate(&register(&url, &manager), "fire_alarm"), (1, 1));
}

fn the_monthly_report_prints_compliance_by_kind_as_the_api_counts_it(seeded: Seeded) {
    let server = InProcessServer::serve(seeded.state(), "127.0.0.1:0".parse().unwrap());
    let url = server.url.clone();
    let manager = login_token(&url, "manager1", &seeded.password("manager1"));
    for e in [
        item("EL-01", "elevator", 15, Some(day(-2)), Some(day(100))),
        item("EL-02", "elevator", 15, Some(day(-2)), Some(day(-5))),
        item("EX-01", "extinguisher", 30, Some(day(-1)), None),
    ] {
        let code = e["code"].as_str().unwrap().to_string();
        assert_eq!(
            api_put(&url, &manager, &format!("/api/v1/equipment/{code}"), &e).0,
            200
        );
    }
    let api = register(&url, &manager);
    assert_eq!(kind_rate(&api, "elevator"), (1, 2));
    let month = day(0).format("%Y-%m").to_string();

    let (s, kind, pdf) = api_bytes(
        &url,
        &manager,
        &format!("/api/v1/reports/monthly?period={month}&format=pdf"),
    );
    assert_eq!((s, kind.as_str()), (200, "application/pdf"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.pdf");
    std::fs::write(&path, &pdf).unwrap();
    let out = Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("九、设施设备合规"), "{text}");
    assert!(text.contains("设施合规率"), "{text}");
    assert!(text.contains("66.7%"), "2 of 3: {text}");
    assert!(
        text.contains("EL-02"),
        "the expired elevator is listed: {text}"
    );

    let (_, _, xlsx) = api_bytes(
        &url,
        &manager,
        &format!("/api/v1/reports/monthly?period={month}&format=xlsx"),
    );
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(xlsx)).expect("an xlsx");
    let sheet = book
        .worksheet_range("设施合规率")
        .expect("the compliance sheet");
    let rows: Vec<Vec<String>> = sheet
        .rows()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    assert_eq!(rows[0], ["设备类型", "在用", "合规", "合规率"]);
    for k in api["compliance"]["kinds"].as_array().unwrap() {
        let label = match k["kind"].as_str().unwrap() {
            "elevator" => "电梯",
            "extinguisher" => "灭火器",
            other => panic!("{other}"),
        };
        let r = rows
            .iter()
            .find(|r| r[0] == label)
            .unwrap_or_else(|| panic!("{label}: {rows:?}"));
        assert_eq!(r[1], k["rate"]["denominator"].to_string());
        assert_eq!(r[2], k["rate"]["numerator"].to_string());
    }
    let all = rows.iter().find(|r| r[0] == "全部").unwrap();
    assert_eq!((all[1].as_str(), all[2].as_str()), ("3", "2"));
    let faults = book
        .worksheet_range("不合规设备")
        .expect("the faults sheet");
    let codes: Vec<String> = faults.rows().skip(1).map(|r| r[0].to_string()).collect();
    assert_eq!(codes, ["EL-02"]);
}

#[test]
fn a_manager_keeps_the_register_on_the_dashboard() {
    use tests::browser::*;
    let dist = ui_dist();
    let seeded = Seeded::new();
    let server = InProcessServer::serve(
        seeded.state().with_ui_dir(Some(dist)),
        "127.0.0.1:0".parse().unwrap(),
    );
    let url = server.url.clone();
    let manager = login_token(&url, "manager1", &seeded.password("manager1"));
    let pump = item("FP-01", "fire_pump", 30, Some(day(-40)), Some(day(100)));
    assert_eq!(
        api_put(&url, &manager, "/api/v1/equipment/FP-01", &pump).0,
        200
    );
    let files = tempfile::tempdir().unwrap();
    let cert = files.path().join("年检合格证.pdf");
    std::fs::write(&cert, scan_pdf()).unwrap();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let driver = ChromeDriver::start();
    let profile = tempfile::tempdir().unwrap();
    let mut ui = Ui::new(
        rt.block_on(driver.session(1280, 900, profile.path())),
        "dashboard",
    );
    let password = seeded.password("manager1");
    rt.block_on(async {
        ui.log_in(&url, "manager1", &password).await;
        ui.tap("#nav-equipment").await;
        ui.wait_text("#eq-rate", "0.0% (0/1)").await;
        assert_eq!(
            ui.value("#eq-retired").await,
            "no",
            "in service unless chosen"
        );
        // A new elevator from the form.
        ui.type_into("#eq-code", "EL-01").await;
        ui.type_into("#eq-name", "1号楼1号电梯").await;
        ui.choose("#eq-kind", "elevator").await;
        ui.type_into("#eq-checkpoint", "CP-P01").await;
        ui.type_into("#eq-cycle", "15").await;
        ui.set_value("eq-last", &day(-1).to_string()).await;
        ui.set_value("eq-due", &day(20).to_string()).await;
        ui.tap("#eq-save").await;
        ui.find("#eq-EL-01").await;
        ui.wait_text("#eq-rate", "50.0% (1/2)").await;
        ui.wait_text("#eq-EL-01", "即将到期").await;
        // The pump maintained today, and its certificate renewed.
        ui.tap("#eq-FP-01-maintain").await;
        ui.wait_text("#eq-rate", "100.0% (2/2)").await;
        ui.tap("#eq-FP-01-renew").await;
        ui.pick_file("#eq-FP-01-file", &cert).await;
        ui.set_value("eq-FP-01-due", &day(365).to_string()).await;
        ui.tap("#eq-FP-01-certify").await;
        ui.wait_text("#eq-FP-01", "年检合格证.pdf").await;
        ui.c.execute("window.scrollTo(0, 0);", vec![])
            .await
            .unwrap();
        ui.shot("dashboard-equipment").await;
        // A bad row in an import is named by line; nothing is imported.
        let bad = files.path().join("bad.csv");
        std::fs::write(&bad, "设备编号,设备名称,设备类型\nEL-09,电梯,飞船\n").unwrap();
        ui.pick_file("#eq-import-file", &bad).await;
        ui.tap("#eq-import").await;
        ui.wait_text("#eq-import-errors", "飞船").await;
    });
    let r = register(&url, &manager);
    assert_eq!(r["items"].as_array().unwrap().len(), 2);
    assert_eq!(
        row(&r, "FP-01")["equipment"]["last_maintained"],
        json!(day(0))
    );
    assert_eq!(
        row(&r, "FP-01")["equipment"]["inspection_due"],
        json!(day(365))
    );
    assert_eq!(
        row(&r, "FP-01")["equipment"]["certificate"]["file_name"],
        "年检合格证.pdf"
    );
    assert_eq!(row(&r, "EL-01")["equipment"]["checkpoint"], "CP-P01");
}

tests::on_both_stores!(
    the_api_keeps_the_register_by_role_and_site_and_checks_every_certificate,
    the_job_reminds_ahead_and_raises_one_issue_for_an_expired_inspection,
    the_monthly_report_prints_compliance_by_kind_as_the_api_counts_it,
);
