//! The device's half of the sync protocol as plain data in, data out.
//!
//! A [`Session`] decides what the next request says from the outbox and the
//! documents' sync states, and turns a response into the writes the store
//! must make. It holds no socket, no database, no clock and never sleeps: the
//! driver loads what the session names, carries the request to the server by
//! whatever means it has (HTTP on a device, a function call in the
//! simulation), and commits the writes in one transaction. Retries, timeouts
//! and projections belong to the driver.

use crate::doc;
use crate::ids::DocId;
use crate::wire::*;
use automerge::sync::{Message, State, SyncDoc};
use automerge::{AutoCommit, ChangeHash};
use std::collections::{BTreeMap, BTreeSet, HashMap};

/// Rounds one session may take before it gives up.
pub const MAX_ROUNDS: u32 = 64;

/// Most bytes one sync response may inflate to.
pub const RESPONSE_BYTES: usize = 512 * 1024 * 1024;

/// Why a session cannot go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the server sent something this app cannot read: {0}")]
    Protocol(String),
    #[error("this app is too old for the server: server speaks sync protocol {0}")]
    Outdated(u16),
    #[error("sync did not converge after {rounds} rounds (still exchanging: {})", names(.docs))]
    DidNotConverge { rounds: u32, docs: Vec<DocId> },
}

fn names(docs: &[DocId]) -> String {
    docs.iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// What the device's store holds of a document the session speaks about.
pub struct Held {
    pub kind: DocKind,
    pub doc: AutoCommit,
    /// The sync state saved at the end of the last session; `None` when the
    /// document was made here and never synced.
    pub state: Option<Vec<u8>>,
}

/// What the store must do with one document after a response.
pub struct DocWrite {
    pub id: DocId,
    pub kind: DocKind,
    pub doc: AutoCommit,
    pub change: Change,
    /// The sync state to keep, encoded.
    pub state: Vec<u8>,
    /// Whether the server holds everything this document has (the outbox may drop it).
    pub settled: bool,
}

/// How a document's content changed.
pub enum Change {
    /// Nothing new arrived; only the sync state moves on.
    None,
    /// The document is new here: store it whole and project it.
    Insert,
    /// New changes on top of `before`: append them and project.
    Append { before: Vec<ChangeHash> },
}

impl Change {
    pub fn is_some(&self) -> bool {
        !matches!(self, Change::None)
    }
}

/// What a session does next.
#[derive(Debug)]
pub enum Next {
    /// Send this request.
    Send(SyncRequest),
    /// Load what [`Session::offering`] names now and ask again (the
    /// documents offered were all settled, and others wait).
    Again,
    /// Device and server have converged.
    Done,
}

/// Everything one response asks the store to do, in one transaction.
pub struct Writes {
    pub docs: Vec<DocWrite>,
    /// Documents the server refused: kept, marked, out of the outbox.
    pub refused: Vec<DocRefusal>,
    /// Documents whose server message could not be applied here (set aside
    /// for this session; they are tried again at the next).
    pub skipped: Vec<DocRefusal>,
    pub receipts: Vec<Receipt>,
    /// The server's change counter to resume from.
    pub cursor: u64,
}

/// One sync session's protocol state.
pub struct Session {
    /// Documents still taking part, and their kinds.
    active: BTreeMap<DocId, DocKind>,
    /// Those of them with something new to answer: the outbox at the start,
    /// then what the last response spoke of. They are offered first, so a
    /// response's documents are answered in the very next request and the
    /// server need not send them again.
    fresh: BTreeSet<DocId>,
    states: HashMap<DocId, State>,
    /// Documents holding changes from the server that wait for a change they
    /// depend on. The store keeps only applied changes, so these are kept
    /// here for the session: Automerge then names the missing change in the
    /// next request's `need`. Reloaded from the store instead, the device
    /// would ask only for the head it lacks, and a server whose Bloom filter
    /// check wrongly took the dependency as held would send the same
    /// unappliable change round after round.
    parked: HashMap<DocId, AutoCommit>,
    cursor: u64,
    batch: usize,
    more: bool,
    rounds: u32,
    sent: BTreeSet<DocId>,
    received: usize,
}

/// A sync state as the store keeps it, made ready for a new session.
fn restored(held: Option<&Held>) -> State {
    match held {
        // Never synced: the server cannot have this document yet.
        Some(Held { state: None, .. }) => doc::state_for_empty_peer(),
        Some(Held {
            state: Some(bytes), ..
        }) => doc::decode_state(bytes)
            .map(doc::restart_state)
            .unwrap_or_default(),
        None => State::new(),
    }
}

impl Session {
    /// A session over the outbox (documents changed here and not yet
    /// acknowledged), resuming the server's change feed at `cursor`.
    pub fn new(
        outbox: impl IntoIterator<Item = (DocId, DocKind)>,
        cursor: u64,
        batch: usize,
    ) -> Session {
        let active: BTreeMap<DocId, DocKind> = outbox.into_iter().collect();
        Session {
            fresh: active.keys().copied().collect(),
            active,
            states: HashMap::new(),
            parked: HashMap::new(),
            cursor,
            batch: batch.max(1),
            more: false,
            rounds: 0,
            sent: BTreeSet::new(),
            received: 0,
        }
    }

    /// The documents the next request may speak about (at most the batch):
    /// the driver loads these from its store and passes them to
    /// [`Session::request`].
    pub fn offering(&self) -> Vec<DocId> {
        let rest = self.active.keys().filter(|id| !self.fresh.contains(id));
        self.fresh
            .iter()
            .chain(rest)
            .take(self.batch)
            .copied()
            .collect()
    }

    /// The next step. `held` holds what the store has of the documents
    /// [`Session::offering`] named just before (one missing from it is
    /// offered as empty); only those are spoken about.
    pub fn request(&mut self, held: &mut BTreeMap<DocId, Held>) -> Result<Next, SessionError> {
        if self.rounds >= MAX_ROUNDS {
            return Err(SessionError::DidNotConverge {
                rounds: self.rounds,
                docs: self.active.keys().take(5).copied().collect(),
            });
        }
        let mut messages = Vec::new();
        let mut finished = Vec::new();
        for id in self.offering() {
            let kind = self.active[&id];
            let h = held.get_mut(&id);
            let state = self
                .states
                .entry(id)
                .or_insert_with(|| restored(h.as_deref()));
            let mut empty = AutoCommit::new();
            let d = match (self.parked.get_mut(&id), h) {
                (Some(p), _) => p,
                (None, Some(h)) => &mut h.doc,
                (None, None) => &mut empty,
            };
            // The server takes changes, never a whole document (it measures every
            // change before applying it), so never offer the v2 whole-document form.
            doc::send_changes_only(state);
            match d.sync().generate_sync_message(state) {
                Some(msg) => {
                    self.fresh.remove(&id);
                    self.sent.insert(id);
                    messages.push(DocMessage {
                        doc: id,
                        kind,
                        msg: msg.encode(),
                    });
                }
                None => finished.push(id),
            }
        }
        for id in &finished {
            self.active.remove(id);
            self.fresh.remove(id);
        }
        if messages.is_empty() {
            if !finished.is_empty() && !self.active.is_empty() {
                // Every offered document was settled; the next ones may not be.
                return Ok(Next::Again);
            }
            if self.rounds > 0 && !self.more {
                return Ok(Next::Done);
            }
        }
        self.rounds += 1;
        Ok(Next::Send(SyncRequest {
            protocol: PROTOCOL_VERSION,
            cursor: self.cursor,
            docs: messages,
        }))
    }

    /// Reads a response body (`gzip`: as it came over the wire, compressed).
    pub fn decode(&self, body: &[u8], gzip: bool) -> Result<SyncResponse, SessionError> {
        let inflated;
        let body = if gzip {
            inflated =
                crate::gzip::decompress(body, RESPONSE_BYTES).map_err(SessionError::Protocol)?;
            &inflated[..]
        } else {
            body
        };
        let response: SyncResponse = postcard::from_bytes(body)
            .map_err(|e| SessionError::Protocol(format!("undecodable sync response: {e}")))?;
        if response.protocol != PROTOCOL_VERSION {
            return Err(SessionError::Outdated(response.protocol));
        }
        Ok(response)
    }

    /// The documents a response speaks about: the driver loads these and
    /// passes them to [`Session::apply`].
    pub fn touching(response: &SyncResponse) -> Vec<DocId> {
        response.docs.iter().map(|m| m.doc).collect()
    }

    /// Applies a response to the documents as the store holds them (`held`,
    /// loaded for [`Session::touching`]); `actor` signs documents new here.
    pub fn apply(
        &mut self,
        response: SyncResponse,
        mut held: BTreeMap<DocId, Held>,
        actor: &automerge::ActorId,
    ) -> Result<Writes, SessionError> {
        let mut writes = Writes {
            docs: Vec::new(),
            refused: Vec::new(),
            skipped: Vec::new(),
            receipts: response.receipts,
            cursor: response.cursor,
        };
        for m in response.docs {
            let stored = held.remove(&m.doc);
            let state = self
                .states
                .entry(m.doc)
                .or_insert_with(|| restored(stored.as_ref()));
            let is_new = stored.is_none();
            let (kind, mut d) = match stored {
                Some(h) => (h.kind, h.doc),
                None => (m.kind, AutoCommit::new().with_actor(actor.clone())),
            };
            if let Some(p) = self.parked.remove(&m.doc) {
                d = p;
            }
            // One document the server's message cannot be applied to is set aside
            // for this session; it never fails the others.
            let before = d.get_heads();
            let applied = Message::decode(&m.msg)
                .map_err(|e| format!("bad sync message: {e}"))
                .and_then(|msg| {
                    d.sync()
                        .receive_sync_message(state, msg)
                        .map_err(|e| format!("cannot apply the server's changes: {e}"))
                });
            if let Err(message) = applied {
                self.states.remove(&m.doc);
                self.parked.remove(&m.doc);
                self.active.remove(&m.doc);
                self.fresh.remove(&m.doc);
                writes.skipped.push(DocRefusal {
                    doc: m.doc,
                    code: "cannot_apply".into(),
                    message,
                    status: 0,
                });
                continue;
            }
            if !d.get_missing_deps(&[]).is_empty() {
                self.parked.insert(m.doc, d.clone());
            }
            let heads = d.get_heads();
            let change = if heads == before {
                Change::None
            } else if is_new {
                let h = doc::header(&d).map_err(|e| SessionError::Protocol(e.to_string()))?;
                if h.kind != m.kind || h.id != m.doc {
                    return Err(SessionError::Protocol(format!(
                        "document {} does not match its header",
                        m.doc
                    )));
                }
                Change::Insert
            } else {
                Change::Append { before }
            };
            if change.is_some() {
                self.received += 1;
            }
            // A document new here that brought nothing is not stored.
            if !is_new || change.is_some() {
                writes.docs.push(DocWrite {
                    id: m.doc,
                    kind,
                    settled: doc::settled(state, &heads),
                    state: doc::encode_state(state),
                    doc: d,
                    change,
                });
            }
            self.active.insert(m.doc, kind);
            self.fresh.insert(m.doc);
        }
        for r in &response.refused {
            self.active.remove(&r.doc);
            self.fresh.remove(&r.doc);
        }
        writes.refused = response.refused;
        self.more = response.more;
        self.cursor = response.cursor;
        Ok(writes)
    }

    pub fn rounds(&self) -> u32 {
        self.rounds
    }

    /// Documents this session sent something of.
    pub fn sent(&self) -> usize {
        self.sent.len()
    }

    /// Documents whose content changed here.
    pub fn received(&self) -> usize {
        self.received
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::*;

    fn issue(actor: [u8; 16]) -> (DocId, AutoCommit) {
        use crate::issue::{EventBody, IssueEvent};
        let site = SiteId::new();
        let id = IssueId::new();
        let raise = IssueEvent {
            id: EventId::new(),
            lamport: 1,
            by: UserId::new(),
            by_name: "inspector1".into(),
            role: crate::Role::Inspector,
            device: DeviceId::new(),
            at: chrono::DateTime::from_timestamp_millis(1_770_000_000_000).unwrap(),
            base: None,
            body: EventBody::Raise {
                site,
                zone: None,
                checkpoint: None,
                checkpoint_code: None,
                item: None,
                patrol: None,
                category: crate::Category::Other,
                grade: crate::Grade::LongTerm,
                title: "走廊灯不亮".into(),
                description: String::new(),
                photos: vec![],
                deadline: None,
                complaint: None,
            },
        };
        let d = doc::new_issue(doc::actor(actor), id, site, &raise).unwrap();
        (id.into(), d)
    }

    /// A server in miniature: the same Automerge exchange, no policy.
    fn answer(server: &mut BTreeMap<DocId, (AutoCommit, State)>, req: SyncRequest) -> SyncResponse {
        let mut docs = Vec::new();
        for m in req.docs {
            let (d, s) = server
                .entry(m.doc)
                .or_insert_with(|| (AutoCommit::new(), State::new()));
            d.sync()
                .receive_sync_message(s, Message::decode(&m.msg).unwrap())
                .unwrap();
            if let Some(msg) = d.sync().generate_sync_message(s) {
                docs.push(DocMessage {
                    doc: m.doc,
                    kind: m.kind,
                    msg: msg.encode(),
                });
            }
        }
        SyncResponse {
            protocol: PROTOCOL_VERSION,
            cursor: 7,
            more: false,
            docs,
            refused: Vec::new(),
            receipts: Vec::new(),
        }
    }

    #[test]
    fn a_session_sends_its_outbox_and_stops_when_the_server_holds_it() {
        let (id, mut d) = issue([1; 16]);
        let heads = d.get_heads();
        let mut store = BTreeMap::from([(
            id,
            Held {
                kind: DocKind::Issue,
                doc: d,
                state: None,
            },
        )]);
        let mut server = BTreeMap::new();
        let mut session = Session::new([(id, DocKind::Issue)], 0, 10);
        let mut settled = false;
        while let Next::Send(req) = session.request(&mut store).unwrap() {
            assert_eq!(session.offering(), vec![id]);
            let resp = answer(&mut server, req);
            let (cursor, changed, now_settled) = settle(&mut session, &mut store, resp, [1; 16]);
            assert_eq!(cursor, 7);
            assert!(!changed, "the server sent nothing new");
            settled |= now_settled;
        }
        assert!(settled, "the server's answer settles the document");
        assert_eq!(server.get_mut(&id).unwrap().0.get_heads(), heads);
        assert_eq!(session.sent(), 1);
        assert!(session.rounds() <= 3, "{} rounds", session.rounds());
    }

    /// The driver's part of a round in these tests: load what the response
    /// touches from `store`, apply, write back. Returns the cursor, whether
    /// any document changed and whether any settled.
    fn settle(
        session: &mut Session,
        store: &mut BTreeMap<DocId, Held>,
        resp: SyncResponse,
        actor: [u8; 16],
    ) -> (u64, bool, bool) {
        let touched: BTreeMap<DocId, Held> = Session::touching(&resp)
            .into_iter()
            .filter_map(|id| {
                store.get(&id).map(|h| {
                    let held = Held {
                        kind: h.kind,
                        doc: h.doc.clone(),
                        state: h.state.clone(),
                    };
                    (id, held)
                })
            })
            .collect();
        let writes = session.apply(resp, touched, &doc::actor(actor)).unwrap();
        let (mut changed, mut settled) = (false, false);
        for w in writes.docs {
            changed |= w.change.is_some();
            settled |= w.settled;
            // As the device's store: a document is written only when it changed.
            match store.get_mut(&w.id) {
                Some(h) if !w.change.is_some() => h.state = Some(w.state),
                _ => {
                    store.insert(
                        w.id,
                        Held {
                            kind: w.kind,
                            doc: w.doc,
                            state: Some(w.state),
                        },
                    );
                }
            }
        }
        (writes.cursor, changed, settled)
    }

    #[test]
    fn a_small_batch_speaks_only_of_what_it_offered_and_reaches_every_document() {
        let mut store = BTreeMap::new();
        let mut outbox = Vec::new();
        for _ in 0..4 {
            let (id, d) = issue([4; 16]);
            outbox.push((id, DocKind::Issue));
            store.insert(
                id,
                Held {
                    kind: DocKind::Issue,
                    doc: d,
                    state: None,
                },
            );
        }
        let mut server = BTreeMap::new();
        // The first session pushes everything; the second finds the first
        // offered documents settled and must go on to the rest.
        for pass in 0..2 {
            let mut session = Session::new(outbox.clone(), 0, 1);
            if pass == 1 {
                // Two documents changed again since.
                for (id, _) in &outbox[2..] {
                    let h = store.get_mut(id).unwrap();
                    h.doc.set_actor(doc::actor([4; 16]));
                    let raise = doc::issue_events(&h.doc).unwrap().remove(0);
                    let mut again = raise.clone();
                    again.id = EventId::new();
                    again.lamport = 2;
                    again.body = crate::issue::EventBody::Comment {
                        text: "再看".into(),
                    };
                    doc::append_event(&mut h.doc, &again).unwrap();
                }
            }
            loop {
                let offered = session.offering();
                let mut held: BTreeMap<DocId, Held> = offered
                    .iter()
                    .filter_map(|id| store.remove(id).map(|h| (*id, h)))
                    .collect();
                let step = session.request(&mut held).unwrap();
                store.extend(held);
                let req = match step {
                    Next::Send(req) => req,
                    Next::Again => continue,
                    Next::Done => break,
                };
                for m in &req.docs {
                    assert!(offered.contains(&m.doc), "spoke of {} unoffered", m.doc);
                    let msg = Message::decode(&m.msg).unwrap();
                    assert!(
                        !msg.heads.is_empty(),
                        "claimed to hold nothing of a document it holds"
                    );
                }
                let resp = answer(&mut server, req);
                settle(&mut session, &mut store, resp, [4; 16]);
            }
        }
        for (id, _) in &outbox {
            let mut server_doc = server.get_mut(id).unwrap().0.clone();
            assert_eq!(
                server_doc.get_heads(),
                store.get_mut(id).unwrap().doc.get_heads(),
                "the server holds {id} as the device does"
            );
        }
    }

    #[test]
    fn what_a_response_brought_is_answered_first() {
        // Two documents answered earlier, waiting to be found settled; their
        // ids sort before the new ones.
        let (older_a, _) = issue([5; 16]);
        let (older_b, _) = issue([5; 16]);
        let mut session = Session::new([], 0, 2);
        session.rounds = 1;
        session.active.insert(older_a, DocKind::Issue);
        session.active.insert(older_b, DocKind::Issue);
        let mut docs = Vec::new();
        let mut new = Vec::new();
        for _ in 0..2 {
            let (id, mut d) = issue([6; 16]);
            let msg = d
                .sync()
                .generate_sync_message(&mut doc::state_for_empty_peer())
                .unwrap();
            docs.push(DocMessage {
                doc: id,
                kind: DocKind::Issue,
                msg: msg.encode(),
            });
            new.push(id);
        }
        let resp = SyncResponse {
            protocol: PROTOCOL_VERSION,
            cursor: 3,
            more: true,
            docs,
            refused: Vec::new(),
            receipts: Vec::new(),
        };
        let writes = session
            .apply(resp, BTreeMap::new(), &doc::actor([7; 16]))
            .unwrap();
        assert_eq!(writes.docs.len(), 2);
        assert!(
            writes
                .docs
                .iter()
                .all(|w| matches!(w.change, Change::Insert))
        );
        assert_eq!(
            session.offering(),
            new,
            "the new documents are answered first"
        );
        let mut held: BTreeMap<DocId, Held> = writes
            .docs
            .into_iter()
            .map(|w| {
                (
                    w.id,
                    Held {
                        kind: w.kind,
                        doc: w.doc,
                        state: Some(w.state),
                    },
                )
            })
            .collect();
        let Next::Send(req) = session.request(&mut held).unwrap() else {
            panic!("the new documents are acknowledged");
        };
        let answered: Vec<DocId> = req.docs.iter().map(|m| m.doc).collect();
        assert_eq!(answered, new);
        // Then the older ones are offered, found settled or not.
        assert_eq!(session.offering(), vec![older_a, older_b]);
    }

    /// Found by the simulation (seed 3608): the server's Bloom filter check
    /// may wrongly take a change as held by the device and send only the one
    /// after it. The device must then ask for the missing one, not only for
    /// the head it lacks, or the same change comes back every round.
    #[test]
    fn a_change_whose_dependency_is_missing_makes_the_device_ask_for_the_dependency() {
        use automerge::transaction::Transactable;
        let (id, mut device_doc) = issue([1; 16]);
        let mut server_doc = device_doc.fork().with_actor(doc::actor([2; 16]));
        server_doc.put(automerge::ROOT, "note", "一").unwrap();
        server_doc.commit();
        let first = server_doc.get_heads();
        server_doc.put(automerge::ROOT, "note", "二").unwrap();
        server_doc.commit();
        let second = server_doc
            .get_last_local_change()
            .unwrap()
            .raw_bytes()
            .to_vec();
        let only_the_second = Message {
            heads: server_doc.get_heads(),
            need: Vec::new(),
            have: Vec::new(),
            changes: vec![second].into(),
            flags: None,
            version: automerge::sync::MessageVersion::V1,
        };
        let resp = SyncResponse {
            protocol: PROTOCOL_VERSION,
            cursor: 1,
            more: false,
            docs: vec![DocMessage {
                doc: id,
                kind: DocKind::Issue,
                msg: only_the_second.encode(),
            }],
            refused: Vec::new(),
            receipts: Vec::new(),
        };
        let before = device_doc.get_heads();
        let mut store = BTreeMap::from([(
            id,
            Held {
                kind: DocKind::Issue,
                doc: device_doc,
                state: Some(doc::encode_state(&State::new())),
            },
        )]);
        let mut session = Session::new([], 0, 10);
        session.rounds = 1;
        let (_, changed, _) = settle(&mut session, &mut store, resp, [1; 16]);
        assert!(!changed, "the change cannot apply yet");
        assert_eq!(store.get_mut(&id).unwrap().doc.get_heads(), before);
        let Next::Send(req) = session.request(&mut store).unwrap() else {
            panic!("the device answers");
        };
        let msg = Message::decode(&req.docs[0].msg).unwrap();
        assert_eq!(msg.need, first, "the device asks for the change it lacks");
    }

    #[test]
    fn a_response_that_cannot_be_read_is_a_protocol_error_and_a_bad_message_sets_one_document_aside()
     {
        let session = Session::new([], 0, 10);
        assert!(matches!(
            session.decode(b"\x01\x02", false),
            Err(SessionError::Protocol(_))
        ));
        let newer = SyncResponse {
            protocol: PROTOCOL_VERSION + 1,
            cursor: 0,
            more: false,
            docs: vec![],
            refused: vec![],
            receipts: vec![],
        };
        assert_eq!(
            session
                .decode(&postcard::to_allocvec(&newer).unwrap(), false)
                .err(),
            Some(SessionError::Outdated(PROTOCOL_VERSION + 1))
        );
        let (good, d) = issue([2; 16]);
        let mut server = BTreeMap::from([(good, (d, State::new()))]);
        let bad = DocId::new();
        let mut resp = answer(
            &mut server,
            SyncRequest {
                protocol: PROTOCOL_VERSION,
                cursor: 0,
                docs: vec![DocMessage {
                    doc: good,
                    kind: DocKind::Issue,
                    msg: empty_peer_message(),
                }],
            },
        );
        resp.docs.push(DocMessage {
            doc: bad,
            kind: DocKind::Issue,
            msg: vec![0xff, 0x00],
        });
        let mut session = Session::new([], 0, 10);
        let writes = session
            .apply(resp, BTreeMap::new(), &doc::actor([3; 16]))
            .unwrap();
        assert_eq!(writes.skipped.len(), 1);
        assert_eq!(writes.skipped[0].doc, bad);
        assert_eq!(writes.docs.len(), 1);
        assert!(matches!(writes.docs[0].change, Change::Insert));
    }

    /// The message of a peer that holds nothing of a document.
    fn empty_peer_message() -> Vec<u8> {
        AutoCommit::new()
            .sync()
            .generate_sync_message(&mut State::new())
            .unwrap()
            .encode()
    }
}
