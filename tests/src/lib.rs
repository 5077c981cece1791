//! Helpers for end-to-end tests and benchmarks: servers on 127.0.0.1 port 0
//! (in-process or as a child process), seeded stores, logged-in devices, and a
//! loopback TCP proxy that can cut connections at chosen byte offsets.

pub mod browser;
pub mod hostile;
pub mod pg;
pub mod pictures;
pub mod s3;
pub mod sim;
pub mod webhooks;

use device::{Device, SyncOptions};
use shared::wire::IssueSummary;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};
use sync_server::api::AppState;
use sync_server::blobs::DirBlobStore;
use sync_server::seed::SeedSummary;
use sync_server::sqlite::SqliteStore;
use sync_server::store::Store;

/// A seeded server database: the embedded SQLite file in a temporary
/// directory, or a database in a throwaway PostgreSQL cluster (photos then
/// still in the temporary directory).
pub struct Seeded {
    pub dir: tempfile::TempDir,
    pub store: Arc<dyn Store>,
    pub summary: SeedSummary,
    /// The database URL when `store` is PostgreSQL.
    pub database_url: Option<String>,
    /// The PostgreSQL cluster holding `store`, if any; dropped last.
    pub cluster: Option<pg::PgCluster>,
}

impl Seeded {
    /// The demo data in the embedded SQLite store.
    pub fn new() -> Seeded {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = Arc::new(SqliteStore::open(dir.path()).expect("open store"));
        Self::seed_into(dir, store, None)
    }

    /// The demo data in PostgreSQL, in a cluster of its own.
    pub fn postgres() -> Seeded {
        let cluster = pg::PgCluster::start();
        let url = cluster.database();
        let store = Arc::new(sync_server::pg::PgStore::open(&url).expect("open PostgreSQL store"));
        let mut seeded =
            Self::seed_into(tempfile::tempdir().expect("tempdir"), store, Some(cluster));
        seeded.database_url = Some(url);
        seeded
    }

    /// The environment a `sync-server` command needs to reach this store
    /// (besides `--data-dir`).
    pub fn cli_env(&self) -> Vec<(String, String)> {
        self.database_url
            .iter()
            .map(|u| ("SYNC_SERVER_DATABASE_URL".to_string(), u.clone()))
            .collect()
    }

    fn seed_into(
        dir: tempfile::TempDir,
        store: Arc<dyn Store>,
        cluster: Option<pg::PgCluster>,
    ) -> Seeded {
        let mut txn = store.begin().expect("begin");
        let summary = sync_server::seed::seed(&mut *txn, chrono::Utc::now()).expect("seed");
        txn.commit().expect("commit");
        Seeded {
            dir,
            store,
            summary,
            database_url: None,
            cluster,
        }
    }

    pub fn password(&self, user: &str) -> String {
        password(&self.summary, user)
    }

    /// Adds a second site `OTHER` (with the demo plan) and one user of `role` there,
    /// whose password is `other-password`.
    pub fn add_other_site(&self, user: &str, role: shared::Role) {
        let now = chrono::Utc::now();
        let mut txn = self.store.begin().expect("begin");
        sync_server::accounts::add_site(&mut *txn, "OTHER", "另一个项目", now).expect("site");
        let site = txn.site_by_code("OTHER").expect("read").expect("site");
        let plan = sync_server::seed::demo_plan(site);
        sync_server::accounts::store_plan(&mut *txn, plan, now).expect("plan");
        sync_server::accounts::add_user(
            &mut *txn,
            sync_server::accounts::NewUser {
                name: user,
                display_name: None,
                role,
                site: "OTHER",
                password: "other-password",
                department: None,
            },
            now,
        )
        .expect("user");
        txn.commit().expect("commit");
    }

    /// Adds the demo group's second estate `EAST` with its team (`…_e`) and
    /// the group quality office `group1` (home `DEMO`, also at `EAST`); with
    /// `past`, EAST's weeks of history. Their passwords join the summary's.
    pub fn add_group(&mut self, past: bool) {
        let mut txn = self.store.begin().expect("begin");
        let users =
            sync_server::seed::demo_group(&mut *txn, chrono::Utc::now(), past).expect("group");
        txn.commit().expect("commit");
        self.summary.users.extend(users);
    }

    /// The photo store beside the database (`blobs/` in the same directory).
    pub fn blobs(&self) -> Arc<DirBlobStore> {
        Arc::new(DirBlobStore::open(&self.dir.path().join("blobs")).expect("blob dir"))
    }

    /// Server state over this store and its photo directory.
    pub fn state(&self) -> AppState {
        AppState::new(self.store.clone(), self.blobs())
    }

    /// Server state over this store and another photo store.
    pub fn state_with(&self, blobs: Arc<dyn sync_server::blobs::BlobStore>) -> AppState {
        AppState::new(self.store.clone(), blobs)
    }
}

impl Default for Seeded {
    fn default() -> Self {
        Self::new()
    }
}

/// Runs each named test function, which takes a [`Seeded`], twice: on the
/// embedded SQLite store (`name::sqlite`) and on PostgreSQL (`name::postgres`).
#[macro_export]
macro_rules! on_both_stores {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn sqlite() {
                    super::$name($crate::Seeded::new())
                }
                #[test]
                fn postgres() {
                    super::$name($crate::Seeded::postgres())
                }
            }
        )*
    };
}

pub fn password(summary: &SeedSummary, user: &str) -> String {
    summary
        .users
        .iter()
        .find(|u| u.name == user)
        .unwrap_or_else(|| panic!("no demo user {user}"))
        .password
        .clone()
}

/// Installs ring as the process's TLS provider, which every HTTP client the
/// tests make needs (reqwest is built without a provider of its own). Done
/// wherever a test starts a server, so no test's first request depends on
/// another test having installed it.
pub fn tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// The sync server running inside the test process, on its own runtime thread.
pub struct InProcessServer {
    pub url: String,
    pub addr: SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    _blob_dir: Option<tempfile::TempDir>,
}

impl InProcessServer {
    /// Serves `store` on 127.0.0.1, port 0, with photos in a temporary directory.
    pub fn start(store: Arc<dyn Store>) -> InProcessServer {
        Self::start_on(store, "127.0.0.1:0".parse().expect("addr"))
    }

    /// Serves `store` on a given loopback address (to restart on the same port).
    pub fn start_on(store: Arc<dyn Store>, addr: SocketAddr) -> InProcessServer {
        let dir = tempfile::tempdir().expect("blob dir");
        let blobs = Arc::new(DirBlobStore::open(dir.path()).expect("blob store"));
        let mut server = Self::serve(AppState::new(store, blobs), addr);
        server._blob_dir = Some(dir);
        server
    }

    /// Serves prepared state on a loopback address (port 0 picks one).
    pub fn serve(state: AppState, addr: SocketAddr) -> InProcessServer {
        tls_provider();
        let listener = TcpListener::bind(addr).expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            rt.block_on(async move {
                sync_server::serve_on(listener, state, None, async {
                    let _ = rx.await;
                })
                .await
                .expect("serve");
            });
        });
        InProcessServer {
            url: format!("http://{addr}"),
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
            _blob_dir: None,
        }
    }

    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for InProcessServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// The sync server as a child process (so it can be SIGKILLed).
pub struct ProcessServer {
    child: Child,
    pub url: String,
    pub addr: SocketAddr,
}

impl ProcessServer {
    /// Starts `bin serve --data-dir DIR --listen LISTEN` and waits for its `listening on` line.
    pub fn start(bin: &str, data_dir: &Path, listen: &str) -> ProcessServer {
        Self::start_with(bin, data_dir, listen, &[], None)
    }

    /// [`ProcessServer::start`] with more arguments; with `log`, the server's
    /// standard error is collected there line by line instead of shown.
    pub fn start_with(
        bin: &str,
        data_dir: &Path,
        listen: &str,
        extra: &[&str],
        log: Option<Arc<std::sync::Mutex<Vec<String>>>>,
    ) -> ProcessServer {
        Self::start_env(bin, data_dir, listen, extra, &[], log)
    }

    /// [`ProcessServer::start_with`] with more environment variables (an
    /// object storage endpoint and its keys, say).
    pub fn start_env(
        bin: &str,
        data_dir: &Path,
        listen: &str,
        extra: &[&str],
        env: &[(String, String)],
        log: Option<Arc<std::sync::Mutex<Vec<String>>>>,
    ) -> ProcessServer {
        tls_provider();
        let mut child = Command::new(bin)
            .args(["serve", "--data-dir"])
            .arg(data_dir)
            .args(["--listen", listen])
            .args(extra)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .stdout(Stdio::piped())
            .stderr(if log.is_some() {
                Stdio::piped()
            } else {
                Stdio::inherit()
            })
            .spawn()
            .expect("start sync-server");
        if let (Some(log), Some(stderr)) = (log, child.stderr.take()) {
            std::thread::spawn(move || {
                for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                    log.lock().unwrap().push(line);
                }
            });
        }
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            for _ in lines {}
        });
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("server printed `listening on` within 60 s");
        let url = line
            .strip_prefix("listening on ")
            .expect("listening line")
            .to_string();
        let addr = url
            .trim_start_matches("http://")
            .trim_start_matches("https://")
            .parse()
            .expect("address");
        ProcessServer { child, url, addr }
    }

    /// Asks the server to stop (SIGTERM) and waits up to `within` for it to
    /// exit; its exit status, or `None` if it is still running.
    pub fn terminate(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.wait_exit(within)
    }

    /// Waits up to `within` for the process to exit by itself.
    pub fn wait_exit(&mut self, within: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + within;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// SIGKILL, no chance to clean up.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for ProcessServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Which way bytes travel through a [`Proxy`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    ToServer,
    ToClient,
}

/// Decides, before each chunk is forwarded, whether to forward it (`true`) or
/// cut the connection (`false`). Gets the total bytes moved in that direction
/// through the proxy so far, including this chunk, and the chunk itself. It
/// may also block, which stalls that connection.
pub type Hook = Arc<dyn Fn(Dir, u64, &[u8]) -> bool + Send + Sync>;

/// A loopback TCP proxy whose hook can cut connections or act at byte offsets.
pub struct Proxy {
    pub addr: SocketAddr,
    pub url: String,
    /// Where new connections go (in turn, for a balancer).
    targets: Arc<std::sync::Mutex<Vec<SocketAddr>>>,
    stop: Arc<AtomicBool>,
    pub to_server: Arc<AtomicU64>,
    pub to_client: Arc<AtomicU64>,
}

impl Proxy {
    pub fn start(target: SocketAddr, hook: Hook) -> Proxy {
        Self::balance(vec![target], hook)
    }

    /// A load balancer: each new connection goes to the next of `targets`
    /// in turn, passing over those that refuse it (a killed replica).
    pub fn balance(targets: Vec<SocketAddr>, hook: Hook) -> Proxy {
        let targets = Arc::new(std::sync::Mutex::new(targets));
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let addr = listener.local_addr().expect("addr");
        listener.set_nonblocking(true).expect("nonblocking");
        let stop = Arc::new(AtomicBool::new(false));
        let to_server = Arc::new(AtomicU64::new(0));
        let to_client = Arc::new(AtomicU64::new(0));
        let (s, ts, tc) = (stop.clone(), to_server.clone(), to_client.clone());
        let all = targets.clone();
        std::thread::spawn(move || {
            let mut next = 0usize;
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((client, _)) => {
                        let _ = client.set_nonblocking(false);
                        let targets = all.lock().unwrap().clone();
                        let server = (0..targets.len()).find_map(|_| {
                            let target = targets[next % targets.len()];
                            next += 1;
                            TcpStream::connect_timeout(&target, Duration::from_secs(2)).ok()
                        });
                        let Some(server) = server else {
                            continue;
                        };
                        pipe(
                            client.try_clone().expect("clone"),
                            server.try_clone().expect("clone"),
                            Dir::ToServer,
                            ts.clone(),
                            hook.clone(),
                        );
                        pipe(server, client, Dir::ToClient, tc.clone(), hook.clone());
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                        std::thread::sleep(Duration::from_millis(5));
                    }
                    Err(_) => break,
                }
            }
        });
        Proxy {
            addr,
            url: format!("http://{addr}"),
            targets,
            stop,
            to_server,
            to_client,
        }
    }
}

impl Proxy {
    /// Sends new connections for target `i` to `addr` from now on (a
    /// replica restarted on a new port).
    pub fn set_target(&self, i: usize, addr: SocketAddr) {
        self.targets.lock().unwrap()[i] = addr;
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

fn pipe(mut from: TcpStream, mut to: TcpStream, dir: Dir, counter: Arc<AtomicU64>, hook: Hook) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            let n = match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            let total = counter.fetch_add(n as u64, Ordering::SeqCst) + n as u64;
            if !hook(dir, total, &buf[..n]) || to.write_all(&buf[..n]).is_err() {
                break;
            }
        }
        let _ = from.shutdown(std::net::Shutdown::Both);
        let _ = to.shutdown(std::net::Shutdown::Both);
    });
}

/// CPU time (user + system) of a process so far, at the kernel's 10 ms tick;
/// with `children`, also that of its children it has waited for.
pub fn cpu_of_with(pid: u32, children: bool) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after_name = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime, stime, cutime and cstime are fields 14 to 17 of the whole line; 12 to 15 after the name.
    let field = |i: usize| -> u64 { fields.get(i).and_then(|v| v.parse().ok()).unwrap_or(0) };
    let mut ticks = field(11) + field(12);
    if children {
        ticks += field(13) + field(14);
    }
    Duration::from_millis(ticks * 10)
}

/// CPU time (user + system) of a process so far, at the kernel's 10 ms tick.
pub fn cpu_of(pid: u32) -> Duration {
    cpu_of_with(pid, false)
}

/// Sync options for tests: bounded, seconds not minutes.
pub fn opts() -> SyncOptions {
    SyncOptions {
        timeout: Duration::from_secs(20),
        ..SyncOptions::default()
    }
}

/// A device logged in as `user` (which also fetches the plan).
pub fn device(dir: &Path, url: &str, user: &str, password: &str) -> Device {
    let mut d = Device::open(dir).expect("open device");
    d.login(url, user, password, &opts()).expect("login");
    d
}

/// An answer for every item of a seeded checkpoint that passes: pass, or a
/// reading in the middle of its limits (not applicable without limits).
pub fn passing_answers(
    cp: &sync_server::seed::SeedCheckpoint,
) -> Vec<(String, shared::patrol::Answer)> {
    use shared::patrol::Answer;
    cp.items
        .iter()
        .map(|i| {
            let a = match (i.kind, i.min, i.max) {
                ("reading", Some(a), Some(b)) => Answer::Reading((a + b) / 2.0),
                ("reading", _, _) => Answer::Na,
                _ => Answer::Pass,
            };
            (i.code.clone(), a)
        })
        .collect()
}

/// Today in the demo sites' zone (UTC+8). Periods the server reads as
/// local days (ledger, coverage, reports) are asked for by this date: from
/// 16:00 UTC on, the UTC date is still yesterday there.
pub fn site_today() -> chrono::NaiveDate {
    chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("+8"))
        .date_naive()
}

/// A temporary directory for one device.
pub fn device_dir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// The fastest of `runs` calls of `f` (benchmarks report the best of a few
/// runs, which the machine's noise disturbs least), with the last result.
pub fn best<T>(runs: usize, mut f: impl FnMut() -> T) -> (Duration, T) {
    let mut out = None;
    let mut best = Duration::MAX;
    for _ in 0..runs {
        let t = std::time::Instant::now();
        let r = f();
        best = best.min(t.elapsed());
        out = Some(r);
    }
    (best, out.expect("at least one run"))
}

/// The Chinese sentence of a refusal: present, and written in Chinese.
pub fn message_zh(body: &serde_json::Value) -> &str {
    let zh = body["message_zh"].as_str().unwrap_or_default();
    assert!(
        zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
        "no Chinese sentence: {body}"
    );
    zh
}

/// `GET url+path` with a bearer token; returns status and JSON body.
pub fn api_get(url: &str, token: &str, path: &str) -> (u16, serde_json::Value) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let resp = reqwest::blocking::Client::new()
        .get(format!("{url}{path}"))
        .bearer_auth(token)
        .send()
        .expect("GET");
    let status = resp.status().as_u16();
    let body = resp.json().unwrap_or(serde_json::Value::Null);
    (status, body)
}

/// The tracker's issue list as the server's API gives it to `token`.
pub fn server_issues(url: &str, token: &str) -> Vec<IssueSummary> {
    let (status, body) = api_get(url, token, "/api/v1/issues");
    assert_eq!(status, 200, "{body}");
    serde_json::from_value(body).expect("issue list")
}

/// A finding raised at `checkpoint`, with no item, description or photos.
pub fn finding(
    checkpoint: &str,
    category: shared::Category,
    grade: shared::Grade,
    title: &str,
) -> device::RaiseInput {
    device::RaiseInput {
        checkpoint: checkpoint.into(),
        item: None,
        category,
        grade,
        title: title.into(),
        description: String::new(),
        photos: Vec::new(),
    }
}

/// An issue list in a form comparable across replicas: sorted by id, without
/// the time-dependent `overdue` flag.
pub fn comparable(list: &[IssueSummary]) -> Vec<serde_json::Value> {
    let mut v: Vec<serde_json::Value> = list
        .iter()
        .map(|s| {
            let mut j = serde_json::to_value(s).expect("json");
            j.as_object_mut().expect("object").remove("overdue");
            j
        })
        .collect();
    v.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    v
}

/// Path of a binary built beside the test executables (for benches).
pub fn sibling_bin(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    let dir = exe.parent().and_then(|p| p.parent()).expect("target dir");
    dir.join(name)
}

/// Runs `bin demo-seed --json` on `dir` and returns its summary.
pub fn seed_with(bin: &str, dir: &Path) -> serde_json::Value {
    seed_env(bin, dir, &[])
}

/// [`seed_with`] with more environment variables (a database URL, say).
pub fn seed_env(bin: &str, dir: &Path, env: &[(String, String)]) -> serde_json::Value {
    let out = Command::new(bin)
        .args(["demo-seed", "--json", "--data-dir"])
        .arg(dir)
        .envs(env.iter().map(|(k, v)| (k, v)))
        .output()
        .expect("run demo-seed");
    assert!(
        out.status.success(),
        "demo-seed failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("demo-seed prints JSON")
}

/// A demo user's password from a `demo-seed --json` summary.
pub fn seed_password(seed: &serde_json::Value, user: &str) -> String {
    seed["users"]
        .as_array()
        .and_then(|users| users.iter().find(|u| u["name"] == user))
        .and_then(|u| u["password"].as_str())
        .unwrap_or_else(|| panic!("no demo user {user}"))
        .to_string()
}

/// Logs `user` in over the API (as the web dashboard does) and returns the token.
pub fn login_token(url: &str, user: &str, password: &str) -> String {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let actor: String = rand::random::<[u8; 16]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let resp = reqwest::blocking::Client::new()
        .post(format!("{url}/api/v1/login"))
        .json(&serde_json::json!({
            "user": user, "password": password, "actor": actor, "device_name": "test"
        }))
        .send()
        .expect("login");
    assert_eq!(resp.status().as_u16(), 200, "login as {user}");
    let body: serde_json::Value = resp.json().expect("login JSON");
    body["token"].as_str().expect("token").to_string()
}

/// `POST url+path` with a JSON body and a bearer token; returns status and JSON body.
pub fn api_post(
    url: &str,
    token: &str,
    path: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    api_send(reqwest::Method::POST, url, token, path, body)
}

/// `PUT url+path` with a JSON body; returns status and the JSON answer.
pub fn api_put(
    url: &str,
    token: &str,
    path: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    api_send(reqwest::Method::PUT, url, token, path, body)
}

fn api_send(
    method: reqwest::Method,
    url: &str,
    token: &str,
    path: &str,
    body: &serde_json::Value,
) -> (u16, serde_json::Value) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let resp = reqwest::blocking::Client::new()
        .request(method, format!("{url}{path}"))
        .bearer_auth(token)
        .json(body)
        .send()
        .expect("request");
    let status = resp.status().as_u16();
    (status, resp.json().unwrap_or(serde_json::Value::Null))
}

/// `GET url+path` as text; returns status, content type and body.
pub fn api_text(url: &str, token: &str, path: &str) -> (u16, String, String) {
    let (status, kind, body) = api_bytes(url, token, path);
    (status, kind, String::from_utf8_lossy(&body).into_owned())
}

/// `GET url+path` as bytes; returns status, content type and body.
pub fn api_bytes(url: &str, token: &str, path: &str) -> (u16, String, Vec<u8>) {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let resp = reqwest::blocking::Client::new()
        .get(format!("{url}{path}"))
        .bearer_auth(token)
        .send()
        .expect("GET");
    let status = resp.status().as_u16();
    let kind = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    (
        status,
        kind,
        resp.bytes().map(|b| b.to_vec()).unwrap_or_default(),
    )
}

/// The value of one series in a Prometheus text exposition (name and labels
/// exactly as the exposition writes them).
pub fn metric_sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .split_whitespace()
            .next()?
            .parse()
            .ok()
    })
}

/// `inspector` raises an equipment fault at `checkpoint`; `manager` assigns it
/// to staff1 (engineering) with `deadline`; both sync.
pub fn raise_and_assign(
    inspector: &mut Device,
    manager: &mut Device,
    checkpoint: &str,
    deadline: chrono::DateTime<chrono::Utc>,
) -> shared::IssueId {
    let id = inspector
        .raise_issue(
            device::RaiseInput {
                checkpoint: checkpoint.into(),
                item: None,
                category: shared::Category::EquipmentFault,
                grade: shared::Grade::Deadline,
                title: format!("{checkpoint} 设备损坏"),
                description: "巡查发现".into(),
                photos: vec![],
            },
            chrono::Utc::now(),
        )
        .unwrap();
    inspector.sync(&opts()).unwrap();
    manager.sync(&opts()).unwrap();
    let staff = manager
        .plan()
        .unwrap()
        .user_by_name("staff1")
        .unwrap()
        .clone();
    manager
        .issue_event(
            id,
            shared::issue::EventBody::Assign {
                department: shared::Department::Engineering,
                assignee: staff.id,
                assignee_name: staff.name.to_string(),
                deadline: Some(deadline),
            },
            true,
            chrono::Utc::now(),
        )
        .unwrap();
    manager.sync(&opts()).unwrap();
    id
}
