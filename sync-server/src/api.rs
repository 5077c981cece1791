//! The HTTP API: login, the sync endpoint, and the issue tracker's read API.

use crate::accounts;
use crate::blobs::BlobStore;
use crate::cache::DocCache;
use crate::error::{ApiError, StoreError};
use crate::store::{IssueQuery, Store};
use crate::validate::Sender;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use shared::ids::*;
use shared::wire::*;
use std::net::SocketAddr;
use std::sync::Arc;

/// Largest sync request body accepted.
pub const MAX_SYNC_BODY: usize = shared::limits::SYNC_BODY_BYTES;

/// Shared state of all handlers.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub blobs: Arc<dyn BlobStore>,
    pub cache: Arc<DocCache>,
    pub guard: Arc<crate::guard::LoginGuard>,
    caption_font: Option<std::path::PathBuf>,
    fonts: Arc<std::sync::OnceLock<photo::stamp::Fonts>>,
    /// The built web dashboard (`index.html` + wasm), served at `/`.
    pub ui_dir: Option<std::path::PathBuf>,
    pub metrics: Arc<crate::metrics::Metrics>,
}

impl AppState {
    pub fn new(store: Arc<dyn Store>, blobs: Arc<dyn BlobStore>) -> AppState {
        AppState {
            store,
            blobs,
            cache: Arc::new(DocCache::new(CACHED_DOCS)),
            guard: Arc::new(crate::guard::LoginGuard::default()),
            caption_font: None,
            fonts: Arc::new(std::sync::OnceLock::new()),
            ui_dir: None,
            metrics: Arc::new(crate::metrics::Metrics::default()),
        }
    }

    /// Serves the web dashboard from `dir` (the UI's `dist/`).
    pub fn with_ui_dir(mut self, dir: Option<std::path::PathBuf>) -> AppState {
        self.ui_dir = dir;
        self
    }

    /// Uses this font file (`path[:face]`) for photo captions before looking elsewhere.
    pub fn with_caption_font(mut self, path: Option<std::path::PathBuf>) -> AppState {
        self.caption_font = path;
        self
    }

    /// The caption fonts, found on first use.
    pub fn fonts(&self) -> &photo::stamp::Fonts {
        self.fonts
            .get_or_init(|| crate::photos::discover_fonts(self.caption_font.as_deref()))
    }
}

/// Documents kept parsed between rounds.
pub const CACHED_DOCS: usize = 2000;

/// Runs blocking store work off the async runtime.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        tracing::error!(error = %e, "blocking task failed");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server could not complete the request; try again",
        )
    })?
}

/// The authenticated device behind a bearer token.
pub struct Auth(pub Sender);

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|h| h.to_str().ok())
            .and_then(|h| h.strip_prefix("Bearer "))
            .map(|t| t.trim().to_string())
            .ok_or_else(ApiError::unauthorized)?;
        let store = state.store.clone();
        blocking(move || Ok(Auth(sender_for(&*store, &token, Utc::now())?))).await
    }
}

/// The device and account behind a bearer token, as a sync round needs them.
pub fn sender_for(store: &dyn Store, token: &str, now: DateTime<Utc>) -> Result<Sender, ApiError> {
    let mut txn = store.read()?;
    let (device, user) =
        accounts::authenticate(&mut *txn, token, now)?.ok_or_else(ApiError::unauthorized)?;
    Ok(Sender {
        device: device.id,
        user: user.id,
        user_name: user.name,
        role: user.role,
        actor: device.actor,
        sites: vec![user.site],
    })
}

/// The router, without a listener (tests call it directly).
pub fn app(state: AppState) -> Router {
    use crate::photos;
    let ui = state.ui_dir.clone();
    let router = Router::new()
        .route("/api/v1/health", get(health))
        .route("/api/v1/openapi.json", get(crate::openapi::document))
        .route("/api/v1/login", post(login))
        .route("/api/v1/logout", post(logout))
        .route(
            "/api/v1/sync",
            post(sync).layer(DefaultBodyLimit::max(MAX_SYNC_BODY)),
        )
        .route("/api/v1/issues", get(list_issues))
        .route("/api/v1/issues/{id}", get(get_issue))
        .route("/api/v1/issues/{id}/events", post(post_event))
        .route("/api/v1/issues/{id}/notice.pdf", get(issue_notice))
        .route("/api/v1/complaints", post(post_complaint))
        .route("/api/v1/surveys", post(post_survey).get(list_surveys))
        .route(
            "/api/v1/root-causes",
            get(list_root_causes).post(save_root_cause),
        )
        .route("/api/v1/root-causes/{id}/actions/{n}", post(update_action))
        .route("/api/v1/me", get(me))
        .route("/api/v1/site", post(choose_site))
        .route("/api/v1/plan", get(plan))
        .route("/api/v1/notifications", get(notifications))
        .route("/api/v1/patrols", get(list_patrols))
        .route("/api/v1/patrols/sheet", get(patrol_sheet))
        .route("/api/v1/patrols/{id}", get(get_patrol))
        .route("/api/v1/photos/{hash}", get(photos::get_photo))
        .route(
            "/api/v1/photos/{hash}/upload",
            get(photos::upload_status)
                .put(photos::upload_chunk)
                .layer(DefaultBodyLimit::max(photos::MAX_CHUNK)),
        )
        .merge(crate::admin::routes())
        .merge(crate::contacts::routes())
        .route("/healthz", get(crate::metrics::healthz))
        .route("/readyz", get(crate::metrics::readyz))
        .route("/metrics", get(crate::metrics::serve_metrics))
        .route_layer(axum::middleware::from_fn(crate::nul::refuse_nul))
        .route_layer(axum::middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::track,
        ))
        .route(
            "/api/{*rest}",
            axum::routing::any(|| async { ApiError::not_found("endpoint") }),
        )
        .with_state(state);
    match ui {
        Some(dir) if dir.join("index.html").is_file() => {
            let index = tower_http::services::ServeFile::new(dir.join("index.html"))
                .precompressed_br()
                .precompressed_gzip();
            // The build's precompressed copies (brotli, gzip) go out as they are.
            let files = tower_http::services::ServeDir::new(dir)
                .precompressed_br()
                .precompressed_gzip()
                .fallback(index);
            router.fallback_service(
                tower::ServiceBuilder::new()
                    .layer(axum::middleware::from_fn(ui_caching))
                    .service(files),
            )
        }
        other => {
            let message = format!(
                "<!doctype html><meta charset=utf-8><link rel=icon href=\"data:,\"><title>巡查</title><p>The web dashboard is not built{}. Run <code>scripts/build-ui</code>, then start the server with <code>--ui-dir app/ui/dist</code>.</p>",
                other
                    .map(|d| format!(" (no index.html in {})", d.display()))
                    .unwrap_or_default()
            );
            router.fallback(move || {
                let message = message.clone();
                async move { (StatusCode::NOT_FOUND, axum::response::Html(message)) }
            })
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/health",
    tag = "health",
    summary = "Liveness and the sync protocol version.",
    responses((status = 200, description = "Up", body = crate::openapi::Health), crate::openapi::Errors),
    security(()),
)]
async fn health() -> Json<crate::openapi::Health> {
    Json(crate::openapi::Health {
        status: "ok".into(),
        protocol: PROTOCOL_VERSION,
    })
}

/// A query string that does not parse, as the API's usual error.
pub(crate) fn bad_query(e: axum::extract::rejection::QueryRejection) -> ApiError {
    ApiError::bad_request("bad_query", e.body_text())
}

fn parse_actor(hex: &str) -> Option<[u8; 16]> {
    let hex = hex.trim();
    if hex.len() != 32 {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(hex.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

/// The client's address, when the server was started with connection info.
type Peer = Option<axum::Extension<axum::extract::ConnectInfo<SocketAddr>>>;

fn peer_ip(peer: &Peer) -> Option<std::net::IpAddr> {
    peer.as_ref().map(|axum::Extension(c)| c.0.ip())
}

/// `POST /api/v1/login`. The password check runs outside any transaction and
/// at most [`shared::limits::PASSWORD_CHECKS_AT_ONCE`] at a time; a name or
/// address that keeps failing gets 429 at once (see [`crate::guard`]).
#[tracing::instrument(skip_all)]
#[utoipa::path(
    post,
    path = "/api/v1/login",
    tag = "session",
    summary = "Logs in; the token is bound to the device's actor.",
    request_body = LoginRequest,
    responses((status = 200, body = LoginResponse), crate::openapi::Errors),
    security(()),
)]
async fn login(
    State(state): State<AppState>,
    peer: Peer,
    body: Result<Json<LoginRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<LoginResponse>, ApiError> {
    let Json(req) = body.map_err(|e| {
        ApiError::bad_request(
            "malformed",
            format!("the login request is not valid JSON: {}", e.body_text()),
        )
    })?;
    let actor = parse_actor(&req.actor)
        .ok_or_else(|| ApiError::bad_request("malformed", "actor must be 32 hex characters"))?;
    if req.user.chars().count() > 64 || req.password.len() > 1024 {
        return Err(ApiError::bad_request(
            "malformed",
            "the user name or password is longer than any account's",
        ));
    }
    let ip = peer_ip(&peer);
    if let Some(wait) = state.guard.locked(&req.user, ip) {
        return Err(too_many(wait));
    }
    let store = state.store.clone();
    let name = req.user.trim().to_string();
    let user = blocking({
        let store = store.clone();
        let name = name.clone();
        move || Ok(store.read()?.user_by_name(&name)?)
    })
    .await?;
    let ok = {
        let _permit = state
            .guard
            .checks
            .acquire()
            .await
            .map_err(|_| ApiError::from(StoreError::Corrupt("shutting down".into())))?;
        // Checked again in turn: attempts queued behind a flood are answered at once.
        if let Some(wait) = state.guard.locked(&req.user, ip) {
            return Err(too_many(wait));
        }
        let user = user.clone();
        let password = req.password.clone();
        blocking(move || Ok(accounts::check_password(user.as_ref(), &password))).await?
    };
    let user = match (ok, user) {
        (true, Some(user)) => user,
        _ => {
            state.guard.failed(&name, ip);
            return Err(ApiError::new(
                StatusCode::UNAUTHORIZED,
                "bad_credentials",
                "user name or password is wrong, or the account is disabled",
            ));
        }
    };
    state.guard.succeeded(&name, ip);
    blocking(move || {
        let mut txn = store.begin()?;
        let (token, device, site) =
            match accounts::issue_token(&mut *txn, &user, actor, &req.device_name, Utc::now())? {
                Ok(issued) => issued,
                Err(accounts::LoginRefusal::ActorTaken) => {
                    return Err(ApiError::new(
                        StatusCode::CONFLICT,
                        "actor_taken",
                        "this device's change signature belongs to another account; the app makes a new one and logs in again",
                    ));
                }
            };
        let sites = accounts::sites_of(&mut *txn, &user)?;
        let (site, at) = match req.site.as_deref().map(str::trim).filter(|c| !c.is_empty()) {
            Some(code) => accounts::choose_site(&mut *txn, device.id, &user, code)?,
            None => (site, user),
        };
        txn.commit()?;
        Ok(Json(LoginResponse {
            token,
            device: device.id,
            user: accounts::user_info(&at),
            site,
            sites: accounts::site_roles(&sites),
        }))
    })
    .await
}

fn too_many(wait_secs: u64) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "too_many_attempts",
        format!(
            "too many failed logins; try again in {} minutes",
            wait_secs.div_ceil(60)
        ),
    )
}

/// `POST /api/v1/logout`: revokes the token it is called with.
#[utoipa::path(
    post,
    path = "/api/v1/logout",
    tag = "session",
    summary = "Revokes the caller's token.",
    responses((status = 204, description = "Revoked"), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn logout(State(state): State<AppState>, Auth(sender): Auth) -> Result<StatusCode, ApiError> {
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.begin()?;
        txn.revoke_device(sender.device)?;
        txn.commit()?;
        Ok(StatusCode::NO_CONTENT)
    })
    .await
}

#[tracing::instrument(skip_all, fields(user = %auth.0.user_name))]
#[utoipa::path(
    post,
    path = "/api/v1/sync",
    tag = "sync",
    summary = "One sync round: postcard-encoded `SyncRequest` in, `SyncResponse` out.",
    request_body(content = crate::openapi::Binary, content_type = "application/x-postcard"),
    responses((status = 200, description = "A postcard `SyncResponse`", content_type = "application/x-postcard", body = crate::openapi::Binary), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn sync(
    State(state): State<AppState>,
    auth: Auth,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let version = headers
        .get(PROTOCOL_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u16>().ok());
    if version != Some(PROTOCOL_VERSION) {
        return Err(ApiError::new(
            StatusCode::UPGRADE_REQUIRED,
            "client_outdated",
            format!(
                "this app speaks sync protocol {}, the server speaks {PROTOCOL_VERSION}; update the app",
                version
                    .map(|v| v.to_string())
                    .unwrap_or_else(|| "(none)".into())
            ),
        ));
    }
    let body = body.map_err(|e| {
        ApiError::new(
            e.status(),
            "bad_body",
            format!("the sync request body was refused: {}", e.body_text()),
        )
    })?;
    let store = state.store.clone();
    let cache = state.cache.clone();
    let sender = auth.0;
    let received = body.len() as u64;
    let resp =
        blocking(move || crate::sync::serve(&*store, &cache, &sender, &body, Utc::now())).await?;
    let metrics = state.metrics.clone();
    metrics.sync_rounds.inc();
    metrics.sync_bytes_received.inc_by(received);
    metrics.sync_docs_sent.observe(resp.docs.len() as f64);
    metrics.sync_refused_docs.inc_by(resp.refused.len() as u64);
    let gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(shared::gzip::accepted);
    blocking(move || {
        let bytes = postcard::to_allocvec(&resp)
            .map_err(|e| ApiError::from(StoreError::Corrupt(e.to_string())))?;
        metrics.sync_bytes_sent.inc_by(bytes.len() as u64);
        let vary = (header::VARY, "accept-encoding");
        Ok(if gzip && bytes.len() >= shared::gzip::MIN_BYTES {
            let packed = shared::gzip::compress(&bytes);
            (
                [
                    (header::CONTENT_TYPE, POSTCARD),
                    (header::CONTENT_ENCODING, "gzip"),
                    vary,
                ],
                packed,
            )
                .into_response()
        } else {
            ([(header::CONTENT_TYPE, POSTCARD), vary], bytes).into_response()
        })
    })
    .await
}

/// Query string of `GET /api/v1/issues`.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IssueParams {
    pub site: Option<String>,
    pub zone: Option<String>,
    pub status: Option<String>,
    pub grade: Option<String>,
    pub category: Option<String>,
    pub assignee: Option<String>,
    pub overdue: Option<bool>,
    /// `complaint` or `patrol`.
    pub source: Option<String>,
    /// Only verified complaints waiting for their call-back (回访队列).
    pub awaiting_callback: Option<bool>,
    pub limit: Option<usize>,
}

fn parse_param<T: std::str::FromStr>(name: &str, v: &Option<String>) -> Result<Option<T>, ApiError>
where
    T::Err: std::fmt::Display,
{
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|e| ApiError::bad_request("bad_filter", format!("{name}: {e}"))),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/issues",
    tag = "issues",
    summary = "The tracker's issues of the caller's site.",
    params(IssueParams),
    responses((status = 200, body = Vec<IssueSummary>), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn list_issues(
    State(state): State<AppState>,
    Auth(sender): Auth,
    params: Result<Query<IssueParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<IssueSummary>>, ApiError> {
    let Query(p) = params.map_err(|e| ApiError::bad_request("bad_filter", e.body_text()))?;
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.read()?;
        let sites = match p.site.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(code) => {
                let site = txn
                    .site_by_code(code)?
                    .ok_or_else(|| ApiError::not_found("site"))?;
                if !sender.sites.contains(&site.id) {
                    return Err(ApiError::forbidden("you do not work on this site"));
                }
                vec![site.id]
            }
            None => sender.sites.clone(),
        };
        let q = IssueQuery {
            sites,
            zone: parse_param::<ZoneId>("zone", &p.zone)?,
            status: parse_param("status", &p.status)?,
            grade: parse_param("grade", &p.grade)?,
            category: parse_param("category", &p.category)?,
            assignee: p.assignee.clone().filter(|s| !s.trim().is_empty()),
            overdue_at: p.overdue.filter(|o| *o).map(|_| Utc::now()),
            awaiting_callback: p.awaiting_callback,
            touched_since: None,
            raised_before: None,
            limit: p.limit.unwrap_or(0),
        };
        let complaints = match p.source.as_deref().map(str::trim) {
            None | Some("") => None,
            Some("complaint") => Some(true),
            Some("patrol") => Some(false),
            Some(other) => {
                return Err(ApiError::bad_request(
                    "bad_filter",
                    format!("source: `{other}` is not complaint or patrol"),
                ));
            }
        };
        let mut list = txn.list_issues(&q)?;
        if let Some(c) = complaints {
            list.retain(|s| s.complaint_location.is_some() == c);
        }
        let site = crate::patrols::sender_site(&mut *txn, &sender)?;
        crate::rootcause::flag_repeats(&mut *txn, &site, &mut list)?;
        Ok(Json(list))
    })
    .await
}

#[utoipa::path(
    get,
    path = "/api/v1/issues/{id}",
    tag = "issues",
    summary = "One issue with its timeline.",
    params(("id" = String, Path, description = "Issue id (UUID)")),
    responses((status = 200, body = IssueDetail), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn get_issue(
    State(state): State<AppState>,
    Auth(sender): Auth,
    Path(id): Path<String>,
) -> Result<Json<IssueDetail>, ApiError> {
    let id: IssueId = id
        .parse()
        .map_err(|e: IdParseError| ApiError::bad_request("bad_id", e.to_string()))?;
    let store = state.store.clone();
    let blobs = state.blobs.clone();
    blocking(move || {
        let mut txn = store.read()?;
        let stored = txn
            .doc(id.into())?
            .filter(|d| d.kind == DocKind::Issue)
            .ok_or_else(|| ApiError::not_found("issue"))?;
        if !sender.sites.contains(&stored.site) {
            // Same answer as a missing issue: ids of other sites are not confirmed.
            return Err(ApiError::not_found("issue"));
        }
        let corrupt = |e: String| ApiError::from(StoreError::Corrupt(e));
        let d = automerge::AutoCommit::load(&stored.bytes).map_err(|e| corrupt(e.to_string()))?;
        let events = shared::doc::issue_events(&d).map_err(|e| corrupt(e.to_string()))?;
        let view = shared::issue::fold(id, events).map_err(|e| corrupt(e.to_string()))?;
        let mut detail = detail_in(&mut *txn, &*blobs, &view, sender.role)?;
        let site = txn
            .site(stored.site)?
            .ok_or_else(|| corrupt("an issue of an unknown site".into()))?;
        crate::rootcause::flag_repeats(
            &mut *txn,
            &site,
            std::slice::from_mut(&mut detail.summary),
        )?;
        Ok(Json(detail))
    })
    .await
}

/// Where the dashboard is, as the request reached it: the scheme a proxy
/// names (`X-Forwarded-Proto`), else the page's own (`Origin`), else http;
/// and the `Host`.
pub fn public_base(headers: &HeaderMap) -> String {
    let get = |h: &str| headers.get(h).and_then(|v| v.to_str().ok()).map(str::trim);
    let host = get("host")
        .filter(|h| {
            !h.is_empty()
                && h.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
        })
        .unwrap_or("localhost");
    let scheme = match get("x-forwarded-proto") {
        Some("https") => "https",
        Some(_) => "http",
        None if get("origin").is_some_and(|o| o.starts_with("https://")) => "https",
        None => "http",
    };
    format!("{scheme}://{host}")
}

/// `GET /api/v1/issues/{id}/notice.pdf`: the issue's rectification notice (整改通知单).
#[utoipa::path(
    get,
    path = "/api/v1/issues/{id}/notice.pdf",
    tag = "records",
    summary = "The issue's rectification notice (整改通知单), A4 PDF in Chinese, with its photos and a QR code opening it on the dashboard.",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "The notice", content((Vec<u8> = "application/pdf"))),
        crate::openapi::Errors
    ),
    security(("bearer" = [])),
)]
async fn issue_notice(
    State(state): State<AppState>,
    Auth(sender): Auth,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    crate::admin::require(&sender, shared::policy::Action::ReadSite)?;
    let id: IssueId = id
        .parse()
        .map_err(|e: IdParseError| ApiError::bad_request("bad_id", e.to_string()))?;
    let link = format!("{}/#/issues/{id}", public_base(&headers));
    blocking(move || {
        let mut txn = state.store.read()?;
        let plan = crate::patrols::sender_plan(&mut *txn, &sender)?;
        let notice = crate::forms::load_notice(&mut *txn, &*state.blobs, plan, id, link)?;
        let font = crate::forms::font(state.fonts())?;
        let pdf = crate::forms::notice_pdf(&notice, font)?;
        let name = crate::forms::notice_number(&notice.view, &notice.plan);
        Ok((
            [
                (header::CONTENT_TYPE, "application/pdf".to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("inline; filename=\"{name}.pdf\""),
                ),
            ],
            pdf,
        )
            .into_response())
    })
    .await
}

/// `GET /api/v1/me`: who the token belongs to, and their site.
#[utoipa::path(
    get,
    path = "/api/v1/me",
    tag = "session",
    summary = "The caller, their site and their open work.",
    responses((status = 200, body = Me), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn me(State(state): State<AppState>, Auth(sender): Auth) -> Result<Json<Me>, ApiError> {
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.read()?;
        let user = txn.user(sender.user)?.ok_or_else(ApiError::unauthorized)?;
        let here = sender.sites.first().copied().unwrap_or(user.site);
        me_at(&mut *txn, &user, here, sender.device).map(Json)
    })
    .await
}

/// The user as seen at site `here`, with every site they hold a role at.
fn me_at(
    txn: &mut dyn crate::store::Txn,
    user: &crate::store::UserRecord,
    here: shared::ids::SiteId,
    device: shared::ids::DeviceId,
) -> Result<Me, ApiError> {
    let sites = accounts::sites_of(txn, user)?;
    let (site, at) = sites
        .iter()
        .find(|(s, _)| s.id == here)
        .cloned()
        .ok_or_else(ApiError::unauthorized)?;
    Ok(Me {
        user: accounts::user_info(&at),
        site,
        device,
        sites: accounts::site_roles(&sites),
    })
}

/// `POST /api/v1/site`: this login works at another of the user's sites.
#[utoipa::path(
    post,
    path = "/api/v1/site",
    tag = "accounts",
    summary = "Works at another of the user's sites with the same login (the dashboard's site switch).",
    request_body = shared::wire::ChooseSite,
    responses((status = 200, body = Me), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn choose_site(
    State(state): State<AppState>,
    Auth(sender): Auth,
    body: Result<Json<shared::wire::ChooseSite>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Me>, ApiError> {
    let Json(req) = body.map_err(|e| ApiError::bad_request("malformed", e.body_text()))?;
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.begin()?;
        let user = txn.user(sender.user)?.ok_or_else(ApiError::unauthorized)?;
        let (site, _) = accounts::choose_site(&mut *txn, sender.device, &user, &req.site)?;
        let me = me_at(&mut *txn, &user, site.id, sender.device)?;
        txn.commit()?;
        Ok(Json(me))
    })
    .await
}

/// `GET /api/v1/plan`: the sender's site plan (zones, checkpoints, routes, people).
#[utoipa::path(
    get,
    path = "/api/v1/plan",
    tag = "planning",
    summary = "The caller's site plan.",
    responses((status = 200, body = shared::plan::SitePlan), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn plan(
    State(state): State<AppState>,
    Auth(sender): Auth,
) -> Result<Json<shared::plan::SitePlan>, ApiError> {
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.read()?;
        Ok(Json(crate::patrols::sender_plan(&mut *txn, &sender)?))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct NotificationQuery {
    /// Only those created after this server time (Unix milliseconds).
    after: Option<i64>,
}

/// `GET /api/v1/notifications?after=MS`: the caller's reminders and escalations, newest first.
#[utoipa::path(
    get,
    path = "/api/v1/notifications",
    tag = "issues",
    summary = "The caller's reminders and escalations, newest first.",
    params(NotificationQuery),
    responses((status = 200, body = Vec<Notification>), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn notifications(
    State(state): State<AppState>,
    Auth(sender): Auth,
    q: Result<Query<NotificationQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<Notification>>, ApiError> {
    let Query(q) = q.map_err(bad_query)?;
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.read()?;
        Ok(Json(txn.notifications_for(
            sender.user,
            q.after.unwrap_or(0),
            200,
        )?))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PatrolQuery {
    /// Runs started in the last this many days (default 7).
    days: Option<u32>,
}

/// `GET /api/v1/patrols`: recent patrol runs with progress and presence counts.
#[utoipa::path(
    get,
    path = "/api/v1/patrols",
    tag = "patrols",
    summary = "Recent patrol runs.",
    params(PatrolQuery),
    responses((status = 200, body = Vec<PatrolSummary>), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn list_patrols(
    State(state): State<AppState>,
    Auth(sender): Auth,
    q: Result<Query<PatrolQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<PatrolSummary>>, ApiError> {
    let Query(q) = q.map_err(bad_query)?;
    let since = Utc::now() - chrono::Duration::days(q.days.unwrap_or(7).min(366).into());
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.read()?;
        Ok(Json(crate::patrols::list(&mut *txn, &sender, since, 500)?))
    })
    .await
}

/// `GET /api/v1/patrols/{id}`: one run, every result with its presence evidence.
#[utoipa::path(
    get,
    path = "/api/v1/patrols/{id}",
    tag = "patrols",
    summary = "One patrol run with its results.",
    params(("id" = String, Path, description = "Patrol run id (UUID)")),
    responses((status = 200, body = PatrolDetail), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn get_patrol(
    State(state): State<AppState>,
    Auth(sender): Auth,
    Path(id): Path<String>,
) -> Result<Json<PatrolDetail>, ApiError> {
    let id: PatrolRunId = id
        .parse()
        .map_err(|e: IdParseError| ApiError::bad_request("bad_id", e.to_string()))?;
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.read()?;
        Ok(Json(crate::patrols::detail(&mut *txn, &sender, id)?))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SheetQuery {
    /// The local day (YYYY-MM-DD, the site's zone).
    date: String,
    /// Only this route (its code).
    route: Option<String>,
    /// Only this inspector (user name).
    inspector: Option<String>,
    /// `pdf` (default) or `xlsx`.
    format: Option<String>,
}

/// `GET /api/v1/patrols/sheet`: the patrol record sheet (巡查记录表) of a day.
#[utoipa::path(
    get,
    path = "/api/v1/patrols/sheet",
    tag = "records",
    summary = "The patrol record sheet (巡查记录表) of one day, route or inspector: every result with its readings, times and presence evidence, the checkpoints skipped and the findings raised. A4 PDF or .xlsx. An inspector's sheet holds only their own runs.",
    params(SheetQuery),
    responses(
        (status = 200, description = "The sheet", content((Vec<u8> = "application/pdf"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        crate::openapi::Errors
    ),
    security(("bearer" = [])),
)]
async fn patrol_sheet(
    State(state): State<AppState>,
    Auth(sender): Auth,
    q: Result<Query<SheetQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(bad_query)?;
    crate::admin::require(&sender, shared::policy::Action::ReadSite)?;
    let date = crate::sheet::parse_date(&q.date).map_err(|e| ApiError::invalid(&e))?;
    let format = crate::sheet::Format::parse(q.format.as_deref())?;
    blocking(move || {
        let mut txn = state.store.read()?;
        let plan = crate::patrols::sender_plan(&mut *txn, &sender)?;
        let sheet = crate::sheet::load(
            &mut *txn,
            plan,
            date,
            q.route.as_deref(),
            q.inspector.as_deref(),
            &|run| crate::patrols::may_read(&sender, run),
        )?;
        drop(txn);
        let bytes = crate::sheet::file(&sheet, format, state.fonts())?;
        Ok(document(bytes, format, &crate::sheet::file_stem(&sheet)))
    })
    .await
}

/// A generated document as a download named `stem` plus its extension.
pub(crate) fn document(bytes: Vec<u8>, format: crate::sheet::Format, stem: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, format.mime().to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{stem}.{}\"", format.ext()),
            ),
        ],
        bytes,
    )
        .into_response()
}

/// `POST /api/v1/issues/{id}/events`: a workflow change made on the dashboard.
#[utoipa::path(
    post,
    path = "/api/v1/issues/{id}/events",
    tag = "issues",
    summary = "A workflow change made on the dashboard.",
    params(("id" = String, Path, description = "Issue id (UUID)")),
    request_body = shared::issue::EventBody,
    responses((status = 200, body = IssueDetail), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn post_event(
    State(state): State<AppState>,
    Auth(sender): Auth,
    Path(id): Path<String>,
    body: Result<Json<shared::issue::EventBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<IssueDetail>, ApiError> {
    let id: IssueId = id
        .parse()
        .map_err(|e: IdParseError| ApiError::bad_request("bad_id", e.to_string()))?;
    let Json(body) = body.map_err(|e| {
        ApiError::bad_request(
            "malformed",
            format!("the change is not a valid event: {}", e.body_text()),
        )
    })?;
    let store = state.store.clone();
    let blobs = state.blobs.clone();
    blocking(move || {
        let mut txn = store.begin()?;
        let view = crate::tracker::append_event(&mut *txn, &sender, id, body, Utc::now())
            .map_err(change_error)?;
        let detail = detail_in(&mut *txn, &*blobs, &view, sender.role)?;
        txn.commit()?;
        Ok(Json(detail))
    })
    .await
}

pub(crate) fn change_error(e: crate::tracker::ChangeError) -> ApiError {
    use crate::tracker::ChangeError;
    match e {
        ChangeError::NotFound => ApiError::not_found("issue"),
        ChangeError::Refused(r) => ApiError::new(StatusCode::FORBIDDEN, r.code, r.reason),
        ChangeError::Invalid(m) => ApiError::bad_request("not_here", m.en).zh(m.zh),
        ChangeError::Store(s) => ApiError::from(s),
    }
}

/// `POST /api/v1/complaints`: customer service enters a resident's complaint.
#[utoipa::path(
    post,
    path = "/api/v1/complaints",
    tag = "issues",
    summary = "Customer service enters a resident's complaint.",
    request_body = shared::app::ComplaintRequest,
    responses((status = 200, body = IssueDetail), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn post_complaint(
    State(state): State<AppState>,
    Auth(sender): Auth,
    body: Result<Json<shared::app::ComplaintRequest>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<IssueDetail>, ApiError> {
    let Json(req) = body.map_err(|e| {
        ApiError::bad_request(
            "malformed",
            format!("the complaint is not valid: {}", e.body_text()),
        )
    })?;
    let store = state.store.clone();
    let blobs = state.blobs.clone();
    blocking(move || {
        let mut txn = store.begin()?;
        let plan = crate::patrols::sender_plan(&mut *txn, &sender)?;
        let view = crate::tracker::raise_complaint(&mut *txn, &sender, &plan, &req, Utc::now())
            .map_err(|e| match e {
                crate::tracker::ChangeError::Invalid(m) => ApiError::invalid(&m),
                other => change_error(other),
            })?;
        let detail = detail_in(&mut *txn, &*blobs, &view, sender.role)?;
        txn.commit()?;
        Ok(Json(detail))
    })
    .await
}

/// `POST /api/v1/surveys`: a resident's satisfaction survey answer.
#[utoipa::path(
    post,
    path = "/api/v1/surveys",
    tag = "issues",
    summary = "Record a resident's satisfaction survey (NPS 0–10, service dimensions 1–5). Sent again with the same id, the stored answer comes back unchanged. A detractor (0–6) or a dimension scored 1–2 opens a follow-up complaint (二次处理), named in `follow_up`.",
    request_body = shared::survey::SurveyInput,
    responses((status = 200, body = shared::survey::Survey), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn post_survey(
    State(state): State<AppState>,
    Auth(sender): Auth,
    body: Result<Json<shared::survey::SurveyInput>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<shared::survey::Survey>, ApiError> {
    crate::admin::require(&sender, shared::policy::Action::RecordSurvey)?;
    let Json(input) = body.map_err(|e| {
        ApiError::bad_request(
            "malformed",
            format!("the survey is not valid: {}", e.body_text()),
        )
        .zh("调查记录格式不正确")
    })?;
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.begin()?;
        let plan = crate::patrols::sender_plan(&mut *txn, &sender)?;
        let survey = crate::surveys::record(&mut *txn, &sender, &plan, input, Utc::now())?;
        txn.commit()?;
        let mut shown = crate::surveys::shown(vec![survey], sender.role);
        Ok(Json(shown.remove(0)))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SurveyQuery {
    /// As for the analysis: `2026-11`, `2026-W45`, `2026-11-03` or `2026-11-01..2026-11-15`.
    period: String,
}

/// `GET /api/v1/surveys`: the site's survey answers taken in a period.
#[utoipa::path(
    get,
    path = "/api/v1/surveys",
    tag = "issues",
    summary = "The site's satisfaction survey answers taken in a period, oldest first (contacts masked for roles that do not call residents back).",
    params(SurveyQuery),
    responses((status = 200, body = Vec<shared::survey::Survey>), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn list_surveys(
    State(state): State<AppState>,
    Auth(sender): Auth,
    q: Result<Query<SurveyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<shared::survey::Survey>>, ApiError> {
    crate::admin::require(&sender, shared::policy::Action::ReadSite)?;
    let Query(q) = q.map_err(bad_query)?;
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.read()?;
        let site = crate::patrols::sender_site(&mut *txn, &sender)?;
        let p = shared::kpi::Period::parse(&q.period, site.deadlines.offset()).map_err(|e| {
            ApiError::invalid(&shared::text::Said::new(
                e.clone(),
                format!("期间不正确：{e}"),
            ))
        })?;
        let list = txn.surveys_between(site.id, p.from, p.to)?;
        Ok(Json(crate::surveys::shown(list, sender.role)))
    })
    .await
}

/// `GET /api/v1/root-causes`: the site's root-cause records.
#[utoipa::path(
    get,
    path = "/api/v1/root-causes",
    tag = "analysis",
    summary = "The site's root-cause records.",
    responses((status = 200, body = Vec<shared::repeat::RootCause>), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn list_root_causes(
    State(state): State<AppState>,
    Auth(sender): Auth,
) -> Result<Json<Vec<shared::repeat::RootCause>>, ApiError> {
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.read()?;
        let site = crate::patrols::sender_site(&mut *txn, &sender)?;
        Ok(Json(txn.root_causes(site.id)?))
    })
    .await
}

/// `POST /api/v1/root-causes`: add or edit a root-cause record (managers).
#[utoipa::path(
    post,
    path = "/api/v1/root-causes",
    tag = "analysis",
    summary = "Adds or edits a root-cause record.",
    request_body = shared::repeat::RootCauseInput,
    responses((status = 200, body = shared::repeat::RootCause), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn save_root_cause(
    State(state): State<AppState>,
    Auth(sender): Auth,
    body: Result<Json<shared::repeat::RootCauseInput>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<shared::repeat::RootCause>, ApiError> {
    let Json(input) = body.map_err(|e| {
        ApiError::bad_request(
            "malformed",
            format!("not a root-cause record: {}", e.body_text()),
        )
    })?;
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.begin()?;
        let plan = crate::patrols::sender_plan(&mut *txn, &sender)?;
        let r = crate::rootcause::save(&mut *txn, &sender, &plan, input, Utc::now())?;
        txn.commit()?;
        Ok(Json(r))
    })
    .await
}

/// `POST /api/v1/root-causes/{id}/actions/{n}`: a corrective action done
/// (its owner or a manager) or checked (a manager).
#[utoipa::path(
    post,
    path = "/api/v1/root-causes/{id}/actions/{n}",
    tag = "analysis",
    summary = "Marks a corrective action done or checked.",
    params(("id" = String, Path, description = "Record id (UUID)"), ("n" = u32, Path, description = "Action number")),
    request_body = shared::repeat::ActionUpdate,
    responses((status = 200, body = shared::repeat::RootCause), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn update_action(
    State(state): State<AppState>,
    Auth(sender): Auth,
    Path((id, n)): Path<(String, String)>,
    body: Result<Json<shared::repeat::ActionUpdate>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<shared::repeat::RootCause>, ApiError> {
    let id: uuid::Uuid = id
        .parse()
        .map_err(|_| ApiError::bad_request("bad_id", format!("`{id}` is not a record id")))?;
    let n: u32 = n
        .parse()
        .map_err(|_| ApiError::bad_request("bad_id", format!("`{n}` is not an action number")))?;
    let Json(update) = body.map_err(|e| {
        ApiError::bad_request(
            "malformed",
            format!("not an action update: {}", e.body_text()),
        )
    })?;
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.begin()?;
        let r = crate::rootcause::set_action(&mut *txn, &sender, id, n, update.status, Utc::now())?;
        txn.commit()?;
        Ok(Json(r))
    })
    .await
}

/// [`detail`] with receipt times from `txn` and upload states from `blobs`,
/// as `role` may see it (contacts masked for roles that do not call back).
fn detail_in(
    txn: &mut dyn crate::store::Txn,
    blobs: &dyn BlobStore,
    view: &shared::issue::IssueView,
    role: shared::Role,
) -> Result<IssueDetail, ApiError> {
    let receipts: std::collections::HashMap<uuid::Uuid, i64> = txn
        .receipts_of(&[view.id.into()])?
        .into_iter()
        .map(|r| (r.entry, r.received_at_ms))
        .collect();
    let uploaded = |h: &shared::issue::PhotoHash| crate::blobs::is_complete(blobs, h.as_str());
    let server_time = |e: EventId| {
        receipts
            .get(e.as_uuid())
            .and_then(|ms| DateTime::from_timestamp_millis(*ms))
    };
    let mut detail = IssueDetail::from_view(view, &server_time, &uploaded, Utc::now());
    let full = match view.complaint.is_some() && shared::policy::may_see_contacts(role) {
        true => txn.contact(view.id)?.map(|(c, _)| c),
        false => None,
    };
    detail.show_contact(role, full.as_deref());
    Ok(detail)
}

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    pub listen: SocketAddr,
    pub tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
}

/// Binds `opts.listen`, prints `listening on URL` once ready, and serves until `shutdown` resolves.
pub async fn serve(
    state: AppState,
    opts: ServeOptions,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use anyhow::Context;
    let listener = std::net::TcpListener::bind(opts.listen)
        .with_context(|| format!("cannot listen on {}", opts.listen))?;
    serve_on(listener, state, opts.tls, shutdown).await
}

/// Caching of the dashboard's files: the build names the JS and wasm by their
/// content (`app-<hash>.wasm`), so browsers keep them for a year; the page and
/// its loader are asked again each time, so a new build is seen at once.
async fn ui_caching(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let file = req
        .uri()
        .path()
        .rsplit('/')
        .next()
        .unwrap_or("")
        .to_string();
    let hashed = file.starts_with("app-") && (file.ends_with(".js") || file.ends_with(".wasm"));
    let mut resp = next.run(req).await;
    let value = if hashed && resp.status().is_success() {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static(value),
    );
    resp
}

/// Serves on an already bound listener (tests bind 127.0.0.1:0 themselves).
///
/// Every connection must send its headers within [`shared::limits::HEADER_SECS`]
/// and finish a request within [`shared::limits::REQUEST_SECS`]; past
/// [`shared::limits::CONNECTIONS`] open connections a new one is closed at
/// once, so slow or idle clients cannot hold every socket.
pub async fn serve_on(
    listener: std::net::TcpListener,
    state: AppState,
    tls: Option<(std::path::PathBuf, std::path::PathBuf)>,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    use anyhow::Context;
    use std::io::Write;
    let router = hardened(app(state)).layer(tower_http::trace::TraceLayer::new_for_http());
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let handle = axum_server::Handle::new();
    let h = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        h.graceful_shutdown(Some(std::time::Duration::from_secs(5)));
    });
    let slots = Arc::new(tokio::sync::Semaphore::new(shared::limits::CONNECTIONS));
    let make = router.into_make_service_with_connect_info::<SocketAddr>();
    match tls {
        None => {
            let mut server = axum_server::from_tcp(listener).acceptor(crate::net::Limited::new(
                axum_server::accept::DefaultAcceptor::new(),
                slots,
            ));
            crate::net::configure(server.http_builder());
            println!("listening on http://{addr}");
            std::io::stdout().flush().ok();
            server.handle(handle).serve(make).await?;
        }
        Some((cert, key)) => {
            let _ = rustls::crypto::ring::default_provider().install_default();
            let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(&cert, &key)
                .await
                .with_context(|| {
                    format!(
                        "cannot load TLS certificate {} / key {}",
                        cert.display(),
                        key.display()
                    )
                })?;
            let mut server = axum_server::from_tcp(listener).acceptor(crate::net::Limited::new(
                axum_server::tls_rustls::RustlsAcceptor::new(config),
                slots,
            ));
            crate::net::configure(server.http_builder());
            println!("listening on https://{addr}");
            std::io::stdout().flush().ok();
            server.handle(handle).serve(make).await?;
        }
    }
    Ok(())
}

/// The router with the limits and headers every response gets: a request
/// deadline, and headers that keep the dashboard out of other sites' frames
/// and limit what its pages may load.
pub fn hardened(router: Router) -> Router {
    use axum::http::HeaderValue;
    use tower_http::set_header::SetResponseHeaderLayer;
    let csp = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
    router
        .layer(tower_http::timeout::TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            std::time::Duration::from_secs(shared::limits::REQUEST_SECS),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(csp),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
}
