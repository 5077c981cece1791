//! A login flood against a signed-in user: the real server (a child process,
//! real SQLite file) on loopback. First a signed-in manager's `GET /api/v1/me`
//! is timed with nothing else going on (the baseline, same run); then again
//! while 100 threads send bad logins as fast as the server answers them, each
//! from its own loopback source address (127.0.1.N), so the per-address
//! throttle does not end the flood early and passwords are really checked. The
//! figure is the ratio of the two (median and 95th percentile); the target is
//! at most 2×. Also printed: how many bad logins were answered and how (401:
//! a password was checked; 429: refused by the throttle without a check).
//!
//! `cargo bench -p tests --bench logins` times each phase for 15 s;
//! `BENCH_QUICK=1` (and `cargo test --bench logins`) for 3 s.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tests::*;

const SERVER: &str = env!("CARGO_BIN_EXE_e2e-sync-server");
const ATTACKERS: usize = 100;

fn client(from: Option<std::net::IpAddr>) -> reqwest::blocking::Client {
    reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(120))
        .local_address(from)
        .build()
        .expect("client")
}

/// Sequential `/me` requests for `span`; their latencies, sorted.
fn me_latencies(
    c: &reqwest::blocking::Client,
    url: &str,
    token: &str,
    span: Duration,
) -> Vec<Duration> {
    let start = Instant::now();
    let mut out = Vec::new();
    while start.elapsed() < span {
        let t = Instant::now();
        let resp = c
            .get(format!("{url}/api/v1/me"))
            .bearer_auth(token)
            .send()
            .expect("/me");
        assert_eq!(resp.status().as_u16(), 200);
        let _ = resp.bytes();
        out.push(t.elapsed());
    }
    out.sort();
    out
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let quick = std::env::var("BENCH_QUICK").is_ok() || !std::env::args().any(|a| a == "--bench");
    let span = Duration::from_secs(if quick { 3 } else { 15 });
    let data = tempfile::tempdir().expect("data dir");
    let seed = seed_with(SERVER, data.path());
    let server = ProcessServer::start(SERVER, data.path(), "127.0.0.1:0");
    let url = server.url.clone();
    let token = login_token(&url, "manager1", &seed_password(&seed, "manager1"));
    let c = client(None);
    // Warm up connections and caches, then the baseline.
    me_latencies(&c, &url, &token, Duration::from_millis(300));
    let idle = me_latencies(&c, &url, &token, span);

    let stop = Arc::new(AtomicBool::new(false));
    let checked = Arc::new(AtomicU64::new(0));
    let throttled = Arc::new(AtomicU64::new(0));
    let started = Arc::new(std::sync::Barrier::new(ATTACKERS + 1));
    let attackers: Vec<_> = (0..ATTACKERS)
        .map(|i| {
            let (url, stop, checked, throttled, started) = (
                url.clone(),
                stop.clone(),
                checked.clone(),
                throttled.clone(),
                started.clone(),
            );
            std::thread::spawn(move || {
                let from = std::net::Ipv4Addr::new(127, 0, 1, i as u8 + 1);
                let c = client(Some(from.into()));
                started.wait();
                let mut n = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    // Half guess at a real account, half at names that do not exist.
                    let user = if i % 2 == 0 {
                        "manager1".to_string()
                    } else {
                        format!("nobody{i}-{n}")
                    };
                    let resp = c
                        .post(format!("{url}/api/v1/login"))
                        .json(&serde_json::json!({
                            "user": user, "password": format!("guess{n}"),
                            "actor": format!("{:032x}", rand::random::<u128>()),
                            "device_name": "flood"
                        }))
                        .send();
                    match resp.map(|r| r.status().as_u16()) {
                        Ok(401) => checked.fetch_add(1, Ordering::Relaxed),
                        Ok(429) => throttled.fetch_add(1, Ordering::Relaxed),
                        Ok(other) => panic!("a bad login answered {other}"),
                        Err(e) => panic!("a bad login failed: {e}"),
                    };
                }
            })
        })
        .collect();
    started.wait();
    // Sample once the flood is under way: every attacker has had an answer.
    let wait = Instant::now();
    while checked.load(Ordering::Relaxed) + throttled.load(Ordering::Relaxed) < ATTACKERS as u64 {
        assert!(
            wait.elapsed() < Duration::from_secs(600),
            "the flood never got going"
        );
        std::thread::yield_now();
    }
    let (checked0, throttled0) = (
        checked.load(Ordering::Relaxed),
        throttled.load(Ordering::Relaxed),
    );
    let flood_started = Instant::now();
    let flooded = me_latencies(&c, &url, &token, span);
    let flood_time = flood_started.elapsed();
    stop.store(true, Ordering::Relaxed);
    for a in attackers {
        a.join().expect("attacker thread");
    }
    assert!(hostile_alive(&url), "the server is still up");

    let (i50, i95) = (quantile(&idle, 0.5), quantile(&idle, 0.95));
    let (f50, f95) = (quantile(&flooded, 0.5), quantile(&flooded, 0.95));
    let (checked, throttled) = (
        checked.load(Ordering::Relaxed) - checked0,
        throttled.load(Ordering::Relaxed) - throttled0,
    );
    println!(
        "login flood: {ATTACKERS} concurrent bad-login loops from {ATTACKERS} addresses; /me for {:?} per phase ({} idle samples, {} flooded)",
        span,
        idle.len(),
        flooded.len()
    );
    println!(
        "  /me idle      median {:7.2} ms   p95 {:7.2} ms",
        ms(i50),
        ms(i95)
    );
    println!(
        "  /me flooded   median {:7.2} ms   p95 {:7.2} ms   ({:.2}× and {:.2}× idle; target ≤ 2×)",
        ms(f50),
        ms(f95),
        f50.as_secs_f64() / i50.as_secs_f64(),
        f95.as_secs_f64() / i95.as_secs_f64()
    );
    println!(
        "  bad logins answered while /me was timed: {} in {:.1} s ({} checked → 401, {} throttled → 429)",
        checked + throttled,
        flood_time.as_secs_f64(),
        checked,
        throttled
    );
}

fn hostile_alive(url: &str) -> bool {
    tests::hostile::alive(url)
}
