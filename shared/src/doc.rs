//! The Automerge document schema for issues, patrol runs and site plans.
//!
//! Layout (every document's root):
//! - `schema` (int), `kind` (`issue` | `patrol` | `plan`), `id`, `site`;
//! - issue: `events` — an append-only list of event maps ([`crate::issue::IssueEvent`]);
//! - patrol: `run` (header map), `results` — append-only list, `finished_at`;
//! - plan: `site_info`, and maps keyed by id: `zones`, `checkpoints`, `templates`
//!   (`id@version`), `routes`, `departments`, `users`.
//!
//! Domain values are mapped field by field through their serde form (see
//! [`json`]), so every scalar is a separate Automerge register and concurrent
//! appends to a list are all kept. Photos are referenced by hash, never embedded.

pub mod json;

use crate::ids::*;
use crate::issue::IssueEvent;
use crate::patrol::{CheckpointResult, PatrolRun, PatrolRunView};
use crate::plan::SitePlan;
use crate::wire::DocKind;
use automerge::sync::{Capability, Have, State};
use automerge::transaction::Transactable;
use automerge::{ActorId, AutoCommit, ObjType, ROOT, ReadDoc};
use chrono::{DateTime, Utc};

pub const SCHEMA_VERSION: i64 = 1;

/// A document that does not follow the schema.
#[derive(Debug, thiserror::Error)]
pub enum DocError {
    #[error("document field `{0}` is missing or has the wrong type")]
    Field(&'static str),
    #[error("document schema {0} is newer than this program understands; update the app")]
    Schema(i64),
    #[error("document is a {found}, expected a {expected}")]
    Kind {
        expected: &'static str,
        found: String,
    },
    #[error("document entry does not decode: {0}")]
    Decode(#[from] serde_json::Error),
    #[error("automerge: {0}")]
    Automerge(#[from] automerge::AutomergeError),
    #[error("document objects are nested deeper than {0} levels")]
    TooDeep(usize),
    #[error("document root key `{0}` is not part of the schema")]
    UnknownKey(String),
    #[error("document field `{0}` was replaced; lists of entries are append-only")]
    Replaced(&'static str),
}

/// An Automerge actor id made from a device's 16 random bytes.
pub fn actor(bytes: [u8; 16]) -> ActorId {
    ActorId::from(bytes.as_slice())
}

/// A sync state that assumes the peer has nothing of this document, so the first
/// message carries the whole document instead of a handshake. Used for a document
/// the peer cannot have yet (a brand-new local document, or one the server knows
/// the device never received); if the assumption is wrong the protocol repairs it.
pub fn state_for_empty_peer() -> State {
    State {
        their_heads: Some(Vec::new()),
        their_need: Some(Vec::new()),
        their_have: Some(vec![Have::default()]),
        their_capabilities: Some(vec![
            Capability::MessageV1,
            Capability::MessageV2,
            Capability::SyncReset,
        ]),
        ..State::new()
    }
}

/// Whether `state` is that of a peer known to hold nothing of the document
/// ([`state_for_empty_peer`], nothing said or sent since) that takes a whole
/// document: [`whole_document`] then answers it without loading the document.
pub fn peer_is_empty(state: &State) -> bool {
    state.their_heads.as_ref().is_some_and(Vec::is_empty)
        && state.their_need.as_ref().is_some_and(Vec::is_empty)
        && state
            .their_have
            .as_ref()
            .is_some_and(|h| h.iter().all(|h| h.last_sync.is_empty()))
        && state.shared_heads.is_empty()
        && state.last_sent_heads.is_empty()
        && !state.have_responded
        && !state.in_flight
        && !state.read_only
        && !state.peer_read_only
        && !state.needs_reset
        && state
            .their_capabilities
            .as_ref()
            .is_some_and(|c| c.contains(&Capability::MessageV2))
}

/// The message for a peer that holds nothing ([`peer_is_empty`]): the whole
/// document as stored (`saved`, any form `AutoCommit::load` reads) with its
/// `heads`, and `state` moved on as Automerge's own message would move it —
/// without parsing the document or compressing it again. One difference: the
/// summary of our changes (`have`) is left out, which tells the peer only
/// that it should not offer us changes yet; a peer that holds nothing has
/// none, and its answer carries its heads as usual.
pub fn whole_document(
    state: &mut State,
    heads: Vec<automerge::ChangeHash>,
    saved: Vec<u8>,
) -> automerge::sync::Message {
    use automerge::sync::{Message, MessageFlags, MessageVersion};
    debug_assert!(peer_is_empty(state));
    let mut flags = MessageFlags::new();
    flags.set(MessageFlags::SUPPORTS_SYNC_RESET);
    state.have_responded = true;
    state.last_sent_heads.clone_from(&heads);
    state.in_flight = true;
    Message {
        heads,
        need: Vec::new(),
        have: Vec::new(),
        changes: saved.into(),
        flags: Some(flags),
        version: MessageVersion::V2,
    }
}

/// Makes `state` send changes one by one (message format v1), never the whole
/// document: what a device sends to the server, which measures every change
/// before applying it and takes no whole-document chunks from devices.
pub fn send_changes_only(state: &mut State) {
    state.their_capabilities = Some(vec![Capability::MessageV1, Capability::SyncReset]);
}

/// The identity every document carries at its root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    pub kind: DocKind,
    pub id: DocId,
    pub site: SiteId,
}

/// Reads and checks a document's root header (one pass over the root map).
pub fn header(doc: &AutoCommit) -> Result<Header, DocError> {
    let (mut schema, mut kind, mut id, mut site) = (None, None, None, None);
    for item in doc.map_range(ROOT, ..) {
        let automerge::ValueRef::Scalar(v) = &item.value else {
            continue;
        };
        match (item.key.as_ref(), v) {
            ("schema", automerge::ScalarValueRef::Int(i)) => schema = Some(*i),
            ("schema", automerge::ScalarValueRef::Uint(u)) => schema = Some(*u as i64),
            ("kind", automerge::ScalarValueRef::Str(s)) => kind = DocKind::parse(s),
            ("id", automerge::ScalarValueRef::Str(s)) => id = s.parse::<DocId>().ok(),
            ("site", automerge::ScalarValueRef::Str(s)) => site = s.parse::<SiteId>().ok(),
            _ => {}
        }
    }
    let schema = schema.ok_or(DocError::Field("schema"))?;
    if schema > SCHEMA_VERSION {
        return Err(DocError::Schema(schema));
    }
    Ok(Header {
        kind: kind.ok_or(DocError::Field("kind"))?,
        id: id.ok_or(DocError::Field("id"))?,
        site: site.ok_or(DocError::Field("site"))?,
    })
}

const HEADER_KEYS: [&str; 4] = ["schema", "kind", "id", "site"];

/// The root keys a document of `kind` may hold besides the header, and which of
/// them are containers whose identity must never change once created.
fn root_keys(kind: DocKind) -> (&'static [&'static str], &'static [&'static str]) {
    match kind {
        DocKind::Issue => (&["events"], &["events"]),
        DocKind::Patrol => (&["run", "results", "finished_at"], &["run", "results"]),
        DocKind::Plan => (&PLAN_ROOT_KEYS, &PLAN_MAPS),
    }
}

/// Whether `key` belongs at the root of a document of `kind`.
pub fn is_root_key(kind: DocKind, key: &str) -> bool {
    HEADER_KEYS.contains(&key) || root_keys(kind).0.contains(&key)
}

/// Checks a document's root against the schema before its content is read:
/// only the schema's keys, each with one value (no concurrent writes to the
/// same root key), and the entry lists the same objects as `before` had.
/// Comparing values alone is not enough: a list replaced by an identical copy
/// reads the same, but whatever other devices append to the old list would
/// then be silently invisible.
pub fn check_shape(
    before: Option<&AutoCommit>,
    after: &AutoCommit,
    kind: DocKind,
) -> Result<(), DocError> {
    let (allowed, fixed) = root_keys(kind);
    for key in after.keys(ROOT) {
        let known = HEADER_KEYS.contains(&key.as_str()) || allowed.contains(&key.as_str());
        if !known {
            return Err(DocError::UnknownKey(key.chars().take(64).collect()));
        }
        if after.get_all(ROOT, key.as_str())?.len() > 1 {
            let key = HEADER_KEYS
                .iter()
                .chain(allowed.iter())
                .find(|k| **k == key)
                .copied()
                .unwrap_or("root");
            return Err(DocError::Replaced(key));
        }
    }
    if let Some(before) = before {
        for key in fixed {
            let old = before.get(ROOT, *key)?.map(|(_, id)| id);
            if old.is_some() && old != after.get(ROOT, *key)?.map(|(_, id)| id) {
                return Err(DocError::Replaced(key));
            }
        }
    }
    Ok(())
}

fn expect_kind(doc: &AutoCommit, kind: DocKind) -> Result<Header, DocError> {
    let h = header(doc)?;
    if h.kind != kind {
        return Err(DocError::Kind {
            expected: kind.code(),
            found: h.kind.code().into(),
        });
    }
    Ok(h)
}

fn new_doc(
    actor_id: ActorId,
    kind: DocKind,
    id: DocId,
    site: SiteId,
) -> Result<AutoCommit, DocError> {
    let mut doc = AutoCommit::new().with_actor(actor_id);
    doc.put(ROOT, "schema", SCHEMA_VERSION)?;
    doc.put(ROOT, "kind", kind.code())?;
    doc.put(ROOT, "id", id.to_string())?;
    doc.put(ROOT, "site", site.to_string())?;
    Ok(doc)
}

fn list_obj(doc: &AutoCommit, key: &'static str) -> Result<automerge::ObjId, DocError> {
    match doc.get(ROOT, key)? {
        Some((automerge::Value::Object(ObjType::List), id)) => Ok(id),
        _ => Err(DocError::Field(key)),
    }
}

fn map_obj(doc: &AutoCommit, key: &'static str) -> Result<automerge::ObjId, DocError> {
    match doc.get(ROOT, key)? {
        Some((automerge::Value::Object(ObjType::Map), id)) => Ok(id),
        _ => Err(DocError::Field(key)),
    }
}

// ---------------------------------------------------------------- issues

/// A new issue document holding its raise event.
pub fn new_issue(
    actor_id: ActorId,
    id: IssueId,
    site: SiteId,
    raise: &IssueEvent,
) -> Result<AutoCommit, DocError> {
    let mut doc = new_doc(actor_id, DocKind::Issue, id.into(), site)?;
    doc.put_object(ROOT, "events", ObjType::List)?;
    append_event(&mut doc, raise)?;
    Ok(doc)
}

/// Appends one event; existing events are never changed.
pub fn append_event(doc: &mut AutoCommit, event: &IssueEvent) -> Result<(), DocError> {
    let events = list_obj(doc, "events")?;
    let at = doc.length(&events);
    let value = serde_json::to_value(event)?;
    json::insert(doc, &events, at, &value)?;
    Ok(())
}

/// Every event of an issue document, in list order. An entry that does not decode is an error.
pub fn issue_events(doc: &AutoCommit) -> Result<Vec<IssueEvent>, DocError> {
    expect_kind(doc, DocKind::Issue)?;
    issue_event_values(doc)?
        .into_iter()
        .map(|v| Ok(serde_json::from_value(v)?))
        .collect()
}

/// The raw JSON of every event, in list order (used to check events are never rewritten).
pub fn issue_event_values(doc: &AutoCommit) -> Result<Vec<serde_json::Value>, DocError> {
    let events = list_obj(doc, "events")?;
    match json::read_obj(doc, &events)? {
        serde_json::Value::Array(items) => Ok(items),
        _ => Err(DocError::Field("events")),
    }
}

/// The raw JSON of every event with the id of its map in the document, in
/// list order: the server tells by the id which events a change brought.
pub fn issue_event_entries(
    doc: &AutoCommit,
) -> Result<Vec<(Option<automerge::ObjId>, serde_json::Value)>, DocError> {
    let events = list_obj(doc, "events")?;
    json::read_list_items(doc, &events)
}

/// The id of an issue document's event list.
pub fn issue_events_obj(doc: &AutoCommit) -> Result<automerge::ObjId, DocError> {
    list_obj(doc, "events")
}

// ---------------------------------------------------------------- patrol runs

/// A new patrol run document.
pub fn new_patrol(actor_id: ActorId, run: &PatrolRun) -> Result<AutoCommit, DocError> {
    let mut doc = new_doc(actor_id, DocKind::Patrol, run.id.into(), run.site)?;
    let value = serde_json::to_value(run)?;
    json::put(&mut doc, &ROOT, "run", &value)?;
    doc.put_object(ROOT, "results", ObjType::List)?;
    Ok(doc)
}

/// Appends one checkpoint result.
pub fn append_result(doc: &mut AutoCommit, result: &CheckpointResult) -> Result<(), DocError> {
    let results = list_obj(doc, "results")?;
    let at = doc.length(&results);
    json::insert(doc, &results, at, &serde_json::to_value(result)?)?;
    Ok(())
}

/// Marks the run finished (device clock).
pub fn finish_patrol(doc: &mut AutoCommit, at: DateTime<Utc>) -> Result<(), DocError> {
    json::put(doc, &ROOT, "finished_at", &serde_json::to_value(at)?)?;
    Ok(())
}

/// Reads a whole patrol run.
pub fn patrol(doc: &AutoCommit) -> Result<PatrolRunView, DocError> {
    expect_kind(doc, DocKind::Patrol)?;
    let run =
        serde_json::from_value(json::read_root_key(doc, "run")?.ok_or(DocError::Field("run"))?)?;
    let results = list_obj(doc, "results")?;
    let results = serde_json::from_value(json::read_obj(doc, &results)?)?;
    let finished_at = match json::read_root_key(doc, "finished_at")? {
        Some(v) => Some(serde_json::from_value(v)?),
        None => None,
    };
    Ok(PatrolRunView {
        run,
        results,
        finished_at,
    })
}

// ---------------------------------------------------------------- site plans

/// Everything a plan document holds at its root besides the header.
const PLAN_ROOT_KEYS: [&str; 10] = [
    "site_info",
    "zones",
    "checkpoints",
    "templates",
    "routes",
    "departments",
    "users",
    "schedules",
    "spot_checks",
    "adhoc",
];

const PLAN_MAPS: [&str; 9] = [
    "zones",
    "checkpoints",
    "templates",
    "routes",
    "departments",
    "users",
    "schedules",
    "spot_checks",
    "adhoc",
];

/// A new, empty plan document for a site (its id is the site id).
pub fn new_plan(actor_id: ActorId, plan: &SitePlan) -> Result<AutoCommit, DocError> {
    let mut doc = new_doc(actor_id, DocKind::Plan, plan.site.id.into(), plan.site.id)?;
    for key in PLAN_MAPS {
        doc.put_object(ROOT, key, ObjType::Map)?;
    }
    write_plan(&mut doc, plan)?;
    Ok(doc)
}

fn plan_entries(plan: &SitePlan) -> Result<[Vec<(String, serde_json::Value)>; 9], DocError> {
    fn entries<T: serde::Serialize>(
        items: &[T],
        key: impl Fn(&T) -> String,
    ) -> Result<Vec<(String, serde_json::Value)>, DocError> {
        items
            .iter()
            .map(|i| Ok((key(i), serde_json::to_value(i)?)))
            .collect()
    }
    Ok([
        entries(&plan.zones, |z| z.id.to_string())?,
        entries(&plan.checkpoints, |c| c.id.to_string())?,
        entries(&plan.templates, |t| format!("{}@{}", t.id, t.version))?,
        entries(&plan.routes, |r| r.id.to_string())?,
        entries(&plan.departments, |d| d.code.code().to_string())?,
        entries(&plan.users, |u| u.id.to_string())?,
        entries(&plan.schedules, |s| s.code.to_string())?,
        entries(&plan.spot_checks, |s| s.code.to_string())?,
        entries(&plan.adhoc, |a| a.code.to_string())?,
    ])
}

/// Brings the plan document in line with `plan`, writing only entities that changed.
pub fn write_plan(doc: &mut AutoCommit, plan: &SitePlan) -> Result<(), DocError> {
    expect_kind(doc, DocKind::Plan)?;
    let site = serde_json::to_value(&plan.site)?;
    if json::read_root_key(doc, "site_info")?.as_ref() != Some(&json::without_nulls(&site)) {
        json::put(doc, &ROOT, "site_info", &site)?;
    }
    for (key, wanted) in PLAN_MAPS.into_iter().zip(plan_entries(plan)?) {
        // Plans written before schedules existed lack the later maps.
        let map = match map_obj(doc, key) {
            Ok(map) => map,
            Err(_) => doc.put_object(ROOT, key, ObjType::Map)?,
        };
        let existing: Vec<String> = doc.keys(&map).collect();
        for k in &existing {
            if !wanted.iter().any(|(w, _)| w == k) {
                doc.delete(&map, k.as_str())?;
            }
        }
        for (k, v) in wanted {
            let have = match doc.get(&map, k.as_str())? {
                Some((_, obj)) => Some(json::read_obj(doc, &obj)?),
                None => None,
            };
            if have.as_ref() != Some(&json::without_nulls(&v)) {
                json::put(doc, &map, k.as_str(), &v)?;
            }
        }
    }
    Ok(())
}

/// Reads a site plan; entities come out sorted by code.
pub fn plan(doc: &AutoCommit) -> Result<SitePlan, DocError> {
    expect_kind(doc, DocKind::Plan)?;
    fn values<T: serde::de::DeserializeOwned>(
        doc: &AutoCommit,
        key: &'static str,
    ) -> Result<Vec<T>, DocError> {
        let Ok(map) = map_obj(doc, key) else {
            // A plan written before this kind of entry existed has none.
            return Ok(Vec::new());
        };
        let keys: Vec<String> = doc.keys(&map).collect();
        keys.iter()
            .map(|k| {
                let (_, obj) = doc.get(&map, k.as_str())?.ok_or(DocError::Field(key))?;
                Ok(serde_json::from_value(json::read_obj(doc, &obj)?)?)
            })
            .collect()
    }
    let site = serde_json::from_value(
        json::read_root_key(doc, "site_info")?.ok_or(DocError::Field("site_info"))?,
    )?;
    let mut plan = SitePlan {
        site,
        zones: values(doc, "zones")?,
        checkpoints: values(doc, "checkpoints")?,
        templates: values(doc, "templates")?,
        routes: values(doc, "routes")?,
        departments: values(doc, "departments")?,
        users: values(doc, "users")?,
        schedules: values(doc, "schedules")?,
        spot_checks: values(doc, "spot_checks")?,
        adhoc: values(doc, "adhoc")?,
    };
    plan.zones.sort_by(|a, b| a.code.cmp(&b.code));
    plan.checkpoints.sort_by(|a, b| a.code.cmp(&b.code));
    plan.templates
        .sort_by(|a, b| (&a.code, a.version).cmp(&(&b.code, b.version)));
    plan.routes.sort_by(|a, b| a.code.cmp(&b.code));
    plan.departments.sort_by_key(|d| d.code);
    plan.users.sort_by(|a, b| a.name.cmp(&b.name));
    plan.schedules.sort_by(|a, b| a.code.cmp(&b.code));
    plan.spot_checks.sort_by(|a, b| a.code.cmp(&b.code));
    plan.adhoc.sort_by(|a, b| a.code.cmp(&b.code));
    Ok(plan)
}

// ---------------------------------------------------------------- sync state

/// A `Have`: last-sync heads and the bloom filter's bytes.
type EncodedHave = (Vec<[u8; 32]>, Vec<u8>);

/// Every field of a sync [`State`], so a peer can persist a whole conversation
/// between HTTP rounds (Automerge's own `encode` keeps only the shared heads).
#[derive(serde::Serialize, serde::Deserialize)]
struct FullState {
    shared_heads: Vec<[u8; 32]>,
    last_sent_heads: Vec<[u8; 32]>,
    their_heads: Option<Vec<[u8; 32]>>,
    their_need: Option<Vec<[u8; 32]>>,
    their_have: Option<Vec<EncodedHave>>,
    sent_hashes: Vec<[u8; 32]>,
    in_flight: bool,
    have_responded: bool,
    capabilities: Option<Vec<u8>>,
}

fn hashes(h: &[automerge::ChangeHash]) -> Vec<[u8; 32]> {
    h.iter().map(|h| h.0).collect()
}
fn unhashes(h: Vec<[u8; 32]>) -> Vec<automerge::ChangeHash> {
    h.into_iter().map(automerge::ChangeHash).collect()
}

/// Encodes a sync state completely (see [`decode_state`]).
pub fn encode_state(s: &State) -> Vec<u8> {
    let full = FullState {
        shared_heads: hashes(&s.shared_heads),
        last_sent_heads: hashes(&s.last_sent_heads),
        their_heads: s.their_heads.as_deref().map(hashes),
        their_need: s.their_need.as_deref().map(hashes),
        their_have: s.their_have.as_ref().map(|haves| {
            haves
                .iter()
                .map(|h| (hashes(&h.last_sync), h.bloom.to_bytes()))
                .collect()
        }),
        sent_hashes: s.sent_hashes.iter().map(|h| h.0).collect(),
        in_flight: s.in_flight,
        have_responded: s.have_responded,
        capabilities: s.their_capabilities.as_ref().map(|caps| {
            caps.iter()
                .map(|c| match c {
                    Capability::MessageV1 => 1,
                    Capability::MessageV2 => 2,
                    Capability::SyncReset => 3,
                })
                .collect()
        }),
    };
    postcard::to_allocvec(&full).expect("sync state encodes")
}

/// Decodes [`encode_state`]'s bytes; `None` if they are not a sync state.
pub fn decode_state(bytes: &[u8]) -> Option<State> {
    let full: FullState = postcard::from_bytes(bytes).ok()?;
    let their_have = match full.their_have {
        Some(haves) => Some(
            haves
                .into_iter()
                .map(|(last_sync, bloom)| {
                    Some(Have {
                        last_sync: unhashes(last_sync),
                        bloom: automerge::sync::BloomFilter::try_from(bloom.as_slice()).ok()?,
                    })
                })
                .collect::<Option<Vec<_>>>()?,
        ),
        None => None,
    };
    Some(State {
        shared_heads: unhashes(full.shared_heads),
        last_sent_heads: unhashes(full.last_sent_heads),
        their_heads: full.their_heads.map(unhashes),
        their_need: full.their_need.map(unhashes),
        their_have,
        sent_hashes: full
            .sent_hashes
            .into_iter()
            .map(automerge::ChangeHash)
            .collect(),
        in_flight: full.in_flight,
        have_responded: full.have_responded,
        their_capabilities: full.capabilities.map(|caps| {
            caps.into_iter()
                .filter_map(|c| match c {
                    1 => Some(Capability::MessageV1),
                    2 => Some(Capability::MessageV2),
                    3 => Some(Capability::SyncReset),
                    _ => None,
                })
                .collect()
        }),
        ..State::new()
    })
}

/// Starts a new conversation with a peer from a persisted state: assumes the
/// peer holds what both sides last agreed on (so the first message already
/// carries every change made since), forgets what was in flight, and asks the
/// peer to forget what it believes it already sent (that message may have been
/// lost). If the assumption is wrong the peer's answer says so and the protocol
/// repairs it in the next round.
pub fn restart_state(mut s: State) -> State {
    s.their_heads = Some(s.shared_heads.clone());
    s.their_need = Some(Vec::new());
    s.their_have = Some(vec![Have {
        last_sync: s.shared_heads.clone(),
        bloom: Default::default(),
    }]);
    s.sent_hashes.clear();
    s.in_flight = false;
    s.have_responded = false;
    s.last_sent_heads.clear();
    s.needs_reset = true;
    if s.their_capabilities.is_none() {
        s.their_capabilities = Some(vec![
            Capability::MessageV1,
            Capability::MessageV2,
            Capability::SyncReset,
        ]);
    }
    s
}

/// Records that the peer acknowledged exactly `heads` (a message without
/// changes or needs whose heads equal ours), without loading the document.
pub fn acknowledge(state: &mut State, heads: Vec<automerge::ChangeHash>, have: Vec<Have>) {
    state.shared_heads = heads.clone();
    state.their_heads = Some(heads);
    state.their_need = Some(Vec::new());
    state.their_have = Some(have);
    state.in_flight = false;
}

/// Whether the peer has told us it holds exactly our heads.
pub fn settled(state: &State, heads: &[automerge::ChangeHash]) -> bool {
    state.their_heads.as_deref() == Some(heads)
}

/// Concatenated change hashes, for storing a document's heads beside it.
pub fn heads_bytes(heads: &[automerge::ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codes::*;
    use crate::issue::{EventBody, IssueEvent};
    use automerge::sync::SyncDoc;
    use proptest::prelude::*;

    fn raise(title: &str, description: &str, site: SiteId) -> IssueEvent {
        IssueEvent {
            id: EventId::new(),
            lamport: 1,
            by: UserId::new(),
            by_name: "inspector1".into(),
            role: Role::Inspector,
            device: DeviceId::new(),
            at: chrono::DateTime::from_timestamp_millis(1_770_000_000_000).unwrap(),
            base: None,
            body: EventBody::Raise {
                site,
                zone: Some(ZoneId::new()),
                checkpoint: None,
                checkpoint_code: None,
                item: None,
                patrol: None,
                category: Category::Other,
                grade: Grade::LongTerm,
                title: title.into(),
                description: description.into(),
                photos: vec![crate::issue::PhotoRef {
                    hash: crate::issue::PhotoHash::parse(&"ab".repeat(32)).unwrap(),
                    thumb: crate::issue::PhotoHash::parse(&"cd".repeat(32)).unwrap(),
                    original: crate::issue::PhotoHash::parse(&"ef".repeat(32)).unwrap(),
                    width: 2048,
                    height: 1536,
                    bytes: 412_345,
                    taken_at: chrono::DateTime::from_timestamp_millis(1_769_999_000_000),
                    added_at: chrono::DateTime::from_timestamp_millis(1_770_000_000_000).unwrap(),
                    by: UserId::new(),
                    by_name: "inspector1".into(),
                }],
                deadline: None,
                complaint: None,
            },
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, .. ProptestConfig::default() })]
        /// Domain ⇄ document: what goes in comes out, through save and load.
        #[test]
        fn events_round_trip_through_documents(title in "\\PC{1,40}", description in "\\PC{0,80}") {
            let site = SiteId::new();
            let e = raise(&title, &description, site);
            let id = IssueId::new();
            let mut d = new_issue(actor([1; 16]), id, site, &e).unwrap();
            let loaded = AutoCommit::load(&d.save()).unwrap();
            prop_assert_eq!(issue_events(&loaded).unwrap(), vec![e]);
            prop_assert_eq!(header(&loaded).unwrap(), Header { kind: DocKind::Issue, id: id.into(), site });
        }
    }

    #[test]
    fn concurrent_appends_are_all_kept() {
        let site = SiteId::new();
        let id = IssueId::new();
        let mut a = new_issue(actor([1; 16]), id, site, &raise("t", "", site)).unwrap();
        let mut b = a.fork().with_actor(actor([2; 16]));
        let mut e1 = raise("x", "", site);
        e1.body = EventBody::Comment {
            text: "from a".into(),
        };
        let mut e2 = raise("y", "", site);
        e2.body = EventBody::Comment {
            text: "from b".into(),
        };
        append_event(&mut a, &e1).unwrap();
        append_event(&mut b, &e2).unwrap();
        a.merge(&mut b).unwrap();
        b.merge(&mut a).unwrap();
        assert_eq!(issue_events(&a).unwrap().len(), 3);
        assert_eq!(issue_events(&a).unwrap(), issue_events(&b).unwrap());
    }

    #[test]
    fn full_sync_state_survives_encoding_and_empty_peer_sends_everything() {
        let site = SiteId::new();
        let mut d = new_issue(actor([1; 16]), IssueId::new(), site, &raise("t", "", site)).unwrap();
        let mut state = state_for_empty_peer();
        let msg = d
            .sync()
            .generate_sync_message(&mut state)
            .expect("a message");
        assert!(
            !msg.changes.is_empty(),
            "the first message already carries the document"
        );
        let back = decode_state(&encode_state(&state)).unwrap();
        assert_eq!(back.their_heads, state.their_heads);
        assert_eq!(back.sent_hashes, state.sent_hashes);
        assert_eq!(back.in_flight, state.in_flight);
        let mut peer = AutoCommit::new();
        let mut peer_state = automerge::sync::State::new();
        peer.sync()
            .receive_sync_message(&mut peer_state, msg)
            .unwrap();
        assert_eq!(issue_events(&peer).unwrap().len(), 1);
        assert!(decode_state(b"garbage").is_none());
    }

    /// The whole-document answer made from stored bytes brings a peer that
    /// holds nothing to the same document, heads and settled exchange as
    /// Automerge's own first message, in as many rounds.
    #[test]
    fn a_stored_document_answers_an_empty_peer_like_automerge_does() {
        let site = SiteId::new();
        let mut d = new_issue(actor([1; 16]), IssueId::new(), site, &raise("t", "", site)).unwrap();
        append_event(&mut d, &raise("second", "x", site)).unwrap();
        let exchange = |ours: bool, d: &mut AutoCommit| {
            let mut state = state_for_empty_peer();
            assert!(peer_is_empty(&state));
            let (mut peer, mut peer_state) = (AutoCommit::new(), automerge::sync::State::new());
            let mut rounds = 0;
            let mut first = true;
            loop {
                rounds += 1;
                assert!(rounds < 10, "the exchange settles");
                let msg = if ours && first {
                    whole_document(&mut state, d.get_heads(), d.save_nocompress())
                } else {
                    match d.sync().generate_sync_message(&mut state) {
                        Some(m) => m,
                        None => break,
                    }
                };
                first = false;
                let msg = automerge::sync::Message::decode(&msg.encode()).unwrap();
                peer.sync()
                    .receive_sync_message(&mut peer_state, msg)
                    .unwrap();
                match peer.sync().generate_sync_message(&mut peer_state) {
                    Some(reply) => d.sync().receive_sync_message(&mut state, reply).unwrap(),
                    None => break,
                }
            }
            assert!(!peer_is_empty(&state));
            (
                peer.get_heads(),
                issue_events(&peer).unwrap(),
                state.their_heads,
                rounds,
            )
        };
        let theirs = exchange(false, &mut d);
        let ours = exchange(true, &mut d);
        assert_eq!(ours.0, d.get_heads());
        assert_eq!(ours, theirs);
        // Anything said or sent since makes the peer no longer empty.
        let mut state = state_for_empty_peer();
        state.have_responded = true;
        assert!(!peer_is_empty(&state));
        let mut state = state_for_empty_peer();
        state.their_capabilities = Some(vec![Capability::MessageV1]);
        assert!(!peer_is_empty(&state));
    }

    #[test]
    fn schema_errors_are_reported_not_panicked() {
        let mut d = AutoCommit::new();
        assert!(matches!(header(&d), Err(DocError::Field("schema"))));
        d.put(ROOT, "schema", 99).unwrap();
        assert!(matches!(header(&d), Err(DocError::Schema(99))));
    }
}
