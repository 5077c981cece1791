//! Several server processes (replicas) on one store, as behind a load
//! balancer: the scheduled job (reminders, escalations, announcements, webhook
//! delivery) runs in one replica at a time under a lease kept in the store,
//! and moves to another when the holder is killed with SIGKILL.

use chrono::{Duration, Utc};
use std::collections::HashMap;
use tests::webhooks::{Seen, receiver};
use tests::*;

const SERVER: &str = env!("CARGO_BIN_EXE_e2e-sync-server");

/// How many ticks of the reminder job ended with `outcome` on `server`.
fn runs(server: &ProcessServer, outcome: &str) -> f64 {
    let text = reqwest::blocking::get(format!("{}/metrics", server.url))
        .and_then(|r| r.text())
        .expect("metrics");
    metric_sample(
        &text,
        &format!("job_runs_total{{job=\"reminders\",outcome=\"{outcome}\"}}"),
    )
    .unwrap_or(0.0)
}

/// Polls `done` (every 100 ms, at most 60 s); panics with `what` if it never holds.
fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while !done() {
        assert!(std::time::Instant::now() < deadline, "within 60 s: {what}");
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// Every delivery the receiver saw, by delivery id: how many calls.
fn calls_by_delivery(seen: &Seen) -> HashMap<String, usize> {
    let mut by = HashMap::new();
    for (id, _, _) in seen.lock().unwrap().iter() {
        *by.entry(id.clone()).or_default() += 1;
    }
    by
}

#[test]
fn the_reminder_job_runs_in_one_replica_at_a_time_and_moves_when_it_dies() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (hook, seen) = rt.block_on(receiver(0));
    let data = tempfile::tempdir().unwrap();
    let seed = seed_with(SERVER, data.path());
    let args = ["--job-every-secs", "1", "--webhook-url", hook.as_str()];
    let start = || ProcessServer::start_with(SERVER, data.path(), "127.0.0.1:0", &args, None);
    let (a, b) = (start(), start());

    eventually("both replicas ticked three times", || {
        runs(&a, "ok") + runs(&b, "ok") >= 3.0 && runs(&a, "standby") + runs(&b, "standby") >= 3.0
    });
    let (mut holder, standby) = if runs(&a, "ok") > 0.0 { (a, b) } else { (b, a) };
    assert_eq!(runs(&standby, "ok"), 0.0, "one replica runs the job");
    assert!(runs(&standby, "standby") >= 3.0);

    // A new order, made through the standby replica, is announced once.
    let (di, dm) = (device_dir(), device_dir());
    let mut inspector = device(
        di.path(),
        &standby.url,
        "inspector1",
        &seed_password(&seed, "inspector1"),
    );
    let mut manager = device(
        dm.path(),
        &standby.url,
        "manager1",
        &seed_password(&seed, "manager1"),
    );
    let announced = |seen: &Seen, id: &shared::IssueId| {
        seen.lock()
            .unwrap()
            .iter()
            .filter(|(_, _, body)| body["issue"] == id.to_string() && body["kind"] == "assigned")
            .count()
    };
    let first = raise_and_assign(
        &mut inspector,
        &mut manager,
        "CP-C01",
        Utc::now() + Duration::days(3),
    );
    eventually("the first order is announced", || {
        announced(&seen, &first) >= 1
    });

    // The holder dies (with nothing left to deliver, so no call is cut
    // short); the standby takes the lease once it runs out.
    eventually("the webhook queue is empty", || {
        let text = reqwest::blocking::get(format!("{}/metrics", holder.url))
            .and_then(|r| r.text())
            .expect("metrics");
        metric_sample(&text, "webhook_backlog") == Some(0.0)
    });
    holder.kill();
    let before = runs(&standby, "ok");
    eventually("the standby runs the job", || runs(&standby, "ok") > before);
    let second = raise_and_assign(
        &mut inspector,
        &mut manager,
        "CP-C02",
        Utc::now() + Duration::days(3),
    );
    eventually("the second order is announced", || {
        announced(&seen, &second) >= 1
    });
    // Two more runs after it: nothing is announced or delivered twice.
    let now = runs(&standby, "ok");
    eventually("two more runs", || runs(&standby, "ok") >= now + 2.0);
    assert_eq!(announced(&seen, &first), 1);
    assert_eq!(announced(&seen, &second), 1);
    let twice: Vec<_> = calls_by_delivery(&seen)
        .into_iter()
        .filter(|(_, n)| *n > 1)
        .collect();
    assert!(twice.is_empty(), "deliveries made twice: {twice:?}");
}
