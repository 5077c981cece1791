//! Checks every incoming change against the sender's identity and role before it
//! is merged.
//!
//! Outright refusals (the document is not stored, the device is told why):
//! a change from an actor other than the one bound to the device's token; an
//! event or result claiming another user, role or device; an edit of an
//! existing event or result (they are append-only); a document of another site;
//! a plan change by a non-admin; a new issue or patrol its role may not create.
//!
//! Everything else is well-formed and is merged, even an event the role policy
//! forbids: it stays in the history so replicas converge, and the shared fold
//! marks it refused so it never reaches the tracker.

use automerge::AutoCommit;
use shared::codes::Role;
use shared::doc::{self, DocError};
use shared::ids::*;
use shared::issue::IssueEvent;
use shared::patrol::{CheckpointResult, PatrolRun};
use shared::policy::{self, ChangeKind};
use shared::wire::DocKind;
use std::collections::HashMap;

/// Who sent a sync request.
#[derive(Debug, Clone)]
pub struct Sender {
    pub device: DeviceId,
    pub user: UserId,
    pub user_name: String,
    pub role: Role,
    pub actor: [u8; 16],
    pub sites: Vec<SiteId>,
}

/// Why a document was refused outright.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
    pub status: u16,
}

impl Refusal {
    fn forbidden(code: &'static str, message: impl Into<String>) -> Self {
        Refusal {
            code,
            message: message.into(),
            status: 403,
        }
    }
    fn malformed(message: impl Into<String>) -> Self {
        Refusal {
            code: "malformed",
            message: message.into(),
            status: 400,
        }
    }
}

impl From<DocError> for Refusal {
    fn from(e: DocError) -> Self {
        Refusal::malformed(format!("the document does not follow the schema: {e}"))
    }
}

/// What a valid change brought.
#[derive(Debug, Default)]
pub struct Accepted {
    /// Entries (events or results) the change added, for receipt times.
    pub entries: Vec<uuid::Uuid>,
    /// For an issue, all its events after the change (read once, reused for the projection).
    pub events: Option<Vec<IssueEvent>>,
}

/// Checks the changes (made by `new_actors`) that turn `before` (None: a new document) into `after`.
pub fn check(
    sender: &Sender,
    id: DocId,
    kind: DocKind,
    before: Option<&AutoCommit>,
    after: &AutoCommit,
    new_actors: &[automerge::ActorId],
) -> Result<Accepted, Refusal> {
    let actor = doc::actor(sender.actor);
    if let Some(other) = new_actors.iter().find(|a| **a != actor) {
        return Err(Refusal::forbidden(
            "forged_actor",
            format!(
                "a change was made by actor {other} but this device's login is bound to actor {actor}"
            ),
        ));
    }
    let header = doc::header(after)?;
    if header.id != id || header.kind != kind {
        return Err(Refusal::malformed(
            "the document's header does not match its id or kind",
        ));
    }
    if let Some(b) = before
        && doc::header(b)? != header
    {
        return Err(Refusal::forbidden(
            "header_changed",
            "a document's id, kind or site cannot change",
        ));
    }
    if !sender.sites.contains(&header.site) {
        return Err(Refusal::forbidden(
            "forbidden_site",
            "this document belongs to a site you do not work on",
        ));
    }
    match kind {
        DocKind::Issue => check_issue(sender, id, before, after),
        DocKind::Patrol => check_patrol(sender, before, after),
        DocKind::Plan => {
            if sender.role != Role::Admin {
                return Err(Refusal::forbidden(
                    "plan_read_only",
                    "only an administrator may change the site plan",
                ));
            }
            doc::plan(after)?;
            Ok(Accepted::default())
        }
    }
}

fn by_id(values: Vec<serde_json::Value>) -> Result<HashMap<String, serde_json::Value>, Refusal> {
    let mut out = HashMap::with_capacity(values.len());
    for v in values {
        let id = v
            .get("id")
            .and_then(|i| i.as_str())
            .ok_or_else(|| Refusal::malformed("an entry has no id"))?
            .to_string();
        if out.insert(id.clone(), v).is_some() {
            return Err(Refusal::malformed(format!("entry {id} appears twice")));
        }
    }
    Ok(out)
}

/// Splits `after`'s entries into new ones, checking old ones are untouched.
fn appended(
    before: Vec<serde_json::Value>,
    after: Vec<serde_json::Value>,
) -> Result<Vec<serde_json::Value>, Refusal> {
    let old = by_id(before)?;
    let mut seen = 0;
    let mut new = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for v in after {
        let id = v
            .get("id")
            .and_then(|i| i.as_str())
            .unwrap_or_default()
            .to_string();
        if !ids.insert(id.clone()) {
            return Err(Refusal::malformed(format!("entry {id} appears twice")));
        }
        match old.get(&id) {
            Some(o) if *o == v => seen += 1,
            Some(_) => {
                return Err(Refusal::forbidden(
                    "history_rewritten",
                    format!("entry {id} was changed after it was written; entries are append-only"),
                ));
            }
            None => new.push(v),
        }
    }
    if seen != old.len() {
        return Err(Refusal::forbidden(
            "history_rewritten",
            "an existing entry was removed; entries are append-only",
        ));
    }
    Ok(new)
}

fn check_issue(
    sender: &Sender,
    id: DocId,
    before: Option<&AutoCommit>,
    after: &AutoCommit,
) -> Result<Accepted, Refusal> {
    let old = match before {
        Some(b) => doc::issue_event_values(b)?,
        None => Vec::new(),
    };
    let values = doc::issue_event_values(after)?;
    let new_ids: std::collections::HashSet<String> = appended(old, values.clone())?
        .iter()
        .filter_map(|v| v.get("id").and_then(|i| i.as_str()).map(str::to_string))
        .collect();
    let mut events = Vec::with_capacity(values.len());
    let mut entries = Vec::with_capacity(new_ids.len());
    for v in values {
        let e: IssueEvent = serde_json::from_value(v)
            .map_err(|e| Refusal::malformed(format!("an event does not decode: {e}")))?;
        if new_ids.contains(&e.id.to_string()) {
            if e.by != sender.user || e.role != sender.role || e.by_name != sender.user_name {
                return Err(Refusal::forbidden(
                    "forged_user",
                    format!(
                        "event {} claims to be by {} ({}) but this device is logged in as {} ({})",
                        e.id,
                        e.by_name,
                        e.role.code(),
                        sender.user_name,
                        sender.role.code()
                    ),
                ));
            }
            if e.device != sender.device {
                return Err(Refusal::forbidden(
                    "forged_device",
                    format!("event {} claims another device", e.id),
                ));
            }
            entries.push(*e.id.as_uuid());
        }
        events.push(e);
    }
    if before.is_none() {
        let raise = events.iter().find(|e| e.body.kind() == ChangeKind::Raise);
        match raise {
            None => {
                return Err(Refusal::malformed(
                    "a new issue must start with a raise event",
                ));
            }
            Some(r)
                if !policy::may_raise(
                    r.role,
                    matches!(
                        &r.body,
                        shared::issue::EventBody::Raise {
                            complaint: Some(_),
                            ..
                        }
                    ),
                ) =>
            {
                return Err(Refusal::forbidden(
                    "role_forbidden",
                    format!("role {} may not raise this kind of issue", r.role.code()),
                ));
            }
            Some(_) => {}
        }
        // An existing issue already folds and stays foldable (its events are append-only);
        // a new one must fold before it may be stored.
        shared::issue::fold(id.into(), events.iter().cloned())
            .map_err(|e| Refusal::malformed(e.to_string()))?;
    }
    Ok(Accepted {
        entries,
        events: Some(events),
    })
}

fn check_patrol(
    sender: &Sender,
    before: Option<&AutoCommit>,
    after: &AutoCommit,
) -> Result<Accepted, Refusal> {
    if !matches!(sender.role, Role::Inspector | Role::Manager) {
        return Err(Refusal::forbidden(
            "role_forbidden",
            format!("role {} does not walk patrols", sender.role.code()),
        ));
    }
    let view = doc::patrol(after)?;
    let run: &PatrolRun = &view.run;
    if run.inspector != sender.user {
        return Err(Refusal::forbidden(
            "forged_user",
            "only the patrol's own inspector may record its results",
        ));
    }
    if let Some(b) = before {
        let old = doc::patrol(b)?;
        if old.run != view.run {
            return Err(Refusal::forbidden(
                "history_rewritten",
                "a patrol's header cannot change",
            ));
        }
        let old_values = old
            .results
            .iter()
            .map(|r| serde_json::to_value(r).expect("result"))
            .collect();
        let new_values = view
            .results
            .iter()
            .map(|r| serde_json::to_value(r).expect("result"))
            .collect();
        let added = appended(old_values, new_values)?;
        let mut entries = Vec::new();
        for v in added {
            let r: CheckpointResult =
                serde_json::from_value(v).map_err(|e| Refusal::malformed(e.to_string()))?;
            if r.by != sender.user {
                return Err(Refusal::forbidden(
                    "forged_user",
                    "a result claims another inspector",
                ));
            }
            entries.push(*r.id.as_uuid());
        }
        return Ok(Accepted {
            entries,
            events: None,
        });
    }
    for r in &view.results {
        if r.by != sender.user {
            return Err(Refusal::forbidden(
                "forged_user",
                "a result claims another inspector",
            ));
        }
    }
    Ok(Accepted {
        entries: view.results.iter().map(|r| *r.id.as_uuid()).collect(),
        events: None,
    })
}
