//! The sync driver: carries the protocol core's requests to the server and
//! commits what the responses bring.
//!
//! The protocol itself — what to send, what a response means — is
//! [`shared::sync::Session`], which holds no I/O. This module loads the
//! documents it names from the store, hands its requests to a [`Transport`]
//! (HTTP with retries and a deadline on a device, a function call in the
//! simulation), and stores everything one response brings in one transaction.
//! A session starts from the outbox (documents changed here and not yet
//! acknowledged) and the server's change counter (`cursor`), so its cost grows
//! with the number of changed documents, not with the store.

use crate::device::Device;
use crate::error::DeviceError;
use crate::net::{Client, SyncError, SyncOptions};
use crate::store;
use rusqlite::params;
use shared::doc;
use shared::ids::*;
use shared::sync::{Change, Held, Next, Session as Core, Writes};
use shared::wire::*;
use std::collections::BTreeMap;
use std::time::Instant;

/// Carries one sync request's bytes to the server and brings back the
/// response's bytes, and whether they are gzip.
pub trait Transport {
    fn round(&mut self, token: &str, body: Vec<u8>) -> Result<(Vec<u8>, bool), SyncError>;
}

/// The server over HTTP: each round retried with the same bytes (the server
/// treats a repeat as a no-op) with backoff until the session's deadline.
pub struct Http {
    client: Client,
    deadline: Instant,
    timeout: std::time::Duration,
}

impl Http {
    pub fn new(server: &str, opts: &SyncOptions) -> Result<Http, SyncError> {
        Ok(Http {
            client: Client::new(server, opts)?,
            deadline: Instant::now() + opts.timeout,
            timeout: opts.timeout,
        })
    }
}

impl Transport for Http {
    fn round(&mut self, token: &str, body: Vec<u8>) -> Result<(Vec<u8>, bool), SyncError> {
        if Instant::now() >= self.deadline {
            return Err(SyncError::Timeout(self.timeout));
        }
        self.client.round(token, body, self.deadline)
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
        let mut http = Http::new(&session.server, opts)?;
        self.sync_documents_over(&mut http, opts.batch)
    }

    /// The document part of a session over any transport, `batch` documents per request.
    pub fn sync_documents_over(
        &mut self,
        transport: &mut dyn Transport,
        batch: usize,
    ) -> Result<SyncReport, DeviceError> {
        let session = self.session()?;
        let actor = doc::actor(session.actor);
        let mut report = SyncReport::default();
        let cursor: u64 = store::meta_get(self.store.conn(), "cursor")?
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let mut core = Core::new(self.outbox()?, cursor, batch);
        // The documents of the last round as stored, kept parsed for the next:
        // it answers what the last response brought first, so a document is
        // loaded once per session rather than once per request and response.
        // At most one round's documents are held, and none once another
        // connection (another process on this store) has committed.
        let mut parsed: BTreeMap<DocId, Held> = BTreeMap::new();
        let mut parsed_at = None;
        loop {
            let version = store::data_version(self.store.conn())?;
            if parsed_at != Some(version) {
                parsed.clear();
            }
            let mut held = self.held(core.offering(), &mut parsed)?;
            parsed.clear();
            let request = match core.request(&mut held).map_err(SyncError::from)? {
                Next::Send(request) => request,
                Next::Again => continue,
                Next::Done => break,
            };
            let body = postcard::to_allocvec(&request).expect("request encodes");
            report.bytes_sent += body.len() as u64;
            let (reply, gzip) = transport.round(&session.token, body)?;
            report.bytes_received += reply.len() as u64;
            let response = core.decode(&reply, gzip).map_err(SyncError::from)?;
            // Our own commits leave `data_version` as it is: read once here,
            // it also dates the documents this round's writes leave parsed.
            let after = store::data_version(self.store.conn())?;
            if after != version {
                held.clear();
            }
            let touched = self.held(Core::touching(&response), &mut held)?;
            drop(held);
            let mut writes = core
                .apply(response, touched, &actor)
                .map_err(SyncError::from)?;
            report.refused_docs.extend(writes.skipped.iter().cloned());
            report.refused_docs.extend(writes.refused.iter().cloned());
            self.store_writes(&mut writes)?;
            parsed = writes
                .docs
                .into_iter()
                .map(|w| {
                    let held = Held {
                        kind: w.kind,
                        doc: w.doc,
                        state: Some(w.state),
                    };
                    (w.id, held)
                })
                .collect();
            parsed_at = Some(after);
        }
        report.rounds = core.rounds();
        report.docs_sent = core.sent();
        report.docs_received = core.received();
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

    /// Documents changed here and not yet acknowledged, nor refused.
    fn outbox(&self) -> Result<Vec<(DocId, DocKind)>, DeviceError> {
        let mut stmt = self
            .store
            .conn()
            .prepare("SELECT id, kind FROM docs WHERE dirty = 1 AND refused_code IS NULL")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, kind) = row?;
            if let (Ok(id), Some(kind)) = (uuid::Uuid::from_slice(&id), DocKind::parse(&kind)) {
                out.push((DocId::from_uuid(id), kind));
            }
        }
        Ok(out)
    }

    /// What the store holds of these documents: taken from `parsed` (the
    /// same documents, already loaded and as stored) or loaded.
    fn held(
        &self,
        ids: Vec<DocId>,
        parsed: &mut BTreeMap<DocId, Held>,
    ) -> Result<BTreeMap<DocId, Held>, DeviceError> {
        let mut out = BTreeMap::new();
        for id in ids {
            let held = match parsed.remove(&id) {
                Some(h) => Some(h),
                None => store::load_held(self.store.conn(), id)?,
            };
            if let Some(h) = held {
                out.insert(id, h);
            }
        }
        Ok(out)
    }

    /// Stores everything one response brought, in one transaction.
    fn store_writes(&mut self, writes: &mut Writes) -> Result<(), DeviceError> {
        self.store.tx(|tx| {
            for w in writes.docs.iter_mut() {
                match &w.change {
                    Change::None => {}
                    Change::Insert => store::insert_doc(tx, w.id, w.kind, &mut w.doc, false)?,
                    Change::Append { before } => {
                        store::append_doc(tx, w.id, &mut w.doc, before, false)?
                    }
                }
                if w.change.is_some() {
                    store::project(tx, w.kind, &w.doc)?;
                }
                tx.execute(
                    "UPDATE docs SET sync_state = ?2, dirty = CASE WHEN ?3 THEN 0 ELSE dirty END WHERE id = ?1",
                    params![w.id.as_uuid().as_bytes(), w.state, w.settled],
                )?;
            }
            for r in &writes.refused {
                tx.execute(
                    "UPDATE docs SET refused_code = ?2, refused_message = ?3, dirty = 0 WHERE id = ?1",
                    params![r.doc.as_uuid().as_bytes(), r.code, r.message],
                )?;
            }
            for r in &writes.receipts {
                tx.execute(
                    "INSERT INTO receipts (entry, received_at_ms) VALUES (?1, ?2) ON CONFLICT(entry) DO NOTHING",
                    params![r.entry.as_bytes(), r.received_at_ms],
                )?;
            }
            store::meta_set(tx, "cursor", &writes.cursor.to_string())?;
            Ok(())
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
