//! The sync client: batched HTTP rounds of per-document Automerge sync messages.
//!
//! A session starts from the outbox (documents changed here and not yet
//! acknowledged) and the server's change counter (`cursor`), so its cost grows
//! with the number of changed documents, not with the store. Each round is one
//! request; a failed request is retried with the same bytes (the server treats a
//! repeat as a no-op) with exponential backoff until the session's deadline.
//! Everything a response brings is stored in one transaction.

use crate::device::{Device, Session};
use crate::error::DeviceError;
use crate::store;
use automerge::AutoCommit;
use automerge::sync::{Message, State, SyncDoc};
use rusqlite::{OptionalExtension, Transaction, params};
use shared::doc;
use shared::ids::*;
use shared::issue;
use shared::wire::*;
use std::collections::{BTreeMap, HashMap};
use std::sync::Once;
use std::time::{Duration, Instant};

/// Why a sync or login did not complete.
#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("cannot reach the server at {server}: {detail}")]
    Unreachable { server: String, detail: String },
    #[error("the server refused this device's login: {0}")]
    Unauthorized(String),
    #[error("this app is too old for the server: {0}")]
    Outdated(String),
    #[error("the server answered {status}: {message}")]
    Server {
        status: u16,
        code: String,
        message: String,
        /// The server's sentence in Chinese, where it has one.
        message_zh: String,
    },
    #[error("the server sent something this app cannot read: {0}")]
    Protocol(String),
    #[error("sync did not finish within {0:?}; run sync again to continue")]
    Timeout(Duration),
    #[error("sync did not converge after {0} rounds")]
    DidNotConverge(u32),
}

impl SyncError {
    /// The exit code of `inspect sync`: 2 unreachable, 3 token refused, 1 anything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            SyncError::Unreachable { .. } | SyncError::Timeout(_) => 2,
            SyncError::Unauthorized(_) => 3,
            _ => 1,
        }
    }

    /// Whether trying again later cannot help without a person acting.
    pub fn is_permanent(&self) -> bool {
        matches!(self, SyncError::Unauthorized(_) | SyncError::Outdated(_))
    }
}

/// How long and how much one sync session may take.
#[derive(Debug, Clone)]
pub struct SyncOptions {
    pub timeout: Duration,
    /// Documents per request.
    pub batch: usize,
    /// Extra root certificate (PEM) for a server with a private CA.
    pub ca_cert: Option<std::path::PathBuf>,
    /// Upload queued photos after the documents.
    pub photos: bool,
    /// Bytes per photo upload request.
    pub photo_chunk: usize,
    /// How long the photo uploads of one session may take; the rest waits for the next.
    pub photo_timeout: Duration,
}

impl Default for SyncOptions {
    fn default() -> Self {
        SyncOptions {
            timeout: Duration::from_secs(20),
            batch: 1000,
            ca_cert: None,
            photos: true,
            photo_chunk: 512 * 1024,
            photo_timeout: Duration::from_secs(120),
        }
    }
}

/// What a session moved.
#[derive(Debug, Clone, Default)]
pub struct SyncReport {
    pub rounds: u32,
    pub docs_sent: usize,
    pub docs_received: usize,
    pub bytes_sent: u64,
    pub bytes_received: u64,
    pub refused_docs: Vec<DocRefusal>,
    pub refused_events: Vec<(IssueId, RefusedEvent)>,
    pub pending: i64,
    /// The photo uploads that followed the documents.
    pub photos: crate::photos::UploadReport,
    /// New reminders and escalations received.
    pub notifications: usize,
    pub notifications_error: Option<String>,
    /// Complainants' full contacts sent and received.
    pub contacts: crate::contacts::ContactReport,
    /// Why the contact exchange failed (it is tried again at the next sync).
    pub contacts_error: Option<String>,
    /// Survey answers recorded here and sent.
    pub surveys: crate::surveys::SurveyReport,
    /// Why sending them failed (they are sent at the next sync).
    pub surveys_error: Option<String>,
}

const MAX_ROUNDS: u32 = 64;

/// Most bytes one sync response may decompress to.
const RESPONSE_BYTES: usize = 512 * 1024 * 1024;

fn install_crypto() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A small HTTP client for the sync server.
pub struct Client {
    http: reqwest::blocking::Client,
    server: String,
}

fn photo_url(server: &str, hash: &str) -> String {
    format!("{server}/api/v1/photos/{hash}")
}

impl Client {
    pub fn new(server: &str, opts: &SyncOptions) -> Result<Client, SyncError> {
        install_crypto();
        let mut builder = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(opts.timeout.min(Duration::from_secs(30)));
        if let Some(path) = &opts.ca_cert {
            let pem = std::fs::read(path).map_err(|e| {
                SyncError::Protocol(format!(
                    "cannot read CA certificate {}: {e}",
                    path.display()
                ))
            })?;
            let cert = reqwest::Certificate::from_pem(&pem)
                .map_err(|e| SyncError::Protocol(format!("bad CA certificate: {e}")))?;
            builder = builder.tls_certs_merge([cert]);
        }
        let http = builder
            .build()
            .map_err(|e| SyncError::Protocol(format!("cannot set up HTTP: {e}")))?;
        Ok(Client {
            http,
            server: server.trim_end_matches('/').to_string(),
        })
    }

    fn unreachable(&self, e: &reqwest::Error) -> SyncError {
        let mut detail = e.to_string();
        let mut source = std::error::Error::source(e);
        while let Some(s) = source {
            detail = s.to_string();
            source = s.source();
        }
        SyncError::Unreachable {
            server: self.server.clone(),
            detail,
        }
    }

    fn error_from(status: reqwest::StatusCode, body: &[u8]) -> SyncError {
        let parsed: Option<ApiError> = serde_json::from_slice(body).ok();
        let (code, message, message_zh) = match parsed {
            Some(e) => (e.code, e.message, e.message_zh),
            None => (
                "http".into(),
                String::from_utf8_lossy(body).chars().take(200).collect(),
                String::new(),
            ),
        };
        match status.as_u16() {
            401 => SyncError::Unauthorized(message),
            426 => SyncError::Outdated(message),
            s => SyncError::Server {
                status: s,
                code,
                message,
                message_zh,
            },
        }
    }

    /// `POST /api/v1/login`.
    pub fn login(&self, req: &LoginRequest) -> Result<LoginResponse, SyncError> {
        let resp = self
            .http
            .post(format!("{}/api/v1/login", self.server))
            .json(req)
            .send()
            .map_err(|e| self.unreachable(&e))?;
        let status = resp.status();
        let body = resp.bytes().map_err(|e| self.unreachable(&e))?;
        if !status.is_success() {
            return Err(Self::error_from(status, &body));
        }
        serde_json::from_slice(&body).map_err(|e| SyncError::Protocol(e.to_string()))
    }

    /// `POST /api/v1/logout`: the server revokes `token`.
    pub fn logout(&self, token: &str) -> Result<(), SyncError> {
        let resp = self
            .http
            .post(format!("{}/api/v1/logout", self.server))
            .bearer_auth(token)
            .send()
            .map_err(|e| self.unreachable(&e))?;
        let status = resp.status();
        let body = resp.bytes().map_err(|e| self.unreachable(&e))?;
        // 401: the token was already revoked or expired, which is what logging out wants.
        if status.is_success() || status.as_u16() == 401 {
            Ok(())
        } else {
            Err(Self::error_from(status, &body))
        }
    }

    fn answer(&self, resp: reqwest::blocking::Response) -> Result<Vec<u8>, SyncError> {
        let status = resp.status();
        let body = resp.bytes().map_err(|e| self.unreachable(&e))?;
        if !status.is_success() {
            return Err(Self::error_from(status, &body));
        }
        Ok(body.to_vec())
    }

    fn upload_answer(&self, resp: reqwest::blocking::Response) -> Result<UploadStatus, SyncError> {
        let body = self.answer(resp)?;
        serde_json::from_slice(&body)
            .map_err(|e| SyncError::Protocol(format!("undecodable upload status: {e}")))
    }

    /// `GET /api/v1/notifications?after=MS`: reminders and escalations for this user.
    pub fn notifications(
        &self,
        token: &str,
        after_ms: i64,
    ) -> Result<Vec<shared::wire::Notification>, SyncError> {
        self.get_json(
            token,
            format!("{}/api/v1/notifications?after={after_ms}", self.server),
            "notifications",
        )
    }

    /// `GET url` with the bearer token, its JSON answer read as `T` (`what` names it in errors).
    fn get_json<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        url: impl reqwest::IntoUrl,
        what: &str,
    ) -> Result<T, SyncError> {
        let resp = self
            .http
            .get(url)
            .bearer_auth(token)
            .send()
            .map_err(|e| self.unreachable(&e))?;
        let body = self.answer(resp)?;
        serde_json::from_slice(&body)
            .map_err(|e| SyncError::Protocol(format!("undecodable {what}: {e}")))
    }

    /// `GET /api/v1/analytics/{what}`: the site's analysis, as the server computes it.
    pub fn analytics<T: serde::de::DeserializeOwned>(
        &self,
        token: &str,
        what: &str,
    ) -> Result<T, SyncError> {
        self.get_json(
            token,
            format!("{}/api/v1/analytics/{what}", self.server),
            "analysis",
        )
    }

    /// `PUT /api/v1/issues/{id}/contact`: a complaint's full contact.
    pub fn put_contact(&self, token: &str, issue: IssueId, contact: &str) -> Result<(), SyncError> {
        let resp = self
            .http
            .put(format!("{}/api/v1/issues/{issue}/contact", self.server))
            .bearer_auth(token)
            .json(&serde_json::json!({ "contact": contact }))
            .send()
            .map_err(|e| self.unreachable(&e))?;
        self.answer(resp).map(|_| ())
    }

    /// `POST /api/v1/surveys`: a survey answer recorded here.
    pub fn post_survey(
        &self,
        token: &str,
        input: &shared::survey::SurveyInput,
    ) -> Result<shared::survey::Survey, SyncError> {
        let resp = self
            .http
            .post(format!("{}/api/v1/surveys", self.server))
            .bearer_auth(token)
            .json(input)
            .send()
            .map_err(|e| self.unreachable(&e))?;
        let body = self.answer(resp)?;
        serde_json::from_slice(&body)
            .map_err(|e| SyncError::Protocol(format!("undecodable survey: {e}")))
    }

    /// `GET /api/v1/contacts?after=`: a page of the site's full contacts.
    pub fn contacts(
        &self,
        token: &str,
        after: Option<&str>,
    ) -> Result<shared::wire::ContactPage, SyncError> {
        let mut url = reqwest::Url::parse(&format!("{}/api/v1/contacts", self.server))
            .map_err(|e| SyncError::Protocol(format!("bad server address: {e}")))?;
        if let Some(after) = after {
            url.query_pairs_mut().append_pair("after", after);
        }
        self.get_json(token, url, "contacts")
    }

    /// `GET /api/v1/photos/{hash}/upload`: how much of a photo the server holds.
    pub fn upload_status(&self, token: &str, hash: &str) -> Result<UploadStatus, SyncError> {
        let resp = self
            .http
            .get(format!("{}/upload", photo_url(&self.server, hash)))
            .bearer_auth(token)
            .send()
            .map_err(|e| self.unreachable(&e))?;
        self.upload_answer(resp)
    }

    /// `PUT /api/v1/photos/{hash}/upload?offset&total`: one chunk.
    pub fn upload_chunk(
        &self,
        token: &str,
        hash: &str,
        offset: u64,
        total: u64,
        chunk: &[u8],
    ) -> Result<UploadStatus, SyncError> {
        let resp = self
            .http
            .put(format!(
                "{}/upload?offset={offset}&total={total}",
                photo_url(&self.server, hash)
            ))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(chunk.to_vec())
            .send()
            .map_err(|e| self.unreachable(&e))?;
        self.upload_answer(resp)
    }

    /// `GET /api/v1/photos/{hash}`: a stored photo's bytes.
    pub fn get_photo(&self, token: &str, hash: &str) -> Result<Vec<u8>, SyncError> {
        let resp = self
            .http
            .get(photo_url(&self.server, hash))
            .bearer_auth(token)
            .send()
            .map_err(|e| self.unreachable(&e))?;
        self.answer(resp)
    }

    /// One sync round, retried with the same bytes until `deadline`: the
    /// response body as it came over the wire, and whether it is gzip.
    fn round(
        &self,
        token: &str,
        body: Vec<u8>,
        deadline: Instant,
    ) -> Result<(Vec<u8>, bool), SyncError> {
        let mut backoff = Duration::from_millis(100);
        loop {
            let attempt = self
                .http
                .post(format!("{}/api/v1/sync", self.server))
                .bearer_auth(token)
                .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                .header(reqwest::header::CONTENT_TYPE, POSTCARD)
                .header(reqwest::header::ACCEPT_ENCODING, "gzip")
                .body(body.clone())
                .send();
            let err = match attempt {
                Ok(resp) => {
                    let status = resp.status();
                    let gzip = resp
                        .headers()
                        .get(reqwest::header::CONTENT_ENCODING)
                        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"gzip"));
                    match resp.bytes() {
                        Ok(bytes) if status.is_success() => return Ok((bytes.to_vec(), gzip)),
                        Ok(bytes) if status.is_server_error() => Self::error_from(status, &bytes),
                        Ok(bytes) => return Err(Self::error_from(status, &bytes)),
                        Err(e) => self.unreachable(&e),
                    }
                }
                Err(e) => self.unreachable(&e),
            };
            let now = Instant::now();
            if now + backoff >= deadline {
                return Err(err);
            }
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(Duration::from_secs(2));
        }
    }
}

/// Refreshes the projection of a document after it changed.
pub fn project(tx: &Transaction<'_>, kind: DocKind, d: &AutoCommit) -> Result<(), DeviceError> {
    match kind {
        DocKind::Issue => {
            let h = doc::header(d)?;
            let view = issue::fold(h.id.into(), doc::issue_events(d)?)?;
            store::project_issue(tx, &view)
        }
        DocKind::Patrol => store::project_patrol(tx, &doc::patrol(d)?),
        DocKind::Plan => {
            let plan = doc::plan(d)?;
            store::meta_set(
                tx,
                "plan",
                &serde_json::to_string(&plan).expect("plan serializes"),
            )?;
            Ok(())
        }
    }
}

fn load_state(tx: &rusqlite::Connection, id: DocId) -> Result<State, DeviceError> {
    let row: Option<Option<Vec<u8>>> = tx
        .query_row(
            "SELECT sync_state FROM docs WHERE id = ?1",
            [id.as_uuid().as_bytes()],
            |r| r.get(0),
        )
        .optional()?;
    Ok(match row {
        // Never synced: the server cannot have this document yet.
        Some(None) => doc::state_for_empty_peer(),
        Some(Some(bytes)) => doc::decode_state(&bytes)
            .map(doc::restart_state)
            .unwrap_or_default(),
        None => State::new(),
    })
}

impl Device {
    /// Logs in to `server`, binds this device's actor to the token, and fetches the site plan.
    pub fn login(
        &mut self,
        server: &str,
        user: &str,
        password: &str,
        opts: &SyncOptions,
    ) -> Result<(LoginResponse, SyncReport), DeviceError> {
        self.login_at(server, user, password, None, opts)
    }

    /// Logs in to work at `site` (a site code; `None`: the user's home site).
    /// The device then syncs that site alone; a device holding another site's
    /// records is refused ([`DeviceError::OtherSite`]).
    pub fn login_at(
        &mut self,
        server: &str,
        user: &str,
        password: &str,
        site: Option<&str>,
        opts: &SyncOptions,
    ) -> Result<(LoginResponse, SyncReport), DeviceError> {
        let client = Client::new(server, opts)?;
        let request = |actor: String| LoginRequest {
            user: user.trim().to_string(),
            password: password.to_string(),
            actor,
            device_name: hostname(),
            site: site.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
        };
        let resp = match client.login(&request(self.actor_hex()?)) {
            // The actor signs every change this device makes, and the server binds it to
            // the first account that used it. Another person signing in here gets a fresh
            // one, once nothing of the previous person's waits to sync.
            Err(SyncError::Server { code, .. }) if code == "actor_taken" => {
                if self.pending_count()? > 0 {
                    return Err(DeviceError::Unsynced(
                        "another person's changes on this device have not synced yet; sync them under their login first".into(),
                    ));
                }
                self.new_actor()?;
                client.login(&request(self.actor_hex()?))?
            }
            other => other?,
        };
        if let Err(e) = self.save_login(server, &resp) {
            // The token is not kept, so it should not stay live on the server either.
            let _ = client.logout(&resp.token);
            return Err(e);
        }
        let report = self.sync(opts)?;
        Ok((resp, report))
    }

    /// Runs one sync session until device and server have converged or the
    /// deadline passes, then uploads queued photos.
    pub fn sync(&mut self, opts: &SyncOptions) -> Result<SyncReport, DeviceError> {
        self.sync_with_progress(opts, &mut |_| {})
    }

    /// [`Device::sync`], reporting photo upload progress as it goes.
    pub fn sync_with_progress(
        &mut self,
        opts: &SyncOptions,
        progress: &mut dyn FnMut(crate::photos::UploadProgress),
    ) -> Result<SyncReport, DeviceError> {
        let mut report = match self.sync_documents(opts) {
            Ok(r) => r,
            Err(e) => {
                self.record_sync(Err(e.to_string()), chrono::Utc::now())?;
                return Err(e);
            }
        };
        self.record_sync(Ok(()), chrono::Utc::now())?;
        let session = self.session()?;
        let client = Client::new(&session.server, opts)?;
        // A contact that could not be sent stays queued for the next sync.
        match self.exchange_contacts(&client, &session.token) {
            Ok(c) => report.contacts = c,
            Err(e) => report.contacts_error = Some(e.to_string()),
        }
        // A survey that could not be sent stays queued for the next sync.
        match self.send_surveys(&client, &session.token) {
            Ok(s) => report.surveys = s,
            Err(e) => report.surveys_error = Some(e.to_string()),
        }
        // Notifications are a convenience: failing to fetch them fails nothing.
        match self.fetch_notifications(&client, &session.token) {
            Ok(n) => report.notifications = n,
            Err(e) => report.notifications_error = Some(e.to_string()),
        }
        if opts.photos {
            report.photos = self.upload_photos(&client, &session.token, opts, progress)?;
        }
        Ok(report)
    }

    /// The document part of a session: everything but photos.
    pub fn sync_documents(&mut self, opts: &SyncOptions) -> Result<SyncReport, DeviceError> {
        let session = self.session()?;
        let client = Client::new(&session.server, opts)?;
        let deadline = Instant::now() + opts.timeout;
        let mut report = SyncReport::default();
        let mut cursor: u64 = store::meta_get(self.store.conn(), "cursor")?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);

        // Documents taking part in this session, and their in-memory sync states.
        let mut active: BTreeMap<DocId, DocKind> = BTreeMap::new();
        {
            let mut stmt = self
                .store
                .conn()
                .prepare("SELECT id, kind FROM docs WHERE dirty = 1 AND refused_code IS NULL")?;
            let rows = stmt.query_map([], |r| {
                Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
            })?;
            for row in rows {
                let (id, kind) = row?;
                if let (Ok(id), Some(kind)) = (uuid::Uuid::from_slice(&id), DocKind::parse(&kind)) {
                    active.insert(DocId::from_uuid(id), kind);
                }
            }
        }
        let mut states: HashMap<DocId, State> = HashMap::new();
        let mut more = false;
        let mut sent_docs = std::collections::HashSet::new();

        loop {
            if report.rounds >= MAX_ROUNDS {
                return Err(SyncError::DidNotConverge(report.rounds).into());
            }
            // Build this round's messages, at most `batch` documents.
            let mut messages = Vec::new();
            let mut finished = Vec::new();
            for (&id, &kind) in &active {
                if messages.len() >= opts.batch {
                    break;
                }
                let state = match states.get_mut(&id) {
                    Some(s) => s,
                    None => {
                        let s = load_state(self.store.conn(), id)?;
                        states.entry(id).or_insert(s)
                    }
                };
                let mut d = match store::load_doc(self.store.conn(), id)? {
                    Some((_, d)) => d,
                    None => AutoCommit::new(),
                };
                // The server takes changes, never a whole document (it measures every
                // change before applying it), so never offer the v2 whole-document form.
                doc::send_changes_only(state);
                match d.sync().generate_sync_message(state) {
                    Some(msg) => {
                        sent_docs.insert(id);
                        messages.push(DocMessage {
                            doc: id,
                            kind,
                            msg: msg.encode(),
                        });
                    }
                    None => finished.push(id),
                }
            }
            for id in finished {
                active.remove(&id);
            }
            if messages.is_empty() && report.rounds > 0 && !more {
                break;
            }
            if Instant::now() >= deadline {
                return Err(SyncError::Timeout(opts.timeout).into());
            }
            let request = SyncRequest {
                protocol: PROTOCOL_VERSION,
                cursor,
                docs: messages,
            };
            let body = postcard::to_allocvec(&request).expect("request encodes");
            report.bytes_sent += body.len() as u64;
            report.rounds += 1;
            let (reply, gzip) = client.round(&session.token, body, deadline)?;
            report.bytes_received += reply.len() as u64;
            let reply = if gzip {
                shared::gzip::decompress(&reply, RESPONSE_BYTES).map_err(SyncError::Protocol)?
            } else {
                reply
            };
            let response: SyncResponse = postcard::from_bytes(&reply)
                .map_err(|e| SyncError::Protocol(format!("undecodable sync response: {e}")))?;
            if response.protocol != PROTOCOL_VERSION {
                return Err(SyncError::Outdated(format!(
                    "server speaks sync protocol {}",
                    response.protocol
                ))
                .into());
            }
            more = response.more;
            let mut skipped = Vec::new();
            let received =
                self.apply_response(&session, &response, &mut active, &mut states, &mut skipped)?;
            report.refused_docs.extend(skipped);
            report.docs_received += received;
            cursor = response.cursor;
            for r in response.refused {
                active.remove(&r.doc);
                report.refused_docs.push(r);
            }
        }
        report.docs_sent = sent_docs.len();
        let with_refusals = store::IssueFilter {
            only_refused: true,
            ..Default::default()
        };
        for s in self.issues(&with_refusals)? {
            for r in s.refused {
                report.refused_events.push((s.id, r));
            }
        }
        report.pending = self.pending_count()?;
        Ok(report)
    }

    /// Stores everything one response brought, in one transaction. Returns how many documents changed.
    fn apply_response(
        &mut self,
        session: &Session,
        response: &SyncResponse,
        active: &mut BTreeMap<DocId, DocKind>,
        states: &mut HashMap<DocId, State>,
        skipped: &mut Vec<DocRefusal>,
    ) -> Result<usize, DeviceError> {
        let actor = doc::actor(session.actor);
        self.store.tx(|tx| {
            let mut changed = 0;
            for m in &response.docs {
                let stored = store::load_doc(tx, m.doc)?;
                let is_new = stored.is_none();
                let (kind, mut d) = stored.unwrap_or_else(|| (m.kind, AutoCommit::new().with_actor(actor.clone())));
                let state = match states.get_mut(&m.doc) {
                    Some(s) => s,
                    None => {
                        let s = load_state(tx, m.doc)?;
                        states.entry(m.doc).or_insert(s)
                    }
                };
                // One document the server's message cannot be applied to is set aside
                // for this session; it never fails the others.
                let applied = Message::decode(&m.msg)
                    .map_err(|e| format!("bad sync message: {e}"))
                    .and_then(|msg| {
                        let before = d.get_heads();
                        d.sync()
                            .receive_sync_message(state, msg)
                            .map(|_| before)
                            .map_err(|e| format!("cannot apply the server's changes: {e}"))
                    });
                let before = match applied {
                    Ok(before) => before,
                    Err(message) => {
                        states.remove(&m.doc);
                        active.remove(&m.doc);
                        skipped.push(DocRefusal {
                            doc: m.doc,
                            code: "cannot_apply".into(),
                            message,
                            status: 0,
                        });
                        continue;
                    }
                };
                let heads = d.get_heads();
                if heads != before {
                    if is_new {
                        let h = doc::header(&d)?;
                        if h.kind != m.kind || h.id != m.doc {
                            return Err(SyncError::Protocol(format!("document {} does not match its header", m.doc)).into());
                        }
                        store::insert_doc(tx, m.doc, kind, &mut d, false)?;
                    } else {
                        store::append_doc(tx, m.doc, &mut d, &before, false)?;
                    }
                    project(tx, kind, &d)?;
                    changed += 1;
                }
                if !is_new || heads != before {
                    let settled = doc::settled(state, &heads);
                    tx.execute(
                        "UPDATE docs SET sync_state = ?2, dirty = CASE WHEN ?3 THEN 0 ELSE dirty END WHERE id = ?1",
                        params![m.doc.as_uuid().as_bytes(), doc::encode_state(state), settled],
                    )?;
                }
                active.insert(m.doc, kind);
            }
            for r in &response.refused {
                tx.execute(
                    "UPDATE docs SET refused_code = ?2, refused_message = ?3, dirty = 0 WHERE id = ?1",
                    params![r.doc.as_uuid().as_bytes(), r.code, r.message],
                )?;
            }
            for r in &response.receipts {
                tx.execute(
                    "INSERT INTO receipts (entry, received_at_ms) VALUES (?1, ?2) ON CONFLICT(entry) DO NOTHING",
                    params![r.entry.as_bytes(), r.received_at_ms],
                )?;
            }
            store::meta_set(tx, "cursor", &response.cursor.to_string())?;
            Ok(changed)
        })
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/etc/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "device".into())
}
