//! The dashboard as people use it every day, in headless Chromium against a
//! real server: a quality manager and an admin at 1280 px, and both again at
//! phone width (390 px). Each step does what the person did and asserts what
//! they should see: the filter shown is the filter applied, Back and reload
//! keep the screen, people and places by name, labels instead of codes,
//! confirmations before destructive steps, errors beside their fields, a
//! finished patrol that does not change afterwards, coverage that names who
//! missed what, and axe-core finding nothing on every main screen.

use chrono::{DateTime, Duration, Utc};
use device::RaiseInput;
use serde_json::json;
use shared::issue::{EventBody, PhotoRef};
use shared::patrol::Answer;
use shared::{Category, Grade, IssueId};
use tests::browser::*;
use tests::pictures::*;
use tests::*;

fn shot(d: &mut device::Device, seed: u64) -> PhotoRef {
    d.add_photo(
        &jpeg(&photo_like(800, 600, seed), 85, None),
        "IMG.jpg",
        Utc::now(),
    )
    .unwrap()
}

struct Raise<'a> {
    at: &'a str,
    item: Option<&'a str>,
    category: Category,
    title: &'a str,
    photos: Vec<PhotoRef>,
    when: DateTime<Utc>,
}

fn raise(d: &mut device::Device, r: Raise<'_>) -> IssueId {
    d.raise_issue(
        RaiseInput {
            checkpoint: r.at.into(),
            item: r.item.map(str::to_string),
            category: r.category,
            grade: Grade::Deadline,
            title: r.title.into(),
            description: String::new(),
            photos: r.photos,
        },
        r.when,
    )
    .unwrap()
}

/// Every item of `code`'s checklist passed, except `fail`.
fn answers(plan: &shared::plan::SitePlan, code: &str, fail: &[&str]) -> Vec<(String, Answer)> {
    let cp = plan.checkpoint_by_code(code).unwrap();
    plan.template(cp.template, cp.template_version)
        .unwrap()
        .items
        .iter()
        .map(|i| {
            let a = if fail.contains(&i.code.as_str()) {
                Answer::Fail
            } else {
                Answer::Na
            };
            (i.code.to_string(), a)
        })
        .collect()
}

fn post_event(url: &str, token: &str, id: IssueId, body: serde_json::Value) {
    let (status, b) = api_post(url, token, &format!("/api/v1/issues/{id}/events"), &body);
    assert_eq!(status, 200, "{b}");
}

fn status_of(url: &str, token: &str, id: IssueId) -> String {
    let (status, d) = api_get(url, token, &format!("/api/v1/issues/{id}"));
    assert_eq!(status, 200, "{d}");
    d["status"].as_str().unwrap().to_string()
}

/// The site's day `days` from today, as a date input wants it (UTC+8).
fn local_day(days: i64) -> String {
    (Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        + Duration::days(days))
    .format("%Y-%m-%d")
    .to_string()
}

/// Records the URLs the page fetches from now on (`window.__fetched`).
const RECORD_FETCHES: &str = "window.__fetched = [];
    if (!window.__recording) {
        window.__recording = true;
        const f = window.fetch;
        window.fetch = function (r, init) {
            window.__fetched.push(String(r && r.url ? r.url : r));
            return f.call(this, r, init);
        };
    }";

#[test]
fn a_quality_manager_works_through_a_days_issues_patrols_and_coverage() {
    let dist = ui_dist();
    let seeded = Seeded::new();
    let server = InProcessServer::serve(
        seeded.state().with_ui_dir(Some(dist)),
        "127.0.0.1:0".parse().unwrap(),
    );
    let url = server.url.clone();
    let manager = login_token(&url, "manager1", &seeded.password("manager1"));
    let admin = login_token(&url, "admin1", &seeded.password("admin1"));
    // R1 all day, every day: today's window is open whatever the hour.
    let (status, body) = api_post(
        &url,
        &admin,
        "/api/v1/admin/schedules",
        &json!({ "code": "ALL-R1", "name": "住宅区全天巡查", "route": "R1", "repeat": "daily" }),
    );
    assert_eq!(status, 200, "{body}");

    // An inspector walks R1: a three-second stay at 1号楼大堂 with two items
    // failed (two issues of one walk), a proper stay at 2号楼大堂, and the
    // other twelve points skipped.
    let (di, ds) = (device_dir(), device_dir());
    let mut inspector = device(
        di.path(),
        &url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let plan = inspector.plan().unwrap();
    let r1_len = plan.route_by_code("R1").unwrap().checkpoints.len();
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    let midnight = Utc::now()
        .with_timezone(&tz)
        .date_naive()
        .and_hms_opt(0, 0, 1)
        .unwrap()
        .and_local_timezone(tz)
        .unwrap()
        .with_timezone(&Utc);
    let t0 = (Utc::now() - Duration::minutes(10)).max(midnight);
    let evidence = shot(&mut inspector, 1);
    inspector.patrol_start("R1", t0).unwrap();
    inspector.patrol_arrive("CP-R01", t0).unwrap();
    inspector
        .patrol_check(
            "CP-R01",
            &answers(&plan, "CP-R01", &["floor", "corners"]),
            t0 + Duration::seconds(3),
        )
        .unwrap();
    let floor = raise(
        &mut inspector,
        Raise {
            at: "CP-R01",
            item: Some("floor"),
            category: Category::HygieneDefect,
            title: "大堂地面有垃圾",
            photos: vec![evidence.clone()],
            when: t0 + Duration::seconds(4),
        },
    );
    let corners = raise(
        &mut inspector,
        Raise {
            at: "CP-R01",
            item: Some("corners"),
            category: Category::HygieneDefect,
            title: "大堂角落堆放杂物",
            photos: vec![],
            when: t0 + Duration::seconds(5),
        },
    );
    inspector
        .patrol_arrive("CP-R03", t0 + Duration::seconds(30))
        .unwrap();
    inspector
        .patrol_check(
            "CP-R03",
            &answers(&plan, "CP-R03", &[]),
            t0 + Duration::seconds(90),
        )
        .unwrap();
    let run = inspector.open_patrol().unwrap().unwrap().run.id;
    inspector
        .patrol_finish(t0 + Duration::seconds(100))
        .unwrap();
    // The same photo on a later issue elsewhere.
    let reused = raise(
        &mut inspector,
        Raise {
            at: "CP-C01",
            item: None,
            category: Category::SafetyHazard,
            title: "写字楼大堂地面湿滑",
            photos: vec![evidence.clone()],
            when: Utc::now(),
        },
    );
    // A bin at the back lane: raised, fixed by 刘保洁 and verified.
    let bin = raise(
        &mut inspector,
        Raise {
            at: "CP-C05",
            item: None,
            category: Category::HygieneDefect,
            title: "后巷垃圾桶满溢",
            photos: vec![],
            when: Utc::now() - Duration::hours(1),
        },
    );
    inspector.sync(&opts()).unwrap();
    let mut cleaner = device(ds.path(), &url, "staff2", &seeded.password("staff2"));
    let staff2 = cleaner.plan().unwrap().user_by_name("staff2").unwrap().id;
    post_event(
        &url,
        &manager,
        bin,
        json!({"kind": "assign", "department": "cleaning", "assignee": staff2, "assignee_name": "staff2"}),
    );
    cleaner.sync(&opts()).unwrap();
    cleaner
        .issue_event(
            bin,
            EventBody::Rectify {
                note: "已清运".into(),
                photos: vec![],
            },
            true,
            Utc::now(),
        )
        .unwrap();
    cleaner.sync(&opts()).unwrap();
    post_event(
        &url,
        &manager,
        bin,
        json!({"kind": "verify", "note": "已清空"}),
    );
    let verified = Utc::now();
    // One raised 13 s before that acceptance (written offline, synced after),
    // one raised after it.
    let before_acceptance = raise(
        &mut inspector,
        Raise {
            at: "CP-C05",
            item: None,
            category: Category::HygieneDefect,
            title: "后巷垃圾桶周边有垃圾",
            photos: vec![],
            when: verified - Duration::seconds(13),
        },
    );
    let after_acceptance = raise(
        &mut inspector,
        Raise {
            at: "CP-C05",
            item: None,
            category: Category::HygieneDefect,
            title: "后巷垃圾桶又满溢",
            photos: vec![],
            when: verified + Duration::seconds(1),
        },
    );
    inspector.sync(&opts()).unwrap();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let driver = ChromeDriver::start();
    let profile = tempfile::tempdir().unwrap();
    let mut ui = Ui::new(
        rt.block_on(driver.session(1280, 900, profile.path())),
        "walk-manager",
    );
    let axe = axe_script();
    let password = seeded.password("manager1");
    rt.block_on(async {
        ui.log_in(&url, "manager1", &password).await;
        ui.wait_hash("#/issues").await;
        ui.find(&format!("#issue-{floor}")).await;
        // What the filters show is what is applied: everything.
        for f in [
            "#f-status",
            "#f-category",
            "#f-grade",
            "#f-zone",
            "#f-assignee",
        ] {
            assert_eq!(ui.value(f).await, "", "{f} shows 全部");
        }
        // Places and people by name.
        ui.wait_text(&format!("#issue-{floor}"), "1号楼大堂").await;
        ui.wait_text(&format!("#issue-{bin}"), "刘保洁").await;
        // Siblings of one walk are not repeats of each other; an issue raised
        // before the acceptance is a repeat, not a recurrence after it.
        assert!(!ui.has(&format!("#issue-{floor} .repeat")).await);
        assert!(!ui.has(&format!("#issue-{corners} .repeat")).await);
        let early = ui
            .wait_text(&format!("#issue-{before_acceptance} .repeat"), "重复问题")
            .await;
        assert!(!early.contains("验收后复发"), "{early}");
        ui.wait_text(&format!("#issue-{after_acceptance} .repeat"), "验收后复发")
            .await;
        ui.assert_no_codes("issue list").await;
        ui.assert_accessible(&axe, "the issue list").await;
        ui.shot("walk-issues").await;

        // A filter goes into the address; picking it filters at once.
        ui.choose("#f-category", "hygiene_defect").await;
        ui.gone(&format!("#issue-{reused}")).await;
        ui.wait_hash("#/issues?category=hygiene_defect").await;

        // Open an issue: it has an address, and says which item failed.
        ui.tap(&format!("#issue-{floor}")).await;
        ui.wait_hash(&format!("#/issues/{floor}")).await;
        ui.wait_text("#detail-item", "地面干净无垃圾").await;
        ui.wait_text("#timeline", "登记问题").await;
        ui.wait_text("#timeline", "王巡查").await;
        // The assign form defaults from the category: 保洁, its staff first.
        assert_eq!(ui.value("#department").await, "cleaning");
        let first = ui
            .find("#assignee optgroup:first-of-type option")
            .await
            .attr("value")
            .await
            .unwrap();
        assert_eq!(first.as_deref(), Some("staff2"));
        ui.assert_no_codes("issue page").await;
        ui.assert_accessible(&axe, "the issue page").await;

        // Back: the list with the filter still applied, shown as applied.
        ui.c.back().await.unwrap();
        ui.wait_hash("#/issues?category=hygiene_defect").await;
        ui.find(&format!("#issue-{floor}")).await;
        assert_eq!(ui.value("#f-category").await, "hygiene_defect");
        assert!(!ui.has(&format!("#issue-{reused}")).await, "still filtered");
        // Reload: the same.
        ui.c.refresh().await.unwrap();
        ui.find(&format!("#issue-{floor}")).await;
        assert_eq!(ui.value("#f-category").await, "hygiene_defect");
        assert!(!ui.has(&format!("#issue-{reused}")).await, "still filtered");
        ui.choose("#f-category", "").await;
        ui.find(&format!("#issue-{reused}")).await;

        // Assigning with a deadline in the past asks first; saying no changes nothing.
        ui.tap(&format!("#issue-{floor}")).await;
        ui.choose("#assignee", "staff2").await;
        let yesterday = (Utc::now() - Duration::days(1))
            .with_timezone(&tz)
            .format("%Y-%m-%dT%H:%M")
            .to_string();
        ui.set_value("deadline", &yesterday).await;
        // Another field changing re-renders the form: what was typed stays.
        ui.choose("#department", "engineering").await;
        ui.wait_text("#assignee optgroup:first-of-type", "张维修")
            .await;
        assert_eq!(ui.value("#deadline").await, yesterday);
        ui.choose("#department", "cleaning").await;
        ui.choose("#assignee", "staff2").await;
        ui.tap("#assign-submit").await;
        let asked = ui.c.get_alert_text().await.unwrap();
        assert!(asked.contains("早于现在"), "{asked}");
        ui.c.dismiss_alert().await.unwrap();
        ui.find("#detail[data-status=recorded]").await;
        // Left as the form shows it, the deadline set at raise stands.
        ui.c.refresh().await.unwrap();
        ui.choose("#assignee", "staff2").await;
        ui.tap("#assign-submit").await;
        ui.find("#detail[data-status=assigned]").await;
        ui.wait_text("#detail-assignee", "刘保洁").await;
        // The manager is not offered the fix form on someone else's order.
        assert!(!ui.has("#rectify").await);
    });
    assert_eq!(status_of(&url, &manager, floor), "assigned");

    // 刘保洁 fixes it; the manager sends it back without a note only after saying so.
    cleaner.sync(&opts()).unwrap();
    cleaner
        .issue_event(
            floor,
            EventBody::Rectify {
                note: "已清扫".into(),
                photos: vec![],
            },
            true,
            Utc::now(),
        )
        .unwrap();
    cleaner.sync(&opts()).unwrap();
    rt.block_on(async {
        ui.c.refresh().await.unwrap();
        ui.find("#detail[data-status=rectified]").await;
        ui.tap("#verify-reject").await;
        let asked = ui.c.get_alert_text().await.unwrap();
        assert!(asked.contains("没有填写"), "{asked}");
        ui.c.dismiss_alert().await.unwrap();
        ui.find("#detail[data-status=rectified]").await;
        ui.tap("#verify-reject").await;
        ui.c.accept_alert().await.unwrap();
        ui.find("#detail[data-status=assigned]").await;
        ui.wait_text("#timeline", "退回整改").await;
    });

    // The reused photo is stamped with this issue's time and place, not the first's.
    rt.block_on(async {
        ui.c.goto(&format!("{url}#/issues/{reused}")).await.unwrap();
        ui.find("#photos-before figure").await;
        ui.c.execute(RECORD_FETCHES, vec![]).await.unwrap();
        ui.tap("#photos-before figure").await;
        ui.find("#photo-close").await;
        ui.find(".enlarged img.full").await;
        let fetched =
            ui.c.execute("return window.__fetched;", vec![])
                .await
                .unwrap();
        assert!(
            fetched
                .to_string()
                .contains(&format!("stamp=1&issue={reused}")),
            "{fetched}"
        );
        ui.assert_accessible(&axe, "the enlarged photo").await;
        // Esc closes it.
        ui.find("#photo-close")
            .await
            .send_keys(&char::from(fantoccini::key::Key::Escape).to_string())
            .await
            .unwrap();
        ui.gone(".enlarged").await;
    });
    let stamped = |issue: IssueId| {
        let resp = reqwest::blocking::Client::new()
            .get(format!(
                "{url}/api/v1/photos/{}?stamp=1&issue={issue}",
                evidence.hash
            ))
            .bearer_auth(&manager)
            .send()
            .unwrap();
        assert_eq!(resp.status().as_u16(), 200);
        resp.bytes().unwrap().to_vec()
    };
    assert_ne!(
        stamped(floor),
        stamped(reused),
        "each issue's caption is its own"
    );

    // The patrol record: the short stay warned, failed items named and linked,
    // the skipped points listed.
    rt.block_on(async {
        ui.tap("#nav-patrols").await;
        ui.wait_text(&format!("#patrol-{run}"), "王巡查").await;
        ui.assert_no_codes("patrol list").await;
        ui.assert_accessible(&axe, "the patrol list").await;
        ui.tap(&format!("#patrol-{run}")).await;
        ui.wait_hash(&format!("#/patrols/{run}")).await;
        ui.wait_text("#result-CP-R01 .evidence.warn", "停留 3 秒")
            .await;
        let row = ui.wait_text("#result-CP-R01", "地面干净无垃圾").await;
        assert!(row.contains("角落无积尘杂物"), "{row}");
        ui.find(&format!("#raised-{floor}")).await;
        ui.find(&format!("#raised-{corners}")).await;
        ui.wait_text("#result-CP-R03 .evidence.ok", "停留 60 秒")
            .await;
        let skipped = ui.wait_text("#skipped", "CP-R14 儿童游乐区").await;
        assert!(skipped.contains(&format!("({})", r1_len - 2)), "{skipped}");
        ui.wait_text("#patrol", &format!("2/{r1_len}")).await;
        ui.assert_no_codes("patrol record").await;
        ui.assert_accessible(&axe, "the patrol record").await;
        ui.shot("walk-patrol-record").await;
        ui.tap(&format!("#raised-{corners}")).await;
        ui.wait_hash(&format!("#/issues/{corners}")).await;
        ui.wait_text("#detail-item", "角落无积尘杂物").await;
    });

    // The admin adds three checkpoints to R1: the finished patrol keeps what it was due.
    let new_points = "点位编码,点位名称,区域编码,区域名称,区域类型,检查表编码,路线
CP-R15,5号楼大堂,Z-RES,,,T-CLEAN,R1
CP-R16,5号楼楼梯间,Z-RES,,,T-LIGHT,R1
CP-R17,6号楼大堂,Z-RES,,,T-CLEAN,R1
";
    let (status, body) = api_post(
        &url,
        &admin,
        "/api/v1/admin/import",
        &json!({ "checkpoints": new_points }),
    );
    assert_eq!(status, 200, "{body}");
    rt.block_on(async {
        ui.c.goto(&format!("{url}#/patrols/{run}")).await.unwrap();
        ui.wait_text("#patrol", &format!("2/{r1_len}")).await;
        let skipped = ui.wait_text("#skipped", "CP-R14").await;
        assert!(!skipped.contains("CP-R15"), "{skipped}");
    });

    // Coverage today: the skipped points are the walker's, counted against him.
    let (status, c) = api_get(
        &url,
        &manager,
        &format!("/api/v1/coverage?from={}&to={}", local_day(0), local_day(0)),
    );
    assert_eq!(status, 200, "{c}");
    let c: shared::schedule::Coverage = serde_json::from_value(c).unwrap();
    let me = c
        .by_inspector
        .iter()
        .find(|r| r.key == "inspector1")
        .expect("the walker's row");
    assert!(me.due >= r1_len && me.done < me.due, "{me:?}");
    let opened: usize = c
        .tasks
        .iter()
        .filter(|t| t.state != shared::schedule::WindowState::NotYetOpen)
        .map(|t| t.task.checkpoints.len())
        .sum();
    assert_eq!(c.total.due, opened, "only windows that have opened count");
    rt.block_on(async {
        ui.tap("#nav-coverage").await;
        let row = ui.wait_text("#cov-inspector-inspector1", "王巡查").await;
        assert!(row.contains(&format!("{}/{}", me.done, me.due)), "{row}");
        let task = ui
            .find("#cov-tasks li[id^='cov-task-ALL-R1']")
            .await
            .text()
            .await
            .unwrap();
        assert!(task.contains("进行中"), "{task}");
        ui.assert_no_codes("coverage").await;
        ui.assert_accessible(&axe, "coverage").await;
        ui.shot("walk-coverage").await;
        // Tomorrow: every window not yet open, none counted.
        ui.set_value("cov-from", &local_day(1)).await;
        ui.set_value("cov-to", &local_day(1)).await;
        ui.tap("#cov-apply").await;
        ui.wait_text("#cov-total", "0/0").await;
        let states = ui
            .c
            .execute(
                "return [...document.querySelectorAll('#cov-tasks li')].map(l => l.dataset.state + ' ' + l.querySelector('.task-state').textContent);",
                vec![],
            )
            .await
            .unwrap();
        let states: Vec<String> = serde_json::from_value(states).unwrap();
        assert!(!states.is_empty());
        assert!(
            states.iter().all(|s| s == "NotYetOpen 未开始"),
            "{states:?}"
        );

        // Spot checks: a draw of none or of more than there are is refused
        // beside the field, in Chinese; a good draw clears it.
        ui.set_value("draw-n", "0").await;
        ui.tap("#draw-submit").await;
        let all = plan.checkpoints.len() + 3;
        let error = ui.wait_text("#draw-error", "至少抽 1 个").await;
        assert!(!error.chars().any(|c| c.is_ascii_alphabetic()), "{error}");
        ui.set_value("draw-n", "3").await;
        ui.tap("#draw-submit").await;
        ui.wait_text("#drawn .replays", "一致").await;
        ui.gone("#draw-error").await;
        ui.set_value("draw-n", "500").await;
        ui.tap("#draw-submit").await;
        let error = ui
            .wait_text("#draw-error", &format!("只有 {all} 个点位可抽"))
            .await;
        assert!(error.contains(&format!("1 到 {all}")), "{error}");
        // The message of an action goes when the screen changes.
        ui.tap("#nav-issues").await;
        ui.gone("#banner").await;
    });

    // 分析: the month's figures on the tiles are the API's, with their counts;
    // a breakdown by category names categories, never their codes.
    let month = local_day(0)[..7].to_string();
    let (status, report) = api_get(
        &url,
        &manager,
        &format!("/api/v1/analytics/kpis?period={month}&by=category"),
    );
    assert_eq!(status, 200, "{report}");
    let report: shared::kpi::Report = serde_json::from_value(report).unwrap();
    assert!(report.kpis.pass_rate.denominator > 0, "{report:?}");
    assert!(!report.rows.is_empty(), "{report:?}");
    // The issues behind the tallest Pareto bar, as the API lists them.
    let top = &report.pareto[0];
    let query = shared::kpi::drill_query(
        &month,
        "raised",
        shared::kpi::Part::Denominator,
        Some((shared::kpi::By::Category, &top.key)),
    );
    let (status, behind) = api_get(&url, &manager, &format!("/api/v1/analytics/issues?{query}"));
    assert_eq!(status, 200, "{behind}");
    let mut want: Vec<String> = behind
        .as_array()
        .unwrap()
        .iter()
        .map(|s| format!("issue-{}", s["id"].as_str().unwrap()))
        .collect();
    want.sort();
    assert_eq!(want.len() as u64, top.count);
    rt.block_on(async {
        ui.tap("#nav-analytics").await;
        ui.find("#an-kpis").await;
        assert_eq!(ui.value("#an-period").await, month);
        for (name, _, _, unit, figure) in shared::kpi::figures(&report.kpis) {
            let tile = ui.find(&format!("#kpi-{name}")).await.text().await.unwrap();
            let shown = shared::kpi::shown(unit, &figure);
            let counts = format!("{}/{}", figure.numerator, figure.denominator);
            assert!(
                tile.contains(&shown) && tile.contains(&counts),
                "{name}: {tile:?} should show {shown} and {counts}"
            );
        }
        let on_time = ui
            .wait_text("#kpi-on_time_rectification", "整改及时率")
            .await;
        assert!(on_time.contains("上期"), "{on_time}");
        ui.choose("#an-by", "category").await;
        ui.tap("#an-apply").await;
        ui.find("#an-rows").await;
        let rows =
            ui.c.execute(
                "return document.querySelectorAll('#an-rows tr[id]').length;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(rows.as_u64(), Some(report.rows.len() as u64));
        // The period and breakdown are in the address, so Back returns to them.
        ui.wait_hash(&format!("#/analytics?period={month}&by=category"))
            .await;
        // The charts draw the API's numbers: Pareto bars, the trend's weeks,
        // the hot spots, the weekday × hour cells and the league's rows.
        let drawn = ui
            .c
            .execute(
                "const n = s => +s;
                 return {
                   pareto: [...document.querySelectorAll('#an-pareto g.category')].map(g => [g.dataset.key, n(g.querySelector('rect').dataset.count)]),
                   weeks: [...document.querySelectorAll('#an-trend g.week')].map(g => [g.dataset.week, n(g.querySelector('rect').dataset.count)]),
                   spots: [...document.querySelectorAll('#an-spots g.spot')].map(g => [g.dataset.code, n(g.dataset.count)]),
                   weekday: [...document.querySelectorAll('#an-weekday-hours-table td.cell')].reduce((a, c) => a + n(c.dataset.count), 0),
                   zones: [...document.querySelectorAll('#an-zone-hours-table td.cell')].reduce((a, c) => a + n(c.dataset.count), 0),
                   league: document.querySelectorAll('#an-league-table tr[id]').length };",
                vec![],
            )
            .await
            .unwrap();
        let raised = report.pareto.iter().map(|c| c.count).sum::<u64>();
        assert!(raised > 0, "the walk raised issues this month");
        assert_eq!(
            drawn,
            json!({
                "pareto": report.pareto.iter().map(|c| json!([c.key, c.count])).collect::<Vec<_>>(),
                "weeks": report.trend.iter().map(|w| json!([w.label, w.findings])).collect::<Vec<_>>(),
                "spots": report.hot_spots.iter().map(|s| json!([s.code, s.count])).collect::<Vec<_>>(),
                "weekday": raised,
                "zones": raised,
                "league": report.league.len(),
            })
        );
        ui.assert_no_codes("analysis").await;
        ui.assert_accessible(&axe, "analysis").await;
        ui.shot("walk-analytics").await;
        ui.c.execute(
            "document.getElementById('an-trend').scrollIntoView({block: 'start'});",
            vec![],
        )
        .await
        .unwrap();
        ui.shot("walk-analytics-charts").await;

        // Tapping the tallest Pareto bar lists exactly the issues behind it.
        ui.tap(&format!("#an-pareto g.category[data-key='{}'] a", top.key))
            .await;
        ui.wait_hash(&format!("#/analytics/issues?{query}")).await;
        ui.wait_text("#drill-count", &top.count.to_string()).await;
        let mut shown: Vec<String> = serde_json::from_value(
            ui.c.execute(
                "return [...document.querySelectorAll('#issue-list button.issue')].map(b => b.id);",
                vec![],
            )
            .await
            .unwrap(),
        )
        .unwrap();
        shown.sort();
        assert_eq!(shown, want, "the drill-down lists the bar's issues");
        ui.wait_text("#drill-about", &top.name).await;
        ui.assert_accessible(&axe, "the issues behind a bar").await;
        ui.shot("walk-analytics-drill").await;
        // Back returns to the analysis as it was.
        ui.c.back().await.unwrap();
        ui.wait_hash(&format!("#/analytics?period={month}&by=category"))
            .await;
        ui.find("#an-rows").await;
    });

    // A week and a date range are picked with their own fields, and their
    // tiles are the API's for that period.
    let today = chrono::NaiveDate::parse_from_str(&local_day(0), "%Y-%m-%d").unwrap();
    let iso = chrono::Datelike::iso_week(&today);
    let week = format!("{}-W{:02}", iso.year(), iso.week());
    let range = format!("{}-01..{}", &local_day(0)[..7], local_day(0));
    for (span, period) in [("week", week.as_str()), ("range", range.as_str())] {
        let (status, picked) = api_get(
            &url,
            &manager,
            &format!("/api/v1/analytics/kpis?period={period}"),
        );
        assert_eq!(status, 200, "{picked}");
        let picked: shared::kpi::Report = serde_json::from_value(picked).unwrap();
        rt.block_on(async {
            ui.choose("#an-span", span).await;
            if span == "week" {
                assert!(ui.find("#an-week").await.is_displayed().await.unwrap());
                assert!(!ui.find("#an-period").await.is_displayed().await.unwrap());
                ui.set_value("an-week", period).await;
            } else {
                let (from, to) = period.split_once("..").unwrap();
                ui.set_value("an-from", from).await;
                ui.set_value("an-to", to).await;
            }
            ui.choose("#an-by", "").await;
            ui.tap("#an-apply").await;
            ui.wait_hash(&format!("#/analytics?period={period}")).await;
            for (name, _, _, _, figure) in shared::kpi::figures(&picked.kpis) {
                ui.wait_text(
                    &format!("#kpi-{name}"),
                    &format!("{}/{}", figure.numerator, figure.denominator),
                )
                .await;
            }
        });
    }
    rt.block_on(async {
        // The picker comes back as it was from the address.
        ui.c.refresh().await.unwrap();
        ui.find("#an-kpis").await;
        assert_eq!(ui.value("#an-span").await, "range");
        assert_eq!(ui.value("#an-to").await, local_day(0));
    });

    // The recurrence after acceptance opened a root cause: written, saved, edited again.
    rt.block_on(async {
        ui.c.goto(&format!("{url}#/issues/{after_acceptance}"))
            .await
            .unwrap();
        ui.wait_text("#repeat", "后巷垃圾桶满溢").await;
        ui.find(&format!("#repeat [data-issue='{bin}']")).await;
        ui.tap("#root-cause [id^=rca-edit-]").await;
        // Saved empty: told what is missing, beside the form.
        ui.tap("#rca-submit").await;
        ui.wait_text("#rca-error", "为什么").await;
        ui.type_into("#rca-why-1", "垃圾桶满溢").await;
        // Another action row keeps what is already written.
        ui.tap("#rca-add-action").await;
        ui.find("#rca-action-1").await;
        assert_eq!(ui.value("#rca-why-1").await, "垃圾桶满溢");
        ui.choose("#rca-cause", "process").await;
        ui.type_into("#rca-action-0", "增加清运频次").await;
        ui.choose("#rca-owner-0", "staff2").await;
        ui.set_value("rca-due-0", &local_day(14)).await;
        ui.tap("#rca-submit").await;
        ui.wait_text("#root-cause .rca", "增加清运频次").await;
        ui.tap("#root-cause [id^=rca-edit-]").await;
        assert_eq!(ui.value("#rca-why-1").await, "垃圾桶满溢");
        ui.type_into("#rca-action-0", "增加下午清运班次").await;
        ui.tap("#rca-submit").await;
        ui.wait_text("#root-cause .rca", "增加下午清运班次").await;
        ui.assert_no_codes("root cause").await;
        ui.tap("#nav-rca").await;
        ui.find("#rca-queue").await;
        ui.assert_no_codes("root-cause queue").await;
        ui.assert_accessible(&axe, "the root-cause queue").await;
        ui.tap("#bell").await;
        ui.find("#notifications").await;
        ui.assert_no_codes("notifications").await;
        ui.assert_accessible(&axe, "notifications").await;
    });

    // A colleague opens a link to the issue: after logging in, that issue.
    let colleague = tempfile::tempdir().unwrap();
    let mut other = Ui::new(
        rt.block_on(driver.session(1280, 900, colleague.path())),
        "walk-colleague",
    );
    rt.block_on(async {
        other.c.goto(&format!("{url}#/issues/{bin}")).await.unwrap();
        other.find("#login").await;
        other.assert_accessible(&axe, "the login screen").await;
        // The login form is there before the app's code: it speaks both languages,
        // and says a wrong password in the chosen one.
        other.tap("#lang").await;
        other.wait_text("#login-submit", "Log in").await;
        other.type_into("#user", "manager1").await;
        other.type_into("#password", "not-the-password").await;
        other.tap("#login-submit").await;
        other
            .wait_text("#login-error", "Wrong user name or password")
            .await;
        other.tap("#lang").await;
        other.wait_text("#login-error", "用户名或密码不对").await;
        assert_eq!(other.find("h1").await.text().await.unwrap(), "登录");
        other.type_into("#user", "manager1").await;
        other.type_into("#password", &password).await;
        other.tap("#login-submit").await;
        other.wait_text("#detail", "后巷垃圾桶满溢").await;
        other.wait_hash(&format!("#/issues/{bin}")).await;
        other.c.close().await.ok();
        ui.c.close().await.ok();
    });
}

/// `text` as Excel saves "CSV (逗号分隔)" on a Chinese system: GBK.
fn gbk(path: &std::path::Path, text: &str) {
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(text);
    assert!(!unmappable, "GBK holds every character of the test file");
    assert!(
        std::str::from_utf8(&bytes).is_err(),
        "not UTF-8 by accident"
    );
    std::fs::write(path, bytes).unwrap();
}

const POOL_CHECKLIST: &str = "检查表编码,检查表名称,检查项编码,检查项,类别,方式,下限,上限,单位
T-POOL,泳池,water_clear,池水清澈,环境卫生,合格判定,,,
T-POOL,泳池,ph,pH 值,设施设备,读书,7.0,7.8,
";
const POOL_POINTS: &str = "点位编码,点位名称,区域编码,区域名称,区域类型,检查表编码,坐标X,坐标Y,路线
CP-W01,泳池东侧,Z-POOL,会所泳池,公共设施,T-POOL,10,5,R9
CP W02,泳池西侧,Z-POOL,会所泳池,公共设施,T-POOL,2,5,R9
";

#[test]
fn an_admin_edits_the_plan_with_controls_confirms_what_cannot_be_undone_and_imports_excel_files() {
    let dist = ui_dist();
    let seeded = Seeded::new();
    let server = InProcessServer::serve(
        seeded.state().with_ui_dir(Some(dist)),
        "127.0.0.1:0".parse().unwrap(),
    );
    let url = server.url.clone();
    let admin = login_token(&url, "admin1", &seeded.password("admin1"));
    let files = tempfile::tempdir().unwrap();
    let (bad_lists, bad_points) = (
        files.path().join("检查表.csv"),
        files.path().join("点位.csv"),
    );
    gbk(&bad_lists, POOL_CHECKLIST);
    gbk(&bad_points, POOL_POINTS);
    let (good_lists, good_points) = (
        files.path().join("检查表-改.csv"),
        files.path().join("点位-改.csv"),
    );
    gbk(&good_lists, &POOL_CHECKLIST.replace("读书", "读数"));
    gbk(&good_points, &POOL_POINTS.replace("CP W02", "CP-W02"));

    let rt = tokio::runtime::Runtime::new().unwrap();
    let driver = ChromeDriver::start();
    let profile = tempfile::tempdir().unwrap();
    let mut ui = Ui::new(
        rt.block_on(driver.session(1280, 900, profile.path())),
        "walk-admin",
    );
    let axe = axe_script();
    rt.block_on(async {
        ui.log_in(&url, "admin1", &seeded.password("admin1")).await;
        ui.wait_hash("#/plan").await;
        ui.find("#plan-route-R1").await;
        ui.assert_no_codes("plan").await;
        ui.assert_accessible(&axe, "the plan").await;

        // Files from Excel in GBK: every bad row of both files in one pass, in Chinese.
        ui.pick_file("#import-checklists", &bad_lists).await;
        ui.pick_file("#import-checkpoints", &bad_points).await;
        ui.tap("#import-submit").await;
        let errors = ui.wait_text("#import-errors", "第 3 行").await;
        assert!(errors.contains("checklists.csv 第 3 行"), "{errors}");
        assert!(errors.contains("checkpoints.csv 第 3 行"), "{errors}");
        assert!(errors.contains("“读书”"), "read as GBK, not garbled: {errors}");
        assert!(errors.contains("“方式”列"), "{errors}");
        assert!(!errors.contains('\u{fffd}'), "{errors}");
        assert!(!ui.has("#plan-cp-CP-W01").await, "nothing imported");
        ui.assert_accessible(&axe, "the import errors").await;
        ui.shot("walk-import-errors").await;

        ui.pick_file("#import-checklists", &good_lists).await;
        ui.pick_file("#import-checkpoints", &good_points).await;
        ui.tap("#import-submit").await;
        ui.wait_text("#import-report", "T-POOL").await;
        ui.wait_text("#plan-cp-CP-W02", "泳池西侧").await;

        // Labels for the new points only; printed alone, without the summary.
        ui.tap("#qr-new").await;
        ui.find("#qr-sheet svg").await;
        let labels = ui
            .c
            .execute("return document.querySelectorAll('#qr-sheet g.label').length;", vec![])
            .await
            .unwrap();
        assert_eq!(labels, json!(2));
        ui.wait_text("#qr-sheet", "泳池西侧").await;
        ui.cdp("Emulation.setEmulatedMedia", json!({ "media": "print" })).await;
        let shown = ui
            .c
            .execute(
                "const shown = id => { const e = document.getElementById(id); return !!e && e.getClientRects().length > 0; };
                 return [shown('import-report'), shown('routes'), shown('status'), shown('qr-sheet')];",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(shown, json!([false, false, false, true]), "print: only the labels");
        ui.cdp("Emulation.setEmulatedMedia", json!({ "media": "" })).await;
        // Or the points ticked in the table.
        ui.tap("#qr-pick-CP-R01").await;
        ui.tap("#qr-pick-CP-R02").await;
        ui.tap("#qr-pick-CP-W01").await;
        ui.tap("#qr-chosen").await;
        ui.wait_text("#qr-sheet", "1号楼楼梯间").await;
        let labels = ui
            .c
            .execute("return document.querySelectorAll('#qr-sheet g.label').length;", vec![])
            .await
            .unwrap();
        assert_eq!(labels, json!(3));

        // A better order is shown before it is applied; cancelled, nothing changes.
        let before = ui.find("#plan-route-R1 .walk").await.text().await.unwrap();
        ui.tap("#order-R1").await;
        ui.wait_text("#order-distance", " m → ").await;
        ui.find("#order-preview ol li").await;
        ui.tap("#order-cancel").await;
        ui.gone("#order-preview").await;
        assert_eq!(ui.find("#plan-route-R1 .walk").await.text().await.unwrap(), before);

        // A schedule made with controls: Mondays and Wednesdays 08:00–10:00,
        // daily in the rainy season.
        ui.type_into("#sched-code", "POOL").await;
        ui.type_into("#sched-name", "泳池巡查").await;
        ui.choose("#sched-route", "R9").await;
        ui.choose("#sched-repeat", "weekdays").await;
        ui.tap("#sched-day-mon").await;
        ui.tap("#sched-day-wed").await;
        ui.set_value("sched-from", "08:00").await;
        ui.set_value("sched-until", "10:00").await;
        ui.tap("#season-add").await;
        ui.type_into("#season-name-0", "雨季").await;
        ui.choose("#season-from-m-0", "6").await;
        ui.choose("#season-until-m-0", "9").await;
        ui.choose("#season-until-d-0", "30").await;
        ui.choose("#season-repeat-0", "daily").await;
        ui.assert_accessible(&axe, "the schedule form").await;
        ui.tap("#sched-submit").await;
        let row = ui.wait_text("#sched-POOL", "每周一、三").await;
        assert!(row.contains("08:00") && row.contains("雨季"), "{row}");
        assert!(row.contains("每天"), "{row}");
        ui.wait_text("#banner", "计划已保存").await;
        ui.assert_no_codes("plan with a schedule").await;
    });
    let (_, plan) = api_get(&url, &admin, "/api/v1/plan");
    let pool = plan["schedules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["code"] == "POOL")
        .cloned()
        .expect("the schedule");
    assert_eq!(
        pool["repeat"],
        json!({ "every": "weekdays", "days": [1, 3] }),
        "{pool}"
    );
    assert_eq!(
        pool["window"],
        json!({ "start": "08:00", "end": "10:00" }),
        "{pool}"
    );
    assert_eq!(
        pool["seasons"],
        json!([{ "name": "雨季", "from": "06-01", "until": "09-30", "repeat": { "every": "daily" } }]),
        "{pool}"
    );

    rt.block_on(async {
        // Deleting asks first; no keeps it.
        ui.tap("#sched-remove-POOL").await;
        ui.c.dismiss_alert().await.unwrap();
        ui.find("#sched-POOL").await;
        ui.tap("#sched-remove-POOL").await;
        ui.c.accept_alert().await.unwrap();
        ui.gone("#sched-POOL").await;
        // The message is about the delete, not the earlier save.
        let said = ui.wait_text("#banner", "已删除排班").await;
        assert!(!said.contains("计划已保存"), "{said}");

        // Disabling a user asks first, and can be undone.
        ui.tap("#disable-cs1").await;
        ui.c.dismiss_alert().await.unwrap();
        ui.find("#disable-cs1").await;
        ui.tap("#disable-cs1").await;
        ui.c.accept_alert().await.unwrap();
        ui.wait_text("#user-cs1", "已停用").await;
        ui.tap("#enable-cs1").await;
        ui.find("#disable-cs1").await;
        ui.assert_accessible(&axe, "users").await;
        ui.tap("#logout").await;

        // The next person at this browser sees nothing of the admin's messages.
        ui.find("#login").await;
        assert!(!ui.has("#banner").await);
        ui.type_into("#user", "cs1").await;
        ui.type_into("#password", &seeded.password("cs1")).await;
        ui.tap("#login-submit").await;
        ui.wait_hash("#/issues").await;
        assert!(!ui.has("#banner").await, "no message carried over");
        ui.assert_accessible(&axe, "customer service's list").await;
        ui.tap("#new-complaint").await;
        ui.find("#c-title").await;
        ui.assert_no_codes("complaint form").await;
        ui.assert_accessible(&axe, "the complaint form").await;
        ui.tap("#nav-callbacks").await;
        ui.wait_hash("#/callbacks").await;
        ui.assert_accessible(&axe, "the call-back queue").await;
        // A wrong password is said in Chinese, announced.
        ui.tap("#logout").await;
        ui.type_into("#user", "cs1").await;
        ui.type_into("#password", "not-the-password").await;
        ui.tap("#login-submit").await;
        let error = ui.wait_text("[role=alert]", "用户名或密码").await;
        assert!(!error.contains("unauthorized"), "{error}");
        ui.c.close().await.ok();
    });
}

#[test]
fn at_phone_width_filters_fold_tables_scroll_and_every_control_is_in_reach() {
    let dist = ui_dist();
    let seeded = Seeded::new();
    let server = InProcessServer::serve(
        seeded.state().with_ui_dir(Some(dist)),
        "127.0.0.1:0".parse().unwrap(),
    );
    let url = server.url.clone();
    let admin = login_token(&url, "admin1", &seeded.password("admin1"));
    let (status, body) = api_post(
        &url,
        &admin,
        "/api/v1/admin/schedules",
        &json!({ "code": "DAY-R1", "name": "住宅区早巡", "route": "R1", "repeat": "daily", "window": "08:00-12:00" }),
    );
    assert_eq!(status, 200, "{body}");
    let di = device_dir();
    let mut inspector = device(
        di.path(),
        &url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let photo = shot(&mut inspector, 5);
    let id = raise(
        &mut inspector,
        Raise {
            at: "CP-R09",
            item: None,
            category: Category::HygieneDefect,
            title: "东区垃圾桶满溢",
            photos: vec![photo],
            when: Utc::now(),
        },
    );
    inspector.sync(&opts()).unwrap();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let driver = ChromeDriver::start();
    let axe = axe_script();
    // What fits at 390 px: no sideways page, tabs on one row, controls inside the screen.
    const FITS: &str = "const w = window.innerWidth;
        const tabs = [...document.querySelectorAll('.tabs .tab')].filter(t => t.offsetParent !== null);
        return {
          page: document.documentElement.scrollWidth <= w,
          tab_rows: new Set(tabs.map(t => t.getBoundingClientRect().top)).size,
        };";
    let profile = tempfile::tempdir().unwrap();
    let mut ui = Ui::new(
        rt.block_on(driver.session(390, 844, profile.path())),
        "walk-phone",
    );
    rt.block_on(async {
        ui.log_in(&url, "manager1", &seeded.password("manager1")).await;
        ui.find(&format!("#issue-{id}")).await;
        let fits = ui.c.execute(FITS, vec![]).await.unwrap();
        assert_eq!(fits, json!({ "page": true, "tab_rows": 1 }), "issue list");
        // The filters are folded away: the first issue is on the first screen.
        assert_eq!(
            ui.find("#filter-box").await.attr("open").await.unwrap(),
            None,
            "folded"
        );
        let top = ui
            .c
            .execute(
                "return document.getElementById(arguments[0]).getBoundingClientRect().top / window.innerHeight;",
                vec![json!(format!("issue-{id}"))],
            )
            .await
            .unwrap();
        assert!(top.as_f64().unwrap() < 0.5, "first issue at {top} of the screen");
        ui.assert_accessible(&axe, "the issue list at 390 px").await;
        ui.shot("walk-phone-issues").await;
        // Opened, the filters work as on a desk.
        ui.tap("#filter-box summary").await;
        ui.choose("#f-category", "safety_hazard").await;
        ui.find("#no-issues").await;
        ui.choose("#f-category", "").await;

        // The issue: 指派 within the screen.
        ui.tap(&format!("#issue-{id}")).await;
        ui.find("#assign-submit").await;
        let inside = ui
            .c
            .execute(
                "const r = document.getElementById('assign-submit').getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth;",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(inside, json!(true));
        let fits = ui.c.execute(FITS, vec![]).await.unwrap();
        assert_eq!(fits["page"], json!(true), "issue page");
        ui.assert_accessible(&axe, "the issue page at 390 px").await;
        ui.shot("walk-phone-detail").await;

        // 分析: the tiles stack in the screen's width, the breakdown scrolls inside itself.
        ui.tap("#nav-analytics").await;
        ui.find("#an-kpis").await;
        ui.choose("#an-by", "inspector").await;
        ui.tap("#an-apply").await;
        ui.wait_text("#an-row-inspector1", "王巡查").await;
        let fits = ui.c.execute(FITS, vec![]).await.unwrap();
        assert_eq!(fits, json!({ "page": true, "tab_rows": 1 }), "analysis");
        let layout = ui
            .c
            .execute(
                "const tiles = [...document.querySelectorAll('#an-kpis li')].map(t => t.getBoundingClientRect());
                 const t = document.getElementById('an-rows');
                 return { inside: tiles.every(r => r.left >= 0 && r.right <= window.innerWidth),
                          scrolls: getComputedStyle(t).overflowX };",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(layout, json!({ "inside": true, "scrolls": "auto" }), "analysis");
        ui.assert_no_codes("analysis at 390 px").await;
        ui.assert_accessible(&axe, "the analysis at 390 px").await;
        ui.shot("walk-phone-analytics").await;
        ui.c.execute(
            "document.getElementById('an-pareto').scrollIntoView({block: 'start'});",
            vec![],
        )
        .await
        .unwrap();
        ui.shot("walk-phone-analytics-charts").await;
        ui.tap("#logout").await;

        // The admin's tables scroll inside themselves, with a hint, and 删除 is reachable.
        ui.type_into("#user", "admin1").await;
        ui.type_into("#password", &seeded.password("admin1")).await;
        ui.tap("#login-submit").await;
        ui.find("#sched-remove-DAY-R1").await;
        let fits = ui.c.execute(FITS, vec![]).await.unwrap();
        assert_eq!(fits, json!({ "page": true, "tab_rows": 1 }), "plan");
        let tables = ui
            .c
            .execute(
                "return ['routes', 'schedules'].map(id => {
                   const t = document.getElementById(id);
                   return { scrolls: getComputedStyle(t).overflowX, hint: getComputedStyle(t, '::before').content,
                            nowrap: getComputedStyle(t.querySelector('td')).whiteSpace };
                 });",
                vec![],
            )
            .await
            .unwrap();
        for t in tables.as_array().unwrap() {
            assert_eq!(t["scrolls"], "auto", "{tables}");
            assert!(t["hint"].as_str().unwrap().contains("左右滑动"), "{tables}");
            assert_eq!(t["nowrap"], "nowrap", "one line per cell: {tables}");
        }
        // Scrolled to, 删除 is inside the screen and asks before deleting.
        ui.tap("#sched-remove-DAY-R1").await;
        ui.c.dismiss_alert().await.unwrap();
        ui.find("#sched-DAY-R1").await;
        ui.assert_accessible(&axe, "the plan at 390 px").await;
        ui.shot("walk-phone-plan").await;
        ui.c.close().await.ok();
    });
}
