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
        // People by name, steps by label.
        ui.wait_text("#timeline", "王巡查").await;
        ui.wait_text("#timeline", "登记问题").await;
        ui.shot("dashboard-detail").await;
        ui.choose("#department", "engineering").await;
        ui.choose("#assignee", "staff1").await;
        ui.tap("#assign-submit").await;
        ui.find("#detail[data-status=assigned]").await;
        ui.wait_text("#detail-assignee", "staff1").await;
        // The rectification notice downloads without a word of complaint.
        ui.wait_text("#notice-pdf", "整改通知单").await;
        ui.tap("#notice-pdf").await;
        ui.wait_text("#banner", "整改通知单已生成").await;
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

const BAD_CHECKPOINTS: &str =
    "点位编码,点位名称,区域编码,区域名称,区域类型,检查表编码,坐标X,坐标Y,路线
CP-W01,泳池东侧,Z-POOL,会所泳池,公共设施,T-POOL,10,5,R9
CP W02,泳池西侧,Z-POOL,会所泳池,公共设施,T-POOL,2,5,R9
";
const CHECKLISTS: &str = "\u{feff}检查表编码,检查表名称,检查项编码,检查项,类别,方式,下限,上限,单位
T-POOL,泳池,water_clear,池水清澈,环境卫生,合格判定,,,
";

#[test]
fn an_admin_sets_up_the_plan_and_a_manager_reviews_presence_on_the_dashboard() {
    let dist = ui_dist();
    let seeded = Seeded::new();
    let server = InProcessServer::serve(
        seeded.state().with_ui_dir(Some(dist)),
        "127.0.0.1:0".parse().unwrap(),
    );
    let files = tempfile::tempdir().unwrap();
    let bad = files.path().join("点位.csv");
    std::fs::write(&bad, BAD_CHECKPOINTS).unwrap();
    let good = files.path().join("点位-改.csv");
    std::fs::write(&good, BAD_CHECKPOINTS.replace("CP W02", "CP-W02")).unwrap();
    let checklists = files.path().join("检查表.csv");
    std::fs::write(&checklists, CHECKLISTS).unwrap();

    // An inspector walks two checkpoints: one confirmed on arrival, one not.
    let di = device_dir();
    let mut inspector = device(
        di.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let plan = inspector.plan().unwrap();
    let r1 = plan.route_by_code("R1").unwrap();
    let points: Vec<&shared::plan::Checkpoint> = r1
        .checkpoints
        .iter()
        .take(2)
        .map(|id| plan.checkpoint(*id).unwrap())
        .collect();
    let passes = |cp: &shared::plan::Checkpoint| -> Vec<(String, shared::patrol::Answer)> {
        plan.template(cp.template, cp.template_version)
            .unwrap()
            .items
            .iter()
            .map(|i| (i.code.to_string(), shared::patrol::Answer::Na))
            .collect()
    };
    // Five minutes ago, or just after midnight: today, in the site's zone.
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let today = tests::site_today();
    let midnight = today
        .and_hms_opt(0, 0, 1)
        .unwrap()
        .and_local_timezone(tz)
        .unwrap()
        .with_timezone(&Utc);
    let t0 = (Utc::now() - chrono::Duration::minutes(5)).max(midnight);
    inspector.patrol_start("R1", t0).unwrap();
    inspector
        .patrol_arrive(points[0].code.as_str(), t0)
        .unwrap();
    inspector
        .patrol_check(
            points[0].code.as_str(),
            &passes(points[0]),
            t0 + chrono::Duration::seconds(42),
        )
        .unwrap();
    inspector
        .patrol_check(
            points[1].code.as_str(),
            &passes(points[1]),
            t0 + chrono::Duration::seconds(90),
        )
        .unwrap();
    let run = inspector.open_patrol().unwrap().unwrap().run.id;
    // An issue nobody takes on: two days later the job escalates it to the manager.
    let ignored = raise(
        &mut inspector,
        "CP-C01",
        Category::SafetyHazard,
        "电梯厅灯不亮",
        9,
    );
    inspector.sync(&opts()).unwrap();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let store: std::sync::Arc<dyn sync_server::store::Store> = seeded.store.clone();
    let (scan, _) = rt
        .block_on(sync_server::jobs::run_once(
            &store,
            &sync_server::jobs::client(),
            None,
            Utc::now() + chrono::Duration::days(4),
        ))
        .unwrap();
    assert_eq!(scan.escalations, 1);
    // The same hazard at the same point again: a repeat.
    let again = raise(
        &mut inspector,
        "CP-C01",
        Category::SafetyHazard,
        "电梯厅灯又不亮",
        10,
    );
    inspector.sync(&opts()).unwrap();
    let driver = ChromeDriver::start();
    let profile = tempfile::tempdir().unwrap();
    let mut ui = Ui::new(
        rt.block_on(driver.session(1280, 900, profile.path())),
        "plan",
    );
    let admin = seeded.password("admin1");
    let manager = seeded.password("manager1");
    let labels = plan.checkpoints.len() + 2;
    rt.block_on(async {
        ui.c.goto(&server.url).await.unwrap();
        ui.type_into("#user", "admin1").await;
        ui.type_into("#password", &admin).await;
        ui.tap("#login-submit").await;
        // The admin lands on the site plan.
        ui.find("#plan-route-R1").await;
        ui.find(&format!("#plan-cp-{}", points[0].code)).await;

        // A bad row: every error by line, nothing imported.
        ui.pick_file("#import-checklists", &checklists).await;
        ui.pick_file("#import-checkpoints", &bad).await;
        ui.tap("#import-submit").await;
        let errors = ui.wait_text("#import-errors", "第 3 行").await;
        assert!(errors.contains("点位编码"), "{errors}");
        assert!(!ui.has("#plan-cp-CP-W01").await, "nothing imported");
        ui.shot("plan-import-errors").await;

        // Fixed file: imported, shown in the tables.
        ui.pick_file("#import-checkpoints", &good).await;
        ui.tap("#import-submit").await;
        ui.wait_text("#import-report", "T-POOL v1").await;
        ui.find("#plan-cp-CP-W02").await;
        ui.wait_text("#plan-route-R9", "R9").await;

        // Order R1 for a short walk.
        let before = ui.find("#plan-route-R1 .walk").await.text().await.unwrap();
        // The new order and the distance saved are shown before anything changes.
        ui.tap("#order-R1").await;
        ui.wait_text("#order-distance", " m → ").await;
        assert_eq!(
            ui.find("#plan-route-R1 .walk").await.text().await.unwrap(),
            before,
            "nothing applied yet"
        );
        ui.tap("#order-apply").await;
        ui.wait_text("#banner", " m → ").await;
        let mut after = before.clone();
        for _ in 0..100 {
            after = ui.find("#plan-route-R1 .walk").await.text().await.unwrap();
            if after != before {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let metres = |s: &str| s.trim_end_matches(" m").parse::<f64>().unwrap();
        assert!(metres(&after) < metres(&before), "{before} → {after}");

        // The QR sheet: one label per checkpoint, with its Chinese name.
        ui.tap("#qr-show").await;
        ui.find("#qr-sheet svg").await;
        let count =
            ui.c.execute(
                "return document.querySelectorAll('#qr-sheet g.label').length;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(count, serde_json::json!(labels));
        ui.wait_text("#qr-sheet", "泳池西侧").await;
        ui.shot("plan-qr-sheet").await;

        // A daily schedule on R1, all day.
        ui.type_into("#sched-code", "DAY").await;
        ui.type_into("#sched-name", "日常巡查").await;
        ui.choose("#sched-route", "R1").await;
        ui.tap("#sched-submit").await;
        ui.wait_text("#sched-DAY", "每天").await;
        ui.wait_text("#sched-DAY", "全天").await;

        // A new customer-service user.
        ui.type_into("#u-name", "cs2").await;
        ui.type_into("#u-display", "吴客服").await;
        ui.choose("#u-role", "customer_service").await;
        ui.type_into("#u-password", "cs2-password").await;
        ui.tap("#u-submit").await;
        ui.wait_text("#user-cs2", "吴客服").await;
        ui.tap("#logout").await;

        // The manager reviews the patrol: dwell time for one, unknown for the other.
        ui.type_into("#user", "manager1").await;
        ui.type_into("#password", &manager).await;
        ui.tap("#login-submit").await;
        // The bell shows the escalation; it opens the issue.
        ui.wait_text("#bell", "提醒 1").await;
        ui.tap("#bell").await;
        ui.wait_text("#notifications .escalation", "逾期升级").await;
        ui.shot("notifications").await;
        ui.tap("#notifications li").await;
        ui.find("#detail").await;
        ui.wait_text("#detail", "电梯厅灯不亮").await;
        ui.wait_text("#bell", "提醒 0").await;

        // The repeat is flagged; the manager records its root cause.
        ui.tap("#nav-issues").await;
        ui.wait_text(&format!("#issue-{again} .repeat"), "重复问题")
            .await;
        ui.tap(&format!("#issue-{again}")).await;
        // The earlier issue by its title, not its id.
        ui.wait_text("#repeat", "电梯厅灯不亮").await;
        ui.find(&format!("#repeat [data-issue='{ignored}']")).await;
        // The repeat opened a root-cause task by itself; the manager writes its analysis.
        ui.wait_text("#root-cause .rca", "待分析").await;
        ui.tap("#root-cause [id^=rca-edit-]").await;
        for (i, why) in ["灯不亮", "灯管老化", "未按周期更换", "没有更换计划"]
            .iter()
            .enumerate()
        {
            ui.type_into(&format!("#rca-why-{}", i + 1), why).await;
        }
        ui.choose("#rca-cause", "process").await;
        ui.choose("#rca-owner-0", "staff1").await;
        ui.c.execute(
            "document.getElementById('rca-due-0').value = '2026-12-31';",
            vec![],
        )
        .await
        .unwrap();
        ui.type_into("#rca-action-0", "建立灯管定期更换计划").await;
        ui.tap("#rca-submit").await;
        let card = ui
            .wait_text("#root-cause .rca", "建立灯管定期更换计划")
            .await;
        assert!(
            card.contains("流程") && card.contains("2026-12-31"),
            "{card}"
        );
        ui.shot("root-cause").await;
        ui.tap("#nav-patrols").await;
        // The day's record sheet of one route, as PDF and as a workbook.
        ui.choose("#sheet-route", "R1").await;
        ui.tap("#sheet-pdf").await;
        ui.wait_text("#banner", "巡查记录表已生成").await;
        ui.tap(&format!("#patrol-{run}")).await;
        ui.wait_text(&format!("#result-{}", points[0].code), "停留 42 秒")
            .await;
        ui.wait_text(&format!("#result-{}", points[1].code), "停留时间未知")
            .await;
        let received = ui
            .find(&format!("#result-{} td:nth-child(3)", points[0].code))
            .await
            .text()
            .await
            .unwrap();
        assert!(
            received.starts_with("20"),
            "server receipt time shown: {received}"
        );
        ui.shot("patrol-presence").await;
    });
    // The schedule the form made is for any inspector.
    let token = login_token(&server.url, "manager1", &manager);
    let (_, p) = api_get(&server.url, &token, "/api/v1/plan");
    assert_eq!(
        p["schedules"][0]["assignee"],
        serde_json::Value::Null,
        "{p}"
    );
    rt.block_on(async {
        // Coverage today: two of R1's checkpoints checked inside the day's task.
        ui.tap("#nav-coverage").await;
        ui.wait_text(
            "#cov-route-R1 .ratio",
            &format!("2/{}", r1.checkpoints.len()),
        )
        .await;
        ui.wait_text("#cov-inspector-inspector1", "王巡查").await;
        ui.shot("coverage").await;
        // A spot check drawn with a given seed, then replayed from the record.
        ui.c.execute("document.getElementById('draw-n').value = '3';", vec![])
            .await
            .unwrap();
        ui.tap("#draw-submit").await;
        let drawn = ui.wait_text("#drawn .replays", "一致").await;
        assert!(drawn.contains('✓'), "{drawn}");
        let codes = ui.find("#drawn .codes").await.text().await.unwrap();
        assert_eq!(codes.split('、').count(), 3, "{codes}");
        let code = ui.find("#drawn strong").await.text().await.unwrap();
        ui.tap(&format!("#replay-{code}")).await;
        ui.wait_text("#replayed .replays", "一致").await;
        assert_eq!(
            ui.find("#replayed .codes").await.text().await.unwrap(),
            codes
        );
        ui.shot("spot-check").await;
        ui.c.close().await.ok();
    });
}

#[test]
fn customer_service_enters_a_complaint_and_calls_the_resident_back() {
    let dist = ui_dist();
    let seeded = Seeded::new();
    let server = InProcessServer::serve(
        seeded.state().with_ui_dir(Some(dist)),
        "127.0.0.1:0".parse().unwrap(),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let driver = ChromeDriver::start();
    let profile = tempfile::tempdir().unwrap();
    let mut ui = Ui::new(
        rt.block_on(driver.session(1280, 900, profile.path())),
        "complaint",
    );
    let password = seeded.password("cs1");
    let id: String = rt.block_on(async {
        ui.c.goto(&server.url).await.unwrap();
        ui.type_into("#user", "cs1").await;
        ui.type_into("#password", &password).await;
        ui.tap("#login-submit").await;
        ui.tap("#new-complaint").await;
        ui.choose("#c-category", "equipment_fault").await;
        ui.type_into("#c-location", "5栋 1 单元门口").await;
        ui.type_into("#c-contact", "赵先生 137 0000 0000").await;
        ui.type_into("#c-title", "单元门禁刷卡无反应").await;
        ui.shot("complaint-new").await;
        ui.tap("#c-submit").await;
        ui.wait_text("#complaint", "5栋 1 单元门口").await;
        ui.wait_text("#complaint", "赵先生").await;
        ui.find("#detail[data-status=recorded]").await;
        // The issue id, from the list.
        ui.tap("#nav-issues").await;
        let item = ui.find("#issue-list button").await;
        item.attr("id")
            .await
            .unwrap()
            .unwrap()
            .trim_start_matches("issue-")
            .to_string()
    });

    // Assigned, fixed, verified.
    let manager = login_token(&server.url, "manager1", &seeded.password("manager1"));
    let ds = device_dir();
    let mut staff = device(ds.path(), &server.url, "staff1", &seeded.password("staff1"));
    let staff_id = staff.plan().unwrap().user_by_name("staff1").unwrap().id;
    let post = |body: serde_json::Value| {
        let (status, b) = api_post(
            &server.url,
            &manager,
            &format!("/api/v1/issues/{id}/events"),
            &body,
        );
        assert_eq!(status, 200, "{b}");
    };
    post(
        serde_json::json!({"kind": "assign", "department": "engineering", "assignee": staff_id,
        "assignee_name": "staff1", "deadline": Utc::now() + chrono::Duration::hours(20)}),
    );
    let fix = |staff: &mut device::Device| {
        staff.sync(&opts()).unwrap();
        staff
            .issue_event(
                id.parse().unwrap(),
                EventBody::Rectify {
                    note: "已修复".into(),
                    photos: vec![],
                },
                true,
                Utc::now(),
            )
            .unwrap();
        staff.sync(&opts()).unwrap();
    };
    fix(&mut staff);
    post(serde_json::json!({"kind": "verify", "note": "复查正常"}));

    // Not satisfied on the phone: reopened for the same worker.
    rt.block_on(async {
        ui.tap(&format!("#issue-{id}")).await;
        ui.find("#detail[data-status=verified]").await;
        ui.type_into("#callback-note", "业主说晚上还是刷不开").await;
        ui.tap("#callback-unsatisfied").await;
        ui.find("#detail[data-status=assigned]").await;
        ui.wait_text("#callback-result", "不满意").await;
        ui.wait_text("#detail-assignee", "staff1").await;
    });
    fix(&mut staff);
    post(serde_json::json!({"kind": "verify", "note": "夜间复查正常"}));
    rt.block_on(async {
        ui.tap("#nav-issues").await;
        ui.tap(&format!("#issue-{id}")).await;
        ui.find("#detail[data-status=verified]").await;
        ui.type_into("#callback-note", "业主满意").await;
        ui.tap("#callback-satisfied").await;
        ui.wait_text("#callback-result", "满意").await;
        ui.shot("complaint-closed").await;
        ui.tap("#nav-issues").await;
        ui.wait_text(&format!("#issue-{id}"), "满意").await;
        // The same resident's survey: a low cleaning score opens a follow-up.
        ui.tap("#nav-surveys").await;
        ui.wait_hash("#/surveys").await;
        ui.find("#no-surveys").await;
        ui.choose("#s-source", "callback").await;
        ui.type_into("#s-respondent", "5栋 1 单元 302").await;
        ui.choose("#s-nps", "8").await;
        ui.choose("#s-dim-cleaning", "2").await;
        ui.choose("#s-dim-security", "5").await;
        ui.type_into("#s-comment", "楼道保洁不及时").await;
        ui.shot("survey").await;
        ui.tap("#s-submit").await;
        ui.wait_text("#banner", "低分已转二次处理").await;
        let row = ui.wait_text("#survey-list", "5栋 1 单元 302").await;
        assert!(row.contains("保洁 2"), "{row}");
        ui.tap("#survey-list button.link").await;
        ui.wait_text("#complaint", "5栋 1 单元 302").await;
        ui.c.close().await.ok();
    });
}

fn issue_json(url: &str, token: &str, id: &str) -> serde_json::Value {
    let (status, d) = api_get(url, token, &format!("/api/v1/issues/{id}"));
    assert_eq!(status, 200, "{d}");
    d
}

#[test]
fn the_loop_closes_on_the_dashboard_deadlines_dispatch_call_backs_root_causes_and_one_off_patrols()
{
    let dist = ui_dist();
    let seeded = Seeded::new();
    let server = InProcessServer::serve(
        seeded.state().with_ui_dir(Some(dist)),
        "127.0.0.1:0".parse().unwrap(),
    );
    let url = server.url.clone();
    let manager_token = login_token(&url, "manager1", &seeded.password("manager1"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let driver = ChromeDriver::start();

    // Customer service enters a neighbour dispute (the urgency left at 一般) and
    // dispatches it, leaving the deadline as the form shows it: the 48 h promise holds.
    let profile = tempfile::tempdir().unwrap();
    let mut cs = Ui::new(
        rt.block_on(driver.session(1280, 900, profile.path())),
        "loop-cs",
    );
    let complaint = rt.block_on(async {
        cs.log_in(&url, "cs1", &seeded.password("cs1")).await;
        cs.tap("#new-complaint").await;
        cs.choose("#c-category", "neighbour_dispute").await;
        cs.c.execute(
            "document.getElementById('c-category').dispatchEvent(new Event('change', {bubbles: true}));",
            vec![],
        )
        .await
        .unwrap();
        cs.wait_text("#c-sla", "4 小时").await;
        cs.wait_text("#c-sla", "2 天").await;
        cs.type_into("#c-location", "3栋 12 楼").await;
        cs.type_into("#c-contact", "孙女士 136 0000 1234").await;
        cs.type_into("#c-title", "楼上夜间噪音").await;
        cs.tap("#c-submit").await;
        cs.find("#detail[data-status=recorded]").await;
        cs.wait_text("#sla-respond", "剩余").await;
        cs.wait_text("#sla-resolve", "剩余").await;
        cs.tap("#nav-issues").await;
        let item = cs.find("#issue-list button").await;
        let id = item.attr("id").await.unwrap().unwrap();
        let id = id.trim_start_matches("issue-").to_string();
        cs.tap(&format!("#issue-{id}")).await;
        cs.find("#assign").await;
        cs.choose("#assignee", "staff1").await;
        cs.tap("#assign-submit").await;
        cs.find("#detail[data-status=assigned]").await;
        cs.wait_text("#sla-respond", "已按时响应").await;
        cs.shot("dashboard-complaint-dispatched").await;
        id
    });
    let d = issue_json(&url, &manager_token, &complaint);
    let raised: chrono::DateTime<Utc> = d["raised_at"].as_str().unwrap().parse().unwrap();
    let deadline: chrono::DateTime<Utc> = d["deadline"].as_str().unwrap().parse().unwrap();
    assert_eq!(deadline - raised, chrono::Duration::hours(48), "{d}");
    assert_eq!(d["assignee"], "staff1");
    assert!(
        d["timeline"][1].get("deadline_moved").is_none(),
        "dispatching left the deadline alone: {}",
        d["timeline"][1]
    );

    // A patrol finding raised twice at one point: a repeat, and a root-cause task.
    let (di, ds) = (device_dir(), device_dir());
    let mut inspector = device(
        di.path(),
        &url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let first = raise(
        &mut inspector,
        "CP-R09",
        Category::HygieneDefect,
        "东区垃圾桶满溢",
        7,
    );
    inspector.sync(&opts()).unwrap();
    let again = raise(
        &mut inspector,
        "CP-R09",
        Category::HygieneDefect,
        "东区垃圾桶又满溢",
        8,
    );
    inspector.sync(&opts()).unwrap();
    let raised_deadline = inspector.issue(first).unwrap().deadline.unwrap();

    // The manager assigns the first leaving the deadline; then extends it on purpose.
    let profile = tempfile::tempdir().unwrap();
    let mut m = Ui::new(
        rt.block_on(driver.session(1280, 900, profile.path())),
        "loop-manager",
    );
    rt.block_on(async {
        m.log_in(&url, "manager1", &seeded.password("manager1"))
            .await;
        m.tap(&format!("#issue-{first}")).await;
        m.find("#assign").await;
        m.choose("#assignee", "staff1").await;
        m.tap("#assign-submit").await;
        m.find("#detail[data-status=assigned]").await;
    });
    let d = issue_json(&url, &manager_token, &first.to_string());
    let kept: chrono::DateTime<Utc> = d["deadline"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        kept, raised_deadline,
        "assigning keeps the deadline set at raise"
    );
    rt.block_on(async {
        let later = (raised_deadline + chrono::Duration::days(2))
            .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
            .format("%Y-%m-%dT%H:%M")
            .to_string();
        m.set_value("deadline", &later).await;
        m.tap("#assign-submit").await;
        m.wait_text("#timeline", "延后").await;
        m.shot("dashboard-deadline-extended").await;
    });

    // The root-cause queue holds the task the repeat opened; the manager writes
    // the analysis with one action and marks it done: the record closes.
    rt.block_on(async {
        m.tap("#nav-rca").await;
        let item = m.find("#rca-queue li[data-status=pending]").await;
        let rid = item.attr("id").await.unwrap().unwrap();
        let rid = rid.trim_start_matches("rca-item-").to_string();
        m.shot("dashboard-root-causes").await;
        m.tap(&format!("#rca-item-{rid}")).await;
        m.tap(&format!("#rca-edit-{rid}")).await;
        m.type_into("#rca-why-1", "垃圾桶满溢").await;
        m.type_into("#rca-why-2", "下午没有清运班次").await;
        m.choose("#rca-cause", "process").await;
        m.type_into("#rca-action-0", "增加下午清运班次").await;
        m.choose("#rca-owner-0", "manager1").await;
        m.set_value("rca-due-0", "2027-01-15").await;
        m.tap("#rca-submit").await;
        m.find(&format!("#rca-{rid}[data-status=acting]")).await;
        m.tap(&format!("#rca-done-{rid}-1")).await;
        m.find(&format!("#rca-{rid}[data-status=watching]")).await;
        m.shot("dashboard-root-cause-closed").await;
    });
    let (_, causes) = api_get(&url, &manager_token, "/api/v1/root-causes");
    assert_eq!(causes[0]["status"], "watching");
    assert!(
        causes[0]["issues"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!(again))
    );

    // Fixed and verified: the complaint waits in customer service's call-back queue.
    let mut staff = device(ds.path(), &url, "staff1", &seeded.password("staff1"));
    staff
        .issue_event(
            complaint.parse().unwrap(),
            EventBody::Rectify {
                note: "已调解".into(),
                photos: vec![],
            },
            true,
            Utc::now(),
        )
        .unwrap();
    staff.sync(&opts()).unwrap();
    let (status, body) = api_post(
        &url,
        &manager_token,
        &format!("/api/v1/issues/{complaint}/events"),
        &serde_json::json!({"kind": "verify", "note": "双方已和解"}),
    );
    assert_eq!(status, 200, "{body}");
    rt.block_on(async {
        cs.tap("#nav-callbacks").await;
        cs.find(&format!("#issue-{complaint}")).await;
        cs.wait_text(&format!("#issue-{complaint}"), "待回访").await;
        cs.shot("dashboard-callback-queue").await;
        cs.c.close().await.ok();
    });

    // A one-off flood check of the public facilities for inspector1.
    rt.block_on(async {
        m.tap("#nav-coverage").await;
        m.type_into("#adhoc-name", "台风前防汛检查").await;
        m.choose("#adhoc-zone", "Z-PUB").await;
        m.tap("#adhoc-who-inspector1").await;
        m.tap("#adhoc-submit").await;
        m.wait_text("#adhoc-launched", "EM-").await;
        m.c.close().await.ok();
    });
    inspector.sync(&opts()).unwrap();
    assert!(
        inspector
            .route_tasks(Utc::now())
            .unwrap()
            .iter()
            .any(|t| t.adhoc),
        "the inspector's device has it"
    );

    // The admin sees points no schedule covers, and changes a service level on screen.
    let profile = tempfile::tempdir().unwrap();
    let mut a = Ui::new(
        rt.block_on(driver.session(1280, 900, profile.path())),
        "loop-admin",
    );
    rt.block_on(async {
        a.log_in(&url, "admin1", &seeded.password("admin1")).await;
        a.find("#plan").await;
        a.wait_text("#unscheduled", "CP-R01").await;
        a.wait_text("#plan-cp-CP-R01", "从未排班").await;
        a.type_into("#sla-resolve-neighbour_dispute-normal", "36")
            .await;
        a.tap("#settings-submit").await;
        a.wait_text("#banner", "设置已保存").await;
        a.shot("dashboard-settings").await;
        a.c.close().await.ok();
    });
    let (_, plan) = api_get(&url, &manager_token, "/api/v1/plan");
    let rule = plan["site"]["complaint_sla"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["category"] == "neighbour_dispute" && r["urgency"] == "normal")
        .cloned();
    assert_eq!(
        rule.map(|r| r["resolve_hours"].clone()),
        Some(serde_json::json!(36))
    );
}
