//! Sync benchmark through the real HTTP server on loopback with real SQLite files.
//!
//! Scenarios (for N existing issues): (i) a device pushes N new issue documents;
//! (ii) 100 offline edits on each of two devices, then reconnect; (iii) a
//! reconnect with nothing changed; (iv) a fresh device fetches N issues; plus
//! the device listing N issues in its own process. Each figure is printed beside
//! raw Automerge doing the same sync work in one process, in the same run.
//!
//! The peer: the reference JavaScript implementation, the automerge-repo sync
//! server (Node filesystem storage, WebSocket network adapter; `peer/`, with
//! its own package.json and lockfile) and automerge-repo clients, does the same
//! work in the same run — push N new issue documents, 2 × 100 edits over them,
//! a fresh client fetching N — and a table prints both side by side.
//!
//! `cargo bench -p tests --bench sync` runs N = 1,000 and 10,000 (the peer at
//! N = 1,000); `BENCH_QUICK=1` runs N = 200 and 1,000 (the peer at 200).
//!
//! Profiling one scenario: `BENCH_PERF_CTL=FIFO` names a perf control fifo
//! (`perf record --control fifo:FIFO -D -1 -- cargo bench …`); the bench
//! writes `enable` to it before the edits scenario's syncs and `disable`
//! after them, so the profile holds only those.

use automerge::AutoCommit;
use automerge::sync::{State, SyncDoc};
use chrono::Utc;
use device::{Device, RaiseInput};
use shared::issue::{EventBody, IssueEvent};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tests::*;

const SERVER: &str = env!("CARGO_BIN_EXE_e2e-sync-server");
const PROBE: &str = env!("CARGO_BIN_EXE_e2e-probe");

/// Switches a waiting `perf record --control fifo:…` on or off, when
/// `BENCH_PERF_CTL` names its fifo.
fn perf_control(command: &str) {
    if let Ok(path) = std::env::var("BENCH_PERF_CTL") {
        let mut fifo = std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap_or_else(|e| panic!("perf control fifo {path}: {e}"));
        writeln!(fifo, "{command}").unwrap();
    }
}

/// Which document of a (from, to) pair plays the server.
#[derive(Clone, Copy)]
enum Server {
    From,
    To,
}

/// Raw Automerge doing one scenario's sync work in one process.
#[derive(Clone, Copy)]
struct Raw {
    time: Duration,
    bytes: u64,
    rounds: u32,
    /// The time spent on the server's side of it: decoding the messages it
    /// receives, applying them, making and encoding its own.
    server: Duration,
}

/// The same sync work done by raw Automerge in memory: pairs (from, to) exchange
/// messages until neither has anything to send.
fn raw_sync(pairs: &mut [(AutoCommit, AutoCommit)], server: Server) -> Raw {
    let t = Instant::now();
    let mut bytes = 0u64;
    let mut max_rounds = 0u32;
    let mut server_time = Duration::ZERO;
    for (a, b) in pairs.iter_mut() {
        let (mut sa, mut sb) = (State::new(), State::new());
        let mut rounds = 0;
        loop {
            let mut moved = false;
            let sending = Instant::now();
            if let Some(m) = a.sync().generate_sync_message(&mut sa) {
                let enc = m.encode();
                let sent = sending.elapsed();
                bytes += enc.len() as u64;
                let receiving = Instant::now();
                b.sync()
                    .receive_sync_message(&mut sb, automerge::sync::Message::decode(&enc).unwrap())
                    .unwrap();
                server_time += match server {
                    Server::From => sent,
                    Server::To => receiving.elapsed(),
                };
                moved = true;
            }
            let sending = Instant::now();
            if let Some(m) = b.sync().generate_sync_message(&mut sb) {
                let enc = m.encode();
                let sent = sending.elapsed();
                bytes += enc.len() as u64;
                let receiving = Instant::now();
                a.sync()
                    .receive_sync_message(&mut sa, automerge::sync::Message::decode(&enc).unwrap())
                    .unwrap();
                server_time += match server {
                    Server::From => receiving.elapsed(),
                    Server::To => sent,
                };
                moved = true;
            }
            if !moved {
                break;
            }
            rounds += 1;
        }
        max_rounds = max_rounds.max(rounds);
    }
    Raw {
        time: t.elapsed(),
        bytes,
        rounds: max_rounds,
        server: server_time,
    }
}

/// [`raw_sync`] on fresh copies three times; the fastest run (this machine is noisy,
/// and the best raw run makes the ratio conservative). The pairs end synced.
fn raw_best(pairs: &mut [(AutoCommit, AutoCommit)], server: Server) -> Raw {
    let mut best: Option<Raw> = None;
    for _ in 0..2 {
        let mut copy: Vec<(AutoCommit, AutoCommit)> =
            pairs.iter().map(|(a, b)| (a.clone(), b.clone())).collect();
        let r = raw_sync(&mut copy, server);
        if best.is_none_or(|b| r.time < b.time) {
            best = Some(r);
        }
    }
    let r = raw_sync(pairs, server);
    match best {
        Some(b) if b.time < r.time => b,
        _ => r,
    }
}

fn issue_doc(title: &str) -> AutoCommit {
    let site = shared::SiteId::new();
    let e = IssueEvent {
        id: shared::EventId::new(),
        lamport: 1,
        by: shared::UserId::new(),
        by_name: "inspector1".into(),
        role: shared::Role::Inspector,
        device: shared::DeviceId::new(),
        at: Utc::now(),
        base: None,
        body: EventBody::Raise {
            site,
            zone: Some(shared::ZoneId::new()),
            checkpoint: Some(shared::CheckpointId::new()),
            checkpoint_code: Some(shared::text::Code::parse("p", "CP-R01").unwrap()),
            item: None,
            patrol: None,
            category: shared::Category::HygieneDefect,
            grade: shared::Grade::Deadline,
            title: title.into(),
            description: "地面有污渍，需要清理".into(),
            photos: vec![],
            deadline: Some(Utc::now()),
            complaint: None,
        },
    };
    shared::doc::new_issue(
        shared::doc::actor(rand::random()),
        shared::IssueId::new(),
        site,
        &e,
    )
    .unwrap()
}

fn comment(doc: &mut AutoCommit) {
    let id: shared::IssueId = shared::doc::header(doc).unwrap().id.into();
    let view = shared::issue::fold(id, shared::doc::issue_events(doc).unwrap()).unwrap();
    let e = IssueEvent {
        id: shared::EventId::new(),
        lamport: view.next_lamport(),
        by: view.raised_by,
        by_name: "inspector2".into(),
        role: shared::Role::Inspector,
        device: shared::DeviceId::new(),
        at: Utc::now(),
        base: Some(view.base()),
        body: EventBody::Comment {
            text: "复查：仍需处理".into(),
        },
    };
    shared::doc::append_event(doc, &e).unwrap();
}

struct Row {
    name: String,
    wall: Duration,
    /// CPU time of the device (this process) during the scenario.
    device_cpu: Option<Duration>,
    server_cpu_per_doc: Option<Duration>,
    rounds: u32,
    bytes: u64,
    raw: Option<Raw>,
    /// Documents the server's CPU time is divided by.
    docs: u32,
    target: &'static str,
}

fn print(rows: &[Row]) {
    println!(
        "{:<44} {:>10} {:>10} {:>14} {:>7} {:>11} | {:>10} {:>11} {:>7} {:>11} | {:>6} {:>6} {:>6}  target",
        "scenario",
        "wall ms",
        "dev cpu ms",
        "srv cpu/doc",
        "rounds",
        "bytes",
        "raw ms",
        "raw bytes",
        "raw rt",
        "raw srv/doc",
        "t×",
        "B×",
        "srv×"
    );
    for r in rows {
        let ms = |d: Duration| format!("{:.3} ms", d.as_secs_f64() * 1e3);
        let ratio = |a: f64, b: f64| format!("{:.2}", a / b.max(1e-9));
        let (raw_ms, raw_b, raw_rt, raw_srv, tx, bx, sx) = match r.raw {
            Some(raw) => {
                let raw_srv = raw.server / r.docs.max(1);
                (
                    format!("{:.1}", raw.time.as_secs_f64() * 1e3),
                    raw.bytes.to_string(),
                    raw.rounds.to_string(),
                    ms(raw_srv),
                    ratio(r.wall.as_secs_f64(), raw.time.as_secs_f64()),
                    ratio(r.bytes as f64, raw.bytes as f64),
                    r.server_cpu_per_doc
                        .map(|c| ratio(c.as_secs_f64(), raw_srv.as_secs_f64()))
                        .unwrap_or_else(|| "-".into()),
                )
            }
            None => (
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
                "-".into(),
            ),
        };
        println!(
            "{:<44} {:>10.1} {:>10} {:>14} {:>7} {:>11} | {:>10} {:>11} {:>7} {:>11} | {:>6} {:>6} {:>6}  {}",
            r.name,
            r.wall.as_secs_f64() * 1e3,
            r.device_cpu
                .map(|d| format!("{:.0}", d.as_secs_f64() * 1e3))
                .unwrap_or_else(|| "-".into()),
            r.server_cpu_per_doc.map(ms).unwrap_or_else(|| "-".into()),
            r.rounds,
            r.bytes,
            raw_ms,
            raw_b,
            raw_rt,
            raw_srv,
            tx,
            bx,
            sx,
            r.target
        );
    }
}

/// Wall time and server CPU time per document of one scenario.
#[derive(Clone, Copy, Default)]
struct Figure {
    wall: Duration,
    cpu_per_doc: Duration,
}

/// Ours or the peer's figures for one N.
#[derive(Clone, Copy, Default)]
struct Figures {
    push: Figure,
    fetch: Figure,
    edit: Figure,
}

/// A child process killed when dropped, so a failing run leaves no server behind.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The peer's directory, its packages installed at the lockfile's versions when
/// missing (as `scripts/setup` does).
fn peer_dir() -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/peer");
    if !dir.join("node_modules/.package-lock.json").exists() {
        let ok = Command::new("npm")
            .args(["install", "--no-audit", "--no-fund", "--silent"])
            .current_dir(&dir)
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        assert!(
            ok,
            "the peer benchmark needs Node and npm: `npm install` failed in {}",
            dir.display()
        );
    }
    dir
}

/// The reference automerge-repo server and clients doing the scenarios' work
/// (see `peer/client.mjs`); the server's CPU time is read between scenarios.
fn peer(n: usize, edits: usize) -> Figures {
    let dir = peer_dir();
    let data = tempfile::tempdir().unwrap();
    let mut server = Killed(
        Command::new("node")
            .arg(dir.join("server.mjs"))
            .arg(data.path())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs the peer server"),
    );
    let mut out = BufReader::new(server.0.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let port = line
        .strip_prefix("listening ")
        .unwrap_or_else(|| panic!("the peer server did not start: {line:?}"))
        .trim()
        .to_string();
    let pid = server.0.id();
    let mut client = Killed(
        Command::new("node")
            .arg(dir.join("client.mjs"))
            .args([
                format!("ws://127.0.0.1:{port}"),
                n.to_string(),
                edits.to_string(),
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("node runs the peer client"),
    );
    let mut stdin = client.0.stdin.take().unwrap();
    let lines = BufReader::new(client.0.stdout.take().unwrap()).lines();
    let mut figures = Figures::default();
    let mut cpu0 = Duration::ZERO;
    for line in lines {
        let line = line.unwrap();
        let words: Vec<&str> = line.split_whitespace().collect();
        match words.as_slice() {
            ["ready", _] => {
                cpu0 = cpu_of(pid);
                writeln!(stdin, "go").unwrap();
            }
            ["done", name, ms] => {
                let cpu = cpu_of(pid) - cpu0;
                let wall = Duration::from_secs_f64(ms.parse::<f64>().unwrap() / 1e3);
                let (slot, docs) = match *name {
                    "push" => (&mut figures.push, n),
                    "fetch" => (&mut figures.fetch, n),
                    "edit" => (&mut figures.edit, 2 * edits),
                    other => panic!("unknown peer scenario {other}"),
                };
                *slot = Figure {
                    wall,
                    cpu_per_doc: cpu / docs as u32,
                };
            }
            _ => panic!("unexpected line from the peer client: {line}"),
        }
    }
    let status = client.0.wait().unwrap();
    assert!(status.success(), "the peer client failed: {status}");
    figures
}

fn print_peer(n: usize, edits: usize, ours: &Figures, peer: &Figures) {
    let node = Command::new("node")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default();
    println!();
    println!(
        "peer: automerge-repo 2.5.6 sync server and clients on Node {node}, N = {n}, same run"
    );
    println!(
        "{:<34} {:>10} {:>10} {:>8} | {:>12} {:>12} {:>9}  target",
        "scenario", "ours ms", "peer ms", "wall×", "ours cpu/doc", "peer cpu/doc", "peer÷ours"
    );
    for (name, o, p) in [
        (format!("push {n} new issues"), ours.push, peer.push),
        (format!("2×{edits} edits over {n}"), ours.edit, peer.edit),
        (format!("fresh client fetches {n}"), ours.fetch, peer.fetch),
    ] {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        println!(
            "{:<34} {:>10.1} {:>10.1} {:>8.2} | {:>9.3} ms {:>9.3} ms {:>8.1}×  cpu ≥ 10× below, wall below",
            name,
            ms(o.wall),
            ms(p.wall),
            o.wall.as_secs_f64() / p.wall.as_secs_f64().max(1e-9),
            ms(o.cpu_per_doc),
            ms(p.cpu_per_doc),
            p.cpu_per_doc.as_secs_f64() / o.cpu_per_doc.as_secs_f64().max(1e-6),
        );
    }
    println!(
        "wall× = ours ÷ peer; a server CPU time under the 10 ms clock tick counts as 0 (its ratio is then a floor)."
    );
}

fn scenario(n: usize, rows: &mut Vec<Row>) -> Figures {
    let mut ours = Figures::default();
    let data = tempfile::tempdir().unwrap();
    let seed = seed_with(SERVER, data.path());
    let server = ProcessServer::start(SERVER, data.path(), "127.0.0.1:0");
    let pid = server.pid();
    let opts = device::SyncOptions {
        timeout: Duration::from_secs(600),
        ..device::SyncOptions::default()
    };
    let (da, db, dc) = (device_dir(), device_dir(), device_dir());
    let mut a = Device::open(da.path()).unwrap();
    a.login(
        &server.url,
        "inspector1",
        &seed_password(&seed, "inspector1"),
        &opts,
    )
    .unwrap();
    // The seeded site already has its demo history; the figures below count what this run adds.
    let before = a.issues(&Default::default()).unwrap().len();

    let t = Instant::now();
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        ids.push(
            a.raise_issue(
                RaiseInput {
                    checkpoint: "CP-R01".into(),
                    item: None,
                    category: shared::Category::HygieneDefect,
                    grade: shared::Grade::Deadline,
                    title: format!("问题 {i}"),
                    description: "地面有污渍，需要清理".into(),
                    photos: vec![],
                },
                Utc::now(),
            )
            .unwrap(),
        );
    }
    let write_time = t.elapsed();
    println!(
        "N = {n}: {} issues recorded on the device in {:.1} s ({:.2} ms per finding, one fsync'd transaction each)",
        n,
        write_time.as_secs_f64(),
        write_time.as_secs_f64() * 1e3 / n as f64
    );

    // (i) push N new documents.
    let mut raw: Vec<(AutoCommit, AutoCommit)> = (0..n)
        .map(|i| (issue_doc(&format!("问题 {i}")), AutoCommit::new()))
        .collect();
    let raw_push = raw_best(&mut raw, Server::To);
    let (cpu0, dev0) = (cpu_of(pid), cpu_of(std::process::id()));
    let t = Instant::now();
    let r = a.sync(&opts).unwrap();
    let wall = t.elapsed();
    let cpu = cpu_of(pid) - cpu0;
    let dev = cpu_of(std::process::id()) - dev0;
    ours.push = Figure {
        wall,
        cpu_per_doc: cpu / n as u32,
    };
    rows.push(Row {
        name: format!("(i) push {n} new issues"),
        wall,
        device_cpu: Some(dev),
        server_cpu_per_doc: Some(cpu / n as u32),
        rounds: r.rounds,
        bytes: r.bytes_sent + r.bytes_received,
        raw: Some(raw_push),
        docs: n as u32,
        target: "cpu ≤ 0.5 ms/doc; ≤1.5× t, ≤1.3× B",
    });

    // (iv) a fresh device fetches N documents.
    let mut b = Device::open(db.path()).unwrap();
    let raw_fetch = {
        let mut pairs: Vec<(AutoCommit, AutoCommit)> = raw
            .iter_mut()
            .map(|(_, full)| (full.clone(), AutoCommit::new()))
            .collect();
        raw_sync(&mut pairs, Server::From)
    };
    let (cpu0, dev0) = (cpu_of(pid), cpu_of(std::process::id()));
    let t = Instant::now();
    let (_, r) = b
        .login(
            &server.url,
            "inspector2",
            &seed_password(&seed, "inspector2"),
            &opts,
        )
        .unwrap();
    let wall = t.elapsed();
    let cpu = cpu_of(pid) - cpu0;
    let dev = cpu_of(std::process::id()) - dev0;
    assert_eq!(b.issues(&Default::default()).unwrap().len(), before + n);
    ours.fetch = Figure {
        wall,
        cpu_per_doc: cpu / n as u32,
    };
    rows.push(Row {
        name: format!("(iv) fresh device fetches {n} issues (+login)"),
        wall,
        device_cpu: Some(dev),
        server_cpu_per_doc: Some(cpu / n as u32),
        rounds: r.rounds,
        bytes: r.bytes_sent + r.bytes_received,
        raw: Some(raw_fetch),
        docs: n as u32,
        target: "cpu ≤ 0.1 ms/doc",
    });

    // (ii) 100 offline edits on each of two devices, then reconnect.
    let edits = 100.min(n / 2);
    for id in &ids[..edits] {
        a.issue_event(
            *id,
            EventBody::Comment {
                text: "复查：仍需处理".into(),
            },
            true,
            Utc::now(),
        )
        .unwrap();
    }
    for id in &ids[n - edits..] {
        b.issue_event(
            *id,
            EventBody::Comment {
                text: "复查：仍需处理".into(),
            },
            true,
            Utc::now(),
        )
        .unwrap();
    }
    // Raw: each edit goes device → server, then server → the other device.
    let raw_edit = {
        let mut up: Vec<(AutoCommit, AutoCommit)> = raw
            .iter_mut()
            .take(2 * edits)
            .map(|(_, full)| {
                let server_copy = full.clone();
                let mut device_copy = full.fork();
                comment(&mut device_copy);
                (device_copy, server_copy)
            })
            .collect();
        let up_raw = raw_best(&mut up, Server::To);
        let mut down: Vec<(AutoCommit, AutoCommit)> = up
            .into_iter()
            .zip(raw.iter_mut())
            .map(|((_, server_copy), (_, full))| (server_copy, full.clone()))
            .collect();
        let down_raw = raw_best(&mut down, Server::From);
        Raw {
            time: up_raw.time + down_raw.time,
            bytes: up_raw.bytes + down_raw.bytes,
            rounds: up_raw.rounds + down_raw.rounds,
            server: up_raw.server + down_raw.server,
        }
    };
    let (cpu0, dev0) = (cpu_of(pid), cpu_of(std::process::id()));
    perf_control("enable");
    let t = Instant::now();
    let r1 = a.sync(&opts).unwrap();
    let r2 = b.sync(&opts).unwrap();
    let r3 = a.sync(&opts).unwrap();
    let wall = t.elapsed();
    perf_control("disable");
    let cpu = cpu_of(pid) - cpu0;
    let dev = cpu_of(std::process::id()) - dev0;
    ours.edit = Figure {
        wall,
        cpu_per_doc: cpu / (2 * edits) as u32,
    };
    rows.push(Row {
        name: format!("(ii) 2×{edits} edits over {n}, reconnect"),
        wall,
        device_cpu: Some(dev),
        server_cpu_per_doc: Some(cpu / (2 * edits) as u32),
        rounds: r1.rounds + r2.rounds + r3.rounds,
        bytes: [&r1, &r2, &r3]
            .iter()
            .map(|r| r.bytes_sent + r.bytes_received)
            .sum(),
        raw: Some(raw_edit),
        docs: (2 * edits) as u32,
        target: "cpu ≤ 0.2 ms/changed doc",
    });

    // (iii) a reconnect with nothing changed (earlier acks settled).
    b.sync(&opts).unwrap();
    let t = Instant::now();
    let r = a.sync(&opts).unwrap();
    rows.push(Row {
        name: format!("(iii) reconnect, nothing changed, {n} issues"),
        wall: t.elapsed(),
        device_cpu: None,
        server_cpu_per_doc: None,
        rounds: r.rounds,
        bytes: r.bytes_sent + r.bytes_received,
        raw: None,
        docs: 0,
        target: "1 round trip, < 1 KB",
    });

    // The device lists N issues in its own process.
    let out = Command::new(PROBE).arg(da.path()).output().unwrap();
    let probe: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    println!(
        "N = {n}: device process lists {} issues in {:.1} ms (best of 5), peak RSS {:.1} MB  (target < 50 ms, < 150 MB)",
        probe["count"],
        probe["list_ms"].as_f64().unwrap_or(0.0),
        probe["peak_rss_kb"].as_f64().unwrap_or(0.0) / 1024.0
    );
    drop(dc);
    ours
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would pass nothing: run quick then.
    let quick = std::env::var("BENCH_QUICK").is_ok() || !std::env::args().any(|a| a == "--bench");
    let sizes: &[usize] = if quick { &[200, 1000] } else { &[1000, 10_000] };
    let mut rows = Vec::new();
    // The peer at the smaller N: 1,000 in a full run, 200 in a quick one.
    let peer_n = sizes[0];
    let mut compared = None;
    for &n in sizes {
        let ours = scenario(n, &mut rows);
        if n == peer_n {
            compared = Some(ours);
        }
    }
    println!();
    print(&rows);
    println!(
        "\nwall = our whole path (device SQLite + HTTP + server SQLite); raw = Automerge sync of the same documents in one process; t×/B× = ours ÷ raw."
    );
    println!(
        "dev cpu = the device's CPU time (this process: store, HTTP client, its half of the protocol) during the scenario; the server's is srv cpu/doc × documents."
    );
    println!(
        "raw srv/doc = the time raw Automerge spends on the server's side of that exchange (decode, apply, answer, encode) per document; srv× = our server's CPU per document ÷ it."
    );
    println!("HTTP headers (~200 B per round trip) are not in `bytes`; bodies are.");
    let edits = 100.min(peer_n / 2);
    let theirs = peer(peer_n, edits);
    print_peer(
        peer_n,
        edits,
        &compared.expect("ours at the peer's N"),
        &theirs,
    );
}
