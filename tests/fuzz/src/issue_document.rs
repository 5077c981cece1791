//! Stored documents through the schema readers.
//!
//! First byte even: the rest is a saved document, loaded as the server loads
//! its stored copies (`AutoCommit::load`). First byte odd: the rest drives a
//! recipe (the `arbitrary` crate) that builds a well-formed Automerge
//! document — optionally starting from a real issue, patrol or plan skeleton —
//! with puts, inserts, nested objects (deep chains too), deletions, text,
//! counters, concurrent writes from a second actor and whole well-formed
//! events, so the readers see valid Automerge with every shape of content.
//!
//! Either way the document then goes through everything the server reads of
//! it: `header`, `check_shape` for each kind, `issue_events` and the fold with
//! its tracker row, `patrol`, `plan` (and the plan's own checks and writer).
//! Errors are expected; a panic is a bug. The recipe mode also asserts that a
//! built document saves and loads back with the same content.

use arbitrary::{Arbitrary, Unstructured};
use automerge::transaction::Transactable;
use automerge::{AutoCommit, ObjId, ObjType, ROOT, ReadDoc, ScalarValue};
use shared::doc;
use shared::ids::*;
use shared::issue;
use shared::wire::{DocKind, IssueSummary};

/// What the readers made of a document (for the corpus writer's checks).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Report {
    pub loaded: bool,
    pub header: bool,
    pub events: Option<usize>,
    pub folded: bool,
    pub patrol: bool,
    pub plan: bool,
}

pub fn run(data: &[u8]) -> Report {
    let Some((&mode, rest)) = data.split_first() else {
        return Report::default();
    };
    if mode & 1 == 0 {
        match AutoCommit::load(rest) {
            Ok(d) => read_all(&d),
            Err(_) => Report::default(),
        }
    } else {
        let Ok(recipe) = Recipe::arbitrary_take_rest(Unstructured::new(rest)) else {
            return Report::default();
        };
        let d = build(&recipe);
        if recipe.reload {
            let bytes = if recipe.compress {
                d.clone().save()
            } else {
                d.clone().save_nocompress()
            };
            let back = AutoCommit::load(&bytes).expect("a saved document loads");
            assert_eq!(
                doc::json::read_obj(&back, &ROOT).ok(),
                doc::json::read_obj(&d, &ROOT).ok(),
                "a document reads the same after save and load"
            );
            read_all(&back)
        } else {
            read_all(&d)
        }
    }
}

/// Everything the server and the devices read of a stored document.
pub fn read_all(d: &AutoCommit) -> Report {
    let mut r = Report {
        loaded: true,
        ..Report::default()
    };
    let header = doc::header(d).ok();
    r.header = header.is_some();
    for kind in [DocKind::Issue, DocKind::Patrol, DocKind::Plan] {
        let _ = doc::check_shape(None, d, kind);
        let _ = doc::check_shape(Some(d), d, kind);
    }
    let _ = doc::issue_event_values(d);
    if let Ok(events) = doc::issue_events(d) {
        r.events = Some(events.len());
        for e in &events {
            let _ = e.check_limits();
        }
        let id: IssueId = header.map_or_else(|| IssueId::from_bytes([1; 16]), |h| h.id.into());
        if let Ok(view) = issue::fold(id, events) {
            r.folded = true;
            let now = crate::at(86_400 * 10);
            let _ = view.all_photos().count();
            let _ = view.next_lamport();
            let _ = view.is_overdue(now);
            let _ = view.not_applied().count();
            let _ = IssueSummary::from_view(&view, now);
        }
    }
    if let Ok(p) = doc::patrol(d) {
        r.patrol = true;
        for res in &p.results {
            let _ = res.check_limits();
        }
    }
    if let Ok(plan) = doc::plan(d) {
        r.plan = true;
        let _ = plan.validate();
        let _ = plan.latest_templates();
        let mut copy = d.clone().with_actor(doc::actor([9; 16]));
        let _ = doc::write_plan(&mut copy, &plan);
    }
    r
}

// ---------------------------------------------------------------- recipes

#[derive(Debug, Arbitrary)]
pub struct Recipe {
    /// 0: a bare document; 1: an issue with its raise; 2: a patrol; 3: a plan.
    skeleton: u8,
    ops: Vec<Op>,
    reload: bool,
    compress: bool,
}

#[derive(Debug, Arbitrary)]
enum Op {
    Put {
        obj: u8,
        key: Key,
        value: Val,
    },
    Insert {
        obj: u8,
        at: u8,
        value: Val,
    },
    PutObject {
        obj: u8,
        key: Key,
        ty: Ty,
    },
    InsertObject {
        obj: u8,
        at: u8,
        ty: Ty,
    },
    Delete {
        obj: u8,
        key: Key,
    },
    DeleteAt {
        obj: u8,
        at: u8,
    },
    /// A chain of `depth` objects, each inside the last.
    Nest {
        obj: u8,
        key: Key,
        depth: u8,
        ty: Ty,
    },
    Splice {
        obj: u8,
        at: u8,
        del: u8,
        text: String,
    },
    Increment {
        obj: u8,
        key: Key,
        by: i32,
    },
    /// A whole well-formed event appended to `events`.
    Event {
        which: u8,
        n: u8,
        lamport: u8,
        text: String,
    },
    /// Another actor writes the same key of `obj` concurrently (a conflict).
    Concurrent {
        obj: u8,
        key: Key,
        mine: Val,
        theirs: Val,
    },
    Commit,
}

#[derive(Debug, Arbitrary)]
enum Ty {
    Map,
    List,
    Text,
}

#[derive(Debug, Arbitrary)]
enum Key {
    Known(u8),
    Other(String),
}

#[derive(Debug, Arbitrary)]
enum Val {
    Known(u8),
    Str(String),
    Int(i64),
    Uint(u64),
    F64(f64),
    Bool(bool),
    Null,
    /// 32-bit starts (and 32-bit increments) keep a counter inside i64:
    /// Automerge overflows on a counter pushed past i64::MAX, and the server
    /// refuses every change with a counter before applying it
    /// (`chunks::inspect`), so stored documents never hold one that far.
    Counter(i32),
    Timestamp(i64),
    Bytes(Vec<u8>),
}

/// Keys the schema readers look for.
const KEYS: &[&str] = &[
    "schema",
    "kind",
    "id",
    "site",
    "events",
    "run",
    "results",
    "finished_at",
    "site_info",
    "zones",
    "checkpoints",
    "templates",
    "routes",
    "departments",
    "users",
    "schedules",
    "spot_checks",
    "lamport",
    "by",
    "by_name",
    "role",
    "device",
    "at",
    "base",
    "body",
    "title",
    "description",
    "photos",
    "deadline",
    "complaint",
    "category",
    "grade",
    "zone",
    "checkpoint",
    "checkpoint_code",
    "item",
    "patrol",
    "status",
    "assignee",
    "assignee_name",
    "department",
    "note",
    "text",
    "satisfied",
    "hash",
    "thumb",
    "original",
    "width",
    "height",
    "bytes",
    "taken_at",
    "added_at",
    "items",
    "presence",
    "code",
    "name",
    "inspector",
    "inspector_name",
    "route",
    "route_code",
    "started_at",
    "checklists",
    "template",
    "template_version",
    "version",
    "answer",
    "value",
    "outcome",
    "checked_at",
    "method",
    "arrived_at",
    "location",
    "contact",
    "frequency",
    "plan_xy",
    "label",
    "family",
    "min",
    "max",
    "unit",
    "active",
    "display_name",
    "deadlines",
    "utc_offset_minutes",
    "deadline_days",
    "long_term_days",
    "keep_originals",
    "repeat_window_days",
    "adhoc",
    "urgency",
    "respond_by",
    "complaint_sla",
    "rules",
    "respond_minutes",
    "resolve_hours",
    "verify_hours",
    "callback_hours",
    "root_cause_days",
    "inspectors",
    "launched_by",
    "launched_at",
];

/// Strings the schema readers accept somewhere.
fn known_str(i: u8) -> String {
    const WORDS: &[&str] = &[
        "issue",
        "patrol",
        "plan",
        "raise",
        "edit",
        "regrade",
        "assign",
        "move_deadline",
        "rectify",
        "verify",
        "reject",
        "cancel",
        "reopen",
        "comment",
        "callback",
        "inspector",
        "field_staff",
        "manager",
        "admin",
        "customer_service",
        "safety_hazard",
        "other",
        "immediate",
        "deadline",
        "long_term",
        "recorded",
        "assigned",
        "rectified",
        "closed",
        "engineering",
        "cleaning",
        "security",
        "code_entered",
        "none",
        "pass",
        "fail",
        "na",
        "reading",
        "typed",
        "scanned",
        "pass_fail",
        "daily",
        "weekly",
        "inspector1",
        "DEMO",
        "urgent",
        "normal",
        "2026-02-02T02:40:00Z",
        "2026-02-05T00:00:00.123Z",
        "1970-01-01T00:00:00Z",
        "",
    ];
    match i as usize {
        n if n < WORDS.len() => WORDS[n].to_string(),
        n => match n % 6 {
            0 => crate::site_id().to_string(),
            1 => crate::user_id().to_string(),
            2 => crate::device_id().to_string(),
            3 => "ab".repeat(32),
            4 => SiteId::from_bytes(crate::OTHER_SITE).to_string(),
            _ => EventId::from_bytes(crate::id_bytes(0xe0, n as u64 % 4)).to_string(),
        },
    }
}

fn key(k: &Key) -> String {
    match k {
        Key::Known(i) => KEYS[*i as usize % KEYS.len()].to_string(),
        Key::Other(s) => s.chars().take(32).collect(),
    }
}

fn scalar(v: &Val) -> ScalarValue {
    match v {
        Val::Known(i) => ScalarValue::Str(known_str(*i).into()),
        Val::Str(s) => ScalarValue::Str(s.as_str().into()),
        Val::Int(i) => ScalarValue::Int(*i),
        Val::Uint(u) => ScalarValue::Uint(*u),
        Val::F64(f) => ScalarValue::F64(*f),
        Val::Bool(b) => ScalarValue::Boolean(*b),
        Val::Null => ScalarValue::Null,
        Val::Counter(c) => ScalarValue::counter(i64::from(*c)),
        Val::Timestamp(t) => ScalarValue::Timestamp(*t),
        Val::Bytes(b) => ScalarValue::Bytes(b.iter().copied().take(64).collect()),
    }
}

fn ty(t: &Ty) -> ObjType {
    match t {
        Ty::Map => ObjType::Map,
        Ty::List => ObjType::List,
        Ty::Text => ObjType::Text,
    }
}

const MAX_OPS: usize = 64;
const MAX_EVENTS: usize = 8;
const MAX_OBJECTS: usize = 256;

fn skeleton(which: u8) -> AutoCommit {
    let me = doc::actor(crate::ACTOR);
    match which % 4 {
        1 => doc::new_issue(
            me,
            IssueId::from_bytes(crate::id_bytes(0x1d, 1)),
            crate::site_id(),
            &crate::raise(1, "消防通道堵塞", false),
        )
        .expect("an issue"),
        2 => doc::new_patrol(me, &crate::patrol_run()).expect("a patrol"),
        3 => doc::new_plan(me, &shared::plan::SitePlan::empty(crate::demo_site())).expect("a plan"),
        _ => AutoCommit::new().with_actor(me),
    }
}

/// Every object reachable from the root, breadth first (bounded).
fn objects(d: &AutoCommit) -> Vec<(ObjId, ObjType)> {
    let mut out = vec![(ROOT, ObjType::Map)];
    let mut i = 0;
    while i < out.len() && out.len() < MAX_OBJECTS {
        let (obj, t) = out[i].clone();
        let children: Vec<ObjId> = match t {
            ObjType::Map | ObjType::Table => d
                .map_range(&obj, ..)
                .filter(|item| matches!(item.value, automerge::ValueRef::Object(_)))
                .map(|item| item.id())
                .collect(),
            ObjType::List => d
                .list_range(&obj, ..)
                .filter(|item| matches!(item.value, automerge::ValueRef::Object(_)))
                .map(|item| item.id())
                .collect(),
            ObjType::Text => Vec::new(),
        };
        for c in children {
            if let Ok(t) = d.object_type(&c) {
                out.push((c, t));
            }
        }
        i += 1;
    }
    out.truncate(MAX_OBJECTS);
    out
}

pub fn build(recipe: &Recipe) -> AutoCommit {
    let mut d = skeleton(recipe.skeleton);
    let mut objs = objects(&d);
    let pick = |objs: &[(ObjId, ObjType)], i: u8| objs[i as usize % objs.len()].clone();
    let mut events = 0;
    for op in recipe.ops.iter().take(MAX_OPS) {
        // Errors (a put on a list, an index past the end) are part of the game.
        match op {
            Op::Put { obj, key: k, value } => {
                let (o, t) = pick(&objs, *obj);
                let _ = match t {
                    ObjType::List => put_at(&mut d, &o, k, scalar(value)),
                    _ => d.put(&o, key(k), scalar(value)),
                };
            }
            Op::Insert { obj, at, value } => {
                let (o, _) = pick(&objs, *obj);
                let len = d.length(&o);
                let _ = d.insert(&o, *at as usize % (len + 1), scalar(value));
            }
            Op::PutObject { obj, key: k, ty: t } => {
                let (o, ot) = pick(&objs, *obj);
                let made = match ot {
                    ObjType::List => {
                        let len = d.length(&o);
                        if len == 0 {
                            d.insert_object(&o, 0, ty(t))
                        } else {
                            d.put_object(&o, index(k) % len, ty(t))
                        }
                    }
                    _ => d.put_object(&o, key(k), ty(t)),
                };
                if let Ok(id) = made
                    && objs.len() < MAX_OBJECTS
                {
                    objs.push((id, ty(t)));
                }
            }
            Op::InsertObject { obj, at, ty: t } => {
                let (o, _) = pick(&objs, *obj);
                let len = d.length(&o);
                if let Ok(id) = d.insert_object(&o, *at as usize % (len + 1), ty(t))
                    && objs.len() < MAX_OBJECTS
                {
                    objs.push((id, ty(t)));
                }
            }
            Op::Delete { obj, key: k } => {
                let (o, t) = pick(&objs, *obj);
                let _ = match t {
                    ObjType::Map | ObjType::Table => d.delete(&o, key(k)),
                    _ => {
                        let len = d.length(&o);
                        if len == 0 {
                            Ok(())
                        } else {
                            d.delete(&o, index(k) % len)
                        }
                    }
                };
            }
            Op::DeleteAt { obj, at } => {
                let (o, _) = pick(&objs, *obj);
                let len = d.length(&o);
                if len > 0 {
                    let _ = d.delete(&o, *at as usize % len);
                }
            }
            Op::Nest {
                obj,
                key: k,
                depth,
                ty: t,
            } => {
                let (mut o, mut ot) = pick(&objs, *obj);
                for level in 0..(*depth as usize % 24) {
                    let t = if level % 2 == 0 { ty(t) } else { ObjType::Map };
                    let t = if t == ObjType::Text { ObjType::List } else { t };
                    let made = match ot {
                        ObjType::List => {
                            let len = d.length(&o);
                            d.insert_object(&o, len, t)
                        }
                        ObjType::Text => break,
                        _ => d.put_object(&o, key(k), t),
                    };
                    match made {
                        Ok(id) => {
                            o = id;
                            ot = t;
                        }
                        Err(_) => break,
                    }
                }
                if objs.len() < MAX_OBJECTS {
                    objs.push((o, ot));
                }
            }
            Op::Splice { obj, at, del, text } => {
                let (o, t) = pick(&objs, *obj);
                if t == ObjType::Text {
                    let len = d.length(&o);
                    let pos = *at as usize % (len + 1);
                    let del = (*del as usize).min(len - pos) as isize;
                    let _ = d.splice_text(&o, pos, del, text);
                }
            }
            Op::Increment { obj, key: k, by } => {
                let (o, t) = pick(&objs, *obj);
                let _ = match t {
                    ObjType::List => {
                        let len = d.length(&o);
                        if len == 0 {
                            Ok(())
                        } else {
                            d.increment(&o, index(k) % len, *by as i64)
                        }
                    }
                    _ => d.increment(&o, key(k), *by as i64),
                };
            }
            Op::Event {
                which,
                n,
                lamport,
                text,
            } => {
                // A whole event costs as much as a dozen other ops.
                events += 1;
                if events > MAX_EVENTS {
                    continue;
                }
                let n = *n as u64;
                let e = if *which == 255 {
                    crate::raise(n, text, n.is_multiple_of(2))
                } else {
                    crate::later_event(n, *lamport as u64, *which, text)
                };
                if doc::append_event(&mut d, &e).is_ok() {
                    // The new event (and the list, if it was just made)
                    // become targets; walking the whole tree again after
                    // every event would cost most of the run.
                    if let Ok(Some((automerge::Value::Object(_), list))) = d.get(ROOT, "events") {
                        let last = d.length(&list).checked_sub(1);
                        if !objs.iter().any(|(o, _)| *o == list) && objs.len() < MAX_OBJECTS {
                            objs.push((list.clone(), ObjType::List));
                        }
                        if let Some(Ok(Some((automerge::Value::Object(t), ev)))) =
                            last.map(|i| d.get(&list, i))
                            && objs.len() < MAX_OBJECTS
                        {
                            objs.push((ev, t));
                        }
                    }
                }
            }
            Op::Concurrent {
                obj,
                key: k,
                mine,
                theirs,
            } => {
                let (o, t) = pick(&objs, *obj);
                if matches!(t, ObjType::Map | ObjType::Table) {
                    let mut other = d.fork().with_actor(doc::actor([8; 16]));
                    let _ = other.put(&o, key(k), scalar(theirs));
                    let _ = d.put(&o, key(k), scalar(mine));
                    let _ = d.merge(&mut other);
                }
            }
            Op::Commit => {
                d.commit();
            }
        }
    }
    d.commit();
    d
}

fn index(k: &Key) -> usize {
    match k {
        Key::Known(i) => *i as usize,
        Key::Other(s) => s.len(),
    }
}

fn put_at(
    d: &mut AutoCommit,
    list: &ObjId,
    k: &Key,
    v: ScalarValue,
) -> Result<(), automerge::AutomergeError> {
    let len = d.length(list);
    if len == 0 {
        return d.insert(list, 0, v);
    }
    d.put(list, index(k) % len, v)
}
