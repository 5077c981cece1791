//! Printable forms read back as a person reads them: the rectification
//! notice (整改通知单) of an issue raised, assigned and fixed through real
//! devices, fetched from a real server on 127.0.0.1 and from the command line,
//! then read with poppler (`pdftotext`, `pdfimages`, `pdfinfo`, `pdftoppm`)
//! and its QR code decoded from the rendered page.

use chrono::{Duration, Utc};
use shared::issue::EventBody;
use shared::{Category, Grade};
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use tests::pictures::*;
use tests::*;

const SERVER: &str = env!("CARGO_BIN_EXE_e2e-sync-server");

fn tool(name: &str, args: &[&str], file: &Path) -> String {
    let out = Command::new(name)
        .args(args)
        .arg(file)
        // pdftotext writes to a file beside the PDF unless told `-`.
        .args(if name == "pdftotext" {
            &["-"][..]
        } else {
            &[][..]
        })
        .output()
        .unwrap_or_else(|e| panic!("{name} runs (scripts/setup installs poppler-utils): {e}"));
    assert!(out.status.success(), "{name}: {out:?}");
    String::from_utf8(out.stdout).unwrap()
}

/// The text of a PDF, its page count and how many images it holds.
fn read_pdf(pdf: &Path) -> (String, usize, usize) {
    let text = tool("pdftotext", &["-layout"], pdf) + &tool("pdftotext", &["-raw"], pdf);
    let info = tool("pdfinfo", &[], pdf);
    let pages = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let images = tool("pdfimages", &["-list"], pdf).lines().skip(2).count();
    (text, pages, images)
}

/// The PDF's first page as a PNG file at `dpi`.
fn render(pdf: &Path, dpi: u32, png: &Path) {
    let prefix = png.with_extension("");
    let out = Command::new("pdftoppm")
        .args([
            "-r",
            &dpi.to_string(),
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
        ])
        .arg(pdf)
        .arg(&prefix)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
}

/// The QR codes found on the PDF's first page, rendered at `dpi`.
fn qr_codes(pdf: &Path, dpi: u32) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let png = dir.path().join("page.png");
    render(pdf, dpi, &png);
    let img = image::open(&png).unwrap().to_luma8();
    let mut prepared = rqrr::PreparedImage::prepare(img);
    prepared
        .detect_grids()
        .into_iter()
        .filter_map(|g| g.decode().ok().map(|(_, text)| text))
        .collect()
}

#[test]
fn a_fixed_issue_prints_its_notice_with_photos_captions_the_fix_and_a_qr_code_that_opens_it() {
    let seeded = Seeded::new();
    let server = InProcessServer::serve(seeded.state(), "127.0.0.1:0".parse().unwrap());
    let url = server.url.clone();
    let dirs = (device_dir(), device_dir());
    let mut inspector = device(
        dirs.0.path(),
        &url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let mut staff = device(dirs.1.path(), &url, "staff2", &seeded.password("staff2"));
    let shots: Vec<_> = (0..2)
        .map(|i| {
            inspector
                .add_photo(
                    &jpeg(&photo_like(1200, 900, 40 + i), 85, None),
                    "IMG.jpg",
                    Utc::now(),
                )
                .unwrap()
        })
        .collect();
    let id = inspector
        .raise_issue(
            device::RaiseInput {
                checkpoint: "CP-R09".into(),
                item: None,
                category: Category::HygieneDefect,
                grade: Grade::Deadline,
                title: "东区垃圾桶满溢".into(),
                description: "两个垃圾桶满溢，地面有散落垃圾，需当日清运并冲洗地面。".into(),
                photos: shots,
            },
            Utc::now(),
        )
        .unwrap();
    inspector.sync(&opts()).unwrap();
    let manager = login_token(&url, "manager1", &seeded.password("manager1"));
    let staff2 = inspector.plan().unwrap().user_by_name("staff2").unwrap().id;
    let deadline = Utc::now() + Duration::days(2);
    let (status, body) = api_post(
        &url,
        &manager,
        &format!("/api/v1/issues/{id}/events"),
        &serde_json::json!({"kind": "assign", "department": "cleaning", "assignee": staff2,
            "assignee_name": "staff2", "deadline": deadline}),
    );
    assert_eq!(status, 200, "{body}");

    // Before the fix: the notice says so.
    let fetch = |token: &str| {
        reqwest::blocking::Client::new()
            .get(format!("{url}/api/v1/issues/{id}/notice.pdf"))
            .bearer_auth(token)
            .send()
            .unwrap()
    };
    let resp = fetch(&manager);
    assert_eq!(resp.status().as_u16(), 200);
    assert_eq!(resp.headers()["content-type"], "application/pdf");
    let dir = tempfile::tempdir().unwrap();
    let open = dir.path().join("open.pdf");
    std::fs::write(&open, resp.bytes().unwrap()).unwrap();
    let (text, pages, images) = read_pdf(&open);
    assert!(text.contains("尚未整改"), "{text}");
    assert_eq!((pages, images), (1, 2), "{text}");

    // The fix, with an after-photo, recorded on the field staff's phone.
    staff.sync(&opts()).unwrap();
    let after = staff
        .add_photo(
            &jpeg(&photo_like(900, 1200, 77), 85, None),
            "IMG2.jpg",
            Utc::now(),
        )
        .unwrap();
    staff
        .issue_event(
            id,
            EventBody::Rectify {
                note: "已清运并冲洗地面".into(),
                photos: vec![after],
            },
            true,
            Utc::now(),
        )
        .unwrap();
    staff.sync(&opts()).unwrap();

    let resp = fetch(&manager);
    assert_eq!(resp.status().as_u16(), 200);
    let fixed = dir.path().join("fixed.pdf");
    std::fs::write(&fixed, resp.bytes().unwrap()).unwrap();
    let (text, pages, images) = read_pdf(&fixed);
    assert!(pages >= 1);
    assert_eq!(images, 3, "two photos of the problem and one of the fix");
    let (site_name, number) = {
        let plan = inspector.plan().unwrap();
        let view = inspector.issue(id).unwrap();
        (
            plan.site.name.clone(),
            sync_server::forms::notice_number(&view, &plan),
        )
    };
    assert!(number.starts_with("ZG-DEMO-"), "{number}");
    let local = deadline
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d %H:%M")
        .to_string();
    for want in [
        "整改通知单",
        number.as_str(),
        &id.to_string(),
        site_name.as_str(),
        "CP-R09",
        "东区垃圾桶满溢",
        "地面有散落垃圾",
        "卫生缺陷",
        "限期整改",
        "保洁",
        "刘保洁",
        &local,
        "现场照片（2 张）",
        "整改后照片（1 张）",
        "已清运并冲洗地面",
        "现场照片",
        "整改后照片",
        "责任部门签收",
        "品质部确认",
    ] {
        assert!(
            text.contains(want),
            "the notice should say {want:?}:\n{text}"
        );
    }
    assert!(!text.contains("尚未整改"), "{text}");
    // The QR code opens the issue on the dashboard the notice came from.
    assert_eq!(qr_codes(&fixed, 150), vec![format!("{url}/#/issues/{id}")]);
    // The first page as a person sees it, for the README.
    let shots = browser::screenshot_dir();
    std::fs::create_dir_all(&shots).unwrap();
    render(&fixed, 60, &shots.join("form-notice.png"));

    // The same notice from the command line.
    let cli = dir.path().join("cli.pdf");
    let out = Command::new(SERVER)
        .args([
            "report",
            "notice",
            "--site",
            "DEMO",
            "--issue",
            &id.to_string(),
        ])
        .args(["--public-url", "https://patrol.example.com"])
        .arg("--out")
        .arg(&cli)
        .arg("--data-dir")
        .arg(seeded.dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let (cli_text, _, cli_images) = read_pdf(&cli);
    assert!(cli_text.contains(&number) && cli_text.contains("已清运并冲洗地面"));
    assert_eq!(cli_images, 3);
    assert_eq!(
        qr_codes(&cli, 150),
        vec![format!("https://patrol.example.com/#/issues/{id}")]
    );

    // Another site's manager gets no notice of it, a bad id is refused, and
    // without a login there is nothing.
    seeded.add_other_site("manager9", shared::Role::Manager);
    let other = login_token(&url, "manager9", "other-password");
    assert_eq!(fetch(&other).status().as_u16(), 404);
    let (status, _) = api_get(&url, &manager, "/api/v1/issues/not-an-id/notice.pdf");
    assert_eq!(status, 400);
    let anon = reqwest::blocking::get(format!("{url}/api/v1/issues/{id}/notice.pdf")).unwrap();
    assert_eq!(anon.status().as_u16(), 401);
}

/// Every sheet of a workbook by name, each row's cells as text.
fn workbook(bytes: &[u8]) -> std::collections::BTreeMap<String, Vec<Vec<String>>> {
    use calamine::Reader;
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes.to_vec())).expect("an xlsx");
    book.sheet_names()
        .into_iter()
        .map(|name| {
            let range = book.worksheet_range(&name).expect("a sheet");
            let rows = range
                .rows()
                .map(|r| r.iter().map(|c| c.to_string()).collect())
                .collect();
            (name, rows)
        })
        .collect()
}

/// The column of `header` in a sheet's first row.
fn column(rows: &[Vec<String>], header: &str) -> usize {
    rows[0]
        .iter()
        .position(|h| h == header)
        .unwrap_or_else(|| panic!("no column {header} in {:?}", rows[0]))
}

#[test]
fn a_walked_route_prints_its_record_sheet_and_workbook_with_readings_evidence_and_findings() {
    let seeded = Seeded::new();
    let server = InProcessServer::serve(seeded.state(), "127.0.0.1:0".parse().unwrap());
    let url = server.url.clone();
    let di = device_dir();
    let mut tablet = device(
        di.path(),
        &url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    // A round walked an hour ago (device clock), site time UTC+8.
    let route = &seeded.summary.routes[0];
    let t0 = Utc::now() - Duration::hours(1);
    let offset = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let day = t0.with_timezone(&offset).date_naive().to_string();
    let run = tablet.patrol_start(&route.code, t0).unwrap().run.id;
    // The first point scanned on arrival and checked 95 s later; the point
    // with a reading read out of its limits, and an issue raised on it; one
    // point checked without confirming its code first; the rest skipped.
    let first = &route.checkpoints[0];
    tablet
        .patrol_arrive(&first.code, t0 + Duration::seconds(60))
        .unwrap();
    tablet
        .patrol_check(
            &first.code,
            &passing_answers(first),
            t0 + Duration::seconds(155),
        )
        .unwrap();
    let (metered, gauge) = route
        .checkpoints
        .iter()
        .find_map(|c| c.items.iter().find(|i| i.kind == "reading").map(|i| (c, i)))
        .expect("a route point with a reading");
    assert_ne!(metered.code, first.code);
    let low = gauge.min.unwrap_or(0.0) - 7.5;
    let answers: Vec<(String, shared::patrol::Answer)> = metered
        .items
        .iter()
        .map(|i| {
            let a = if i.code == gauge.code {
                shared::patrol::Answer::Reading(low)
            } else if i.kind == "reading" {
                shared::patrol::Answer::Na
            } else {
                shared::patrol::Answer::Pass
            };
            (i.code.clone(), a)
        })
        .collect();
    tablet
        .patrol_arrive(&metered.code, t0 + Duration::seconds(300))
        .unwrap();
    tablet
        .patrol_check(&metered.code, &answers, t0 + Duration::seconds(340))
        .unwrap();
    let issue = tablet
        .raise_issue(
            device::RaiseInput {
                checkpoint: metered.code.clone(),
                item: Some(gauge.code.clone()),
                category: Category::EquipmentFault,
                grade: Grade::Deadline,
                title: "读数低于下限".into(),
                description: String::new(),
                photos: vec![],
            },
            t0 + Duration::seconds(360),
        )
        .unwrap();
    let third = route
        .checkpoints
        .iter()
        .find(|c| c.code != first.code && c.code != metered.code)
        .unwrap();
    tablet
        .patrol_check(
            &third.code,
            &passing_answers(third),
            t0 + Duration::seconds(500),
        )
        .unwrap();
    tablet.sync(&opts()).unwrap();

    // What the API says about the run: the figures the forms must repeat.
    let manager = login_token(&url, "manager1", &seeded.password("manager1"));
    let (status, detail) = api_get(&url, &manager, &format!("/api/v1/patrols/{run}"));
    assert_eq!(status, 200, "{detail}");
    let results = detail["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let received = |code: &str| -> String {
        let r = results
            .iter()
            .find(|r| r["result"]["checkpoint_code"] == code)
            .unwrap();
        let t: chrono::DateTime<Utc> = serde_json::from_value(r["received_at"].clone()).unwrap();
        t.with_timezone(&offset)
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    let skipped = detail["skipped"].as_array().unwrap().len();
    assert_eq!(skipped, route.checkpoints.len() - 3);

    // The PDF reads as the sheet a reviewer signs.
    let dir = tempfile::tempdir().unwrap();
    let (status, kind, pdf) =
        api_bytes(&url, &manager, &format!("/api/v1/patrols/sheet?date={day}"));
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&pdf));
    assert_eq!(kind, "application/pdf");
    let sheet = dir.path().join("sheet.pdf");
    std::fs::write(&sheet, &pdf).unwrap();
    let (text, pages, _) = read_pdf(&sheet);
    assert!(pages >= 1);
    let inspector_name = tablet
        .plan()
        .unwrap()
        .user_by_name("inspector1")
        .unwrap()
        .display_name
        .clone();
    let first_received = received(&first.code);
    for want in [
        "巡查记录表",
        day.as_str(),
        route.code.as_str(),
        route.name.as_str(),
        inspector_name.as_str(),
        first.code.as_str(),
        first.name.as_str(),
        metered.code.as_str(),
        "不合格",
        &format!("{low}"),
        &format!("手输点码 {}", first.code),
        "停留 95 秒",
        &format!("接收 {}", &first_received[11..]),
        &format!(
            "检查 {}",
            (t0 + Duration::seconds(155))
                .with_timezone(&offset)
                .format("%H:%M:%S")
        ),
        "停留时长未知",
        &format!("未检点位（{skipped} 个）"),
        "发现问题（1 项）",
        "读数低于下限",
        &issue.to_string(),
        "巡查人签字",
        "复核人签字",
    ] {
        assert!(
            text.contains(want),
            "the sheet should say {want:?}:\n{text}"
        );
    }
    let shots = browser::screenshot_dir();
    std::fs::create_dir_all(&shots).unwrap();
    render(&sheet, 60, &shots.join("form-patrol-sheet.png"));

    // The workbook holds the same results, cell by cell.
    let (status, kind, xlsx) = api_bytes(
        &url,
        &manager,
        &format!("/api/v1/patrols/sheet?date={day}&format=xlsx"),
    );
    assert_eq!(status, 200);
    assert!(kind.contains("spreadsheetml"), "{kind}");
    let book = workbook(&xlsx);
    let rows = &book["巡查记录"];
    let items: usize = results
        .iter()
        .map(|r| r["result"]["items"].as_array().unwrap().len())
        .sum();
    assert_eq!(rows.len(), 1 + items, "a row per answered item");
    let (code, item, outcome, reading, min, dwell, recv) = (
        column(rows, "点位编码"),
        column(rows, "检查项编码"),
        column(rows, "结果"),
        column(rows, "读数"),
        column(rows, "下限"),
        column(rows, "停留(秒)"),
        column(rows, "服务器接收时间"),
    );
    for r in results {
        let cp = r["result"]["checkpoint_code"].as_str().unwrap();
        let mine: Vec<&Vec<String>> = rows[1..].iter().filter(|x| x[code] == cp).collect();
        assert_eq!(mine.len(), r["result"]["items"].as_array().unwrap().len());
        assert!(mine.iter().all(|x| x[recv] == received(cp)), "{mine:?}");
    }
    let gauge_row = rows[1..]
        .iter()
        .find(|x| x[code] == metered.code && x[item] == gauge.code)
        .unwrap();
    assert_eq!(gauge_row[outcome], "不合格");
    assert_eq!(gauge_row[reading].parse::<f64>().unwrap(), low);
    assert_eq!(
        gauge_row[min].parse::<f64>().ok(),
        gauge.min,
        "{gauge_row:?}"
    );
    assert!(
        rows[1..]
            .iter()
            .filter(|x| x[code] == first.code)
            .all(|x| x[dwell] == "95")
    );
    assert_eq!(book["未检点位"].len(), 1 + skipped);
    let findings = &book["发现问题"];
    assert_eq!(findings.len(), 2);
    assert!(findings[1].contains(&issue.to_string()), "{findings:?}");

    // The same sheet from the command line, filtered by route and inspector.
    for out in ["cli.pdf", "cli.xlsx"] {
        let path = dir.path().join(out);
        let status = Command::new(SERVER)
            .args(["report", "patrol-sheet", "--site", "DEMO", "--date", &day])
            .args(["--route", &route.code, "--inspector", "inspector1"])
            .arg("--out")
            .arg(&path)
            .arg("--data-dir")
            .arg(seeded.dir.path())
            .output()
            .unwrap();
        assert!(status.status.success(), "{status:?}");
    }
    let (cli_text, _, _) = read_pdf(&dir.path().join("cli.pdf"));
    assert!(cli_text.contains(&issue.to_string()) && cli_text.contains("停留 95 秒"));
    let cli_book = workbook(&std::fs::read(dir.path().join("cli.xlsx")).unwrap());
    assert_eq!(
        cli_book["巡查记录"], *rows,
        "the CLI writes the API's cells"
    );
    let bad = Command::new(SERVER)
        .args(["report", "patrol-sheet", "--site", "DEMO", "--date", &day])
        .arg("--out")
        .arg(dir.path().join("sheet.doc"))
        .arg("--data-dir")
        .arg(seeded.dir.path())
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains(".pdf or .xlsx"));

    // Another inspector's sheet of the day holds none of inspector1's round.
    let other = login_token(&url, "inspector2", &seeded.password("inspector2"));
    let (status, _, own) = api_bytes(&url, &other, &format!("/api/v1/patrols/sheet?date={day}"));
    assert_eq!(status, 200);
    let own_pdf = dir.path().join("own.pdf");
    std::fs::write(&own_pdf, own).unwrap();
    let (own_text, _, _) = read_pdf(&own_pdf);
    assert!(own_text.contains("当日无巡查记录"), "{own_text}");
    assert!(!own_text.contains(&issue.to_string()));
    // Filters that match nothing print an empty sheet; wrong input is refused.
    let (_, _, none) = api_bytes(
        &url,
        &manager,
        &format!("/api/v1/patrols/sheet?date={day}&inspector=inspector2&format=xlsx"),
    );
    assert_eq!(workbook(&none)["巡查记录"].len(), 1, "headers only");
    for (bad, zh) in [
        ("date=2026-13-01".to_string(), "不是日期"),
        (format!("date={day}&route=NOPE"), "没有路线"),
        (format!("date={day}&inspector=nobody"), "没有用户"),
        (format!("date={day}&format=docx"), "pdf 或 xlsx"),
    ] {
        let (status, body) = api_get(&url, &manager, &format!("/api/v1/patrols/sheet?{bad}"));
        assert_eq!(status, 422, "{bad}: {body}");
        assert!(message_zh(&body).contains(zh), "{bad}: {body}");
    }
    let (status, _) = api_get(&url, &manager, "/api/v1/patrols/sheet");
    assert_eq!(status, 400, "no date");
    let anon = reqwest::blocking::get(format!("{url}/api/v1/patrols/sheet?date={day}")).unwrap();
    assert_eq!(anon.status().as_u16(), 401);
}

#[test]
fn the_month_just_ended_is_reported_once_announced_once_and_reads_back_as_the_analysis() {
    use sync_server::store::Store;
    let seeded = Seeded::new();
    let now = Utc::now();
    {
        // Forty days of the estate's life, so the month just ended has some.
        let mut txn = seeded.store.begin().unwrap();
        sync_server::seed::demo_past(&mut *txn, now, 40).unwrap();
        txn.commit().unwrap();
    }
    let server = InProcessServer::serve(seeded.state(), "127.0.0.1:0".parse().unwrap());
    let url = server.url.clone();
    let manager = login_token(&url, "manager1", &seeded.password("manager1"));
    let offset = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let period = sync_server::monthly::previous_month(offset, now);

    // Before the job, nothing is stored; asked for, the report is made on demand.
    let (status, list) = api_get(&url, &manager, "/api/v1/reports");
    assert_eq!(
        (status, list.clone()),
        (200, serde_json::json!([])),
        "{list}"
    );
    let fetch = |query: &str| {
        let resp = reqwest::blocking::Client::new()
            .get(format!("{url}/api/v1/reports/monthly?{query}"))
            .bearer_auth(&manager)
            .send()
            .unwrap();
        let status = resp.status().as_u16();
        let stored = resp
            .headers()
            .get("x-report-stored")
            .map(|v| v.to_str().unwrap().to_string());
        (status, stored, resp.bytes().unwrap().to_vec())
    };
    let (status, stored, _) = fetch(&format!("period={period}"));
    assert_eq!((status, stored.as_deref()), (200, Some("false")));

    // The job runs on the 1st — twice in a row, then twice at once — and a
    // webhook listens.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let calls: Arc<std::sync::Mutex<Vec<serde_json::Value>>> = Arc::default();
    let hook_url = {
        let calls = calls.clone();
        rt.block_on(async move {
            let app = axum::Router::new().route(
                "/hook",
                axum::routing::post(move |body: String| {
                    let calls = calls.clone();
                    async move {
                        calls
                            .lock()
                            .unwrap()
                            .push(serde_json::from_str(&body).unwrap());
                        axum::http::StatusCode::OK
                    }
                }),
            );
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let url = format!("http://{}/hook", listener.local_addr().unwrap());
            tokio::spawn(async move { axum::serve(listener, app).await.ok() });
            url
        })
    };
    let hook = sync_server::jobs::Webhook {
        url: hook_url,
        timeout: std::time::Duration::from_secs(5),
    };
    let store: Arc<dyn Store> = seeded.store.clone();
    let client = sync_server::jobs::client();
    let mut made = 0;
    for _ in 0..2 {
        let (s, _) = rt
            .block_on(sync_server::jobs::run_once(
                &store,
                &client,
                Some(&hook),
                now,
            ))
            .unwrap();
        made += s.reports;
    }
    let (a, b) = rt.block_on(async {
        tokio::join!(
            sync_server::jobs::run_once(&store, &client, Some(&hook), now),
            sync_server::jobs::run_once(&store, &client, Some(&hook), now)
        )
    });
    made += a.unwrap().0.reports + b.unwrap().0.reports;
    assert_eq!(made, 1, "one report for the one site");
    let (_, list) = api_get(&url, &manager, "/api/v1/reports");
    let list = list.as_array().unwrap().clone();
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(list[0]["period"], period.as_str());
    let head = list[0]["ledger_head"].as_str().unwrap().to_string();
    let announced: Vec<serde_json::Value> = calls
        .lock()
        .unwrap()
        .iter()
        .filter(|c| c["kind"] == "monthly_report")
        .cloned()
        .collect();
    assert_eq!(announced.len(), 1, "announced once: {announced:?}");
    assert_eq!(announced[0]["site"], "DEMO");
    assert_eq!(announced[0]["period"], period.as_str());
    assert_eq!(announced[0]["ledger_head"], head.as_str());

    // The chain head it printed is an entry of the ledger.
    let (status, _, ledger) = api_text(
        &url,
        &manager,
        &format!(
            "/api/v1/ledger?from={period}-01&to={}&format=csv",
            now.with_timezone(&offset).date_naive()
        ),
    );
    assert_eq!(status, 200);
    assert!(ledger.contains(&head), "the head {head} is in the ledger");

    // The stored PDF says what the analysis says.
    let (status, stored, pdf) = fetch(&format!("period={period}"));
    assert_eq!((status, stored.as_deref()), (200, Some("true")));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("monthly.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let (text, pages, _) = read_pdf(&file);
    assert!(pages >= 2, "{pages}");
    let (status, analysis) = api_get(
        &url,
        &manager,
        &format!("/api/v1/analytics/kpis?period={period}"),
    );
    assert_eq!(status, 200);
    let k = &analysis["kpis"];
    let mut wants = vec![
        "月度品质报告".to_string(),
        format!("报告期：{period}"),
        "台账链头".into(),
        head.clone(),
        "关键指标".into(),
        "近八周趋势".into(),
        "主要问题".into(),
        "逾期未整改".into(),
        "重复问题及根因分析".into(),
        "巡查覆盖".into(),
        "投诉与满意度".into(),
        "部门对比".into(),
        "暂无调查数据".into(),
    ];
    for (name, label) in [
        ("coverage", "巡查完成率"),
        ("pass_rate", "检查合格率"),
        ("on_time_rectification", "整改及时率"),
        ("callback_satisfaction", "回访满意率"),
    ] {
        wants.push(label.into());
        if let Some(v) = k[name]["value"].as_f64() {
            wants.push(format!("{:.1}%", v * 100.0));
            wants.push(format!(
                "{} / {}",
                k[name]["numerator"], k[name]["denominator"]
            ));
        }
    }
    for want in &wants {
        assert!(
            text.contains(want.as_str()),
            "the report should say {want:?}:\n{text}"
        );
    }
    let shots = browser::screenshot_dir();
    std::fs::create_dir_all(&shots).unwrap();
    render(&file, 60, &shots.join("form-monthly-report.png"));

    // Its workbook: the KPI sheet is the analysis export cell by cell, the
    // overdue list is the drill-down of the backlog.
    let (status, stored, xlsx) = fetch(&format!("period={period}&format=xlsx"));
    assert_eq!((status, stored.as_deref()), (200, Some("true")));
    let book = workbook(&xlsx);
    let (_, _, export) = api_bytes(
        &url,
        &manager,
        &format!("/api/v1/analytics/export?period={period}&table=kpis"),
    );
    assert_eq!(book["指标"], workbook(&export)["指标"]);
    let (_, overdue) = api_get(
        &url,
        &manager,
        &format!("/api/v1/analytics/issues?period={period}&kpi=overdue_backlog&part=numerator"),
    );
    let mut want: Vec<String> = overdue
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    let mut got: Vec<String> = book["逾期未整改"][1..]
        .iter()
        .map(|r| r[0].clone())
        .collect();
    want.sort();
    got.sort();
    assert_eq!(got, want);
    let about = &book["报告信息"];
    assert!(about.iter().any(|r| r[1] == head), "{about:?}");
    for sheet in ["周趋势", "问题类别", "部门排名", "路线", "重复问题", "投诉"] {
        assert!(book.contains_key(sheet), "{sheet} in {:?}", book.keys());
    }

    // The command line hands out the same stored copy.
    let cli = dir.path().join("cli.pdf");
    let out = Command::new(SERVER)
        .args(["report", "monthly", "--site", "DEMO", "--period", &period])
        .arg("--out")
        .arg(&cli)
        .arg("--data-dir")
        .arg(seeded.dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("the stored copy"));
    assert_eq!(std::fs::read(&cli).unwrap(), pdf);

    // Wrong input is refused in Chinese; an inspector reads no reports.
    for (bad, zh) in [
        ("period=2026-13".to_string(), "不是月份"),
        ("period=2026-11-01".to_string(), "不是月份"),
        (format!("period={period}&format=doc"), "pdf 或 xlsx"),
    ] {
        let (status, body) = api_get(&url, &manager, &format!("/api/v1/reports/monthly?{bad}"));
        assert_eq!(status, 422, "{bad}: {body}");
        assert!(message_zh(&body).contains(zh), "{bad}: {body}");
    }
    let inspector = login_token(&url, "inspector1", &seeded.password("inspector1"));
    for path in [
        "/api/v1/reports".to_string(),
        format!("/api/v1/reports/monthly?period={period}"),
    ] {
        let (status, _) = api_get(&url, &inspector, &path);
        assert_eq!(status, 403, "{path}");
    }
    let anon = reqwest::blocking::get(format!("{url}/api/v1/reports")).unwrap();
    assert_eq!(anon.status().as_u16(), 401);
}
