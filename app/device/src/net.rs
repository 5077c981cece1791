//! The HTTP client of the sync server: login, the sync round with its
//! retries, photos, contacts, surveys, notifications and analysis.

use shared::ids::*;
use shared::wire::*;
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
    #[error("sync did not converge after {rounds} rounds (still exchanging: {docs})")]
    DidNotConverge { rounds: u32, docs: String },
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

impl From<shared::sync::SessionError> for SyncError {
    fn from(e: shared::sync::SessionError) -> Self {
        use shared::sync::SessionError as E;
        match e {
            E::Protocol(m) => SyncError::Protocol(m),
            E::Outdated(v) => SyncError::Outdated(format!("server speaks sync protocol {v}")),
            E::DidNotConverge { rounds, docs } => SyncError::DidNotConverge {
                rounds,
                docs: docs
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            },
        }
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
    pub fn round(
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
