//! Bad input gets a 4xx with a JSON `{code, message}` and the server stays up.

use shared::wire::*;
use tests::*;

struct Ctx {
    _seeded: Seeded,
    server: InProcessServer,
    token: String,
    _dir: tempfile::TempDir,
    device: device::Device,
}

fn setup() -> Ctx {
    let seeded = Seeded::new();
    let server = InProcessServer::start(seeded.store.clone());
    let dir = device_dir();
    let device = device(
        dir.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let token = device.session().unwrap().token;
    Ctx {
        _seeded: seeded,
        server,
        token,
        _dir: dir,
        device,
    }
}

fn post(url: &str, token: Option<&str>, protocol: Option<&str>, body: Vec<u8>) -> (u16, Vec<u8>) {
    let mut req = reqwest::blocking::Client::new()
        .post(format!("{url}/api/v1/sync"))
        .body(body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(p) = protocol {
        req = req.header(PROTOCOL_HEADER, p);
    }
    let resp = req.send().expect("POST");
    (resp.status().as_u16(), resp.bytes().unwrap().to_vec())
}

fn error_code(body: &[u8]) -> String {
    let e: ApiError = serde_json::from_slice(body)
        .unwrap_or_else(|_| panic!("JSON error body, got {}", String::from_utf8_lossy(body)));
    assert!(!e.message.is_empty());
    e.code
}

fn envelope(docs: Vec<DocMessage>) -> Vec<u8> {
    postcard::to_allocvec(&SyncRequest {
        protocol: PROTOCOL_VERSION,
        cursor: 0,
        docs,
    })
    .unwrap()
}

#[test]
fn malformed_sync_requests_get_clear_errors_and_the_server_survives() {
    let mut ctx = setup();
    let url = ctx.server.url.clone();
    let v = PROTOCOL_VERSION.to_string();

    let (s, b) = post(&url, None, Some(&v), envelope(vec![]));
    assert_eq!((s, error_code(&b).as_str()), (401, "unauthorized"));
    let (s, b) = post(&url, Some("not-a-token"), Some(&v), envelope(vec![]));
    assert_eq!((s, error_code(&b).as_str()), (401, "unauthorized"));
    let (s, b) = post(&url, Some(&ctx.token), None, envelope(vec![]));
    assert_eq!((s, error_code(&b).as_str()), (426, "client_outdated"));
    let (s, b) = post(&url, Some(&ctx.token), Some("0"), envelope(vec![]));
    assert_eq!(s, 426);
    assert!(String::from_utf8_lossy(&b).contains("update the app"));
    let (s, b) = post(
        &url,
        Some(&ctx.token),
        Some(&v),
        b"\xff\xfe garbage".to_vec(),
    );
    assert_eq!((s, error_code(&b).as_str()), (400, "malformed"));
    let (s, b) = post(
        &url,
        Some(&ctx.token),
        Some(&v),
        vec![0u8; 33 * 1024 * 1024],
    );
    assert_eq!((s, error_code(&b).as_str()), (413, "bad_body"));

    // A well-formed envelope with broken documents: each is refused alone.
    let garbage = DocMessage {
        doc: shared::DocId::from_uuid(uuid::Uuid::now_v7()),
        kind: DocKind::Issue,
        msg: vec![0x42, 0xff, 0xff, 0xff],
    };
    let bad_changes = DocMessage {
        doc: shared::DocId::from_uuid(uuid::Uuid::now_v7()),
        kind: DocKind::Issue,
        // a valid v1 message header (no heads, need, have) carrying one garbage change
        msg: vec![0x42, 0, 0, 0, 1, 5, 1, 2, 3, 4, 5],
    };
    let (s, b) = post(
        &url,
        Some(&ctx.token),
        Some(&v),
        envelope(vec![garbage.clone(), bad_changes.clone()]),
    );
    assert_eq!(s, 200);
    let resp: SyncResponse = postcard::from_bytes(&b).unwrap();
    let mut refused: Vec<_> = resp
        .refused
        .iter()
        .map(|r| (r.doc, r.code.as_str(), r.status))
        .collect();
    refused.sort();
    let mut want = vec![
        (garbage.doc, "malformed", 400),
        (bad_changes.doc, "malformed", 400),
    ];
    want.sort();
    assert_eq!(refused, want);

    // Read API: wrong ids and filters.
    let (s, b) = api_get(&url, &ctx.token, "/api/v1/issues/not-a-uuid");
    assert_eq!((s, b["code"].as_str()), (400, Some("bad_id")));
    let (s, b) = api_get(
        &url,
        &ctx.token,
        &format!("/api/v1/issues/{}", uuid::Uuid::now_v7()),
    );
    assert_eq!((s, b["code"].as_str()), (404, Some("not_found")));
    let (s, b) = api_get(&url, &ctx.token, "/api/v1/issues?status=bogus");
    assert_eq!((s, b["code"].as_str()), (400, Some("bad_filter")));
    let (s, _) = api_get(&url, "wrong", "/api/v1/issues");
    assert_eq!(s, 401);
    let (s, b) = api_get(&url, &ctx.token, "/api/v1/nothing-here");
    assert_eq!((s, b["code"].as_str()), (404, Some("not_found")));

    // Login with junk and with a wrong password.
    let client = reqwest::blocking::Client::new();
    let r = client
        .post(format!("{url}/api/v1/login"))
        .body("{not json")
        .header("content-type", "application/json")
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    let r = client
        .post(format!("{url}/api/v1/login"))
        .json(&LoginRequest {
            user: "inspector1".into(),
            password: "wrong password".into(),
            actor: "00".repeat(16),
            device_name: "t".into(),
            site: None,
        })
        .send()
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    assert_eq!(error_code(&r.bytes().unwrap()), "bad_credentials");

    // Still alive, still syncing.
    let (s, _) = api_get(&url, &ctx.token, "/api/v1/health");
    assert_eq!(s, 200);
    ctx.device.sync(&opts()).expect("a good device still syncs");
}

#[test]
fn filters_narrow_the_tracker_list() {
    let mut ctx = setup();
    let mk = |d: &mut device::Device, cp: &str, cat, grade| {
        d.raise_issue(
            device::RaiseInput {
                checkpoint: cp.into(),
                item: None,
                category: cat,
                grade,
                title: format!("{cp} 问题"),
                description: String::new(),
                photos: vec![],
            },
            chrono::Utc::now() - chrono::Duration::days(10),
        )
        .unwrap()
    };
    mk(
        &mut ctx.device,
        "CP-R01",
        shared::Category::HygieneDefect,
        shared::Grade::Immediate,
    );
    mk(
        &mut ctx.device,
        "CP-P01",
        shared::Category::EquipmentFault,
        shared::Grade::LongTerm,
    );
    ctx.device.sync(&opts()).unwrap();
    let url = &ctx.server.url;
    let count = |q: &str| {
        api_get(url, &ctx.token, &format!("/api/v1/issues{q}"))
            .1
            .as_array()
            .map(|a| a.len())
            .unwrap_or(usize::MAX)
    };
    assert_eq!(count(""), 2);
    assert_eq!(count("?category=hygiene_defect"), 1);
    assert_eq!(count("?grade=long_term"), 1);
    assert_eq!(count("?status=recorded&site=DEMO"), 2);
    assert_eq!(count("?status=verified"), 0);
    assert_eq!(
        count("?overdue=true"),
        1,
        "the immediate one raised ten days ago is overdue"
    );
    let zone = ctx
        .device
        .plan()
        .unwrap()
        .zones
        .iter()
        .find(|z| z.code.as_str() == "Z-PUB")
        .unwrap()
        .id;
    assert_eq!(count(&format!("?zone={zone}")), 1);
    assert_eq!(count("?assignee=staff1"), 0);
}

/// A device that asks gets its sync responses gzipped — the same response,
/// fewer bytes — and one that does not, or refuses gzip, gets them as they are.
#[test]
fn sync_responses_are_gzipped_for_devices_that_ask_and_only_for_them() {
    let mut ctx = setup();
    let url = ctx.server.url.clone();
    for i in 0..30 {
        ctx.device
            .raise_issue(
                device::RaiseInput {
                    checkpoint: "CP-R01".into(),
                    item: None,
                    category: shared::Category::HygieneDefect,
                    grade: shared::Grade::Deadline,
                    title: format!("地面污渍 {i}"),
                    description: "大堂入口处地面有污渍，需要清理".into(),
                    photos: vec![],
                },
                chrono::Utc::now(),
            )
            .unwrap();
    }
    ctx.device.sync(&opts()).unwrap();
    let answer = |accept: Option<&str>| {
        // A fresh login holds nothing, so every answer carries the site's documents whole.
        let peer =
            tests::hostile::RawPeer::login(&url, "inspector1", &ctx._seeded.password("inspector1"));
        let mut req = reqwest::blocking::Client::new()
            .post(format!("{url}/api/v1/sync"))
            .bearer_auth(&peer.token)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .body(envelope(vec![]));
        if let Some(a) = accept {
            req = req.header(reqwest::header::ACCEPT_ENCODING, a);
        }
        let resp = req.send().expect("POST");
        assert_eq!(resp.status().as_u16(), 200);
        let encoding = resp
            .headers()
            .get(reqwest::header::CONTENT_ENCODING)
            .map(|v| v.to_str().unwrap().to_string());
        (encoding, resp.bytes().unwrap().to_vec())
    };
    let docs = |r: SyncResponse| {
        let mut d: Vec<(shared::ids::DocId, Vec<u8>)> =
            r.docs.into_iter().map(|m| (m.doc, m.msg)).collect();
        d.sort();
        d
    };
    let (plain_encoding, plain) = answer(None);
    assert_eq!(plain_encoding, None);
    let plain: SyncResponse = postcard::from_bytes(&plain).unwrap();
    assert!(plain.docs.len() > 30, "the site's documents");

    let (encoding, packed) = answer(Some("gzip"));
    assert_eq!(encoding.as_deref(), Some("gzip"));
    let unpacked = shared::gzip::decompress(&packed, 1 << 30).unwrap();
    assert!(
        packed.len() * 2 < unpacked.len(),
        "{} → {}",
        unpacked.len(),
        packed.len()
    );
    let gzipped: SyncResponse = postcard::from_bytes(&unpacked).unwrap();
    assert_eq!(docs(gzipped), docs(plain));

    let (refused, body) = answer(Some("gzip;q=0, identity"));
    assert_eq!(refused, None);
    assert!(postcard::from_bytes::<SyncResponse>(&body).is_ok());
}
