//! The PostgreSQL store: one database shared by any number of server
//! replicas (`--database-url postgres://…`).
//!
//! Writers take turns across every replica: a write transaction holds one
//! transaction-scoped advisory lock from its start to its end, as the
//! embedded store's single writer does. So a document's sequence number is
//! given out in commit order and the device cursor never skips a change
//! (the contract on [`Txn::put_doc`]); a ledger's next entry, a contact kept
//! once and a lease taken are decided by one writer at a time. Reads run on
//! their own snapshot (`REPEATABLE READ READ ONLY`) and never wait for a
//! writer.

use crate::error::StoreError;
use crate::sqlite::{device_record, json, millis, time, user_from_row, uuid_of};
use crate::store::*;
use chrono::{DateTime, Utc};
use postgres::types::ToSql;
use postgres::{Client, NoTls, Row, Statement};
use shared::codes::Role;
use shared::ids::*;
use shared::patrol::PatrolRunView;
use shared::plan::Site;
use shared::repeat::RootCause;
use shared::wire::{DocKind, IssueSummary, Notification, Receipt};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Condvar, Mutex};

/// Migrations, append-only; `schema_version` holds how many ran. The first is
/// the embedded store's schema as it stands after all of its own migrations.
const MIGRATIONS: &[&str] = &[r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value BYTEA NOT NULL);
CREATE TABLE sites (id BYTEA PRIMARY KEY, code TEXT COLLATE "C" NOT NULL UNIQUE, json TEXT NOT NULL);
CREATE TABLE users (
    id BYTEA PRIMARY KEY,
    site BYTEA NOT NULL REFERENCES sites(id),
    name TEXT COLLATE "C" NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    department TEXT,
    password_hash TEXT NOT NULL,
    active BOOLEAN NOT NULL
);
CREATE TABLE devices (
    id BYTEA PRIMARY KEY,
    user_id BYTEA NOT NULL REFERENCES users(id),
    actor BYTEA NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    revoked BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX devices_by_actor ON devices(actor);
CREATE INDEX devices_by_user ON devices(user_id, created_at);
CREATE TABLE docs (
    id BYTEA PRIMARY KEY,
    kind TEXT NOT NULL,
    site BYTEA NOT NULL,
    bytes BYTEA NOT NULL,
    heads BYTEA NOT NULL,
    seq BIGINT NOT NULL
);
CREATE INDEX docs_by_seq ON docs(seq);
CREATE TABLE sync_states (
    device BYTEA NOT NULL,
    doc BYTEA NOT NULL,
    state BYTEA NOT NULL,
    pending BOOLEAN NOT NULL,
    PRIMARY KEY (device, doc)
);
CREATE INDEX sync_pending ON sync_states(device) WHERE pending;
CREATE TABLE issues (
    id BYTEA PRIMARY KEY,
    site BYTEA NOT NULL,
    zone BYTEA,
    status TEXT NOT NULL,
    grade TEXT NOT NULL,
    category TEXT NOT NULL,
    assignee TEXT,
    deadline TEXT COLLATE "C",
    raised_at TEXT COLLATE "C" NOT NULL,
    summary TEXT NOT NULL,
    waiting BOOLEAN NOT NULL DEFAULT FALSE,
    awaiting_callback BOOLEAN NOT NULL DEFAULT FALSE,
    checkpoint TEXT,
    last_at TEXT COLLATE "C"
);
CREATE INDEX issues_by_site ON issues(site, raised_at);
CREATE INDEX issues_by_deadline ON issues(deadline) WHERE status IN ('recorded', 'assigned');
CREATE INDEX issues_waiting ON issues(site) WHERE waiting;
CREATE INDEX issues_by_checkpoint ON issues(site, checkpoint, category, raised_at) WHERE checkpoint IS NOT NULL;
CREATE TABLE patrol_runs (
    id BYTEA PRIMARY KEY,
    site BYTEA NOT NULL,
    route TEXT NOT NULL,
    inspector TEXT NOT NULL,
    started_at TEXT COLLATE "C" NOT NULL,
    finished_at TEXT COLLATE "C",
    results BIGINT NOT NULL,
    fails BIGINT NOT NULL,
    view TEXT NOT NULL
);
CREATE INDEX patrol_runs_by_site ON patrol_runs(site, started_at);
CREATE TABLE receipts (
    entry BYTEA PRIMARY KEY,
    doc BYTEA NOT NULL,
    received_at_ms BIGINT NOT NULL
);
CREATE INDEX receipts_by_doc ON receipts(doc);
CREATE TABLE photo_refs (
    hash TEXT NOT NULL,
    doc BYTEA NOT NULL,
    site BYTEA NOT NULL,
    PRIMARY KEY (hash, doc)
);
CREATE TABLE notifications (
    id BYTEA PRIMARY KEY,
    recipient BYTEA NOT NULL,
    created_ms BIGINT NOT NULL,
    json TEXT NOT NULL,
    announced BOOLEAN NOT NULL DEFAULT TRUE
);
CREATE INDEX notifications_by_recipient ON notifications(recipient, created_ms);
CREATE INDEX notifications_unannounced ON notifications(created_ms) WHERE NOT announced;
CREATE TABLE webhook_deliveries (
    id BYTEA PRIMARY KEY,
    json TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    next_attempt_ms BIGINT NOT NULL,
    delivered_ms BIGINT,
    last_error TEXT
);
CREATE INDEX webhook_due ON webhook_deliveries(next_attempt_ms) WHERE delivered_ms IS NULL;
CREATE TABLE root_causes (
    id BYTEA PRIMARY KEY,
    site BYTEA NOT NULL,
    updated_ms BIGINT NOT NULL,
    json TEXT NOT NULL,
    checkpoint TEXT,
    category TEXT,
    effective BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX root_causes_by_site ON root_causes(site, updated_ms);
CREATE INDEX root_causes_at ON root_causes(site, checkpoint, category, updated_ms) WHERE NOT effective;
CREATE TABLE root_cause_issues (
    record BYTEA NOT NULL,
    n BIGINT NOT NULL,
    issue BYTEA NOT NULL,
    PRIMARY KEY (record, n)
);
CREATE UNIQUE INDEX root_cause_issues_by_issue ON root_cause_issues(issue, record);
CREATE TABLE complaint_contacts (
    issue BYTEA PRIMARY KEY,
    site BYTEA NOT NULL,
    contact TEXT NOT NULL,
    received_ms BIGINT NOT NULL
);
CREATE INDEX complaint_contacts_by_site ON complaint_contacts(site, received_ms, issue);
CREATE TABLE memberships (
    user_id BYTEA NOT NULL REFERENCES users(id),
    site BYTEA NOT NULL REFERENCES sites(id),
    role TEXT NOT NULL,
    department TEXT,
    PRIMARY KEY (user_id, site)
);
CREATE INDEX memberships_by_site ON memberships(site);
CREATE TABLE device_sites (
    device BYTEA PRIMARY KEY REFERENCES devices(id),
    site BYTEA NOT NULL REFERENCES sites(id)
);
CREATE TABLE ledger (
    site BYTEA NOT NULL,
    n BIGINT NOT NULL,
    at_ms BIGINT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    entry TEXT NOT NULL,
    what TEXT NOT NULL,
    author TEXT NOT NULL,
    role TEXT NOT NULL,
    device TEXT NOT NULL,
    content TEXT NOT NULL,
    prev TEXT NOT NULL,
    hash TEXT NOT NULL,
    PRIMARY KEY (site, n)
);
CREATE INDEX ledger_by_time ON ledger(site, at_ms);
CREATE TABLE monthly_reports (
    site BYTEA NOT NULL REFERENCES sites(id),
    period TEXT COLLATE "C" NOT NULL,
    generated_at_ms BIGINT NOT NULL,
    ledger_entry BIGINT,
    ledger_head TEXT,
    pdf BYTEA NOT NULL,
    xlsx BYTEA NOT NULL,
    PRIMARY KEY (site, period)
);
CREATE TABLE surveys (
    id BYTEA PRIMARY KEY,
    site BYTEA NOT NULL REFERENCES sites(id),
    taken_at_ms BIGINT NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX surveys_by_time ON surveys(site, taken_at_ms);
CREATE TABLE equipment (
    site BYTEA NOT NULL REFERENCES sites(id),
    code TEXT COLLATE "C" NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (site, code)
);
CREATE TABLE job_leases (
    job TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_ms BIGINT NOT NULL
);
"#];

/// `url` with its password masked, for messages and logs.
pub fn redacted(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(an unreadable URL)".into(),
    }
}

/// The tables in the order their rows can be copied in (referenced first).
pub const TABLES: &[&str] = &[
    "meta",
    "sites",
    "users",
    "devices",
    "docs",
    "sync_states",
    "issues",
    "patrol_runs",
    "receipts",
    "photo_refs",
    "notifications",
    "webhook_deliveries",
    "root_causes",
    "root_cause_issues",
    "complaint_contacts",
    "memberships",
    "device_sites",
    "ledger",
    "monthly_reports",
    "surveys",
    "equipment",
    "job_leases",
];

/// The advisory lock every write transaction holds ("writers take turns").
const WRITER_LOCK: i64 = 0x7061_7472_6f6c_0001;
/// The advisory lock held while migrating, so replicas starting together
/// migrate once.
const MIGRATE_LOCK: i64 = 0x7061_7472_6f6c_0002;

/// Connections a store keeps at most unless told otherwise
/// (`--database-connections`); a transaction past them waits for one.
pub const CONNECTIONS: u16 = 16;

/// A connection and the statements prepared on it. A sync round runs a few
/// dozen different statements; preparing each once per connection saves a
/// round trip and a parse per use.
struct PgConn {
    client: Client,
    prepared: HashMap<String, Statement>,
    /// A statement of the open transaction failed: PostgreSQL has aborted
    /// it, and a `COMMIT` would quietly roll back, so commit says so instead.
    failed: bool,
}

type Param<'a> = &'a (dyn ToSql + Sync);

impl PgConn {
    fn statement(&mut self, sql: &str) -> Result<Statement, StoreError> {
        if let Some(s) = self.prepared.get(sql) {
            return Ok(s.clone());
        }
        let s = self.client.prepare(sql);
        let s = self.noted(s)?;
        self.prepared.insert(sql.to_string(), s.clone());
        Ok(s)
    }
    fn noted<T>(&mut self, r: Result<T, postgres::Error>) -> Result<T, StoreError> {
        self.failed |= r.is_err();
        Ok(r?)
    }
    fn rows(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Vec<Row>, StoreError> {
        let s = self.statement(sql)?;
        let r = self.client.query(&s, params);
        self.noted(r)
    }
    fn opt(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Option<Row>, StoreError> {
        let s = self.statement(sql)?;
        let r = self.client.query_opt(&s, params);
        self.noted(r)
    }
    fn one(&mut self, sql: &str, params: &[Param<'_>]) -> Result<Row, StoreError> {
        let s = self.statement(sql)?;
        let r = self.client.query_one(&s, params);
        self.noted(r)
    }
    fn run(&mut self, sql: &str, params: &[Param<'_>]) -> Result<u64, StoreError> {
        let s = self.statement(sql)?;
        let r = self.client.execute(&s, params);
        self.noted(r)
    }
}

/// How connections are made: in the clear, or over TLS that is always verified.
#[derive(Clone)]
enum Tls {
    Clear,
    Verified(tokio_postgres_rustls::MakeRustlsConnect),
}

/// `url` read in libpq's terms. `sslmode=require`, `verify-ca` or
/// `verify-full` connect over TLS and verify the server's certificate chain
/// and name against the system's root certificates and, if given,
/// `sslrootcert` (a PEM file: a private CA's); this is stricter than libpq's
/// `require`, which verifies nothing. No `sslmode`, `disable`, `allow` or
/// `prefer` connect in the clear (a local socket, or a private network).
fn settings(url: &str) -> Result<(postgres::Config, Tls), StoreError> {
    let bad = |m: String| StoreError::Conflict(format!("the database URL is not usable: {m}"));
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let (mut mode, mut root) = (None, None);
    let mut kept = Vec::new();
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let decoded = || {
            percent_encoding::percent_decode_str(value)
                .decode_utf8()
                .map(|v| v.into_owned())
                .map_err(|_| bad(format!("{key} is not UTF-8 once decoded")))
        };
        match key {
            "sslmode" => mode = Some(decoded()?),
            "sslrootcert" => root = Some(decoded()?),
            _ => kept.push(pair),
        }
    }
    let tls = match mode.as_deref() {
        None | Some("disable" | "allow" | "prefer") => Tls::Clear,
        Some("require" | "verify-ca" | "verify-full") => Tls::Verified(connector(root.as_deref())?),
        Some(other) => {
            return Err(bad(format!(
                "sslmode={other}: use disable, prefer, require, verify-ca or verify-full"
            )));
        }
    };
    let plain = if kept.is_empty() {
        base.to_string()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    let mut config: postgres::Config = plain.parse().map_err(|e| bad(format!("{e}")))?;
    config.ssl_mode(match tls {
        Tls::Clear => postgres::config::SslMode::Disable,
        Tls::Verified(_) => postgres::config::SslMode::Require,
    });
    Ok((config, tls))
}

/// TLS with the system's root certificates and those in `root` (PEM).
fn connector(root: Option<&str>) -> Result<tokio_postgres_rustls::MakeRustlsConnect, StoreError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        // A system certificate rustls cannot read is one fewer root, not a failure.
        let _ = roots.add(cert);
    }
    if let Some(path) = root {
        let unusable =
            |e: String| StoreError::Conflict(format!("sslrootcert {path} is not usable: {e}"));
        let pem = std::fs::read(path).map_err(|e| unusable(e.to_string()))?;
        let mut added = 0;
        for cert in CertificateDer::pem_slice_iter(&pem) {
            let cert = cert.map_err(|e| unusable(e.to_string()))?;
            roots.add(cert).map_err(|e| unusable(e.to_string()))?;
            added += 1;
        }
        if added == 0 {
            return Err(unusable("it holds no PEM certificate".into()));
        }
    }
    if roots.is_empty() {
        return Err(StoreError::Conflict(
            "TLS to the database needs a root certificate: the system has none; give sslrootcert=PATH in the URL".into(),
        ));
    }
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| StoreError::Conflict(format!("TLS: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(tokio_postgres_rustls::MakeRustlsConnect::new(config))
}

impl Tls {
    fn connect(&self, config: &postgres::Config) -> Result<Client, postgres::Error> {
        match self {
            Tls::Clear => config.connect(NoTls),
            Tls::Verified(tls) => config.connect(tls.clone()),
        }
    }
}

/// The PostgreSQL implementation of [`Store`], with a pool of connections.
pub struct PgStore {
    config: postgres::Config,
    tls: Tls,
    url: String,
    pool: Mutex<Pool>,
    free: Condvar,
    /// Connections kept at most.
    max: usize,
}

#[derive(Default)]
struct Pool {
    open: usize,
    idle: Vec<PgConn>,
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/db`, or
    /// `postgres://user@/db?host=/run/postgresql` for a local socket) and
    /// brings the schema up to date.
    pub fn open(url: &str) -> Result<PgStore, StoreError> {
        Self::open_with(url, usize::from(CONNECTIONS))
    }

    /// [`PgStore::open`] keeping at most `connections` connections (at least one).
    pub fn open_with(url: &str, connections: usize) -> Result<PgStore, StoreError> {
        let (config, tls) = settings(url)?;
        let store = PgStore {
            config,
            tls,
            url: url.to_string(),
            pool: Mutex::new(Pool::default()),
            free: Condvar::new(),
            max: connections.max(1),
        };
        let mut conn = store.take()?;
        conn.client
            .batch_execute("CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)")?;
        let mut tx = conn.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATE_LOCK])?;
        let version: i64 = match tx.query_opt("SELECT version FROM schema_version", &[])? {
            Some(r) => r.get(0),
            None => {
                tx.execute("INSERT INTO schema_version (version) VALUES (0)", &[])?;
                0
            }
        };
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.batch_execute(sql)?;
            tx.execute(
                "UPDATE schema_version SET version = $1",
                &[&((i + 1) as i64)],
            )?;
        }
        tx.commit()?;
        store.give_back(conn);
        Ok(store)
    }

    fn connect(&self) -> Result<PgConn, StoreError> {
        Ok(PgConn {
            client: self.tls.connect(&self.config)?,
            prepared: HashMap::new(),
            failed: false,
        })
    }

    /// A connection from the pool, or a new one while fewer than
    /// its most are open; else waits for one to come back.
    fn take(&self) -> Result<PgConn, StoreError> {
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(c) = pool.idle.pop() {
                return Ok(c);
            }
            if pool.open < self.max {
                pool.open += 1;
                drop(pool);
                let opened = self.connect();
                if opened.is_err() {
                    self.pool.lock().unwrap_or_else(|p| p.into_inner()).open -= 1;
                    self.free.notify_one();
                }
                return opened;
            }
            pool = self.free.wait(pool).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Returns a connection to the pool; a broken one is closed instead.
    fn give_back(&self, conn: PgConn) {
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        if conn.client.is_closed() {
            pool.open = pool.open.saturating_sub(1);
        } else {
            pool.idle.push(conn);
        }
        self.free.notify_one();
    }

    /// Opens a transaction on a pooled connection with `begin` (SQL).
    fn start(&self, begin: &str) -> Result<Box<dyn Txn + '_>, StoreError> {
        let mut attempt = 0;
        loop {
            let mut conn = self.take()?;
            conn.failed = false;
            match conn.client.batch_execute(begin) {
                Ok(()) => {
                    return Ok(Box::new(PgTxn {
                        conn: Some(conn),
                        store: self,
                        done: false,
                        acting: crate::ledger::Author::console(),
                    }));
                }
                Err(e) => {
                    self.discard(conn);
                    // The database went away (restarted, failed over): the
                    // idle connections are as dead as this one. Close them and
                    // try once more on a new connection.
                    if attempt == 0 {
                        attempt += 1;
                        self.discard_idle();
                        continue;
                    }
                    return Err(e.into());
                }
            }
        }
    }

    /// Closes a connection that is not to be reused.
    fn discard(&self, conn: PgConn) {
        drop(conn);
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        pool.open = pool.open.saturating_sub(1);
        self.free.notify_one();
    }

    fn discard_idle(&self) {
        let idle = {
            let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
            let idle = std::mem::take(&mut pool.idle);
            pool.open = pool.open.saturating_sub(idle.len());
            idle
        };
        drop(idle);
        self.free.notify_all();
    }
}

impl Drop for PgStore {
    /// A connection closes by blocking on a runtime of its own, which tokio
    /// forbids on a thread driving tasks (where the server's last handle on
    /// the store may go): they close on a thread of their own.
    fn drop(&mut self) {
        let idle = std::mem::take(&mut self.pool.get_mut().unwrap_or_else(|p| p.into_inner()).idle);
        if !idle.is_empty() {
            let _ = std::thread::spawn(move || drop(idle)).join();
        }
    }
}

impl Store for PgStore {
    fn begin(&self) -> Result<Box<dyn Txn + '_>, StoreError> {
        self.start(&format!(
            "BEGIN ISOLATION LEVEL READ COMMITTED; SELECT pg_advisory_xact_lock({WRITER_LOCK})"
        ))
    }

    fn read(&self) -> Result<Box<dyn Txn + '_>, StoreError> {
        self.start("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
    }

    /// A new connection and one query: the database answers now, whatever
    /// the pool holds.
    fn ping(&self) -> Result<(), StoreError> {
        let mut config = self.config.clone();
        config.connect_timeout(std::time::Duration::from_secs(2));
        let mut client = self.tls.connect(&config)?;
        client.query_one("SELECT count(*) FROM schema_version", &[])?;
        Ok(())
    }

    /// `pg_dump` in its custom format (restore with `pg_restore`), taken on
    /// one snapshot while the server runs.
    fn backup_to(&self, path: &Path) -> Result<(), StoreError> {
        if path.exists() {
            return Err(StoreError::Conflict(format!(
                "{} already exists; choose a new file",
                path.display()
            )));
        }
        let out = std::process::Command::new("pg_dump")
            .arg("--format=custom")
            .arg("--file")
            .arg(path)
            .arg("--dbname")
            .arg(&self.url)
            .output()
            .map_err(|e| StoreError::Conflict(format!("cannot run pg_dump: {e}")))?;
        if !out.status.success() {
            let _ = std::fs::remove_file(path);
            return Err(StoreError::Conflict(format!(
                "pg_dump failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        Ok(())
    }
}

struct PgTxn<'a> {
    conn: Option<PgConn>,
    store: &'a PgStore,
    done: bool,
    acting: crate::ledger::Author,
}

impl Drop for PgTxn<'_> {
    fn drop(&mut self) {
        if let Some(mut conn) = self.conn.take() {
            if !self.done && conn.client.batch_execute("ROLLBACK").is_err() {
                // Unknown state: let the connection go rather than reuse it.
                self.store.discard(conn);
                return;
            }
            self.store.give_back(conn);
        }
    }
}

fn id(u: &uuid::Uuid) -> &[u8] {
    u.as_bytes().as_slice()
}

fn doc_ids(docs: &[DocId]) -> Vec<&[u8]> {
    docs.iter().map(|d| id(d.as_uuid())).collect()
}

fn ids(sites: &[SiteId]) -> Vec<Vec<u8>> {
    sites
        .iter()
        .map(|s| s.as_uuid().as_bytes().to_vec())
        .collect()
}

fn doc_kind(kind: &str) -> Result<DocKind, StoreError> {
    DocKind::parse(kind).ok_or_else(|| StoreError::Corrupt(format!("doc kind {kind}")))
}

fn role(s: &str) -> Result<Role, StoreError> {
    s.parse::<Role>()
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

const USER_COLS: &str = "id, site, name, display_name, role, department, password_hash, active";
const LEDGER_COLS: &str =
    "site, n, at_ms, kind, subject, entry, what, author, role, device, content, prev, hash";

fn user_of(r: &Row) -> Result<UserRecord, StoreError> {
    user_at(r, 0)
}

/// A user's columns ([`USER_COLS`]) from the `k`th of a row on.
fn user_at(r: &Row, k: usize) -> Result<UserRecord, StoreError> {
    user_from_row((
        r.get(k),
        r.get(k + 1),
        r.get(k + 2),
        r.get(k + 3),
        r.get(k + 4),
        r.get(k + 5),
        r.get(k + 6),
        r.get(k + 7),
    ))
}

fn ledger_of(r: &Row) -> Result<crate::ledger::LedgerEntry, StoreError> {
    use chrono::TimeZone;
    let at_ms: i64 = r.get(2);
    let (Ok(site), Some(at)) = (uuid_of(r.get(0)), Utc.timestamp_millis_opt(at_ms).single()) else {
        return Err(StoreError::Corrupt(
            "a ledger row's site or time is unreadable".into(),
        ));
    };
    Ok(crate::ledger::LedgerEntry {
        site: SiteId::from_uuid(site),
        n: r.get::<_, i64>(1) as u64,
        at,
        kind: r.get(3),
        subject: r.get(4),
        entry: r.get(5),
        what: r.get(6),
        author: r.get(7),
        role: r.get(8),
        device: r.get(9),
        content: r.get(10),
        prev: r.get(11),
        hash: r.get(12),
    })
}

fn device_of(r: &Row) -> Result<DeviceRecord, StoreError> {
    let hash: Vec<u8> = r.get(6);
    let hash: [u8; 32] = hash
        .try_into()
        .map_err(|_| StoreError::Corrupt("bad token hash".into()))?;
    device_record(
        (r.get(0), r.get(1), r.get(2), r.get(3), r.get(4), r.get(5)),
        hash,
    )
}

fn jsons<T: serde::de::DeserializeOwned>(rows: Vec<Row>) -> Result<Vec<T>, StoreError> {
    rows.iter().map(|r| json(r.get::<_, &str>(0))).collect()
}

fn limit(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

impl PgTxn<'_> {
    fn c(&mut self) -> &mut PgConn {
        self.conn.as_mut().expect("a connection until dropped")
    }

    /// Documents by id, each as its head and, with `bytes`, its stored bytes.
    #[allow(clippy::type_complexity)]
    fn doc_rows(
        &mut self,
        docs: &[DocId],
        bytes: bool,
    ) -> Result<HashMap<DocId, (DocHead, Option<Vec<u8>>)>, StoreError> {
        if docs.is_empty() {
            return Ok(HashMap::new());
        }
        let sql = if bytes {
            "SELECT id, kind, site, heads, seq, octet_length(bytes), bytes FROM docs WHERE id = ANY($1)"
        } else {
            "SELECT id, kind, site, heads, seq, octet_length(bytes) FROM docs WHERE id = ANY($1)"
        };
        let rows = self.c().rows(sql, &[&doc_ids(docs)])?;
        rows.iter()
            .map(|r| {
                let head = DocHead {
                    kind: doc_kind(r.get(1))?,
                    site: SiteId::from_uuid(uuid_of(r.get(2))?),
                    heads: r.get(3),
                    seq: r.get::<_, i64>(4) as u64,
                    size: r.get::<_, i32>(5) as usize,
                };
                let stored = bytes.then(|| r.get(6));
                Ok((DocId::from_uuid(uuid_of(r.get(0))?), (head, stored)))
            })
            .collect()
    }

    fn put_root_cause_row(&mut self, r: &RootCause) -> Result<(), StoreError> {
        let mut row = r.clone();
        row.issues.clear();
        let body = serde_json::to_string(&row).expect("root cause");
        self.c().run(
            "INSERT INTO root_causes (id, site, updated_ms, json, checkpoint, category, effective)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE SET updated_ms = excluded.updated_ms, json = excluded.json,
                 checkpoint = excluded.checkpoint, category = excluded.category,
                 effective = excluded.effective",
            &[
                &id(&r.id),
                &id(r.site.as_uuid()),
                &r.updated_at.timestamp_millis(),
                &body,
                &r.checkpoint,
                &r.category.map(|c| c.code()),
                &(r.status == shared::repeat::RootCauseStatus::Effective),
            ],
        )?;
        Ok(())
    }

    fn meta_once<const N: usize>(
        &mut self,
        key: &str,
        make: impl FnOnce() -> [u8; N],
    ) -> Result<[u8; N], StoreError> {
        if let Some(bytes) = self.meta(key)? {
            return bytes
                .try_into()
                .map_err(|_| StoreError::Corrupt(format!("bad {key} in meta")));
        }
        let value = make();
        self.c().run(
            "INSERT INTO meta (key, value) VALUES ($1, $2)",
            &[&key, &value.as_slice()],
        )?;
        Ok(value)
    }

    fn devices_where(&mut self, cond: &str, arg: &[u8]) -> Result<Vec<DeviceRecord>, StoreError> {
        let rows = self.c().rows(
            &format!(
                "SELECT id, user_id, actor, name, created_at, revoked, token_hash FROM devices
                 WHERE {cond} ORDER BY created_at"
            ),
            &[&arg],
        )?;
        rows.iter().map(device_of).collect()
    }
}

impl Txn for PgTxn<'_> {
    fn sites(&mut self) -> Result<Vec<Site>, StoreError> {
        jsons(self.c().rows("SELECT json FROM sites ORDER BY code", &[])?)
    }

    fn site(&mut self, site: SiteId) -> Result<Option<Site>, StoreError> {
        let row = self.c().opt(
            "SELECT json FROM sites WHERE id = $1",
            &[&id(site.as_uuid())],
        )?;
        row.map(|r| json(r.get::<_, &str>(0))).transpose()
    }

    fn site_by_code(&mut self, code: &str) -> Result<Option<Site>, StoreError> {
        let row = self
            .c()
            .opt("SELECT json FROM sites WHERE code = $1", &[&code])?;
        row.map(|r| json(r.get::<_, &str>(0))).transpose()
    }

    fn insert_site(&mut self, site: &Site) -> Result<(), StoreError> {
        self.c().run(
            "INSERT INTO sites (id, code, json) VALUES ($1, $2, $3)",
            &[
                &id(site.id.as_uuid()),
                &site.code.as_str(),
                &serde_json::to_string(site).expect("site"),
            ],
        )?;
        Ok(())
    }

    fn update_site(&mut self, site: &Site) -> Result<(), StoreError> {
        self.c().run(
            "UPDATE sites SET json = $2 WHERE id = $1",
            &[
                &id(site.id.as_uuid()),
                &serde_json::to_string(site).expect("site"),
            ],
        )?;
        Ok(())
    }

    fn user(&mut self, user: UserId) -> Result<Option<UserRecord>, StoreError> {
        let row = self.c().opt(
            &format!("SELECT {USER_COLS} FROM users WHERE id = $1"),
            &[&id(user.as_uuid())],
        )?;
        row.as_ref().map(user_of).transpose()
    }

    fn user_by_name(&mut self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        let row = self.c().opt(
            &format!("SELECT {USER_COLS} FROM users WHERE name = $1"),
            &[&name],
        )?;
        row.as_ref().map(user_of).transpose()
    }

    fn users_of_site(&mut self, site: SiteId) -> Result<Vec<UserRecord>, StoreError> {
        let rows = self.c().rows(
            "SELECT id, site, name, display_name, role, department, password_hash, active
               FROM users WHERE site = $1
             UNION ALL
             SELECT u.id, m.site, u.name, u.display_name, m.role, m.department, u.password_hash, u.active
               FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.site = $1
             ORDER BY 3",
            &[&id(site.as_uuid())],
        )?;
        rows.iter().map(user_of).collect()
    }

    fn upsert_user(&mut self, u: &UserRecord) -> Result<(), StoreError> {
        self.c().run(
            "INSERT INTO users (id, site, name, display_name, role, department, password_hash, active)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
             ON CONFLICT (id) DO UPDATE SET display_name = excluded.display_name, role = excluded.role,
                department = excluded.department, password_hash = excluded.password_hash,
                active = excluded.active",
            &[
                &id(u.id.as_uuid()),
                &id(u.site.as_uuid()),
                &u.name,
                &u.display_name,
                &u.role.code(),
                &u.department.map(|d| d.code()),
                &u.password_hash,
                &u.active,
            ],
        )?;
        Ok(())
    }

    fn memberships(&mut self, user: UserId) -> Result<Vec<Membership>, StoreError> {
        let rows = self.c().rows(
            "SELECT m.site, m.role, m.department FROM memberships m JOIN sites s ON s.id = m.site
              WHERE m.user_id = $1 ORDER BY s.code",
            &[&id(user.as_uuid())],
        )?;
        rows.iter()
            .map(|r| {
                Ok(Membership {
                    user,
                    site: SiteId::from_uuid(uuid_of(r.get(0))?),
                    role: role(r.get(1))?,
                    department: r.get::<_, Option<&str>>(2).and_then(|d| d.parse().ok()),
                })
            })
            .collect()
    }

    fn set_membership(&mut self, m: &Membership) -> Result<(), StoreError> {
        self.c().run(
            "INSERT INTO memberships (user_id, site, role, department) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_id, site) DO UPDATE SET role = excluded.role, department = excluded.department",
            &[
                &id(m.user.as_uuid()),
                &id(m.site.as_uuid()),
                &m.role.code(),
                &m.department.map(|d| d.code()),
            ],
        )?;
        Ok(())
    }

    fn remove_membership(&mut self, user: UserId, site: SiteId) -> Result<bool, StoreError> {
        Ok(self.c().run(
            "DELETE FROM memberships WHERE user_id = $1 AND site = $2",
            &[&id(user.as_uuid()), &id(site.as_uuid())],
        )? > 0)
    }

    fn device_site(&mut self, device: DeviceId) -> Result<Option<SiteId>, StoreError> {
        let row = self.c().opt(
            "SELECT site FROM device_sites WHERE device = $1",
            &[&id(device.as_uuid())],
        )?;
        row.map(|r| Ok(SiteId::from_uuid(uuid_of(r.get(0))?)))
            .transpose()
    }

    fn set_device_site(
        &mut self,
        device: DeviceId,
        site: Option<SiteId>,
    ) -> Result<(), StoreError> {
        match site {
            Some(site) => self.c().run(
                "INSERT INTO device_sites (device, site) VALUES ($1, $2)
                 ON CONFLICT (device) DO UPDATE SET site = excluded.site",
                &[&id(device.as_uuid()), &id(site.as_uuid())],
            )?,
            None => self.c().run(
                "DELETE FROM device_sites WHERE device = $1",
                &[&id(device.as_uuid())],
            )?,
        };
        Ok(())
    }

    fn insert_device(&mut self, d: &DeviceRecord) -> Result<(), StoreError> {
        self.c().run(
            "INSERT INTO devices (id, user_id, actor, token_hash, name, created_at, revoked)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            &[
                &id(d.id.as_uuid()),
                &id(d.user.as_uuid()),
                &d.actor.as_slice(),
                &d.token_hash.as_slice(),
                &d.name,
                &time(&d.created_at),
                &d.revoked,
            ],
        )?;
        Ok(())
    }

    fn device_by_token(
        &mut self,
        token_hash: &[u8; 32],
    ) -> Result<Option<DeviceRecord>, StoreError> {
        let row = self.c().opt(
            "SELECT id, user_id, actor, name, created_at, revoked, token_hash FROM devices
             WHERE token_hash = $1",
            &[&token_hash.as_slice()],
        )?;
        row.as_ref().map(device_of).transpose()
    }

    /// One statement: each request's authentication is a round trip to the
    /// database, not three.
    fn login_by_token(
        &mut self,
        token_hash: &[u8; 32],
    ) -> Result<Option<(DeviceRecord, UserRecord, Option<SiteId>)>, StoreError> {
        let row = self.c().opt(
            "SELECT d.id, d.user_id, d.actor, d.name, d.created_at, d.revoked, d.token_hash,
                    u.id, u.site, u.name, u.display_name, u.role, u.department, u.password_hash, u.active,
                    s.site
               FROM devices d JOIN users u ON u.id = d.user_id
               LEFT JOIN device_sites s ON s.device = d.id
              WHERE d.token_hash = $1",
            &[&token_hash.as_slice()],
        )?;
        let Some(r) = row else { return Ok(None) };
        let site = r
            .get::<_, Option<Vec<u8>>>(15)
            .map(|s| uuid_of(s).map(SiteId::from_uuid))
            .transpose()?;
        Ok(Some((device_of(&r)?, user_at(&r, 7)?, site)))
    }

    fn devices_of_actor(&mut self, actor: &[u8; 16]) -> Result<Vec<DeviceRecord>, StoreError> {
        self.devices_where("actor = $1", actor.as_slice())
    }

    fn devices_of_user(&mut self, user: UserId) -> Result<Vec<DeviceRecord>, StoreError> {
        self.devices_where("user_id = $1", id(user.as_uuid()))
    }

    fn renew_device(&mut self, d: &DeviceRecord) -> Result<(), StoreError> {
        let n = self.c().run(
            "UPDATE devices SET token_hash = $2, name = $3, created_at = $4, revoked = $5 WHERE id = $1",
            &[
                &id(d.id.as_uuid()),
                &d.token_hash.as_slice(),
                &d.name,
                &time(&d.created_at),
                &d.revoked,
            ],
        )?;
        if n == 0 {
            return Err(StoreError::Corrupt(format!("device {} vanished", d.id)));
        }
        Ok(())
    }

    fn revoke_user_devices(&mut self, user: UserId) -> Result<usize, StoreError> {
        Ok(self.c().run(
            "UPDATE devices SET revoked = TRUE WHERE user_id = $1 AND NOT revoked",
            &[&id(user.as_uuid())],
        )? as usize)
    }

    fn revoke_device(&mut self, device: DeviceId) -> Result<bool, StoreError> {
        Ok(self.c().run(
            "UPDATE devices SET revoked = TRUE WHERE id = $1 AND NOT revoked",
            &[&id(device.as_uuid())],
        )? > 0)
    }

    fn server_actor(&mut self) -> Result<[u8; 16], StoreError> {
        self.meta_once("actor", || shared::ids::fresh().into_bytes())
    }

    fn meta(&mut self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .c()
            .opt("SELECT value FROM meta WHERE key = $1", &[&key])?
            .map(|r| r.get(0)))
    }

    fn put_meta(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.c().run(
            "INSERT INTO meta (key, value) VALUES ($1, $2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&key, &value],
        )?;
        Ok(())
    }

    fn site_secret(&mut self, site: SiteId) -> Result<[u8; 32], StoreError> {
        self.meta_once(&format!("webhook_secret:{site}"), rand::random)
    }

    fn doc(&mut self, doc: DocId) -> Result<Option<StoredDoc>, StoreError> {
        Ok(self.docs(&[doc])?.remove(&doc))
    }

    fn doc_heads(&mut self, docs: &[DocId]) -> Result<HashMap<DocId, DocHead>, StoreError> {
        Ok(self
            .doc_rows(docs, false)?
            .into_iter()
            .map(|(id, (head, _))| (id, head))
            .collect())
    }

    fn docs(&mut self, docs: &[DocId]) -> Result<HashMap<DocId, StoredDoc>, StoreError> {
        Ok(self
            .doc_rows(docs, true)?
            .into_iter()
            .map(|(id, (head, bytes))| {
                let doc = StoredDoc {
                    kind: head.kind,
                    site: head.site,
                    bytes: bytes.unwrap_or_default(),
                    heads: head.heads,
                    seq: head.seq,
                };
                (id, doc)
            })
            .collect())
    }

    fn put_doc(
        &mut self,
        doc: DocId,
        kind: DocKind,
        site: SiteId,
        bytes: &[u8],
        heads: &[u8],
    ) -> Result<u64, StoreError> {
        // Writers take turns (the lock taken at `begin`), so the next number
        // is one past the last committed.
        let seq: i64 = self
            .c()
            .one("SELECT COALESCE(MAX(seq), 0) + 1 FROM docs", &[])?
            .get(0);
        self.c().run(
            "INSERT INTO docs (id, kind, site, bytes, heads, seq) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (id) DO UPDATE SET bytes = excluded.bytes, heads = excluded.heads, seq = excluded.seq",
            &[
                &id(doc.as_uuid()),
                &kind.code(),
                &id(site.as_uuid()),
                &bytes,
                &heads,
                &seq,
            ],
        )?;
        Ok(seq as u64)
    }

    fn changed_since(
        &mut self,
        sites: &[SiteId],
        cursor: u64,
        max: usize,
    ) -> Result<Vec<(DocId, DocKind, u64)>, StoreError> {
        let rows = self.c().rows(
            "SELECT id, kind, seq FROM docs WHERE seq > $1 AND site = ANY($2) ORDER BY seq LIMIT $3",
            &[&(cursor as i64), &ids(sites), &limit(max)],
        )?;
        rows.iter()
            .map(|r| {
                Ok((
                    DocId::from_uuid(uuid_of(r.get(0))?),
                    doc_kind(r.get(1))?,
                    r.get::<_, i64>(2) as u64,
                ))
            })
            .collect()
    }

    fn max_seq(&mut self) -> Result<u64, StoreError> {
        let seq: i64 = self
            .c()
            .one("SELECT COALESCE(MAX(seq), 0) FROM docs", &[])?
            .get(0);
        Ok(seq as u64)
    }

    fn sync_states(
        &mut self,
        device: DeviceId,
        docs: &[DocId],
    ) -> Result<HashMap<DocId, StoredState>, StoreError> {
        if docs.is_empty() {
            return Ok(HashMap::new());
        }
        let rows = self.c().rows(
            "SELECT doc, state, pending FROM sync_states WHERE device = $1 AND doc = ANY($2)",
            &[&id(device.as_uuid()), &doc_ids(docs)],
        )?;
        rows.iter()
            .map(|r| {
                Ok((
                    DocId::from_uuid(uuid_of(r.get(0))?),
                    StoredState {
                        state: r.get(1),
                        pending: r.get(2),
                    },
                ))
            })
            .collect()
    }

    /// One statement for the lot (`UNNEST` of the columns' arrays).
    fn put_sync_states(
        &mut self,
        device: DeviceId,
        states: &[(DocId, StoredState)],
    ) -> Result<(), StoreError> {
        if states.is_empty() {
            return Ok(());
        }
        debug_assert!(
            states.len()
                == states
                    .iter()
                    .map(|(d, _)| d)
                    .collect::<std::collections::HashSet<_>>()
                    .len(),
            "a document appears once in a batch"
        );
        let docs: Vec<DocId> = states.iter().map(|(d, _)| *d).collect();
        let bytes: Vec<&[u8]> = states.iter().map(|(_, s)| s.state.as_slice()).collect();
        let pending: Vec<bool> = states.iter().map(|(_, s)| s.pending).collect();
        self.c().run(
            "INSERT INTO sync_states (device, doc, state, pending)
             SELECT $1, t.doc, t.state, t.pending FROM UNNEST($2::bytea[], $3::bytea[], $4::bool[]) AS t(doc, state, pending)
             ON CONFLICT (device, doc) DO UPDATE SET state = excluded.state, pending = excluded.pending",
            &[&id(device.as_uuid()), &doc_ids(&docs), &bytes, &pending],
        )?;
        Ok(())
    }

    fn pending_docs(
        &mut self,
        device: DeviceId,
        max: usize,
    ) -> Result<Vec<(DocId, DocKind)>, StoreError> {
        let rows = self.c().rows(
            "SELECT s.doc, d.kind FROM sync_states s JOIN docs d ON d.id = s.doc
             WHERE s.device = $1 AND s.pending LIMIT $2",
            &[&id(device.as_uuid()), &limit(max)],
        )?;
        let mut out = Vec::new();
        for r in &rows {
            if let Some(kind) = DocKind::parse(r.get(1)) {
                out.push((DocId::from_uuid(uuid_of(r.get(0))?), kind));
            }
        }
        Ok(out)
    }

    fn put_issue(&mut self, s: &IssueSummary) -> Result<(), StoreError> {
        self.c().run(
            "INSERT INTO issues (id, site, zone, status, grade, category, assignee, deadline, raised_at, summary,
                waiting, awaiting_callback, checkpoint, last_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (id) DO UPDATE SET zone = excluded.zone, status = excluded.status, grade = excluded.grade,
                category = excluded.category, assignee = excluded.assignee, deadline = excluded.deadline,
                summary = excluded.summary, waiting = excluded.waiting,
                awaiting_callback = excluded.awaiting_callback, checkpoint = excluded.checkpoint,
                last_at = excluded.last_at",
            &[
                &id(s.id.as_uuid()),
                &id(s.site.as_uuid()),
                &s.zone.map(|z| z.as_uuid().as_bytes().to_vec()),
                &s.status.code(),
                &s.grade.code(),
                &s.category.code(),
                &s.assignee,
                &s.deadline.as_ref().map(time),
                &time(&s.raised_at),
                &serde_json::to_string(s).expect("summary"),
                &s.is_waiting(),
                &s.awaiting_callback,
                &s.checkpoint,
                &time(&s.last_at()),
            ],
        )?;
        Ok(())
    }

    fn issue_summary(&mut self, issue: IssueId) -> Result<Option<IssueSummary>, StoreError> {
        let row = self.c().opt(
            "SELECT summary FROM issues WHERE id = $1",
            &[&id(issue.as_uuid())],
        )?;
        row.map(|r| json(r.get::<_, &str>(0))).transpose()
    }

    fn issues_at(
        &mut self,
        site: SiteId,
        checkpoint: &str,
        category: shared::Category,
        raised: std::ops::RangeInclusive<DateTime<Utc>>,
        but: Option<IssueId>,
        max: usize,
    ) -> Result<Vec<IssueSummary>, StoreError> {
        let rows = self.c().rows(
            "SELECT summary FROM issues
             WHERE site = $1 AND checkpoint IS NOT NULL AND checkpoint = $2 AND category = $3
               AND raised_at >= $4 AND raised_at <= $5 AND status != $6
               AND ($7::bytea IS NULL OR id != $7)
             ORDER BY raised_at DESC LIMIT $8",
            &[
                &id(site.as_uuid()),
                &checkpoint,
                &category.code(),
                &time(raised.start()),
                &time(raised.end()),
                &shared::Status::Cancelled.code(),
                &but.map(|b| b.as_uuid().as_bytes().to_vec()),
                &limit(max),
            ],
        )?;
        jsons::<IssueSummary>(rows)
    }

    fn list_issues(&mut self, q: &IssueQuery) -> Result<Vec<IssueSummary>, StoreError> {
        let rows = self.c().rows(
            "SELECT summary FROM issues WHERE site = ANY($8)
               AND ($1::bytea IS NULL OR zone = $1) AND ($2::text IS NULL OR status = $2)
               AND ($3::text IS NULL OR grade = $3) AND ($4::text IS NULL OR category = $4)
               AND ($5::text IS NULL OR assignee = $5)
               AND ($6::text IS NULL OR (status IN ('recorded', 'assigned') AND deadline IS NOT NULL
                    AND deadline < $6))
               AND ($7::boolean IS NULL OR awaiting_callback = $7)
               AND ($9::text IS NULL OR status NOT IN ('verified', 'cancelled') OR last_at IS NULL
                    OR last_at >= $9 OR deadline >= $9)
               AND ($10::text IS NULL OR raised_at < $10)
             ORDER BY raised_at DESC LIMIT $11",
            &[
                &q.zone.map(|z| z.as_uuid().as_bytes().to_vec()),
                &q.status.map(|s| s.code()),
                &q.grade.map(|g| g.code()),
                &q.category.map(|c| c.code()),
                &q.assignee,
                &q.overdue_at.as_ref().map(time),
                &q.awaiting_callback,
                &ids(&q.sites),
                &q.touched_since.as_ref().map(time),
                &q.raised_before.as_ref().map(time),
                &(q.limit > 0).then(|| limit(q.limit)),
            ],
        )?;
        let now = Utc::now();
        let mut out = jsons::<IssueSummary>(rows)?;
        for s in &mut out {
            s.overdue = matches!(
                s.status,
                shared::Status::Recorded | shared::Status::Assigned
            ) && s.deadline.is_some_and(|d| d < now);
        }
        Ok(out)
    }

    fn count_issues(&mut self) -> Result<u64, StoreError> {
        let n: i64 = self.c().one("SELECT count(*) FROM issues", &[])?.get(0);
        Ok(n as u64)
    }

    fn put_patrol(&mut self, v: &PatrolRunView) -> Result<(), StoreError> {
        let fails: usize = v.results.iter().map(|r| r.failed_items().count()).sum();
        self.c().run(
            "INSERT INTO patrol_runs (id, site, route, inspector, started_at, finished_at, results, fails, view)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (id) DO UPDATE SET finished_at = excluded.finished_at, results = excluded.results,
                fails = excluded.fails, view = excluded.view",
            &[
                &id(v.run.id.as_uuid()),
                &id(v.run.site.as_uuid()),
                &v.run.route_code.as_str(),
                &v.run.inspector_name,
                &time(&v.run.started_at),
                &v.finished_at.as_ref().map(time),
                &(v.results.len() as i64),
                &(fails as i64),
                &serde_json::to_string(v).expect("patrol"),
            ],
        )?;
        Ok(())
    }

    fn due_issues(&mut self, before: DateTime<Utc>) -> Result<Vec<IssueSummary>, StoreError> {
        let rows = self.c().rows(
            "SELECT summary FROM issues
             WHERE status IN ('recorded', 'assigned') AND deadline IS NOT NULL AND deadline < $1
             ORDER BY deadline",
            &[&time(&before)],
        )?;
        jsons::<IssueSummary>(rows)
    }

    fn waiting_issues(&mut self) -> Result<Vec<IssueSummary>, StoreError> {
        jsons::<IssueSummary>(
            self.c()
                .rows("SELECT summary FROM issues WHERE waiting", &[])?,
        )
    }

    fn insert_notification(&mut self, n: &Notification) -> Result<bool, StoreError> {
        Ok(self.c().run(
            "INSERT INTO notifications (id, recipient, created_ms, json, announced)
             VALUES ($1, $2, $3, $4, FALSE) ON CONFLICT DO NOTHING",
            &[
                &id(&n.id),
                &id(n.recipient.as_uuid()),
                &n.created_at.timestamp_millis(),
                &serde_json::to_string(n).expect("notification"),
            ],
        )? == 1)
    }

    fn unannounced_notifications(&mut self, max: usize) -> Result<Vec<Notification>, StoreError> {
        jsons(self.c().rows(
            "SELECT json FROM notifications WHERE NOT announced ORDER BY created_ms LIMIT $1",
            &[&limit(max)],
        )?)
    }

    fn mark_announced(&mut self, list: &[uuid::Uuid]) -> Result<(), StoreError> {
        let list: Vec<&[u8]> = list.iter().map(id).collect();
        self.c().run(
            "UPDATE notifications SET announced = TRUE WHERE id = ANY($1)",
            &[&list],
        )?;
        Ok(())
    }

    fn notifications_for(
        &mut self,
        user: UserId,
        after_ms: i64,
        max: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        jsons(self.c().rows(
            "SELECT json FROM notifications WHERE recipient = $1 AND created_ms > $2
             ORDER BY created_ms DESC LIMIT $3",
            &[&id(user.as_uuid()), &after_ms, &limit(max)],
        )?)
    }

    fn queue_webhook(
        &mut self,
        delivery: uuid::Uuid,
        body: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(self.c().run(
            "INSERT INTO webhook_deliveries (id, json, next_attempt_ms) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
            &[&id(&delivery), &body, &at.timestamp_millis()],
        )? == 1)
    }

    fn due_webhooks(
        &mut self,
        now: DateTime<Utc>,
        max: usize,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        let rows = self.c().rows(
            "SELECT id, json, attempts FROM webhook_deliveries
             WHERE delivered_ms IS NULL AND next_attempt_ms <= $1
             ORDER BY next_attempt_ms LIMIT $2",
            &[&now.timestamp_millis(), &limit(max)],
        )?;
        rows.iter()
            .map(|r| {
                Ok(WebhookDelivery {
                    id: uuid_of(r.get(0))?,
                    body: r.get(1),
                    attempts: u32::try_from(r.get::<_, i64>(2)).unwrap_or(u32::MAX),
                })
            })
            .collect()
    }

    fn take_lease(
        &mut self,
        job: &str,
        holder: &str,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(self.c().run(
            "INSERT INTO job_leases (job, holder, until_ms) VALUES ($1, $2, $3)
             ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms
             WHERE job_leases.holder = excluded.holder OR job_leases.until_ms <= $4",
            &[
                &job,
                &holder,
                &until.timestamp_millis(),
                &now.timestamp_millis(),
            ],
        )? == 1)
    }

    fn queue_depths(&mut self) -> Result<QueueDepths, StoreError> {
        let r = self.c().one(
            "SELECT (SELECT count(*) FROM webhook_deliveries
                      WHERE delivered_ms IS NULL AND next_attempt_ms < $1),
                    (SELECT count(*) FROM sync_states WHERE pending)",
            &[&i64::MAX],
        )?;
        Ok(QueueDepths {
            webhooks: r.get::<_, i64>(0) as u64,
            unacknowledged: r.get::<_, i64>(1) as u64,
        })
    }

    fn webhook_attempted(
        &mut self,
        delivery: uuid::Uuid,
        attempts: u32,
        outcome: Result<DateTime<Utc>, (String, Option<DateTime<Utc>>)>,
    ) -> Result<(), StoreError> {
        let (delivered, next, error) = match outcome {
            Ok(at) => (Some(at.timestamp_millis()), None, None),
            Err((e, next)) => (None, next.map(|t| t.timestamp_millis()), Some(e)),
        };
        self.c().run(
            "UPDATE webhook_deliveries SET attempts = $2, delivered_ms = $3,
                next_attempt_ms = COALESCE($4::bigint, $5::bigint), last_error = $6 WHERE id = $1",
            &[
                &id(&delivery),
                &i64::from(attempts),
                &delivered,
                &next,
                &i64::MAX,
                &error,
            ],
        )?;
        Ok(())
    }

    fn put_root_cause(&mut self, r: &RootCause) -> Result<(), StoreError> {
        self.put_root_cause_row(r)?;
        let mut next: i64 = self
            .c()
            .one(
                "SELECT coalesce(max(n) + 1, 0) FROM root_cause_issues WHERE record = $1",
                &[&id(&r.id)],
            )?
            .get(0);
        for issue in &r.issues {
            next += self.c().run(
                "INSERT INTO root_cause_issues (record, n, issue) VALUES ($1, $2, $3)
                 ON CONFLICT DO NOTHING",
                &[&id(&r.id), &next, &id(issue.as_uuid())],
            )? as i64;
        }
        Ok(())
    }

    fn join_root_cause(&mut self, r: &RootCause, issue: IssueId) -> Result<(), StoreError> {
        self.put_root_cause_row(r)?;
        self.c().run(
            "INSERT INTO root_cause_issues (record, n, issue)
             SELECT $1::bytea, coalesce(max(n) + 1, 0), $2::bytea FROM root_cause_issues
              WHERE record = $1::bytea
             ON CONFLICT DO NOTHING",
            &[&id(&r.id), &id(issue.as_uuid())],
        )?;
        Ok(())
    }

    fn on_root_cause(&mut self, issue: IssueId) -> Result<bool, StoreError> {
        Ok(self
            .c()
            .opt(
                "SELECT 1 FROM root_cause_issues WHERE issue = $1 LIMIT 1",
                &[&id(issue.as_uuid())],
            )?
            .is_some())
    }

    fn root_cause_head_at(
        &mut self,
        site: SiteId,
        checkpoint: &str,
        category: shared::Category,
    ) -> Result<Option<RootCause>, StoreError> {
        let Some(row) = self.c().opt(
            "SELECT json FROM root_causes
             WHERE site = $1 AND checkpoint = $2 AND category = $3 AND NOT effective
             ORDER BY updated_ms DESC LIMIT 1",
            &[&id(site.as_uuid()), &checkpoint, &category.code()],
        )?
        else {
            return Ok(None);
        };
        let mut r = json::<RootCause>(row.get(0)).map(RootCause::upgraded)?;
        r.issues.clear();
        Ok(Some(r))
    }

    fn root_causes(&mut self, site: SiteId) -> Result<Vec<RootCause>, StoreError> {
        let mut issues = HashMap::<Vec<u8>, Vec<IssueId>>::new();
        for row in self.c().rows(
            "SELECT m.record, m.issue FROM root_cause_issues m
             JOIN root_causes r ON r.id = m.record
             WHERE r.site = $1 ORDER BY m.record, m.n",
            &[&id(site.as_uuid())],
        )? {
            issues
                .entry(row.get(0))
                .or_default()
                .push(IssueId::from_uuid(uuid_of(row.get(1))?));
        }
        let rows = self.c().rows(
            "SELECT json FROM root_causes WHERE site = $1 ORDER BY updated_ms DESC",
            &[&id(site.as_uuid())],
        )?;
        rows.iter()
            .map(|r| {
                let mut record = json::<RootCause>(r.get(0)).map(RootCause::upgraded)?;
                record.issues = issues
                    .remove(record.id.as_bytes().as_slice())
                    .unwrap_or_default();
                Ok(record)
            })
            .collect()
    }

    fn root_cause(&mut self, record: uuid::Uuid) -> Result<Option<RootCause>, StoreError> {
        let Some(row) = self.c().opt(
            "SELECT json FROM root_causes WHERE id = $1",
            &[&id(&record)],
        )?
        else {
            return Ok(None);
        };
        let mut out = json::<RootCause>(row.get(0)).map(RootCause::upgraded)?;
        out.issues = self
            .c()
            .rows(
                "SELECT issue FROM root_cause_issues WHERE record = $1 ORDER BY n",
                &[&id(&record)],
            )?
            .iter()
            .map(|r| Ok(IssueId::from_uuid(uuid_of(r.get(0))?)))
            .collect::<Result<_, StoreError>>()?;
        Ok(Some(out))
    }

    fn list_patrols(
        &mut self,
        site: SiteId,
        since: DateTime<Utc>,
        max: usize,
    ) -> Result<Vec<PatrolRunView>, StoreError> {
        jsons(self.c().rows(
            "SELECT view FROM patrol_runs WHERE site = $1 AND started_at >= $2
             ORDER BY started_at DESC LIMIT $3",
            &[&id(site.as_uuid()), &time(&since), &limit(max)],
        )?)
    }

    fn put_receipt(
        &mut self,
        entry: uuid::Uuid,
        doc: DocId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        Ok(self.c().run(
            "INSERT INTO receipts (entry, doc, received_at_ms) VALUES ($1, $2, $3)
             ON CONFLICT (entry) DO NOTHING",
            &[&id(&entry), &id(doc.as_uuid()), &at.timestamp_millis()],
        )? > 0)
    }

    fn act_as(&mut self, by: crate::ledger::Author) {
        self.acting = by;
    }

    fn acting(&self) -> crate::ledger::Author {
        self.acting.clone()
    }

    fn ledger_head(&mut self, site: SiteId) -> Result<Option<(u64, String)>, StoreError> {
        Ok(self
            .c()
            .opt(
                "SELECT n, hash FROM ledger WHERE site = $1 ORDER BY n DESC LIMIT 1",
                &[&id(site.as_uuid())],
            )?
            .map(|r| (r.get::<_, i64>(0) as u64, r.get(1))))
    }

    fn append_ledger(&mut self, e: &crate::ledger::LedgerEntry) -> Result<(), StoreError> {
        self.c().run(
            &format!(
                "INSERT INTO ledger ({LEDGER_COLS})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)"
            ),
            &[
                &id(e.site.as_uuid()),
                &(e.n as i64),
                &e.at.timestamp_millis(),
                &e.kind,
                &e.subject,
                &e.entry,
                &e.what,
                &e.author,
                &e.role,
                &e.device,
                &e.content,
                &e.prev,
                &e.hash,
            ],
        )?;
        Ok(())
    }

    fn ledger_page(
        &mut self,
        site: SiteId,
        after_n: u64,
        max: usize,
    ) -> Result<Vec<crate::ledger::LedgerEntry>, StoreError> {
        let rows = self.c().rows(
            &format!(
                "SELECT {LEDGER_COLS} FROM ledger WHERE site = $1 AND n > $2 ORDER BY n LIMIT $3"
            ),
            &[&id(site.as_uuid()), &(after_n as i64), &limit(max)],
        )?;
        rows.iter().map(ledger_of).collect()
    }

    fn ledger_between(
        &mut self,
        site: SiteId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<crate::ledger::LedgerEntry>, StoreError> {
        let rows = self.c().rows(
            &format!(
                "SELECT {LEDGER_COLS} FROM ledger WHERE site = $1 AND at_ms >= $2 AND at_ms < $3 ORDER BY n"
            ),
            &[
                &id(site.as_uuid()),
                &from.timestamp_millis(),
                &to.timestamp_millis(),
            ],
        )?;
        rows.iter().map(ledger_of).collect()
    }

    fn put_survey(&mut self, v: &shared::survey::Survey) -> Result<bool, StoreError> {
        Ok(self.c().run(
            "INSERT INTO surveys (id, site, taken_at_ms, json) VALUES ($1, $2, $3, $4)
             ON CONFLICT DO NOTHING",
            &[
                &id(&v.input.id),
                &id(v.site.as_uuid()),
                &v.input.taken_at.timestamp_millis(),
                &serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            ],
        )? == 1)
    }

    fn survey(&mut self, survey: uuid::Uuid) -> Result<Option<shared::survey::Survey>, StoreError> {
        let row = self
            .c()
            .opt("SELECT json FROM surveys WHERE id = $1", &[&id(&survey)])?;
        row.map(|r| json(r.get::<_, &str>(0))).transpose()
    }

    fn surveys_between(
        &mut self,
        site: SiteId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<shared::survey::Survey>, StoreError> {
        jsons(self.c().rows(
            "SELECT json FROM surveys WHERE site = $1 AND taken_at_ms >= $2 AND taken_at_ms < $3
             ORDER BY taken_at_ms, id",
            &[
                &id(site.as_uuid()),
                &from.timestamp_millis(),
                &to.timestamp_millis(),
            ],
        )?)
    }

    fn put_equipment(
        &mut self,
        site: SiteId,
        e: &shared::equipment::Equipment,
    ) -> Result<(), StoreError> {
        self.c().run(
            "INSERT INTO equipment (site, code, json) VALUES ($1, $2, $3)
             ON CONFLICT (site, code) DO UPDATE SET json = excluded.json",
            &[
                &id(site.as_uuid()),
                &e.code.as_str(),
                &serde_json::to_string(e).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            ],
        )?;
        Ok(())
    }

    fn equipment(
        &mut self,
        site: SiteId,
        code: &str,
    ) -> Result<Option<shared::equipment::Equipment>, StoreError> {
        let row = self.c().opt(
            "SELECT json FROM equipment WHERE site = $1 AND code = $2",
            &[&id(site.as_uuid()), &code],
        )?;
        row.map(|r| json(r.get::<_, &str>(0))).transpose()
    }

    fn equipment_of(
        &mut self,
        site: SiteId,
    ) -> Result<Vec<shared::equipment::Equipment>, StoreError> {
        jsons(self.c().rows(
            "SELECT json FROM equipment WHERE site = $1 ORDER BY code",
            &[&id(site.as_uuid())],
        )?)
    }

    fn put_monthly_report(
        &mut self,
        site: SiteId,
        info: &shared::wire::MonthlyReportInfo,
        pdf: &[u8],
        xlsx: &[u8],
    ) -> Result<bool, StoreError> {
        Ok(self.c().run(
            "INSERT INTO monthly_reports
             (site, period, generated_at_ms, ledger_entry, ledger_head, pdf, xlsx)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
            &[
                &id(site.as_uuid()),
                &info.period,
                &info.generated_at.timestamp_millis(),
                &info.ledger_entry.map(|n| n as i64),
                &info.ledger_head,
                &pdf,
                &xlsx,
            ],
        )? == 1)
    }

    fn has_monthly_report(&mut self, site: SiteId, period: &str) -> Result<bool, StoreError> {
        Ok(self
            .c()
            .opt(
                "SELECT 1 FROM monthly_reports WHERE site = $1 AND period = $2",
                &[&id(site.as_uuid()), &period],
            )?
            .is_some())
    }

    fn monthly_reports(
        &mut self,
        site: SiteId,
    ) -> Result<Vec<shared::wire::MonthlyReportInfo>, StoreError> {
        let rows = self.c().rows(
            "SELECT period, generated_at_ms, ledger_entry, ledger_head,
                    octet_length(pdf)::bigint, octet_length(xlsx)::bigint
             FROM monthly_reports WHERE site = $1 ORDER BY period DESC",
            &[&id(site.as_uuid())],
        )?;
        Ok(rows
            .iter()
            .map(|r| shared::wire::MonthlyReportInfo {
                period: r.get(0),
                generated_at: DateTime::from_timestamp_millis(r.get(1)).unwrap_or_default(),
                ledger_entry: r.get::<_, Option<i64>>(2).map(|n| n as u64),
                ledger_head: r.get(3),
                pdf_bytes: r.get::<_, i64>(4) as u64,
                xlsx_bytes: r.get::<_, i64>(5) as u64,
            })
            .collect())
    }

    fn monthly_report_file(
        &mut self,
        site: SiteId,
        period: &str,
        xlsx: bool,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let sql = if xlsx {
            "SELECT xlsx FROM monthly_reports WHERE site = $1 AND period = $2"
        } else {
            "SELECT pdf FROM monthly_reports WHERE site = $1 AND period = $2"
        };
        Ok(self
            .c()
            .opt(sql, &[&id(site.as_uuid()), &period])?
            .map(|r| r.get(0)))
    }

    fn receipts_of(&mut self, docs: &[DocId]) -> Result<Vec<Receipt>, StoreError> {
        if docs.is_empty() {
            return Ok(Vec::new());
        }
        let rows = self.c().rows(
            "SELECT entry, received_at_ms FROM receipts WHERE doc = ANY($1)",
            &[&doc_ids(docs)],
        )?;
        rows.iter()
            .map(|r| {
                Ok(Receipt {
                    entry: uuid_of(r.get(0))?,
                    received_at_ms: r.get(1),
                })
            })
            .collect()
    }

    fn put_photo_refs(
        &mut self,
        doc: DocId,
        site: SiteId,
        hashes: &[&str],
    ) -> Result<(), StoreError> {
        for h in hashes {
            self.c().run(
                "INSERT INTO photo_refs (hash, doc, site) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[h, &id(doc.as_uuid()), &id(site.as_uuid())],
            )?;
        }
        Ok(())
    }

    fn photo_refs(&mut self, hash: &str) -> Result<Vec<(DocId, SiteId)>, StoreError> {
        let rows = self
            .c()
            .rows("SELECT doc, site FROM photo_refs WHERE hash = $1", &[&hash])?;
        rows.iter()
            .map(|r| {
                Ok((
                    DocId::from_uuid(uuid_of(r.get(0))?),
                    SiteId::from_uuid(uuid_of(r.get(1))?),
                ))
            })
            .collect()
    }

    fn put_contact(
        &mut self,
        issue: IssueId,
        site: SiteId,
        contact: &str,
        at: DateTime<Utc>,
    ) -> Result<(String, DateTime<Utc>), StoreError> {
        if let Some(kept) = self.contact(issue)? {
            return Ok(kept);
        }
        self.c().run(
            "INSERT INTO complaint_contacts (issue, site, contact, received_ms) VALUES ($1, $2, $3, $4)",
            &[
                &id(issue.as_uuid()),
                &id(site.as_uuid()),
                &contact,
                &at.timestamp_millis(),
            ],
        )?;
        Ok((contact.to_string(), at))
    }

    fn contact(&mut self, issue: IssueId) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        Ok(self
            .c()
            .opt(
                "SELECT contact, received_ms FROM complaint_contacts WHERE issue = $1",
                &[&id(issue.as_uuid())],
            )?
            .map(|r| (r.get(0), millis(r.get(1)))))
    }

    fn contacts_after(
        &mut self,
        sites: &[SiteId],
        after: Option<(i64, IssueId)>,
        max: usize,
    ) -> Result<Vec<shared::wire::ComplaintContact>, StoreError> {
        let (after_ms, after_issue) = after
            .map(|(ms, issue)| (ms, issue.as_uuid().as_bytes().to_vec()))
            .unwrap_or((i64::MIN, Vec::new()));
        let rows = self.c().rows(
            "SELECT issue, contact, received_ms FROM complaint_contacts
             WHERE site = ANY($1) AND (received_ms, issue) > ($2::bigint, $3::bytea)
             ORDER BY received_ms, issue LIMIT $4",
            &[&ids(sites), &after_ms, &after_issue, &limit(max)],
        )?;
        rows.iter()
            .map(|r| {
                let issue = uuid::Uuid::from_slice(r.get(0)).map_err(|e| {
                    StoreError::Corrupt(format!("bad issue id in complaint_contacts: {e}"))
                })?;
                Ok(shared::wire::ComplaintContact {
                    issue: IssueId::from_uuid(issue),
                    contact: r.get(1),
                    received_at: millis(r.get(2)),
                })
            })
            .collect()
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        if self.c().failed {
            return Err(StoreError::Conflict(
                "a statement of this transaction failed; it was rolled back".into(),
            ));
        }
        self.c().client.batch_execute("COMMIT")?;
        self.done = true;
        Ok(())
    }
}

/// Copies an embedded installation's database (`dir/server.sqlite3`) into
/// an empty PostgreSQL database: every table, in one transaction, each row's
/// values converted to the column's type here; then every table's rows are
/// counted on both sides and every document's bytes compared. Returns each
/// table's row count. The SQLite file is only read.
pub fn import_sqlite(dir: &Path, url: &str) -> Result<Vec<(&'static str, u64)>, StoreError> {
    use rusqlite::types::Value;
    use sha2::{Digest, Sha256};
    if !dir.join("server.sqlite3").exists() {
        return Err(StoreError::Conflict(format!(
            "there is no database in {}",
            dir.display()
        )));
    }
    // Brings the file's schema up to date first (as the server would).
    drop(crate::sqlite::SqliteStore::open(dir)?);
    let from = rusqlite::Connection::open_with_flags(
        dir.join("server.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let store = PgStore::open(url)?;
    let mut conn = store.take()?;
    let mut tx = conn.client.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&WRITER_LOCK])?;
    for table in ["sites", "docs", "ledger"] {
        let n: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])?
            .get(0);
        if n > 0 {
            return Err(StoreError::Conflict(format!(
                "the target database already holds data ({n} row(s) in {table}); \
                 migrate into an empty database"
            )));
        }
    }
    let from_read = from.unchecked_transaction()?;
    let mut counts = Vec::new();
    for &table in TABLES {
        let columns: Vec<(String, String)> = tx
            .query(
                "SELECT column_name::text, data_type::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                &[&table],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        let names: Vec<&str> = columns.iter().map(|(n, _)| n.as_str()).collect();
        let insert = tx.prepare(&format!(
            "INSERT INTO {table} ({}) VALUES ({})",
            names.join(", "),
            (1..=names.len())
                .map(|i| format!("${i}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
        let mut select = from_read.prepare(&format!("SELECT {} FROM {table}", names.join(", ")))?;
        let mut rows = select.query([])?;
        let mut n = 0u64;
        while let Some(row) = rows.next()? {
            let mut values: Vec<Box<dyn ToSql + Sync>> = Vec::with_capacity(columns.len());
            for (i, (name, ty)) in columns.iter().enumerate() {
                let v: Value = row.get(i)?;
                let bad = || {
                    StoreError::Corrupt(format!(
                        "{table}.{name} holds a value that is not {ty}: {v:?}"
                    ))
                };
                values.push(match (ty.as_str(), &v) {
                    ("bytea", Value::Null) => Box::new(None::<Vec<u8>>),
                    ("bytea", Value::Blob(b)) => Box::new(b.clone()),
                    ("text", Value::Null) => Box::new(None::<String>),
                    ("text", Value::Text(s)) => Box::new(s.clone()),
                    ("bigint", Value::Null) => Box::new(None::<i64>),
                    ("bigint", Value::Integer(i)) => Box::new(*i),
                    ("boolean", Value::Null) => Box::new(None::<bool>),
                    ("boolean", Value::Integer(i)) => Box::new(*i != 0),
                    _ => return Err(bad()),
                });
            }
            let params: Vec<&(dyn ToSql + Sync)> = values.iter().map(|b| b.as_ref()).collect();
            tx.execute(&insert, &params)?;
            n += 1;
        }
        let copied: i64 = tx
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])?
            .get(0);
        if copied as u64 != n {
            return Err(StoreError::Corrupt(format!(
                "{table}: {n} row(s) read, {copied} in the target"
            )));
        }
        counts.push((table, n));
    }
    // Every document's bytes, read back from the target, hash the same.
    let mut source = Sha256::new();
    let mut stmt = from_read.prepare("SELECT id, bytes, seq FROM docs ORDER BY id")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        source.update(r.get::<_, Vec<u8>>(0)?);
        source.update(r.get::<_, Vec<u8>>(1)?);
        source.update(r.get::<_, i64>(2)?.to_le_bytes());
    }
    let mut target = Sha256::new();
    for r in tx.query("SELECT id, bytes, seq FROM docs ORDER BY id", &[])? {
        target.update(r.get::<_, Vec<u8>>(0));
        target.update(r.get::<_, Vec<u8>>(1));
        target.update(r.get::<_, i64>(2).to_le_bytes());
    }
    if source.finalize() != target.finalize() {
        return Err(StoreError::Corrupt(
            "the documents read back from the target differ from the source".into(),
        ));
    }
    tx.commit()?;
    store.give_back(conn);
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The URL's own settings are read as libpq reads them (percent-decoded,
    /// a `+` kept), and taken out of what the driver parses.
    #[test]
    fn sslmode_and_sslrootcert_are_read_as_a_uri_and_taken_out() {
        let dir = tempfile::tempdir().unwrap();
        let ca = rcgen::generate_simple_self_signed(vec!["db.example".to_string()]).unwrap();
        let path = dir.path().join("ca+1 bundle.pem");
        std::fs::write(&path, ca.cert.pem()).unwrap();
        let encoded = path.display().to_string().replace(' ', "%20");
        let url = format!(
            "postgres://u@db.example/x?sslmode=verify-full&sslrootcert={encoded}&application_name=a"
        );
        let (config, tls) = settings(&url).expect("the CA file is found under its real name");
        assert!(matches!(tls, Tls::Verified(_)));
        assert_eq!(config.get_application_name(), Some("a"));

        let Err(e) = settings(&format!(
            "postgres://u@h/x?sslmode=require&sslrootcert={encoded}%FF"
        )) else {
            panic!("a value that is not UTF-8 is refused");
        };
        assert!(e.to_string().contains("sslrootcert"), "{e}");
        let (_, tls) = settings("postgres://u@h/x?sslmode=prefer").unwrap();
        assert!(matches!(tls, Tls::Clear));
    }
}
