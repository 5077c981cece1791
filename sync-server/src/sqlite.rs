//! The embedded SQLite store (default, zero configuration): one file in the data directory.

use crate::error::StoreError;
use crate::store::*;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};
use shared::codes::Role;
use shared::ids::*;
use shared::patrol::PatrolRunView;
use shared::plan::Site;
use shared::repeat::RootCause;
use shared::wire::{DocKind, IssueSummary, Notification, Receipt};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex, MutexGuard};

/// Migrations, append-only; `user_version` counts how many ran.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE sites (id BLOB PRIMARY KEY, code TEXT NOT NULL UNIQUE, json TEXT NOT NULL);
CREATE TABLE users (
    id BLOB PRIMARY KEY,
    site BLOB NOT NULL REFERENCES sites(id),
    name TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL,
    department TEXT,
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL
);
CREATE TABLE devices (
    id BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users(id),
    actor BLOB NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE docs (
    id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    site BLOB NOT NULL,
    bytes BLOB NOT NULL,
    heads BLOB NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX docs_by_seq ON docs(seq);
CREATE TABLE sync_states (
    device BLOB NOT NULL,
    doc BLOB NOT NULL,
    state BLOB NOT NULL,
    pending INTEGER NOT NULL,
    PRIMARY KEY (device, doc)
) WITHOUT ROWID;
CREATE INDEX sync_pending ON sync_states(device) WHERE pending = 1;
CREATE TABLE issues (
    id BLOB PRIMARY KEY,
    site BLOB NOT NULL,
    zone BLOB,
    status TEXT NOT NULL,
    grade TEXT NOT NULL,
    category TEXT NOT NULL,
    assignee TEXT,
    deadline TEXT,
    raised_at TEXT NOT NULL,
    summary TEXT NOT NULL
);
CREATE INDEX issues_by_site ON issues(site, raised_at);
CREATE TABLE patrol_runs (
    id BLOB PRIMARY KEY,
    site BLOB NOT NULL,
    route TEXT NOT NULL,
    inspector TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    results INTEGER NOT NULL,
    fails INTEGER NOT NULL,
    view TEXT NOT NULL
);
CREATE TABLE receipts (
    entry BLOB PRIMARY KEY,
    doc BLOB NOT NULL,
    received_at_ms INTEGER NOT NULL
);
CREATE INDEX receipts_by_doc ON receipts(doc);
"#,
    r#"
CREATE TABLE photo_refs (
    hash TEXT NOT NULL,
    doc BLOB NOT NULL,
    site BLOB NOT NULL,
    PRIMARY KEY (hash, doc)
) WITHOUT ROWID;
"#,
    r#"
CREATE INDEX patrol_runs_by_site ON patrol_runs(site, started_at);
"#,
    r#"
CREATE INDEX issues_by_deadline ON issues(deadline) WHERE status IN ('recorded', 'assigned');
CREATE TABLE notifications (
    id BLOB PRIMARY KEY,
    recipient BLOB NOT NULL,
    created_ms INTEGER NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX notifications_by_recipient ON notifications(recipient, created_ms);
CREATE TABLE webhook_deliveries (
    id BLOB PRIMARY KEY,
    json TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_ms INTEGER NOT NULL,
    delivered_ms INTEGER,
    last_error TEXT
);
CREATE INDEX webhook_due ON webhook_deliveries(next_attempt_ms) WHERE delivered_ms IS NULL;
CREATE TABLE root_causes (
    id BLOB PRIMARY KEY,
    site BLOB NOT NULL,
    updated_ms INTEGER NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX root_causes_by_site ON root_causes(site, updated_ms);
"#,
    r#"
CREATE INDEX devices_by_actor ON devices(actor);
CREATE INDEX devices_by_user ON devices(user_id, created_at);
"#,
    r#"
-- Complainants' full contacts, kept out of the documents every device of a site holds.
CREATE TABLE complaint_contacts (
    issue BLOB PRIMARY KEY,
    site BLOB NOT NULL,
    contact TEXT NOT NULL,
    received_ms INTEGER NOT NULL
);
CREATE INDEX complaint_contacts_by_site ON complaint_contacts(site, received_ms, issue);
"#,
    r#"
-- Issues someone must act on besides the assignee: rectified (to verify),
-- verified complaints (to call back), complaints not yet dispatched.
ALTER TABLE issues ADD COLUMN waiting INTEGER NOT NULL DEFAULT 0;
ALTER TABLE issues ADD COLUMN awaiting_callback INTEGER NOT NULL DEFAULT 0;
CREATE INDEX issues_waiting ON issues(site) WHERE waiting = 1;
-- Repeats are found by checkpoint and category.
ALTER TABLE issues ADD COLUMN checkpoint TEXT;
CREATE INDEX issues_by_checkpoint ON issues(site, checkpoint, category) WHERE checkpoint IS NOT NULL;
-- Notifications the job has not yet announced by webhook (rows made before
-- this were announced as they were made).
ALTER TABLE notifications ADD COLUMN announced INTEGER NOT NULL DEFAULT 1;
CREATE INDEX notifications_unannounced ON notifications(created_ms) WHERE announced = 0;
"#,
    r#"
-- The latest of an issue's raise, assignment, rectification and verification
-- times, so a period's figures read only the issues that can count in it
-- (filled by the re-projection of `sync::PROJECTION` 5).
ALTER TABLE issues ADD COLUMN last_at TEXT;
"#,
    r#"
-- Roles users hold at sites other than their home site, and the site a login
-- works at when it is not its user's home site.
CREATE TABLE memberships (
    user_id BLOB NOT NULL REFERENCES users(id),
    site BLOB NOT NULL REFERENCES sites(id),
    role TEXT NOT NULL,
    department TEXT,
    PRIMARY KEY (user_id, site)
) WITHOUT ROWID;
CREATE INDEX memberships_by_site ON memberships(site);
CREATE TABLE device_sites (
    device BLOB PRIMARY KEY REFERENCES devices(id),
    site BLOB NOT NULL REFERENCES sites(id)
) WITHOUT ROWID;
"#,
    r#"
-- The ledger (台账): every accepted change, a hash chain per site (see ledger.rs).
CREATE TABLE ledger (
    site BLOB NOT NULL,
    n INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
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
) WITHOUT ROWID;
CREATE INDEX ledger_by_time ON ledger(site, at_ms);
"#,
    r#"
-- Monthly quality reports as made by the job: one per site and month.
CREATE TABLE monthly_reports (
    site BLOB NOT NULL REFERENCES sites(id),
    period TEXT NOT NULL,
    generated_at_ms INTEGER NOT NULL,
    ledger_entry INTEGER,
    ledger_head TEXT,
    pdf BLOB NOT NULL,
    xlsx BLOB NOT NULL,
    PRIMARY KEY (site, period)
);
"#,
    r#"
-- Residents' satisfaction surveys (NPS, CSI), written once each.
CREATE TABLE surveys (
    id BLOB PRIMARY KEY,
    site BLOB NOT NULL REFERENCES sites(id),
    taken_at_ms INTEGER NOT NULL,
    json TEXT NOT NULL
);
CREATE INDEX surveys_by_time ON surveys(site, taken_at_ms);
"#,
    r#"
-- The equipment register (设施设备台账), one row per site and equipment code.
CREATE TABLE equipment (
    site BLOB NOT NULL REFERENCES sites(id),
    code TEXT NOT NULL,
    json TEXT NOT NULL,
    PRIMARY KEY (site, code)
);
"#,
    r#"
-- A root-cause record's issues, one row each in the order they joined, so an
-- issue joins a record without rewriting it (the record's JSON no longer
-- lists them); and the record's checkpoint, category and whether it is
-- judged effective, so a new issue finds the record it belongs to.
CREATE TABLE root_cause_issues (
    record BLOB NOT NULL,
    n INTEGER NOT NULL,
    issue BLOB NOT NULL,
    PRIMARY KEY (record, n)
) WITHOUT ROWID;
CREATE UNIQUE INDEX root_cause_issues_by_issue ON root_cause_issues(issue, record);
INSERT OR IGNORE INTO root_cause_issues (record, n, issue)
    SELECT r.id, j.key, unhex(replace(j.value, '-', ''))
    FROM root_causes r, json_each(r.json, '$.issues') j;
ALTER TABLE root_causes ADD COLUMN checkpoint TEXT;
ALTER TABLE root_causes ADD COLUMN category TEXT;
ALTER TABLE root_causes ADD COLUMN effective INTEGER NOT NULL DEFAULT 0;
UPDATE root_causes SET
    checkpoint = json_extract(json, '$.checkpoint'),
    category = json_extract(json, '$.category'),
    effective = coalesce(json_extract(json, '$.status') = 'effective', 0);
CREATE INDEX root_causes_at ON root_causes(site, checkpoint, category, updated_ms) WHERE effective = 0;
-- Repeats are looked for within a window of raise times.
DROP INDEX issues_by_checkpoint;
CREATE INDEX issues_by_checkpoint ON issues(site, checkpoint, category, raised_at) WHERE checkpoint IS NOT NULL;
"#,
    r#"
-- Which server process runs a scheduled job, until when.
CREATE TABLE job_leases (
    job TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until_ms INTEGER NOT NULL
) WITHOUT ROWID;
"#,
];

/// Statements kept prepared per connection. A sync round alone runs a few
/// dozen different ones, and parsing SQL costs more than running it.
const STATEMENTS: usize = 256;

/// `execute` and `query_row` through the connection's statement cache.
trait Cached {
    fn run<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize>;
    fn one<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>;
}

impl Cached for Connection {
    fn run<P: rusqlite::Params>(&self, sql: &str, params: P) -> rusqlite::Result<usize> {
        self.prepare_cached(sql)?.execute(params)
    }

    fn one<T, P, F>(&self, sql: &str, params: P, f: F) -> rusqlite::Result<T>
    where
        P: rusqlite::Params,
        F: FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    {
        self.prepare_cached(sql)?.query_row(params, f)
    }
}

/// The SQLite implementation of [`Store`]: one writer connection, and a pool of
/// read-only connections that see a snapshot each (WAL), so reads never wait
/// for a write in progress.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    readers: Mutex<Readers>,
    reader_free: Condvar,
    path: PathBuf,
}

/// Read connections opened so far, and those not in use.
#[derive(Default)]
struct Readers {
    open: usize,
    idle: Vec<Connection>,
}

/// Read connections at most; a reader past this waits for one to be returned.
const READERS: usize = 8;

/// A transaction's connection: the writer, or a pooled reader returned on drop.
enum Conn<'a> {
    Writer(MutexGuard<'a, Connection>),
    Reader(Option<Connection>, &'a SqliteStore),
}

impl std::ops::Deref for Conn<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        match self {
            Conn::Writer(g) => g,
            Conn::Reader(c, _) => c.as_ref().expect("a reader until dropped"),
        }
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if let Conn::Reader(c, store) = self
            && let Some(c) = c.take()
        {
            let mut r = store.readers.lock().unwrap_or_else(|p| p.into_inner());
            r.idle.push(c);
            store.reader_free.notify_one();
        }
    }
}

impl SqliteStore {
    /// Opens `dir/server.sqlite3`, creating and migrating it as needed.
    pub fn open(dir: &Path) -> Result<SqliteStore, StoreError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| StoreError::Corrupt(format!("cannot create {}: {e}", dir.display())))?;
        let path = dir.join("server.sqlite3");
        let mut conn = Connection::open(&path)?;
        conn.set_prepared_statement_cache_capacity(STATEMENTS);
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)?;
            tx.commit()?;
        }
        Ok(SqliteStore {
            conn: Mutex::new(conn),
            readers: Mutex::new(Readers::default()),
            reader_free: Condvar::new(),
            path,
        })
    }

    fn reader(&self) -> Result<Connection, StoreError> {
        let mut r = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(c) = r.idle.pop() {
                return Ok(c);
            }
            if r.open < READERS {
                r.open += 1;
                drop(r);
                let opened = (|| {
                    let c = Connection::open(&self.path)?;
                    c.set_prepared_statement_cache_capacity(STATEMENTS);
                    c.pragma_update(None, "query_only", "ON")?;
                    c.busy_timeout(std::time::Duration::from_secs(30))?;
                    Ok::<_, rusqlite::Error>(c)
                })();
                if opened.is_err() {
                    self.readers.lock().unwrap_or_else(|p| p.into_inner()).open -= 1;
                }
                return Ok(opened?);
            }
            r = self.reader_free.wait(r).unwrap_or_else(|p| p.into_inner());
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Store for SqliteStore {
    fn begin(&self) -> Result<Box<dyn Txn + '_>, StoreError> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        conn.prepare_cached("BEGIN IMMEDIATE")?.execute([])?;
        Ok(Box::new(SqliteTxn {
            conn: Conn::Writer(conn),
            done: false,
            acting: crate::ledger::Author::console(),
        }))
    }

    fn read(&self) -> Result<Box<dyn Txn + '_>, StoreError> {
        let conn = Conn::Reader(Some(self.reader()?), self);
        conn.prepare_cached("BEGIN")?.execute([])?;
        Ok(Box::new(SqliteTxn {
            conn,
            done: false,
            acting: crate::ledger::Author::console(),
        }))
    }

    /// Opens the database file afresh and reads from it: connections already
    /// open keep working on a file whose volume went away or was moved, a new
    /// one does not.
    fn ping(&self) -> Result<(), StoreError> {
        use rusqlite::OpenFlags;
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(1))?;
        conn.query_row("SELECT COUNT(*) FROM sqlite_schema", [], |r| {
            r.get::<_, i64>(0)
        })?;
        Ok(())
    }

    fn backup_to(&self, path: &Path) -> Result<(), StoreError> {
        if path.exists() {
            return Err(StoreError::Conflict(format!(
                "{} already exists; choose a new file",
                path.display()
            )));
        }
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        conn.execute("VACUUM INTO ?1", [path.to_string_lossy()])?;
        drop(conn);
        let durable = || -> std::io::Result<()> {
            std::fs::File::open(path)?.sync_all()?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                photo::sync_dir(dir)?;
            }
            Ok(())
        };
        durable().map_err(|e| {
            StoreError::Corrupt(format!("cannot make {} durable: {e}", path.display()))
        })?;
        Ok(())
    }
}

struct SqliteTxn<'a> {
    conn: Conn<'a>,
    done: bool,
    /// Who the ledger names for the changes of this transaction.
    acting: crate::ledger::Author,
}

impl Drop for SqliteTxn<'_> {
    fn drop(&mut self) {
        if !self.done {
            let _ = self.conn.execute_batch("ROLLBACK");
        }
    }
}

pub(crate) fn device_record(
    row: DeviceRow,
    token_hash: [u8; 32],
) -> Result<DeviceRecord, StoreError> {
    let (id, user, actor, name, created_at, revoked) = row;
    Ok(DeviceRecord {
        id: DeviceId::from_uuid(uuid_of(id)?),
        user: UserId::from_uuid(uuid_of(user)?),
        actor: actor
            .try_into()
            .map_err(|_| StoreError::Corrupt("bad actor".into()))?,
        token_hash,
        name,
        created_at: DateTime::parse_from_rfc3339(&created_at)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?
            .with_timezone(&Utc),
        revoked,
    })
}

impl SqliteTxn<'_> {
    /// Writes a root-cause record's row; its issues are rows of their own.
    fn put_root_cause_row(&mut self, r: &RootCause) -> Result<(), StoreError> {
        let mut row = r.clone();
        row.issues.clear();
        self.conn
            .prepare_cached(
                "INSERT INTO root_causes (id, site, updated_ms, json, checkpoint, category, effective)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(id) DO UPDATE SET updated_ms = excluded.updated_ms, json = excluded.json,
                     checkpoint = excluded.checkpoint, category = excluded.category,
                     effective = excluded.effective",
            )?
            .execute(params![
                r.id.as_bytes(),
                r.site.as_uuid().as_bytes(),
                r.updated_at.timestamp_millis(),
                serde_json::to_string(&row).expect("root cause"),
                r.checkpoint,
                r.category.map(|c| c.code()),
                r.status == shared::repeat::RootCauseStatus::Effective,
            ])?;
        Ok(())
    }

    /// The bytes kept under `key` in `meta`, made by `make` on first use.
    fn meta_once<const N: usize>(
        &mut self,
        key: &str,
        make: impl FnOnce() -> [u8; N],
    ) -> Result<[u8; N], StoreError> {
        let have: Option<Vec<u8>> = self
            .conn
            .one("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
            .optional()?;
        if let Some(bytes) = have {
            return bytes
                .try_into()
                .map_err(|_| StoreError::Corrupt(format!("bad {key} in meta")));
        }
        let value = make();
        self.conn.run(
            "INSERT INTO meta (key, value) VALUES (?1, ?2)",
            params![key, value.as_slice()],
        )?;
        Ok(value)
    }

    fn devices_where(&mut self, cond: &str, arg: &[u8]) -> Result<Vec<DeviceRecord>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT id, user_id, actor, name, created_at, revoked, token_hash FROM devices WHERE {cond} ORDER BY created_at"
        ))?;
        let rows = stmt.query_map([arg], |r| {
            Ok((
                (
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ),
                r.get::<_, Vec<u8>>(6)?,
            ))
        })?;
        rows.map(|r| {
            let (row, hash) = r?;
            let hash: [u8; 32] = hash
                .try_into()
                .map_err(|_| StoreError::Corrupt("bad token hash".into()))?;
            device_record(row, hash)
        })
        .collect()
    }
}

pub(crate) fn uuid_of(bytes: Vec<u8>) -> Result<uuid::Uuid, StoreError> {
    uuid::Uuid::from_slice(&bytes).map_err(|_| StoreError::Corrupt("bad uuid".into()))
}

pub(crate) fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true)
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, StoreError> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// id, user, actor, name, created_at, revoked
pub(crate) type DeviceRow = (Vec<u8>, Vec<u8>, Vec<u8>, String, String, bool);
/// kind, site, bytes, heads, seq
type DocRow = (String, Vec<u8>, Vec<u8>, Vec<u8>, i64);
/// A document's kind, site, heads, change number and stored length.
type HeadRow = (String, Vec<u8>, Vec<u8>, i64, i64);
pub(crate) type UserRow = (
    Vec<u8>,
    Vec<u8>,
    String,
    String,
    String,
    Option<String>,
    String,
    bool,
);

pub(crate) fn user_from_row(r: UserRow) -> Result<UserRecord, StoreError> {
    let (id, site, name, display_name, role, department, password_hash, active) = r;
    Ok(UserRecord {
        id: UserId::from_uuid(uuid_of(id)?),
        site: SiteId::from_uuid(uuid_of(site)?),
        name,
        display_name,
        role: role
            .parse::<Role>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        department: department.and_then(|d| d.parse().ok()),
        password_hash,
        active,
    })
}

const LEDGER_COLS: &str =
    "site, n, at_ms, kind, subject, entry, what, author, role, device, content, prev, hash";

/// A ledger row; a bad id or time is reported as the corruption it is.
fn ledger_row(
    r: &rusqlite::Row<'_>,
) -> rusqlite::Result<Result<crate::ledger::LedgerEntry, StoreError>> {
    use chrono::TimeZone;
    let site: Vec<u8> = r.get(0)?;
    let at_ms: i64 = r.get(2)?;
    let (Ok(site), Some(at)) = (uuid_of(site), Utc.timestamp_millis_opt(at_ms).single()) else {
        return Ok(Err(StoreError::Corrupt(
            "a ledger row's site or time is unreadable".into(),
        )));
    };
    Ok(Ok(crate::ledger::LedgerEntry {
        site: SiteId::from_uuid(site),
        n: r.get::<_, i64>(1)? as u64,
        at,
        kind: r.get(3)?,
        subject: r.get(4)?,
        entry: r.get(5)?,
        what: r.get(6)?,
        author: r.get(7)?,
        role: r.get(8)?,
        device: r.get(9)?,
        content: r.get(10)?,
        prev: r.get(11)?,
        hash: r.get(12)?,
    }))
}

const USER_COLS: &str = "id, site, name, display_name, role, department, password_hash, active";

fn user_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<UserRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
        r.get(7)?,
    ))
}

impl Txn for SqliteTxn<'_> {
    fn sites(&mut self) -> Result<Vec<Site>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT json FROM sites ORDER BY code")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|r| json(&r?)).collect()
    }

    fn site(&mut self, id: SiteId) -> Result<Option<Site>, StoreError> {
        let s: Option<String> = self
            .conn
            .one(
                "SELECT json FROM sites WHERE id = ?1",
                [id.as_uuid().as_bytes()],
                |r| r.get(0),
            )
            .optional()?;
        s.map(|s| json(&s)).transpose()
    }

    fn site_by_code(&mut self, code: &str) -> Result<Option<Site>, StoreError> {
        let s: Option<String> = self
            .conn
            .one("SELECT json FROM sites WHERE code = ?1", [code], |r| {
                r.get(0)
            })
            .optional()?;
        s.map(|s| json(&s)).transpose()
    }

    fn insert_site(&mut self, site: &Site) -> Result<(), StoreError> {
        self.conn.run(
            "INSERT INTO sites (id, code, json) VALUES (?1, ?2, ?3)",
            params![
                site.id.as_uuid().as_bytes(),
                site.code.as_str(),
                serde_json::to_string(site).expect("site")
            ],
        )?;
        Ok(())
    }

    fn update_site(&mut self, site: &Site) -> Result<(), StoreError> {
        self.conn.run(
            "UPDATE sites SET json = ?2 WHERE id = ?1",
            params![
                site.id.as_uuid().as_bytes(),
                serde_json::to_string(site).expect("site")
            ],
        )?;
        Ok(())
    }

    fn user(&mut self, id: UserId) -> Result<Option<UserRecord>, StoreError> {
        let row = self
            .conn
            .one(
                &format!("SELECT {USER_COLS} FROM users WHERE id = ?1"),
                [id.as_uuid().as_bytes()],
                user_row,
            )
            .optional()?;
        row.map(user_from_row).transpose()
    }

    fn user_by_name(&mut self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        let row = self
            .conn
            .one(
                &format!("SELECT {USER_COLS} FROM users WHERE name = ?1"),
                [name],
                user_row,
            )
            .optional()?;
        row.map(user_from_row).transpose()
    }

    fn users_of_site(&mut self, site: SiteId) -> Result<Vec<UserRecord>, StoreError> {
        // Members from other sites come out as seen here: this site, their role here.
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, site, name, display_name, role, department, password_hash, active
               FROM users WHERE site = ?1
             UNION ALL
             SELECT u.id, m.site, u.name, u.display_name, m.role, m.department, u.password_hash, u.active
               FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.site = ?1
             ORDER BY 3",
        )?;
        let rows = stmt.query_map([site.as_uuid().as_bytes()], user_row)?;
        rows.map(|r| user_from_row(r?)).collect()
    }

    fn memberships(&mut self, user: UserId) -> Result<Vec<Membership>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT m.site, m.role, m.department FROM memberships m JOIN sites s ON s.id = m.site
              WHERE m.user_id = ?1 ORDER BY s.code",
        )?;
        let rows = stmt.query_map([user.as_uuid().as_bytes()], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
            ))
        })?;
        rows.map(|r| {
            let (site, role, department) = r?;
            Ok(Membership {
                user,
                site: SiteId::from_uuid(uuid_of(site)?),
                role: role
                    .parse::<Role>()
                    .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                department: department.and_then(|d| d.parse().ok()),
            })
        })
        .collect()
    }

    fn set_membership(&mut self, m: &Membership) -> Result<(), StoreError> {
        self.conn.run(
            "INSERT INTO memberships (user_id, site, role, department) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(user_id, site) DO UPDATE SET role = excluded.role, department = excluded.department",
            params![
                m.user.as_uuid().as_bytes(),
                m.site.as_uuid().as_bytes(),
                m.role.code(),
                m.department.map(|d| d.code())
            ],
        )?;
        Ok(())
    }

    fn remove_membership(&mut self, user: UserId, site: SiteId) -> Result<bool, StoreError> {
        Ok(self.conn.run(
            "DELETE FROM memberships WHERE user_id = ?1 AND site = ?2",
            params![user.as_uuid().as_bytes(), site.as_uuid().as_bytes()],
        )? > 0)
    }

    fn device_site(&mut self, device: DeviceId) -> Result<Option<SiteId>, StoreError> {
        let site: Option<Vec<u8>> = self
            .conn
            .prepare_cached("SELECT site FROM device_sites WHERE device = ?1")?
            .query_row([device.as_uuid().as_bytes()], |r| r.get(0))
            .optional()?;
        site.map(|s| Ok(SiteId::from_uuid(uuid_of(s)?))).transpose()
    }

    fn set_device_site(
        &mut self,
        device: DeviceId,
        site: Option<SiteId>,
    ) -> Result<(), StoreError> {
        match site {
            Some(site) => self.conn.run(
                "INSERT INTO device_sites (device, site) VALUES (?1, ?2)
                 ON CONFLICT(device) DO UPDATE SET site = excluded.site",
                params![device.as_uuid().as_bytes(), site.as_uuid().as_bytes()],
            )?,
            None => self.conn.run(
                "DELETE FROM device_sites WHERE device = ?1",
                [device.as_uuid().as_bytes()],
            )?,
        };
        Ok(())
    }

    fn upsert_user(&mut self, u: &UserRecord) -> Result<(), StoreError> {
        self.conn.run(
            "INSERT INTO users (id, site, name, display_name, role, department, password_hash, active)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
             ON CONFLICT(id) DO UPDATE SET display_name = excluded.display_name, role = excluded.role,
                department = excluded.department, password_hash = excluded.password_hash, active = excluded.active",
            params![
                u.id.as_uuid().as_bytes(),
                u.site.as_uuid().as_bytes(),
                u.name,
                u.display_name,
                u.role.code(),
                u.department.map(|d| d.code()),
                u.password_hash,
                u.active
            ],
        )?;
        Ok(())
    }

    fn insert_device(&mut self, d: &DeviceRecord) -> Result<(), StoreError> {
        self.conn.run(
            "INSERT INTO devices (id, user_id, actor, token_hash, name, created_at, revoked) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                d.id.as_uuid().as_bytes(),
                d.user.as_uuid().as_bytes(),
                d.actor.as_slice(),
                d.token_hash.as_slice(),
                d.name,
                time(&d.created_at),
                d.revoked
            ],
        )?;
        Ok(())
    }

    fn device_by_token(
        &mut self,
        token_hash: &[u8; 32],
    ) -> Result<Option<DeviceRecord>, StoreError> {
        let row: Option<DeviceRow> = self
            .conn
            .one(
                "SELECT id, user_id, actor, name, created_at, revoked FROM devices WHERE token_hash = ?1",
                [token_hash.as_slice()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?)),
            )
            .optional()?;
        let Some((id, user, actor, name, created_at, revoked)) = row else {
            return Ok(None);
        };
        Ok(Some(device_record(
            (id, user, actor, name, created_at, revoked),
            *token_hash,
        )?))
    }

    fn devices_of_actor(&mut self, actor: &[u8; 16]) -> Result<Vec<DeviceRecord>, StoreError> {
        self.devices_where("actor = ?1", actor.as_slice())
    }

    fn devices_of_user(&mut self, user: UserId) -> Result<Vec<DeviceRecord>, StoreError> {
        self.devices_where("user_id = ?1", user.as_uuid().as_bytes().as_slice())
    }

    fn renew_device(&mut self, d: &DeviceRecord) -> Result<(), StoreError> {
        let n = self.conn.run(
            "UPDATE devices SET token_hash = ?2, name = ?3, created_at = ?4, revoked = ?5 WHERE id = ?1",
            params![
                d.id.as_uuid().as_bytes(),
                d.token_hash.as_slice(),
                d.name,
                time(&d.created_at),
                d.revoked
            ],
        )?;
        if n == 0 {
            return Err(StoreError::Corrupt(format!("device {} vanished", d.id)));
        }
        Ok(())
    }

    fn revoke_user_devices(&mut self, user: UserId) -> Result<usize, StoreError> {
        Ok(self.conn.run(
            "UPDATE devices SET revoked = 1 WHERE user_id = ?1 AND revoked = 0",
            [user.as_uuid().as_bytes()],
        )?)
    }

    fn revoke_device(&mut self, device: DeviceId) -> Result<bool, StoreError> {
        Ok(self.conn.run(
            "UPDATE devices SET revoked = 1 WHERE id = ?1 AND revoked = 0",
            [device.as_uuid().as_bytes()],
        )? > 0)
    }

    fn meta(&mut self, key: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT value FROM meta WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    }

    fn put_meta(&mut self, key: &str, value: &[u8]) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO meta (key, value) VALUES (?1, ?2)
                 ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            )?
            .execute(params![key, value])?;
        Ok(())
    }

    fn server_actor(&mut self) -> Result<[u8; 16], StoreError> {
        // An actor names the server's changes; it is no secret, and it comes
        // from the id source so a simulation replays with the same one.
        self.meta_once("actor", || shared::ids::fresh().into_bytes())
    }

    fn site_secret(&mut self, site: SiteId) -> Result<[u8; 32], StoreError> {
        self.meta_once(&format!("webhook_secret:{site}"), rand::random)
    }

    fn doc(&mut self, id: DocId) -> Result<Option<StoredDoc>, StoreError> {
        let row: Option<DocRow> = self
            .conn
            .prepare_cached("SELECT kind, site, bytes, heads, seq FROM docs WHERE id = ?1")?
            .query_row([id.as_uuid().as_bytes()], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })
            .optional()?;
        let Some((kind, site, bytes, heads, seq)) = row else {
            return Ok(None);
        };
        Ok(Some(StoredDoc {
            kind: DocKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("doc kind {kind}")))?,
            site: SiteId::from_uuid(uuid_of(site)?),
            bytes,
            heads,
            seq: seq as u64,
        }))
    }

    fn doc_heads(&mut self, ids: &[DocId]) -> Result<HashMap<DocId, DocHead>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT kind, site, heads, seq, length(bytes) FROM docs WHERE id = ?1",
        )?;
        let mut out = HashMap::new();
        for id in ids {
            let row: Option<HeadRow> = stmt
                .query_row([id.as_uuid().as_bytes()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
                })
                .optional()?;
            let Some((kind, site, heads, seq, size)) = row else {
                continue;
            };
            out.insert(
                *id,
                DocHead {
                    kind: DocKind::parse(&kind)
                        .ok_or_else(|| StoreError::Corrupt(format!("doc kind {kind}")))?,
                    site: SiteId::from_uuid(uuid_of(site)?),
                    heads,
                    seq: seq as u64,
                    size: size as usize,
                },
            );
        }
        Ok(out)
    }

    fn docs(&mut self, ids: &[DocId]) -> Result<HashMap<DocId, StoredDoc>, StoreError> {
        let mut out = HashMap::new();
        for id in ids {
            if let Some(d) = self.doc(*id)? {
                out.insert(*id, d);
            }
        }
        Ok(out)
    }

    fn put_doc(
        &mut self,
        id: DocId,
        kind: DocKind,
        site: SiteId,
        bytes: &[u8],
        heads: &[u8],
    ) -> Result<u64, StoreError> {
        let seq: i64 = self
            .conn
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) + 1 FROM docs")?
            .query_row([], |r| r.get(0))?;
        self.conn
            .prepare_cached(
                "INSERT INTO docs (id, kind, site, bytes, heads, seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(id) DO UPDATE SET bytes = excluded.bytes, heads = excluded.heads, seq = excluded.seq",
            )?
            .execute(params![id.as_uuid().as_bytes(), kind.code(), site.as_uuid().as_bytes(), bytes, heads, seq])?;
        Ok(seq as u64)
    }

    fn changed_since(
        &mut self,
        sites: &[SiteId],
        cursor: u64,
        limit: usize,
    ) -> Result<Vec<(DocId, DocKind, u64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, kind, site, seq FROM docs WHERE seq > ?1 ORDER BY seq")?;
        let rows = stmt.query_map([cursor as i64], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Vec<u8>>(2)?,
                r.get::<_, i64>(3)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind, site, seq) = row?;
            let site = SiteId::from_uuid(uuid_of(site)?);
            if !sites.contains(&site) {
                continue;
            }
            let kind = DocKind::parse(&kind)
                .ok_or_else(|| StoreError::Corrupt(format!("doc kind {kind}")))?;
            out.push((DocId::from_uuid(uuid_of(id)?), kind, seq as u64));
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    fn max_seq(&mut self) -> Result<u64, StoreError> {
        let seq: i64 = self
            .conn
            .prepare_cached("SELECT COALESCE(MAX(seq), 0) FROM docs")?
            .query_row([], |r| r.get(0))?;
        Ok(seq as u64)
    }

    fn sync_states(
        &mut self,
        device: DeviceId,
        docs: &[DocId],
    ) -> Result<HashMap<DocId, StoredState>, StoreError> {
        // In-process: a cached statement per document costs no more than one query.
        let mut stmt = self.conn.prepare_cached(
            "SELECT state, pending FROM sync_states WHERE device = ?1 AND doc = ?2",
        )?;
        let mut out = HashMap::new();
        for doc in docs {
            let found = stmt
                .query_row(
                    [device.as_uuid().as_bytes(), doc.as_uuid().as_bytes()],
                    |r| {
                        Ok(StoredState {
                            state: r.get(0)?,
                            pending: r.get(1)?,
                        })
                    },
                )
                .optional()?;
            if let Some(state) = found {
                out.insert(*doc, state);
            }
        }
        Ok(out)
    }

    fn put_sync_states(
        &mut self,
        device: DeviceId,
        states: &[(DocId, StoredState)],
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO sync_states (device, doc, state, pending) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(device, doc) DO UPDATE SET state = excluded.state, pending = excluded.pending",
        )?;
        for (doc, state) in states {
            stmt.execute(params![
                device.as_uuid().as_bytes(),
                doc.as_uuid().as_bytes(),
                state.state,
                state.pending
            ])?;
        }
        Ok(())
    }

    fn pending_docs(
        &mut self,
        device: DeviceId,
        limit: usize,
    ) -> Result<Vec<(DocId, DocKind)>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT s.doc, d.kind FROM sync_states s JOIN docs d ON d.id = s.doc
             WHERE s.device = ?1 AND s.pending = 1",
        )?;
        // Stepped only as far as needed; see ISSUES_AT for why there is no `LIMIT ?`.
        let rows = stmt.query_map(params![device.as_uuid().as_bytes()], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows.take(limit) {
            let (id, kind) = row?;
            if let Some(kind) = DocKind::parse(&kind) {
                out.push((DocId::from_uuid(uuid_of(id)?), kind));
            }
        }
        Ok(out)
    }

    fn put_issue(&mut self, s: &IssueSummary) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO issues (id, site, zone, status, grade, category, assignee, deadline, raised_at, summary,
                    waiting, awaiting_callback, checkpoint, last_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)
                 ON CONFLICT(id) DO UPDATE SET zone = excluded.zone, status = excluded.status, grade = excluded.grade,
                    category = excluded.category, assignee = excluded.assignee, deadline = excluded.deadline,
                    summary = excluded.summary, waiting = excluded.waiting,
                    awaiting_callback = excluded.awaiting_callback, checkpoint = excluded.checkpoint,
                    last_at = excluded.last_at",
            )?
            .execute(params![
                s.id.as_uuid().as_bytes(),
                s.site.as_uuid().as_bytes(),
                s.zone.map(|z| z.as_uuid().as_bytes().to_vec()),
                s.status.code(),
                s.grade.code(),
                s.category.code(),
                s.assignee,
                s.deadline.as_ref().map(time),
                time(&s.raised_at),
                serde_json::to_string(s).expect("summary"),
                s.is_waiting(),
                s.awaiting_callback,
                s.checkpoint,
                time(&s.last_at()),
            ])?;
        Ok(())
    }

    fn issue_summary(&mut self, id: IssueId) -> Result<Option<IssueSummary>, StoreError> {
        let row: Option<String> = self
            .conn
            .prepare_cached("SELECT summary FROM issues WHERE id = ?1")?
            .query_row([id.as_uuid().as_bytes()], |r| r.get(0))
            .optional()?;
        row.map(|j| json(&j)).transpose()
    }

    fn issues_at(
        &mut self,
        site: SiteId,
        checkpoint: &str,
        category: shared::Category,
        raised: std::ops::RangeInclusive<DateTime<Utc>>,
        but: Option<IssueId>,
        limit: usize,
    ) -> Result<Vec<IssueSummary>, StoreError> {
        let mut stmt = self.conn.prepare_cached(ISSUES_AT)?;
        let rows = stmt.query_map(
            params![
                site.as_uuid().as_bytes(),
                checkpoint,
                category.code(),
                time(raised.start()),
                time(raised.end()),
                shared::Status::Cancelled.code(),
                but.map(|b| *b.as_uuid().as_bytes()),
            ],
            |r| r.get::<_, String>(0),
        )?;
        rows.take(limit).map(|r| json(&r?)).collect()
    }

    fn waiting_issues(&mut self) -> Result<Vec<IssueSummary>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT summary FROM issues WHERE waiting = 1")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.map(|r| json(&r?)).collect()
    }

    fn unannounced_notifications(&mut self, limit: usize) -> Result<Vec<Notification>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT json FROM notifications WHERE announced = 0 ORDER BY created_ms LIMIT ?1",
        )?;
        let rows = stmt.query_map([limit as i64], |r| r.get::<_, String>(0))?;
        rows.map(|r| json(&r?)).collect()
    }

    fn mark_announced(&mut self, ids: &[uuid::Uuid]) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("UPDATE notifications SET announced = 1 WHERE id = ?1")?;
        for id in ids {
            stmt.execute([id.as_bytes()])?;
        }
        Ok(())
    }

    fn count_issues(&mut self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .one("SELECT count(*) FROM issues", [], |r| r.get(0))?;
        Ok(n as u64)
    }

    fn list_issues(&mut self, q: &IssueQuery) -> Result<Vec<IssueSummary>, StoreError> {
        // One site (the usual case) is read through the site's index, which
        // `?8 IS NULL OR site = ?8` would keep the planner from using; several
        // are filtered below.
        const FILTERS: &str = "(?1 IS NULL OR zone = ?1) AND (?2 IS NULL OR status = ?2) AND (?3 IS NULL OR grade = ?3)
               AND (?4 IS NULL OR category = ?4) AND (?5 IS NULL OR assignee = ?5)
               AND (?6 IS NULL OR (status IN ('recorded', 'assigned') AND deadline IS NOT NULL AND deadline < ?6))
               AND (?7 IS NULL OR awaiting_callback = ?7)
               AND (?9 IS NULL OR status NOT IN ('verified', 'cancelled') OR last_at IS NULL OR last_at >= ?9
                    OR deadline >= ?9)
               AND (?10 IS NULL OR raised_at < ?10)";
        let mut stmt = match q.sites.as_slice() {
            [_] => self.conn.prepare_cached(&format!(
                "SELECT site, summary FROM issues WHERE site = ?8 AND {FILTERS} ORDER BY raised_at DESC"
            ))?,
            _ => self.conn.prepare_cached(&format!(
                "SELECT site, summary FROM issues WHERE ?8 IS NULL AND {FILTERS} ORDER BY raised_at DESC"
            ))?,
        };
        let rows = stmt.query_map(
            params![
                q.zone.map(|z| z.as_uuid().as_bytes().to_vec()),
                q.status.map(|s| s.code()),
                q.grade.map(|g| g.code()),
                q.category.map(|c| c.code()),
                q.assignee,
                q.overdue_at.as_ref().map(time),
                q.awaiting_callback,
                match q.sites.as_slice() {
                    [one] => Some(one.as_uuid().as_bytes().to_vec()),
                    _ => None,
                },
                q.touched_since.as_ref().map(time),
                q.raised_before.as_ref().map(time),
            ],
            |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?)),
        )?;
        let now = Utc::now();
        let mut out = Vec::new();
        for row in rows {
            let (site, summary) = row?;
            let site = SiteId::from_uuid(uuid_of(site)?);
            if !q.sites.contains(&site) {
                continue;
            }
            let mut s: IssueSummary = json(&summary)?;
            s.overdue = matches!(
                s.status,
                shared::Status::Recorded | shared::Status::Assigned
            ) && s.deadline.is_some_and(|d| d < now);
            out.push(s);
            if q.limit > 0 && out.len() >= q.limit {
                break;
            }
        }
        Ok(out)
    }

    fn put_patrol(&mut self, v: &PatrolRunView) -> Result<(), StoreError> {
        let fails: usize = v.results.iter().map(|r| r.failed_items().count()).sum();
        self.conn.run(
            "INSERT INTO patrol_runs (id, site, route, inspector, started_at, finished_at, results, fails, view)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
             ON CONFLICT(id) DO UPDATE SET finished_at = excluded.finished_at, results = excluded.results,
                fails = excluded.fails, view = excluded.view",
            params![
                v.run.id.as_uuid().as_bytes(),
                v.run.site.as_uuid().as_bytes(),
                v.run.route_code.as_str(),
                v.run.inspector_name,
                time(&v.run.started_at),
                v.finished_at.as_ref().map(time),
                v.results.len() as i64,
                fails as i64,
                serde_json::to_string(v).expect("patrol"),
            ],
        )?;
        Ok(())
    }

    fn due_issues(&mut self, before: DateTime<Utc>) -> Result<Vec<IssueSummary>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT summary FROM issues
             WHERE status IN ('recorded', 'assigned') AND deadline IS NOT NULL AND deadline < ?1
             ORDER BY deadline",
        )?;
        let rows = stmt.query_map([time(&before)], |r| r.get::<_, String>(0))?;
        rows.map(|r| json(&r?)).collect()
    }

    fn insert_notification(&mut self, n: &Notification) -> Result<bool, StoreError> {
        let added = self.conn.run(
            "INSERT OR IGNORE INTO notifications (id, recipient, created_ms, json, announced)
             VALUES (?1, ?2, ?3, ?4, 0)",
            params![
                n.id.as_bytes(),
                n.recipient.as_uuid().as_bytes(),
                n.created_at.timestamp_millis(),
                serde_json::to_string(n).expect("notification"),
            ],
        )?;
        Ok(added == 1)
    }

    fn notifications_for(
        &mut self,
        user: UserId,
        after_ms: i64,
        limit: usize,
    ) -> Result<Vec<Notification>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT json FROM notifications WHERE recipient = ?1 AND created_ms > ?2
             ORDER BY created_ms DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![user.as_uuid().as_bytes(), after_ms, limit as i64],
            |r| r.get::<_, String>(0),
        )?;
        rows.map(|r| json(&r?)).collect()
    }

    fn queue_webhook(
        &mut self,
        id: uuid::Uuid,
        body: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let added = self.conn.run(
            "INSERT OR IGNORE INTO webhook_deliveries (id, json, next_attempt_ms) VALUES (?1, ?2, ?3)",
            params![id.as_bytes(), body, at.timestamp_millis()],
        )?;
        Ok(added == 1)
    }

    fn due_webhooks(
        &mut self,
        now: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<WebhookDelivery>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, json, attempts FROM webhook_deliveries
             WHERE delivered_ms IS NULL AND next_attempt_ms <= ?1
             ORDER BY next_attempt_ms LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![now.timestamp_millis(), limit as i64], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
            ))
        })?;
        rows.map(|r| {
            let (id, body, attempts) = r?;
            Ok(WebhookDelivery {
                id: uuid_of(id)?,
                body,
                attempts,
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
        let taken = self.conn.run(
            "INSERT INTO job_leases (job, holder, until_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT (job) DO UPDATE SET holder = excluded.holder, until_ms = excluded.until_ms
             WHERE job_leases.holder = excluded.holder OR job_leases.until_ms <= ?4",
            params![
                job,
                holder,
                until.timestamp_millis(),
                now.timestamp_millis()
            ],
        )?;
        Ok(taken == 1)
    }

    fn queue_depths(&mut self) -> Result<crate::store::QueueDepths, StoreError> {
        let webhooks: i64 = self
            .conn
            .prepare_cached(
                "SELECT COUNT(*) FROM webhook_deliveries
                 WHERE delivered_ms IS NULL AND next_attempt_ms < ?1",
            )?
            .query_row([i64::MAX], |r| r.get(0))?;
        let unacknowledged: i64 = self
            .conn
            .prepare_cached("SELECT COUNT(*) FROM sync_states WHERE pending = 1")?
            .query_row([], |r| r.get(0))?;
        Ok(crate::store::QueueDepths {
            webhooks: webhooks as u64,
            unacknowledged: unacknowledged as u64,
        })
    }

    fn webhook_attempted(
        &mut self,
        id: uuid::Uuid,
        attempts: u32,
        outcome: Result<DateTime<Utc>, (String, Option<DateTime<Utc>>)>,
    ) -> Result<(), StoreError> {
        let (delivered, next, error) = match outcome {
            Ok(at) => (Some(at.timestamp_millis()), None, None),
            Err((e, next)) => (None, next.map(|t| t.timestamp_millis()), Some(e)),
        };
        self.conn.run(
            "UPDATE webhook_deliveries SET attempts = ?2, delivered_ms = ?3,
                next_attempt_ms = COALESCE(?4, ?5), last_error = ?6 WHERE id = ?1",
            params![id.as_bytes(), attempts, delivered, next, i64::MAX, error],
        )?;
        Ok(())
    }

    fn put_root_cause(&mut self, r: &RootCause) -> Result<(), StoreError> {
        self.put_root_cause_row(r)?;
        let mut next: i64 = self
            .conn
            .prepare_cached(
                "SELECT coalesce(max(n) + 1, 0) FROM root_cause_issues WHERE record = ?1",
            )?
            .query_row([r.id.as_bytes()], |row| row.get(0))?;
        let mut add = self.conn.prepare_cached(
            "INSERT OR IGNORE INTO root_cause_issues (record, n, issue) VALUES (?1, ?2, ?3)",
        )?;
        for issue in &r.issues {
            next += add.execute(params![r.id.as_bytes(), next, issue.as_uuid().as_bytes()])? as i64;
        }
        Ok(())
    }

    fn join_root_cause(&mut self, r: &RootCause, issue: IssueId) -> Result<(), StoreError> {
        self.put_root_cause_row(r)?;
        self.conn
            .prepare_cached(
                "INSERT OR IGNORE INTO root_cause_issues (record, n, issue)
                 SELECT ?1, coalesce(max(n) + 1, 0), ?2 FROM root_cause_issues WHERE record = ?1",
            )?
            .execute(params![r.id.as_bytes(), issue.as_uuid().as_bytes()])?;
        Ok(())
    }

    fn on_root_cause(&mut self, issue: IssueId) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM root_cause_issues WHERE issue = ?1 LIMIT 1")?
            .query_row([issue.as_uuid().as_bytes()], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn root_cause_head_at(
        &mut self,
        site: SiteId,
        checkpoint: &str,
        category: shared::Category,
    ) -> Result<Option<RootCause>, StoreError> {
        let row: Option<String> = self
            .conn
            .prepare_cached(
                "SELECT json FROM root_causes
                 WHERE site = ?1 AND checkpoint = ?2 AND category = ?3 AND effective = 0
                 ORDER BY updated_ms DESC LIMIT 1",
            )?
            .query_row(
                params![site.as_uuid().as_bytes(), checkpoint, category.code()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut r = json::<RootCause>(&row).map(RootCause::upgraded)?;
        r.issues.clear();
        Ok(Some(r))
    }

    fn root_causes(&mut self, site: SiteId) -> Result<Vec<RootCause>, StoreError> {
        let mut issues = std::collections::HashMap::<Vec<u8>, Vec<IssueId>>::new();
        {
            let mut stmt = self.conn.prepare_cached(
                "SELECT m.record, m.issue FROM root_cause_issues m
                 JOIN root_causes r ON r.id = m.record
                 WHERE r.site = ?1 ORDER BY m.record, m.n",
            )?;
            let mut rows = stmt.query([site.as_uuid().as_bytes()])?;
            while let Some(row) = rows.next()? {
                let issue = uuid_of(row.get::<_, Vec<u8>>(1)?)?;
                issues
                    .entry(row.get(0)?)
                    .or_default()
                    .push(IssueId::from_uuid(issue));
            }
        }
        let mut stmt = self.conn.prepare_cached(
            "SELECT json FROM root_causes WHERE site = ?1 ORDER BY updated_ms DESC",
        )?;
        let rows = stmt.query_map([site.as_uuid().as_bytes()], |r| r.get::<_, String>(0))?;
        rows.map(|r| {
            let mut record = json::<RootCause>(&r?).map(RootCause::upgraded)?;
            record.issues = issues
                .remove(record.id.as_bytes().as_slice())
                .unwrap_or_default();
            Ok(record)
        })
        .collect()
    }

    fn root_cause(&mut self, id: uuid::Uuid) -> Result<Option<RootCause>, StoreError> {
        let row: Option<String> = self
            .conn
            .prepare_cached("SELECT json FROM root_causes WHERE id = ?1")?
            .query_row([id.as_bytes()], |r| r.get(0))
            .optional()?;
        let Some(row) = row else {
            return Ok(None);
        };
        let mut record = json::<RootCause>(&row).map(RootCause::upgraded)?;
        let mut stmt = self
            .conn
            .prepare_cached("SELECT issue FROM root_cause_issues WHERE record = ?1 ORDER BY n")?;
        let rows = stmt.query_map([id.as_bytes()], |r| r.get::<_, Vec<u8>>(0))?;
        record.issues = rows
            .map(|r| Ok(IssueId::from_uuid(uuid_of(r?)?)))
            .collect::<Result<_, StoreError>>()?;
        Ok(Some(record))
    }

    fn list_patrols(
        &mut self,
        site: SiteId,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<PatrolRunView>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT view FROM patrol_runs WHERE site = ?1 AND started_at >= ?2
             ORDER BY started_at DESC LIMIT ?3",
        )?;
        let rows = stmt.query_map(
            params![site.as_uuid().as_bytes(), time(&since), limit as i64],
            |r| r.get::<_, String>(0),
        )?;
        rows.map(|r| json(&r?)).collect()
    }

    fn put_receipt(
        &mut self,
        entry: uuid::Uuid,
        doc: DocId,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        self.conn
            .prepare_cached("INSERT INTO receipts (entry, doc, received_at_ms) VALUES (?1, ?2, ?3) ON CONFLICT(entry) DO NOTHING")?
            .execute(params![entry.as_bytes(), doc.as_uuid().as_bytes(), at.timestamp_millis()])
            .map(|n| n > 0)
            .map_err(Into::into)
    }

    fn act_as(&mut self, by: crate::ledger::Author) {
        self.acting = by;
    }

    fn acting(&self) -> crate::ledger::Author {
        self.acting.clone()
    }

    fn put_survey(&mut self, v: &shared::survey::Survey) -> Result<bool, StoreError> {
        let added = self.conn.run(
            "INSERT OR IGNORE INTO surveys (id, site, taken_at_ms, json) VALUES (?1, ?2, ?3, ?4)",
            params![
                v.input.id.as_bytes(),
                v.site.as_uuid().as_bytes(),
                v.input.taken_at.timestamp_millis(),
                serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))?
            ],
        )?;
        Ok(added == 1)
    }

    fn survey(&mut self, id: uuid::Uuid) -> Result<Option<shared::survey::Survey>, StoreError> {
        let row: Option<String> = self
            .conn
            .prepare_cached("SELECT json FROM surveys WHERE id = ?1")?
            .query_row([id.as_bytes()], |r| r.get(0))
            .optional()?;
        row.map(|j| json(&j)).transpose()
    }

    fn surveys_between(
        &mut self,
        site: SiteId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<shared::survey::Survey>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT json FROM surveys WHERE site = ?1 AND taken_at_ms >= ?2 AND taken_at_ms < ?3
             ORDER BY taken_at_ms, id",
        )?;
        let rows = stmt.query_map(
            params![
                site.as_uuid().as_bytes(),
                from.timestamp_millis(),
                to.timestamp_millis()
            ],
            |r| r.get::<_, String>(0),
        )?;
        rows.map(|r| json(&r?)).collect()
    }

    fn put_equipment(
        &mut self,
        site: SiteId,
        e: &shared::equipment::Equipment,
    ) -> Result<(), StoreError> {
        self.conn.run(
            "INSERT INTO equipment (site, code, json) VALUES (?1, ?2, ?3)
             ON CONFLICT (site, code) DO UPDATE SET json = excluded.json",
            params![
                site.as_uuid().as_bytes(),
                e.code.as_str(),
                serde_json::to_string(e).map_err(|e| StoreError::Corrupt(e.to_string()))?
            ],
        )?;
        Ok(())
    }

    fn equipment(
        &mut self,
        site: SiteId,
        code: &str,
    ) -> Result<Option<shared::equipment::Equipment>, StoreError> {
        let row: Option<String> = self
            .conn
            .prepare_cached("SELECT json FROM equipment WHERE site = ?1 AND code = ?2")?
            .query_row(params![site.as_uuid().as_bytes(), code], |r| r.get(0))
            .optional()?;
        row.map(|j| json(&j)).transpose()
    }

    fn equipment_of(
        &mut self,
        site: SiteId,
    ) -> Result<Vec<shared::equipment::Equipment>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT json FROM equipment WHERE site = ?1 ORDER BY code")?;
        let rows = stmt.query_map([site.as_uuid().as_bytes()], |r| r.get::<_, String>(0))?;
        rows.map(|r| json(&r?)).collect()
    }

    fn put_monthly_report(
        &mut self,
        site: SiteId,
        info: &shared::wire::MonthlyReportInfo,
        pdf: &[u8],
        xlsx: &[u8],
    ) -> Result<bool, StoreError> {
        let added = self.conn.run(
            "INSERT OR IGNORE INTO monthly_reports
             (site, period, generated_at_ms, ledger_entry, ledger_head, pdf, xlsx)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                site.as_uuid().as_bytes(),
                info.period,
                info.generated_at.timestamp_millis(),
                info.ledger_entry.map(|n| n as i64),
                info.ledger_head,
                pdf,
                xlsx
            ],
        )?;
        Ok(added == 1)
    }

    fn has_monthly_report(&mut self, site: SiteId, period: &str) -> Result<bool, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT 1 FROM monthly_reports WHERE site = ?1 AND period = ?2")?
            .query_row(params![site.as_uuid().as_bytes(), period], |_| Ok(()))
            .optional()?
            .is_some())
    }

    fn monthly_reports(
        &mut self,
        site: SiteId,
    ) -> Result<Vec<shared::wire::MonthlyReportInfo>, StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT period, generated_at_ms, ledger_entry, ledger_head, length(pdf), length(xlsx)
             FROM monthly_reports WHERE site = ?1 ORDER BY period DESC",
        )?;
        let rows = stmt.query_map([site.as_uuid().as_bytes()], |r| {
            Ok(shared::wire::MonthlyReportInfo {
                period: r.get(0)?,
                generated_at: DateTime::from_timestamp_millis(r.get(1)?).unwrap_or_default(),
                ledger_entry: r.get::<_, Option<i64>>(2)?.map(|n| n as u64),
                ledger_head: r.get(3)?,
                pdf_bytes: r.get::<_, i64>(4)? as u64,
                xlsx_bytes: r.get::<_, i64>(5)? as u64,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    fn monthly_report_file(
        &mut self,
        site: SiteId,
        period: &str,
        xlsx: bool,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        let sql = if xlsx {
            "SELECT xlsx FROM monthly_reports WHERE site = ?1 AND period = ?2"
        } else {
            "SELECT pdf FROM monthly_reports WHERE site = ?1 AND period = ?2"
        };
        Ok(self
            .conn
            .prepare_cached(sql)?
            .query_row(params![site.as_uuid().as_bytes(), period], |r| r.get(0))
            .optional()?)
    }

    fn ledger_head(&mut self, site: SiteId) -> Result<Option<(u64, String)>, StoreError> {
        Ok(self
            .conn
            .prepare_cached("SELECT n, hash FROM ledger WHERE site = ?1 ORDER BY n DESC LIMIT 1")?
            .query_row([site.as_uuid().as_bytes()], |r| {
                Ok((r.get::<_, i64>(0)? as u64, r.get(1)?))
            })
            .optional()?)
    }

    fn append_ledger(&mut self, e: &crate::ledger::LedgerEntry) -> Result<(), StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO ledger (site, n, at_ms, kind, subject, entry, what, author, role, device, content, prev, hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?
            .execute(params![
                e.site.as_uuid().as_bytes(),
                e.n as i64,
                e.at.timestamp_millis(),
                e.kind,
                e.subject,
                e.entry,
                e.what,
                e.author,
                e.role,
                e.device,
                e.content,
                e.prev,
                e.hash
            ])?;
        Ok(())
    }

    fn ledger_page(
        &mut self,
        site: SiteId,
        after_n: u64,
        limit: usize,
    ) -> Result<Vec<crate::ledger::LedgerEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {LEDGER_COLS} FROM ledger WHERE site = ?1 AND n > ?2 ORDER BY n LIMIT ?3"
        ))?;
        let rows = stmt.query_map(
            params![site.as_uuid().as_bytes(), after_n as i64, limit as i64],
            ledger_row,
        )?;
        rows.map(|r| r.map_err(StoreError::from).and_then(|e| e))
            .collect()
    }

    fn ledger_between(
        &mut self,
        site: SiteId,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<crate::ledger::LedgerEntry>, StoreError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT {LEDGER_COLS} FROM ledger WHERE site = ?1 AND at_ms >= ?2 AND at_ms < ?3 ORDER BY n"
        ))?;
        let rows = stmt.query_map(
            params![
                site.as_uuid().as_bytes(),
                from.timestamp_millis(),
                to.timestamp_millis()
            ],
            ledger_row,
        )?;
        rows.map(|r| r.map_err(StoreError::from).and_then(|e| e))
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
        self.conn
            .prepare_cached(
                "INSERT INTO complaint_contacts (issue, site, contact, received_ms) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![
                issue.as_uuid().as_bytes(),
                site.as_uuid().as_bytes(),
                contact,
                at.timestamp_millis()
            ])?;
        Ok((contact.to_string(), at))
    }

    fn contact(&mut self, issue: IssueId) -> Result<Option<(String, DateTime<Utc>)>, StoreError> {
        let row: Option<(String, i64)> = self
            .conn
            .prepare_cached("SELECT contact, received_ms FROM complaint_contacts WHERE issue = ?1")?
            .query_row([issue.as_uuid().as_bytes()], |r| Ok((r.get(0)?, r.get(1)?)))
            .optional()?;
        Ok(row.map(|(c, ms)| (c, millis(ms))))
    }

    fn contacts_after(
        &mut self,
        sites: &[SiteId],
        after: Option<(i64, IssueId)>,
        limit: usize,
    ) -> Result<Vec<shared::wire::ComplaintContact>, StoreError> {
        let (after_ms, after_issue) = after
            .map(|(ms, id)| (ms, id.as_uuid().as_bytes().to_vec()))
            .unwrap_or((i64::MIN, Vec::new()));
        let mut stmt = self.conn.prepare_cached(
            "SELECT issue, contact, received_ms FROM complaint_contacts
             WHERE site = ?1 AND (received_ms, issue) > (?2, ?3)
             ORDER BY received_ms, issue LIMIT ?4",
        )?;
        let mut out = Vec::new();
        for site in sites {
            let rows = stmt.query_map(
                params![
                    site.as_uuid().as_bytes(),
                    after_ms,
                    after_issue,
                    limit as i64
                ],
                |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)?,
                    ))
                },
            )?;
            for row in rows {
                let (id, contact, ms) = row?;
                let id = uuid::Uuid::from_slice(&id).map_err(|e| {
                    StoreError::Corrupt(format!("bad issue id in complaint_contacts: {e}"))
                })?;
                out.push(shared::wire::ComplaintContact {
                    issue: IssueId::from_uuid(id),
                    contact,
                    received_at: millis(ms),
                });
            }
        }
        // Several sites: merge their pages in cursor order.
        out.sort_by_key(|c| (c.received_at, *c.issue.as_uuid().as_bytes()));
        out.truncate(limit);
        Ok(out)
    }

    fn receipts_of(&mut self, docs: &[DocId]) -> Result<Vec<Receipt>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT entry, received_at_ms FROM receipts WHERE doc = ?1")?;
        let mut out = Vec::new();
        for doc in docs {
            let rows = stmt.query_map([doc.as_uuid().as_bytes()], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?))
            })?;
            for r in rows {
                let (entry, ms) = r?;
                out.push(Receipt {
                    entry: uuid_of(entry)?,
                    received_at_ms: ms,
                });
            }
        }
        Ok(out)
    }

    fn put_photo_refs(
        &mut self,
        doc: DocId,
        site: SiteId,
        hashes: &[&str],
    ) -> Result<(), StoreError> {
        let mut stmt = self.conn.prepare_cached(
            "INSERT INTO photo_refs (hash, doc, site) VALUES (?1, ?2, ?3) ON CONFLICT DO NOTHING",
        )?;
        for h in hashes {
            stmt.execute(params![
                h,
                doc.as_uuid().as_bytes(),
                site.as_uuid().as_bytes()
            ])?;
        }
        Ok(())
    }

    fn photo_refs(&mut self, hash: &str) -> Result<Vec<(DocId, SiteId)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT doc, site FROM photo_refs WHERE hash = ?1")?;
        let rows = stmt.query_map([hash], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        rows.map(|r| {
            let (doc, site) = r?;
            Ok((
                DocId::from_uuid(uuid_of(doc)?),
                SiteId::from_uuid(uuid_of(site)?),
            ))
        })
        .collect()
    }

    fn commit(mut self: Box<Self>) -> Result<(), StoreError> {
        self.conn.prepare_cached("COMMIT")?.execute([])?;
        self.done = true;
        Ok(())
    }
}

/// A stored Unix-millisecond time (out-of-range values read as the epoch).
pub(crate) fn millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or(DateTime::UNIX_EPOCH)
}

/// One checkpoint and category's issues raised in a window, newest first
/// (the order `issues_by_checkpoint` yields them in, so the caller stops
/// stepping after as many as it wants). There is no bound `LIMIT ?`: SQLite
/// plans with a bound limit's value, so every new binding would make it
/// prepare the statement again inside `sqlite3_step`.
const ISSUES_AT: &str = "SELECT summary FROM issues
     WHERE site = ?1 AND checkpoint IS NOT NULL AND checkpoint = ?2 AND category = ?3
       AND raised_at >= ?4 AND raised_at <= ?5 AND status != ?6 AND (?7 IS NULL OR id != ?7)
     ORDER BY raised_at DESC";

#[cfg(test)]
mod tests {
    use super::*;
    use shared::repeat::{NewTask, RootCauseStatus, RootCauseTrigger};

    fn record(site: SiteId, issues: Vec<IssueId>, status: RootCauseStatus) -> RootCause {
        let mut r = RootCause::task(
            NewTask {
                id: uuid::Uuid::now_v7(),
                site,
                issues,
                checkpoint: Some("CP-01".into()),
                category: shared::Category::HygieneDefect,
                trigger: RootCauseTrigger::Repeat,
            },
            7,
            chrono::FixedOffset::east_opt(8 * 3600).unwrap(),
            Utc::now(),
        );
        r.status = status;
        r
    }

    /// Records written while a record's JSON listed its issues keep them,
    /// in order, once the store moves them into rows of their own.
    #[test]
    fn the_repeat_window_query_is_planned_once_for_every_binding() {
        let dir = tempfile::tempdir().unwrap();
        drop(SqliteStore::open(dir.path()).unwrap());
        let conn = Connection::open(dir.path().join("server.sqlite3")).unwrap();
        let mut stmt = conn.prepare(ISSUES_AT).unwrap();
        let site = SiteId::from_uuid(uuid::Uuid::now_v7());
        for (checkpoint, but) in [("B-1", None), ("B-2", Some([7u8; 16])), ("C-9", None)] {
            let rows: Vec<String> = stmt
                .query_map(
                    params![
                        site.as_uuid().as_bytes(),
                        checkpoint,
                        "facility",
                        "2026-01-01",
                        "2026-12-31",
                        "cancelled",
                        but
                    ],
                    |r| r.get(0),
                )
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert!(rows.is_empty());
        }
        assert_eq!(
            stmt.get_status(rusqlite::StatementStatus::RePrepare),
            0,
            "a new binding made SQLite plan the statement again"
        );
        // The index yields the rows newest first, so stopping early is the limit.
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {ISSUES_AT}"))
            .unwrap()
            .query_map(
                params![
                    site.as_uuid().as_bytes(),
                    "B-1",
                    "f",
                    "a",
                    "b",
                    "c",
                    None::<Vec<u8>>
                ],
                |r| r.get(3),
            )
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(plan[0].contains("issues_by_checkpoint"), "{plan:?}");
        assert!(!plan.iter().any(|p| p.contains("TEMP B-TREE")), "{plan:?}");
    }

    #[test]
    fn a_job_lease_has_one_holder_until_it_runs_out() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path()).unwrap();
        let t0 = Utc::now();
        let s = chrono::Duration::seconds;
        let take = |who: &str, at: DateTime<Utc>| {
            let mut txn = store.begin().unwrap();
            let got = txn.take_lease("reminders", who, at, at + s(30)).unwrap();
            txn.commit().unwrap();
            got
        };
        assert!(take("a", t0));
        assert!(!take("b", t0 + s(1)), "a holds it");
        assert!(take("a", t0 + s(10)), "the holder renews");
        assert!(!take("b", t0 + s(35)), "renewed until t0 + 40 s");
        assert!(take("b", t0 + s(40)), "run out: another takes it");
        assert!(!take("a", t0 + s(41)));
        let mut txn = store.begin().unwrap();
        assert!(
            txn.take_lease("backup", "a", t0, t0 + s(30)).unwrap(),
            "per job"
        );
    }

    #[test]
    fn root_cause_issues_move_out_of_the_json_in_order() {
        let dir = tempfile::tempdir().unwrap();
        let site = SiteId::from_uuid(uuid::Uuid::now_v7());
        let issues: Vec<IssueId> = (0..5)
            .map(|_| IssueId::from_uuid(uuid::Uuid::now_v7()))
            .rev()
            .collect();
        let open = record(site, issues.clone(), RootCauseStatus::Acting);
        let done = record(site, vec![issues[0]], RootCauseStatus::Effective);
        {
            let mut conn = Connection::open(dir.path().join("server.sqlite3")).unwrap();
            // The database as it was before the migration that moved them.
            let before = MIGRATIONS
                .iter()
                .position(|m| m.contains("CREATE TABLE root_cause_issues"))
                .unwrap();
            for sql in &MIGRATIONS[..before] {
                let tx = conn.transaction().unwrap();
                tx.execute_batch(sql).unwrap();
                tx.commit().unwrap();
            }
            conn.pragma_update(None, "user_version", before as i64)
                .unwrap();
            for r in [&open, &done] {
                conn.execute(
                    "INSERT INTO root_causes (id, site, updated_ms, json) VALUES (?1, ?2, ?3, ?4)",
                    params![
                        r.id.as_bytes(),
                        site.as_uuid().as_bytes(),
                        r.updated_at.timestamp_millis(),
                        serde_json::to_string(r).unwrap()
                    ],
                )
                .unwrap();
            }
        }
        let store = SqliteStore::open(dir.path()).unwrap();
        let mut txn = store.begin().unwrap();
        assert_eq!(txn.root_cause(open.id).unwrap().unwrap(), open);
        let all = txn.root_causes(site).unwrap();
        assert_eq!(all.len(), 2);
        assert!(all.contains(&open) && all.contains(&done));
        assert!(txn.on_root_cause(issues[4]).unwrap());
        assert!(
            !txn.on_root_cause(IssueId::from_uuid(uuid::Uuid::now_v7()))
                .unwrap()
        );
        // The effective record is not one to join.
        let head = txn
            .root_cause_head_at(site, "CP-01", shared::Category::HygieneDefect)
            .unwrap()
            .unwrap();
        assert_eq!(head.id, open.id);
        assert!(head.issues.is_empty());

        // Joining appends; a full save keeps the order and adds what is new.
        let late = IssueId::from_uuid(uuid::Uuid::now_v7());
        txn.join_root_cause(&head, late).unwrap();
        txn.join_root_cause(&head, late).unwrap();
        let mut expected = issues.clone();
        expected.push(late);
        let mut saved = txn.root_cause(open.id).unwrap().unwrap();
        assert_eq!(saved.issues, expected);
        let later = IssueId::from_uuid(uuid::Uuid::now_v7());
        saved.issues.push(later);
        saved.status = RootCauseStatus::Effective;
        txn.put_root_cause(&saved).unwrap();
        expected.push(later);
        assert_eq!(txn.root_cause(open.id).unwrap().unwrap().issues, expected);
        assert!(
            txn.root_cause_head_at(site, "CP-01", shared::Category::HygieneDefect)
                .unwrap()
                .is_none(),
            "judged effective, the record is no longer joined"
        );
    }
}
