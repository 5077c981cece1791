//! The managers' web dashboard in headless Chromium against a real server: a
//! manager logs in, filters, assigns; a field worker's device records the fix
//! with an after-photo and syncs; the manager verifies it. Screenshots of each
//! main screen are saved under `target/screenshots/`.

use chrono::Utc;
use device::RaiseInput;
use shared::issue::EventBody;
use shared::{Category, Grade, IssueId, Status};
use tests::browser::*;
use tests::pictures::*;
use tests::*;

fn raise(
    d: &mut device::Device,
    checkpoint: &str,
    category: Category,
    title: &str,
    seed: u64,
) -> IssueId {
    let shot = d
        .add_photo(
            &jpeg(&photo_like(1024, 768, seed), 85, None),
            "IMG.jpg",
            Utc::now(),
        )
        .unwrap();
    d.raise_issue(
        RaiseInput {
            checkpoint: checkpoint.into(),
            item: None,
            category,
            grade: Grade::Deadline,
            title: title.into(),
            description: "巡查发现".into(),
            photos: vec![shot],
        },
        Utc::now(),
    )
    .unwrap()
}

#[test]
fn a_manager_filters_assigns_and_verifies_on_the_dashboard() {
    let dist = ui_dist();
    let seeded = Seeded::new();
    let server = InProcessServer::serve(
        seeded.state().with_ui_dir(Some(dist)),
        "127.0.0.1:0".parse().unwrap(),
    );
    let (di, ds) = (device_dir(), device_dir());
    let mut inspector = device(
        di.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let hazard = raise(
        &mut inspector,
        "CP-R13",
        Category::SafetyHazard,
        "消防通道被占用",
        1,
    );
    let litter = raise(
        &mut inspector,
        "CP-C01",
        Category::HygieneDefect,
        "大堂地面有垃圾",
        2,
    );
    inspector.sync(&opts()).unwrap();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let driver = ChromeDriver::start();
    let profile = tempfile::tempdir().unwrap();
    let mut ui = Ui::new(
        rt.block_on(driver.session(1280, 900, profile.path())),
        "dashboard",
    );
    let password = seeded.password("manager1");
    rt.block_on(async {
        ui.c.goto(&server.url).await.unwrap();
        ui.find("#login").await;
        ui.shot("dashboard-login").await;
        ui.type_into("#user", "manager1").await;
        ui.type_into("#password", &password).await;
        ui.tap("#login-submit").await;
        ui.find(&format!("#issue-{hazard}")).await;
        ui.find(&format!("#issue-{litter}")).await;
        ui.wait_text("#online", "在线").await;
        ui.shot("dashboard-issues").await;
        // English is one tap away, and back.
        ui.tap("#lang").await;
        ui.wait_text("#nav-issues", "Issues").await;
        ui.wait_text("#online", "Online").await;
        ui.shot("dashboard-issues-en").await;
        ui.tap("#lang").await;
        ui.wait_text("#nav-issues", "问题").await;

        // Filter by category: only the hazard stays.
        ui.choose("#f-category", "safety_hazard").await;
        for _ in 0..100 {
            if !ui.has(&format!("#issue-{litter}")).await {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(!ui.has(&format!("#issue-{litter}")).await, "filtered out");
        assert!(ui.has(&format!("#issue-{hazard}")).await);
        ui.choose("#f-status", "verified").await;
        ui.find("#no-issues").await;
        ui.choose("#f-status", "").await;

        // Detail with the before-photo and the timeline, then assign.
        ui.tap(&format!("#issue-{hazard}")).await;
        ui.find("#photos-before img.thumb").await;
        ui.wait_text("#timeline", "inspector1").await;
        ui.shot("dashboard-detail").await;
        ui.choose("#department", "engineering").await;
        ui.choose("#assignee", "staff1").await;
        ui.tap("#assign-submit").await;
        ui.find("#detail[data-status=assigned]").await;
        ui.wait_text("#detail-assignee", "staff1").await;
    });

    // The field worker's phone gets the order, fixes it with an after-photo, syncs.
    let mut staff = device(ds.path(), &server.url, "staff1", &seeded.password("staff1"));
    let view = staff.issue(hazard).unwrap();
    assert_eq!(view.status, Status::Assigned);
    let after = staff
        .add_photo(
            &jpeg(&photo_like(1024, 768, 3), 85, None),
            "after.jpg",
            Utc::now(),
        )
        .unwrap();
    staff
        .issue_event(
            hazard,
            EventBody::Rectify {
                note: "已清理通道".into(),
                photos: vec![after],
            },
            true,
            Utc::now(),
        )
        .unwrap();
    let report = staff.sync(&opts()).unwrap();
    assert_eq!(report.photos.failed.len(), 0);

    rt.block_on(async {
        ui.tap("#nav-issues").await;
        ui.tap(&format!("#issue-{hazard}")).await;
        ui.find("#detail[data-status=rectified]").await;
        ui.find("#photos-after img.thumb").await;
        ui.shot("dashboard-rectified").await;
        ui.type_into("#verify-note", "复查合格").await;
        ui.tap("#verify-accept").await;
        ui.find("#detail[data-status=verified]").await;
        ui.wait_text("#timeline", "复查合格").await;
        ui.shot("dashboard-verified").await;
        ui.c.close().await.ok();
    });
    let token = inspector.session().unwrap().token;
    let (_, detail) = api_get(&server.url, &token, &format!("/api/v1/issues/{hazard}"));
    assert_eq!(detail["status"], "verified");
    assert_eq!(detail["timeline"].as_array().unwrap().len(), 4);

    // Phone width: nothing overflows sideways and every button is a 44 px target.
    let phone_profile = tempfile::tempdir().unwrap();
    let ui = Ui::new(
        rt.block_on(driver.session(360, 780, phone_profile.path())),
        "phone",
    );
    rt.block_on(async {
        ui.c.goto(&server.url).await.unwrap();
        ui.type_into("#user", "manager1").await;
        ui.type_into("#password", &password).await;
        ui.find("#login-submit").await.click().await.unwrap();
        ui.find(&format!("#issue-{hazard}")).await;
        let fits =
            ui.c.execute(
                "return document.documentElement.scrollWidth <= window.innerWidth;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(
            fits,
            serde_json::json!(true),
            "no sideways scrolling at 360 px"
        );
        let small = ui
            .c
            .execute(
                "return [...document.querySelectorAll('button, select, input:not([type=checkbox])')]
                    .filter(e => e.offsetParent !== null && e.getBoundingClientRect().height < 44)
                    .map(e => e.id || e.textContent);",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(small, serde_json::json!([]), "touch targets under 44 px");
        ui.shot("dashboard-phone").await;
        ui.c.close().await.ok();
    });
}
