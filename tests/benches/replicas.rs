//! Growing past one box: many devices syncing at once against a tracker that
//! already holds many issues, on three set-ups measured in the same run —
//! (a) the embedded SQLite store, one server process; (b) PostgreSQL, one
//! server process; (c) PostgreSQL, two server processes behind a round-robin
//! balancer. (a) is the baseline the others are given against.
//!
//! Estates of one user each with ten devices; the tracker is first filled
//! with findings pushed by one loader device per estate, then every device
//! logs in (fetching its estate's issues), and then all of them at once raise
//! a finding and sync, `ROUNDS` times over. Figures: sync rounds per second,
//! the round latency's p50 and p99, and CPU time per pushed document of the
//! server processes and of the database (PostgreSQL's own processes; SQLite
//! runs inside the server). With two processes, each one's share of the
//! rounds and of the CPU shows whether they share the load. Then the same
//! devices sync `ROUNDS` times more at a steady pace well below capacity
//! (each on its own schedule, as a fleet does over a day), for the round
//! time a device sees when the server is not saturated.
//!
//! `cargo bench -p tests --bench replicas`: 200 devices over 20 estates and
//! 10,000 issues. Under `cargo test` (CI) a quick mode: 20 devices over
//! 2 estates and 400 issues. Prints figures; asserts only that every finding
//! reached the tracker once.

use chrono::Utc;
use device::{Device, RaiseInput};
use shared::{Category, Grade, Role};
use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};
use sync_server::store::Store;
use tests::*;

const SERVER: &str = env!("CARGO_BIN_EXE_e2e-sync-server");
const DEVICES_PER_ESTATE: usize = 10;
const ROUNDS: usize = 3;

struct Size {
    estates: usize,
    issues: usize,
    /// Rounds a second over the whole fleet in the paced phase.
    paced_rate: f64,
}

#[derive(Clone, Copy, PartialEq)]
enum Setup {
    Sqlite,
    Postgres { replicas: usize },
}

impl Setup {
    fn name(self) -> String {
        match self {
            Setup::Sqlite => "(a) SQLite, 1 process".into(),
            Setup::Postgres { replicas: 1 } => "(b) PostgreSQL, 1 process".into(),
            Setup::Postgres { replicas } => format!("(c) PostgreSQL, {replicas} processes"),
        }
    }
}

struct Figures {
    rounds_per_s: f64,
    p50: Duration,
    p99: Duration,
    /// Round latency at a steady offered load well below capacity.
    paced_p50: Duration,
    paced_p99: Duration,
    /// Each server process's share of the rounds and of the servers' CPU.
    round_shares: Vec<f64>,
    cpu_shares: Vec<f64>,
    server_cpu_per_doc: Duration,
    db_cpu_per_doc: Option<Duration>,
    devices_cpu_per_doc: Duration,
    fill: Duration,
}

fn finding(title: String) -> RaiseInput {
    RaiseInput {
        checkpoint: "CP-R01".into(),
        item: None,
        category: Category::HygieneDefect,
        grade: Grade::Deadline,
        title,
        description: "地面有污渍，需要清理".into(),
        photos: Vec::new(),
    }
}

fn sync_opts() -> device::SyncOptions {
    device::SyncOptions {
        timeout: Duration::from_secs(600),
        ..device::SyncOptions::default()
    }
}

/// The set-up's store, opened from this process.
fn open(env: &[(String, String)], dir: &std::path::Path) -> Arc<dyn Store> {
    match env.first() {
        Some((_, url)) => Arc::new(sync_server::pg::PgStore::open(url).unwrap()),
        None => Arc::new(sync_server::sqlite::SqliteStore::open(dir).unwrap()),
    }
}

/// Raises a finding, then syncs, timing the sync alone into `times`.
fn raise_and_sync(d: &mut Device, title: String, times: &Mutex<Vec<Duration>>) {
    d.raise_issue(finding(title), Utc::now()).unwrap();
    let t = Instant::now();
    d.sync(&sync_opts()).unwrap();
    times.lock().unwrap().push(t.elapsed());
}

fn count_issues(env: &[(String, String)], dir: &std::path::Path) -> u64 {
    open(env, dir).read().unwrap().count_issues().unwrap()
}

fn run(setup: Setup, size: &Size) -> Figures {
    let cluster = matches!(setup, Setup::Postgres { .. }).then(tests::pg::PgCluster::start);
    let data = tempfile::tempdir().unwrap();
    let env: Vec<(String, String)> = cluster
        .iter()
        .map(|c| ("SYNC_SERVER_DATABASE_URL".to_string(), c.database()))
        .collect();
    seed_env(SERVER, data.path(), &env);
    // The estates, each with a loader and a field user.
    {
        let store = open(&env, data.path());
        let mut txn = store.begin().unwrap();
        let now = Utc::now();
        for e in 0..size.estates {
            let code = format!("E{e:02}");
            let site = sync_server::accounts::add_site(&mut *txn, &code, &format!("项目{e}"), now)
                .unwrap();
            sync_server::accounts::store_plan(&mut *txn, sync_server::seed::demo_plan(site), now)
                .unwrap();
            for (name, role) in [
                (format!("load{e}"), Role::Inspector),
                (format!("field{e}"), Role::Inspector),
            ] {
                sync_server::accounts::add_user(
                    &mut *txn,
                    sync_server::accounts::NewUser {
                        name: &name,
                        display_name: None,
                        role,
                        site: &code,
                        password: "bench-password",
                        department: None,
                    },
                    now,
                )
                .unwrap();
            }
        }
        txn.commit().unwrap();
    }
    let replicas = match setup {
        Setup::Sqlite => 1,
        Setup::Postgres { replicas } => replicas,
    };
    let servers: Vec<ProcessServer> = (0..replicas)
        .map(|_| ProcessServer::start_env(SERVER, data.path(), "127.0.0.1:0", &[], &env, None))
        .collect();
    let balancer = Proxy::balance(
        servers.iter().map(|s| s.addr).collect(),
        Arc::new(|_, _, _| true),
    );
    let url = balancer.url.clone();

    // Fill the tracker: one loader device per estate pushes its share.
    let t = Instant::now();
    let per_estate = size.issues / size.estates;
    std::thread::scope(|scope| {
        for e in 0..size.estates {
            let url = &url;
            scope.spawn(move || {
                let dir = device_dir();
                let mut d = Device::open(dir.path()).unwrap();
                d.login(url, &format!("load{e}"), "bench-password", &sync_opts())
                    .unwrap();
                for i in 0..per_estate {
                    d.raise_issue(finding(format!("存量问题 {i}")), Utc::now())
                        .unwrap();
                }
                d.sync(&sync_opts()).unwrap();
                assert_eq!(d.pending_count().unwrap(), 0);
            });
        }
    });
    let fill = t.elapsed();

    // Every device logs in (and fetches its estate's issues).
    let dirs: Vec<tempfile::TempDir> = (0..size.estates * DEVICES_PER_ESTATE)
        .map(|_| device_dir())
        .collect();
    // Ten at a time: logins take turns for the password check anyway.
    let devices: Vec<Mutex<Device>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..10)
            .map(|w| {
                let (url, dirs) = (&url, &dirs);
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    for (i, dir) in dirs.iter().enumerate().skip(w).step_by(10) {
                        let user = format!("field{}", i / DEVICES_PER_ESTATE);
                        let mut d = Device::open(dir.path()).unwrap();
                        d.login(url, &user, "bench-password", &sync_opts()).unwrap();
                        mine.push((i, Mutex::new(d)));
                    }
                    mine
                })
            })
            .collect();
        let mut all: Vec<(usize, Mutex<Device>)> = workers
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect();
        all.sort_by_key(|(i, _)| *i);
        all.into_iter().map(|(_, d)| d).collect()
    });

    // All at once: raise a finding and sync, ROUNDS times.
    let before = count_issues(&env, data.path());
    let cpu_servers = || -> Duration { servers.iter().map(|s| cpu_of(s.pid())).sum() };
    let (server0, db0) = (cpu_servers(), cluster.as_ref().map(|c| c.cpu()));
    let server_cpu0: Vec<Duration> = servers.iter().map(|s| cpu_of(s.pid())).collect();
    let rounds0: Vec<f64> = servers.iter().map(rounds_of).collect();
    let devices0 = cpu_of(std::process::id());
    let latencies = Mutex::new(Vec::new());
    let start = Barrier::new(devices.len());
    let t = Instant::now();
    std::thread::scope(|scope| {
        for (i, d) in devices.iter().enumerate() {
            let (latencies, start) = (&latencies, &start);
            scope.spawn(move || {
                let mut d = d.lock().unwrap();
                start.wait();
                for r in 0..ROUNDS {
                    raise_and_sync(&mut d, format!("设备 {i} 第 {r} 轮"), latencies);
                }
                assert_eq!(d.pending_count().unwrap(), 0);
            });
        }
    });
    let wall = t.elapsed();
    let pushed = (devices.len() * ROUNDS) as u32;
    let server_cpu = cpu_servers() - server0;
    let devices_cpu = cpu_of(std::process::id()) - devices0;
    let db_cpu = cluster
        .as_ref()
        .zip(db0)
        .map(|(c, before)| c.cpu() - before);
    let per_server_cpu: Vec<Duration> = servers
        .iter()
        .zip(&server_cpu0)
        .map(|(s, c0)| cpu_of(s.pid()) - *c0)
        .collect();
    let per_server_rounds: Vec<f64> = servers
        .iter()
        .zip(&rounds0)
        .map(|(s, r0)| rounds_of(s) - r0)
        .collect();

    // Then at a steady pace: each device raises and syncs on its own
    // schedule, `paced_rate` rounds a second over the fleet.
    let paced = Mutex::new(Vec::new());
    let period = Duration::from_secs_f64(devices.len() as f64 / size.paced_rate);
    let t0 = Instant::now() + Duration::from_millis(100);
    let fleet = devices.len();
    std::thread::scope(|scope| {
        for (i, d) in devices.iter().enumerate() {
            let paced = &paced;
            scope.spawn(move || {
                let mut d = d.lock().unwrap();
                let offset = period.mul_f64(i as f64 / fleet as f64);
                for r in 0..ROUNDS {
                    let due = t0 + offset + period * r as u32;
                    // Pacing, not synchronisation: a late start only shows in the figures.
                    std::thread::sleep(due.saturating_duration_since(Instant::now()));
                    raise_and_sync(&mut d, format!("设备 {i} 定时 {r}"), paced);
                }
                assert_eq!(d.pending_count().unwrap(), 0);
            });
        }
    });

    assert_eq!(
        count_issues(&env, data.path()),
        before + 2 * u64::from(pushed),
        "every finding reached the tracker once"
    );

    let shares = |xs: &[f64]| -> Vec<f64> {
        let total: f64 = xs.iter().sum();
        xs.iter()
            .map(|x| x / total.max(f64::MIN_POSITIVE))
            .collect()
    };
    let cpu: Vec<f64> = per_server_cpu.iter().map(Duration::as_secs_f64).collect();
    let paced = percentiles(paced.into_inner().unwrap());
    let lat = percentiles(latencies.into_inner().unwrap());
    Figures {
        rounds_per_s: (devices.len() * ROUNDS) as f64 / wall.as_secs_f64(),
        p50: lat.0,
        p99: lat.1,
        paced_p50: paced.0,
        paced_p99: paced.1,
        round_shares: shares(&per_server_rounds),
        cpu_shares: shares(&cpu),
        server_cpu_per_doc: server_cpu / pushed,
        db_cpu_per_doc: db_cpu.map(|c| c / pushed),
        devices_cpu_per_doc: devices_cpu / pushed,
        fill,
    }
}

/// p50 and p99 of some round times.
fn percentiles(mut lat: Vec<Duration>) -> (Duration, Duration) {
    lat.sort();
    let pct = |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)];
    (pct(0.50), pct(0.99))
}

/// Sync rounds a server process has answered, from its own metrics.
fn rounds_of(server: &ProcessServer) -> f64 {
    let text = reqwest::blocking::get(format!("{}/metrics", server.url))
        .and_then(|r| r.text())
        .expect("metrics");
    metric_sample(&text, "sync_rounds_total").unwrap_or(0.0)
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` would pass nothing: run quick then.
    let quick = std::env::var("BENCH_QUICK").is_ok() || !std::env::args().any(|a| a == "--bench");
    let size = if quick {
        Size {
            estates: 2,
            issues: 400,
            paced_rate: 10.0,
        }
    } else {
        Size {
            estates: 20,
            issues: 10_000,
            paced_rate: 20.0,
        }
    };
    let devices = size.estates * DEVICES_PER_ESTATE;
    println!(
        "{devices} devices over {} estates, {} issues in the tracker first; then each device raises a finding and syncs, {ROUNDS} times, all at once",
        size.estates, size.issues
    );
    let setups = [
        Setup::Sqlite,
        Setup::Postgres { replicas: 1 },
        Setup::Postgres { replicas: 2 },
    ];
    let figures: Vec<(Setup, Figures)> = setups.iter().map(|&s| (s, run(s, &size))).collect();
    let base = &figures[0].1;
    println!(
        "\n{:<28} {:>9} {:>6} {:>10} {:>10} {:>10} {:>10} {:>14} {:>12} {:>15} {:>8}",
        "set-up",
        "rounds/s",
        "×(a)",
        "p50",
        "p99",
        "paced p50",
        "paced p99",
        "server cpu/doc",
        "db cpu/doc",
        "devices cpu/doc",
        "fill"
    );
    for (setup, f) in &figures {
        println!(
            "{:<28} {:>9.1} {:>6.2} {:>10} {:>10} {:>10} {:>10} {:>14} {:>12} {:>15} {:>8}",
            setup.name(),
            f.rounds_per_s,
            f.rounds_per_s / base.rounds_per_s,
            ms(f.p50),
            ms(f.p99),
            ms(f.paced_p50),
            ms(f.paced_p99),
            ms(f.server_cpu_per_doc),
            f.db_cpu_per_doc
                .map(ms)
                .unwrap_or_else(|| "(in server)".into()),
            ms(f.devices_cpu_per_doc),
            format!("{:.1} s", f.fill.as_secs_f64()),
        );
    }
    let pcts = |xs: &[f64]| -> String {
        xs.iter()
            .map(|x| format!("{:.0}%", x * 100.0))
            .collect::<Vec<_>>()
            .join(" / ")
    };
    for (setup, f) in figures.iter().filter(|(_, f)| f.round_shares.len() > 1) {
        println!(
            "\n{}: each process's share of the rounds {}, of the servers' CPU {}",
            setup.name(),
            pcts(&f.round_shares),
            pcts(&f.cpu_shares)
        );
    }
    println!(
        "\nrounds/s, p50, p99 = with every device syncing at once, back to back; ×(a) against the SQLite set-up in this run."
    );
    println!(
        "paced = the same devices each on its own schedule, {} rounds/s over the fleet (the round's time from the device's sync call to its end).",
        size.paced_rate
    );
    println!(
        "cpu/doc = CPU time during the concurrent phase ÷ findings pushed in it (each round also fetches the estate's other new findings); devices = this process, where all the devices run. This machine has {} cores.",
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    );
}
