//! Deterministic simulation of the sync chain.
//!
//! One seed makes a schedule ([`plan`]): four honest devices (two inspectors,
//! a field worker, a manager) work offline and sync over a simulated network
//! that drops, duplicates, replays and cuts messages; the server crashes and
//! restarts from its store; a hostile device sends forged, out-of-order,
//! oversized and garbage changes. [`run`] plays a schedule against the real
//! device code (its SQLite store and sync driver) and the real server code
//! (its SQLite store and `sync::serve`), with no sockets, clocks or threads:
//! the network is a function call that the schedule may break. After the
//! schedule every device reconnects on a healthy network and the invariants
//! are checked: every honest replica holds the server's issue states, nothing
//! a device recorded is lost, nothing is applied twice, every stored event
//! passes the role policy, the ledger verifies, and no hostile round changed
//! the tracker. A failing schedule is made smaller by [`shrink`].
//!
//! A run is a pure function of its seed and schedule: the clock starts at a
//! fixed instant and moves with the steps, and every id and actor the device
//! and server code makes comes from a sequence fixed by the seed
//! (`shared::ids::seeded`), so a replay makes the same changes with the same
//! hashes — Bloom filter false positives included — and ends with the same
//! server state ([`Outcome::fingerprint`]), in this process or another.

use automerge::sync::{Have, State, SyncDoc};
use automerge::{AutoCommit, ChangeHash};
use chrono::{DateTime, Duration, Utc};
use device::sync::Transport;
use device::{Device, SyncError};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use shared::doc;
use shared::ids::*;
use shared::issue::{EventBody, IssueEvent};
use shared::wire::*;
use shared::{Category, Department, Grade, Role};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use sync_server::cache::DocCache;
use sync_server::error::ApiError;
use sync_server::sqlite::SqliteStore;
use sync_server::store::{IssueQuery, Store};
use sync_server::validate::Sender;

/// Steps in a schedule unless told otherwise.
pub const STEPS: usize = 40;

/// The honest accounts, one device each.
pub const HONEST: [&str; 4] = ["inspector1", "inspector2", "staff1", "manager1"];
/// The account the hostile device signs in as.
const HOSTILE: &str = "staff1";

/// What the network does to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// The request never reaches the server.
    DropRequest,
    /// The server commits the round; the response is lost.
    DropResponse,
    /// The server receives the request twice; the device sees the first answer.
    Duplicate,
    /// The request arrives cut in half.
    CutRequest,
    /// The response arrives cut in half.
    CutResponse,
    /// An earlier request of this device arrives again, late, before this one.
    Replay,
    /// The server commits the round, crashes before answering and restarts.
    Crash,
}

const FAULTS: [Fault; 8] = [
    Fault::None,
    Fault::DropRequest,
    Fault::DropResponse,
    Fault::Duplicate,
    Fault::CutRequest,
    Fault::CutResponse,
    Fault::Replay,
    Fault::Crash,
];

/// A change the hostile device tries to slip in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attack {
    /// A change signed with an honest device's actor.
    ForgedActor,
    /// An event claiming to be by the manager.
    ForgedUser,
    /// An event the field worker's role may not write (a cancel).
    RoleForbidden,
    /// A second raise on an existing issue.
    RaiseAgain,
    /// An event whose Lamport number jumps far ahead.
    LamportJump,
    /// A comment far larger than a document may be.
    Oversized,
    /// Bytes that are no sync message.
    Garbage,
    /// An event deleted from the history.
    Rewrite,
}

const ATTACKS: [Attack; 8] = [
    Attack::ForgedActor,
    Attack::ForgedUser,
    Attack::RoleForbidden,
    Attack::RaiseAgain,
    Attack::LamportJump,
    Attack::Oversized,
    Attack::Garbage,
    Attack::Rewrite,
];

/// A bug planted on purpose, to show the invariants catch it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Broken {
    /// The network delivers responses without the server's issue documents.
    ForgetIncoming,
}

/// One step of a schedule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// Device `dev` raises an issue (inspectors and the manager may).
    Raise { dev: usize },
    /// Device `dev` writes an event its role writes, on its `issue`-th issue.
    Act { dev: usize, issue: usize, what: u8 },
    /// Device `dev` syncs; the network does `fault` to its first request.
    Sync { dev: usize, fault: Fault },
    /// The server crashes between rounds and restarts from its store.
    Restart,
    /// The hostile device attacks the `issue`-th issue the server holds.
    Attack { attack: Attack, issue: usize },
}

/// The schedule a seed makes: `steps` operations.
pub fn plan(seed: u64, steps: usize) -> Vec<Op> {
    let mut rng = StdRng::seed_from_u64(seed);
    (0..steps)
        .map(|_| match rng.random_range(0..100) {
            0..25 => Op::Raise {
                dev: [0, 1, 3][rng.random_range(0..3)],
            },
            25..55 => Op::Act {
                dev: rng.random_range(0..HONEST.len()),
                issue: rng.random_range(0..8),
                what: rng.random_range(0..4),
            },
            55..88 => Op::Sync {
                dev: rng.random_range(0..HONEST.len()),
                fault: if rng.random_bool(0.5) {
                    Fault::None
                } else {
                    FAULTS[rng.random_range(1..FAULTS.len())]
                },
            },
            88..92 => Op::Restart,
            _ => Op::Attack {
                attack: ATTACKS[rng.random_range(0..ATTACKS.len())],
                issue: rng.random_range(0..8),
            },
        })
        .collect()
}

/// A broken invariant: at which step (`None`: in the final checks) and what.
#[derive(Debug, Clone)]
pub struct Failure {
    pub step: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.step {
            Some(s) => write!(f, "step {s}: {}", self.message),
            None => write!(f, "final check: {}", self.message),
        }
    }
}

/// What a passing run did, for the summary line.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub issues: usize,
    pub faults: usize,
    pub restarts: usize,
    pub attacks: usize,
    /// A hash of everything the server holds at the end (each document's
    /// change number and heads, each issue row): the same for every replay
    /// of a seed.
    pub fingerprint: u64,
}

/// A seeded server database made once per process and copied for every run
/// (seeding hashes passwords, which is the slow part).
fn template() -> &'static (tempfile::TempDir, sync_server::seed::SeedSummary) {
    static TEMPLATE: OnceLock<(tempfile::TempDir, sync_server::seed::SeedSummary)> =
        OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir = scratch();
        let store = SqliteStore::open(dir.path()).expect("open store");
        let mut txn = store.begin().expect("begin");
        let summary =
            shared::ids::seeded(0, || sync_server::seed::seed(&mut *txn, epoch())).expect("seed");
        txn.commit().expect("commit");
        drop(store);
        (dir, summary)
    })
}

/// The simulated clock's start: every run starts at the same instant, so a
/// seed replays with the same times (and, through `shared::ids::seeded`,
/// the same ids and actors).
fn epoch() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-06-01T08:00:00+08:00")
        .expect("a valid instant")
        .with_timezone(&Utc)
}

/// A temporary directory, in memory where the machine has one (the runs
/// fsync often; the point is the logic, not the disk).
fn scratch() -> tempfile::TempDir {
    let shm = Path::new("/dev/shm");
    if shm.is_dir()
        && let Ok(d) = tempfile::tempdir_in(shm)
    {
        return d;
    }
    tempfile::tempdir().expect("tempdir")
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read template") {
        let entry = entry.expect("entry");
        if entry.file_type().expect("type").is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).expect("copy template");
        }
    }
}

/// The server: its store on disk, its in-memory cache, restartable.
struct Server {
    dir: PathBuf,
    store: Arc<SqliteStore>,
    cache: DocCache,
}

impl Server {
    fn restart(&mut self) {
        // Nothing in memory survives; what was committed must be all that matters.
        self.store = Arc::new(SqliteStore::open(&self.dir).expect("reopen store"));
        self.cache = DocCache::new(64);
    }

    fn sender(&self, token: &str, now: DateTime<Utc>) -> Result<Sender, ApiError> {
        sync_server::api::sender_for(&*self.store, token, now)
    }

    /// One request as the HTTP layer would hand it over; the encoded answer.
    fn serve(&self, token: &str, body: &[u8], now: DateTime<Utc>) -> Result<Vec<u8>, ApiError> {
        let sender = self.sender(token, now)?;
        let resp = sync_server::sync::serve(&*self.store, &self.cache, &sender, body, now)?;
        Ok(postcard::to_allocvec(&resp).expect("response encodes"))
    }

    /// A hash of every document's change number and heads and every issue row.
    fn fingerprint(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let (docs, issues) = self.tracker();
        let mut txn = self.store.begin().expect("begin");
        let mut h = std::hash::DefaultHasher::new();
        for (id, seq) in docs {
            (id, seq).hash(&mut h);
            txn.doc(id).expect("doc").map(|d| d.heads).hash(&mut h);
        }
        serde_json::to_string(&issues).expect("rows").hash(&mut h);
        h.finish()
    }

    /// What hostile rounds must never change: every document's change number
    /// and every issue row.
    fn tracker(&self) -> (Vec<(DocId, u64)>, Vec<serde_json::Value>) {
        let mut txn = self.store.begin().expect("begin");
        let sites: Vec<SiteId> = txn.sites().expect("sites").iter().map(|s| s.id).collect();
        let docs = txn
            .changed_since(&sites, 0, usize::MAX)
            .expect("docs")
            .into_iter()
            .map(|(id, _, seq)| (id, seq))
            .collect();
        let issues = txn
            .list_issues(&IssueQuery {
                sites,
                limit: usize::MAX,
                ..Default::default()
            })
            .expect("issues");
        (docs, crate::comparable(&issues))
    }
}

fn api_error(e: ApiError) -> SyncError {
    let status = e.status.as_u16();
    if status == 401 {
        return SyncError::Unauthorized(e.message);
    }
    SyncError::Server {
        status,
        code: e.code.to_string(),
        message: e.message,
        message_zh: e.message_zh,
    }
}

fn lost() -> SyncError {
    SyncError::Unreachable {
        server: "sim".into(),
        detail: "the network lost the message".into(),
    }
}

/// The simulated network between one device and the server for one session.
struct Link<'a> {
    server: &'a mut Server,
    now: DateTime<Utc>,
    /// Applied to the first request of the session, then the network heals.
    fault: Fault,
    /// This device's earlier requests, for late replays.
    sent: &'a mut Vec<Vec<u8>>,
    rng: &'a mut StdRng,
    broken: Option<Broken>,
}

/// With `SIM_TRACE` set, every message of every round is printed.
fn trace(label: &str, docs: &[DocMessage]) {
    if std::env::var_os("SIM_TRACE").is_none() {
        return;
    }
    for m in docs {
        match automerge::sync::Message::decode(&m.msg) {
            Ok(msg) => eprintln!(
                "  {label} {} {:?}: heads {:?} need {} have {:?} changes {} {:?}",
                m.doc,
                m.kind,
                msg.heads
                    .iter()
                    .map(|h| h.to_string()[..8].to_string())
                    .collect::<Vec<_>>(),
                msg.need.len(),
                msg.have
                    .iter()
                    .map(|h| h
                        .last_sync
                        .iter()
                        .map(|x| x.to_string()[..8].to_string())
                        .collect::<Vec<_>>())
                    .collect::<Vec<_>>(),
                msg.changes.len(),
                msg.version,
            ),
            Err(e) => eprintln!("  {label} {}: undecodable ({e})", m.doc),
        }
    }
}

impl Transport for Link<'_> {
    fn round(&mut self, token: &str, body: Vec<u8>) -> Result<(Vec<u8>, bool), SyncError> {
        if std::env::var_os("SIM_TRACE").is_some()
            && let Ok(req) = postcard::from_bytes::<SyncRequest>(&body)
        {
            eprintln!("round ({:?}), cursor {}", self.fault, req.cursor);
            trace("→", &req.docs);
        }
        let fault = std::mem::replace(&mut self.fault, Fault::None);
        let now = self.now;
        let serve = |server: &Server, body: &[u8]| server.serve(token, body, now);
        let answer = match fault {
            Fault::None => serve(self.server, &body),
            Fault::DropRequest => return Err(lost()),
            Fault::DropResponse => {
                let _ = serve(self.server, &body);
                return Err(lost());
            }
            Fault::Duplicate => {
                let first = serve(self.server, &body);
                let _ = serve(self.server, &body);
                first
            }
            Fault::CutRequest => serve(self.server, &body[..body.len() / 2]),
            Fault::CutResponse => {
                let mut bytes = serve(self.server, &body).map_err(api_error)?;
                bytes.truncate(bytes.len() / 2);
                Ok(bytes)
            }
            Fault::Replay => {
                if !self.sent.is_empty() {
                    let old = self.sent[self.rng.random_range(0..self.sent.len())].clone();
                    let _ = serve(self.server, &old);
                }
                serve(self.server, &body)
            }
            Fault::Crash => {
                let _ = serve(self.server, &body);
                self.server.restart();
                return Err(lost());
            }
        };
        self.sent.push(body);
        let mut answer = answer.map_err(api_error)?;
        if std::env::var_os("SIM_TRACE").is_some()
            && let Ok(resp) = postcard::from_bytes::<SyncResponse>(&answer)
        {
            trace("←", &resp.docs);
            for r in &resp.refused {
                eprintln!("  ← refused {}: {} {}", r.doc, r.code, r.message);
            }
        }
        if self.broken == Some(Broken::ForgetIncoming) {
            let mut resp: SyncResponse = postcard::from_bytes(&answer).expect("own encoding");
            resp.docs.retain(|m| m.kind != DocKind::Issue);
            answer = postcard::to_allocvec(&resp).expect("response encodes");
        }
        Ok((answer, false))
    }
}

struct Honest {
    name: &'static str,
    role: Role,
    device: Device,
    /// Every request it sent, for replays.
    sent: Vec<Vec<u8>>,
    _dir: tempfile::TempDir,
}

/// The world of one run.
struct World {
    server: Server,
    devices: Vec<Honest>,
    users: BTreeMap<String, (UserId, Role)>,
    hostile: Sender,
    honest_actor: [u8; 16],
    now: DateTime<Utc>,
    rng: StdRng,
    outcome: Outcome,
    broken: Option<Broken>,
    _dir: tempfile::TempDir,
}

fn hex_actor(hex: &str) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("actor hex");
    }
    out
}

impl World {
    fn new(seed: u64, broken: Option<Broken>) -> World {
        let (template, _) = template();
        let dir = scratch();
        copy_dir(template.path(), dir.path());
        let store = Arc::new(SqliteStore::open(dir.path()).expect("open store"));
        let now = epoch() + Duration::hours(1);
        let mut users = BTreeMap::new();
        let mut devices = Vec::new();
        for name in HONEST {
            let ddir = scratch();
            let mut device = Device::open(ddir.path()).expect("open device");
            let actor = hex_actor(&device.actor_hex().expect("actor"));
            let (login, user) = login(&store, name, actor, now);
            users.insert(name.to_string(), (user.id, user.role));
            device
                .save_login("sim://server", &login)
                .expect("save login");
            devices.push(Honest {
                name,
                role: user.role,
                device,
                sent: Vec::new(),
                _dir: ddir,
            });
        }
        let (hostile_login, hostile_user) =
            login(&store, HOSTILE, shared::ids::fresh().into_bytes(), now);
        let hostile = sync_server::api::sender_for(&*store, &hostile_login.token, now)
            .expect("hostile sender");
        debug_assert_eq!(hostile.user, hostile_user.id);
        let honest_actor = hex_actor(&devices[0].device.actor_hex().expect("actor"));
        let mut world = World {
            server: Server {
                dir: dir.path().to_path_buf(),
                store,
                cache: DocCache::new(64),
            },
            devices,
            users,
            hostile,
            honest_actor,
            now,
            rng: StdRng::seed_from_u64(seed ^ 0x5eed),
            outcome: Outcome::default(),
            broken,
            _dir: dir,
        };
        // Everyone starts with the site plan.
        for i in 0..world.devices.len() {
            world.sync(i, Fault::None).expect("first sync");
        }
        world
    }

    fn tick(&mut self) {
        self.now += Duration::seconds(37);
    }

    fn sync(&mut self, i: usize, fault: Fault) -> Result<device::SyncReport, String> {
        let now = self.now;
        let Honest {
            device, sent, name, ..
        } = &mut self.devices[i];
        let mut link = Link {
            server: &mut self.server,
            now,
            fault,
            sent,
            rng: &mut self.rng,
            broken: self.broken,
        };
        device
            .sync_documents_over(&mut link, 50)
            .map_err(|e| format!("{name} could not sync: {e}"))
    }

    fn step(&mut self, op: Op) -> Result<(), String> {
        self.tick();
        if std::env::var_os("SIM_TRACE").is_some() {
            eprintln!("step {op:?}");
        }
        match op {
            Op::Raise { dev } => {
                let now = self.now;
                let h = &mut self.devices[dev];
                let n = h
                    .device
                    .issues(&Default::default())
                    .map_err(|e| e.to_string())?
                    .len();
                h.device
                    .raise_issue(
                        crate::finding(
                            ["CP-R01", "CP-R02", "CP-R03"][n % 3],
                            Category::HygieneDefect,
                            Grade::Immediate,
                            &format!("{} 第{n}个问题", h.name),
                        ),
                        now,
                    )
                    .map_err(|e| format!("{} could not raise: {e}", h.name))?;
                self.outcome.issues += 1;
            }
            Op::Act { dev, issue, what } => self.act(dev, issue, what),
            Op::Sync { dev, fault } => {
                let result = self.sync(dev, fault);
                if fault == Fault::None {
                    let report = result?;
                    if !report.refused_docs.is_empty() {
                        return Err(format!(
                            "{} had honest work refused: {:?}",
                            self.devices[dev].name, report.refused_docs
                        ));
                    }
                } else {
                    self.outcome.faults += 1;
                }
            }
            Op::Restart => {
                self.server.restart();
                self.outcome.restarts += 1;
            }
            Op::Attack { attack, issue } => {
                self.outcome.attacks += 1;
                self.attack(attack, issue)?;
            }
        }
        Ok(())
    }

    /// An event of the device's role on one of its issues; work the device's
    /// own checks refuse (a state that does not allow it) is simply not done.
    fn act(&mut self, dev: usize, issue: usize, what: u8) {
        let now = self.now;
        let staff = self.users["staff1"].0;
        let h = &mut self.devices[dev];
        let Ok(list) = h.device.issues(&Default::default()) else {
            return;
        };
        if list.is_empty() {
            return;
        }
        let mut ids: Vec<IssueId> = list.iter().map(|s| s.id).collect();
        ids.sort();
        let id = ids[issue % ids.len()];
        let body = match (h.role, what) {
            (Role::Manager, 0) => EventBody::Assign {
                department: Department::Engineering,
                assignee: staff,
                assignee_name: "staff1".into(),
                deadline: Some(now + Duration::days(2)),
            },
            (Role::Manager, 1) => EventBody::Regrade {
                grade: Some(Grade::Deadline),
                category: None,
            },
            (Role::Manager, 2) => EventBody::Cancel {
                note: "误报".into(),
            },
            (Role::FieldStaff, 0 | 1) => EventBody::Rectify {
                note: "已处理".into(),
                photos: vec![],
            },
            (Role::Inspector, 0) => EventBody::Verify {
                note: "复查合格".into(),
            },
            (Role::Inspector, 1) => EventBody::Edit {
                title: Some(format!("{} 改过的标题", h.name)),
                description: None,
            },
            _ => EventBody::Comment {
                text: format!("{} 的备注", h.name),
            },
        };
        let _ = h.device.issue_event(id, body, true, now);
    }

    /// One hostile round; it must be refused and change nothing.
    fn attack(&mut self, attack: Attack, issue: usize) -> Result<(), String> {
        let before = self.server.tracker();
        let issues: Vec<DocId> = before
            .0
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| {
                let mut txn = self.server.store.begin().expect("begin");
                txn.doc(*id)
                    .expect("doc")
                    .is_some_and(|d| d.kind == DocKind::Issue)
            })
            .collect();
        if issues.is_empty() {
            return Ok(());
        }
        let id = issues[issue % issues.len()];
        let stored = {
            let mut txn = self.server.store.begin().expect("begin");
            txn.doc(id).expect("doc").expect("stored")
        };
        let mut d = AutoCommit::load(&stored.bytes).expect("stored doc loads");
        let heads = d.get_heads();
        let events = doc::issue_events(&d).expect("events");
        let next = events.iter().map(|e| e.lamport).max().unwrap_or(0) + 1;
        let me = &self.hostile;
        let manager = self.users["manager1"];
        let event = |lamport: u64, body: EventBody| IssueEvent {
            id: EventId::new(),
            lamport,
            by: me.user,
            by_name: me.user_name.clone(),
            role: me.role,
            device: me.device,
            at: self.now,
            base: None,
            body,
        };
        let comment = |text: String| EventBody::Comment { text };
        let (actor, change): ([u8; 16], Option<IssueEvent>) = match attack {
            Attack::ForgedActor => (self.honest_actor, Some(event(next, comment("冒名".into())))),
            Attack::ForgedUser => {
                let mut e = event(next, comment("我是经理".into()));
                e.by = manager.0;
                e.role = manager.1;
                e.by_name = "manager1".into();
                (me.actor, Some(e))
            }
            Attack::RoleForbidden => (
                me.actor,
                Some(event(
                    next,
                    EventBody::Cancel {
                        note: "越权".into(),
                    },
                )),
            ),
            Attack::RaiseAgain => {
                let mut e = events[0].clone();
                e.id = EventId::new();
                e.lamport = next;
                e.by = me.user;
                e.role = me.role;
                e.by_name = me.user_name.clone();
                e.device = me.device;
                (me.actor, Some(e))
            }
            Attack::LamportJump => (me.actor, Some(event(next + 10_000, comment("插队".into())))),
            Attack::Oversized => (
                me.actor,
                Some(event(next, comment("大".repeat(3 * 1024 * 1024)))),
            ),
            Attack::Garbage | Attack::Rewrite => (me.actor, None),
        };
        d.set_actor(doc::actor(actor));
        let msg = match (attack, change) {
            (Attack::Garbage, _) => {
                let mut b = vec![0x42u8; 64];
                self.rng.fill(&mut b[..]);
                b
            }
            (Attack::Rewrite, _) => {
                use automerge::ReadDoc;
                let list = match d.get(automerge::ROOT, "events").expect("events") {
                    Some((_, obj)) => obj,
                    None => return Ok(()),
                };
                use automerge::transaction::Transactable;
                if d.length(&list) == 0 {
                    return Ok(());
                }
                d.delete(&list, 0).expect("delete");
                d.commit();
                changes_since(&mut d, &heads)
            }
            (_, Some(e)) => {
                doc::append_event(&mut d, &e).expect("append");
                changes_since(&mut d, &heads)
            }
            (_, None) => return Ok(()),
        };
        let req = SyncRequest {
            protocol: PROTOCOL_VERSION,
            cursor: 0,
            docs: vec![DocMessage {
                doc: id,
                kind: DocKind::Issue,
                msg,
            }],
        };
        let body = postcard::to_allocvec(&req).expect("request encodes");
        let answer = sync_server::sync::serve(
            &*self.server.store,
            &self.server.cache,
            &self.hostile,
            &body,
            self.now,
        );
        let refused = match &answer {
            Ok(resp) => resp.refused.iter().any(|r| r.doc == id),
            Err(_) => true,
        };
        let after = self.server.tracker();
        if refused {
            if after != before {
                return Err(format!(
                    "{attack:?} on {id} was refused but changed the tracker"
                ));
            }
            return Ok(());
        }
        // An event the role may not write is kept in the history, as an event
        // written offline before a role changed would be, and changes nothing:
        // the issue's row differs only by naming it refused.
        if attack != Attack::RoleForbidden {
            return Err(format!("{attack:?} on {id} was not refused"));
        }
        let without_refusals = |rows: &[serde_json::Value]| -> Vec<serde_json::Value> {
            rows.iter()
                .cloned()
                .map(|mut r| {
                    r.as_object_mut().expect("row").remove("refused");
                    r
                })
                .collect()
        };
        if without_refusals(&after.1) != without_refusals(&before.1) {
            return Err(format!("{attack:?} on {id} changed an issue's state"));
        }
        let moved: Vec<DocId> = after
            .0
            .iter()
            .filter(|d| !before.0.contains(d))
            .map(|(d, _)| *d)
            .collect();
        if moved != [id] {
            return Err(format!("{attack:?} on {id} stored documents {moved:?}"));
        }
        Ok(())
    }

    /// Everyone reconnects on a healthy network until nothing moves.
    fn heal(&mut self) -> Result<(), String> {
        for _pass in 0..4 {
            let mut moved = false;
            for i in 0..self.devices.len() {
                self.tick();
                let r = self.sync(i, Fault::None)?;
                if !r.refused_docs.is_empty() {
                    return Err(format!(
                        "{} had honest work refused: {:?}",
                        self.devices[i].name, r.refused_docs
                    ));
                }
                // Whatever moved, everyone syncs once more after it.
                moved |= r.docs_sent > 0 || r.docs_received > 0 || r.pending > 0;
            }
            if !moved {
                return Ok(());
            }
        }
        Err("the devices did not settle in 4 passes on a healthy network".into())
    }

    fn check(&mut self) -> Result<(), String> {
        let (_, expected) = self.server.tracker();
        let mut txn = self.server.store.begin().expect("begin");
        let mut server_events: BTreeMap<IssueId, Vec<IssueEvent>> = BTreeMap::new();
        for s in &expected {
            let id: IssueId = serde_json::from_value(s["id"].clone()).expect("issue id");
            let stored = txn
                .doc(id.into())
                .expect("doc")
                .expect("issue has a document");
            let d = AutoCommit::load(&stored.bytes).expect("loads");
            server_events.insert(id, doc::issue_events(&d).expect("events"));
        }
        // Nothing applied twice; every stored event passes the role policy.
        for (id, events) in &server_events {
            let unique: BTreeSet<EventId> = events.iter().map(|e| e.id).collect();
            if unique.len() != events.len() {
                return Err(format!("issue {id} holds an event twice"));
            }
            let view = shared::issue::fold(*id, events.iter().cloned())
                .map_err(|e| format!("issue {id} does not fold: {e}"))?;
            for t in &view.timeline {
                let hostile = t.event.device == self.hostile.device;
                let applied = matches!(t.outcome, shared::issue::EventOutcome::Applied);
                if hostile && applied {
                    return Err(format!(
                        "issue {id} applies the hostile device's event {}",
                        t.event.id
                    ));
                }
            }
            for e in events {
                let known = self.users.values().any(|(u, r)| *u == e.by && *r == e.role);
                if !known {
                    return Err(format!(
                        "event {} names a user or role that is not theirs",
                        e.id
                    ));
                }
            }
        }
        for site in txn.sites().expect("sites") {
            if let sync_server::ledger::Verified::Broken { n, reason } =
                sync_server::ledger::verify(&mut *txn, site.id).expect("verify")
            {
                return Err(format!("the ledger breaks at {n}: {reason}"));
            }
        }
        drop(txn);
        for h in &self.devices {
            // Every honest replica holds the server's issue states...
            let mine = crate::comparable(&h.device.issues(&Default::default()).expect("list"));
            if mine != expected {
                return Err(format!(
                    "{} did not converge: {} issues here, {} on the server",
                    h.name,
                    mine.len(),
                    expected.len()
                ));
            }
            if h.device.pending_count().expect("pending") != 0 {
                return Err(format!("{} still has changes waiting", h.name));
            }
            // ...and nothing it recorded is lost.
            for s in h.device.issues(&Default::default()).expect("list") {
                let local = h.device.issue(s.id).expect("issue");
                let on_server = &server_events[&s.id];
                for e in local.timeline.iter().map(|t| &t.event) {
                    if !on_server.iter().any(|f| f.id == e.id) {
                        return Err(format!(
                            "{}'s event {} on issue {} is not on the server",
                            h.name, e.id, s.id
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}

/// The changes made since `heads`, as a sync message to a peer at `heads`.
fn changes_since(d: &mut AutoCommit, heads: &[ChangeHash]) -> Vec<u8> {
    let mut state = State::new();
    state.shared_heads = heads.to_vec();
    state.their_heads = Some(heads.to_vec());
    state.their_need = Some(Vec::new());
    state.their_have = Some(vec![Have {
        last_sync: heads.to_vec(),
        bloom: Default::default(),
    }]);
    doc::send_changes_only(&mut state);
    d.sync()
        .generate_sync_message(&mut state)
        .expect("a message with the new changes")
        .encode()
}

fn login(
    store: &SqliteStore,
    name: &str,
    actor: [u8; 16],
    now: DateTime<Utc>,
) -> (LoginResponse, sync_server::store::UserRecord) {
    let mut txn = store.begin().expect("begin");
    let user = txn
        .user_by_name(name)
        .expect("read")
        .expect("a seeded user");
    let (token, device, site) =
        sync_server::accounts::issue_token(&mut *txn, &user, actor, "sim", now)
            .expect("store")
            .expect("login");
    txn.commit().expect("commit");
    (
        LoginResponse {
            token,
            device: device.id,
            user: sync_server::accounts::user_info(&user),
            site,
            sites: Vec::new(),
        },
        user,
    )
}

/// Plays a schedule and checks the invariants.
pub fn run(seed: u64, ops: &[Op]) -> Result<Outcome, Failure> {
    run_with(seed, ops, None)
}

/// [`run`], with a bug planted.
pub fn run_with(seed: u64, ops: &[Op], broken: Option<Broken>) -> Result<Outcome, Failure> {
    shared::ids::seeded(seed, || play(seed, ops, broken))
}

fn play(seed: u64, ops: &[Op], broken: Option<Broken>) -> Result<Outcome, Failure> {
    let mut world = World::new(seed, broken);
    for (i, op) in ops.iter().enumerate() {
        world.step(*op).map_err(|message| Failure {
            step: Some(i),
            message,
        })?;
    }
    let last = |message| Failure {
        step: None,
        message,
    };
    world.heal().map_err(last)?;
    world.check().map_err(last)?;
    world.outcome.fingerprint = world.server.fingerprint();
    Ok(world.outcome)
}

/// Plays a seed's schedule, catching panics as failures.
pub fn run_seed(seed: u64, steps: usize) -> Result<Outcome, Failure> {
    let ops = plan(seed, steps);
    run_caught(seed, &ops, None)
}

fn run_caught(seed: u64, ops: &[Op], broken: Option<Broken>) -> Result<Outcome, Failure> {
    match std::panic::catch_unwind(|| run_with(seed, ops, broken)) {
        Ok(r) => r,
        Err(p) => Err(Failure {
            step: None,
            message: format!(
                "panicked: {}",
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            ),
        }),
    }
}

/// The smallest schedule found that still fails: drops runs of steps, halving
/// the run length down to single steps, while the schedule keeps failing.
pub fn shrink(seed: u64, ops: &[Op]) -> Vec<Op> {
    shrink_with(seed, ops, None)
}

/// [`shrink`], with a bug planted.
pub fn shrink_with(seed: u64, ops: &[Op], broken: Option<Broken>) -> Vec<Op> {
    let mut ops = ops.to_vec();
    let mut chunk = ops.len().div_ceil(2).max(1);
    loop {
        let mut i = 0;
        while i < ops.len() {
            let mut candidate = ops.clone();
            candidate.drain(i..(i + chunk).min(ops.len()));
            if run_caught(seed, &candidate, broken).is_err() {
                ops = candidate;
            } else {
                i += chunk;
            }
        }
        if chunk == 1 {
            return ops;
        }
        chunk /= 2;
    }
}
