//! One sync round on the server: apply the device's messages, answer with ours.
//!
//! The round runs inside one store transaction. Work is proportional to the
//! documents in the request, the documents still waiting for this device's
//! acknowledgement, and the documents changed since the device's cursor — never
//! to the size of the store. Each document is loaded only when it takes part.

use crate::cache::DocCache;
use crate::error::{ApiError, StoreError};
use crate::store::{StoredState, Txn};
use crate::validate::{self, Refused, Sender};
use automerge::AutoCommit;
use automerge::sync::{Message, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use shared::doc;
use shared::ids::*;
use shared::issue;
use shared::sync::server::{self as core, Applied};
use shared::wire::*;
use std::collections::BTreeMap;

/// Most documents answered in one response; the rest follow with `more`.
pub const MAX_DOCS_PER_RESPONSE: usize = shared::limits::DOCS_PER_RESPONSE;

/// Refreshes the tracker's projection of a document (`events`: an issue's events, if already read).
pub fn project(
    txn: &mut dyn Txn,
    kind: DocKind,
    d: &AutoCommit,
    events: Option<Vec<issue::IssueEvent>>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let corrupt = |e: shared::doc::DocError| StoreError::Corrupt(e.to_string());
    match kind {
        DocKind::Issue => {
            let h = doc::header(d).map_err(corrupt)?;
            let events = match events {
                Some(e) => e,
                None => doc::issue_events(d).map_err(corrupt)?,
            };
            let view =
                issue::fold(h.id.into(), events).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let hashes: Vec<&str> = view
                .all_photos()
                .flat_map(|(_, p)| [p.hash.as_str(), p.thumb.as_str()])
                .collect();
            if !hashes.is_empty() {
                txn.put_photo_refs(h.id, view.site, &hashes)?;
            }
            let summary = IssueSummary::from_view(&view, now);
            txn.put_issue(&summary)?;
            // Nobody waits unseen: the assignee hears of a new order, and a
            // repeat or an unsatisfied resident opens a root-cause task.
            if let Some(assignee) = view.assignee {
                crate::jobs::notify_assignment(txn, &summary, assignee, now)?;
            }
            crate::rootcause::follow(txn, &summary, now)
        }
        DocKind::Patrol => txn.put_patrol(&doc::patrol(d).map_err(corrupt)?),
        DocKind::Plan => Ok(()),
    }
}

/// The version of what [`project`] writes into the tracker's rows; a store
/// whose rows are older is re-projected from its documents at start-up.
pub const PROJECTION: &[u8] = b"5";

/// Rebuilds every issue row from its document when the rows were written by
/// an older version (see [`PROJECTION`]); returns how many were rebuilt.
pub fn refresh_projections(store: &dyn crate::store::Store) -> Result<usize, StoreError> {
    let mut txn = store.begin()?;
    if txn.meta("projection")?.as_deref() == Some(PROJECTION) {
        return Ok(0);
    }
    let sites: Vec<SiteId> = txn.sites()?.into_iter().map(|s| s.id).collect();
    let (mut cursor, mut done) = (0, 0);
    loop {
        let page = txn.changed_since(&sites, cursor, 1000)?;
        let Some(last) = page.last() else { break };
        cursor = last.2;
        for (id, kind, _) in page {
            if kind != DocKind::Issue {
                continue;
            }
            let Some(stored) = txn.doc(id)? else { continue };
            let d =
                AutoCommit::load(&stored.bytes).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            project(&mut *txn, kind, &d, None, Utc::now())?;
            done += 1;
        }
    }
    txn.put_meta("projection", PROJECTION)?;
    txn.commit()?;
    Ok(done)
}

/// Stores a document and its projection.
pub fn save(
    txn: &mut dyn Txn,
    id: DocId,
    kind: DocKind,
    d: &mut AutoCommit,
    events: Option<Vec<issue::IssueEvent>>,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let site = doc::header(d)
        .map_err(|e| StoreError::Corrupt(e.to_string()))?
        .site;
    // Uncompressed: saving runs on every change, and the disk is cheaper than the CPU here.
    let bytes = d.save_nocompress();
    save_bytes(txn, id, kind, site, d, &bytes, events, now)
}

/// [`save`] with the document's bytes already made.
#[allow(clippy::too_many_arguments)]
fn save_bytes(
    txn: &mut dyn Txn,
    id: DocId,
    kind: DocKind,
    site: SiteId,
    d: &mut AutoCommit,
    bytes: &[u8],
    events: Option<Vec<issue::IssueEvent>>,
    now: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let heads = doc::heads_bytes(&d.get_heads());
    let seq = txn.put_doc(id, kind, site, bytes, &heads)?;
    project(txn, kind, d, events, now)?;
    Ok(seq)
}

/// One sync request's body as it arrived: decoded, checked, run as one
/// round in one transaction, and committed. The HTTP handler and the
/// simulation both come through here.
pub fn serve(
    store: &dyn crate::store::Store,
    cache: &DocCache,
    sender: &Sender,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<SyncResponse, ApiError> {
    let req: SyncRequest = postcard::from_bytes(body).map_err(|e| {
        ApiError::bad_request(
            "malformed",
            format!("the sync request does not decode: {e}"),
        )
    })?;
    if req.protocol != PROTOCOL_VERSION {
        return Err(ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "client_outdated",
            "update the app: its sync protocol is not supported",
        ));
    }
    if req.docs.len() > shared::limits::DOCS_PER_REQUEST {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too_large",
            format!(
                "a sync request may carry at most {} documents ({} sent)",
                shared::limits::DOCS_PER_REQUEST,
                req.docs.len()
            ),
        ));
    }
    let outcome = store.begin().and_then(|mut txn| {
        let resp = round(&mut *txn, cache, sender, req, now)?;
        txn.commit()?;
        Ok(resp)
    });
    if outcome.is_err() {
        // Versions cached during a round that did not commit must never be served.
        cache.clear();
    }
    Ok(outcome?)
}

/// A device's message applied to a document and checked against its sender.
pub struct Received {
    pub doc: AutoCommit,
    pub state: State,
    /// The document's heads before the message.
    pub heads_before: Vec<automerge::ChangeHash>,
    /// The document saved, when the message brought new changes.
    pub saved: Option<Vec<u8>>,
    /// What the new changes brought; `None` when the message carried none new.
    pub accepted: Option<validate::Accepted>,
}

/// Applies a device's message to `stored` (`None`: the server has no such
/// document yet) with the protocol core and checks the new changes against
/// the sender. `stored` is consumed: on either refusal it is dropped (it may
/// hold the refused changes) and the store keeps the version it had.
/// `decoded`: the message's changes as [`crate::chunks::inspect`] read them.
pub fn receive(
    sender: &Sender,
    id: DocId,
    kind: DocKind,
    stored: Option<AutoCommit>,
    state: State,
    msg: Message,
    decoded: Vec<automerge::ExpandedChange>,
) -> Result<Received, Refused> {
    let existed = stored.is_some();
    // An existing issue is checked from the new changes' operations alone
    // (see `validate::check`): no copy of the document as it was is needed.
    let keep_before = existed && kind != DocKind::Issue;
    let Applied {
        mut doc,
        state,
        before,
        heads_before,
        new,
        saved,
    } = core::apply(stored.unwrap_or_default(), state, msg, keep_before)?;
    let accepted = if new.is_empty() {
        None
    } else {
        let changes = new_changes(&mut doc, &new, decoded)?;
        let prior = match (existed, &before) {
            (false, _) => validate::Prior::New,
            (true, Some(b)) => validate::Prior::Was(b),
            (true, None) => validate::Prior::Issue,
        };
        Some(validate::check(sender, id, kind, prior, &doc, &changes)?)
    };
    Ok(Received {
        doc,
        state,
        heads_before,
        saved,
        accepted,
    })
}

/// The changes new to the server, decoded: those the message brought come
/// from `decoded`; one that waited in the document for a dependency and was
/// applied now (it came in an earlier message) is read from the document.
fn new_changes(
    doc: &mut AutoCommit,
    new: &[automerge::ChangeHash],
    decoded: Vec<automerge::ExpandedChange>,
) -> Result<Vec<automerge::ExpandedChange>, Refused> {
    let mut by_hash: BTreeMap<automerge::ChangeHash, automerge::ExpandedChange> = decoded
        .into_iter()
        .filter_map(|c| Some((c.hash?, c)))
        .collect();
    new.iter()
        .map(|hash| match by_hash.remove(hash) {
            Some(c) => Ok(c),
            None => doc
                .get_change_by_hash(hash)
                .map(|c| c.decode())
                .ok_or_else(|| Refused::malformed("a change the document applied cannot be read")),
        })
        .collect()
}

struct Entry {
    kind: DocKind,
    /// The store's change number of the version in `doc`.
    seq: Option<u64>,
    doc: Option<AutoCommit>,
    /// The stored heads, when the document was not loaded.
    stored_heads: Option<Vec<u8>>,
    state: State,
    touched: bool,
    /// Saved size of the version in `doc`, for the cache's memory bound.
    size: usize,
}

/// The round's sync-state writes, made in one batch (the last for a document wins).
#[derive(Default)]
struct Writes(BTreeMap<DocId, StoredState>);

impl Writes {
    fn put(&mut self, doc: DocId, state: &State, pending: bool) {
        self.0.insert(
            doc,
            StoredState {
                state: doc::encode_state(state),
                pending,
            },
        );
    }

    fn flush(&mut self, txn: &mut dyn Txn, device: DeviceId) -> Result<(), StoreError> {
        let batch: Vec<(DocId, StoredState)> = std::mem::take(&mut self.0).into_iter().collect();
        txn.put_sync_states(device, &batch)
    }
}

/// Handles one sync request from an authenticated device.
///
/// The store is asked in batches, not per document: what the request names,
/// then what waits for the device, then the states the round leaves.
pub fn round(
    txn: &mut dyn Txn,
    cache: &DocCache,
    sender: &Sender,
    req: SyncRequest,
    now: DateTime<Utc>,
) -> Result<SyncResponse, StoreError> {
    let mut entries: BTreeMap<DocId, Entry> = BTreeMap::new();
    let mut refused = Vec::new();
    let mut receipt_docs = Vec::new();
    let mut budget = crate::chunks::Budget::default();
    let mut writes = Writes::default();

    // 1. Apply what the device sent: decoded and measured first, so only
    // messages worth applying cost a read.
    let mut seen = std::collections::HashSet::new();
    let mut sent = Vec::new();
    for m in req.docs {
        if !seen.insert(m.doc) {
            refused.push(refusal(
                m.doc,
                Refused::malformed("the document appears twice in one request"),
            ));
            continue;
        }
        let msg = match Message::decode(&m.msg) {
            Ok(msg) => msg,
            Err(e) => {
                refused.push(refusal(
                    m.doc,
                    Refused::malformed(format!("the sync message does not decode: {e}")),
                ));
                continue;
            }
        };
        match crate::chunks::inspect(msg.changes.iter(), &mut budget) {
            Ok(decoded) => sent.push((m.doc, m.kind, msg, decoded)),
            Err(e) => refused.push(refusal(
                m.doc,
                match e {
                    crate::chunks::ChunkError::Malformed(m) => Refused::malformed(m),
                    crate::chunks::ChunkError::TooLarge(m) => Refused::too_large(m),
                },
            )),
        }
    }
    let named: Vec<DocId> = sent.iter().map(|(id, ..)| *id).collect();
    let mut stored_docs = txn.docs(&named)?;
    let mut states = txn.sync_states(sender.device, &named)?;
    for (doc_id, kind, msg, decoded) in sent {
        let mut stored = stored_docs.remove(&doc_id);
        if let Some(s) = &stored
            && (s.kind != kind || !sender.sites.contains(&s.site))
        {
            refused.push(refusal(
                doc_id,
                Refused::forbidden(
                    "forbidden_site",
                    "this document belongs to a site you do not work on",
                ),
            ));
            continue;
        }
        let mut state = restore(states.remove(&doc_id), State::new);
        // A plain acknowledgement of exactly what we hold: record it without loading the document.
        if stored
            .as_ref()
            .is_some_and(|s| core::is_acknowledgement(&msg, &s.heads, &state))
            && let Some(s) = stored.take()
        {
            core::acknowledge(&mut state, msg);
            writes.put(doc_id, &state, false);
            entries.insert(
                doc_id,
                Entry {
                    kind,
                    seq: Some(s.seq),
                    size: s.bytes.len(),
                    stored_heads: Some(s.heads),
                    doc: None,
                    state,
                    touched: true,
                },
            );
            continue;
        }
        let d = match &stored {
            Some(s) => Some(match cache.take(doc_id, s.seq) {
                Some(d) => d,
                None => AutoCommit::load(&s.bytes)
                    .map_err(|e| StoreError::Corrupt(format!("document {}: {e}", doc_id)))?,
            }),
            None => None,
        };
        let Received {
            doc: mut d,
            mut state,
            heads_before,
            saved,
            accepted,
        } = match receive(sender, doc_id, kind, d, state, msg, decoded) {
            Ok(r) => r,
            Err(r) => {
                refused.push(refusal(doc_id, r));
                continue;
            }
        };
        let mut events = None;
        if let Some(accepted) = accepted {
            let mut first = Vec::new();
            for e in accepted.entries {
                if txn.put_receipt(e, doc_id, now)? {
                    first.push(e);
                }
            }
            crate::ledger::record_synced(
                txn,
                sender,
                crate::ledger::Synced {
                    kind,
                    doc: doc_id,
                    after: &d,
                    entries: &first,
                    events: accepted.events.as_deref(),
                    finished: accepted.finished,
                },
                now,
            )?;
            events = accepted.events;
            receipt_docs.push(doc_id);
        }
        let changed = d.get_heads() != heads_before;
        let mut seq = stored.as_ref().map(|s| s.seq);
        let saved_len = saved.as_ref().map(Vec::len);
        if changed {
            seq = Some(match saved {
                Some(bytes) => {
                    let site = doc::header(&d)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?
                        .site;
                    save_bytes(txn, doc_id, kind, site, &mut d, &bytes, events, now)?
                }
                None => save(txn, doc_id, kind, &mut d, events, now)?,
            });
        }
        // Always answer a document the device spoke about, so it learns our heads.
        state.have_responded = false;
        let has_doc = stored.is_some() || changed;
        let size = saved_len.unwrap_or_else(|| stored.as_ref().map_or(0, |s| s.bytes.len()));
        entries.insert(
            doc_id,
            Entry {
                kind,
                seq,
                stored_heads: None,
                doc: if has_doc { Some(d) } else { None },
                state,
                touched: true,
                size,
            },
        );
    }
    drop((stored_docs, states));
    // Acknowledgements first: what still waits for the device is read next.
    writes.flush(txn, sender.device)?;

    // 2. Documents the device still has to acknowledge, and those changed since its cursor.
    let mut candidates: Vec<(DocId, DocKind)> =
        txn.pending_docs(sender.device, MAX_DOCS_PER_RESPONSE)?;
    let changed = txn.changed_since(&sender.sites, req.cursor, MAX_DOCS_PER_RESPONSE)?;
    let mut cursor = txn.max_seq()?;
    let mut more = false;
    if changed.len() >= MAX_DOCS_PER_RESPONSE {
        more = true;
        cursor = changed.last().map(|c| c.2).unwrap_or(req.cursor);
    }
    candidates.extend(changed.into_iter().map(|(id, kind, _)| (id, kind)));
    candidates.retain(|(id, _)| !entries.contains_key(id));
    let ids: Vec<DocId> = candidates.iter().map(|(id, _)| *id).collect();
    // Heads only: a document the device already holds costs no bytes.
    let mut heads = txn.doc_heads(&ids)?;
    let mut states = txn.sync_states(sender.device, &ids)?;
    for (id, kind) in candidates {
        // Named twice (pending and changed): the first took it.
        let Some(stored) = heads.remove(&id) else {
            continue;
        };
        if !sender.sites.contains(&stored.site) {
            continue;
        }
        // A device that never had this document gets it whole in the first message.
        let state = restore(states.remove(&id), doc::state_for_empty_peer);
        entries.insert(
            id,
            Entry {
                kind,
                seq: Some(stored.seq),
                size: stored.size,
                stored_heads: Some(stored.heads),
                doc: None,
                state,
                touched: false,
            },
        );
    }
    drop(states);

    // The bytes of the documents to answer from the store, read at once
    // (as many as one response may carry; a later one is read on its own).
    let mut wanted = Vec::new();
    let mut answers = 0;
    for (id, entry) in &entries {
        if answers >= MAX_DOCS_PER_RESPONSE {
            break;
        }
        match &entry.stored_heads {
            Some(heads) if core::in_step(&entry.state, heads) => {}
            Some(_) => {
                wanted.push(*id);
                answers += 1;
            }
            None => answers += 1,
        }
    }
    let mut fetched = txn.docs(&wanted)?;

    // 3. Answer.
    let mut docs = Vec::new();
    for (id, entry) in entries.iter_mut() {
        if docs.len() >= MAX_DOCS_PER_RESPONSE {
            // Offer the rest next round; re-offering a settled document costs no load.
            more = true;
            cursor = req.cursor;
            break;
        }
        if let Some(heads) = entry.stored_heads.take() {
            // Already in step with the device: no need to load the document.
            if core::in_step(&entry.state, &heads) {
                if !entry.touched {
                    writes.put(*id, &entry.state, false);
                }
                continue;
            }
            let stored = match fetched.remove(id) {
                Some(s) => s,
                None => txn
                    .doc(*id)?
                    .ok_or_else(|| StoreError::Corrupt(format!("document {id} vanished")))?,
            };
            // A device that holds nothing of a small document gets it as stored.
            if let Some(msg) =
                core::answer_as_stored(&mut entry.state, &stored.heads, &stored.bytes)
            {
                writes.put(*id, &entry.state, true);
                if !receipt_docs.contains(id) {
                    receipt_docs.push(*id);
                }
                docs.push(DocMessage {
                    doc: *id,
                    kind: entry.kind,
                    msg: msg.encode(),
                });
                continue;
            }
            entry.doc = Some(match cache.take(*id, stored.seq) {
                Some(d) => d,
                None => AutoCommit::load(&stored.bytes)
                    .map_err(|e| StoreError::Corrupt(format!("document {id}: {e}")))?,
            });
        }
        let Some(d) = entry.doc.as_mut() else {
            // The device announced a document we do not have yet: answer with our (empty) heads.
            if let Some(msg) = core::answer(&mut AutoCommit::new(), &mut entry.state) {
                docs.push(DocMessage {
                    doc: *id,
                    kind: entry.kind,
                    msg: msg.encode(),
                });
            }
            continue;
        };
        let msg = core::answer(d, &mut entry.state);
        let heads = d.get_heads();
        let pending = !doc::settled(&entry.state, &heads);
        writes.put(*id, &entry.state, pending);
        if let Some(msg) = msg {
            if !msg.changes.is_empty() && !receipt_docs.contains(id) {
                receipt_docs.push(*id);
            }
            docs.push(DocMessage {
                doc: *id,
                kind: entry.kind,
                msg: msg.encode(),
            });
        }
    }
    writes.flush(txn, sender.device)?;
    for (id, entry) in entries {
        if let (Some(seq), Some(d)) = (entry.seq, entry.doc) {
            cache.put(id, seq, d, crate::cache::weight_of(entry.size));
        }
    }
    let receipts = txn.receipts_of(&receipt_docs)?;
    Ok(SyncResponse {
        protocol: PROTOCOL_VERSION,
        cursor,
        more,
        docs,
        refused,
        receipts,
    })
}

/// A stored sync state, or a fresh one.
fn restore(stored: Option<StoredState>, fresh: fn() -> State) -> State {
    core::restore(stored.as_ref().map(|s| &s.state[..]), fresh)
}

fn refusal(doc: DocId, r: Refused) -> DocRefusal {
    tracing::warn!(%doc, code = r.code, message = %r.message, "document refused");
    DocRefusal {
        doc,
        code: r.code.into(),
        message: r.message,
        status: r.status,
    }
}
