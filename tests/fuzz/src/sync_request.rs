//! A sync request body, handled the way `sync_server::sync::round` handles it,
//! without the store: decode, measure the changes (`chunks::inspect`, one
//! budget per request), apply and check them (`sync::receive`: the protocol
//! core, then `validate::check`), project the accepted document (header,
//! fold) and answer with the core.
//!
//! The store is replaced by a map of the documents this request already had
//! accepted: where `round` refuses a document that appears twice in one
//! request, here a repeated document is treated as the device's next round
//! against the stored copy (loaded back from the saved bytes, as a server
//! without the document in its cache does), so the fuzzer also reaches the
//! checks of changes to an existing document.
//!
//! Beyond "no panic", the harness asserts what the server relies on: a
//! document it accepted has a readable header, projects (folds) without error,
//! and loads back from the bytes it saved.

use automerge::AutoCommit;
use automerge::sync::{Message, State};
use shared::doc;
use shared::ids::DocId;
use shared::issue;
use shared::sync::server;
use shared::wire::{
    DocKind, DocMessage, IssueSummary, PROTOCOL_VERSION, SyncRequest, SyncResponse,
};
use std::collections::BTreeMap;
use sync_server::chunks::{self, Budget};
use sync_server::sync::{self, Received};
use sync_server::validate::Sender;

/// What happened to one document message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Refused with this code (as `round` would answer it).
    Refused(&'static str),
    /// Applied without new changes (a handshake or an acknowledgement).
    NoChange,
    /// New changes checked and stored.
    Accepted,
}

/// A document as the store would hold it after a round.
struct Stored {
    kind: DocKind,
    site: shared::ids::SiteId,
    bytes: Vec<u8>,
    heads: Vec<u8>,
    state: Vec<u8>,
}

/// Handles one request body; returns each document message's outcome
/// (empty when the body is not a request).
pub fn run(data: &[u8]) -> Vec<Outcome> {
    crate::panics_as_the_server_sees_them();
    let Ok(req) = postcard::from_bytes::<SyncRequest>(data) else {
        return Vec::new();
    };
    let sender = crate::sender();
    let mut budget = Budget::default();
    let mut store: BTreeMap<DocId, Stored> = BTreeMap::new();
    let mut outcomes = Vec::with_capacity(req.docs.len());
    let mut answers = Vec::new();
    for m in req.docs {
        outcomes.push(one(&sender, &mut budget, &mut store, m, &mut answers));
    }
    let resp = SyncResponse {
        protocol: PROTOCOL_VERSION,
        cursor: req.cursor,
        more: false,
        docs: answers,
        refused: Vec::new(),
        receipts: Vec::new(),
    };
    let body = postcard::to_allocvec(&resp).expect("a response encodes");
    let back: SyncResponse = postcard::from_bytes(&body).expect("a response decodes");
    for m in &back.docs {
        Message::decode(&m.msg).expect("the server's own sync message decodes");
    }
    outcomes
}

fn one(
    sender: &Sender,
    budget: &mut Budget,
    store: &mut BTreeMap<DocId, Stored>,
    m: DocMessage,
    answers: &mut Vec<DocMessage>,
) -> Outcome {
    let Ok(msg) = Message::decode(&m.msg) else {
        return Outcome::Refused("malformed");
    };
    let decoded = match chunks::inspect(msg.changes.iter(), budget) {
        Ok(decoded) => decoded,
        Err(e) => {
            return Outcome::Refused(match e {
                chunks::ChunkError::Malformed(_) => "malformed",
                chunks::ChunkError::TooLarge(_) => "too_large",
            });
        }
    };
    let stored = store.get(&m.doc);
    if let Some(s) = stored
        && (s.kind != m.kind || !sender.sites.contains(&s.site))
    {
        return Outcome::Refused("forbidden_site");
    }
    let mut state = server::restore(stored.map(|s| &s.state[..]), State::new);
    if let Some(s) = stored
        && server::is_acknowledgement(&msg, &s.heads, &state)
    {
        server::acknowledge(&mut state, msg);
        let encoded = doc::encode_state(&state);
        store.get_mut(&m.doc).expect("stored").state = encoded;
        return Outcome::NoChange;
    }
    let loaded = stored
        .map(|s| AutoCommit::load(&s.bytes).expect("a document the server saved loads again"));
    let Received {
        doc: mut d,
        mut state,
        heads_before,
        saved,
        accepted,
    } = match sync::receive(
        sender,
        m.doc,
        m.kind,
        loaded,
        state,
        msg,
        decoded,
    ) {
        Ok(r) => r,
        Err(r) => return Outcome::Refused(r.code),
    };
    let events = accepted.and_then(|a| a.events);
    let changed = d.get_heads() != heads_before;
    if changed {
        // What `sync::save_bytes` and `sync::project` do with an accepted document:
        // an error here is a 500 for every later round of this device.
        let h = doc::header(&d).expect("an accepted document has a header");
        match m.kind {
            DocKind::Issue => {
                let events = match events {
                    Some(e) => e,
                    None => doc::issue_events(&d).expect("an accepted issue's events read"),
                };
                let view = issue::fold(h.id.into(), events).expect("an accepted issue folds");
                let _ = view.all_photos().count();
                let _ = IssueSummary::from_view(&view, crate::at(86_400 * 10));
            }
            DocKind::Patrol => {
                doc::patrol(&d).expect("an accepted patrol reads");
            }
            DocKind::Plan => {}
        }
        let bytes = saved.unwrap_or_else(|| d.save_nocompress());
        store.insert(
            m.doc,
            Stored {
                kind: m.kind,
                site: h.site,
                heads: doc::heads_bytes(&d.get_heads()),
                bytes,
                state: Vec::new(),
            },
        );
    }
    // The answer (`round`, step 3).
    state.have_responded = false;
    let has_doc = store.contains_key(&m.doc);
    let mut fresh = AutoCommit::new();
    let target = if has_doc { &mut d } else { &mut fresh };
    let reply = server::answer(target, &mut state);
    if let Some(reply) = reply {
        answers.push(DocMessage {
            doc: m.doc,
            kind: m.kind,
            msg: reply.encode(),
        });
    }
    if let Some(s) = store.get_mut(&m.doc) {
        s.state = doc::encode_state(&state);
    }
    if changed {
        Outcome::Accepted
    } else {
        Outcome::NoChange
    }
}
