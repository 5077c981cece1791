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
use automerge::ExpandedChange;
use automerge::legacy::{ObjectId, OpId, OpType};
use shared::codes::Role;
use shared::doc;
use shared::ids::*;
use shared::issue::{EventBody, IssueEvent};
use shared::limits;
use shared::patrol::{CheckpointResult, PatrolRun};
use shared::policy;
use shared::wire::DocKind;
use std::collections::HashSet;

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

/// Why a document was refused outright (the protocol core's type: one
/// refusal for the device whichever check made it).
pub use shared::sync::server::Refused;

/// What a valid change brought.
#[derive(Debug, Default)]
pub struct Accepted {
    /// Entries (events or results) the change added, for receipt times.
    pub entries: Vec<uuid::Uuid>,
    /// For an issue, all its events after the change (read once, reused for the projection).
    pub events: Option<Vec<IssueEvent>>,
    /// For a patrol, the change finished it.
    pub finished: bool,
}

/// What the server held of a document before the changes.
#[derive(Clone, Copy)]
pub enum Prior<'a> {
    /// Nothing: the changes make a new document.
    New,
    /// An existing issue, checked from the new changes' operations alone.
    Issue,
    /// An existing document as it was, for the checks that compare.
    Was(&'a AutoCommit),
}

/// Checks the changes `new` (decoded) that turn the `prior` document into `after`.
pub fn check(
    sender: &Sender,
    id: DocId,
    kind: DocKind,
    prior: Prior<'_>,
    after: &AutoCommit,
    new: &[ExpandedChange],
) -> Result<Accepted, Refused> {
    let before = match prior {
        Prior::Was(b) => Some(b),
        Prior::New | Prior::Issue => None,
    };
    let actor = doc::actor(sender.actor);
    if let Some(other) = new.iter().map(|c| &c.actor_id).find(|a| **a != actor) {
        return Err(Refused::forbidden(
            "forged_actor",
            format!(
                "a change was made by actor {other} but this device's login is bound to actor {actor}"
            ),
        ));
    }
    let header = doc::header(after)?;
    match (prior, kind) {
        // Its root is out of the changes' reach (`appended_events` refuses
        // any operation there), so neither its shape nor its header can change.
        (Prior::Issue, DocKind::Issue) => {}
        (Prior::Issue, _) => {
            return Err(Refused::malformed(
                "only an issue is checked without its stored version",
            ));
        }
        _ => doc::check_shape(before, after, kind)?,
    }
    if header.id != id || header.kind != kind {
        return Err(Refused::malformed(
            "the document's header does not match its id or kind",
        ));
    }
    if let Some(b) = before
        && doc::header(b)? != header
    {
        return Err(Refused::forbidden(
            "header_changed",
            "a document's id, kind or site cannot change",
        ));
    }
    if !sender.sites.contains(&header.site) {
        return Err(Refused::forbidden(
            "forbidden_site",
            "this document belongs to a site you do not work on",
        ));
    }
    match kind {
        DocKind::Issue => check_issue(sender, id, header.site, prior, after, new),
        DocKind::Patrol => check_patrol(sender, header.site, before, after),
        // Nobody: `policy::permits(_, Action::SyncPlan)` is false for every role.
        DocKind::Plan if policy::permits(sender.role, policy::Action::SyncPlan) => {
            doc::plan(after)?;
            Ok(Accepted::default())
        }
        DocKind::Plan => Err(Refused::forbidden(
            "plan_read_only",
            "the site plan changes only on the server (站点设置 on the dashboard, or the admin commands)",
        )),
    }
}

fn by_id(
    values: Vec<serde_json::Value>,
) -> Result<std::collections::HashMap<String, serde_json::Value>, Refused> {
    let mut out = std::collections::HashMap::with_capacity(values.len());
    for v in values {
        let id = v
            .get("id")
            .and_then(|i| i.as_str())
            .ok_or_else(|| Refused::malformed("an entry has no id"))?
            .to_string();
        if out.insert(id.clone(), v).is_some() {
            return Err(Refused::malformed(format!("entry {id} appears twice")));
        }
    }
    Ok(out)
}

/// Splits `after`'s entries into new ones, checking old ones are untouched.
fn appended(
    before: Vec<serde_json::Value>,
    after: Vec<serde_json::Value>,
) -> Result<Vec<serde_json::Value>, Refused> {
    let old = by_id(before)?;
    let mut seen = 0;
    let mut new = Vec::new();
    let mut ids = HashSet::new();
    for v in after {
        let id = v
            .get("id")
            .and_then(|i| i.as_str())
            .unwrap_or_default()
            .to_string();
        if !ids.insert(id.clone()) {
            return Err(Refused::malformed(format!("entry {id} appears twice")));
        }
        match old.get(&id) {
            Some(o) if *o == v => seen += 1,
            Some(_) => {
                return Err(Refused::forbidden(
                    "history_rewritten",
                    format!("entry {id} was changed after it was written; entries are append-only"),
                ));
            }
            None => new.push(v),
        }
    }
    if seen != old.len() {
        return Err(Refused::forbidden(
            "history_rewritten",
            "an existing entry was removed; entries are append-only",
        ));
    }
    Ok(new)
}

/// The event maps the changes `new` inserted into an existing issue's event
/// list, read from their operations. The changes may do nothing else: every
/// operation inserts a new map into the list or works inside an object the
/// same changes made, and overwrites only what they wrote themselves. An edit
/// or removal of an earlier event, or anything at the document's root, is
/// history rewritten — whatever the values read back as.
fn appended_events(after: &AutoCommit, new: &[ExpandedChange]) -> Result<HashSet<OpId>, Refused> {
    let list = match doc::issue_events_obj(after)? {
        automerge::ObjId::Id(counter, actor, _) => OpId(counter, actor),
        automerge::ObjId::Root => return Err(Refused::malformed("an issue has no event list")),
    };
    let ids = |c: &ExpandedChange| {
        let (start, actor) = (c.start_op.get(), c.actor_id.clone());
        (0..c.operations.len() as u64).map(move |i| OpId(start + i, actor.clone()))
    };
    let mut ours = HashSet::new();
    let mut made = HashSet::new();
    for c in new {
        for (id, op) in ids(c).zip(&c.operations) {
            if matches!(op.action, OpType::Make(_)) {
                made.insert(id.clone());
            }
            ours.insert(id);
        }
    }
    let rewritten = |message: &str| Refused::forbidden("history_rewritten", message.to_string());
    let mut events = HashSet::new();
    for c in new {
        for (id, op) in ids(c).zip(&c.operations) {
            if op.pred.iter().any(|p| !ours.contains(p)) {
                return Err(rewritten(
                    "an earlier entry was changed or removed; entries are append-only",
                ));
            }
            match &op.obj {
                ObjectId::Root => {
                    return Err(match &op.key {
                        automerge::legacy::Key::Map(key)
                            if !doc::is_root_key(DocKind::Issue, key) =>
                        {
                            Refused::malformed(format!(
                                "document root key `{}` is not part of the schema",
                                key.chars().take(64).collect::<String>()
                            ))
                        }
                        _ => rewritten(
                            "an issue's header and event list cannot change once it is stored",
                        ),
                    });
                }
                ObjectId::Id(obj) if *obj == list => {
                    if !op.insert || op.action != OpType::Make(automerge::ObjType::Map) {
                        return Err(rewritten(
                            "only new events may be added to an issue's event list",
                        ));
                    }
                    events.insert(id);
                }
                ObjectId::Id(obj) if made.contains(obj) => {}
                ObjectId::Id(_) => {
                    return Err(rewritten(
                        "an earlier entry was changed after it was written; entries are append-only",
                    ));
                }
            }
        }
    }
    Ok(events)
}

fn check_issue(
    sender: &Sender,
    id: DocId,
    site: SiteId,
    prior: Prior<'_>,
    after: &AutoCommit,
    new: &[ExpandedChange],
) -> Result<Accepted, Refused> {
    // A new issue's events are all new; an existing one's are those the changes inserted.
    let created = matches!(prior, Prior::New);
    let brought = match created {
        false => Some(appended_events(after, new)?),
        true => None,
    };
    let items = doc::issue_event_entries(after)?;
    if items.len() > limits::EVENTS_PER_ISSUE {
        return Err(Refused::too_large(format!(
            "an issue may hold at most {} events",
            limits::EVENTS_PER_ISSUE
        )));
    }
    let mut ids = HashSet::with_capacity(items.len());
    let mut events = Vec::with_capacity(items.len());
    let mut entries = Vec::new();
    let mut fresh = Vec::new();
    for (obj, v) in items {
        let is_new = match (&brought, obj) {
            (None, _) => true,
            (Some(b), Some(automerge::ObjId::Id(counter, actor, _))) => {
                b.contains(&OpId(counter, actor))
            }
            (Some(_), _) => false,
        };
        let e: IssueEvent = serde_json::from_value(v)
            .map_err(|e| Refused::malformed(format!("an event does not decode: {e}")))?;
        if !ids.insert(e.id) {
            return Err(Refused::malformed(format!("entry {} appears twice", e.id)));
        }
        if is_new {
            check_author(sender, &e)?;
            e.check_limits().map_err(Refused::too_large)?;
            entries.push(*e.id.as_uuid());
            fresh.push(events.len());
        }
        events.push(e);
    }
    check_new_events(site, created, &events, &fresh)?;
    if created {
        let raise = &events[0];
        let complaint = match &raise.body {
            EventBody::Raise {
                complaint: Some(c), ..
            } => Some(c),
            _ => None,
        };
        if let Some(c) = complaint
            && !c.is_masked()
        {
            return Err(Refused {
                code: "contact_unmasked",
                message: "an issue document carries the complainant's contact only masked \
                          (138****5678); send the full contact to PUT /api/v1/issues/{id}/contact"
                    .into(),
                status: 422,
            });
        }
        let complaint = complaint.is_some();
        if !policy::may_raise(raise.role, complaint) {
            return Err(Refused::forbidden(
                "role_forbidden",
                format!(
                    "role {} may not raise this kind of issue",
                    raise.role.code()
                ),
            ));
        }
        // An existing issue already folds and stays foldable (its events are append-only);
        // a new one must fold before it may be stored.
        shared::issue::fold(id.into(), events.iter().cloned())
            .map_err(|e| Refused::malformed(e.to_string()))?;
    }
    Ok(Accepted {
        entries,
        events: Some(events),
        finished: false,
    })
}

fn check_author(sender: &Sender, e: &IssueEvent) -> Result<(), Refused> {
    if e.by != sender.user || e.role != sender.role || e.by_name != sender.user_name {
        return Err(Refused::forbidden(
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
        return Err(Refused::forbidden(
            "forged_device",
            format!("event {} claims another device", e.id),
        ));
    }
    Ok(())
}

/// The order rules of an issue's event list, for the events at `fresh`:
/// a new issue starts with exactly one raise (Lamport number 1) of the
/// document's own site; no later event is a raise; and every new event's
/// Lamport number is at most one more than the highest one below it, as a
/// device computes it (`1 + max` of what it has). A number far ahead of the
/// history (up to `u64::MAX`) would otherwise sort after, and so override,
/// every event anyone writes later.
fn check_new_events(
    site: SiteId,
    new_doc: bool,
    events: &[IssueEvent],
    fresh: &[usize],
) -> Result<(), Refused> {
    let order = |message: String| Refused::forbidden("bad_event_order", message);
    if new_doc {
        match events.first() {
            Some(IssueEvent {
                lamport: 1,
                body: EventBody::Raise { .. },
                ..
            }) => {}
            _ => {
                return Err(Refused::malformed(
                    "a new issue must start with its raise event (Lamport number 1)",
                ));
            }
        }
    }
    for (n, &i) in fresh.iter().enumerate() {
        let e = &events[i];
        let is_first = new_doc && n == 0 && i == 0;
        if let EventBody::Raise { site: s, .. } = &e.body {
            if !is_first {
                return Err(order(format!(
                    "event {} raises the issue again; an issue is raised once",
                    e.id
                )));
            }
            if *s != site {
                return Err(Refused::forbidden(
                    "forbidden_site",
                    "the raise names another site than its document",
                ));
            }
            continue;
        }
        let below = events
            .iter()
            .enumerate()
            .filter(|(j, f)| *j != i && f.lamport < e.lamport)
            .map(|(_, f)| f.lamport)
            .max();
        match below {
            Some(max) if e.lamport - max <= limits::LAMPORT_STEP => {}
            _ => {
                return Err(order(format!(
                    "event {} has Lamport number {}, which does not follow the events it was written on",
                    e.id, e.lamport
                )));
            }
        }
    }
    Ok(())
}

fn check_patrol(
    sender: &Sender,
    site: SiteId,
    before: Option<&AutoCommit>,
    after: &AutoCommit,
) -> Result<Accepted, Refused> {
    if !policy::permits(sender.role, policy::Action::WalkPatrol) {
        return Err(Refused::forbidden(
            "role_forbidden",
            format!("role {} does not walk patrols", sender.role.code()),
        ));
    }
    let view = doc::patrol(after)?;
    let run: &PatrolRun = &view.run;
    if run.inspector != sender.user {
        return Err(Refused::forbidden(
            "forged_user",
            "only the patrol's own inspector may record its results",
        ));
    }
    if run.site != site {
        return Err(Refused::forbidden(
            "forbidden_site",
            "the patrol names another site than its document",
        ));
    }
    if before.is_none() && (run.device != sender.device || run.inspector_name != sender.user_name) {
        return Err(Refused::forbidden(
            "forged_device",
            "a new patrol must name this device and its signed-in inspector",
        ));
    }
    if view.results.len() > limits::RESULTS_PER_PATROL {
        return Err(Refused::too_large(format!(
            "a patrol may hold at most {} results",
            limits::RESULTS_PER_PATROL
        )));
    }
    for r in &view.results {
        r.check_limits().map_err(Refused::too_large)?;
    }
    if let Some(b) = before {
        let old = doc::patrol(b)?;
        if old.run != view.run {
            return Err(Refused::forbidden(
                "history_rewritten",
                "a patrol's header cannot change",
            ));
        }
        if old.finished_at.is_some() && old.finished_at != view.finished_at {
            return Err(Refused::forbidden(
                "history_rewritten",
                "a finished patrol's finishing time cannot change",
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
                serde_json::from_value(v).map_err(|e| Refused::malformed(e.to_string()))?;
            if r.by != sender.user {
                return Err(Refused::forbidden(
                    "forged_user",
                    "a result claims another inspector",
                ));
            }
            entries.push(*r.id.as_uuid());
        }
        return Ok(Accepted {
            entries,
            events: None,
            finished: old.finished_at.is_none() && view.finished_at.is_some(),
        });
    }
    for r in &view.results {
        if r.by != sender.user {
            return Err(Refused::forbidden(
                "forged_user",
                "a result claims another inspector",
            ));
        }
    }
    // A new run: its header is an entry too.
    Ok(Accepted {
        entries: std::iter::once(*view.run.id.as_uuid())
            .chain(view.results.iter().map(|r| *r.id.as_uuid()))
            .collect(),
        events: None,
        finished: view.finished_at.is_some(),
    })
}
