//! The Tauri 2 shell: a window around the Yew UI, and commands that forward
//! to the device core. Each command is a thin wrapper: lock the device, call
//! one method, map the error to `{code, message}`. Work runs off the UI thread.
//!
//! The device's data lives in the platform's app data directory, or in
//! `PATROL_DATA_DIR` when set (tests, several profiles on one desktop).

use base64::Engine;
use device::{Device, DeviceError, SyncOptions};
use serde::Serialize;
use shared::app::*;
use shared::ids::IssueId;
use shared::issue::{EventBody, PhotoRef};
use shared::plan::{ChecklistTemplate, SitePlan};
use shared::wire::{IssueDetail, IssueSummary};
use std::sync::{Arc, Mutex};
use tauri::Manager;

/// An error as the UI receives it.
#[derive(Debug, Serialize)]
pub struct CmdError {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    message_zh: String,
}

impl From<DeviceError> for CmdError {
    fn from(e: DeviceError) -> Self {
        CmdError {
            code: e.code(),
            message: e.to_string(),
            message_zh: e.message_zh(),
        }
    }
}

type Res<T> = Result<T, CmdError>;

/// The device core behind the window.
pub struct Core {
    device: Arc<Mutex<Device>>,
    fonts: Arc<std::sync::OnceLock<photo::stamp::Fonts>>,
}

fn opts() -> SyncOptions {
    SyncOptions::default()
}

/// Runs `f` on the device, off the UI thread.
async fn with<T: Send + 'static>(
    core: &Core,
    f: impl FnOnce(&mut Device) -> Result<T, DeviceError> + Send + 'static,
) -> Res<T> {
    let device = core.device.clone();
    tauri::async_runtime::spawn_blocking(move || {
        let mut d = device.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut d).map_err(CmdError::from)
    })
    .await
    .map_err(|e| CmdError {
        code: "internal",
        message: e.to_string(),
        message_zh: String::new(),
    })?
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now()
}

#[tauri::command]
async fn session(core: tauri::State<'_, Core>) -> Res<Option<SessionInfo>> {
    with(&core, |d| d.session_info()).await
}

#[tauri::command]
async fn login(
    core: tauri::State<'_, Core>,
    server: String,
    user: String,
    password: String,
    site: Option<String>,
) -> Res<SessionInfo> {
    with(&core, move |d| {
        d.login_at(&server, &user, &password, site.as_deref(), &opts())?;
        d.session_info()?.ok_or(DeviceError::NotLoggedIn)
    })
    .await
}

#[tauri::command]
async fn logout(core: tauri::State<'_, Core>) -> Res<()> {
    with(&core, |d| d.logout().map(|_| ())).await
}

#[tauri::command]
async fn status(core: tauri::State<'_, Core>) -> Res<SyncStatus> {
    with(&core, |d| d.sync_status()).await
}

/// Syncs now; a failed attempt is recorded in the status, not an error.
#[tauri::command]
async fn sync(core: tauri::State<'_, Core>) -> Res<SyncStatus> {
    with(&core, |d| {
        let _ = d.sync(&opts());
        d.sync_status()
    })
    .await
}

#[tauri::command]
async fn plan(core: tauri::State<'_, Core>) -> Res<SitePlan> {
    with(&core, |d| d.plan()).await
}

#[tauri::command]
async fn tasks(core: tauri::State<'_, Core>) -> Res<Vec<RouteTask>> {
    with(&core, |d| d.route_tasks(now())).await
}

#[tauri::command]
async fn patrol_start(core: tauri::State<'_, Core>, route: String) -> Res<()> {
    with(&core, move |d| d.patrol_start(&route, now()).map(|_| ())).await
}

#[tauri::command]
async fn patrol_finish(core: tauri::State<'_, Core>) -> Res<()> {
    with(&core, |d| d.patrol_finish(now()).map(|_| ())).await
}

#[tauri::command]
async fn complaint(core: tauri::State<'_, Core>, req: ComplaintRequest) -> Res<IssueId> {
    with(&core, move |d| d.raise_complaint(&req, now())).await
}

#[tauri::command]
async fn survey(core: tauri::State<'_, Core>, input: shared::survey::SurveyInput) -> Res<()> {
    with(&core, move |d| d.record_survey(input, now()).map(|_| ())).await
}

#[tauri::command]
async fn surveys(core: tauri::State<'_, Core>) -> Res<Vec<shared::survey::SurveyEntry>> {
    with(&core, |d| d.survey_entries()).await
}

#[tauri::command]
async fn notifications(core: tauri::State<'_, Core>) -> Res<Vec<NotificationItem>> {
    with(&core, |d| {
        let list = d.notifications()?;
        d.mark_notifications_seen()?;
        Ok(list
            .into_iter()
            .map(|(notification, seen)| NotificationItem { notification, seen })
            .collect())
    })
    .await
}

/// The site's analysis (managers; read-only, online).
#[tauri::command]
async fn analytics(
    core: tauri::State<'_, Core>,
    period: String,
    by: Option<shared::kpi::By>,
) -> Res<shared::kpi::Report> {
    with(&core, move |d| d.analytics(&period, by, &opts())).await
}

/// The issues behind one figure of the analysis.
#[tauri::command]
async fn analytics_issues(
    core: tauri::State<'_, Core>,
    query: String,
) -> Res<Vec<shared::wire::IssueSummary>> {
    with(&core, move |d| d.analytics_issues(&query, &opts())).await
}

#[tauri::command]
async fn arrive(
    core: tauri::State<'_, Core>,
    checkpoint: String,
    code: String,
) -> Res<ChecklistTemplate> {
    with(&core, move |d| {
        d.arrive_checkpoint(&checkpoint, &code, now())
    })
    .await
}

#[tauri::command]
async fn check(core: tauri::State<'_, Core>, input: CheckInput) -> Res<CheckResult> {
    with(&core, move |d| d.check_checkpoint(&input, now())).await
}

#[tauri::command]
async fn add_photo(core: tauri::State<'_, Core>, photo: PhotoUpload) -> Res<PhotoRef> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(photo.base64.as_bytes())
        .map_err(|e| CmdError {
            code: "bad_photo",
            message: format!("{}: the file did not arrive whole: {e}", photo.name),
            message_zh: format!("{}：文件没有完整传到，请重新选择", photo.name),
        })?;
    with(&core, move |d| d.add_photo(&bytes, &photo.name, now())).await
}

#[tauri::command]
async fn raise(core: tauri::State<'_, Core>, req: RaiseRequest) -> Res<IssueId> {
    with(&core, move |d| d.raise_issue(req, now())).await
}

#[tauri::command]
async fn issues(core: tauri::State<'_, Core>, filter: IssueFilter) -> Res<Vec<IssueSummary>> {
    with(&core, move |d| d.issue_list(&filter)).await
}

#[tauri::command]
async fn issue(core: tauri::State<'_, Core>, id: IssueId) -> Res<IssueDetail> {
    with(&core, move |d| d.issue_detail(id)).await
}

#[tauri::command]
async fn event(core: tauri::State<'_, Core>, id: IssueId, body: EventBody) -> Res<IssueDetail> {
    with(&core, move |d| {
        d.issue_event(id, body, true, now())?;
        d.issue_detail(id)
    })
    .await
}

/// A photo file as base64 JPEG; with `stamp`, the upload copy with its caption.
#[tauri::command]
async fn photo(
    core: tauri::State<'_, Core>,
    hash: String,
    stamp: bool,
    issue: Option<shared::IssueId>,
) -> Res<String> {
    let fonts = core.fonts.clone();
    with(&core, move |d| {
        let bytes = if stamp {
            let fonts = fonts.get_or_init(|| photo::stamp::Fonts::discover(None));
            d.stamped_photo(&hash, issue, fonts, &opts())?.0
        } else {
            d.photo(&hash, &opts())?
        };
        Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
    })
    .await
}

/// Builds and runs the app (desktop `main` and the mobile entry point).
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    tauri::Builder::default()
        .setup(|app| {
            let dir = match std::env::var_os("PATROL_DATA_DIR") {
                Some(d) => std::path::PathBuf::from(d),
                None => app.path().app_data_dir()?,
            };
            let device = Device::open(&dir)?;
            app.manage(Core {
                device: Arc::new(Mutex::new(device)),
                fonts: Arc::new(std::sync::OnceLock::new()),
            });
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            session,
            login,
            logout,
            status,
            sync,
            plan,
            tasks,
            patrol_start,
            arrive,
            notifications,
            analytics,
            analytics_issues,
            complaint,
            survey,
            surveys,
            patrol_finish,
            check,
            add_photo,
            raise,
            issues,
            issue,
            event,
            photo
        ])
        .run(tauri::generate_context!())
        .expect("the app window could not start");
}
