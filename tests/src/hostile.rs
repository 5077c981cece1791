//! A hostile peer: speaks the sync protocol by hand so tests can send exactly
//! the documents, changes and bytes an attacker would, against a real server.

use automerge::sync::{Message, State, SyncDoc};
use automerge::{AutoCommit, ReadDoc};
use shared::doc;
use shared::ids::*;
use shared::issue::{EventBody, IssueEvent};
use shared::wire::*;
use std::collections::HashMap;

/// One signed-in account and the documents it has pulled.
pub struct RawPeer {
    pub url: String,
    pub token: String,
    pub actor: [u8; 16],
    pub login: LoginResponse,
    pub docs: HashMap<DocId, (DocKind, AutoCommit, State)>,
    pub cursor: u64,
}

/// A login's refusal: status and error code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused(pub u16, pub String);

fn hex(b: &[u8]) -> String {
    b.iter().map(|b| format!("{b:02x}")).collect()
}

fn client() -> reqwest::blocking::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::blocking::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("client")
}

/// `POST /api/v1/login` with a chosen actor.
pub fn login_with_actor(
    url: &str,
    user: &str,
    password: &str,
    actor: [u8; 16],
) -> Result<LoginResponse, Refused> {
    let resp = client()
        .post(format!("{url}/api/v1/login"))
        .json(&serde_json::json!({
            "user": user, "password": password, "actor": hex(&actor), "device_name": "raw peer"
        }))
        .send()
        .expect("login request");
    let status = resp.status().as_u16();
    let body: serde_json::Value = resp.json().unwrap_or_default();
    if status != 200 {
        return Err(Refused(
            status,
            body["code"].as_str().unwrap_or_default().to_string(),
        ));
    }
    Ok(serde_json::from_value(body).expect("login response"))
}

/// Sends raw sync request bytes; returns the status and the body.
pub fn post_sync_bytes(url: &str, token: &str, body: Vec<u8>) -> (u16, Vec<u8>) {
    let resp = client()
        .post(format!("{url}/api/v1/sync"))
        .bearer_auth(token)
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
        .body(body)
        .send()
        .expect("sync request");
    let status = resp.status().as_u16();
    (status, resp.bytes().expect("body").to_vec())
}

/// Whether the server answers its health check.
pub fn alive(url: &str) -> bool {
    client()
        .get(format!("{url}/api/v1/health"))
        .send()
        .map(|r| r.status().is_success())
        .unwrap_or(false)
}

impl RawPeer {
    /// Logs in with a fresh random actor.
    pub fn login(url: &str, user: &str, password: &str) -> RawPeer {
        Self::login_as(url, user, password, rand::random()).expect("login")
    }

    /// Logs in with the given actor.
    pub fn login_as(
        url: &str,
        user: &str,
        password: &str,
        actor: [u8; 16],
    ) -> Result<RawPeer, Refused> {
        let login = login_with_actor(url, user, password, actor)?;
        Ok(RawPeer {
            url: url.to_string(),
            token: login.token.clone(),
            actor,
            login,
            docs: HashMap::new(),
            cursor: 0,
        })
    }

    pub fn site(&self) -> SiteId {
        self.login.site.id
    }

    /// One round with these messages; applies what the server sends back.
    pub fn round(&mut self, docs: Vec<DocMessage>) -> SyncResponse {
        let req = SyncRequest {
            protocol: PROTOCOL_VERSION,
            cursor: self.cursor,
            docs,
        };
        let (status, body) =
            post_sync_bytes(&self.url, &self.token, postcard::to_allocvec(&req).unwrap());
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
        let resp: SyncResponse = postcard::from_bytes(&body).expect("sync response");
        for m in &resp.docs {
            let (_, d, state) = self.docs.entry(m.doc).or_insert_with(|| {
                (
                    m.kind,
                    AutoCommit::new().with_actor(doc::actor(self.actor)),
                    State::new(),
                )
            });
            d.sync()
                .receive_sync_message(state, Message::decode(&m.msg).expect("message"))
                .expect("the server's changes apply");
        }
        self.cursor = resp.cursor;
        resp
    }

    /// Pulls everything the server has for this account, in a bounded number of rounds.
    pub fn pull(&mut self) {
        for _ in 0..20 {
            let acks = self.messages();
            let resp = self.round(acks);
            if resp.docs.is_empty() && !resp.more {
                return;
            }
        }
        panic!("pull did not settle in 20 rounds");
    }

    /// This peer's next message for every document it holds.
    fn messages(&mut self) -> Vec<DocMessage> {
        let mut out = Vec::new();
        for (id, (kind, d, state)) in self.docs.iter_mut() {
            doc::send_changes_only(state);
            if let Some(m) = d.sync().generate_sync_message(state) {
                out.push(DocMessage {
                    doc: *id,
                    kind: *kind,
                    msg: m.encode(),
                });
            }
        }
        out
    }

    /// Sends this peer's changes of one document, in as many rounds as the sync
    /// protocol needs (a Bloom filter's false positive can hold a change back a
    /// round), at most ten; returns the first answer that refuses it, or the last.
    pub fn push(&mut self, id: DocId) -> SyncResponse {
        let mut last = None;
        for _ in 0..10 {
            let (kind, d, state) = self.docs.get_mut(&id).expect("a document this peer holds");
            doc::send_changes_only(state);
            let Some(msg) = d.sync().generate_sync_message(state) else {
                break;
            };
            let m = DocMessage {
                doc: id,
                kind: *kind,
                msg: msg.encode(),
            };
            let resp = self.round(vec![m]);
            if !resp.refused.is_empty() {
                return resp;
            }
            last = Some(resp);
        }
        last.expect("something to send")
    }

    /// Adds a document made here (new to the server).
    pub fn adopt(&mut self, id: DocId, kind: DocKind, d: AutoCommit) {
        self.docs.insert(id, (kind, d, doc::state_for_empty_peer()));
    }

    /// The document, writable as this peer's actor.
    pub fn doc_mut(&mut self, id: DocId) -> &mut AutoCommit {
        let actor = doc::actor(self.actor);
        let (_, d, _) = self.docs.get_mut(&id).expect("a document this peer holds");
        d.set_actor(actor);
        d
    }

    /// The events of an issue this peer holds.
    pub fn events(&self, id: DocId) -> Vec<IssueEvent> {
        doc::issue_events(&self.docs[&id].1).expect("issue events")
    }

    /// An event by this peer's account and device.
    pub fn event(&self, lamport: u64, body: EventBody) -> IssueEvent {
        IssueEvent {
            id: EventId::new(),
            lamport,
            by: self.login.user.id,
            by_name: self.login.user.name.to_string(),
            role: self.login.user.role,
            device: self.login.device,
            at: chrono::Utc::now(),
            base: None,
            body,
        }
    }

    /// Appends an event to an issue this peer holds and pushes it; returns the refusal code or "ok".
    pub fn append_and_push(&mut self, id: DocId, event: &IssueEvent) -> String {
        doc::append_event(self.doc_mut(id), event).expect("append");
        refusal_code(&self.push(id))
    }

    /// The next Lamport number a well-behaved device would use on this issue.
    pub fn next_lamport(&self, id: DocId) -> u64 {
        self.events(id).iter().map(|e| e.lamport).max().unwrap_or(0) + 1
    }

    /// Every document this peer holds, as JSON text, for checks on what it received.
    pub fn text(&self) -> String {
        let mut out = String::new();
        for (_, d, _) in self.docs.values() {
            out.push_str(&serde_json::to_string(&automerge::AutoSerde::from(d)).expect("json"));
            out.push('\n');
        }
        out
    }

    /// A value read from a document's root, for checks.
    pub fn root_keys(&self, id: DocId) -> Vec<String> {
        self.docs[&id].1.keys(automerge::ROOT).collect()
    }
}

/// The first refusal's code in a response, or "ok".
pub fn refusal_code(resp: &SyncResponse) -> String {
    resp.refused
        .first()
        .map(|r| r.code.clone())
        .unwrap_or_else(|| "ok".into())
}
