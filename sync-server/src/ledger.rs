//! The ledger (台账): every accepted change, in the order the server accepted
//! it, one hash chain per site. Each entry names when the server received the
//! change, who made it (user, role, device), what it was and what it said
//! (the change's own JSON), and carries the hash of the entry before it, so
//! editing, removing or reordering any entry breaks every hash after it.
//!
//! Entries are appended in the same transaction as the change they record
//! ([`append`]); [`verify`] recomputes a site's chain from its first entry.
//!
//! An entry's hash is SHA-256 over the JSON array
//! `[n, site, at_ms, kind, subject, entry, what, author, role, device, content, prev]`
//! (`prev`: the previous entry's hash in hex, 64 zeros for the first), so
//! anyone holding an export can recompute it with any JSON library.

use crate::analytics::{Cell, Table};
use crate::error::StoreError;
use crate::store::Txn;
use crate::validate::Sender;
use chrono::{DateTime, TimeZone, Utc};
use sha2::{Digest, Sha256};
use shared::ids::{DocId, SiteId};
use shared::wire::DocKind;

/// The `prev` of a site's first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One accepted change, as the ledger keeps it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LedgerEntry {
    pub site: SiteId,
    /// 1, 2, 3… within the site.
    pub n: u64,
    /// When the server accepted the change (milliseconds).
    pub at: DateTime<Utc>,
    /// `issue_event`, `patrol_run`, `patrol_result`, `plan`, `user` or `root_cause`.
    pub kind: String,
    /// What changed: a document id, a user name, a root-cause id.
    pub subject: String,
    /// The event or result id within the subject, or the issue that joined a
    /// root-cause record (empty for whole records).
    pub entry: String,
    /// The change in one word: an event kind (`assign`), `add_user`, `save`…
    pub what: String,
    pub author: String,
    pub role: String,
    /// The device (login) it came from; empty for the server's own jobs and the CLI.
    pub device: String,
    /// What the change said: its JSON.
    pub content: String,
    /// The hash of the entry before (hex).
    pub prev: String,
    /// This entry's hash (hex).
    pub hash: String,
}

impl LedgerEntry {
    /// The hash this entry should carry, from its fields.
    pub fn computed_hash(&self) -> String {
        let fields = serde_json::json!([
            self.n,
            self.site.to_string(),
            self.at.timestamp_millis(),
            self.kind,
            self.subject,
            self.entry,
            self.what,
            self.author,
            self.role,
            self.device,
            self.content,
            self.prev,
        ]);
        hex(&Sha256::digest(fields.to_string().as_bytes()))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Who made a change, as the ledger names them.
#[derive(Debug, Clone)]
pub struct Author {
    pub name: String,
    pub role: String,
    pub device: String,
}

impl Author {
    pub fn of(sender: &Sender) -> Author {
        Author {
            name: sender.user_name.clone(),
            role: sender.role.code().to_string(),
            device: sender.device.to_string(),
        }
    }

    /// The server itself: its jobs, and what it opens on its own (root-cause tasks).
    pub fn server() -> Author {
        Author {
            name: "server".into(),
            role: "system".into(),
            device: String::new(),
        }
    }

    /// An administrator at the server's command line.
    pub fn console() -> Author {
        Author {
            name: "console".into(),
            role: "admin".into(),
            device: String::new(),
        }
    }
}

/// What is recorded: everything of an entry but its place in the chain.
#[derive(Debug, Clone)]
pub struct Change<'a> {
    pub kind: &'a str,
    pub subject: String,
    pub entry: String,
    pub what: String,
    pub content: String,
}

/// Appends a change to `site`'s chain, in the caller's transaction.
pub fn append(
    txn: &mut dyn Txn,
    site: SiteId,
    by: &Author,
    change: Change<'_>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let (n, prev) = match txn.ledger_head(site)? {
        Some((n, hash)) => (n + 1, hash),
        None => (1, GENESIS.to_string()),
    };
    // Kept to the millisecond, as stored, so the hash recomputes from the row.
    let at = Utc
        .timestamp_millis_opt(at.timestamp_millis())
        .single()
        .unwrap_or(at);
    let mut e = LedgerEntry {
        site,
        n,
        at,
        kind: change.kind.to_string(),
        subject: change.subject,
        entry: change.entry,
        what: change.what,
        author: by.name.clone(),
        role: by.role.clone(),
        device: by.device.clone(),
        content: change.content,
        prev,
        hash: String::new(),
    };
    e.hash = e.computed_hash();
    txn.append_ledger(&e)
}

/// What a sync accepted into one document.
pub struct Synced<'a> {
    pub kind: DocKind,
    pub doc: DocId,
    /// The document with the accepted changes.
    pub after: &'a automerge::AutoCommit,
    /// The entries (events, a run's header, results) new to the server.
    pub entries: &'a [uuid::Uuid],
    /// An issue's events as validation read them (else read from `after`).
    pub events: Option<&'a [shared::issue::IssueEvent]>,
    /// The change finished a patrol.
    pub finished: bool,
}

/// Records what a sync accepted into a document, each entry with its own JSON.
pub fn record_synced(
    txn: &mut dyn Txn,
    sender: &Sender,
    s: Synced<'_>,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let Synced {
        kind,
        doc,
        after,
        entries,
        events,
        finished,
    } = s;
    if entries.is_empty() && !finished {
        return Ok(());
    }
    let corrupt = |e: shared::doc::DocError| StoreError::Corrupt(e.to_string());
    let site = shared::doc::header(after).map_err(corrupt)?.site;
    let by = Author::of(sender);
    match kind {
        DocKind::Issue => {
            let read;
            let events = match events {
                Some(e) => e,
                None => {
                    read = shared::doc::issue_events(after).map_err(corrupt)?;
                    &read[..]
                }
            };
            for event in events.iter().filter(|e| entries.contains(e.id.as_uuid())) {
                record_event(txn, site, doc, &by, event, at)?;
            }
        }
        DocKind::Patrol => {
            let view = shared::doc::patrol(after).map_err(corrupt)?;
            if entries.contains(view.run.id.as_uuid()) {
                append(
                    txn,
                    site,
                    &by,
                    Change {
                        kind: "patrol_run",
                        subject: doc.to_string(),
                        entry: view.run.id.to_string(),
                        what: "start".into(),
                        content: json(&view.run),
                    },
                    at,
                )?;
            }
            for r in view
                .results
                .iter()
                .filter(|r| entries.contains(r.id.as_uuid()))
            {
                append(
                    txn,
                    site,
                    &by,
                    Change {
                        kind: "patrol_result",
                        subject: doc.to_string(),
                        entry: r.id.to_string(),
                        what: r.checkpoint_code.to_string(),
                        content: json(r),
                    },
                    at,
                )?;
            }
            if let (true, Some(end)) = (finished, view.finished_at) {
                append(
                    txn,
                    site,
                    &by,
                    Change {
                        kind: "patrol_run",
                        subject: doc.to_string(),
                        entry: view.run.id.to_string(),
                        what: "finish".into(),
                        content: serde_json::json!({ "finished_at": end }).to_string(),
                    },
                    at,
                )?;
            }
        }
        DocKind::Plan => {}
    }
    Ok(())
}

/// Records one issue event.
pub fn record_event(
    txn: &mut dyn Txn,
    site: SiteId,
    doc: DocId,
    by: &Author,
    event: &shared::issue::IssueEvent,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    append(
        txn,
        site,
        by,
        Change {
            kind: "issue_event",
            subject: doc.to_string(),
            entry: event.id.to_string(),
            what: event.body.kind().code().to_string(),
            content: json(event),
        },
        at,
    )
}

/// Records a change of a site's plan: its size and the SHA-256 of the plan's JSON.
pub fn record_plan(
    txn: &mut dyn Txn,
    plan: &shared::plan::SitePlan,
    by: &Author,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let whole = json(plan);
    let content = serde_json::json!({
        "zones": plan.zones.len(),
        "checkpoints": plan.checkpoints.len(),
        "templates": plan.templates.len(),
        "routes": plan.routes.len(),
        "schedules": plan.schedules.len(),
        "users": plan.users.len(),
        "plan_sha256": hex(&Sha256::digest(whole.as_bytes())),
    });
    append(
        txn,
        plan.site.id,
        by,
        Change {
            kind: "plan",
            subject: plan.site.code.to_string(),
            entry: String::new(),
            what: "save".into(),
            content: content.to_string(),
        },
        at,
    )
}

/// Records a change of an account (never a password or its hash).
pub fn record_user(
    txn: &mut dyn Txn,
    site: SiteId,
    user: &crate::store::UserRecord,
    what: &str,
    by: &Author,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let content = serde_json::json!({
        "name": user.name,
        "display_name": user.display_name,
        "role": user.role.code(),
        "department": user.department.map(|d| d.code()),
        "active": user.active,
    });
    append(
        txn,
        site,
        by,
        Change {
            kind: "user",
            subject: user.name.clone(),
            entry: String::new(),
            what: what.into(),
            content: content.to_string(),
        },
        at,
    )
}

/// Records a root-cause record as saved. When an issue `joined` it, that
/// is the entry, and the content's `issues` lists only that issue (a record
/// gathers issues one by one; each entry says which one came).
pub fn record_root_cause(
    txn: &mut dyn Txn,
    r: &shared::repeat::RootCause,
    what: &str,
    joined: Option<shared::ids::IssueId>,
    by: &Author,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    append(
        txn,
        r.site,
        by,
        Change {
            kind: "root_cause",
            subject: r.id.to_string(),
            entry: joined.map(|i| i.to_string()).unwrap_or_default(),
            what: what.into(),
            content: json(r),
        },
        at,
    )
}

fn json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verified {
    /// Every entry links to the one before and hashes to what it carries.
    Whole {
        entries: u64,
        /// The last entry's hash (the chain head; empty for an empty ledger).
        head: String,
    },
    /// The first entry that does not match, and why.
    Broken { n: u64, reason: String },
}

pub use shared::wire::LedgerVerification as Verification;

impl From<Verified> for Verification {
    fn from(v: Verified) -> Self {
        match v {
            Verified::Whole { entries, head } => Verification {
                whole: true,
                entries,
                head,
                broken_at: None,
                reason: None,
                reason_zh: None,
            },
            Verified::Broken { n, reason } => Verification {
                whole: false,
                entries: 0,
                head: String::new(),
                broken_at: Some(n),
                reason: Some(reason),
                reason_zh: Some(format!(
                    "台账第 {n} 条与哈希链不符：该条在写入后被改动、删除或调换过"
                )),
            },
        }
    }
}

/// The instants bounding local days `from..=to` (YYYY-MM-DD) in a zone: at
/// most a year and a day, `to` not before `from`.
pub fn days(
    from: &str,
    to: &str,
    offset: chrono::FixedOffset,
) -> Result<(DateTime<Utc>, DateTime<Utc>), shared::text::Said> {
    use chrono::NaiveDate;
    let day = |s: &str| {
        NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
            shared::text::Said::new(
                format!(
                    "`{}` is not a day; write it as 2026-11-01",
                    s.chars().take(40).collect::<String>()
                ),
                "日期格式应为 2026-11-01",
            )
        })
    };
    let (a, b) = (day(from)?, day(to)?);
    if b < a || (b - a).num_days() > 366 {
        return Err(shared::text::Said::new(
            "`to` must be on or after `from`, at most a year later",
            "结束日期不能早于开始日期，且跨度不超过一年",
        ));
    }
    let start = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(offset).single())
            .map(|t| t.with_timezone(&Utc))
    };
    match (start(a), b.succ_opt().and_then(start)) {
        (Some(f), Some(t)) => Ok((f, t)),
        _ => Err(shared::text::Said::new(
            "those days are outside the calendar",
            "日期超出范围",
        )),
    }
}

/// Recomputes `site`'s chain from its first entry, page by page.
pub fn verify(txn: &mut dyn Txn, site: SiteId) -> Result<Verified, StoreError> {
    const PAGE: usize = 2000;
    let (mut last_n, mut prev) = (0u64, GENESIS.to_string());
    loop {
        let page = txn.ledger_page(site, last_n, PAGE)?;
        for e in &page {
            let expected = last_n + 1;
            if e.n != expected {
                return Ok(Verified::Broken {
                    n: expected,
                    reason: format!("entry {expected} is missing (the next is {})", e.n),
                });
            }
            if e.prev != prev {
                return Ok(Verified::Broken {
                    n: e.n,
                    reason: format!(
                        "entry {} does not link to entry {}: it names {} before it, the chain has {}",
                        e.n,
                        last_n,
                        short(&e.prev),
                        short(&prev)
                    ),
                });
            }
            let computed = e.computed_hash();
            if e.hash != computed {
                return Ok(Verified::Broken {
                    n: e.n,
                    reason: format!(
                        "entry {} ({} {} of {} by {}, received {}) was changed after it was written: it carries hash {}, its fields hash to {}",
                        e.n,
                        e.kind,
                        e.what,
                        e.subject,
                        e.author,
                        e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                        short(&e.hash),
                        short(&computed)
                    ),
                });
            }
            last_n = e.n;
            prev = e.hash.clone();
        }
        if page.len() < PAGE {
            break;
        }
    }
    Ok(Verified::Whole {
        entries: last_n,
        head: if last_n == 0 { String::new() } else { prev },
    })
}

fn short(hash: &str) -> &str {
    &hash[..hash.len().min(16)]
}

/// The most of an entry's content a table cell shows; the hash always covers all of it.
pub const CELL_CHARS: usize = 32_000;

/// Entries as a table to export, with their hashes.
pub fn table(entries: &[LedgerEntry]) -> Table {
    Table {
        id: "ledger",
        title: "台账",
        headers: [
            "序号",
            "接收时间(UTC)",
            "类别",
            "对象",
            "条目",
            "动作",
            "作者",
            "角色",
            "设备",
            "内容",
            "前一条哈希",
            "本条哈希",
        ]
        .map(String::from)
        .to_vec(),
        rows: entries
            .iter()
            .map(|e| {
                vec![
                    Cell::Number(e.n as f64),
                    Cell::Text(e.at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
                    Cell::Text(e.kind.clone()),
                    Cell::Text(e.subject.clone()),
                    Cell::Text(e.entry.clone()),
                    Cell::Text(e.what.clone()),
                    Cell::Text(e.author.clone()),
                    Cell::Text(e.role.clone()),
                    Cell::Text(e.device.clone()),
                    // A spreadsheet cell holds at most 32,767 characters.
                    Cell::Text(if e.content.chars().count() > CELL_CHARS {
                        let cut: String = e.content.chars().take(CELL_CHARS).collect();
                        format!("{cut}…")
                    } else {
                        e.content.clone()
                    }),
                    Cell::Text(e.prev.clone()),
                    Cell::Text(e.hash.clone()),
                ]
            })
            .collect(),
    }
}
