//! Measures a device in its own process: opens DATA_DIR, lists all issues from
//! the projection a few times, prints the best time and the peak RSS as JSON.
use std::time::Instant;

fn peak_rss_kb() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .ok_or_else(|| anyhow::anyhow!("usage: e2e-probe DATA_DIR"))?;
    let device = device::Device::open(&dir)?;
    let mut best = f64::MAX;
    let mut count = 0;
    for _ in 0..5 {
        let t = Instant::now();
        let list = device.issues(&Default::default())?;
        best = best.min(t.elapsed().as_secs_f64() * 1000.0);
        count = list.len();
    }
    println!(
        "{}",
        serde_json::json!({"count": count, "list_ms": best, "peak_rss_kb": peak_rss_kb()})
    );
    Ok(())
}
