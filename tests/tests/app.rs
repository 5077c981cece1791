//! The Tauri app in its real engine (WebKitGTK under Xvfb, driven through
//! tauri-driver + WebKitWebDriver): an inspector logs in, the server goes away,
//! the inspector walks a route offline, fails an item, records the issue with a
//! photo from the page's file input; the server comes back, the app syncs, and
//! the issue — photo included — is on the server. Screenshots of each screen are
//! saved under `target/screenshots/`.

use tests::browser::*;
use tests::pictures::*;
use tests::*;

fn app_binary() -> std::path::PathBuf {
    // Beside this test's own directory: the same target dir, wherever it is.
    let app = sibling_bin("patrol-app");
    assert!(
        app.is_file(),
        "the app is not built: run scripts/build-ui, then cargo build -p shell (scripts/test does)"
    );
    app
}

#[test]
fn an_inspector_walks_a_route_offline_and_the_finding_reaches_the_server() {
    ui_dist();
    let app = app_binary();
    let seeded = Seeded::new();
    let state = seeded.state();
    let mut server = InProcessServer::serve(state.clone(), "127.0.0.1:0".parse().unwrap());
    let addr = server.addr;
    let route = &seeded.summary.routes[0];
    let cp = &route.checkpoints[0];
    let total = route.checkpoints.len();
    // An all-day schedule on the route: the task list shows today's window.
    {
        let mut txn = seeded.store.begin().unwrap();
        let spec = sync_server::planning::ScheduleSpec {
            code: "DAY".into(),
            name: "日常巡查".into(),
            route: Some(route.code.clone()),
            repeat: "daily".into(),
            ..Default::default()
        };
        sync_server::planning::put_schedule(&mut *txn, "DEMO", &spec, chrono::Utc::now()).unwrap();
        txn.commit().unwrap();
    }
    let today = tests::site_today();

    let data = tempfile::tempdir().unwrap();
    let xdg = tempfile::tempdir().unwrap();
    let photo_file = data.path().join("IMG_20261126_0915.jpg");
    std::fs::write(
        &photo_file,
        sideways_jpeg(1600, 1200, Some(("2026:11:26 09:15:00", "+08:00"))),
    )
    .unwrap();
    let app_data = data.path().join("device");
    let xvfb = Xvfb::start();
    let driver = TauriDriver::start(
        &xvfb.display,
        &[
            ("PATROL_DATA_DIR", &app_data),
            ("XDG_DATA_HOME", xdg.path()),
        ],
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mut ui = Ui::new(rt.block_on(driver.session(&app)), "app");
    let password = seeded.password("inspector1");

    rt.block_on(async {
        ui.find("#login").await;
        ui.shot("app-login").await;
        ui.type_into("#server", &server.url).await;
        ui.type_into("#user", "inspector1").await;
        ui.type_into("#password", &password).await;
        ui.tap("#login-submit").await;
        ui.find(&format!("#route-{}", route.code)).await;
        ui.wait_text("#online", "在线").await;
        let window = ui
            .wait_text(&format!("[id='window-DAY@{today}']"), &format!("0/{total}"))
            .await;
        assert!(
            window.contains("日常巡查") && window.contains("进行中"),
            "{window}"
        );
        ui.shot("app-tasks").await;
    });

    // The network goes away.
    server.stop();
    rt.block_on(async {
        ui.tap("#sync").await;
        ui.wait_text("#online", "离线").await;
        ui.tap(&format!("#start-{}", route.code)).await;
        ui.wait_text("#walk-progress", &format!("0/{total}")).await;
        // Starting the patrol is itself a change waiting to sync.
        ui.wait_text("#pending", "1 待同步").await;
        ui.shot("app-walk").await;
        ui.tap(&format!("#cp-{}", cp.code)).await;
        ui.type_into("#point-code", "CP-WRONG").await;
        ui.tap("#confirm-code").await;
        ui.find("#code-error").await;
        ui.type_into("#point-code", &cp.code).await;
        ui.tap("#confirm-code").await;
        ui.find("#present").await;
        // Every item answered within limits except the first, which fails.
        for item in cp.items.iter().skip(1) {
            match item.kind {
                "reading" => {
                    let v = match (item.min, item.max) {
                        (Some(a), Some(b)) => (a + b) / 2.0,
                        (Some(a), None) => a + 1.0,
                        (None, Some(b)) => b - 1.0,
                        (None, None) => 1.0,
                    };
                    ui.type_into(&format!("#reading-{}", item.code), &v.to_string())
                        .await;
                }
                _ => ui.tap(&format!("#pass-{}", item.code)).await,
            }
        }
        ui.shot("app-checkpoint").await;
    });
    let failed = &cp.items[0];
    assert_eq!(failed.kind, "pass_fail", "the test fails a pass/fail item");

    // From the checkpoint screen to a saved issue with a photo: counted taps.
    let before = ui.taps;
    rt.block_on(async {
        ui.tap(&format!("#fail-{}", failed.code)).await;
        ui.tap("#save-check").await;
        ui.find("#raise-item").await;
        ui.pick_file("#photo", &photo_file).await;
        ui.find("#photo-thumbs img.thumb").await;
        ui.shot("app-raise").await;
        ui.tap("#save-issue").await;
        ui.wait_text("#walk-progress", &format!("1/{total}")).await;
    });
    let taps = ui.taps - before;
    println!("taps from the checkpoint screen to a saved issue with a photo: {taps}");
    assert!(taps <= 4, "{taps} taps");
    rt.block_on(async {
        ui.find(&format!("#cp-{}.failed", cp.code)).await;
        // The patrol and the issue, the photo's upload copy and thumbnail.
        ui.wait_text("#pending", "4 待同步").await;
        ui.shot("app-offline-walk").await;
    });

    // The server is back: one tap on sync, and everything arrives.
    let server = InProcessServer::serve(state, addr);
    rt.block_on(async {
        ui.tap("#sync").await;
        ui.wait_text("#online", "在线").await;
        ui.wait_text("#pending", "0 待同步").await;
        ui.tap("#nav-issues").await;
        ui.find("#issue-list").await;
        ui.shot("app-my-issues").await;
    });
    let manager_dir = device_dir();
    let manager = device(
        manager_dir.path(),
        &server.url,
        "manager1",
        &seeded.password("manager1"),
    );
    let token = manager.session().unwrap().token;
    let list = server_issues(&server.url, &token);
    let found = list
        .iter()
        .find(|s| s.checkpoint.as_deref() == Some(cp.code.as_str()))
        .expect("the finding is on the server");
    assert_eq!(found.raised_by, "inspector1");
    let (_, detail) = api_get(&server.url, &token, &format!("/api/v1/issues/{}", found.id));
    let photo = &detail["photos"][0];
    assert_eq!(photo["uploaded"], true, "{detail}");
    assert_eq!(photo["taken_at"], "2026-11-26T01:15:00Z");
    // Upright on the server: the original was stored sideways, 1600 × 1200.
    assert_eq!(
        (photo["width"].as_u64(), photo["height"].as_u64()),
        (Some(1200), Some(1600))
    );

    // The manager assigns it on the server; the field worker takes the same
    // device, sees the order, records the fix with an after-photo, syncs.
    let staff = seeded
        .summary
        .users
        .iter()
        .find(|u| u.name == "staff1")
        .expect("staff1");
    let plan_users = manager.plan().unwrap().users;
    let staff_id = plan_users
        .iter()
        .find(|u| u.name.as_str() == staff.name)
        .unwrap()
        .id;
    let assign = serde_json::json!({
        "kind": "assign", "department": "engineering", "assignee": staff_id,
        "assignee_name": "staff1", "deadline": (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339()
    });
    let resp = reqwest::blocking::Client::new()
        .post(format!("{}/api/v1/issues/{}/events", server.url, found.id))
        .bearer_auth(&token)
        .json(&assign)
        .send()
        .unwrap();
    assert_eq!(resp.status(), 200, "{}", resp.text().unwrap_or_default());
    let after_file = data.path().join("after.jpg");
    std::fs::write(&after_file, jpeg(&photo_like(1280, 960, 8), 85, None)).unwrap();
    rt.block_on(async {
        ui.tap("#logout").await;
        ui.type_into("#server", &server.url).await;
        ui.type_into("#user", "staff1").await;
        ui.type_into("#password", &staff.password).await;
        ui.tap("#login-submit").await;
        ui.wait_text("#nav-issues", "我的整改单").await;
        let order = format!("#issue-{}.overdue", found.id);
        ui.find(&order).await;
        ui.shot("app-orders").await;
        ui.tap(&order).await;
        ui.find("#photos-before img.thumb").await;
        ui.type_into("#rectify-note", "已清扫干净").await;
        ui.pick_file("#after-photo", &after_file).await;
        ui.find("#after-photo-thumbs img.thumb").await;
        ui.shot("app-rectify").await;
        ui.tap("#rectify-submit").await;
        ui.find("#detail[data-status=rectified]").await;
        ui.tap("#sync").await;
        ui.wait_text("#pending", "0 待同步").await;
    });
    // A manager reads the analysis in the app: the server's figures, no downloads.
    let month = (chrono::Utc::now() + chrono::Duration::hours(8))
        .format("%Y-%m")
        .to_string();
    let (status, report) = api_get(
        &server.url,
        &token,
        &format!("/api/v1/analytics/kpis?period={month}"),
    );
    assert_eq!(status, 200, "{report}");
    let raised = &report["kpis"]["findings_per_100_checks"];
    rt.block_on(async {
        ui.tap("#logout").await;
        ui.type_into("#server", &server.url).await;
        ui.type_into("#user", "manager1").await;
        ui.type_into("#password", &seeded.password("manager1"))
            .await;
        // A site the manager holds no role at is refused, in Chinese…
        ui.type_into("#site", "NOPE").await;
        ui.tap("#login-submit").await;
        ui.wait_text("#login-error", "您在项目 NOPE 没有角色").await;
        // …the one this tablet works at is accepted (it holds DEMO's records).
        ui.type_into("#site", "DEMO").await;
        ui.tap("#login-submit").await;
        ui.tap("#nav-analytics").await;
        ui.wait_text(
            "#kpi-findings_per_100_checks",
            &format!("{}/{}", raised["numerator"], raised["denominator"]),
        )
        .await;
        assert!(!ui.has(".exports").await, "the app does not offer files");
        ui.shot("app-analytics").await;
        ui.c.close().await.ok();
    });
    let (_, detail) = api_get(&server.url, &token, &format!("/api/v1/issues/{}", found.id));
    assert_eq!(detail["status"], "rectified");
    assert_eq!(detail["photos"][1]["role"], "after");
    assert_eq!(detail["photos"][1]["uploaded"], true, "{detail}");
}
