//! Site plan administration over HTTP: CSV import (admins) and export, QR label
//! sheets (admins and managers), and route ordering (admins). Every change is
//! one transaction that rewrites the plan document, which devices receive at
//! their next sync.

use crate::accounts::{self, AccountError};
use crate::api::{AppState, Auth, blocking};
use crate::error::ApiError;
use crate::patrols::sender_plan;
use crate::plan_csv::{self, ImportReport};
use crate::validate::Sender;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Json, Router, routing};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use shared::policy::Action;

/// Largest import body: both files together.
pub const MAX_IMPORT_BODY: usize = 8 * 1024 * 1024;

impl From<AccountError> for ApiError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Store(s) => s.into(),
            AccountError::UnknownSite(_) | AccountError::UnknownUser(_) => {
                ApiError::new(StatusCode::NOT_FOUND, "not_found", e.to_string())
            }
            AccountError::SiteExists(_) | AccountError::UserExists(_) => {
                ApiError::new(StatusCode::CONFLICT, "exists", e.to_string())
            }
            AccountError::Invalid { en, zh } => {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", en).zh(zh)
            }
            AccountError::NotMember(ref code) => {
                let zh = format!("您在项目 {code} 没有角色");
                ApiError::new(StatusCode::FORBIDDEN, "site_forbidden", e.to_string()).zh(zh)
            }
            AccountError::Rows(rows) => {
                let en = format!("{} bad row(s); nothing was imported", rows.len());
                let zh = format!("{} 行有错，均未导入：请按下表改正后重新导入", rows.len());
                let mut refused =
                    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_rows", en).zh(zh);
                refused.rows = rows;
                refused
            }
        }
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/api/v1/admin/import",
            routing::post(import).layer(axum::extract::DefaultBodyLimit::max(MAX_IMPORT_BODY)),
        )
        .route("/api/v1/admin/export/{file}", routing::get(export))
        .route(
            "/api/v1/admin/routes/{code}/order",
            routing::post(order_route),
        )
        .route("/api/v1/admin/qr-sheet", routing::get(qr_sheet))
        .route("/api/v1/admin/qr-sheet.svg", routing::get(qr_page))
        .route("/api/v1/admin/schedules", routing::post(put_schedule))
        .route(
            "/api/v1/admin/schedules/{code}",
            routing::delete(remove_schedule),
        )
        .route("/api/v1/admin/settings", routing::put(put_settings))
        .route("/api/v1/admin/users", routing::post(add_user))
        .route(
            "/api/v1/admin/users/{name}/disable",
            routing::post(disable_user),
        )
        .route(
            "/api/v1/admin/users/{name}/enable",
            routing::post(enable_user),
        )
        .route("/api/v1/spot-checks", routing::post(draw))
        .route("/api/v1/adhoc-patrols", routing::post(launch))
        .route("/api/v1/spot-checks/{code}/replay", routing::get(replay))
        .route("/api/v1/coverage", routing::get(coverage))
        .route("/api/v1/analytics/kpis", routing::get(analytics))
        .route("/api/v1/analytics/issues", routing::get(analytics_issues))
        .route("/api/v1/analytics/export", routing::get(analytics_export))
        .route("/api/v1/analytics/sites", routing::get(analytics_sites))
        .route("/api/v1/ledger", routing::get(ledger_export))
        .route("/api/v1/ledger/verify", routing::get(ledger_verify))
        .route("/api/v1/reports", routing::get(list_reports))
        .route("/api/v1/reports/monthly", routing::get(monthly_report))
        .route("/api/v1/equipment", routing::get(equipment_register))
        .route(
            "/api/v1/equipment/import",
            routing::post(equipment_import)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_IMPORT_BODY)),
        )
        .route("/api/v1/equipment/{code}", routing::put(put_equipment))
        .route(
            "/api/v1/equipment/{code}/maintenance",
            routing::post(equipment_maintained),
        )
        .route(
            "/api/v1/equipment/{code}/certificate",
            routing::post(equipment_certify)
                .get(equipment_certificate)
                .layer(axum::extract::DefaultBodyLimit::max(MAX_CERTIFICATE_BODY)),
        )
}

/// Largest certificate upload body: the file, base64-encoded, and its fields.
pub const MAX_CERTIFICATE_BODY: usize =
    shared::equipment::MAX_CERTIFICATE_BYTES / 3 * 4 + 64 * 1024;

/// How the register is wanted: JSON (default) or `csv`.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub struct RegisterQuery {
    /// `csv`: the register as `equipment.csv`, in the columns the import reads.
    pub format: Option<String>,
}

/// `GET /api/v1/equipment`: the site's equipment register with each row's
/// standing today and 设施合规率 by kind.
#[utoipa::path(
    get,
    path = "/api/v1/equipment",
    tag = "equipment",
    summary = "The equipment register with standings and compliance (or, format=csv, the register as CSV).",
    params(RegisterQuery),
    responses((status = 200, body = shared::equipment::Register), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn equipment_register(
    State(state): State<AppState>,
    Auth(sender): Auth,
    q: Result<Query<RegisterQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    require(&sender, Action::ReadSite)?;
    let Query(q) = q.map_err(|e| ApiError::bad_request("bad_request", e.body_text()))?;
    let csv = match q.format.as_deref() {
        None | Some("" | "json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::bad_request(
                "bad_format",
                format!("format `{other}`: use json or csv"),
            ));
        }
    };
    blocking(move || {
        let mut txn = state.store.read()?;
        let site = crate::patrols::sender_site(&mut *txn, &sender)?;
        if csv {
            let list = txn.equipment_of(site.id)?;
            return Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!(
                            "attachment; filename=\"{}-{}\"",
                            site.code,
                            crate::equipment::EQUIPMENT_FILE
                        ),
                    ),
                ],
                crate::equipment::export(&list),
            )
                .into_response());
        }
        Ok(Json(crate::equipment::register(&mut *txn, &site, Utc::now())?).into_response())
    })
    .await
}

/// An equipment import: the text of `equipment.csv`.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct EquipmentCsv {
    pub csv: String,
}

/// `POST /api/v1/equipment/import`: the register from CSV, all or nothing.
#[utoipa::path(
    post,
    path = "/api/v1/equipment/import",
    tag = "equipment",
    summary = "Imports equipment from CSV text by code, all or nothing; nothing missing is deleted.",
    request_body = EquipmentCsv,
    responses((status = 200, body = shared::equipment::EquipmentImport), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn equipment_import(
    State(state): State<AppState>,
    Auth(sender): Auth,
    body: Result<Json<EquipmentCsv>, JsonRejection>,
) -> Result<Json<shared::equipment::EquipmentImport>, ApiError> {
    require(&sender, Action::ManageEquipment)?;
    let Json(req) = body.map_err(|e| ApiError::bad_request("bad_request", e.body_text()))?;
    on_site(&state, sender, move |txn, _, site| {
        let text = plan_csv::decode(crate::equipment::EQUIPMENT_FILE, req.csv.as_bytes())
            .map_err(|e| AccountError::Rows(vec![e]))?;
        crate::equipment::import(txn, site, &text, Utc::now())
    })
    .await
    .map(Json)
}

/// `PUT /api/v1/equipment/{code}`: adds or changes one piece of equipment.
#[utoipa::path(
    put,
    path = "/api/v1/equipment/{code}",
    tag = "equipment",
    summary = "Adds or changes a piece of equipment (its certificate changes only by uploading one).",
    params(("code" = String, Path, description = "Equipment code")),
    request_body = shared::equipment::Equipment,
    responses((status = 200, body = shared::equipment::Equipment), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn put_equipment(
    State(state): State<AppState>,
    Auth(sender): Auth,
    Path(code): Path<String>,
    body: Result<Json<shared::equipment::Equipment>, JsonRejection>,
) -> Result<Json<shared::equipment::Equipment>, ApiError> {
    require(&sender, Action::ManageEquipment)?;
    let Json(e) = body.map_err(|e| ApiError::bad_request("bad_request", e.body_text()))?;
    if e.code.as_str() != code.trim() {
        return Err(ApiError::bad_request(
            "code_mismatch",
            format!("the body is equipment `{}`, the path `{code}`", e.code),
        ));
    }
    on_site(&state, sender, move |txn, _, site| {
        crate::equipment::put(txn, site, e, Utc::now())
    })
    .await
    .map(Json)
}

/// `POST /api/v1/equipment/{code}/maintenance`: a maintenance done.
#[utoipa::path(
    post,
    path = "/api/v1/equipment/{code}/maintenance",
    tag = "equipment",
    summary = "Records a maintenance done on a day (not in the future).",
    params(("code" = String, Path, description = "Equipment code")),
    request_body = shared::equipment::MaintenanceDone,
    responses((status = 200, body = shared::equipment::Equipment), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn equipment_maintained(
    State(state): State<AppState>,
    Auth(sender): Auth,
    Path(code): Path<String>,
    body: Result<Json<shared::equipment::MaintenanceDone>, JsonRejection>,
) -> Result<Json<shared::equipment::Equipment>, ApiError> {
    require(&sender, Action::ManageEquipment)?;
    let Json(m) = body.map_err(|e| ApiError::bad_request("bad_request", e.body_text()))?;
    on_site(&state, sender, move |txn, _, site| {
        crate::equipment::maintained(txn, site, &code, m.date, Utc::now())
    })
    .await
    .map(Json)
}

/// `POST /api/v1/equipment/{code}/certificate`: a new inspection certificate
/// (PDF scan or JPEG photo) and the due date it makes valid.
#[utoipa::path(
    post,
    path = "/api/v1/equipment/{code}/certificate",
    tag = "equipment",
    summary = "Uploads an inspection certificate (PDF or JPEG, base64) with the next due date.",
    params(("code" = String, Path, description = "Equipment code")),
    request_body = shared::equipment::CertificateUpload,
    responses((status = 200, body = shared::equipment::Equipment), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn equipment_certify(
    State(state): State<AppState>,
    Auth(sender): Auth,
    Path(code): Path<String>,
    body: Result<Json<shared::equipment::CertificateUpload>, JsonRejection>,
) -> Result<Json<shared::equipment::Equipment>, ApiError> {
    require(&sender, Action::ManageEquipment)?;
    // An upload over the size limit is told so (413), not called malformed.
    let Json(u) = body.map_err(|e| ApiError::new(e.status(), "bad_request", e.body_text()))?;
    // The equipment must exist before the file is kept.
    let exists = {
        let (store, sender, code) = (state.store.clone(), sender.clone(), code.clone());
        blocking(move || {
            let mut txn = store.read()?;
            let site = crate::patrols::sender_site(&mut *txn, &sender)?;
            Ok::<_, ApiError>(txn.equipment(site.id, code.trim())?.is_some())
        })
        .await?
    };
    if !exists {
        return Err(ApiError::not_found("equipment"));
    }
    let blobs = state.blobs.clone();
    let file = blocking(move || {
        let bytes = crate::equipment::decode_upload(&u)?;
        let (hash, mime) = crate::equipment::store_file(&*blobs, &bytes)?;
        Ok::<_, ApiError>((hash, mime, bytes.len() as u64, u))
    })
    .await?;
    on_site(&state, sender, move |txn, sender, site| {
        let (hash, mime, len, u) = &file;
        crate::equipment::certify(
            txn,
            site,
            &code,
            (hash, mime, *len),
            &u.file_name,
            u.inspection_due,
            &sender.user_name,
            Utc::now(),
        )
    })
    .await
    .map(Json)
}

/// `GET /api/v1/equipment/{code}/certificate`: the certificate file.
#[utoipa::path(
    get,
    path = "/api/v1/equipment/{code}/certificate",
    tag = "equipment",
    summary = "The equipment's last inspection certificate (PDF or JPEG).",
    params(("code" = String, Path, description = "Equipment code")),
    responses((status = 200, description = "The file", content_type = "application/pdf"), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn equipment_certificate(
    State(state): State<AppState>,
    Auth(sender): Auth,
    Path(code): Path<String>,
) -> Result<Response, ApiError> {
    require(&sender, Action::ReadSite)?;
    blocking(move || {
        let mut txn = state.store.read()?;
        let site = crate::patrols::sender_site(&mut *txn, &sender)?;
        let cert = txn
            .equipment(site.id, code.trim())?
            .and_then(|e| e.certificate)
            .ok_or_else(|| ApiError::not_found("certificate"))?;
        drop(txn);
        let bytes = state
            .blobs
            .get(&cert.hash)
            .map_err(|e| {
                tracing::error!(error = %e, "cannot read a certificate");
                ApiError::from(crate::error::StoreError::Corrupt("blob storage".into()))
            })?
            .ok_or_else(|| ApiError::not_found("certificate file"))?;
        let ext = if cert.mime == "application/pdf" {
            "pdf"
        } else {
            "jpg"
        };
        Ok((
            [
                (header::CONTENT_TYPE, cert.mime.clone()),
                (
                    header::CONTENT_DISPOSITION,
                    format!(
                        "inline; filename=\"{}-certificate.{ext}\"",
                        safe_code(&code)
                    ),
                ),
                (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
                (header::CONTENT_SECURITY_POLICY, "sandbox".to_string()),
            ],
            bytes,
        )
            .into_response())
    })
    .await
}

/// An equipment code as it may go into a file name.
fn safe_code(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        .take(64)
        .collect()
}

/// The plan of the sender's site.
async fn plan_of(state: &AppState, sender: Sender) -> Result<shared::plan::SitePlan, ApiError> {
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.read()?;
        sender_plan(&mut *txn, &sender)
    })
    .await
}

/// Runs `f` in a transaction on the sender's site and commits it.
async fn on_site<T: Send + 'static>(
    state: &AppState,
    sender: Sender,
    f: impl FnOnce(&mut dyn crate::store::Txn, &Sender, &str) -> Result<T, AccountError>
    + Send
    + 'static,
) -> Result<T, ApiError> {
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.begin()?;
        txn.act_as(crate::ledger::Author::of(&sender));
        // The site row is the authority on which site this is, never a document.
        let site = crate::patrols::sender_site(&mut *txn, &sender)?;
        let out = f(&mut *txn, &sender, site.code.as_str())?;
        txn.commit()?;
        Ok(out)
    })
    .await
}

/// `POST /api/v1/admin/schedules`: add or replace a schedule.
#[utoipa::path(
    post,
    path = "/api/v1/admin/schedules",
    tag = "planning",
    summary = "Adds or replaces a schedule.",
    request_body = crate::planning::ScheduleSpec,
    responses((status = 200, body = shared::schedule::Schedule), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn put_schedule(
    State(state): State<AppState>,
    Auth(sender): Auth,
    body: Result<Json<crate::planning::ScheduleSpec>, JsonRejection>,
) -> Result<Json<shared::schedule::Schedule>, ApiError> {
    require(&sender, Action::ChangePlan)?;
    let Json(spec) = body.map_err(|e| ApiError::bad_request("bad_request", e.body_text()))?;
    on_site(&state, sender, move |txn, _, site| {
        crate::planning::put_schedule(txn, site, &spec, Utc::now())
    })
    .await
    .map(Json)
}

/// `PUT /api/v1/admin/settings`: the site's reminder times, repeat window and
/// complaint service levels; fields left out keep their value.
#[utoipa::path(
    put,
    path = "/api/v1/admin/settings",
    tag = "planning",
    summary = "Changes the site's settings and complaint service levels.",
    request_body = shared::wire::SiteSettings,
    responses((status = 200, body = shared::plan::Site), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn put_settings(
    State(state): State<AppState>,
    Auth(sender): Auth,
    body: Result<Json<shared::wire::SiteSettings>, JsonRejection>,
) -> Result<Json<shared::plan::Site>, ApiError> {
    require(&sender, Action::ChangePlan)?;
    let Json(settings) = body.map_err(|e| ApiError::bad_request("bad_request", e.body_text()))?;
    on_site(&state, sender, move |txn, _, site| {
        accounts::apply_settings(txn, site, &settings, Utc::now())
    })
    .await
    .map(Json)
}

/// `POST /api/v1/admin/users`: a new user of the admin's site.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users",
    tag = "planning",
    summary = "Adds a user to the site.",
    request_body = shared::wire::NewUserRequest,
    responses((status = 200, body = shared::plan::UserInfo), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn add_user(
    State(state): State<AppState>,
    Auth(sender): Auth,
    body: Result<Json<shared::wire::NewUserRequest>, JsonRejection>,
) -> Result<Json<shared::plan::UserInfo>, ApiError> {
    require(&sender, Action::ManageUsers)?;
    let Json(req) = body.map_err(|e| ApiError::bad_request("bad_request", e.body_text()))?;
    on_site(&state, sender, move |txn, _, site| {
        let rec = accounts::add_user(
            txn,
            accounts::NewUser {
                name: &req.name,
                display_name: req.display_name.as_deref().filter(|d| !d.trim().is_empty()),
                role: req.role,
                site,
                password: &req.password,
                department: req.department,
            },
            Utc::now(),
        )?;
        Ok(accounts::user_info(&rec))
    })
    .await
    .map(Json)
}

/// `POST /api/v1/admin/users/{name}/disable`: disables a user and revokes their devices.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{name}/disable",
    tag = "planning",
    summary = "Disables a user of the site and revokes their tokens.",
    params(("name" = String, Path)),
    responses((status = 204, description = "Disabled"), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn disable_user(
    State(state): State<AppState>,
    Auth(sender): Auth,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    require(&sender, Action::ManageUsers)?;
    on_site(&state, sender, move |txn, sender, _| {
        match txn.user_by_name(name.trim())? {
            Some(u) if sender.sites.contains(&u.site) => {}
            _ => return Err(AccountError::UnknownUser(name.clone())),
        }
        if sender.user_name == name.trim() {
            return Err(AccountError::invalid(
                "you cannot disable yourself",
                "不能停用自己的账号",
            ));
        }
        accounts::disable_user(txn, name.trim(), Utc::now()).map(|_| ())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/admin/users/{name}/enable`: enables a disabled user again.
#[utoipa::path(
    post,
    path = "/api/v1/admin/users/{name}/enable",
    tag = "planning",
    summary = "Enables a disabled user of the site again.",
    params(("name" = String, Path)),
    responses((status = 204, description = "Enabled"), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn enable_user(
    State(state): State<AppState>,
    Auth(sender): Auth,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    require(&sender, Action::ManageUsers)?;
    on_site(&state, sender, move |txn, sender, _| {
        match txn.user_by_name(name.trim())? {
            Some(u) if sender.sites.contains(&u.site) => {}
            _ => return Err(AccountError::UnknownUser(name.clone())),
        }
        accounts::enable_user(txn, name.trim(), Utc::now())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `DELETE /api/v1/admin/schedules/{code}`.
#[utoipa::path(
    delete,
    path = "/api/v1/admin/schedules/{code}",
    tag = "planning",
    summary = "Removes a schedule.",
    params(("code" = String, Path)),
    responses((status = 204, description = "Removed"), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn remove_schedule(
    State(state): State<AppState>,
    Auth(sender): Auth,
    Path(code): Path<String>,
) -> Result<StatusCode, ApiError> {
    require(&sender, Action::ChangePlan)?;
    on_site(&state, sender, move |txn, _, site| {
        crate::planning::remove_schedule(txn, site, &code, Utc::now())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /api/v1/spot-checks`: a double-random draw, recorded for replay.
#[utoipa::path(
    post,
    path = "/api/v1/spot-checks",
    tag = "planning",
    summary = "Draws a double-random spot check (the server picks and records the seed).",
    request_body = crate::planning::DrawRequest,
    responses((status = 200, body = crate::planning::Replay), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn draw(
    State(state): State<AppState>,
    Auth(sender): Auth,
    body: Result<Json<crate::planning::DrawRequest>, JsonRejection>,
) -> Result<Json<crate::planning::Replay>, ApiError> {
    require(&sender, Action::DrawSpotCheck)?;
    let Json(req) = body.map_err(|e| ApiError::bad_request("bad_request", e.body_text()))?;
    on_site(&state, sender, move |txn, sender, site| {
        let sc = crate::planning::draw_spot_check(txn, site, &req, &sender.user_name, Utc::now())?;
        crate::planning::replay(txn, site, sc.code.as_str())
    })
    .await
    .map(Json)
}

/// `POST /api/v1/adhoc-patrols`: a one-off (emergency) patrol for chosen inspectors.
#[utoipa::path(
    post,
    path = "/api/v1/adhoc-patrols",
    tag = "planning",
    summary = "Launches a one-off (emergency) patrol; devices get it at their next sync.",
    request_body = shared::wire::AdHocRequest,
    responses((status = 200, body = shared::schedule::AdHocPatrol), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn launch(
    State(state): State<AppState>,
    Auth(sender): Auth,
    body: Result<Json<shared::wire::AdHocRequest>, JsonRejection>,
) -> Result<Json<shared::schedule::AdHocPatrol>, ApiError> {
    require(&sender, Action::LaunchPatrol)?;
    let Json(req) = body.map_err(|e| ApiError::bad_request("bad_request", e.body_text()))?;
    on_site(&state, sender, move |txn, sender, site| {
        crate::planning::launch_adhoc(txn, site, &req, &sender.user_name, Utc::now())
    })
    .await
    .map(Json)
}

/// `GET /api/v1/spot-checks/{code}/replay`: draw again from the record.
#[utoipa::path(
    get,
    path = "/api/v1/spot-checks/{code}/replay",
    tag = "planning",
    summary = "Replays a recorded draw.",
    params(("code" = String, Path)),
    responses((status = 200, body = crate::planning::Replay), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn replay(
    State(state): State<AppState>,
    Auth(sender): Auth,
    Path(code): Path<String>,
) -> Result<Json<crate::planning::Replay>, ApiError> {
    require(&sender, Action::ReplaySpotCheck)?;
    on_site(&state, sender, move |txn, _, site| {
        crate::planning::replay(txn, site, &code)
    })
    .await
    .map(Json)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct CoverageQuery {
    /// First local day, `YYYY-MM-DD`.
    from: chrono::NaiveDate,
    /// Last local day, inclusive.
    to: chrono::NaiveDate,
}

/// `GET /api/v1/coverage?from=&to=`: checked / due by route, zone and inspector.
#[utoipa::path(
    get,
    path = "/api/v1/coverage",
    tag = "analysis",
    summary = "Checked / due by route, zone and inspector.",
    params(CoverageQuery),
    responses((status = 200, body = shared::schedule::Coverage), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn coverage(
    State(state): State<AppState>,
    Auth(sender): Auth,
    q: Result<Query<CoverageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<shared::schedule::Coverage>, ApiError> {
    require(&sender, Action::ReadCoverage)?;
    let Query(q) = q.map_err(|e| ApiError::bad_request("bad_request", e.body_text()))?;
    if q.to < q.from || (q.to - q.from).num_days() > 366 {
        return Err(ApiError::bad_request(
            "bad_request",
            "`to` must be on or after `from`, at most a year later",
        ));
    }
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.read()?;
        let plan = sender_plan(&mut *txn, &sender)?;
        Ok(Json(crate::planning::coverage(
            &mut *txn, &plan, q.from, q.to,
        )?))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct AnalyticsQuery {
    /// `2026-11` (month), `2026-W45` (ISO week), `2026-11-03` (day) or
    /// `2026-11-01..2026-11-15` (local days, both included).
    period: String,
    /// Break the figures down by this.
    by: Option<shared::kpi::By>,
}

/// `GET /api/v1/analytics/kpis?period=&by=`: the site's figures for a period.
#[utoipa::path(
    get,
    path = "/api/v1/analytics/kpis",
    tag = "analysis",
    summary = "The site's KPIs for a period (and the one before), optionally broken down.",
    params(AnalyticsQuery),
    responses((status = 200, body = shared::kpi::Report), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn analytics(
    State(state): State<AppState>,
    Auth(sender): Auth,
    q: Result<Query<AnalyticsQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<shared::kpi::Report>, ApiError> {
    require(&sender, Action::ReadCoverage)?;
    let Query(q) = q.map_err(|e| ApiError::bad_request("bad_request", e.body_text()))?;
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.read()?;
        let plan = sender_plan(&mut *txn, &sender)?;
        crate::analytics::report(&mut *txn, &plan, &q.period, q.by, chrono::Utc::now()).map(Json)
    })
    .await
}

/// `GET /api/v1/analytics/issues?period=&kpi=&part=…`: the issues behind one figure.
#[utoipa::path(
    get,
    path = "/api/v1/analytics/issues",
    tag = "analysis",
    summary = "Exactly the issues a figure (or a chart's bar, cell or point) counts.",
    params(crate::analytics::DrillQuery),
    responses((status = 200, body = Vec<shared::wire::IssueSummary>), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn analytics_issues(
    State(state): State<AppState>,
    Auth(sender): Auth,
    q: Result<Query<crate::analytics::DrillQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<shared::wire::IssueSummary>>, ApiError> {
    require(&sender, Action::ReadCoverage)?;
    let Query(q) = q.map_err(|e| ApiError::bad_request("bad_request", e.body_text()))?;
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.read()?;
        let plan = sender_plan(&mut *txn, &sender)?;
        crate::analytics::drill(&mut *txn, &plan, &q, chrono::Utc::now()).map(Json)
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct ExportQuery {
    /// As for the report.
    period: String,
    /// The breakdown, for the `rows` table.
    by: Option<shared::kpi::By>,
    /// `kpis`, `rows`, `league`, `trend`, `pareto`, `zone_hours`, `weekday_hours` or `hot_spots`.
    table: String,
    /// `xlsx` (default) or `csv`.
    format: Option<String>,
}

/// `GET /api/v1/analytics/export?period=&table=&format=xlsx|csv`: one table of the analysis as a file.
#[utoipa::path(
    get,
    path = "/api/v1/analytics/export",
    tag = "analysis",
    summary = "One analysis table as an Excel workbook or CSV, with Chinese headers.",
    params(ExportQuery),
    responses(
        (status = 200, description = "The table", content(
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv")
        )),
        crate::openapi::Errors
    ),
    security(("bearer" = [])),
)]
async fn analytics_export(
    State(state): State<AppState>,
    Auth(sender): Auth,
    q: Result<Query<ExportQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    require(&sender, Action::ReadCoverage)?;
    let Query(q) = q.map_err(|e| ApiError::bad_request("bad_request", e.body_text()))?;
    let format = file_format(q.format.as_deref())?;
    if q.table != "sites" && !crate::analytics::TABLES.contains(&q.table.as_str()) {
        return Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!(
                "`{}` is not a table; use one of {}, sites",
                q.table,
                crate::analytics::TABLES.join(", ")
            ),
        ));
    }
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.read()?;
        let plan = sender_plan(&mut *txn, &sender)?;
        let table = if q.table == "sites" {
            let plans = readable_plans(&mut *txn, &sender)?;
            let rows =
                crate::analytics::sites_league(&mut *txn, &plans, &q.period, chrono::Utc::now())?;
            crate::analytics::sites_table(&rows)
        } else {
            let report =
                crate::analytics::report(&mut *txn, &plan, &q.period, q.by, chrono::Utc::now())?;
            crate::analytics::table(&report, &q.table).ok_or_else(|| {
                ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "unknown table")
            })?
        };
        // ASCII only in the header: site code, period and table id.
        let period: String = q
            .period
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let name = format!("{}-{period}-{}.{format}", plan.site.code, q.table);
        file_response(&table, &name, format)
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct SitesQuery {
    /// As for the report.
    period: String,
}

/// The sender's sites whose analysis their role there may read, by code.
fn readable_plans(
    txn: &mut dyn crate::store::Txn,
    sender: &Sender,
) -> Result<Vec<shared::plan::SitePlan>, ApiError> {
    let user = txn.user(sender.user)?.ok_or_else(ApiError::unauthorized)?;
    let mut plans = Vec::new();
    for (site, at) in accounts::sites_of(txn, &user)? {
        if shared::policy::permits(at.role, Action::ReadCoverage) {
            plans.push(accounts::load_plan(txn, &site)?.1);
        }
    }
    plans.sort_by(|a, b| a.site.code.cmp(&b.site.code));
    Ok(plans)
}

/// `GET /api/v1/analytics/sites?period=`: the league table of the sender's sites.
#[utoipa::path(
    get,
    path = "/api/v1/analytics/sites",
    tag = "analysis",
    summary = "The same KPIs for the same period at every site whose analysis the caller may read (the group's league table), one row per site code.",
    params(SitesQuery),
    responses((status = 200, body = Vec<shared::kpi::Row>), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn analytics_sites(
    State(state): State<AppState>,
    Auth(sender): Auth,
    q: Result<Query<SitesQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Vec<shared::kpi::Row>>, ApiError> {
    require(&sender, Action::ReadCoverage)?;
    let Query(q) = q.map_err(|e| ApiError::bad_request("bad_request", e.body_text()))?;
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.read()?;
        let plans = readable_plans(&mut *txn, &sender)?;
        crate::analytics::sites_league(&mut *txn, &plans, &q.period, chrono::Utc::now()).map(Json)
    })
    .await
}

/// `xlsx` (the default) or `csv`.
fn file_format(format: Option<&str>) -> Result<&'static str, ApiError> {
    match format.unwrap_or("xlsx") {
        "xlsx" => Ok("xlsx"),
        "csv" => Ok("csv"),
        other => Err(ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
            format!(
                "`{}` is not a file format; use xlsx or csv",
                other.chars().take(40).collect::<String>()
            ),
        )),
    }
}

/// A table as a downloaded file named `name` (ASCII).
fn file_response(
    table: &crate::analytics::Table,
    name: &str,
    format: &str,
) -> Result<Response, ApiError> {
    let (mime, body) = if format == "csv" {
        ("text/csv; charset=utf-8", crate::analytics::csv(table))
    } else {
        (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            crate::analytics::xlsx(table).map_err(|e| {
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    format!("the workbook cannot be written: {e}"),
                )
            })?,
        )
    };
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        body,
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct LedgerQuery {
    /// First local day (YYYY-MM-DD, the site's zone).
    from: String,
    /// Last local day, included.
    to: String,
    /// `xlsx` (default) or `csv`.
    format: Option<String>,
}

/// `GET /api/v1/ledger?from=&to=&format=`: the site's ledger entries received
/// in those days, with their hashes.
#[utoipa::path(
    get,
    path = "/api/v1/ledger",
    tag = "records",
    summary = "The site's ledger (台账) entries received in a range of days, with their hash chain, as a file.",
    params(LedgerQuery),
    responses(
        (status = 200, description = "The entries", content(
            (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
            (String = "text/csv")
        )),
        crate::openapi::Errors
    ),
    security(("bearer" = [])),
)]
async fn ledger_export(
    State(state): State<AppState>,
    Auth(sender): Auth,
    q: Result<Query<LedgerQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    require(&sender, Action::ReadLedger)?;
    let Query(q) = q.map_err(|e| ApiError::bad_request("bad_request", e.body_text()))?;
    let format = file_format(q.format.as_deref())?;
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.read()?;
        let site = crate::patrols::sender_site(&mut *txn, &sender)?;
        let (from, to) = crate::ledger::days(&q.from, &q.to, site.deadlines.offset())
            .map_err(|e| ApiError::invalid(&e))?;
        let entries = txn.ledger_between(site.id, from, to)?;
        let name = format!(
            "{}-ledger-{}-{}.{format}",
            site.code,
            safe(&q.from),
            safe(&q.to)
        );
        file_response(&crate::ledger::table(&entries), &name, format)
    })
    .await
}

/// `GET /api/v1/reports`: the site's monthly reports the job has stored.
#[utoipa::path(
    get,
    path = "/api/v1/reports",
    tag = "records",
    summary = "The site's stored monthly quality reports (月度品质报告), newest month first, each with the ledger head it printed.",
    responses((status = 200, body = Vec<shared::wire::MonthlyReportInfo>), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn list_reports(
    State(state): State<AppState>,
    Auth(sender): Auth,
) -> Result<Json<Vec<shared::wire::MonthlyReportInfo>>, ApiError> {
    require(&sender, Action::ReadCoverage)?;
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.read()?;
        let site = crate::patrols::sender_site(&mut *txn, &sender)?;
        Ok(Json(txn.monthly_reports(site.id)?))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct MonthlyQuery {
    /// The month, `YYYY-MM`.
    period: String,
    /// `pdf` (default) or `xlsx`.
    format: Option<String>,
}

/// `GET /api/v1/reports/monthly`: one month's quality report.
#[utoipa::path(
    get,
    path = "/api/v1/reports/monthly",
    tag = "records",
    summary = "The monthly quality report (月度品质报告) of a month: the stored copy when the job has made it (header x-report-stored: true), else made now. A4 PDF, or the data as .xlsx.",
    params(MonthlyQuery),
    responses(
        (status = 200, description = "The report", content((Vec<u8> = "application/pdf"), (Vec<u8> = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"))),
        crate::openapi::Errors
    ),
    security(("bearer" = [])),
)]
async fn monthly_report(
    State(state): State<AppState>,
    Auth(sender): Auth,
    q: Result<Query<MonthlyQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    require(&sender, Action::ReadCoverage)?;
    let Query(q) = q.map_err(|e| ApiError::bad_request("bad_request", e.body_text()))?;
    let format = crate::sheet::Format::parse(q.format.as_deref())?;
    blocking(move || {
        let plan = {
            let mut txn = state.store.read()?;
            crate::patrols::sender_plan(&mut *txn, &sender)?
        };
        let code = plan.site.code.to_string();
        let (bytes, stored) = crate::monthly::fetch(
            &*state.store,
            plan,
            &q.period,
            format,
            state.fonts(),
            chrono::Utc::now(),
        )?;
        let mut resp = crate::api::document(
            bytes,
            format,
            &format!("{code}-monthly-report-{}", safe(&q.period)),
        );
        resp.headers_mut().insert(
            "x-report-stored",
            axum::http::HeaderValue::from_static(if stored { "true" } else { "false" }),
        );
        Ok(resp)
    })
    .await
}

/// The characters of a date that may go into a file name.
fn safe(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_ascii_digit() || *c == '-')
        .take(10)
        .collect()
}

/// `GET /api/v1/ledger/verify`: recomputes the site's hash chain.
#[utoipa::path(
    get,
    path = "/api/v1/ledger/verify",
    tag = "records",
    summary = "Recomputes the site's ledger hash chain: whole (with its head), or the first entry that does not match.",
    responses((status = 200, body = shared::wire::LedgerVerification), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn ledger_verify(
    State(state): State<AppState>,
    Auth(sender): Auth,
) -> Result<Json<crate::ledger::Verification>, ApiError> {
    require(&sender, Action::ReadLedger)?;
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.read()?;
        let site = crate::patrols::sender_site(&mut *txn, &sender)?;
        Ok(Json(crate::ledger::verify(&mut *txn, site.id)?.into()))
    })
    .await
}

/// Refuses with 403 unless the permission table ([`shared::policy::ACTIONS`]) lets the sender's role take `action`.
pub fn require(sender: &Sender, action: Action) -> Result<(), ApiError> {
    if shared::policy::permits(sender.role, action) {
        Ok(())
    } else {
        Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "role_forbidden",
            format!("role {} may not {}", sender.role.code(), action.describe()),
        ))
    }
}

/// The files of an import; any may be left out.
#[derive(Debug, Default, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ImportRequest {
    pub checklists: Option<String>,
    pub checkpoints: Option<String>,
    /// Complaint service levels (`sla.csv`).
    #[serde(default)]
    pub sla: Option<String>,
}

/// `POST /api/v1/admin/import`: checklists and checkpoints from CSV, all or nothing.
#[utoipa::path(
    post,
    path = "/api/v1/admin/import",
    tag = "planning",
    summary = "Imports checklists and checkpoints (CSV text), all or nothing.",
    request_body = ImportRequest,
    responses((status = 200, body = shared::wire::ImportReport), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn import(
    State(state): State<AppState>,
    Auth(sender): Auth,
    body: Result<Json<ImportRequest>, JsonRejection>,
) -> Result<Response, ApiError> {
    require(&sender, Action::ChangePlan)?;
    let Json(req) = body.map_err(|e| ApiError::bad_request("bad_request", e.body_text()))?;
    if req.checklists.is_none() && req.checkpoints.is_none() && req.sla.is_none() {
        return Err(ApiError::bad_request(
            "bad_request",
            "send `checklists`, `checkpoints`, `sla` or several",
        ));
    }
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.begin()?;
        txn.act_as(crate::ledger::Author::of(&sender));
        let plan = sender_plan(&mut *txn, &sender)?;
        match accounts::import_csv(
            &mut *txn,
            plan.site.code.as_str(),
            accounts::CsvFiles {
                checklists: req.checklists.as_deref(),
                checkpoints: req.checkpoints.as_deref(),
                sla: req.sla.as_deref(),
            },
            Utc::now(),
        ) {
            Ok(report) => {
                txn.commit()?;
                Ok(Json::<ImportReport>(report).into_response())
            }
            Err(AccountError::Rows(rows)) => Ok((
                StatusCode::UNPROCESSABLE_ENTITY,
                Json(shared::wire::ApiError {
                    code: "bad_rows".into(),
                    message: format!("{} bad row(s); nothing was imported", rows.len()),
                    message_zh: format!("{} 行有错，均未导入：请按下表改正后重新导入", rows.len()),
                    rows,
                }),
            )
                .into_response()),
            Err(e) => Err(e.into()),
        }
    })
    .await
}

/// `GET /api/v1/admin/export/checkpoints.csv` or `…/checklists.csv`.
#[utoipa::path(
    get,
    path = "/api/v1/admin/export/{file}",
    tag = "planning",
    summary = "The plan as CSV (`checkpoints.csv`, `checklists.csv` or `sla.csv`).",
    params(("file" = String, Path)),
    responses((status = 200, description = "CSV", content_type = "text/csv", body = String), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn export(
    State(state): State<AppState>,
    Auth(sender): Auth,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    require(&sender, Action::ExportPlan)?;
    let write: fn(&shared::plan::SitePlan) -> String = match file.as_str() {
        plan_csv::CHECKPOINTS_FILE => plan_csv::export_checkpoints,
        plan_csv::CHECKLISTS_FILE => plan_csv::export_checklists,
        plan_csv::SLA_FILE => |p| plan_csv::export_sla(&p.site.complaint_sla),
        _ => return Err(ApiError::not_found("export file")),
    };
    let plan = plan_of(&state, sender).await?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{}-{file}\"", plan.site.code),
            ),
        ],
        write(&plan),
    )
        .into_response())
}

/// `POST /api/v1/admin/routes/{code}/order`: reorder a route for a short walk.
#[utoipa::path(
    post,
    path = "/api/v1/admin/routes/{code}/order",
    tag = "planning",
    summary = "Reorders a route for a short walk.",
    params(("code" = String, Path)),
    responses((status = 200, body = shared::wire::Reordered), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn order_route(
    State(state): State<AppState>,
    Auth(sender): Auth,
    Path(code): Path<String>,
) -> Result<Json<accounts::Reordered>, ApiError> {
    require(&sender, Action::ChangePlan)?;
    on_site(&state, sender, move |txn, _, site| {
        accounts::order_route(txn, site, &code, Utc::now())
    })
    .await
    .map(Json)
}

/// `GET /api/v1/admin/qr-sheet`: every label page in one printable HTML page.
#[utoipa::path(
    get,
    path = "/api/v1/admin/qr-sheet",
    tag = "planning",
    summary = "Printable QR labels, every page (HTML).",
    responses((status = 200, description = "HTML", content_type = "text/html", body = String), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn qr_sheet(State(state): State<AppState>, Auth(sender): Auth) -> Result<Response, ApiError> {
    require(&sender, Action::PrintLabels)?;
    let plan = plan_of(&state, sender).await?;
    Ok((
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        crate::qr::sheet_html(&plan),
    )
        .into_response())
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    page: Option<usize>,
    /// Only these point codes (comma-separated): new or chosen checkpoints.
    codes: Option<String>,
}

/// The labels of `plan`, only those whose point code is in `codes` when given.
fn chosen_labels(plan: &shared::plan::SitePlan, codes: Option<&str>) -> Vec<crate::qr::Label> {
    let wanted: Option<Vec<&str>> = codes.map(|c| {
        c.split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect()
    });
    crate::qr::labels(plan)
        .into_iter()
        .filter(|l| {
            wanted
                .as_ref()
                .is_none_or(|w| w.iter().any(|c| c.eq_ignore_ascii_case(&l.code)))
        })
        .collect()
}

/// `GET /api/v1/admin/qr-sheet.svg?page=N`: one A4 page of labels as SVG.
#[utoipa::path(
    get,
    path = "/api/v1/admin/qr-sheet.svg",
    tag = "planning",
    summary = "One A4 page of QR labels.",
    params(PageQuery),
    responses((status = 200, description = "SVG", content_type = "image/svg+xml", body = String), crate::openapi::Errors),
    security(("bearer" = [])),
)]
async fn qr_page(
    State(state): State<AppState>,
    Auth(sender): Auth,
    q: Result<Query<PageQuery>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, ApiError> {
    let Query(q) = q.map_err(crate::api::bad_query)?;
    require(&sender, Action::PrintLabels)?;
    let plan = plan_of(&state, sender).await?;
    let labels = chosen_labels(&plan, q.codes.as_deref());
    let pages = crate::qr::page_count(labels.len());
    let page = q.page.unwrap_or(1);
    if page == 0 || page > pages {
        return Err(ApiError::not_found("page"));
    }
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "image/svg+xml; charset=utf-8".to_string(),
            ),
            (
                header::HeaderName::from_static("x-pages"),
                pages.to_string(),
            ),
        ],
        crate::qr::page_svg(&plan.site.name, &labels, page),
    )
        .into_response())
}
