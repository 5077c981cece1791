//! The group view against a real server on 127.0.0.1: a person with roles at
//! several sites works at any of them with one login, the group quality
//! office (集团品质) compares its estates on the same figures and opens any of
//! them, a device works at the one site its user chose, and everyone else
//! stays inside their own site.

use chrono::{Duration, Utc};
use device::store::IssueFilter;
use serde_json::{Value, json};
use shared::kpi::Row;
use sync_server::store::IssueQuery;
use tests::browser::*;
use tests::*;

/// `POST /api/v1/login`, optionally at a site; status and body.
fn login_at(url: &str, user: &str, password: &str, site: Option<&str>) -> (u16, Value) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let actor: String = rand::random::<[u8; 16]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut body =
        json!({ "user": user, "password": password, "actor": actor, "device_name": "test" });
    if let Some(site) = site {
        body["site"] = json!(site);
    }
    let resp = reqwest::blocking::Client::new()
        .post(format!("{url}/api/v1/login"))
        .json(&body)
        .send()
        .expect("login");
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(Value::Null))
}

/// DEMO (no history) and EAST (three weeks of history), the group office
/// `group1` at both, and the server.
fn world() -> (Seeded, InProcessServer) {
    let mut seeded = Seeded::new();
    seeded.add_group(true);
    let server = InProcessServer::serve(seeded.state(), "127.0.0.1:0".parse().unwrap());
    (seeded, server)
}

/// The ids of a site's issues, as the store holds them.
fn issue_ids(seeded: &Seeded, code: &str) -> Vec<String> {
    let mut txn = seeded.store.read().unwrap();
    let site = txn.site_by_code(code).unwrap().unwrap();
    txn.list_issues(&IssueQuery {
        sites: vec![site.id],
        ..Default::default()
    })
    .unwrap()
    .into_iter()
    .map(|s| s.id.to_string())
    .collect()
}

/// DEMO's manager also manages EAST.
fn grant_manager1_at_east(seeded: &Seeded) {
    let mut txn = seeded.store.begin().unwrap();
    sync_server::accounts::grant_site(
        &mut *txn,
        "manager1",
        "EAST",
        shared::Role::Manager,
        None,
        Utc::now(),
    )
    .unwrap();
    txn.commit().unwrap();
}

/// A closed range of past local days with EAST's history in it: its figures
/// no longer move with the clock.
fn past_range() -> String {
    let day = |d: i64| {
        (Utc::now() + Duration::hours(8) - Duration::days(d))
            .format("%Y-%m-%d")
            .to_string()
    };
    format!("{}..{}", day(20), day(2))
}

fn codes(sites: &Value) -> Vec<(String, String)> {
    sites
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["code"].as_str().unwrap().to_string(),
                s["role"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn the_group_compares_its_estates_and_each_row_is_that_sites_own_figures() {
    let (seeded, server) = world();
    let url = server.url.clone();
    let (status, login) = login_at(&url, "group1", &seeded.password("group1"), None);
    assert_eq!(status, 200, "{login}");
    assert_eq!(login["site"]["code"], "DEMO", "a login starts at home");
    assert_eq!(login["user"]["role"], "group");
    assert_eq!(
        codes(&login["sites"]),
        vec![
            ("DEMO".into(), "group".into()),
            ("EAST".into(), "group".into())
        ]
    );
    let token = login["token"].as_str().unwrap().to_string();

    // The league: one row per site, each exactly that site's own report.
    let period = past_range();
    let (status, league) = api_get(
        &url,
        &token,
        &format!("/api/v1/analytics/sites?period={period}"),
    );
    assert_eq!(status, 200, "{league}");
    let league: Vec<Row> = serde_json::from_value(league).unwrap();
    let keys: Vec<&str> = league.iter().map(|r| r.key.as_str()).collect();
    assert_eq!(keys, ["DEMO", "EAST"]);
    assert!(
        league[1].kpis.pass_rate.denominator > 0 && league[1].kpis.coverage.denominator > 0,
        "EAST has a past: {:?}",
        league[1].kpis
    );
    for row in &league {
        // Drill-down into a site: the same login works there.
        let (status, me) = api_post(&url, &token, "/api/v1/site", &json!({ "site": row.key }));
        assert_eq!(status, 200, "{me}");
        assert_eq!(me["site"]["code"], row.key.as_str());
        assert_eq!(me["user"]["role"], "group");
        let (status, report) = api_get(
            &url,
            &token,
            &format!("/api/v1/analytics/kpis?period={period}"),
        );
        assert_eq!(status, 200, "{report}");
        let report: shared::kpi::Report = serde_json::from_value(report).unwrap();
        assert_eq!(
            report.kpis, row.kpis,
            "{}: the league row is the site's report",
            row.key
        );
    }

    // Working at EAST, every list is EAST's.
    let (_, me) = api_get(&url, &token, "/api/v1/me");
    assert_eq!(me["site"]["code"], "EAST");
    let (status, plan) = api_get(&url, &token, "/api/v1/plan");
    assert_eq!(status, 200);
    assert_eq!(plan["site"]["code"], "EAST");
    let east = issue_ids(&seeded, "EAST");
    assert!(!east.is_empty());
    let (status, listed) = api_get(&url, &token, "/api/v1/issues?limit=500");
    assert_eq!(status, 200, "{listed}");
    let mut listed: Vec<String> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap().to_string())
        .collect();
    listed.sort();
    let mut want = east.clone();
    want.sort();
    assert_eq!(listed, want);

    // The group office reads; it changes nothing.
    let (status, body) = api_post(
        &url,
        &token,
        &format!("/api/v1/issues/{}/events", east[0]),
        &json!({ "kind": "comment", "text": "集团抽查" }),
    );
    assert_eq!(status, 403, "{body}");
    let (_, issue) = api_get(&url, &token, &format!("/api/v1/issues/{}", east[0]));
    assert!(
        !issue.to_string().contains("集团抽查"),
        "a refused comment is not stored"
    );

    // The league downloads, one line per site under Chinese headers.
    let resp = reqwest::blocking::Client::new()
        .get(format!(
            "{url}/api/v1/analytics/export?period={period}&table=sites&format=csv"
        ))
        .bearer_auth(&token)
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let csv = resp.text().unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 3, "{csv}");
    assert!(lines[0].contains("巡查完成率"), "{}", lines[0]);
    assert!(
        lines[1].starts_with("DEMO,") && lines[2].starts_with("EAST,"),
        "{csv}"
    );

    // A site the office holds no role at is refused, and the login stays where it was.
    for bad in ["NOPE", "", &"X".repeat(5000)] {
        let (status, body) = api_post(&url, &token, "/api/v1/site", &json!({ "site": bad }));
        assert_eq!(status, 403, "{body}");
        assert_eq!(body["code"], "site_forbidden");
        message_zh(&body);
        assert!(
            body.to_string().len() < 1000,
            "the refusal does not echo a flood"
        );
    }
    let resp = reqwest::blocking::Client::new()
        .post(format!("{url}/api/v1/site"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{\"site\":")
        .send()
        .unwrap();
    assert_eq!(resp.status().as_u16(), 400);
    let (_, me) = api_get(&url, &token, "/api/v1/me");
    assert_eq!(me["site"]["code"], "EAST");
}

#[test]
fn a_manager_of_one_site_sees_nothing_of_another() {
    let (seeded, server) = world();
    let url = server.url.clone();
    let east = issue_ids(&seeded, "EAST");
    assert!(!east.is_empty());
    for (user, home, other) in [("manager1", "DEMO", "EAST"), ("manager1_e", "EAST", "DEMO")] {
        let pw = seeded.password(user);
        // Not at login…
        let (status, body) = login_at(&url, user, &pw, Some(other));
        assert_eq!(status, 403, "{user} at {other}: {body}");
        assert_eq!(body["code"], "site_forbidden");
        assert!(body.get("token").is_none());
        message_zh(&body);
        // …nor after it.
        let (status, login) = login_at(&url, user, &pw, None);
        assert_eq!(status, 200);
        assert_eq!(
            codes(&login["sites"]),
            vec![(home.into(), "manager".into())]
        );
        let token = login["token"].as_str().unwrap().to_string();
        let (status, body) = api_post(&url, &token, "/api/v1/site", &json!({ "site": other }));
        assert_eq!(status, 403, "{body}");
        let (_, me) = api_get(&url, &token, "/api/v1/me");
        assert_eq!(me["site"]["code"], home);
        // The league holds their own site alone.
        let (status, league) = api_get(
            &url,
            &token,
            &format!("/api/v1/analytics/sites?period={}", past_range()),
        );
        assert_eq!(status, 200, "{league}");
        let keys: Vec<&str> = league
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["key"].as_str().unwrap())
            .collect();
        assert_eq!(keys, [home]);
        // Another site's issues are not theirs to list or open.
        let (_, listed) = api_get(&url, &token, "/api/v1/issues?limit=500");
        let listed = listed.to_string();
        let (status, _) = api_get(&url, &token, &format!("/api/v1/issues/{}", east[0]));
        if home == "DEMO" {
            assert!(east.iter().all(|id| !listed.contains(id.as_str())));
            assert_eq!(status, 404);
        } else {
            assert_eq!(status, 200);
        }
    }
    // Field staff, inspectors and customer service never reach the league of another site either.
    let token = login_token(&url, "inspector1", &seeded.password("inspector1"));
    let (status, _) = api_get(
        &url,
        &token,
        &format!("/api/v1/analytics/sites?period={}", past_range()),
    );
    assert_eq!(status, 403);
}

#[test]
fn a_role_taken_away_ends_the_logins_working_there() {
    let (seeded, server) = world();
    let url = server.url.clone();
    let now = Utc::now();
    grant_manager1_at_east(&seeded);
    let pw = seeded.password("manager1");
    let (status, login) = login_at(&url, "manager1", &pw, Some("EAST"));
    assert_eq!(status, 200, "{login}");
    assert_eq!(login["site"]["code"], "EAST");
    let at_east = login["token"].as_str().unwrap().to_string();
    let at_home = login_token(&url, "manager1", &pw);
    // The manager appears in EAST's plan, so EAST's orders can name them.
    let (_, plan) = api_get(&url, &at_east, "/api/v1/plan");
    assert!(
        plan["users"].to_string().contains("\"manager1\""),
        "{}",
        plan["users"]
    );
    let east = issue_ids(&seeded, "EAST");
    let (status, _) = api_get(&url, &at_east, &format!("/api/v1/issues/{}", east[0]));
    assert_eq!(status, 200);

    {
        let mut txn = seeded.store.begin().unwrap();
        sync_server::accounts::revoke_site(&mut *txn, "manager1", "EAST", now).unwrap();
        txn.commit().unwrap();
    }
    let (status, _) = api_get(&url, &at_east, "/api/v1/me");
    assert_eq!(status, 401, "the login working at EAST ended");
    let (status, me) = api_get(&url, &at_home, "/api/v1/me");
    assert_eq!(status, 200, "the login at home goes on");
    assert_eq!(codes(&me["sites"]), vec![("DEMO".into(), "manager".into())]);
    let (_, plan) = api_get(&url, &at_home, "/api/v1/plan");
    assert_eq!(plan["site"]["code"], "DEMO");
    let mut txn = seeded.store.read().unwrap();
    let site = txn.site_by_code("EAST").unwrap().unwrap();
    let (_, plan) = sync_server::accounts::load_plan(&mut *txn, &site).unwrap();
    assert!(
        plan.user_by_name("manager1").is_none(),
        "gone from EAST's plan"
    );
}

#[test]
fn a_device_syncs_only_the_site_its_user_chose() {
    let (seeded, server) = world();
    let url = server.url.clone();
    grant_manager1_at_east(&seeded);
    let pw = seeded.password("manager1");
    let dir = device_dir();
    let mut tablet = device::Device::open(dir.path()).unwrap();
    let (login, _) = tablet
        .login_at(&url, "manager1", &pw, Some("EAST"), &opts())
        .unwrap();
    assert_eq!(login.site.code.as_str(), "EAST");
    assert_eq!(tablet.plan().unwrap().site.code.as_str(), "EAST");
    let mut held: Vec<String> = tablet
        .issues(&IssueFilter::default())
        .unwrap()
        .into_iter()
        .map(|s| s.id.to_string())
        .collect();
    held.sort();
    let mut east = issue_ids(&seeded, "EAST");
    east.sort();
    assert_eq!(held, east, "the tablet holds EAST's issues, and only them");

    // Holding EAST's records, the tablet does not sign in elsewhere.
    for site in [Some("DEMO"), None] {
        let e = tablet
            .login_at(&url, "manager1", &pw, site, &opts())
            .unwrap_err();
        assert_eq!(e.code(), "other_site", "{e}");
        assert!(e.message_zh().contains("EAST"), "{}", e.message_zh());
    }
    assert_eq!(tablet.plan().unwrap().site.code.as_str(), "EAST");
    // Another device at home holds DEMO's alone.
    let dir = device_dir();
    let home = device(dir.path(), &url, "manager1", &pw);
    assert_eq!(home.plan().unwrap().site.code.as_str(), "DEMO");
    let listed = home.issues(&IssueFilter::default()).unwrap();
    assert!(listed.iter().all(|s| !east.contains(&s.id.to_string())));
}

#[test]
fn the_group_office_compares_and_opens_its_estates_on_the_dashboard() {
    let dist = ui_dist();
    let mut seeded = Seeded::new();
    seeded.add_group(true);
    let server = InProcessServer::serve(
        seeded.state().with_ui_dir(Some(dist)),
        "127.0.0.1:0".parse().unwrap(),
    );
    let url = server.url.clone();
    // What the API says, for the month the screen opens on.
    let month = (Utc::now() + Duration::hours(8))
        .format("%Y-%m")
        .to_string();
    let token = login_token(&url, "group1", &seeded.password("group1"));
    let (status, league) = api_get(
        &url,
        &token,
        &format!("/api/v1/analytics/sites?period={month}"),
    );
    assert_eq!(status, 200, "{league}");
    let league: Vec<Row> = serde_json::from_value(league).unwrap();
    let east = league.iter().find(|r| r.key == "EAST").unwrap().clone();

    let rt = tokio::runtime::Runtime::new().unwrap();
    let driver = ChromeDriver::start();
    let axe = axe_script();
    let profile = tempfile::tempdir().unwrap();
    let mut ui = Ui::new(
        rt.block_on(driver.session(1280, 900, profile.path())),
        "group",
    );
    rt.block_on(async {
        ui.log_in(&url, "group1", &seeded.password("group1")).await;
        // The group office starts at the comparison of its estates.
        ui.wait_hash("#/analytics").await;
        ui.find("#an-site-EAST").await;
        let rows =
            ui.c.execute(
                "return [...document.querySelectorAll('#an-sites-table tr[id]')].map(r => r.id);",
                vec![],
            )
            .await
            .unwrap();
        assert_eq!(rows, json!(["an-site-DEMO", "an-site-EAST"]));
        for (name, _, _, unit, f) in shared::kpi::figures(&east.kpis) {
            let css = format!("#an-site-EAST td.kpi-{name}");
            if ui.has(&css).await {
                let cell = ui.find(&css).await.text().await.unwrap();
                let shown = shared::kpi::shown(unit, &f);
                assert!(
                    cell.contains(&shown)
                        && cell.contains(&format!("{}/{}", f.numerator, f.denominator)),
                    "{name}: {cell:?} should show {shown}"
                );
            }
        }
        assert_eq!(ui.value("#site-switch").await, "DEMO");
        ui.assert_no_codes("the group's league").await;
        ui.assert_accessible(&axe, "the group's league").await;
        ui.shot("group-league").await;

        // A site's name opens that site's own analysis, same period, same login.
        ui.tap("#an-site-open-EAST").await;
        ui.wait_text("#banner", "东湖苑").await;
        assert_eq!(ui.value("#site-switch").await, "EAST");
        let pass = shared::kpi::shown(shared::kpi::Unit::Share, &east.kpis.pass_rate);
        ui.wait_text("#kpi-pass_rate", &pass).await;
        ui.wait_text(
            "#kpi-pass_rate",
            &format!(
                "{}/{}",
                east.kpis.pass_rate.numerator, east.kpis.pass_rate.denominator
            ),
        )
        .await;
        ui.find("#an-site-EAST[aria-current=true]").await;
        // The issue list is EAST's now.
        ui.tap("#nav-issues").await;
        let first = issue_ids(&seeded, "EAST")[0].clone();
        ui.find(&format!("#issue-{first}")).await;
        // And back home through the switch in the bar.
        ui.choose("#site-switch", "DEMO").await;
        ui.wait_text("#banner", "示范花园").await;
        ui.gone(&format!("#issue-{first}")).await;

        // A manager of one site has neither the switch nor the league.
        ui.tap("#logout").await;
        ui.log_in(&url, "manager1", &seeded.password("manager1"))
            .await;
        ui.tap("#nav-analytics").await;
        ui.find("#an-kpis").await;
        assert!(!ui.has("#an-sites").await);
        assert!(!ui.has("#site-switch").await);
        ui.c.close().await.ok();
    });
}
