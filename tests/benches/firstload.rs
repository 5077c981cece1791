//! The dashboard's first load on a phone in a basement: headless Chromium with
//! its network throttled to DevTools' "Fast 3G" (1.44 Mbit/s down, 675 kbit/s
//! up, 562.5 ms round trip) and its cache off, against the real server on
//! loopback serving the built UI (`scripts/build-ui`). Measured: bytes on the
//! wire (the Resource Timing API's transfer sizes) and the time until the login
//! form can be typed into and submitted, then, with a sign-in typed at once,
//! until the signed-in screen shows (the app's code downloads behind the login
//! form, so this is the page plus the app). Beside it, in the same run, the same build served
//! without its precompressed copies (as the server sent it before), so the
//! figures read as a ratio. Targets: ≤ 250 KB on the wire, < 3 s.
//!
//! `cargo bench -p tests --bench firstload` loads each 3 times;
//! `BENCH_QUICK=1` (and `cargo test --bench firstload`) once.

use std::time::Instant;
use tests::browser::*;
use tests::*;

/// DevTools' "Fast 3G" preset, in bytes per second and milliseconds.
const DOWN: f64 = 1_600_000.0 / 8.0 * 0.9;
const UP: f64 = 750_000.0 / 8.0 * 0.9;
const LATENCY_MS: f64 = 562.5;

/// A copy of the built UI without its `.br` / `.gz` files.
fn uncompressed(dist: &std::path::Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for e in std::fs::read_dir(dist).expect("dist").flatten() {
        let name = e.file_name().to_string_lossy().to_string();
        if !name.ends_with(".br") && !name.ends_with(".gz") {
            std::fs::copy(e.path(), dir.path().join(&name)).expect("copy");
        }
    }
    dir
}

/// Bytes transferred so far on this page (the Resource Timing API's transfer sizes).
async fn transferred(ui: &Ui) -> f64 {
    ui.c.execute(
        "const nav = performance.getEntriesByType('navigation').map(e => e.transferSize);
         const res = performance.getEntriesByType('resource').map(e => e.transferSize);
         return nav.concat(res).reduce((a, b) => a + b, 0);",
        vec![],
    )
    .await
    .ok()
    .and_then(|v| v.as_f64())
    .unwrap_or(0.0)
}

/// One cold load of `url`, then a sign-in typed at once: (bytes and seconds
/// until the login form takes input, bytes and seconds until the signed-in
/// screen shows).
async fn load(ui: &mut Ui, url: &str, user: &str, password: &str) -> [(f64, f64); 2] {
    ui.cdp("Network.enable", serde_json::json!({})).await;
    ui.cdp(
        "Network.setCacheDisabled",
        serde_json::json!({ "cacheDisabled": true }),
    )
    .await;
    ui.cdp(
        "Network.emulateNetworkConditions",
        serde_json::json!({
            "offline": false,
            "latency": LATENCY_MS,
            "downloadThroughput": DOWN,
            "uploadThroughput": UP,
        }),
    )
    .await;
    let start = Instant::now();
    ui.c.goto(url).await.expect("goto");
    ui.find("#login #user").await;
    ui.find("#login-submit:not([disabled])").await;
    let ready = (transferred(ui).await, start.elapsed().as_secs_f64());
    ui.type_into("#user", user).await;
    ui.type_into("#password", password).await;
    ui.tap("#login-submit").await;
    ui.find("#nav-issues").await;
    let signed_in = (transferred(ui).await, start.elapsed().as_secs_f64());
    // Logged out again, so the next load starts from the login form.
    ui.c.execute("localStorage.removeItem('patrol.token');", vec![])
        .await
        .ok();
    // Back to an unthrottled, empty page for the next load.
    ui.cdp(
        "Network.emulateNetworkConditions",
        serde_json::json!({ "offline": false, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 }),
    )
    .await;
    ui.c.goto("about:blank").await.ok();
    [ready, signed_in]
}

fn main() {
    let quick = std::env::var("BENCH_QUICK").is_ok() || std::env::args().any(|a| a == "--test");
    let runs = if quick { 1 } else { 3 };
    let dist = ui_dist();
    let plain = uncompressed(&dist);
    let seeded = Seeded::new();
    let built = InProcessServer::serve(
        seeded.state().with_ui_dir(Some(dist.clone())),
        "127.0.0.1:0".parse().unwrap(),
    );
    let before = InProcessServer::serve(
        seeded.state().with_ui_dir(Some(plain.path().to_path_buf())),
        "127.0.0.1:0".parse().unwrap(),
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let driver = ChromeDriver::start();
    let profile = tempfile::tempdir().unwrap();
    let mut ui = Ui::new(
        rt.block_on(driver.session(390, 844, profile.path())),
        "firstload",
    );
    let password = seeded.password("manager1");
    let mut rows = Vec::new();
    for (name, url) in [
        ("uncompressed (baseline)", before.url.clone()),
        ("as built (brotli, hashed, wasm-opt)", built.url.clone()),
    ] {
        let mut loads = Vec::new();
        for _ in 0..runs {
            loads.push(rt.block_on(load(&mut ui, &url, "manager1", &password)));
        }
        let mut row = Vec::new();
        for (stage, what) in [(0, "login form ready"), (1, "signed in")] {
            let mut secs: Vec<f64> = loads.iter().map(|l| l[stage].1).collect();
            secs.sort_by(f64::total_cmp);
            let median = secs[secs.len() / 2];
            let kb = loads.iter().map(|l| l[stage].0).sum::<f64>() / loads.len() as f64 / 1024.0;
            println!(
                "first load, Fast 3G, {name}: {what} after {kb:.0} KB on the wire, {median:.2} s"
            );
            row.push((kb, median));
        }
        rows.push(row);
    }
    rt.block_on(async { ui.c.close().await.ok() });
    let (b0, t0) = rows[0][0];
    let (b1, t1) = rows[1][0];
    let (s0, u0) = rows[0][1];
    let (s1, u1) = rows[1][1];
    println!(
        "first load: as built / baseline = {:.2}× bytes, {:.2}× time to the login form \
         (targets: ≤ 250 KB, < 3 s: {} KB, {:.2} s); signed in: {:.2}× bytes, {:.2}× time ({} KB, {:.2} s)",
        b1 / b0,
        t1 / t0,
        b1.round(),
        t1,
        s1 / s0,
        u1 / u0,
        s1.round(),
        u1
    );
    assert!(b1 > 0.0 && t1 > 0.0, "the page loaded");
}
