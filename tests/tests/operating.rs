//! What an operator relies on, against the real server binary on 127.0.0.1:0:
//! liveness and readiness for the load balancer, Prometheus metrics that
//! follow real traffic, JSON logs, and a stop (SIGTERM) that lets a sync
//! round already in the server finish and commit.

use chrono::Utc;
use device::RaiseInput;
use shared::issue::EventBody;
use shared::wire::{DocKind, DocMessage, PROTOCOL_HEADER, PROTOCOL_VERSION, SyncRequest};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tests::hostile::RawPeer;
use tests::*;

const SERVER: &str = env!("CARGO_BIN_EXE_e2e-sync-server");

fn get_text(url: &str) -> (u16, String) {
    let resp = reqwest::blocking::get(url).expect("request");
    let status = resp.status().as_u16();
    (status, resp.text().expect("text body"))
}

fn raise(d: &mut device::Device, title: &str) -> shared::IssueId {
    d.raise_issue(
        RaiseInput {
            checkpoint: "CP-R01".into(),
            item: None,
            category: shared::Category::HygieneDefect,
            grade: shared::Grade::Deadline,
            title: title.into(),
            description: "地面有污渍".into(),
            photos: Vec::new(),
        },
        Utc::now(),
    )
    .unwrap()
}

#[test]
fn health_readiness_and_metrics_follow_real_traffic() {
    let data = tempfile::tempdir().unwrap();
    let seed = seed_with(SERVER, data.path());
    let server = ProcessServer::start(SERVER, data.path(), "127.0.0.1:0");
    let url = &server.url;
    assert_eq!(get_text(&format!("{url}/healthz")), (200, "ok\n".into()));
    assert_eq!(get_text(&format!("{url}/readyz")), (200, "ready\n".into()));
    let (status, fresh) = get_text(&format!("{url}/metrics"));
    assert_eq!(status, 200);
    assert_eq!(
        metric_sample(&fresh, "sync_rounds_total"),
        Some(0.0),
        "{fresh}"
    );
    assert!(fresh.trim_end().ends_with("# EOF"), "OpenMetrics text");

    // A device signs in (its first sync brings the estate) and pushes a finding.
    let dir = device_dir();
    let mut d = device(
        dir.path(),
        url,
        "inspector1",
        &seed_password(&seed, "inspector1"),
    );
    let id = raise(&mut d, "指标");
    let report = d.sync(&opts()).unwrap();
    let token = d.session().unwrap().token;
    let (status, _) = api_get(url, &token, &format!("/api/v1/issues/{id}"));
    assert_eq!(status, 200);

    let (_, text) = get_text(&format!("{url}/metrics"));
    let rounds = metric_sample(&text, "sync_rounds_total").expect("rounds");
    assert!(
        rounds > f64::from(report.rounds),
        "login's rounds and the push's: {rounds}"
    );
    let sync_requests = metric_sample(
        &text,
        r#"http_request_duration_seconds_count{method="POST",route="/api/v1/sync",status="200"}"#,
    )
    .expect("the sync route's latency");
    assert_eq!(sync_requests, rounds, "every round timed under its route");
    assert!(
        metric_sample(&text, "sync_received_bytes_total").unwrap() >= report.bytes_sent as f64,
        "{text}"
    );
    assert!(metric_sample(&text, "sync_sent_bytes_total").unwrap() > 0.0);
    assert_eq!(
        metric_sample(&text, "sync_documents_per_round_count"),
        Some(rounds),
        "one observation per round"
    );
    // An issue page counts under its route pattern: ids never make series of their own.
    assert_eq!(
        metric_sample(
            &text,
            r#"http_request_duration_seconds_count{method="GET",route="/api/v1/issues/{id}",status="200"}"#
        ),
        Some(1.0),
        "{text}"
    );
    assert!(!text.contains(&id.to_string()));
    // Queue depths come from the store.
    assert_eq!(metric_sample(&text, "webhook_backlog"), Some(0.0));
    assert!(metric_sample(&text, "sync_unacknowledged_documents").is_some());
    // The reminder job runs at start: wait (bounded) for its first run to be counted.
    let mut job_runs = None;
    for _ in 0..250 {
        let (_, text) = get_text(&format!("{url}/metrics"));
        job_runs = metric_sample(&text, r#"job_runs_total{job="reminders",outcome="ok"}"#);
        if job_runs.is_some() {
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        job_runs.unwrap_or(0.0) >= 1.0,
        "the reminder job's run is counted"
    );
}

#[test]
fn readiness_follows_the_store_and_logs_are_json_lines() {
    let root = tempfile::tempdir().unwrap();
    let data = root.path().join("data");
    let moved = root.path().join("moved");
    seed_with(SERVER, &data);
    let log = Arc::new(Mutex::new(Vec::new()));
    let mut server = ProcessServer::start_with(
        SERVER,
        &data,
        "127.0.0.1:0",
        &["--log-format", "json"],
        Some(log.clone()),
    );
    let url = server.url.clone();
    assert_eq!(get_text(&format!("{url}/readyz")).0, 200);
    // The volume holding the database goes away: connections already open
    // still work, but the store no longer answers a new one.
    std::fs::rename(&data, &moved).unwrap();
    let (status, body) = get_text(&format!("{url}/readyz"));
    assert_eq!(status, 503, "{body}");
    assert!(body.starts_with("not ready"), "{body}");
    assert_eq!(
        get_text(&format!("{url}/healthz")).0,
        200,
        "the process is still up"
    );
    std::fs::rename(&moved, &data).unwrap();
    assert_eq!(get_text(&format!("{url}/readyz")), (200, "ready\n".into()));

    let status = server
        .terminate(Duration::from_secs(30))
        .expect("the server stops on SIGTERM");
    assert!(status.success(), "{status:?}");
    let lines = log.lock().unwrap().clone();
    let entries: Vec<serde_json::Value> = lines
        .iter()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let not_ready = entries
        .iter()
        .find(|e| e["message"] == "not ready")
        .unwrap_or_else(|| panic!("a JSON line for the failed check: {lines:#?}"));
    assert_eq!(not_ready["level"], "WARN");
    assert!(not_ready["reason"].as_str().unwrap().contains("store"));
    assert!(not_ready["timestamp"].is_string());
}

#[test]
fn a_round_in_flight_finishes_and_commits_when_the_server_is_told_to_stop() {
    let data = tempfile::tempdir().unwrap();
    let seed = seed_with(SERVER, data.path());
    let mut server = ProcessServer::start(SERVER, data.path(), "127.0.0.1:0");
    let p = RawPeer::login(
        &server.url,
        "inspector1",
        &seed_password(&seed, "inspector1"),
    );
    let raise = p.event(
        1,
        EventBody::Raise {
            site: p.site(),
            zone: None,
            checkpoint: None,
            checkpoint_code: None,
            item: None,
            patrol: None,
            category: shared::Category::HygieneDefect,
            grade: shared::Grade::Deadline,
            title: "停机前提交".into(),
            description: String::new(),
            photos: vec![],
            deadline: None,
            complaint: None,
        },
    );
    let id = shared::IssueId::new();
    let mut d = shared::doc::new_issue(shared::doc::actor(p.actor), id, p.site(), &raise).unwrap();
    let mut state = shared::doc::state_for_empty_peer();
    shared::doc::send_changes_only(&mut state);
    use automerge::sync::SyncDoc;
    let msg = d.sync().generate_sync_message(&mut state).unwrap();
    let body = postcard::to_allocvec(&SyncRequest {
        protocol: PROTOCOL_VERSION,
        cursor: 0,
        docs: vec![DocMessage {
            doc: id.into(),
            kind: DocKind::Issue,
            msg: msg.encode(),
        }],
    })
    .unwrap();

    let mut s = std::net::TcpStream::connect(server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    write!(
        s,
        "POST /api/v1/sync HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\n{PROTOCOL_HEADER}: {PROTOCOL_VERSION}\r\nContent-Type: application/x-postcard\r\nContent-Length: {}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n",
        server.addr,
        p.token,
        body.len()
    )
    .unwrap();
    // The server asks for the body only once the handler has the request:
    // from here the round is in flight.
    let mut interim = Vec::new();
    let mut byte = [0u8; 1];
    while !interim.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut byte).unwrap(), 1, "the server answers");
        interim.push(byte[0]);
    }
    let interim = String::from_utf8_lossy(&interim);
    assert!(interim.starts_with("HTTP/1.1 100 Continue"), "{interim}");

    let _ = std::process::Command::new("kill")
        .args(["-TERM", &server.pid().to_string()])
        .status();
    s.write_all(&body).unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    let split = answer
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete response");
    let head = String::from_utf8_lossy(&answer[..split]);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let resp: shared::wire::SyncResponse =
        postcard::from_bytes(&answer[split + 4..]).expect("the round's whole answer");
    assert!(resp.refused.is_empty(), "{:?}", resp.refused);

    let status = server
        .wait_exit(Duration::from_secs(30))
        .expect("the server exits after the round");
    assert!(status.success(), "{status:?}");
    // What the round wrote was committed before the process left.
    let restarted = ProcessServer::start(SERVER, data.path(), "127.0.0.1:0");
    let token = login_token(
        &restarted.url,
        "manager1",
        &seed_password(&seed, "manager1"),
    );
    let (status, issue) = api_get(&restarted.url, &token, &format!("/api/v1/issues/{id}"));
    assert_eq!(status, 200, "{issue}");
    assert_eq!(issue["title"], "停机前提交");
}
