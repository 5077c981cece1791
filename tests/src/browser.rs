//! Real engines for UI tests: headless Chromium through chromedriver, the Tauri
//! app through tauri-driver + WebKitWebDriver under Xvfb; a WebDriver client
//! (fantoccini); screenshots saved as test artefacts; tap counting.
//!
//! Every process started here is killed (children first) when its guard drops.
//! Ports: chromedriver binds port 0 itself and prints the port it got.
//! tauri-driver insists on explicit ports, so a free one is taken from the OS
//! and the driver counts as started only once the listening socket on that
//! port belongs to a process of the driver's own process group (read from
//! /proc): a port another test took meanwhile is never mistaken for ours, and
//! the start is tried again on new ports.

use fantoccini::{Client, ClientBuilder, Locator};
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The workspace root.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace root")
        .to_path_buf()
}

/// The built UI, or a clear panic telling how to build it.
pub fn ui_dist() -> PathBuf {
    let dist = workspace().join("app/ui/dist");
    let built = std::fs::read_dir(&dist).is_ok_and(|d| {
        d.flatten()
            .any(|e| e.file_name().to_string_lossy().ends_with(".wasm"))
    });
    assert!(
        built && dist.join("boot.js").is_file(),
        "the UI is not built: run scripts/build-ui (scripts/test does)"
    );
    dist
}

/// Where screenshots go (`target/screenshots`), kept as test artefacts.
pub fn screenshot_dir() -> PathBuf {
    let dir = workspace().join("target/screenshots");
    std::fs::create_dir_all(&dir).expect("screenshot dir");
    dir
}

/// A free TCP port on loopback, as the OS hands it out.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

/// A child process killed (with its process group) on drop.
pub struct Guard(pub Child);

impl Drop for Guard {
    fn drop(&mut self) {
        // The whole group: tauri-driver's WebKitWebDriver and the app, chromedriver's browser.
        let pid = self.0.id() as i32;
        if pid > 1 {
            // SAFETY: signalling the process group this guard created (never -1 or 0).
            unsafe {
                libc::kill(-pid, libc::SIGKILL);
            }
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn own_group(cmd: &mut Command) -> &mut Command {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0)
}

/// The inodes of the sockets listening on TCP `port` (IPv4 and IPv6).
fn listening_inodes(port: u16) -> Vec<u64> {
    let mut out = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            // local_address is HEX_IP:HEX_PORT, st 0A is LISTEN, inode is column 10.
            let (Some(local), Some(state), Some(inode)) = (f.get(1), f.get(3), f.get(9)) else {
                continue;
            };
            let local_port = local
                .rsplit(':')
                .next()
                .and_then(|p| u16::from_str_radix(p, 16).ok());
            if local_port == Some(port)
                && *state == "0A"
                && let Ok(inode) = inode.parse()
            {
                out.push(inode);
            }
        }
    }
    out
}

/// Whether a process of process group `group` holds one of the sockets `inodes`.
fn group_holds(group: i32, inodes: &[u64]) -> bool {
    let Ok(procs) = std::fs::read_dir("/proc") else {
        return false;
    };
    for p in procs.flatten() {
        let Ok(pid) = p.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        // SAFETY: getpgid only reads another process's group id.
        if unsafe { libc::getpgid(pid) } != group {
            continue;
        }
        let Ok(fds) = std::fs::read_dir(p.path().join("fd")) else {
            continue;
        };
        for fd in fds.flatten() {
            if let Ok(link) = std::fs::read_link(fd.path()) {
                let link = link.to_string_lossy();
                if inodes
                    .iter()
                    .any(|i| link.as_ref() == format!("socket:[{i}]"))
                {
                    return true;
                }
            }
        }
    }
    false
}

/// Waits (bounded, 10 s) until a process of `child`'s own group listens on
/// `port`; false if it never does or the child exits.
fn our_listener(child: &mut Child, port: u16) -> bool {
    let group = child.id() as i32;
    for _ in 0..200 {
        if matches!(child.try_wait(), Ok(Some(_))) {
            return false;
        }
        let inodes = listening_inodes(port);
        if !inodes.is_empty() && group_holds(group, &inodes) {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    false
}

/// `Xvfb` on a display it picks itself (`-displayfd`).
pub struct Xvfb {
    _guard: Guard,
    pub display: String,
}

impl Xvfb {
    pub fn start() -> Xvfb {
        let mut child = own_group(
            Command::new("Xvfb")
                .args([
                    "-displayfd",
                    "1",
                    "-screen",
                    "0",
                    "1280x800x24",
                    "-nolisten",
                    "tcp",
                ])
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )
        .spawn()
        .expect("start Xvfb (scripts/setup installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("Xvfb prints its display");
        Xvfb {
            _guard: Guard(child),
            display: format!(":{}", line.trim()),
        }
    }
}

/// A chromedriver for headless Chromium.
pub struct ChromeDriver {
    _guard: Guard,
    pub url: String,
}

impl ChromeDriver {
    /// Starts chromedriver on a port it picks itself and reads that port from
    /// its first line ("… started successfully on port N.").
    pub fn start() -> ChromeDriver {
        let mut child = own_group(
            Command::new("chromedriver")
                .arg("--port=0")
                .stdout(Stdio::piped())
                .stderr(Stdio::null()),
        )
        .spawn()
        .expect("start chromedriver (scripts/setup installs chromium-driver)");
        let mut out = BufReader::new(child.stdout.take().expect("stdout"));
        let guard = Guard(child);
        let mut port = None;
        let mut line = String::new();
        for _ in 0..20 {
            line.clear();
            if out.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            // "Starting ChromeDriver … on port 0" comes first; the bound port follows.
            if line.contains("started successfully")
                && let Some(rest) = line.split("on port ").nth(1)
            {
                port = rest
                    .trim()
                    .trim_end_matches('.')
                    .parse::<u16>()
                    .ok()
                    .filter(|p| *p != 0);
                break;
            }
        }
        let port = port.unwrap_or_else(|| panic!("chromedriver did not say its port: {line}"));
        // Keep reading what it prints so its output pipe never fills.
        std::thread::spawn(move || {
            let mut sink = String::new();
            while out.read_line(&mut sink).unwrap_or(0) > 0 {
                sink.clear();
            }
        });
        ChromeDriver {
            _guard: guard,
            url: format!("http://127.0.0.1:{port}"),
        }
    }

    /// A fresh headless browser session at `width` × `height`.
    pub async fn session(&self, width: u32, height: u32, profile: &Path) -> Client {
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": [
                    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                    "--no-first-run", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync", "--lang=zh-CN",
                    format!("--window-size={width},{height}"),
                    format!("--user-data-dir={}", profile.display()),
                ]
            }
        });
        connect(&self.url, caps).await
    }
}

/// tauri-driver in front of WebKitWebDriver, on an Xvfb display.
pub struct TauriDriver {
    _guard: Guard,
    pub url: String,
}

impl TauriDriver {
    /// Starts tauri-driver; the app it launches inherits `env`.
    pub fn start(display: &str, env: &[(&str, &Path)]) -> TauriDriver {
        let tauri_driver = which("tauri-driver");
        for attempt in 0..5 {
            let (port, native) = (free_port(), free_port());
            let mut cmd = Command::new(&tauri_driver);
            cmd.args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native.to_string(),
            ])
            .args(["--native-driver", "/usr/bin/WebKitWebDriver"])
            .env("DISPLAY", display)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
            for (k, v) in env {
                cmd.env(k, v);
            }
            let mut guard = Guard(own_group(&mut cmd).spawn().expect("start tauri-driver"));
            // tauri-driver starts WebKitWebDriver (same group) on the native port at once.
            if our_listener(&mut guard.0, port) && our_listener(&mut guard.0, native) {
                return TauriDriver {
                    _guard: guard,
                    url: format!("http://127.0.0.1:{port}"),
                };
            }
            eprintln!(
                "tauri-driver did not come up on port {port} (attempt {})",
                attempt + 1
            );
        }
        panic!("tauri-driver did not start")
    }

    /// A session running the app binary `app`.
    pub async fn session(&self, app: &Path) -> Client {
        let caps = serde_json::json!({
            "browserName": "wry",
            "tauri:options": { "application": app.display().to_string() }
        });
        connect(&self.url, caps).await
    }
}

fn which(name: &str) -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_default();
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain([home.join(".cargo/bin")])
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is not installed (scripts/setup installs it)"))
}

async fn connect(url: &str, caps: serde_json::Value) -> Client {
    let caps = caps.as_object().expect("capabilities object").clone();
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    let mut last = None;
    for _ in 0..3 {
        match ClientBuilder::new(connector.clone())
            .capabilities(caps.clone())
            .connect(url)
            .await
        {
            Ok(c) => return c,
            Err(e) => last = Some(e),
        }
    }
    panic!("no WebDriver session at {url}: {last:?}")
}

/// A WebDriver client that counts taps (clicks and file picks) for the tap-count goals.
pub struct Ui {
    pub c: Client,
    pub taps: u32,
    pub name: &'static str,
}

impl Ui {
    pub fn new(c: Client, name: &'static str) -> Ui {
        Ui { c, taps: 0, name }
    }

    /// Waits (bounded) for an element matching `css` to be displayed.
    pub async fn find(&self, css: &str) -> fantoccini::elements::Element {
        self.c
            .wait()
            .at_most(Duration::from_secs(30))
            .every(Duration::from_millis(100))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|e| panic!("[{}] no element `{css}`: {e}", self.name))
    }

    /// Whether an element matching `css` is there now.
    pub async fn has(&self, css: &str) -> bool {
        self.c.find(Locator::Css(css)).await.is_ok()
    }

    /// Waits (bounded) until `css` matches, then taps it.
    pub async fn tap(&mut self, css: &str) {
        let el = self.find(css).await;
        // As a person scrolls a control out from under the sticky header first.
        self.c
            .execute(
                "arguments[0].scrollIntoView({block: 'center'});",
                vec![serde_json::to_value(&el).unwrap()],
            )
            .await
            .ok();
        el.click()
            .await
            .unwrap_or_else(|e| panic!("[{}] cannot tap `{css}`: {e}", self.name));
        self.taps += 1;
    }

    pub async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        el.clear().await.ok();
        el.send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("[{}] cannot type into `{css}`: {e}", self.name));
    }

    /// Picks a file in a file input (a tap on a phone).
    pub async fn pick_file(&mut self, css: &str, path: &Path) {
        let el = self.find(css).await;
        el.send_keys(&path.display().to_string())
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "[{}] cannot pick {} in `{css}`: {e}",
                    self.name,
                    path.display()
                )
            });
        self.taps += 1;
    }

    /// Chooses an option by value in a `<select>`.
    pub async fn choose(&self, css: &str, value: &str) {
        let el = self.find(css).await;
        el.select_by_value(value)
            .await
            .unwrap_or_else(|e| panic!("[{}] cannot choose {value} in `{css}`: {e}", self.name));
    }

    /// Waits (bounded) until the text of `css` contains `needle`.
    pub async fn wait_text(&self, css: &str, needle: &str) -> String {
        let mut last = String::new();
        for _ in 0..300 {
            if let Ok(el) = self.c.find(Locator::Css(css)).await
                && let Ok(t) = el.text().await
            {
                if t.contains(needle) {
                    return t;
                }
                last = t;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "[{}] `{css}` never showed `{needle}`; last: `{last}`",
            self.name
        )
    }

    /// Saves a screenshot as `target/screenshots/NAME.png`.
    pub async fn shot(&self, name: &str) -> PathBuf {
        let png = self
            .c
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("[{}] screenshot {name}: {e}", self.name));
        let path = screenshot_dir().join(format!("{name}.png"));
        std::fs::write(&path, png).expect("write screenshot");
        path
    }
}

/// A Chrome DevTools Protocol command sent through chromedriver
/// (`POST /session/{id}/goog/cdp/execute`): network throttling, print media.
#[derive(Debug)]
pub struct Cdp {
    pub cmd: &'static str,
    pub params: serde_json::Value,
}

impl fantoccini::wd::WebDriverCompatibleCommand for Cdp {
    fn endpoint(
        &self,
        base_url: &url::Url,
        session_id: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base_url.join(&format!(
            "session/{}/goog/cdp/execute",
            session_id.unwrap_or_default()
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        let body = serde_json::json!({ "cmd": self.cmd, "params": self.params });
        (http::Method::POST, Some(body.to_string()))
    }
}

/// axe-core's script, installed by scripts/setup into `.tools`.
pub fn axe_script() -> String {
    let path = workspace().join(".tools/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "axe-core is not installed at {} (scripts/setup installs it): {e}",
            path.display()
        )
    })
}

impl Ui {
    /// Runs a CDP command in this session.
    pub async fn cdp(&self, cmd: &'static str, params: serde_json::Value) -> serde_json::Value {
        self.c
            .issue_cmd(Cdp { cmd, params })
            .await
            .unwrap_or_else(|e| panic!("[{}] CDP {cmd}: {e}", self.name))
    }

    /// Checks the page with axe-core (WCAG 2 A and AA) and returns the
    /// violations as `rule: element, …` lines; empty when there are none.
    pub async fn axe(&self, script: &str) -> Vec<String> {
        self.c
            .execute(script, vec![])
            .await
            .unwrap_or_else(|e| panic!("[{}] load axe-core: {e}", self.name));
        let found = self
            .c
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'best-practice'] } })
                   .then(r => done(r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).slice(0, 5).join(', '))))
                   .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .unwrap_or_else(|e| panic!("[{}] axe.run: {e}", self.name));
        serde_json::from_value(found).unwrap_or_default()
    }

    /// The page's visible text.
    pub async fn text(&self) -> String {
        self.c
            .execute("return document.body.innerText;", vec![])
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default()
    }
}

/// Every code the domain speaks on the wire (statuses, categories, change
/// kinds, frequencies, roles…): none of them should reach a page rendered in
/// Chinese, where people read labels.
pub fn code_words() -> std::collections::BTreeSet<&'static str> {
    use shared::codes::*;
    use shared::repeat::{ActionStatus, CauseClass, RootCauseStatus, RootCauseTrigger};
    let mut words: std::collections::BTreeSet<&'static str> = std::collections::BTreeSet::new();
    words.extend(Role::ALL.iter().map(|v| v.code()));
    words.extend(ZoneKind::ALL.iter().map(|v| v.code()));
    words.extend(ItemFamily::ALL.iter().map(|v| v.code()));
    words.extend(Frequency::ALL.iter().map(|v| v.code()));
    words.extend(Category::ALL.iter().map(|v| v.code()));
    words.extend(Grade::ALL.iter().map(|v| v.code()));
    words.extend(Urgency::ALL.iter().map(|v| v.code()));
    words.extend(Status::ALL.iter().map(|v| v.code()));
    words.extend(NotificationKind::ALL.iter().map(|v| v.code()));
    words.extend(Department::ALL.iter().map(|v| v.code()));
    words.extend(shared::policy::ChangeKind::ALL.iter().map(|v| v.code()));
    words.extend(CauseClass::ALL.iter().map(|v| v.code()));
    words.extend(RootCauseStatus::ALL.iter().map(|v| v.code()));
    words.extend(RootCauseTrigger::ALL.iter().map(|v| v.code()));
    words.extend(ActionStatus::ALL.iter().map(|v| v.code()));
    words.extend([
        "daily", "weekly", "monthly", "weekdays", "mon", "tue", "wed", "thu", "fri", "sat", "sun",
    ]);
    words
}

impl Ui {
    /// Logs in from the address `url` (which may name a screen) and waits for the app.
    pub async fn log_in(&mut self, url: &str, user: &str, password: &str) {
        self.c.goto(url).await.unwrap();
        self.find("#login").await;
        self.type_into("#user", user).await;
        self.type_into("#password", password).await;
        self.tap("#login-submit").await;
        self.find("#nav-issues").await;
    }

    /// Sets a form field's value as a person would by picking it (date
    /// pickers differ by locale; the form reads the value when submitted).
    pub async fn set_value(&self, id: &str, value: &str) {
        self.find(&format!("#{id}")).await;
        self.c
            .execute(
                "document.getElementById(arguments[0]).value = arguments[1];",
                vec![serde_json::json!(id), serde_json::json!(value)],
            )
            .await
            .unwrap();
    }

    /// The current value of a form field.
    pub async fn value(&self, css: &str) -> String {
        self.find(css)
            .await
            .prop("value")
            .await
            .unwrap()
            .unwrap_or_default()
    }

    /// The address's fragment (`#/issues?…`).
    pub async fn hash(&self) -> String {
        self.c
            .execute("return window.location.hash;", vec![])
            .await
            .unwrap()
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    /// Waits (bounded) until the address's fragment is `want`.
    pub async fn wait_hash(&self, want: &str) {
        let mut last = String::new();
        for _ in 0..100 {
            last = self.hash().await;
            if last == want {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "[{}] the address never became `{want}`; last: `{last}`",
            self.name
        );
    }

    /// Waits (bounded) until nothing matches `css`.
    pub async fn gone(&self, css: &str) {
        for _ in 0..100 {
            if !self.has(css).await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("[{}] `{css}` is still there", self.name);
    }

    /// Asserts axe-core finds no WCAG 2 A/AA or best-practice violation on
    /// the screen as it is now.
    pub async fn assert_accessible(&self, axe: &str, screen: &str) {
        let found = self.axe(axe).await;
        assert!(
            found.is_empty(),
            "[{}] axe-core on {screen}: {found:#?}",
            self.name
        );
    }

    /// Asserts that no wire code (`raise`, `daily`, `hygiene_defect`…) is
    /// shown on the screen as it is now, which is rendered in Chinese.
    pub async fn assert_no_codes(&self, screen: &str) {
        let words = code_words();
        let text = self.text().await;
        let found: std::collections::BTreeSet<&str> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| words.contains(w))
            .collect();
        assert!(
            found.is_empty(),
            "[{}] codes on the Chinese {screen}: {found:?}\n{text}",
            self.name
        );
    }
}
