//! Nothing recorded is lost and nothing is duplicated when the server is
//! SIGKILLed mid-sync or a device is SIGKILLed mid-write.

use chrono::Utc;
use device::{Device, RaiseInput};
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use tests::*;

const SERVER: &str = env!("CARGO_BIN_EXE_e2e-sync-server");
const WRITER: &str = env!("CARGO_BIN_EXE_e2e-writer");

fn kill9(pid: u32) {
    let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
}

fn raise_many(d: &mut Device, n: usize) -> BTreeSet<String> {
    (0..n)
        .map(|i| {
            d.raise_issue(
                RaiseInput {
                    checkpoint: "CP-R01".into(),
                    item: None,
                    category: shared::Category::HygieneDefect,
                    grade: shared::Grade::Deadline,
                    title: format!("离线记录 {i}"),
                    description: "地面有污渍".into(),
                    photos: Vec::new(),
                },
                Utc::now(),
            )
            .unwrap()
            .to_string()
        })
        .collect()
}

/// The issues a device lists.
fn listed_ids(d: &Device) -> BTreeSet<String> {
    d.issues(&Default::default())
        .unwrap()
        .iter()
        .map(|s| s.id.to_string())
        .collect()
}

fn short() -> device::SyncOptions {
    device::SyncOptions {
        timeout: std::time::Duration::from_secs(3),
        ..opts()
    }
}

/// Kills the server at a chosen moment of a sync (request half-sent, or
/// response about to be delivered after the server committed), restarts it on
/// the same address, and checks every finding arrives exactly once.
fn killed_mid_sync(kill_on: Dir, threshold: u64) {
    let data = tempfile::tempdir().unwrap();
    let seed = seed_with(SERVER, data.path());
    let mut server = ProcessServer::start(SERVER, data.path(), "127.0.0.1:0");
    let port = server.addr.port();
    let pid = server.pid();
    let armed = Arc::new(AtomicBool::new(false));
    let fired = Arc::new(AtomicBool::new(false));
    let (a, f) = (armed.clone(), fired.clone());
    let base_to_server = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let base = base_to_server.clone();
    let proxy = Proxy::start(
        server.addr,
        Arc::new(move |dir, total, _| {
            if !a.load(Ordering::SeqCst) {
                // What went to the server before arming; a reply's bytes
                // (the estate's history at login) are not counted against it.
                if dir == Dir::ToServer {
                    base.store(total, Ordering::SeqCst);
                }
                return true;
            }
            let moved = total.saturating_sub(if dir == Dir::ToServer {
                base.load(Ordering::SeqCst)
            } else {
                0
            });
            if dir == kill_on && moved >= threshold && !f.swap(true, Ordering::SeqCst) {
                kill9(pid);
                return false;
            }
            true
        }),
    );
    let dir = device_dir();
    let mut d = device(
        dir.path(),
        &proxy.url,
        "inspector1",
        &seed_password(&seed, "inspector1"),
    );
    // The demo estate's own history arrived at login; the findings below come on top.
    let history = listed_ids(&d);
    let ids = raise_many(&mut d, 150);
    armed.store(true, Ordering::SeqCst);
    let err = d.sync(&short()).expect_err("the server died mid-sync");
    assert!(fired.load(Ordering::SeqCst));
    assert!(
        matches!(err, device::DeviceError::Sync(ref e) if e.exit_code() == 2),
        "{err}"
    );
    server.kill();
    assert_eq!(
        d.pending_count().unwrap(),
        150,
        "nothing is dropped from the outbox"
    );

    let restarted = ProcessServer::start(SERVER, data.path(), &format!("127.0.0.1:{port}"));
    let report = d.sync(&opts()).expect("sync after restart");
    assert_eq!(report.pending, 0);
    let token = d.session().unwrap().token;
    let on_server: BTreeSet<String> = server_issues(&restarted.url, &token)
        .iter()
        .map(|s| s.id.to_string())
        .collect();
    let expected: BTreeSet<String> = ids.union(&history).cloned().collect();
    assert_eq!(on_server, expected, "every finding arrived, none twice");
    for id in ids.iter().take(5) {
        let (_, detail) = api_get(&restarted.url, &token, &format!("/api/v1/issues/{id}"));
        assert_eq!(
            detail["timeline"].as_array().unwrap().len(),
            1,
            "no duplicated events"
        );
    }
    drop(proxy);
}

#[test]
fn server_killed_while_the_request_is_uploading() {
    killed_mid_sync(Dir::ToServer, 20_000);
}

#[test]
fn server_killed_after_commit_before_the_response_arrives() {
    killed_mid_sync(Dir::ToClient, 1);
}

#[test]
fn device_killed_mid_write_loses_nothing_it_confirmed() {
    let data = tempfile::tempdir().unwrap();
    let seed = seed_with(SERVER, data.path());
    let server = ProcessServer::start(SERVER, data.path(), "127.0.0.1:0");
    let dir = device_dir();
    let history = listed_ids(&device(
        dir.path(),
        &server.url,
        "inspector1",
        &seed_password(&seed, "inspector1"),
    ));

    let mut confirmed = Vec::new();
    for round in 0..3 {
        let mut child = Command::new(WRITER)
            .arg(dir.path())
            .args(["CP-R02", "100000"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start writer");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        // Let it confirm a varying number of writes, then pull the plug mid-stream.
        for _ in 0..(20 + round * 17) {
            confirmed.push(lines.next().expect("a line").expect("utf8"));
        }
        kill9(child.id());
        let _ = child.wait();
        // Lines already written to the pipe were also confirmed (committed before printing).
        confirmed.extend(lines.map_while(Result::ok));
    }

    let mut d = Device::open(dir.path()).expect("store opens after kills");
    let listed: BTreeSet<String> = listed_ids(&d).difference(&history).cloned().collect();
    for id in &confirmed {
        assert!(listed.contains(id), "confirmed issue {id} survived");
    }
    assert!(
        listed.len() <= confirmed.len() + 3,
        "at most the in-flight write per kill is extra"
    );
    for id in &listed {
        d.issue(id.parse().unwrap())
            .expect("every stored issue loads and folds");
    }
    let report = d.sync(&opts()).unwrap();
    assert_eq!(report.pending, 0);
    let token = d.session().unwrap().token;
    let on_server: BTreeSet<String> = server_issues(&server.url, &token)
        .iter()
        .map(|s| s.id.to_string())
        .collect();
    let expected: BTreeSet<String> = listed.union(&history).cloned().collect();
    assert_eq!(
        on_server, expected,
        "the server has exactly what the device has"
    );
}

/// The server's round trip, during which another process records a comment
/// on the issue being synced (a second connection to the same store).
struct Interfering {
    http: device::sync::Http,
    dir: std::path::PathBuf,
    issue: shared::IssueId,
    commented: bool,
}

impl device::sync::Transport for Interfering {
    fn round(&mut self, token: &str, body: Vec<u8>) -> Result<(Vec<u8>, bool), device::SyncError> {
        let reply = self.http.round(token, body)?;
        if !self.commented {
            self.commented = true;
            let mut other = Device::open(&self.dir).expect("a second connection opens");
            other
                .issue_event(
                    self.issue,
                    shared::issue::EventBody::Comment {
                        text: "另一进程的备注".into(),
                    },
                    true,
                    Utc::now(),
                )
                .expect("the other process records a comment");
        }
        Ok(reply)
    }
}

#[test]
fn a_change_written_by_another_process_mid_sync_still_reaches_the_server() {
    let seeded = Seeded::new();
    let server = InProcessServer::start(seeded.store.clone());
    let dir = device_dir();
    let mut d = device(
        dir.path(),
        &server.url,
        "inspector1",
        &seeded.password("inspector1"),
    );
    let issue = d
        .raise_issue(
            finding(
                "CP-R01",
                shared::Category::HygieneDefect,
                shared::Grade::Deadline,
                "大堂地面污渍",
            ),
            Utc::now(),
        )
        .expect("raise");
    let mut transport = Interfering {
        http: device::sync::Http::new(&server.url, &opts()).expect("client"),
        dir: dir.path().to_path_buf(),
        issue,
        commented: false,
    };
    // The first response acknowledges the raise; by then the store holds a
    // comment the session's copy of the document does not have.
    d.sync_documents_over(&mut transport, opts().batch)
        .expect("the session ends");
    assert!(transport.commented);
    d.sync(&opts()).expect("a later sync");

    let mut txn = sync_server::store::Store::begin(&*seeded.store).expect("begin");
    let stored = txn
        .doc(issue.into())
        .expect("read")
        .expect("the issue reached the server");
    let doc = automerge::AutoCommit::load(&stored.bytes).expect("loads");
    let comments = shared::doc::issue_events(&doc)
        .expect("events")
        .into_iter()
        .filter(|e| matches!(e.body, shared::issue::EventBody::Comment { .. }))
        .count();
    assert_eq!(comments, 1, "the comment made mid-sync reached the server");
    assert_eq!(
        d.pending_count().expect("pending"),
        0,
        "nothing is left to send"
    );
}
