//! The OpenAPI document of the REST API, served at `GET /api/v1/openapi.json`.
//!
//! Generated from the handlers' `#[utoipa::path]` attributes and the wire
//! types' schemas (`shared` with its `openapi` feature), so it follows the code.
//! `scripts/schemathesis` runs schemathesis against it with a user of each role.

use axum::Json;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder, response::Response};
use utoipa::{Modify, OpenApi};

/// `GET /api/v1/health`.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Health {
    pub status: String,
    pub protocol: u16,
}

/// Raw bytes in a body (a sync message, a photo, an upload chunk).
pub struct Binary;

impl utoipa::PartialSchema for Binary {
    fn schema() -> RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                utoipa::openapi::KnownFormat::Binary,
            )))
            .into()
    }
}

impl utoipa::ToSchema for Binary {
    fn name() -> std::borrow::Cow<'static, str> {
        std::borrow::Cow::Borrowed("Binary")
    }
}

/// Every error the API answers, each with the `{code, message}` body.
pub struct Errors;

impl utoipa::IntoResponses for Errors {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        [
            (
                400,
                "Malformed request (bad id, query, JSON or sync payload)",
            ),
            (401, "No valid token"),
            (403, "The role may not do this"),
            (404, "No such record on the caller's site"),
            (409, "Conflicts with what is stored"),
            (413, "Larger than the limits allow"),
            (415, "Wrong content type"),
            (422, "Well-formed but not acceptable (with the reasons)"),
            (426, "The device's sync protocol is outdated"),
            (429, "Too many failed logins"),
        ]
        .into_iter()
        .map(|(status, what)| {
            let response = ResponseBuilder::new()
                .description(what)
                .content(
                    "application/json",
                    ContentBuilder::new()
                        .schema(Some(Ref::from_schema_name("ApiError")))
                        .build(),
                )
                .build();
            (status.to_string(), RefOr::T(response))
        })
        .collect()
    }
}

struct BearerToken;

impl Modify for BearerToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Patrol inspection sync server",
        description = "The REST API of the sync server and the managers' dashboard. \
            Errors are `{code, message}` JSON with a 4xx status."
    ),
    paths(
        crate::api::health,
        crate::api::login,
        crate::api::logout,
        crate::api::sync,
        crate::api::list_issues,
        crate::api::get_issue,
        crate::api::issue_notice,
        crate::api::patrol_sheet,
        crate::admin::list_reports,
        crate::admin::monthly_report,
        crate::admin::equipment_register,
        crate::admin::equipment_import,
        crate::admin::put_equipment,
        crate::admin::equipment_maintained,
        crate::admin::equipment_certify,
        crate::admin::equipment_certificate,
        crate::api::post_event,
        crate::api::post_complaint,
        crate::api::post_survey,
        crate::api::list_surveys,
        crate::contacts::put_contact,
        crate::contacts::list_contacts,
        crate::api::list_root_causes,
        crate::api::save_root_cause,
        crate::api::update_action,
        crate::api::me,
        crate::api::choose_site,
        crate::api::plan,
        crate::api::notifications,
        crate::api::list_patrols,
        crate::api::get_patrol,
        crate::admin::put_schedule,
        crate::admin::put_settings,
        crate::admin::add_user,
        crate::admin::disable_user,
        crate::admin::enable_user,
        crate::admin::remove_schedule,
        crate::admin::draw,
        crate::admin::launch,
        crate::admin::replay,
        crate::admin::coverage,
        crate::admin::analytics,
        crate::admin::analytics_issues,
        crate::admin::analytics_export,
        crate::admin::analytics_sites,
        crate::admin::ledger_export,
        crate::admin::ledger_verify,
        crate::admin::import,
        crate::admin::export,
        crate::admin::order_route,
        crate::admin::qr_sheet,
        crate::admin::qr_page,
        crate::photos::get_photo,
        crate::photos::upload_status,
        crate::photos::upload_chunk,
    ),
    components(schemas(shared::wire::ApiError)),
    modifiers(&BearerToken)
)]
pub struct ApiDoc;

/// The document, built once.
pub fn json() -> &'static serde_json::Value {
    static DOC: std::sync::OnceLock<serde_json::Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| serde_json::to_value(ApiDoc::openapi()).expect("the document serialises"))
}

/// `GET /api/v1/openapi.json`.
pub async fn document() -> Json<serde_json::Value> {
    Json(json().clone())
}
