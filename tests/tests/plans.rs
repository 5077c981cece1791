//! Site plan administration and proof of presence against a real server:
//! CSV import with line-level errors and nothing half-imported, export that
//! reads back unchanged, checklist versions pinned by patrols that started
//! before a revision, presence evidence with dwell and receipt times, QR
//! label sheets that decode to their point codes, and route ordering.

use chrono::{Duration, Utc};
use serde_json::{Value, json};
use shared::patrol::{Answer, Presence};
use shared::wire::PatrolDetail;
use tests::*;

const CHECKLISTS: &str = "\u{feff}检查表编码,检查表名称,检查项编码,检查项,类别,方式,下限,上限,单位
T-POOL,泳池,water_clear,池水清澈,环境卫生,合格判定,,,
T-POOL,泳池,chlorine,余氯,设施设备,读数,0.3,1.0,mg/L
T-POOL,泳池,lifebuoy,\"救生圈齐全,可取用\",安全照明,合格判定,,,
";

const CHECKPOINTS: &str =
    "区域编码,区域名称,区域类型,点位编码,点位名称,坐标X,坐标Y,检查表编码,频率,路线
Z-POOL,会所泳池,公共设施,CP-W01,泳池东侧,10,5,T-POOL,每天,R9
Z-POOL,,,CP-W02,泳池西侧,2,5,T-POOL,weekly,R9;R1
";

struct Site {
    server: InProcessServer,
    seeded: Seeded,
    admin: String,
}

fn site() -> Site {
    let seeded = Seeded::new();
    let server = InProcessServer::serve(seeded.state(), "127.0.0.1:0".parse().unwrap());
    let admin = login_token(&server.url, "admin1", &seeded.password("admin1"));
    Site {
        server,
        seeded,
        admin,
    }
}

impl Site {
    fn token(&self, user: &str) -> String {
        login_token(&self.server.url, user, &self.seeded.password(user))
    }
    fn plan(&self) -> shared::plan::SitePlan {
        let (status, body) = api_get(&self.server.url, &self.admin, "/api/v1/plan");
        assert_eq!(status, 200, "{body}");
        serde_json::from_value(body).unwrap()
    }
    fn import(
        &self,
        token: &str,
        checklists: Option<&str>,
        checkpoints: Option<&str>,
    ) -> (u16, Value) {
        api_post(
            &self.server.url,
            token,
            "/api/v1/admin/import",
            &json!({ "checklists": checklists, "checkpoints": checkpoints }),
        )
    }
    fn export(&self, file: &str) -> String {
        let (status, kind, text) = api_text(
            &self.server.url,
            &self.admin,
            &format!("/api/v1/admin/export/{file}"),
        );
        assert_eq!(status, 200, "{text}");
        assert!(kind.starts_with("text/csv"), "{kind}");
        text
    }
}

#[test]
fn a_site_is_set_up_from_csv_and_exports_what_it_reads() {
    let s = site();
    let (status, report) = s.import(&s.admin, Some(CHECKLISTS), Some(CHECKPOINTS));
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["templates_added"], json!(["T-POOL v1"]));
    assert_eq!(report["zones_added"], json!(["Z-POOL"]));
    assert_eq!(report["checkpoints_added"], 2);
    assert_eq!(report["routes_added"], json!(["R9"]));
    // No schedule covers the new points: their frequencies give them default schedules.
    assert_eq!(
        report["schedules_added"],
        json!(["AUTO-DAILY", "AUTO-WEEKLY"])
    );

    let plan = s.plan();
    let w01 = plan.checkpoint_by_code("CP-W01").expect("imported point");
    assert_eq!(w01.name, "泳池东侧");
    assert_eq!(w01.plan_xy, Some((10.0, 5.0)));
    let zone = plan.zone(w01.zone).unwrap();
    assert_eq!(
        (zone.name.as_str(), zone.kind),
        ("会所泳池", shared::ZoneKind::PublicFacility)
    );
    let pool = plan.template(w01.template, w01.template_version).unwrap();
    assert_eq!(pool.items.len(), 3);
    assert_eq!(
        pool.items[2].label, "救生圈齐全,可取用",
        "a quoted comma stays in the cell"
    );
    assert!(matches!(
        &pool.items[1].kind,
        shared::plan::ItemKind::Reading { min: Some(a), max: Some(b), unit } if *a == 0.3 && *b == 1.0 && unit == "mg/L"
    ));
    let w02 = plan.checkpoint_by_code("CP-W02").unwrap();
    assert_eq!(w02.frequency, shared::plan::Frequency::Weekly);
    let r9 = plan.route_by_code("R9").unwrap();
    assert_eq!(r9.checkpoints, vec![w01.id, w02.id]);
    assert_eq!(
        plan.route_by_code("R1").unwrap().checkpoints.last(),
        Some(&w02.id)
    );

    // The export reads back with nothing to change, and is the same file again.
    let checklists = s.export("checklists.csv");
    let checkpoints = s.export("checkpoints.csv");
    assert!(
        checkpoints.starts_with('\u{feff}'),
        "Excel needs the byte-order mark"
    );
    assert!(
        checkpoints.contains("CP-W02,泳池西侧,2,5,T-POOL,每周,R1;R9"),
        "{checkpoints}"
    );
    let (status, report) = s.import(&s.admin, Some(&checklists), Some(&checkpoints));
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["templates_added"], json!([]));
    assert_eq!(report["templates_revised"], json!([]));
    assert_eq!(report["checkpoints_added"], 0);
    assert_eq!(report["checkpoints_updated"], 0);
    assert_eq!(report["checkpoints_unchanged"], plan.checkpoints.len());
    assert_eq!(s.plan(), plan);
    assert_eq!(s.export("checkpoints.csv"), checkpoints);

    // The points are due at their frequency; points no schedule covers are flagged.
    let auto = |code: &str| {
        plan.schedules
            .iter()
            .find(|x| x.code.as_str() == code)
            .unwrap()
            .clone()
    };
    assert_eq!(
        auto("AUTO-DAILY").target,
        shared::schedule::Target::Checkpoints {
            checkpoints: vec![w01.id]
        }
    );
    assert_eq!(
        auto("AUTO-WEEKLY").target,
        shared::schedule::Target::Checkpoints {
            checkpoints: vec![w02.id]
        }
    );
    assert_eq!(auto("AUTO-WEEKLY").repeat, shared::schedule::Repeat::Weekly);
    let today = Utc::now()
        .with_timezone(&plan.site.deadlines.offset())
        .date_naive();
    let coverage = |s: &Site| {
        let (status, c) = api_get(
            &s.server.url,
            &s.admin,
            &format!("/api/v1/coverage?from={today}&to={today}"),
        );
        assert_eq!(status, 200, "{c}");
        c
    };
    let c = coverage(&s);
    let unscheduled: Vec<&str> = c["unscheduled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        unscheduled.contains(&"CP-R01"),
        "the seeded points have no schedule yet: {unscheduled:?}"
    );
    assert!(!unscheduled.contains(&"CP-W01") && !unscheduled.contains(&"CP-W02"));
    assert!(
        c["tasks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["task"]["key"] == format!("AUTO-DAILY@{today}"))
    );
    // A schedule for route R1 covers its points; the frequency of a point already covered makes nothing.
    let (status, body) = api_post(
        &s.server.url,
        &s.admin,
        "/api/v1/admin/schedules",
        &json!({"code": "DAY-R1", "name": "住宅区早巡", "route": "R1", "repeat": "daily"}),
    );
    assert_eq!(status, 200, "{body}");
    let c = coverage(&s);
    let unscheduled: Vec<&str> = c["unscheduled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        !unscheduled.contains(&"CP-R01") && unscheduled.contains(&"CP-C01"),
        "{unscheduled:?}"
    );
    // Changing a point's frequency moves it to that default schedule.
    let moved = checkpoints.replace(
        "CP-W01,泳池东侧,10,5,T-POOL,每天",
        "CP-W01,泳池东侧,10,5,T-POOL,每月",
    );
    assert_ne!(moved, checkpoints);
    let (status, report) = s.import(&s.admin, None, Some(&moved));
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["schedules_added"], json!(["AUTO-MONTHLY"]));
    let p2 = s.plan();
    assert!(
        p2.schedules.iter().all(|x| x.code.as_str() != "AUTO-DAILY"),
        "an emptied default schedule goes"
    );
    assert_eq!(
        shared::schedule::schedules_of(&p2, w01.id)
            .iter()
            .map(|x| x.code.as_str())
            .collect::<Vec<_>>(),
        ["AUTO-MONTHLY"]
    );
    let (status, report) = s.import(&s.admin, None, Some(&checkpoints));
    assert_eq!(status, 200, "{report}");

    // Devices receive the imported checkpoints at their next sync.
    let dir = device_dir();
    let inspector = device(
        dir.path(),
        &s.server.url,
        "inspector1",
        &s.seeded.password("inspector1"),
    );
    assert!(
        inspector
            .plan()
            .unwrap()
            .checkpoint_by_code("CP-W01")
            .is_some()
    );
}

#[test]
fn bad_rows_are_reported_by_line_and_nothing_is_imported() {
    let s = site();
    let before = s.plan();
    let checklists = "检查表编码,检查表名称,检查项编码,检查项,类别,方式,下限,上限,单位
T-POOL,泳池,water_clear,池水清澈,环境卫生,合格判定,,,
T-POOL,泳池,chlorine,余氯,设施设备,读数,1.0,0.3,mg/L
T-POOL,泳池,depth,水深,设施设备,目测,,,
";
    let checkpoints =
        "区域编码,区域名称,区域类型,点位编码,点位名称,坐标X,坐标Y,检查表编码,频率,路线
Z-POOL,会所泳池,公共设施,CP-W01,泳池东侧,10,5,T-POOL,每天,R9
Z-POOL,会所泳池,公共设施,CP W02,泳池西侧,2,5,T-POOL,每天,R9
Z-POOL,会所泳池,水上乐园,CP-W03,泳池,2,5,T-POOL,每天,
Z-POOL,会所泳池,公共设施,CP-W04,,2,5,T-POOL,每天,
Z-POOL,会所泳池,公共设施,CP-W05,泳池北,abc,5,T-POOL,每天,
Z-POOL,会所泳池,公共设施,CP-W01,重复,1,1,T-POOL,每天,
Z-POOL,会所泳池,公共设施,CP-W06,泳池南,1,1,T-NOPE,每天,
Z-NEW,新区域,,CP-W07,新点位,1,1,T-POOL,每天,
";
    let (status, body) = s.import(&s.admin, Some(checklists), Some(checkpoints));
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["code"], "bad_rows");
    assert!(message_zh(&body).contains("9 行"), "{body}");
    for row in body["rows"].as_array().unwrap() {
        message_zh(row);
    }
    let rows: Vec<(String, u64, String)> = body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["file"].as_str().unwrap().to_string(),
                r["line"].as_u64().unwrap(),
                r["column"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let expected: Vec<(String, u64, String)> = [
        ("checklists.csv", 3, "下限"),
        ("checklists.csv", 4, "方式"),
        ("checkpoints.csv", 3, "点位编码"),
        ("checkpoints.csv", 4, "区域类型"),
        ("checkpoints.csv", 5, "点位名称"),
        ("checkpoints.csv", 6, "坐标X"),
        ("checkpoints.csv", 7, "点位编码"),
        ("checkpoints.csv", 8, "检查表编码"),
        ("checkpoints.csv", 9, "区域类型"),
    ]
    .iter()
    .map(|(f, l, c)| (f.to_string(), *l, c.to_string()))
    .collect();
    assert_eq!(rows, expected, "{body:#}");
    let messages = body["rows"].to_string();
    assert!(messages.contains("already appears on line 2"), "{messages}");
    assert!(messages.contains("no checklist T-NOPE"), "{messages}");
    assert_eq!(s.plan(), before, "nothing was imported");

    // Unknown and missing columns are named.
    let (status, body) = s.import(&s.admin, None, Some("点位编码,名字\nA,B\n"));
    assert_eq!(status, 422);
    let text = body["rows"].to_string();
    assert!(
        text.contains("名字") && text.contains("区域编码") && text.contains("检查表编码"),
        "{text}"
    );

    // A spreadsheet saved by Excel in zh-CN (GBK) reads as well as UTF-8; bytes that are neither are refused.
    let gbk: &[u8] = b"\xc7\xf8\xd3\xf2"; // 区域 in GBK
    let mut file = b"zone,point\n".to_vec();
    file.extend_from_slice(gbk);
    assert_eq!(
        sync_server::plan_csv::decode("checkpoints.csv", &file).unwrap(),
        "zone,point\n区域"
    );
    let mut broken = b"zone,point\nok\n".to_vec();
    broken.extend_from_slice(b"\xff\xff\xff");
    let err = sync_server::plan_csv::decode("checkpoints.csv", &broken).unwrap_err();
    assert_eq!(err.line, 3);
    assert!(err.to_string().contains("UTF-8"), "{err}");

    // Only admins change the plan; managers may export; inspectors neither.
    let manager = s.token("manager1");
    let (status, body) = s.import(&manager, Some(CHECKLISTS), None);
    assert_eq!(
        (status, body["code"].as_str()),
        (403, Some("role_forbidden"))
    );
    let (status, _, _) = api_text(
        &s.server.url,
        &manager,
        "/api/v1/admin/export/checklists.csv",
    );
    assert_eq!(status, 200);
    let inspector = s.token("inspector1");
    let (status, _, _) = api_text(
        &s.server.url,
        &inspector,
        "/api/v1/admin/export/checklists.csv",
    );
    assert_eq!(status, 403);
    assert_eq!(s.plan(), before);
}

fn fire_answers(with_hose: bool) -> Vec<(String, Answer)> {
    let mut a = vec![
        ("extinguisher_pressure".to_string(), Answer::Reading(1.2)),
        ("hydrant".to_string(), Answer::Pass),
        ("alarm".to_string(), Answer::Pass),
        ("fire_lane".to_string(), Answer::Pass),
    ];
    if with_hose {
        a.push(("hose".to_string(), Answer::Pass));
    }
    a
}

#[test]
fn a_patrol_finishes_on_the_checklist_version_it_started_with() {
    let s = site();
    let dir = device_dir();
    let mut inspector = device(
        dir.path(),
        &s.server.url,
        "inspector1",
        &s.seeded.password("inspector1"),
    );
    let fire_points: Vec<String> = {
        let plan = inspector.plan().unwrap();
        let r3 = plan.route_by_code("R3").unwrap();
        r3.checkpoints
            .iter()
            .filter_map(|id| plan.checkpoint(*id))
            .filter(|c| {
                plan.template(c.template, c.template_version)
                    .unwrap()
                    .code
                    .as_str()
                    == "T-FIRE"
            })
            .map(|c| c.code.to_string())
            .collect()
    };
    assert!(
        fire_points.len() >= 2,
        "R3 has fire points: {fire_points:?}"
    );
    let now = Utc::now();
    inspector.patrol_start("R3", now).unwrap();
    inspector
        .patrol_check(&fire_points[0], &fire_answers(false), now)
        .unwrap();

    // Meanwhile the admin adds an item to the fire checklist: version 2.
    let mut revised = s.export("checklists.csv");
    revised.push_str("T-FIRE,消防设施,hose,水带完好,设施设备,合格判定,,,\n");
    let (status, report) = s.import(&s.admin, Some(&revised), None);
    assert_eq!(status, 200, "{report}");
    assert_eq!(report["templates_revised"], json!(["T-FIRE v2"]));

    // The device syncs mid-patrol and receives version 2…
    inspector.sync(&opts()).unwrap();
    let plan = inspector.plan().unwrap();
    let cp = plan.checkpoint_by_code(&fire_points[1]).unwrap();
    assert_eq!(cp.template_version, 2);
    // …but the open patrol finishes on version 1.
    let checklist = inspector.patrol_arrive(&fire_points[1], now).unwrap();
    assert_eq!((checklist.version, checklist.items.len()), (1, 4));
    inspector
        .patrol_check(&fire_points[1], &fire_answers(false), now)
        .unwrap();
    inspector.patrol_finish(now).unwrap();
    let run = inspector.sync(&opts()).unwrap();
    assert!(run.refused_docs.is_empty(), "{:?}", run.refused_docs);
    assert!(run.refused_events.is_empty(), "{:?}", run.refused_events);

    // The server holds both results with version 1.
    let token = inspector.session().unwrap().token;
    let (status, list) = api_get(&s.server.url, &s.admin, "/api/v1/patrols");
    assert_eq!(status, 200, "{list}");
    let id = list[0]["id"].as_str().unwrap().to_string();
    let (status, body) = api_get(&s.server.url, &token, &format!("/api/v1/patrols/{id}"));
    assert_eq!(status, 200, "{body}");
    let detail: PatrolDetail = serde_json::from_value(body).unwrap();
    assert_eq!(detail.results.len(), 2);
    assert!(
        detail
            .results
            .iter()
            .all(|r| r.result.template_version == 1)
    );

    // A new patrol uses version 2: the new item must be answered.
    inspector.patrol_start("R3", now).unwrap();
    let checklist = inspector.patrol_arrive(&fire_points[0], now).unwrap();
    assert_eq!((checklist.version, checklist.items.len()), (2, 5));
    let err = inspector
        .patrol_check(&fire_points[0], &fire_answers(false), now)
        .unwrap_err();
    assert!(err.to_string().contains("hose"), "{err}");
    let out = inspector
        .patrol_check(&fire_points[0], &fire_answers(true), now)
        .unwrap();
    assert_eq!(out.failed.len(), 0);
}

#[test]
fn each_result_carries_presence_evidence_and_missing_evidence_is_marked() {
    let s = site();
    let dir = device_dir();
    let mut inspector = device(
        dir.path(),
        &s.server.url,
        "inspector1",
        &s.seeded.password("inspector1"),
    );
    let plan = inspector.plan().unwrap();
    let r1 = plan.route_by_code("R1").unwrap();
    let points: Vec<&shared::plan::Checkpoint> = r1
        .checkpoints
        .iter()
        .take(2)
        .map(|id| plan.checkpoint(*id).unwrap())
        .collect();
    let answers = |cp: &shared::plan::Checkpoint| -> Vec<(String, Answer)> {
        plan.template(cp.template, cp.template_version)
            .unwrap()
            .items
            .iter()
            .map(|i| {
                let a = match i.kind {
                    shared::plan::ItemKind::PassFail => Answer::Pass,
                    shared::plan::ItemKind::Reading { .. } => Answer::Na,
                };
                (i.code.to_string(), a)
            })
            .collect()
    };
    let t0 = Utc::now() - Duration::minutes(10);
    inspector.patrol_start("R1", t0).unwrap();
    // A wrong code is refused on arrival and leaves no arrival behind.
    let err = inspector
        .arrive_checkpoint(points[0].code.as_str(), "NOT-HERE", t0)
        .unwrap_err();
    assert_eq!(err.code(), "wrong_point_code");
    // Arrive, then save 95 seconds later: the dwell time is 95 s.
    inspector
        .arrive_checkpoint(
            points[0].code.as_str(),
            &points[0].code.as_str().to_lowercase(),
            t0,
        )
        .unwrap();
    inspector
        .patrol_check(
            points[0].code.as_str(),
            &answers(points[0]),
            t0 + Duration::seconds(95),
        )
        .unwrap();
    // Saved without confirming arrival first: the code is there, the dwell unknown.
    inspector
        .patrol_check(
            points[1].code.as_str(),
            &answers(points[1]),
            t0 + Duration::seconds(200),
        )
        .unwrap();
    let run = inspector.open_patrol().unwrap().unwrap();
    inspector.sync(&opts()).unwrap();
    let received_by = Utc::now();

    // A result from an older client that gave no evidence, stored as it came.
    let mut view = run.clone();
    let mut bare = view.results[1].clone();
    bare.id = shared::ResultId::new();
    bare.presence = Presence::None;
    view.results.push(bare);
    {
        let mut txn = s.seeded.store.begin().unwrap();
        let mut d =
            shared::doc::new_patrol(shared::doc::actor(txn.server_actor().unwrap()), &view.run)
                .unwrap();
        for r in &view.results {
            shared::doc::append_result(&mut d, r).unwrap();
        }
        sync_server::sync::save(
            &mut *txn,
            view.run.id.into(),
            shared::wire::DocKind::Patrol,
            &mut d,
            None,
            Utc::now(),
        )
        .unwrap();
        txn.commit().unwrap();
    }

    let manager = s.token("manager1");
    let (status, body) = api_get(
        &s.server.url,
        &manager,
        &format!("/api/v1/patrols/{}", run.run.id),
    );
    assert_eq!(status, 200, "{body}");
    let detail: PatrolDetail = serde_json::from_value(body).unwrap();
    use shared::patrol::{EntryMethod, PresenceEvidence};
    assert_eq!(
        detail.results[0].evidence,
        PresenceEvidence::Code {
            code: points[0].code.to_string(),
            method: EntryMethod::Typed,
            dwell_seconds: Some(95)
        }
    );
    assert_eq!(
        detail.results[1].evidence,
        PresenceEvidence::Code {
            code: points[1].code.to_string(),
            method: EntryMethod::Typed,
            dwell_seconds: None
        }
    );
    assert_eq!(detail.results[2].evidence, PresenceEvidence::Missing);
    assert_eq!(detail.summary.without_presence, 1);
    // Device time and server receipt time are both there.
    assert_eq!(
        detail.results[0].result.checked_at,
        t0 + Duration::seconds(95)
    );
    let received = detail.results[0].received_at.expect("receipt time");
    assert!(received > detail.results[0].result.checked_at && received <= received_by);

    let (status, list) = api_get(&s.server.url, &manager, "/api/v1/patrols");
    assert_eq!(status, 200);
    assert_eq!(list[0]["without_presence"], 1);
    // Another inspector sees neither the run nor its existence.
    s.seeded.add_other_site("outsider", shared::Role::Manager);
    let outsider = login_token(&s.server.url, "outsider", "other-password");
    let (status, _) = api_get(
        &s.server.url,
        &outsider,
        &format!("/api/v1/patrols/{}", run.run.id),
    );
    assert_eq!(status, 404);
}

/// Rasterises one label's QR path (module units, `M{x} {y}h1v1h-1z` per dark
/// module) and decodes it.
fn decode_label(path: &str) -> String {
    let mut modules = Vec::new();
    for part in path.split('M').filter(|p| !p.is_empty()) {
        let xy = part.split('h').next().unwrap();
        let (x, y) = xy.split_once(' ').unwrap();
        modules.push((x.parse::<usize>().unwrap(), y.parse::<usize>().unwrap()));
    }
    let side = modules.iter().map(|(x, y)| x.max(y)).max().unwrap() + 5;
    const PX: usize = 6;
    let img = image::GrayImage::from_fn((side * PX) as u32, (side * PX) as u32, |x, y| {
        let dark = modules.contains(&(x as usize / PX, y as usize / PX));
        image::Luma([if dark { 0 } else { 255 }])
    });
    let mut prepared = rqrr::PreparedImage::prepare(img);
    let grids = prepared.detect_grids();
    assert_eq!(grids.len(), 1, "one QR code per label");
    grids[0].decode().expect("decodes").1
}

#[test]
fn qr_sheets_print_every_point_with_a_code_that_scans_back() {
    let s = site();
    let plan = s.plan();
    let manager = s.token("manager1");
    let (status, kind, svg) =
        api_text(&s.server.url, &manager, "/api/v1/admin/qr-sheet.svg?page=1");
    assert_eq!(status, 200, "{svg}");
    assert!(kind.starts_with("image/svg+xml"));
    assert!(
        svg.contains("width=\"210mm\"") && svg.contains("height=\"297mm\""),
        "A4"
    );
    let mut seen = Vec::new();
    for label in svg.split("<g class=\"label\" data-code=\"").skip(1) {
        let code = label.split('"').next().unwrap().to_string();
        let path = label
            .split("class=\"qr\" fill=\"black\" d=\"")
            .nth(1)
            .unwrap();
        let path = path.split('"').next().unwrap();
        assert_eq!(decode_label(path), code, "the QR code holds the point code");
        let cp = plan.checkpoint_by_code(&code).unwrap();
        assert!(
            label.contains(&format!(">{}</text>", cp.name)),
            "Chinese name on the label"
        );
        seen.push(code);
    }
    assert_eq!(seen.len(), 12, "twelve labels on a page");

    // Every point is on some page, once.
    let (_, _, html) = api_text(&s.server.url, &manager, "/api/v1/admin/qr-sheet");
    assert_eq!(
        html.matches("class=\"label\"").count(),
        plan.checkpoints.len()
    );
    for cp in &plan.checkpoints {
        assert!(html.contains(&format!("data-code=\"{}\"", cp.code)));
    }
    let pages = plan.checkpoints.len().div_ceil(12);
    let (status, _, _) = api_text(
        &s.server.url,
        &manager,
        &format!("/api/v1/admin/qr-sheet.svg?page={}", pages + 1),
    );
    assert_eq!(status, 404);
    let inspector = s.token("inspector1");
    let (status, _, _) = api_text(&s.server.url, &inspector, "/api/v1/admin/qr-sheet");
    assert_eq!(status, 403);
}

#[test]
fn an_admin_orders_a_route_for_a_short_walk_over_the_api() {
    let s = site();
    let before = s.plan();
    let (status, body) = api_post(
        &s.server.url,
        &s.admin,
        "/api/v1/admin/routes/R2/order",
        &json!({}),
    );
    assert_eq!(status, 200, "{body}");
    assert!(
        body["after"].as_f64().unwrap() < body["before"].as_f64().unwrap(),
        "{body}"
    );
    let after = s.plan();
    let (r_before, r_after) = (
        before.route_by_code("R2").unwrap(),
        after.route_by_code("R2").unwrap(),
    );
    assert_ne!(r_before.checkpoints, r_after.checkpoints);
    let mut a = r_before.checkpoints.clone();
    let mut b = r_after.checkpoints.clone();
    a.sort();
    b.sort();
    assert_eq!(a, b, "the same checkpoints, reordered");
    let order: Vec<String> = r_after
        .checkpoints
        .iter()
        .map(|id| after.checkpoint(*id).unwrap().code.to_string())
        .collect();
    assert_eq!(body["order"], json!(order));

    let manager = s.token("manager1");
    let (status, _) = api_post(
        &s.server.url,
        &manager,
        "/api/v1/admin/routes/R2/order",
        &json!({}),
    );
    assert_eq!(status, 403);
    let (status, body) = api_post(
        &s.server.url,
        &s.admin,
        "/api/v1/admin/routes/NOPE/order",
        &json!({}),
    );
    assert_eq!(status, 422, "{body}");
}

/// `day` at `hh:mm` in the demo site's zone (UTC+8).
fn local(day: chrono::NaiveDate, hh: u32, mm: u32) -> chrono::DateTime<Utc> {
    use chrono::TimeZone;
    chrono::FixedOffset::east_opt(8 * 3600)
        .unwrap()
        .from_local_datetime(&day.and_hms_opt(hh, mm, 0).unwrap())
        .unwrap()
        .with_timezone(&Utc)
}

fn pass_all(plan: &shared::plan::SitePlan, code: &str) -> Vec<(String, Answer)> {
    let cp = plan.checkpoint_by_code(code).unwrap();
    plan.template(cp.template, cp.template_version)
        .unwrap()
        .items
        .iter()
        .map(|i| (i.code.to_string(), Answer::Na))
        .collect()
}

#[test]
fn scheduled_tasks_reach_devices_and_coverage_counts_checks_in_their_windows() {
    let s = site();
    let (status, body) = api_post(
        &s.server.url,
        &s.admin,
        "/api/v1/admin/schedules",
        &json!({ "code": "NIGHT", "name": "夜间巡查", "route": "R1", "repeat": "daily", "window": "22:00-02:00" }),
    );
    assert_eq!(status, 200, "{body}");
    let (status, body) = api_post(
        &s.server.url,
        &s.admin,
        "/api/v1/admin/schedules",
        &json!({ "code": "BAD", "name": "x", "route": "R1", "repeat": "sometimes" }),
    );
    assert_eq!(
        (status, body["code"].as_str()),
        (422, Some("invalid")),
        "{body}"
    );
    let manager = s.token("manager1");
    let (status, _) = api_post(
        &s.server.url,
        &manager,
        "/api/v1/admin/schedules",
        &json!({ "code": "M", "name": "x", "route": "R1", "repeat": "daily" }),
    );
    assert_eq!(status, 403, "only admins schedule");

    let dir = device_dir();
    let mut inspector = device(
        dir.path(),
        &s.server.url,
        "inspector1",
        &s.seeded.password("inspector1"),
    );
    let plan = inspector.plan().unwrap();
    let r1: Vec<String> = plan
        .route_by_code("R1")
        .unwrap()
        .checkpoints
        .iter()
        .map(|id| plan.checkpoint(*id).unwrap().code.to_string())
        .collect();
    // Yesterday, so that both nights' windows have opened by now whatever the
    // hour the test runs: coverage counts only windows that have opened.
    let day = tests::site_today() - Duration::days(1);
    let night = local(day, 23, 0);

    // Offline from here: the device knows tonight's task from the plan alone.
    let mut server = s.server;
    server.stop();
    let task = |d: &device::Device, at| {
        d.route_tasks(at)
            .unwrap()
            .into_iter()
            .find(|t| t.code == "R1")
            .unwrap()
            .windows
            .into_iter()
            .find(|w| w.key == format!("NIGHT@{day}"))
            .expect("tonight's task")
    };
    let w = task(&inspector, night);
    assert!(
        w.is_open(night) && (w.done, w.total) == (0, r1.len()),
        "{w:?}"
    );
    assert_eq!(w.from, local(day, 22, 0));
    assert_eq!(w.until, local(day + Duration::days(1), 2, 0));
    assert!(!task(&inspector, local(day, 21, 0)).is_open(local(day, 21, 0)));

    inspector.patrol_start("R1", night).unwrap();
    for code in &r1[..2] {
        inspector
            .patrol_check(code, &pass_all(&plan, code), night + Duration::minutes(5))
            .unwrap();
    }
    let w = task(&inspector, night + Duration::minutes(10));
    assert_eq!((w.done, w.total), (2, r1.len()));
    assert_eq!(w.missing, r1[2..].to_vec());
    // At 03:00 the window has closed with points unchecked: overdue.
    let late = local(day + Duration::days(1), 3, 0);
    assert!(task(&inspector, late).is_overdue(late));

    // Back online: the server counts the same.
    let server = InProcessServer::serve(s.seeded.state(), server.addr);
    inspector.sync(&opts()).unwrap();
    let (status, c) = api_get(
        &server.url,
        &manager,
        &format!("/api/v1/coverage?from={day}&to={day}"),
    );
    assert_eq!(status, 200, "{c}");
    let c: shared::schedule::Coverage = serde_json::from_value(c).unwrap();
    // Last night's task (nothing checked) and tonight's (two).
    assert_eq!((c.total.due, c.total.done), (2 * r1.len(), 2));
    let route = c.by_route.iter().find(|r| r.key == "R1").unwrap();
    assert_eq!((route.due, route.done), (2 * r1.len(), 2));
    let me = c
        .by_inspector
        .iter()
        .find(|r| r.key == "inspector1")
        .unwrap();
    // The points the inspector skipped on the walk are theirs, not nobody's.
    assert_eq!((me.due, me.done), (r1.len(), 2));
    assert_eq!(
        c.by_inspector.iter().map(|r| r.due).sum::<usize>(),
        2 * r1.len(),
        "the night nobody walked is counted once, unattributed: {:?}",
        c.by_inspector
    );
    assert_eq!(c.by_zone.iter().map(|z| z.due).sum::<usize>(), 2 * r1.len());
    let (status, _) = api_get(
        &server.url,
        &manager,
        &format!("/api/v1/coverage?from={day}&to=2020-01-01"),
    );
    assert_eq!(status, 400);
    let inspector_token = inspector.session().unwrap().token;
    let (status, _) = api_get(
        &server.url,
        &inspector_token,
        &format!("/api/v1/coverage?from={day}&to={day}"),
    );
    assert_eq!(status, 403);
}

#[test]
fn a_spot_check_is_drawn_replayed_and_reaches_only_the_drawn_inspector_when_its_window_opens() {
    // The demo site has two inspectors to draw from.
    let s = site();
    let manager = s.token("manager1");
    let from = Utc::now() + Duration::hours(1);
    let until = from + Duration::hours(4);
    let (status, drawn) = api_post(
        &s.server.url,
        &manager,
        "/api/v1/spot-checks",
        &json!({ "n": 3, "from": from, "until": until, "seed": 20261127u64 }),
    );
    assert_eq!(status, 400, "a chosen seed is refused: {drawn}");
    // More points than the site has: refused in both languages, with the numbers.
    let (status, refused) = api_post(
        &s.server.url,
        &manager,
        "/api/v1/spot-checks",
        &json!({ "n": 500, "from": from, "until": until }),
    );
    assert_eq!(
        (status, refused["code"].as_str()),
        (422, Some("invalid")),
        "{refused}"
    );
    let zh = message_zh(&refused);
    assert!(zh.contains("500") && zh.contains("可抽"), "{refused}");
    let (status, refused) = api_post(
        &s.server.url,
        &manager,
        "/api/v1/spot-checks",
        &json!({ "n": 3, "from": until, "until": from }),
    );
    assert_eq!(status, 422, "{refused}");
    assert_eq!(message_zh(&refused), "结束时间要晚于开始时间");
    let (status, drawn) = api_post(
        &s.server.url,
        &manager,
        "/api/v1/spot-checks",
        &json!({ "n": 3, "from": from, "until": until }),
    );
    assert_eq!(status, 200, "{drawn}");
    assert_eq!(drawn["replays"], true);
    let code = drawn["spot_check"]["code"].as_str().unwrap().to_string();
    let who = drawn["inspector_name"].as_str().unwrap().to_string();
    let codes: Vec<String> = serde_json::from_value(drawn["checkpoint_codes"].clone()).unwrap();
    assert_eq!(codes.len(), 3);
    assert_eq!(drawn["spot_check"]["drawn_by"], "manager1");

    // An auditor replays it from the record and gets the same draw.
    let (status, replay) = api_get(
        &s.server.url,
        &s.admin,
        &format!("/api/v1/spot-checks/{code}/replay"),
    );
    assert_eq!(status, 200, "{replay}");
    assert_eq!(replay["replays"], true);
    assert_eq!(replay["checkpoint_codes"], drawn["checkpoint_codes"]);
    assert_eq!(replay["inspector_name"], who.as_str());
    // The same seed on the same candidates always draws the same.
    let record: shared::schedule::SpotCheck =
        serde_json::from_value(replay["spot_check"].clone()).unwrap();
    let again =
        shared::schedule::draw(record.seed, &record.candidates, &record.inspectors, 3).unwrap();
    assert_eq!(
        (again.0, again.1),
        (record.checkpoints.clone(), record.inspector)
    );
    let mut forged = record.clone();
    forged.checkpoints.swap(0, 1);
    assert!(!forged.replays(), "a changed record no longer replays");
    let inspector_token = s.token("inspector1");
    let (status, _) = api_post(
        &s.server.url,
        &inspector_token,
        "/api/v1/spot-checks",
        &json!({ "n": 1, "from": from, "until": until }),
    );
    assert_eq!(status, 403, "only managers draw");

    // Both inspectors sync; only the drawn one sees the task, and only once it opens.
    let (d1, d2) = (device_dir(), device_dir());
    let mut drawn_dev = device(d1.path(), &s.server.url, &who, &s.seeded.password(&who));
    let other = if who == "inspector1" {
        "inspector2"
    } else {
        "inspector1"
    };
    let other_dev = device(d2.path(), &s.server.url, other, &s.seeded.password(other));
    let has = |d: &device::Device, at| {
        d.route_tasks(at)
            .unwrap()
            .into_iter()
            .find(|t| t.code == code)
    };
    assert!(
        has(&drawn_dev, Utc::now()).is_none(),
        "not before the window"
    );
    let during = from + Duration::minutes(30);
    let task = has(&drawn_dev, during).expect("the drawn inspector's task");
    assert!(task.spot_check);
    let step_codes: std::collections::BTreeSet<String> =
        task.steps.iter().map(|s| s.code.clone()).collect();
    assert_eq!(step_codes, codes.iter().cloned().collect());
    assert_eq!(task.windows.len(), 1);
    assert!(task.windows[0].is_open(during));
    assert!(
        has(&other_dev, during).is_none(),
        "the other inspector never sees it"
    );
    assert!(
        has(&drawn_dev, until + Duration::minutes(1)).is_none(),
        "gone after the window"
    );

    // The drawn inspector walks it.
    let plan = drawn_dev.plan().unwrap();
    drawn_dev.patrol_start(&code, during).unwrap();
    drawn_dev
        .patrol_check(&codes[0], &pass_all(&plan, &codes[0]), during)
        .unwrap();
    let task = has(&drawn_dev, during).unwrap();
    assert_eq!(task.windows[0].done, 1);
}

#[test]
fn an_admin_adds_and_disables_users_of_the_site() {
    let s = site();
    let url = s.server.url.clone();
    let new = json!({ "name": "cs2", "display_name": "吴客服", "role": "customer_service", "department": null, "password": "cs2-password" });
    let (status, body) = api_post(&url, &s.admin, "/api/v1/admin/users", &new);
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (body["name"].as_str(), body["role"].as_str()),
        (Some("cs2"), Some("customer_service"))
    );
    assert!(
        s.plan()
            .user_by_name("cs2")
            .is_some_and(|u| u.active && u.display_name == "吴客服")
    );
    let cs2 = login_token(&url, "cs2", "cs2-password");

    let (status, body) = api_post(&url, &s.admin, "/api/v1/admin/users", &new);
    assert_eq!((status, body["code"].as_str()), (409, Some("exists")));
    let mut staff = new.clone();
    staff["name"] = json!("staff9");
    staff["role"] = json!("field_staff");
    let (status, body) = api_post(&url, &s.admin, "/api/v1/admin/users", &staff);
    assert_eq!(status, 422, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("department"),
        "{body}"
    );
    assert!(message_zh(&body).contains("部门"), "{body}");
    let mut short = new.clone();
    short["name"] = json!("cs3");
    short["password"] = json!("short");
    assert_eq!(
        api_post(&url, &s.admin, "/api/v1/admin/users", &short).0,
        422
    );
    let manager = s.token("manager1");
    assert_eq!(api_post(&url, &manager, "/api/v1/admin/users", &new).0, 403);

    // Disabling revokes the user's logins at once.
    let (status, _) = api_post(
        &url,
        &s.admin,
        "/api/v1/admin/users/cs2/disable",
        &json!({}),
    );
    assert_eq!(status, 204);
    assert_eq!(api_get(&url, &cs2, "/api/v1/me").0, 401);
    assert!(s.plan().user_by_name("cs2").is_some_and(|u| !u.active));
    assert_eq!(
        api_post(
            &url,
            &s.admin,
            "/api/v1/admin/users/admin1/disable",
            &json!({})
        )
        .0,
        422
    );
    assert_eq!(
        api_post(
            &url,
            &s.admin,
            "/api/v1/admin/users/nobody/disable",
            &json!({})
        )
        .0,
        404
    );
    s.seeded
        .add_other_site("elsewhere", shared::Role::Inspector);
    assert_eq!(
        api_post(
            &url,
            &s.admin,
            "/api/v1/admin/users/elsewhere/disable",
            &json!({})
        )
        .0,
        404
    );

    // Enabling reverses it: only the site's admin, only the site's users.
    for token in [&manager, &s.token("inspector1")] {
        assert_eq!(
            api_post(&url, token, "/api/v1/admin/users/cs2/enable", &json!({})).0,
            403
        );
    }
    let other_admin = {
        let mut txn = s.seeded.store.begin().unwrap();
        sync_server::accounts::add_user(
            &mut *txn,
            sync_server::accounts::NewUser {
                name: "other_admin",
                display_name: None,
                role: shared::Role::Admin,
                site: "OTHER",
                password: "other-password",
                department: None,
            },
            Utc::now(),
        )
        .unwrap();
        txn.commit().unwrap();
        login_token(&url, "other_admin", "other-password")
    };
    assert_eq!(
        api_post(
            &url,
            &other_admin,
            "/api/v1/admin/users/cs2/enable",
            &json!({})
        )
        .0,
        404,
        "another site's admin does not reach DEMO's users"
    );
    assert!(s.plan().user_by_name("cs2").is_some_and(|u| !u.active));
    assert_eq!(
        api_post(&url, &s.admin, "/api/v1/admin/users/cs2/enable", &json!({})).0,
        204
    );
    assert!(s.plan().user_by_name("cs2").is_some_and(|u| u.active));
    assert_eq!(
        api_get(
            &url,
            &login_token(&url, "cs2", "cs2-password"),
            "/api/v1/me"
        )
        .0,
        200,
        "logs in again"
    );
}

#[test]
fn a_one_off_patrol_reaches_its_inspectors_offline_and_counts_in_coverage() {
    let s = site();
    let url = s.server.url.clone();
    let manager = s.token("manager1");
    let from = Utc::now() - Duration::minutes(5);
    let until = from + Duration::hours(6);
    let launch = |token: &str, body: Value| api_post(&url, token, "/api/v1/adhoc-patrols", &body);
    let good = json!({
        "name": "台风前防汛检查", "zone": "Z-PUB", "inspectors": ["inspector1", "inspector2"],
        "from": from, "until": until,
    });
    // Refused with the reason: other roles, a window already over, points and a zone at once,
    // someone who does not walk patrols, an unknown zone.
    assert_eq!(launch(&s.token("inspector1"), good.clone()).0, 403);
    assert_eq!(launch(&s.admin, good.clone()).0, 403);
    for (change, needle) in [
        (json!({"until": Utc::now() - Duration::minutes(1)}), "ended"),
        (json!({"checkpoints": ["CP-R01"]}), "not both"),
        (json!({"inspectors": ["staff1"]}), "does not walk"),
        (json!({"inspectors": []}), "at least one"),
        (json!({"zone": "Z-NONE"}), "no zone"),
    ] {
        let mut bad = good.clone();
        for (k, v) in change.as_object().unwrap() {
            bad[k] = v.clone();
        }
        let (status, body) = launch(&manager, bad);
        assert!(status == 422 || status == 404, "{status} {body}");
        assert!(body["message"].as_str().unwrap().contains(needle), "{body}");
    }
    let (status, patrol) = launch(&manager, good);
    assert_eq!(status, 200, "{patrol}");
    let code = patrol["code"].as_str().unwrap().to_string();
    assert!(code.starts_with("EM-"), "{code}");
    assert_eq!(patrol["launched_by"], "manager1");
    let plan = s.plan();
    let zone = plan
        .zones
        .iter()
        .find(|z| z.code.as_str() == "Z-PUB")
        .unwrap()
        .id;
    let points: Vec<String> = plan
        .checkpoints
        .iter()
        .filter(|c| c.zone == zone)
        .map(|c| c.code.to_string())
        .collect();
    assert!(points.len() >= 2);
    let route = plan.route_by_code(&code).expect("a route for walking it");
    assert_eq!(route.checkpoints.len(), points.len());

    // Both inspectors get it at their next sync and walk it offline; nobody else sees it.
    let (d1, d2, d3) = (device_dir(), device_dir(), device_dir());
    let mut one = device(
        d1.path(),
        &url,
        "inspector1",
        &s.seeded.password("inspector1"),
    );
    let two = device(
        d2.path(),
        &url,
        "inspector2",
        &s.seeded.password("inspector2"),
    );
    let manager_dev = device(d3.path(), &url, "manager1", &s.seeded.password("manager1"));
    let task = |d: &device::Device| {
        d.route_tasks(Utc::now())
            .unwrap()
            .into_iter()
            .find(|t| t.code == code)
    };
    for d in [&one, &two] {
        let t = task(d).expect("the one-off patrol is on the task list");
        assert!(t.adhoc);
        assert_eq!(t.windows.len(), 1);
        assert_eq!(t.windows[0].kind, shared::schedule::TaskKind::AdHoc);
        assert_eq!(t.windows[0].total, points.len());
    }
    assert!(task(&manager_dev).is_none(), "not launched for the manager");
    assert!(
        one.route_tasks(until + Duration::minutes(1))
            .unwrap()
            .iter()
            .all(|t| t.code != code),
        "gone after its window"
    );
    let mut server = s.server;
    server.stop();
    let plan = one.plan().unwrap();
    one.patrol_start(&code, Utc::now()).unwrap();
    for p in &points[..2] {
        one.patrol_check(p, &pass_all(&plan, p), Utc::now())
            .unwrap();
    }
    one.patrol_finish(Utc::now()).unwrap();
    assert_eq!(task(&one).unwrap().windows[0].done, 2, "counted offline");
    let server = InProcessServer::start_on(s.seeded.store.clone(), server.addr);
    one.sync(&opts()).unwrap();

    // Coverage counts the one-off patrol like any task.
    let today = Utc::now()
        .with_timezone(&plan.site.deadlines.offset())
        .date_naive();
    let (status, cov) = api_get(
        &server.url,
        &manager,
        &format!("/api/v1/coverage?from={today}&to={today}"),
    );
    assert_eq!(status, 200, "{cov}");
    let t = cov["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["task"]["key"] == code)
        .unwrap_or_else(|| panic!("{cov}"));
    assert_eq!(t["done"], 2);
    assert_eq!(t["task"]["kind"], "ad_hoc");
    assert_eq!(t["missing"].as_array().unwrap().len(), points.len() - 2);

    // The command line launches one too.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_e2e-sync-server"))
        .args([
            "launch",
            "--site",
            "DEMO",
            "--name",
            "节前安全大检查",
            "--checkpoint",
            "CP-R01",
            "--checkpoint",
            "CP-R02",
            "--inspector",
            "inspector1",
            "--by",
            "manager1",
            "--data-dir",
        ])
        .arg(s.seeded.dir.path())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        text.contains("节前安全大检查: 2 checkpoint(s) for 1 inspector(s)"),
        "{text}"
    );
}
