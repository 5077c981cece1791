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
