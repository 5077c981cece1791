//! Residents' satisfaction surveys against a real server on 127.0.0.1:
//! recorded on the dashboard and on a device offline, each stored once (a
//! reply cut on its way back does not store it twice), low scores opening
//! follow-up complaints, wrong answers and wrong roles refused, and NPS and
//! CSI by dimension and month in the analysis, the export and the monthly
//! report.

use chrono::{Duration, Utc};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use tests::*;

fn answer(respondent: &str, nps: Option<u8>, scores: &[(&str, u8)]) -> serde_json::Value {
    json!({
        "id": uuid::Uuid::now_v7(),
        "source": "periodic",
        "respondent": respondent,
        "contact": "13800001111",
        "nps": nps,
        "scores": scores.iter().map(|(d, s)| json!({"dimension": d, "score": s})).collect::<Vec<_>>(),
        "comment": "电梯经常停运",
        "taken_at": Utc::now() - Duration::minutes(5),
    })
}

fn issue_count(url: &str, token: &str) -> usize {
    server_issues(url, token).len()
}

fn answers_are_stored_once_low_scores_open_follow_ups_and_nps_csi_reach_the_analysis(
    seeded: Seeded,
) {
    let server = InProcessServer::serve(seeded.state(), "127.0.0.1:0".parse().unwrap());
    let url = server.url.clone();
    let cs = login_token(&url, "cs1", &seeded.password("cs1"));
    let manager = login_token(&url, "manager1", &seeded.password("manager1"));
    let before = issue_count(&url, &manager);

    // A promoter: stored, nothing to follow up.
    let happy = answer("1-1-101", Some(10), &[("cleaning", 5), ("security", 4)]);
    let (status, stored) = api_post(&url, &cs, "/api/v1/surveys", &happy);
    assert_eq!(status, 200, "{stored}");
    assert_eq!(stored["follow_up"], serde_json::Value::Null);
    assert_eq!(stored["by"], "cs1");
    // A detractor opens a follow-up complaint at the respondent's door.
    let (status, d) = api_post(
        &url,
        &cs,
        "/api/v1/surveys",
        &answer("2-1-502", Some(3), &[]),
    );
    assert_eq!(status, 200, "{d}");
    let detractor_case = d["follow_up"].as_str().expect("a follow-up").to_string();
    let (_, case) = api_get(&url, &manager, &format!("/api/v1/issues/{detractor_case}"));
    assert_eq!(case["complaint_location"], "2-1-502", "{case}");
    assert_eq!(case["category"], "other");
    assert!(
        case["title"].as_str().unwrap().contains("二次处理"),
        "{case}"
    );
    // A dimension scored 2 opens one for that service, by the manager too.
    let low = answer("3-2-301", Some(8), &[("cleaning", 2)]);
    let (status, l) = api_post(&url, &manager, "/api/v1/surveys", &low);
    assert_eq!(status, 200, "{l}");
    let cleaning_case = l["follow_up"].as_str().unwrap().to_string();
    let (_, case) = api_get(&url, &manager, &format!("/api/v1/issues/{cleaning_case}"));
    assert_eq!(case["category"], "hygiene_defect");
    assert_eq!(issue_count(&url, &manager), before + 2);

    // Sent again, the same answer comes back unchanged and opens nothing new;
    // another answer under a stored id is refused.
    let (status, again) = api_post(&url, &manager, "/api/v1/surveys", &low);
    assert_eq!(status, 200);
    assert_eq!(again["follow_up"], cleaning_case.as_str());
    assert_eq!(issue_count(&url, &manager), before + 2);
    let mut changed = low.clone();
    changed["nps"] = json!(10);
    let (status, body) = api_post(&url, &cs, "/api/v1/surveys", &changed);
    assert_eq!(status, 409, "{body}");
    assert!(message_zh(&body).contains("已有另一份"), "{body}");

    // Wrong answers are refused in Chinese and store nothing.
    let future = {
        let mut a = answer("1-1-102", Some(9), &[]);
        a["taken_at"] = json!(Utc::now() + Duration::days(1));
        a
    };
    for (bad, zh) in [
        (answer("1-1-102", Some(11), &[]), "0 到 10"),
        (answer("1-1-102", None, &[("cleaning", 0)]), "1 到 5"),
        (answer("1-1-102", None, &[("cleaning", 6)]), "1 到 5"),
        (
            answer("1-1-102", None, &[("cleaning", 3), ("cleaning", 4)]),
            "评了两次分",
        ),
        (answer("1-1-102", None, &[]), "至少填写"),
        (answer("  ", Some(9), &[]), "受访住户"),
        (answer(&"楼".repeat(500), Some(9), &[]), "最多"),
        (future, "晚于现在"),
    ] {
        let (status, body) = api_post(&url, &cs, "/api/v1/surveys", &bad);
        assert_eq!(status, 422, "{bad}: {body}");
        assert!(message_zh(&body).contains(zh), "{bad}: {body}");
    }
    let (status, body) = api_post(&url, &cs, "/api/v1/surveys", &json!({"nps": "ten"}));
    assert_eq!(status, 400, "{body}");
    let mut callback = answer("1-1-103", Some(9), &[]);
    callback["complaint"] = json!(uuid::Uuid::now_v7());
    let (status, body) = api_post(&url, &cs, "/api/v1/surveys", &callback);
    assert_eq!(status, 422, "a call-back about no complaint: {body}");
    // Roles that do not call residents back record nothing.
    for user in ["inspector1", "staff1", "admin1"] {
        let token = login_token(&url, user, &seeded.password(user));
        let (status, body) = api_post(
            &url,
            &token,
            "/api/v1/surveys",
            &answer("1-1-104", Some(1), &[]),
        );
        assert_eq!(status, 403, "{user}: {body}");
    }
    assert_eq!(issue_count(&url, &manager), before + 2);
    assert!(hostile::alive(&url));

    // The month's list: three answers; an inspector reads them with the
    // contact masked, customer service in full.
    let month = Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m")
        .to_string();
    let (_, list) = api_get(&url, &cs, &format!("/api/v1/surveys?period={month}"));
    assert_eq!(list.as_array().unwrap().len(), 3, "{list}");
    assert!(list.to_string().contains("13800001111"));
    let inspector = login_token(&url, "inspector1", &seeded.password("inspector1"));
    let (_, masked) = api_get(&url, &inspector, &format!("/api/v1/surveys?period={month}"));
    assert_eq!(masked.as_array().unwrap().len(), 3);
    assert!(!masked.to_string().contains("13800001111"), "{masked}");

    // NPS: promoters 1 (10), detractors 1 (3) of 3 → 0. CSI: cleaning (5, 2)
    // → 3.5 → 62.5; security 4 → 75; equal weights → 68.75.
    let kpis = |token: &str| {
        let (status, r) = api_get(
            &url,
            token,
            &format!("/api/v1/analytics/kpis?period={month}"),
        );
        assert_eq!(status, 200, "{r}");
        r
    };
    let r = kpis(&manager);
    assert_eq!(
        r["kpis"]["nps"]["value"].as_f64(),
        Some(0.0),
        "{}",
        r["kpis"]["nps"]
    );
    assert_eq!(r["kpis"]["nps"]["denominator"], 3);
    assert_eq!(r["kpis"]["csi"]["value"].as_f64(), Some(68.75));
    let cleaning = r["satisfaction"]["dimensions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["dimension"] == "cleaning")
        .unwrap()
        .clone();
    assert_eq!(
        (
            cleaning["answers"].as_u64(),
            cleaning["mean"].as_f64(),
            cleaning["low"].as_u64()
        ),
        (Some(2), Some(3.5), Some(1))
    );
    assert_eq!(r["satisfaction"]["follow_ups"], 2);
    let months = r["satisfaction"]["months"].as_array().unwrap();
    assert_eq!(months.len(), 6);
    assert_eq!(months[5]["month"], month.as_str());
    assert_eq!(months[5]["nps"]["value"].as_f64(), Some(0.0));
    // The site weighs cleaning three times: (62.5 × 3 + 75) / 4.
    let admin = login_token(&url, "admin1", &seeded.password("admin1"));
    let (status, body) = api_put(
        &url,
        &admin,
        "/api/v1/admin/settings",
        &json!({"csi_weights": [{"dimension": "cleaning", "weight": 3}]}),
    );
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        kpis(&manager)["kpis"]["csi"]["value"].as_f64(),
        Some(65.625)
    );
    let (status, body) = api_put(
        &url,
        &admin,
        "/api/v1/admin/settings",
        &json!({"csi_weights": [{"dimension": "cleaning", "weight": 11}]}),
    );
    assert_eq!(status, 422, "{body}");

    // The export and the month's report carry the same figures.
    let (status, _, csv) = api_text(
        &url,
        &manager,
        &format!("/api/v1/analytics/export?period={month}&table=satisfaction&format=csv"),
    );
    assert_eq!(status, 200);
    assert!(csv.contains("保洁,2,3.50,62.50,3,1"), "{csv}");
    let (status, _, pdf) = api_bytes(
        &url,
        &manager,
        &format!("/api/v1/reports/monthly?period={month}"),
    );
    assert_eq!(status, 200);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("m.pdf");
    std::fs::write(&file, pdf).unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&file)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    for want in [
        "满意度调查 3 份，其中 2 份转二次处理",
        "保洁",
        "3.50",
        "65.6",
    ] {
        assert!(
            text.contains(want),
            "the report should say {want:?}:\n{text}"
        );
    }

    // Every stored answer entered the ledger once.
    let (_, _, ledger) = api_text(
        &url,
        &manager,
        &format!(
            "/api/v1/ledger?from={}&to={}&format=csv",
            tests::site_today() - Duration::days(1),
            tests::site_today() + Duration::days(1)
        ),
    );
    assert_eq!(ledger.matches(",survey,").count(), 3, "{ledger}");
}

fn a_device_records_surveys_offline_and_a_reply_cut_on_its_way_back_stores_nothing_twice(
    seeded: Seeded,
) {
    let server = InProcessServer::serve(seeded.state(), "127.0.0.1:0".parse().unwrap());
    let online = Arc::new(AtomicBool::new(true));
    let cuts = Arc::new(AtomicUsize::new(0));
    let proxy = {
        let (online, cuts) = (online.clone(), cuts.clone());
        Proxy::start(
            server.addr,
            Arc::new(move |dir, _, chunk: &[u8]| {
                if !online.load(Ordering::SeqCst) {
                    return false;
                }
                // Cut the first reply that carries a stored survey.
                let stored =
                    dir == Dir::ToClient && chunk.windows(11).any(|w| w == b"\"follow_up\"");
                !(stored && cuts.fetch_add(1, Ordering::SeqCst) == 0)
            }),
        )
    };
    let dir = device_dir();
    let mut phone = device(dir.path(), &proxy.url, "cs1", &seeded.password("cs1"));

    // No network: the answers are kept on the phone.
    online.store(false, Ordering::SeqCst);
    let input = |respondent: &str, nps: u8| shared::survey::SurveyInput {
        id: uuid::Uuid::now_v7(),
        source: shared::survey::SurveySource::Callback,
        respondent: respondent.into(),
        contact: String::new(),
        nps: Some(nps),
        scores: vec![shared::survey::DimensionScore {
            dimension: shared::codes::Dimension::Maintenance,
            score: if nps < 7 { 1 } else { 5 },
        }],
        comment: String::new(),
        complaint: None,
        taken_at: Utc::now(),
    };
    let low = phone
        .record_survey(input("5-1-201", 2), Utc::now())
        .unwrap();
    let high = phone
        .record_survey(input("5-1-202", 10), Utc::now())
        .unwrap();
    assert!(phone.sync(&opts()).is_err(), "no network");
    let kept = phone.survey_entries().unwrap();
    assert_eq!(kept.len(), 2);
    assert!(kept.iter().all(|s| s.pending), "{kept:?}");
    // Wrong answers are refused on the phone already.
    let mut bad = input("5-1-203", 9);
    bad.nps = Some(12);
    assert!(phone.record_survey(bad, Utc::now()).is_err());

    // Back online; the first reply is cut after the server stored the answer.
    online.store(true, Ordering::SeqCst);
    let report = phone.sync(&opts()).unwrap();
    assert!(report.surveys_error.is_some(), "{report:?}");
    assert_eq!(cuts.load(Ordering::SeqCst), 1);
    let report = phone.sync(&opts()).unwrap();
    assert_eq!(report.surveys_error, None, "{report:?}");
    let entries = phone.survey_entries().unwrap();
    assert!(entries.iter().all(|s| !s.pending), "{entries:?}");
    let case = entries
        .iter()
        .find(|s| s.input.id == low)
        .and_then(|s| s.follow_up)
        .expect("the low score's follow-up");
    assert!(
        entries
            .iter()
            .find(|s| s.input.id == high)
            .unwrap()
            .follow_up
            .is_none()
    );

    // The server holds each answer once and one follow-up case; it reaches the phone.
    let manager = login_token(&server.url, "manager1", &seeded.password("manager1"));
    let month = Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m")
        .to_string();
    let (_, list) = api_get(
        &server.url,
        &manager,
        &format!("/api/v1/surveys?period={month}"),
    );
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    let follow_ups: Vec<_> = server_issues(&server.url, &manager)
        .into_iter()
        .filter(|s| s.title.contains("二次处理"))
        .collect();
    assert_eq!(follow_ups.len(), 1, "{follow_ups:?}");
    assert_eq!(follow_ups[0].id, case);
    assert_eq!(follow_ups[0].category, shared::Category::EquipmentFault);
    phone.sync(&opts()).unwrap();
    assert_eq!(
        phone.issue(case).unwrap().complaint.unwrap().location,
        "5-1-201"
    );
}

tests::on_both_stores!(
    answers_are_stored_once_low_scores_open_follow_ups_and_nps_csi_reach_the_analysis,
    a_device_records_surveys_offline_and_a_reply_cut_on_its_way_back_stores_nothing_twice,
);
