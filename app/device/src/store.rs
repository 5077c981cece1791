//! The device's SQLite store: documents, sync states, outbox flags and list projections.
//!
//! **Durability.** WAL with `synchronous=FULL`: a committed transaction survives a
//! pulled battery. Every user action is exactly one transaction.
//!
//! **Documents.** A document is a snapshot plus incremental change chunks
//! (`doc_chunks`); a local edit appends only its own change. After
//! [`COMPACT_AFTER`] chunks the snapshot is rewritten.

use crate::error::DeviceError;
use automerge::{AutoCommit, ChangeHash};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Transaction, params};
use shared::ids::*;
use shared::issue::IssueView;
use shared::wire::{DocKind, IssueSummary};
use std::path::Path;

/// Chunks kept beside a snapshot before it is rewritten.
pub const COMPACT_AFTER: i64 = 32;

const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE docs (
    id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    snapshot BLOB NOT NULL,
    chunks INTEGER NOT NULL DEFAULT 0,
    dirty INTEGER NOT NULL DEFAULT 0,
    sync_state BLOB,
    refused_code TEXT,
    refused_message TEXT,
    updated_at INTEGER NOT NULL
);
CREATE INDEX docs_outbox ON docs(dirty) WHERE dirty = 1;
CREATE TABLE doc_chunks (
    doc_id BLOB NOT NULL,
    seq INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    PRIMARY KEY (doc_id, seq)
);
CREATE TABLE issues (
    id BLOB PRIMARY KEY,
    site BLOB NOT NULL,
    zone BLOB,
    status TEXT NOT NULL,
    grade TEXT NOT NULL,
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    checkpoint TEXT,
    department TEXT,
    assignee TEXT,
    assignee_id BLOB,
    deadline TEXT,
    raised_by TEXT NOT NULL,
    raised_at TEXT NOT NULL,
    conflicts TEXT NOT NULL,
    refused TEXT NOT NULL
);
CREATE INDEX issues_by_time ON issues(raised_at);
CREATE TABLE patrol_runs (
    id BLOB PRIMARY KEY,
    route TEXT NOT NULL,
    inspector TEXT NOT NULL,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    results INTEGER NOT NULL,
    fails INTEGER NOT NULL
);
CREATE TABLE receipts (entry BLOB PRIMARY KEY, received_at_ms INTEGER NOT NULL);
"#,
    r#"
-- Photos taken on this device: their record, and the issue once attached.
CREATE TABLE photos (
    hash TEXT PRIMARY KEY,
    thumb TEXT NOT NULL,
    record TEXT NOT NULL,
    issue BLOB,
    role TEXT,
    event BLOB,
    added_ms INTEGER NOT NULL
);
-- Photo files: the upload queue and the local cache.
-- state: staged (not yet part of a record), pending (to upload), uploaded,
-- cached (fetched from the server), kept (a camera original, never uploaded).
CREATE TABLE blobs (
    hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    state TEXT NOT NULL,
    local INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    added_ms INTEGER NOT NULL,
    done_ms INTEGER
);
CREATE INDEX blobs_queue ON blobs(state, kind, added_ms);
-- Which issue refers to which photo file (projection of the issue documents).
CREATE TABLE photo_refs (hash TEXT NOT NULL, issue BLOB NOT NULL, PRIMARY KEY (hash, issue)) WITHOUT ROWID;
"#,
    r#"
-- Every checkpoint result of every patrol (projection), for task progress.
CREATE TABLE checks (
    result BLOB PRIMARY KEY,
    checkpoint BLOB NOT NULL,
    by_user BLOB NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX checks_by_time ON checks(at);
-- Reminders and escalations from the server, and whether they were seen here.
CREATE TABLE notifications (
    id BLOB PRIMARY KEY,
    created_ms INTEGER NOT NULL,
    json TEXT NOT NULL,
    seen INTEGER NOT NULL DEFAULT 0
);
-- Complaints in the issue list.
ALTER TABLE issues ADD COLUMN complaint_location TEXT;
ALTER TABLE issues ADD COLUMN satisfied INTEGER;
"#,
    r#"
-- Complainants' full contacts (documents carry them masked). sent: 0 not yet,
-- 1 the server holds it, 2 the server refused it.
CREATE TABLE contacts (
    issue BLOB PRIMARY KEY,
    contact TEXT NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0
);
"#,
    r#"
-- The whole list row as JSON (service levels, assignment, verification and
-- call-back times); the columns stay for filtering. Rows written before this
-- are refreshed from their documents when the device opens (PROJECTION).
ALTER TABLE issues ADD COLUMN summary TEXT;
"#,
    r#"
-- Residents' survey answers recorded here. sent: 0 not yet, 1 the server
-- holds it (json is then the server's record, with its follow-up case),
-- 2 the server refused it (kept with the reason).
CREATE TABLE surveys (
    id BLOB PRIMARY KEY,
    taken_at_ms INTEGER NOT NULL,
    json TEXT NOT NULL,
    sent INTEGER NOT NULL DEFAULT 0,
    refusal TEXT
);
"#,
];

/// The version of what [`project_issue`] writes; a device whose rows are
/// older re-projects every issue from its document when it opens.
pub const PROJECTION: &str = "3";

/// An open device database.
pub struct Store {
    conn: Connection,
}

fn migrate(conn: &mut Connection) -> Result<(), rusqlite::Error> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

impl Store {
    /// Opens (and if needed creates and migrates) `dir/device.sqlite3`.
    pub fn open(dir: &Path) -> Result<Store, DeviceError> {
        std::fs::create_dir_all(dir).map_err(|source| DeviceError::DataDir {
            path: dir.display().to_string(),
            source,
        })?;
        let mut conn = Connection::open(dir.join("device.sqlite3"))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(10))?;
        migrate(&mut conn)?;
        Ok(Store { conn })
    }

    pub fn conn(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` in one immediate transaction; commits only if it succeeds.
    pub fn tx<T>(
        &mut self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, DeviceError>,
    ) -> Result<T, DeviceError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let out = f(&tx)?;
        tx.commit()?;
        Ok(out)
    }
}

// ---------------------------------------------------------------- meta

pub fn meta_get(conn: &Connection, key: &str) -> Result<Option<String>, rusqlite::Error> {
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
        .optional()
}

pub fn meta_set(conn: &Connection, key: &str, value: &str) -> Result<(), rusqlite::Error> {
    conn.execute(
        "INSERT INTO meta (key, value) VALUES (?1, ?2) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}

pub fn meta_delete(conn: &Connection, key: &str) -> Result<(), rusqlite::Error> {
    conn.execute("DELETE FROM meta WHERE key = ?1", [key])?;
    Ok(())
}

// ---------------------------------------------------------------- documents

fn now_ms() -> i64 {
    Utc::now().timestamp_millis()
}

/// Loads a document with its kind; `None` if this device does not have it.
pub fn load_doc(
    conn: &Connection,
    id: DocId,
) -> Result<Option<(DocKind, AutoCommit)>, DeviceError> {
    Ok(load_held(conn, id)?.map(|h| (h.kind, h.doc)))
}

/// SQLite's count of commits made to the store by other connections: it
/// moves when another process (or connection) changed the store since.
pub fn data_version(conn: &Connection) -> Result<i64, DeviceError> {
    Ok(conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
}

/// A document and its saved sync state, as a sync session needs them.
pub fn load_held(conn: &Connection, id: DocId) -> Result<Option<shared::sync::Held>, DeviceError> {
    let row: Option<(String, Vec<u8>, Option<Vec<u8>>)> = conn
        .prepare_cached("SELECT kind, snapshot, sync_state FROM docs WHERE id = ?1")?
        .query_row([id.as_uuid().as_bytes()], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((kind, snapshot, state)) = row else {
        return Ok(None);
    };
    let kind = DocKind::parse(&kind)
        .ok_or_else(|| DeviceError::Damaged(format!("unknown document kind {kind}")))?;
    let mut doc = AutoCommit::load(&snapshot).map_err(shared::doc::DocError::from)?;
    let mut stmt =
        conn.prepare_cached("SELECT bytes FROM doc_chunks WHERE doc_id = ?1 ORDER BY seq")?;
    let chunks = stmt.query_map([id.as_uuid().as_bytes()], |r| r.get::<_, Vec<u8>>(0))?;
    for chunk in chunks {
        doc.load_incremental(&chunk?)
            .map_err(shared::doc::DocError::from)?;
    }
    doc.update_diff_cursor();
    Ok(Some(shared::sync::Held { kind, doc, state }))
}

/// Stores a document this device did not have before.
pub fn insert_doc(
    tx: &Transaction<'_>,
    id: DocId,
    kind: DocKind,
    doc: &mut AutoCommit,
    dirty: bool,
) -> Result<(), DeviceError> {
    tx.execute(
        "INSERT INTO docs (id, kind, snapshot, dirty, updated_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            id.as_uuid().as_bytes(),
            kind.code(),
            doc.save(),
            dirty,
            now_ms()
        ],
    )?;
    Ok(())
}

/// Appends the changes made since `before` to a stored document.
pub fn append_doc(
    tx: &Transaction<'_>,
    id: DocId,
    doc: &mut AutoCommit,
    before: &[ChangeHash],
    dirty: bool,
) -> Result<(), DeviceError> {
    let chunk = doc.save_after(before);
    if chunk.is_empty() {
        return Ok(());
    }
    let chunks: i64 = tx.query_row(
        "SELECT chunks FROM docs WHERE id = ?1",
        [id.as_uuid().as_bytes()],
        |r| r.get(0),
    )?;
    let dirty_sql = if dirty {
        ", dirty = 1, refused_code = NULL, refused_message = NULL"
    } else {
        ""
    };
    if chunks >= COMPACT_AFTER {
        tx.execute(
            "DELETE FROM doc_chunks WHERE doc_id = ?1",
            [id.as_uuid().as_bytes()],
        )?;
        tx.execute(
            &format!("UPDATE docs SET snapshot = ?2, chunks = 0, updated_at = ?3{dirty_sql} WHERE id = ?1"),
            params![id.as_uuid().as_bytes(), doc.save(), now_ms()],
        )?;
    } else {
        tx.execute(
            "INSERT INTO doc_chunks (doc_id, seq, bytes) VALUES (?1, ?2, ?3)",
            params![id.as_uuid().as_bytes(), chunks, chunk],
        )?;
        tx.execute(
            &format!(
                "UPDATE docs SET chunks = chunks + 1, updated_at = ?2{dirty_sql} WHERE id = ?1"
            ),
            params![id.as_uuid().as_bytes(), now_ms()],
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------- projections

fn opt_time(t: Option<DateTime<Utc>>) -> Option<String> {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true))
}

/// Refreshes the projection of a document after it changed.
pub fn project(tx: &Transaction<'_>, kind: DocKind, d: &AutoCommit) -> Result<(), DeviceError> {
    use shared::doc;
    match kind {
        DocKind::Issue => {
            let h = doc::header(d)?;
            let view = shared::issue::fold(h.id.into(), doc::issue_events(d)?)?;
            project_issue(tx, &view)
        }
        DocKind::Patrol => project_patrol(tx, &doc::patrol(d)?),
        DocKind::Plan => {
            let plan = doc::plan(d)?;
            meta_set(
                tx,
                "plan",
                &serde_json::to_string(&plan).expect("plan serializes"),
            )?;
            Ok(())
        }
    }
}

/// Refreshes the list row of an issue from its folded view.
pub fn project_issue(tx: &Transaction<'_>, view: &IssueView) -> Result<(), DeviceError> {
    let s = IssueSummary::from_view(view, Utc::now());
    tx.execute(
        "INSERT INTO issues (id, site, zone, status, grade, category, title, checkpoint, department, assignee,
             assignee_id, deadline, raised_by, raised_at, conflicts, refused, complaint_location, satisfied,
             summary)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
         ON CONFLICT(id) DO UPDATE SET zone = excluded.zone, status = excluded.status, grade = excluded.grade,
             category = excluded.category, title = excluded.title, checkpoint = excluded.checkpoint,
             department = excluded.department, assignee = excluded.assignee, assignee_id = excluded.assignee_id,
             deadline = excluded.deadline, conflicts = excluded.conflicts, refused = excluded.refused,
             complaint_location = excluded.complaint_location, satisfied = excluded.satisfied,
             summary = excluded.summary",
        params![
            view.id.as_uuid().as_bytes(),
            view.site.as_uuid().as_bytes(),
            view.zone.map(|z| z.as_uuid().as_bytes().to_vec()),
            s.status.code(),
            s.grade.code(),
            s.category.code(),
            s.title,
            s.checkpoint,
            s.department.map(|d| d.code()),
            s.assignee,
            view.assignee.map(|a| a.as_uuid().as_bytes().to_vec()),
            opt_time(s.deadline),
            s.raised_by,
            opt_time(Some(s.raised_at)),
            serde_json::to_string(&s.conflicts).expect("conflicts serialize"),
            serde_json::to_string(&s.refused).expect("refusals serialize"),
            s.complaint_location,
            s.satisfied,
            serde_json::to_string(&s).expect("a summary serializes"),
        ],
    )?;
    let mut refs = tx.prepare_cached(
        "INSERT INTO photo_refs (hash, issue) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
    )?;
    for (_, p) in view.all_photos() {
        for h in [&p.hash, &p.thumb] {
            refs.execute(params![h.as_str(), view.id.as_uuid().as_bytes()])?;
        }
    }
    Ok(())
}

fn uuid_col(bytes: Option<Vec<u8>>) -> Option<uuid::Uuid> {
    bytes.and_then(|b| uuid::Uuid::from_slice(&b).ok())
}

fn parse_time(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Filters for the device's issue list.
#[derive(Debug, Clone, Default)]
pub struct IssueFilter {
    pub status: Option<shared::Status>,
    pub assignee: Option<UserId>,
    /// Only issues holding events that were refused or in conflict.
    pub only_refused: bool,
}

/// The issue list, newest first, straight from the projection (no document is loaded).
pub fn list_issues(
    conn: &Connection,
    filter: &IssueFilter,
) -> Result<Vec<IssueSummary>, DeviceError> {
    let now = Utc::now();
    let mut stmt = conn.prepare_cached(
        "SELECT id, site, zone, status, grade, category, title, checkpoint, department, assignee, deadline,
                raised_by, raised_at, conflicts, refused, complaint_location, satisfied, summary
         FROM issues
         WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR assignee_id = ?2) AND (?3 = 0 OR refused != '[]')
         ORDER BY raised_at DESC, id",
    )?;
    let rows = stmt.query_map(
        params![
            filter.status.map(|s| s.code()),
            filter.assignee.map(|a| a.as_uuid().as_bytes().to_vec()),
            filter.only_refused
        ],
        |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, Option<Vec<u8>>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, String>(6)?,
                r.get::<_, Option<String>>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, Option<String>>(9)?,
                r.get::<_, Option<String>>(10)?,
                r.get::<_, String>(11)?,
                r.get::<_, String>(12)?,
                r.get::<_, String>(13)?,
                r.get::<_, String>(14)?,
                r.get::<_, Option<String>>(15)?,
                r.get::<_, Option<bool>>(16)?,
                r.get::<_, Option<String>>(17)?,
            ))
        },
    )?;
    let mut out = Vec::new();
    for row in rows {
        let (
            id,
            site,
            zone,
            status,
            grade,
            category,
            title,
            checkpoint,
            department,
            assignee,
            deadline,
            raised_by,
            raised_at,
            conflicts,
            refused,
            complaint_location,
            satisfied,
            summary,
        ) = row?;
        let bad = |what: &str| DeviceError::Damaged(format!("damaged issue row: {what}"));
        if let Some(mut s) = summary.and_then(|j| serde_json::from_str::<IssueSummary>(&j).ok()) {
            s.overdue = matches!(
                s.status,
                shared::Status::Recorded | shared::Status::Assigned
            ) && s.deadline.is_some_and(|d| d < now);
            out.push(s);
            continue;
        }
        let status: shared::Status = status.parse().map_err(|_| bad("status"))?;
        let deadline = deadline.as_deref().and_then(parse_time);
        out.push(IssueSummary {
            id: IssueId::from_uuid(uuid_col(Some(id)).ok_or_else(|| bad("id"))?),
            site: SiteId::from_uuid(uuid_col(Some(site)).ok_or_else(|| bad("site"))?),
            zone: uuid_col(zone).map(ZoneId::from_uuid),
            status,
            grade: grade.parse().map_err(|_| bad("grade"))?,
            category: category.parse().map_err(|_| bad("category"))?,
            title,
            checkpoint,
            department: department.and_then(|d| d.parse().ok()),
            assignee,
            deadline,
            overdue: matches!(status, shared::Status::Recorded | shared::Status::Assigned)
                && deadline.is_some_and(|d| d < now),
            raised_by,
            raised_at: parse_time(&raised_at).ok_or_else(|| bad("raised_at"))?,
            conflicts: if conflicts == "[]" {
                Vec::new()
            } else {
                serde_json::from_str(&conflicts).map_err(|_| bad("conflicts"))?
            },
            refused: if refused == "[]" {
                Vec::new()
            } else {
                serde_json::from_str(&refused).map_err(|_| bad("refused"))?
            },
            complaint_location,
            satisfied,
            repeat: None,
            respond_by: None,
            responded_at: None,
            assignment: None,
            rectified_at: None,
            verified_at: None,
            awaiting_callback: false,
            patrol: None,
            item: None,
            rejections: 0,
        });
    }
    Ok(out)
}

/// Refreshes the list row of a patrol run.
pub fn project_patrol(
    tx: &Transaction<'_>,
    view: &shared::patrol::PatrolRunView,
) -> Result<(), DeviceError> {
    let fails: usize = view.results.iter().map(|r| r.failed_items().count()).sum();
    tx.execute(
        "INSERT INTO patrol_runs (id, route, inspector, started_at, finished_at, results, fails)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
         ON CONFLICT(id) DO UPDATE SET finished_at = excluded.finished_at, results = excluded.results, fails = excluded.fails",
        params![
            view.run.id.as_uuid().as_bytes(),
            view.run.route_code.as_str(),
            view.run.inspector_name,
            opt_time(Some(view.run.started_at)),
            opt_time(view.finished_at),
            view.results.len() as i64,
            fails as i64,
        ],
    )?;
    let mut stmt = tx.prepare_cached(
        "INSERT OR IGNORE INTO checks (result, checkpoint, by_user, at) VALUES (?1, ?2, ?3, ?4)",
    )?;
    for r in &view.results {
        stmt.execute(params![
            r.id.as_uuid().as_bytes(),
            r.checkpoint.as_uuid().as_bytes(),
            r.by.as_uuid().as_bytes(),
            opt_time(Some(r.checked_at)),
        ])?;
    }
    Ok(())
}

/// Results saved (device clock) in `from..until`, for task progress.
pub fn checks_between(
    conn: &rusqlite::Connection,
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<Vec<shared::schedule::Check>, DeviceError> {
    let mut stmt = conn
        .prepare_cached("SELECT checkpoint, by_user, at FROM checks WHERE at >= ?1 AND at < ?2")?;
    let rows = stmt.query_map(params![opt_time(Some(from)), opt_time(Some(until))], |r| {
        Ok((
            r.get::<_, Vec<u8>>(0)?,
            r.get::<_, Vec<u8>>(1)?,
            r.get::<_, String>(2)?,
        ))
    })?;
    let mut out = Vec::new();
    for row in rows {
        let (cp, by, at) = row?;
        let (Ok(cp), Ok(by), Ok(at)) = (
            uuid::Uuid::from_slice(&cp),
            uuid::Uuid::from_slice(&by),
            DateTime::parse_from_rfc3339(&at),
        ) else {
            continue;
        };
        out.push(shared::schedule::Check {
            checkpoint: CheckpointId::from_uuid(cp),
            by: UserId::from_uuid(by),
            at: at.with_timezone(&Utc),
        });
    }
    Ok(out)
}
