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

/// Three replicas on one PostgreSQL database and one photo bucket behind a
/// load balancer, fifty devices syncing through it (every fifth with a
/// photo), one replica killed with SIGKILL while they sync and then started
/// again: every finding and photo reaches the tracker exactly once, and every
/// device ends holding its site's whole tracker.
#[test]
fn three_replicas_on_postgresql_lose_nothing_when_one_is_killed_mid_sync() {
    use device::RaiseInput;
    use shared::{Category, Grade, Role};
    use std::sync::Arc;
    let cluster = tests::pg::PgCluster::start();
    let s3 = tests::s3::S3Server::start();
    let db = cluster.database();
    let mut env = s3.env();
    env.push(("SYNC_SERVER_DATABASE_URL".to_string(), db.clone()));
    env.push(("SYNC_SERVER_BLOB_URL".to_string(), s3.url("estate")));
    let data = tempfile::tempdir().unwrap();
    let seed = seed_env(SERVER, data.path(), &env);
    // Five field users with ten devices each (the most one user may have).
    let users: Vec<String> = (1..=5).map(|i| format!("field{i}")).collect();
    {
        let store = sync_server::pg::PgStore::open(&db).unwrap();
        let mut txn = sync_server::store::Store::begin(&store).unwrap();
        for name in &users {
            sync_server::accounts::add_user(
                &mut *txn,
                sync_server::accounts::NewUser {
                    name,
                    display_name: None,
                    role: Role::Inspector,
                    site: "DEMO",
                    password: "field-password",
                    department: None,
                },
                Utc::now(),
            )
            .unwrap();
        }
        txn.commit().unwrap();
    }
    let args = ["--job-every-secs", "1"];
    let start = || ProcessServer::start_env(SERVER, data.path(), "127.0.0.1:0", &args, &env, None);
    let mut replicas: Vec<ProcessServer> = (0..3).map(|_| start()).collect();
    let balancer = Proxy::balance(
        replicas.iter().map(|r| r.addr).collect(),
        Arc::new(|_, _, _| true),
    );
    let manager = login_token(&balancer.url, "manager1", &seed_password(&seed, "manager1"));
    let before = server_issues(&balancer.url, &manager).len();

    let raise = |d: &mut device::Device, n: usize, round: usize| {
        let photos = if n.is_multiple_of(5) && round == 1 {
            let jpeg =
                tests::pictures::jpeg(&tests::pictures::photo_like(640, 480, n as u64), 85, None);
            vec![d.add_photo(&jpeg, "IMG.jpg", Utc::now()).unwrap()]
        } else {
            Vec::new()
        };
        d.raise_issue(
            RaiseInput {
                checkpoint: "CP-R01".into(),
                item: None,
                category: Category::HygieneDefect,
                grade: Grade::Deadline,
                title: format!("设备{n}第{round}次发现"),
                description: String::new(),
                photos,
            },
            Utc::now(),
        )
        .unwrap()
    };
    // Syncs until nothing (finding or photo) waits, through whichever
    // replica answers; bounded.
    let settle = |d: &mut device::Device| {
        for _ in 0..20 {
            if d.sync(&opts()).is_ok()
                && d.pending_count().unwrap() == 0
                && d.photo_status().unwrap().pending == 0
            {
                return;
            }
        }
        panic!("a device could not sync within 20 attempts");
    };
    let dirs: Vec<tempfile::TempDir> = (0..50).map(|_| device_dir()).collect();
    let mut devices: Vec<device::Device> = dirs
        .iter()
        .enumerate()
        .map(|(i, dir)| device(dir.path(), &balancer.url, &users[i % 5], "field-password"))
        .collect();
    let raised = std::sync::Mutex::new(Vec::new());
    // Round one, everyone up; round two, one replica dies once all fifty have
    // raised their second finding and begun to sync; round three, after it
    // is started again.
    for round in 0..3 {
        if round == 2 {
            replicas[0] = start();
            balancer.set_target(0, replicas[0].addr);
        }
        let started = std::sync::Barrier::new(devices.len() + 1);
        std::thread::scope(|scope| {
            for (n, d) in devices.iter_mut().enumerate() {
                let (raised, started) = (&raised, &started);
                scope.spawn(move || {
                    let id = raise(d, n, round);
                    raised.lock().unwrap().push(id);
                    started.wait();
                    settle(d);
                });
            }
            started.wait();
            if round == 1 {
                replicas[0].kill();
            }
        });
    }
    let raised = raised.into_inner().unwrap();
    assert_eq!(raised.len(), 150);
    let list = server_issues(&balancer.url, &manager);
    assert_eq!(list.len(), before + 150, "every finding once, none twice");
    for id in &raised {
        assert_eq!(
            list.iter().filter(|s| s.id == *id).count(),
            1,
            "{id} in the tracker once"
        );
    }
    // Each replica, the restarted one too, lists the same tracker.
    for r in &replicas {
        let token = login_token(&r.url, "manager1", &seed_password(&seed, "manager1"));
        assert_eq!(
            comparable(&server_issues(&r.url, &token)),
            comparable(&list)
        );
    }
    // Every photo is in the bucket once, whole (named by its hash, and only
    // kept once its hash was checked), and no upload was left in parts.
    let keys = s3.keys();
    let photos = keys.iter().filter(|k| k.contains("/photos/")).count();
    assert!(
        photos >= 10,
        "ten photos (and their thumbnails) in the bucket: {keys:?}"
    );
    assert!(
        !keys.iter().any(|k| k.contains("/partial/")),
        "no parts left: {keys:?}"
    );
    // Every device converges on its site's whole tracker.
    for d in &mut devices {
        d.sync(&opts()).unwrap();
        let held: std::collections::BTreeSet<_> = d
            .issues(&Default::default())
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect();
        for id in &raised {
            assert!(held.contains(id), "a device is missing {id}");
        }
    }
}
