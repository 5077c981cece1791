//! The one place that talks to the backend. Two transports behind one
//! interface: Tauri `invoke` inside the app (commands forwarding to the device
//! core) and HTTP against the sync server on the web dashboard.

use serde::Serialize;
use serde::de::DeserializeOwned;
use shared::app::*;
use shared::ids::{IssueId, PatrolRunId};
use shared::issue::{EventBody, PhotoRef};
use shared::plan::{ChecklistTemplate, SitePlan};
use shared::repeat::{RootCause, RootCauseInput};
use shared::schedule::{Coverage, Schedule};
use shared::wire::{
    DrawRequest, ImportRefusal, ImportReport, IssueDetail, IssueSummary, LoginResponse,
    NewUserRequest, Notification, PatrolDetail, PatrolSummary, Reordered, Replay, ScheduleSpec,
};
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// An error as every backend reports it: a stable code and a sentence.
#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
pub struct UiError {
    pub code: String,
    pub message: String,
    /// The sentence in Chinese, where the backend has one.
    #[serde(default)]
    pub message_zh: String,
    /// The bad rows of a refused import.
    #[serde(default)]
    pub rows: Vec<shared::wire::LineError>,
}

impl UiError {
    fn new(code: &str, message: impl Into<String>) -> UiError {
        UiError {
            code: code.into(),
            message: message.into(),
            message_zh: String::new(),
            rows: Vec::new(),
        }
    }
    /// What the error means for the person, in their language.
    pub fn text(&self, lang: crate::i18n::Lang) -> String {
        crate::i18n::error_text(lang, &self.code, &self.message, &self.message_zh)
    }
    fn js(e: JsValue) -> UiError {
        if let Some(err) = from_js::<UiError>(&e) {
            return err;
        }
        let message = e
            .as_string()
            .or_else(|| {
                e.dyn_ref::<js_sys::Error>()
                    .map(|e| String::from(e.message()))
            })
            .unwrap_or_else(|| format!("{e:?}"));
        UiError::new("unavailable", message)
    }
}

impl std::fmt::Display for UiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

pub type Res<T> = Result<T, UiError>;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = ["window", "__TAURI__", "core"], js_name = invoke, catch)]
    async fn tauri_invoke(cmd: &str, args: JsValue) -> Result<JsValue, JsValue>;
}

/// Which transport this page uses.
#[derive(Debug, Clone, PartialEq)]
pub enum Backend {
    /// Inside the Tauri shell: the device core, offline first.
    Tauri,
    /// The web dashboard: the sync server that served the page.
    Http { origin: String },
}

const TOKEN_KEY: &str = "patrol.token";
const ACTOR_KEY: &str = "patrol.actor";
/// Server time (ms) of the newest notification this browser has shown.
const SEEN_KEY: &str = "patrol.notifications_seen";

fn seen_ms() -> i64 {
    stored(SEEN_KEY).and_then(|v| v.parse().ok()).unwrap_or(0)
}

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok()?
}

fn stored(key: &str) -> Option<String> {
    storage()?.get_item(key).ok()?
}

fn store(key: &str, value: Option<&str>) {
    if let Some(s) = storage() {
        let _ = match value {
            Some(v) => s.set_item(key, v),
            None => s.remove_item(key),
        };
    }
}

/// `&by=…` for an analysis request, or nothing for no breakdown.
fn by_param(by: &str) -> String {
    if by.is_empty() {
        String::new()
    } else {
        format!("&by={}", shared::app::url_escape(by))
    }
}

/// A value for the Tauri bridge, through JSON: one serde backend (serde_json)
/// serves HTTP and Tauri alike, which keeps the wasm small.
fn to_js<T: Serialize>(v: &T) -> JsValue {
    serde_json::to_string(v)
        .ok()
        .and_then(|s| js_sys::JSON::parse(&s).ok())
        .unwrap_or(JsValue::NULL)
}

/// A reply body as text. Every JSON reply is read with `serde_json::from_str`
/// only: each reader (`from_slice`, `from_str`) is compiled once per reply
/// type, so one reader instead of two keeps hundreds of kilobytes out of the wasm.
fn utf8(buf: &JsValue) -> Res<String> {
    String::from_utf8(js_sys::Uint8Array::new(buf).to_vec())
        .map_err(|_| UiError::new("bad_reply", "the reply is not UTF-8 text"))
}

/// A value from the Tauri bridge, through JSON (see [`to_js`]).
fn from_js<T: DeserializeOwned>(v: &JsValue) -> Option<T> {
    let text = js_sys::JSON::stringify(v).ok()?.as_string()?;
    serde_json::from_str(&text).ok()
}

impl Backend {
    /// The Tauri shell when the page runs inside it, else HTTP to the page's origin.
    pub fn detect() -> Backend {
        let window = web_sys::window().expect("a browser window");
        let tauri = js_sys::Reflect::has(&window, &JsValue::from_str("__TAURI__")).unwrap_or(false);
        if tauri {
            Backend::Tauri
        } else {
            Backend::Http {
                origin: window.location().origin().unwrap_or_default(),
            }
        }
    }

    pub fn is_app(&self) -> bool {
        matches!(self, Backend::Tauri)
    }

    async fn invoke<T: DeserializeOwned>(&self, cmd: &str, args: JsValue) -> Res<T> {
        let v = tauri_invoke(cmd, args).await.map_err(UiError::js)?;
        // A command that returns nothing answers `undefined`, which JSON reads as null.
        let text: String = js_sys::JSON::stringify(&v)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_else(|| "null".into());
        serde_json::from_str(&text).map_err(|e| UiError::new("bad_reply", e.to_string()))
    }

    async fn http<T: DeserializeOwned>(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
    ) -> Res<T> {
        let buf = self.http_raw(method, path, body).await?;
        let text = utf8(&buf)?;
        serde_json::from_str(&text).map_err(|e| UiError::new("bad_reply", e.to_string()))
    }

    /// A request to the sync server; returns the body as an ArrayBuffer.
    async fn http_raw(&self, method: &str, path: &str, body: Option<String>) -> Res<JsValue> {
        let Backend::Http { origin } = self else {
            return Err(UiError::new("unavailable", "not on the dashboard"));
        };
        let init = web_sys::RequestInit::new();
        init.set_method(method);
        let headers = web_sys::Headers::new().map_err(UiError::js)?;
        if let Some(token) = stored(TOKEN_KEY) {
            headers
                .set("authorization", &format!("Bearer {token}"))
                .map_err(UiError::js)?;
        }
        if let Some(b) = body {
            headers
                .set("content-type", "application/json")
                .map_err(UiError::js)?;
            init.set_body(&JsValue::from_str(&b));
        }
        init.set_headers(&headers);
        let req = web_sys::Request::new_with_str_and_init(&format!("{origin}{path}"), &init)
            .map_err(UiError::js)?;
        let window = web_sys::window().expect("window");
        let resp: web_sys::Response = JsFuture::from(window.fetch_with_request(&req))
            .await
            .map_err(|_| UiError::new("offline", "the server cannot be reached"))?
            .dyn_into()
            .map_err(UiError::js)?;
        let buf = JsFuture::from(resp.array_buffer().map_err(UiError::js)?)
            .await
            .map_err(UiError::js)?;
        if !resp.ok() {
            if resp.status() == 401 {
                store(TOKEN_KEY, None);
            }
            return Err(utf8(&buf)
                .ok()
                .and_then(|text| serde_json::from_str::<UiError>(&text).ok())
                .unwrap_or_else(|| {
                    UiError::new("http", format!("the server answered {}", resp.status()))
                }));
        }
        Ok(buf)
    }

    fn app_only<T>(&self) -> Res<T> {
        Err(UiError::new(
            "app_only",
            "patrols, photos and offline work happen in the app on a tablet or phone",
        ))
    }

    // ------------------------------------------------------------ session

    pub async fn session(&self) -> Res<Option<SessionInfo>> {
        match self {
            Backend::Tauri => self.invoke("session", JsValue::UNDEFINED).await,
            Backend::Http { origin } => {
                if stored(TOKEN_KEY).is_none() {
                    return Ok(None);
                }
                match self
                    .http::<shared::wire::Me>("GET", "/api/v1/me", None)
                    .await
                {
                    Ok(me) => Ok(Some(SessionInfo {
                        user: me.user,
                        site: me.site,
                        server: origin.clone(),
                        sites: me.sites,
                    })),
                    Err(e) if e.code == "unauthorized" => Ok(None),
                    Err(e) => Err(e),
                }
            }
        }
    }

    /// Logs in. `site` (a site code, or empty for the home site) is where a
    /// device works, for a user with roles at several; the dashboard switches
    /// sites after logging in instead.
    pub async fn login(
        &self,
        server: &str,
        user: &str,
        password: &str,
        site: &str,
    ) -> Res<SessionInfo> {
        match self {
            Backend::Tauri => {
                #[derive(Serialize)]
                struct Args<'a> {
                    server: &'a str,
                    user: &'a str,
                    password: &'a str,
                    site: Option<&'a str>,
                }
                self.invoke(
                    "login",
                    to_js(&Args {
                        server,
                        user,
                        password,
                        site: Some(site.trim()).filter(|s| !s.is_empty()),
                    }),
                )
                .await
            }
            Backend::Http { origin } => {
                // One actor per person in this browser: the server binds an actor to the
                // first account that uses it.
                let key = format!("{ACTOR_KEY}.{}", user.trim().to_lowercase());
                let actor = stored(&key).unwrap_or_else(|| {
                    let a: String = (0..32)
                        .map(|_| {
                            let d = (js_sys::Math::random() * 16.0) as u32;
                            char::from_digit(d.min(15), 16).expect("hex digit")
                        })
                        .collect();
                    store(&key, Some(&a));
                    a
                });
                let body = serde_json::json!({
                    "user": user, "password": password, "actor": actor, "device_name": "web dashboard"
                });
                let resp: LoginResponse = self
                    .http("POST", "/api/v1/login", Some(body.to_string()))
                    .await?;
                store(TOKEN_KEY, Some(&resp.token));
                Ok(SessionInfo {
                    user: resp.user,
                    site: resp.site,
                    server: origin.clone(),
                    sites: resp.sites,
                })
            }
        }
    }

    /// Works at another of the person's sites with the same login (the
    /// dashboard's site switch); a device works at the one site it signed in at.
    pub async fn choose_site(&self, code: &str) -> Res<SessionInfo> {
        match self {
            Backend::Tauri => self.dashboard_only(),
            Backend::Http { origin } => {
                let body = serde_json::json!({ "site": code });
                let me: shared::wire::Me = self
                    .http("POST", "/api/v1/site", Some(body.to_string()))
                    .await?;
                Ok(SessionInfo {
                    user: me.user,
                    site: me.site,
                    server: origin.clone(),
                    sites: me.sites,
                })
            }
        }
    }

    pub async fn logout(&self) -> Res<()> {
        match self {
            Backend::Tauri => self.invoke("logout", JsValue::UNDEFINED).await,
            Backend::Http { .. } => {
                // The server revokes the token; offline, it is at least forgotten here.
                let revoked = self.http_raw("POST", "/api/v1/logout", None).await;
                store(TOKEN_KEY, None);
                match revoked {
                    Err(e) if e.code != "offline" && e.code != "unauthorized" => Err(e),
                    _ => Ok(()),
                }
            }
        }
    }

    /// The status bar. On the dashboard everything is already on the server.
    pub async fn status(&self) -> Res<SyncStatus> {
        match self {
            Backend::Tauri => self.invoke("status", JsValue::UNDEFINED).await,
            Backend::Http { .. } => {
                let online = self
                    .http::<serde_json::Value>("GET", "/api/v1/health", None)
                    .await
                    .is_ok();
                let seen = seen_ms();
                let unseen = if online {
                    self.http::<Vec<Notification>>(
                        "GET",
                        &format!("/api/v1/notifications?after={seen}"),
                        None,
                    )
                    .await
                    .map(|l| l.len() as u32)
                    .unwrap_or(0)
                } else {
                    0
                };
                Ok(SyncStatus {
                    online: Some(online),
                    last_sync: online.then(crate::i18n::now),
                    unseen_notifications: unseen,
                    ..Default::default()
                })
            }
        }
    }

    pub async fn sync(&self) -> Res<SyncStatus> {
        match self {
            Backend::Tauri => self.invoke("sync", JsValue::UNDEFINED).await,
            Backend::Http { .. } => self.status().await,
        }
    }

    pub async fn plan(&self) -> Res<SitePlan> {
        match self {
            Backend::Tauri => self.invoke("plan", JsValue::UNDEFINED).await,
            Backend::Http { .. } => self.http("GET", "/api/v1/plan", None).await,
        }
    }

    // ------------------------------------------------------------ patrols (app)

    pub async fn tasks(&self) -> Res<Vec<RouteTask>> {
        match self {
            Backend::Tauri => self.invoke("tasks", JsValue::UNDEFINED).await,
            Backend::Http { .. } => self.app_only(),
        }
    }

    pub async fn patrol_start(&self, route: &str) -> Res<()> {
        match self {
            Backend::Tauri => {
                self.invoke(
                    "patrol_start",
                    to_js(&serde_json::json!({ "route": route })),
                )
                .await
            }
            Backend::Http { .. } => self.app_only(),
        }
    }

    pub async fn patrol_finish(&self) -> Res<()> {
        match self {
            Backend::Tauri => self.invoke("patrol_finish", JsValue::UNDEFINED).await,
            Backend::Http { .. } => self.app_only(),
        }
    }

    /// Confirms arrival at `checkpoint` with the entered point code; gives its checklist.
    pub async fn arrive(&self, checkpoint: &str, code: &str) -> Res<ChecklistTemplate> {
        match self {
            Backend::Tauri => {
                self.invoke(
                    "arrive",
                    to_js(&serde_json::json!({ "checkpoint": checkpoint, "code": code })),
                )
                .await
            }
            Backend::Http { .. } => self.app_only(),
        }
    }

    pub async fn check(&self, input: &CheckInput) -> Res<CheckResult> {
        match self {
            Backend::Tauri => {
                self.invoke("check", to_js(&serde_json::json!({ "input": input })))
                    .await
            }
            Backend::Http { .. } => self.app_only(),
        }
    }

    pub async fn add_photo(&self, photo: &PhotoUpload) -> Res<PhotoRef> {
        match self {
            Backend::Tauri => {
                self.invoke("add_photo", to_js(&serde_json::json!({ "photo": photo })))
                    .await
            }
            Backend::Http { .. } => self.app_only(),
        }
    }

    pub async fn raise(&self, req: &RaiseRequest) -> Res<IssueId> {
        match self {
            Backend::Tauri => {
                self.invoke("raise", to_js(&serde_json::json!({ "req": req })))
                    .await
            }
            Backend::Http { .. } => self.app_only(),
        }
    }

    // ------------------------------------------------------------ issues

    /// Enters a resident's complaint; returns its id.
    pub async fn complaint(&self, req: &ComplaintRequest) -> Res<IssueId> {
        match self {
            Backend::Tauri => {
                self.invoke("complaint", to_js(&serde_json::json!({ "req": req })))
                    .await
            }
            Backend::Http { .. } => {
                let body = serde_json::to_string(req).expect("complaint serializes");
                let d: IssueDetail = self.http("POST", "/api/v1/complaints", Some(body)).await?;
                Ok(d.summary.id)
            }
        }
    }

    /// Records a resident's survey answer: on the dashboard at once (the
    /// follow-up case it opened, if any); in the app on the device, sent at
    /// the next sync (no follow-up known yet).
    pub async fn record_survey(&self, input: &shared::survey::SurveyInput) -> Res<Option<IssueId>> {
        match self {
            Backend::Tauri => {
                self.invoke::<()>("survey", to_js(&serde_json::json!({ "input": input })))
                    .await?;
                Ok(None)
            }
            Backend::Http { .. } => {
                let body = serde_json::to_string(input).expect("survey serializes");
                let s: shared::survey::Survey =
                    self.http("POST", "/api/v1/surveys", Some(body)).await?;
                Ok(s.follow_up)
            }
        }
    }

    /// Survey answers: on the dashboard the site's taken in `period`; in the
    /// app those recorded on this device.
    pub async fn surveys(&self, period: &str) -> Res<Vec<shared::survey::SurveyEntry>> {
        match self {
            Backend::Tauri => self.invoke("surveys", JsValue::NULL).await,
            Backend::Http { .. } => {
                let list: Vec<shared::survey::Survey> = self
                    .http(
                        "GET",
                        &format!("/api/v1/surveys?period={}", enc(period)),
                        None,
                    )
                    .await?;
                Ok(list.into_iter().rev().map(Into::into).collect())
            }
        }
    }

    pub async fn issues(&self, filter: &IssueFilter) -> Res<Vec<IssueSummary>> {
        match self {
            Backend::Tauri => {
                self.invoke("issues", to_js(&serde_json::json!({ "filter": filter })))
                    .await
            }
            Backend::Http { .. } => {
                let q = filter.query();
                let list: Vec<IssueSummary> = self
                    .http("GET", &format!("/api/v1/issues?{q}"), None)
                    .await?;
                Ok(list.into_iter().filter(|s| filter.matches(s)).collect())
            }
        }
    }

    pub async fn issue(&self, id: IssueId) -> Res<IssueDetail> {
        match self {
            Backend::Tauri => {
                self.invoke("issue", to_js(&serde_json::json!({ "id": id })))
                    .await
            }
            Backend::Http { .. } => {
                self.http("GET", &format!("/api/v1/issues/{id}"), None)
                    .await
            }
        }
    }

    pub async fn event(&self, id: IssueId, body: &EventBody) -> Res<IssueDetail> {
        match self {
            Backend::Tauri => {
                self.invoke(
                    "event",
                    to_js(&serde_json::json!({ "id": id, "body": body })),
                )
                .await
            }
            Backend::Http { .. } => {
                let json = serde_json::to_string(body).expect("event serializes");
                self.http("POST", &format!("/api/v1/issues/{id}/events"), Some(json))
                    .await
            }
        }
    }

    /// Reminders and escalations, newest first; opening them marks them seen.
    pub async fn notifications(&self) -> Res<Vec<NotificationItem>> {
        match self {
            Backend::Tauri => self.invoke("notifications", JsValue::UNDEFINED).await,
            Backend::Http { .. } => {
                let list: Vec<Notification> =
                    self.http("GET", "/api/v1/notifications", None).await?;
                let seen = seen_ms();
                if let Some(newest) = list.iter().map(|n| n.created_at.timestamp_millis()).max() {
                    store(SEEN_KEY, Some(&newest.max(seen).to_string()));
                }
                Ok(list
                    .into_iter()
                    .map(|n| NotificationItem {
                        seen: n.created_at.timestamp_millis() <= seen,
                        notification: n,
                    })
                    .collect())
            }
        }
    }

    // ------------------------------------------------------------ dashboard

    fn dashboard_only<T>(&self) -> Res<T> {
        Err(UiError::new(
            "dashboard_only",
            "site plans, patrol reviews and reports are on the web dashboard",
        ))
    }

    /// A text resource of the sync server (CSV files, SVG label pages).
    async fn http_text(&self, path: &str) -> Res<String> {
        let buf = self.http_raw("GET", path, None).await?;
        String::from_utf8(js_sys::Uint8Array::new(&buf).to_vec())
            .map_err(|e| UiError::new("bad_reply", e.to_string()))
    }

    /// Imports checklist and checkpoint CSV files; bad rows come back in the error.
    pub async fn import_plan(
        &self,
        checklists: Option<String>,
        checkpoints: Option<String>,
        sla: Option<String>,
    ) -> Res<Result<ImportReport, ImportRefusal>> {
        if self.is_app() {
            return self.dashboard_only();
        }
        let body =
            serde_json::json!({ "checklists": checklists, "checkpoints": checkpoints, "sla": sla });
        refused_rows(
            self.http::<ImportReport>("POST", "/api/v1/admin/import", Some(body.to_string()))
                .await,
        )
    }

    /// `checkpoints.csv` or `checklists.csv` as exported.
    pub async fn export_csv(&self, file: &str) -> Res<String> {
        if self.is_app() {
            return self.dashboard_only();
        }
        self.http_text(&format!("/api/v1/admin/export/{file}"))
            .await
    }

    /// Page `page` of the QR label sheet, as SVG.
    /// One page of QR labels; `codes`: only these point codes.
    pub async fn qr_page(&self, page: usize, codes: Option<&[String]>) -> Res<String> {
        if self.is_app() {
            return self.dashboard_only();
        }
        let only = codes
            .map(|c| format!("&codes={}", shared::app::url_escape(&c.join(","))))
            .unwrap_or_default();
        self.http_text(&format!("/api/v1/admin/qr-sheet.svg?page={page}{only}"))
            .await
    }

    /// Reorders a route for a short walk.
    pub async fn order_route(&self, route: &str) -> Res<Reordered> {
        if self.is_app() {
            return self.dashboard_only();
        }
        self.http(
            "POST",
            &format!("/api/v1/admin/routes/{route}/order"),
            Some("{}".into()),
        )
        .await
    }

    pub async fn put_schedule(&self, spec: &ScheduleSpec) -> Res<Schedule> {
        if self.is_app() {
            return self.dashboard_only();
        }
        let body = serde_json::to_string(spec).expect("spec serializes");
        self.http("POST", "/api/v1/admin/schedules", Some(body))
            .await
    }

    pub async fn remove_schedule(&self, code: &str) -> Res<()> {
        if self.is_app() {
            return self.dashboard_only();
        }
        self.http_raw("DELETE", &format!("/api/v1/admin/schedules/{code}"), None)
            .await
            .map(|_| ())
    }

    /// Coverage of the local days `from..=to` (`YYYY-MM-DD`).
    pub async fn coverage(&self, from: &str, to: &str) -> Res<Coverage> {
        if self.is_app() {
            return self.dashboard_only();
        }
        self.http(
            "GET",
            &format!("/api/v1/coverage?from={from}&to={to}"),
            None,
        )
        .await
    }

    /// The site's KPIs for `period` (`2026-11`), broken down `by` (empty: not).
    /// The issues behind a figure (`query`: see `shared::kpi::drill_query`).
    pub async fn analytics_issues(&self, query: &str) -> Res<Vec<IssueSummary>> {
        if self.is_app() {
            return self
                .invoke(
                    "analytics_issues",
                    to_js(&serde_json::json!({ "query": query })),
                )
                .await;
        }
        self.http("GET", &format!("/api/v1/analytics/issues?{query}"), None)
            .await
    }

    /// One table of the analysis as a file (`format`: `xlsx` or `csv`), as an ArrayBuffer.
    pub async fn analytics_file(
        &self,
        period: &str,
        by: &str,
        table: &str,
        format: &str,
    ) -> Res<JsValue> {
        if self.is_app() {
            return self.dashboard_only();
        }
        let by = by_param(by);
        self.http_raw(
            "GET",
            &format!(
                "/api/v1/analytics/export?period={}{by}&table={table}&format={format}",
                shared::app::url_escape(period)
            ),
            None,
        )
        .await
    }

    /// The site's analysis: on the dashboard from the server that served it;
    /// in the app read-only, asked of the server online.
    pub async fn analytics(&self, period: &str, by: &str) -> Res<shared::kpi::Report> {
        if self.is_app() {
            let by = Some(by).filter(|b| !b.is_empty());
            return self
                .invoke(
                    "analytics",
                    to_js(&serde_json::json!({ "period": period, "by": by })),
                )
                .await;
        }
        let by = by_param(by);
        self.http(
            "GET",
            &format!(
                "/api/v1/analytics/kpis?period={}{by}",
                shared::app::url_escape(period)
            ),
            None,
        )
        .await
    }

    /// The league table of the person's sites for `period` (the group view).
    pub async fn analytics_sites(&self, period: &str) -> Res<Vec<shared::kpi::Row>> {
        if self.is_app() {
            return self.dashboard_only();
        }
        self.http(
            "GET",
            &format!(
                "/api/v1/analytics/sites?period={}",
                shared::app::url_escape(period)
            ),
            None,
        )
        .await
    }

    /// An issue's rectification notice (整改通知单) as a PDF, as an ArrayBuffer.
    pub async fn notice_pdf(&self, id: IssueId) -> Res<JsValue> {
        if self.is_app() {
            return self.dashboard_only();
        }
        self.http_raw("GET", &format!("/api/v1/issues/{id}/notice.pdf"), None)
            .await
    }

    /// The site's ledger entries received on local days `from..=to` as a file
    /// (`format`: `xlsx` or `csv`), as an ArrayBuffer.
    pub async fn ledger_file(&self, from: &str, to: &str, format: &str) -> Res<JsValue> {
        if self.is_app() {
            return self.dashboard_only();
        }
        self.http_raw(
            "GET",
            &format!("/api/v1/ledger?from={from}&to={to}&format={format}"),
            None,
        )
        .await
    }

    /// The patrol record sheet of local day `date` (`route`, `inspector`:
    /// empty for all) as a file (`format`: `pdf` or `xlsx`), as an ArrayBuffer.
    pub async fn patrol_sheet(
        &self,
        date: &str,
        route: &str,
        inspector: &str,
        format: &str,
    ) -> Res<JsValue> {
        if self.is_app() {
            return self.dashboard_only();
        }
        let mut path = format!("/api/v1/patrols/sheet?date={}&format={format}", enc(date));
        if !route.is_empty() {
            path += &format!("&route={}", enc(route));
        }
        if !inspector.is_empty() {
            path += &format!("&inspector={}", enc(inspector));
        }
        self.http_raw("GET", &path, None).await
    }

    /// The site's stored monthly quality reports, newest first.
    pub async fn reports(&self) -> Res<Vec<shared::wire::MonthlyReportInfo>> {
        if self.is_app() {
            return self.dashboard_only();
        }
        self.http("GET", "/api/v1/reports", None).await
    }

    /// Month `period`'s quality report (`format`: `pdf` or `xlsx`), as an ArrayBuffer.
    pub async fn monthly_report(&self, period: &str, format: &str) -> Res<JsValue> {
        if self.is_app() {
            return self.dashboard_only();
        }
        self.http_raw(
            "GET",
            &format!(
                "/api/v1/reports/monthly?period={}&format={format}",
                enc(period)
            ),
            None,
        )
        .await
    }

    /// The site's equipment register with today's standings and compliance.
    pub async fn equipment(&self) -> Res<shared::equipment::Register> {
        if self.is_app() {
            return self.dashboard_only();
        }
        self.http("GET", "/api/v1/equipment", None).await
    }

    /// The register as `equipment.csv`.
    pub async fn equipment_csv(&self) -> Res<String> {
        if self.is_app() {
            return self.dashboard_only();
        }
        self.http_text("/api/v1/equipment?format=csv").await
    }

    /// Imports `equipment.csv`; bad rows come back in the error.
    pub async fn import_equipment(
        &self,
        csv: String,
    ) -> Res<Result<shared::equipment::EquipmentImport, ImportRefusal>> {
        if self.is_app() {
            return self.dashboard_only();
        }
        let body = serde_json::json!({ "csv": csv });
        refused_rows(
            self.http("POST", "/api/v1/equipment/import", Some(body.to_string()))
                .await,
        )
    }

    /// Adds or changes a piece of equipment.
    pub async fn put_equipment(
        &self,
        e: &shared::equipment::Equipment,
    ) -> Res<shared::equipment::Equipment> {
        if self.is_app() {
            return self.dashboard_only();
        }
        let body = serde_json::to_string(e).expect("equipment serializes");
        self.http(
            "PUT",
            &format!("/api/v1/equipment/{}", enc(e.code.as_str())),
            Some(body),
        )
        .await
    }

    /// Records a maintenance done on `date` (`YYYY-MM-DD`).
    pub async fn equipment_maintained(
        &self,
        code: &str,
        date: &str,
    ) -> Res<shared::equipment::Equipment> {
        if self.is_app() {
            return self.dashboard_only();
        }
        let body = serde_json::json!({ "date": date });
        self.http(
            "POST",
            &format!("/api/v1/equipment/{}/maintenance", enc(code)),
            Some(body.to_string()),
        )
        .await
    }

    /// Uploads an inspection certificate valid through `due` (`YYYY-MM-DD`).
    pub async fn certify_equipment(
        &self,
        code: &str,
        file: PhotoUpload,
        due: &str,
    ) -> Res<shared::equipment::Equipment> {
        if self.is_app() {
            return self.dashboard_only();
        }
        let body = serde_json::json!({
            "file_name": file.name,
            "base64": file.base64,
            "inspection_due": due,
        });
        self.http(
            "POST",
            &format!("/api/v1/equipment/{}/certificate", enc(code)),
            Some(body.to_string()),
        )
        .await
    }

    /// The equipment's certificate file, as an ArrayBuffer.
    pub async fn equipment_certificate(&self, code: &str) -> Res<JsValue> {
        if self.is_app() {
            return self.dashboard_only();
        }
        self.http_raw(
            "GET",
            &format!("/api/v1/equipment/{}/certificate", enc(code)),
            None,
        )
        .await
    }

    /// The site's ledger hash chain, recomputed by the server.
    pub async fn ledger_verify(&self) -> Res<shared::wire::LedgerVerification> {
        if self.is_app() {
            return self.dashboard_only();
        }
        self.http("GET", "/api/v1/ledger/verify", None).await
    }

    pub async fn draw(&self, req: &DrawRequest) -> Res<Replay> {
        if self.is_app() {
            return self.dashboard_only();
        }
        let body = serde_json::to_string(req).expect("request serializes");
        self.http("POST", "/api/v1/spot-checks", Some(body)).await
    }

    /// Changes the site's settings and complaint service levels (admins).
    pub async fn site_settings(
        &self,
        settings: &shared::wire::SiteSettings,
    ) -> Res<shared::plan::Site> {
        if self.is_app() {
            return self.dashboard_only();
        }
        let body = serde_json::to_string(settings).expect("settings serialize");
        self.http("PUT", "/api/v1/admin/settings", Some(body)).await
    }

    pub async fn launch_patrol(
        &self,
        req: &shared::wire::AdHocRequest,
    ) -> Res<shared::schedule::AdHocPatrol> {
        if self.is_app() {
            return self.dashboard_only();
        }
        let body = serde_json::to_string(req).expect("request serializes");
        self.http("POST", "/api/v1/adhoc-patrols", Some(body)).await
    }

    pub async fn replay(&self, code: &str) -> Res<Replay> {
        if self.is_app() {
            return self.dashboard_only();
        }
        self.http("GET", &format!("/api/v1/spot-checks/{code}/replay"), None)
            .await
    }

    pub async fn add_user(&self, req: &NewUserRequest) -> Res<shared::plan::UserInfo> {
        if self.is_app() {
            return self.dashboard_only();
        }
        let body = serde_json::to_string(req).expect("user serializes");
        self.http("POST", "/api/v1/admin/users", Some(body)).await
    }

    pub async fn disable_user(&self, name: &str) -> Res<()> {
        if self.is_app() {
            return self.dashboard_only();
        }
        self.http_raw(
            "POST",
            &format!("/api/v1/admin/users/{name}/disable"),
            Some("{}".into()),
        )
        .await
        .map(|_| ())
    }

    pub async fn enable_user(&self, name: &str) -> Res<()> {
        if self.is_app() {
            return self.dashboard_only();
        }
        self.http_raw(
            "POST",
            &format!("/api/v1/admin/users/{name}/enable"),
            Some("{}".into()),
        )
        .await
        .map(|_| ())
    }

    pub async fn root_causes(&self) -> Res<Vec<RootCause>> {
        if self.is_app() {
            return self.dashboard_only();
        }
        self.http("GET", "/api/v1/root-causes", None).await
    }

    pub async fn save_root_cause(&self, input: &RootCauseInput) -> Res<RootCause> {
        if self.is_app() {
            return self.dashboard_only();
        }
        let body = serde_json::to_string(input).expect("record serializes");
        self.http("POST", "/api/v1/root-causes", Some(body)).await
    }

    /// Marks corrective action `n` of record `id` done or checked.
    pub async fn root_cause_action(
        &self,
        id: uuid::Uuid,
        n: u32,
        status: shared::repeat::ActionStatus,
    ) -> Res<RootCause> {
        if self.is_app() {
            return self.dashboard_only();
        }
        let body = serde_json::to_string(&shared::repeat::ActionUpdate { status })
            .expect("update serializes");
        self.http(
            "POST",
            &format!("/api/v1/root-causes/{id}/actions/{n}"),
            Some(body),
        )
        .await
    }

    pub async fn patrols(&self, days: u32) -> Res<Vec<PatrolSummary>> {
        if self.is_app() {
            return self.dashboard_only();
        }
        self.http("GET", &format!("/api/v1/patrols?days={days}"), None)
            .await
    }

    pub async fn patrol(&self, id: PatrolRunId) -> Res<PatrolDetail> {
        if self.is_app() {
            return self.dashboard_only();
        }
        self.http("GET", &format!("/api/v1/patrols/{id}"), None)
            .await
    }

    /// An `img` source for a photo file, with the evidence caption when `stamp`.
    /// `issue`: the issue the photo is shown on, whose time and place the
    /// caption gives (one photo may be on two issues).
    pub async fn photo_src(&self, hash: &str, stamp: bool, issue: Option<IssueId>) -> Res<String> {
        match self {
            Backend::Tauri => {
                let b64: String = self
                    .invoke(
                        "photo",
                        to_js(&serde_json::json!({ "hash": hash, "stamp": stamp, "issue": issue })),
                    )
                    .await?;
                Ok(format!("data:image/jpeg;base64,{b64}"))
            }
            Backend::Http { .. } => {
                let path = match (stamp, issue) {
                    (true, Some(i)) => format!("/api/v1/photos/{hash}?stamp=1&issue={i}"),
                    (true, None) => format!("/api/v1/photos/{hash}?stamp=1"),
                    (false, _) => format!("/api/v1/photos/{hash}"),
                };
                let buf = self.http_raw("GET", &path, None).await?;
                let parts = js_sys::Array::of1(&buf);
                let opts = web_sys::BlobPropertyBag::new();
                opts.set_type("image/jpeg");
                let blob =
                    web_sys::Blob::new_with_buffer_source_sequence_and_options(&parts, &opts)
                        .map_err(UiError::js)?;
                web_sys::Url::create_object_url_with_blob(&blob).map_err(UiError::js)
            }
        }
    }
}

/// An import's answer: its report, or the bad rows of a refused file.
fn refused_rows<T>(answer: Res<T>) -> Res<Result<T, ImportRefusal>> {
    match answer {
        Ok(r) => Ok(Ok(r)),
        Err(e) if e.code == "bad_rows" => Ok(Err(ImportRefusal {
            message: e.message,
            rows: e.rows,
        })),
        Err(e) => Err(e),
    }
}

/// Reads a picked file into a [`PhotoUpload`].
pub async fn read_file(file: &web_sys::File) -> Res<PhotoUpload> {
    use base64::Engine;
    let buf = JsFuture::from(file.array_buffer())
        .await
        .map_err(UiError::js)?;
    let bytes = js_sys::Uint8Array::new(&buf).to_vec();
    Ok(PhotoUpload {
        name: file.name(),
        base64: base64::engine::general_purpose::STANDARD.encode(bytes),
    })
}

/// `s` as one query-string value.
fn enc(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}
