//! Complainants' full contacts, kept outside the issue documents.
//!
//! An issue document reaches every device of its site, so the raise event of
//! a complaint carries the contact masked (`王女士 138****5678`); the sync
//! validator refuses one that does not. The full contact travels on its own:
//! the device that entered the complaint sends it here once the document has
//! synced, and only roles that call residents back
//! ([`shared::policy::may_see_contacts`]) may send or read it.

use crate::api::{AppState, Auth, blocking};
use crate::error::ApiError;
use crate::validate::Sender;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::{Json, Router, routing};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use shared::ids::*;
use shared::wire::{ComplaintContact, ContactPage, DocKind};

/// Contacts one `GET /api/v1/contacts` returns at most.
pub const PAGE: usize = 500;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/issues/{id}/contact", routing::put(put_contact))
        .route("/api/v1/contacts", routing::get(list_contacts))
}

fn may_see(sender: &Sender) -> Result<(), ApiError> {
    if shared::policy::may_see_contacts(sender.role) {
        Ok(())
    } else {
        Err(ApiError::forbidden(format!(
            "role {} does not call residents back and sees contacts masked",
            sender.role.code()
        )))
    }
}

/// The body of `PUT /api/v1/issues/{id}/contact`.
#[derive(Debug, Deserialize, Serialize, utoipa::ToSchema)]
pub struct ContactBody {
    /// Name and phone number in full; masked, it must equal the document's.
    pub contact: String,
}

/// `PUT /api/v1/issues/{id}/contact`: the full contact of a complaint.
#[utoipa::path(
    put,
    path = "/api/v1/issues/{id}/contact",
    tag = "issues",
    summary = "Send a complaint's full contact (kept outside its document).",
    params(("id" = String, Path, description = "Issue id (UUID)")),
    request_body = ContactBody,
    responses(
        (status = 200, body = ComplaintContact, description = "Kept, or already kept the same"),
        crate::openapi::Errors
    ),
    security(("bearer" = [])),
)]
pub(crate) async fn put_contact(
    State(state): State<AppState>,
    Auth(sender): Auth,
    Path(id): Path<String>,
    body: Result<Json<ContactBody>, JsonRejection>,
) -> Result<Json<ComplaintContact>, ApiError> {
    let id: IssueId = id
        .parse()
        .map_err(|e: IdParseError| ApiError::bad_request("bad_id", e.to_string()))?;
    let Json(body) = body.map_err(|e| {
        ApiError::bad_request("malformed", format!("not a contact: {}", e.body_text()))
    })?;
    may_see(&sender)?;
    let contact = shared::text::required("contact", &body.contact, shared::text::NAME_MAX)
        .map_err(|e| ApiError::invalid(&e))?;
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.begin()?;
        let stored = txn
            .doc(id.into())?
            .filter(|d| d.kind == DocKind::Issue && sender.sites.contains(&d.site))
            // Same answer as a missing issue: ids of other sites are not confirmed.
            .ok_or_else(|| ApiError::not_found("issue"))?;
        let corrupt = |e: String| ApiError::from(crate::error::StoreError::Corrupt(e));
        let d = automerge::AutoCommit::load(&stored.bytes).map_err(|e| corrupt(e.to_string()))?;
        let events = shared::doc::issue_events(&d).map_err(|e| corrupt(e.to_string()))?;
        let view = shared::issue::fold(id, events).map_err(|e| corrupt(e.to_string()))?;
        let Some(complaint) = view.complaint else {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "not_a_complaint",
                "this issue is a patrol finding; only complaints have a contact",
            ));
        };
        if shared::issue::mask_contact(&contact) != complaint.masked_contact() {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "contact_mismatch",
                format!(
                    "this contact does not match the complaint's `{}`",
                    complaint.masked_contact()
                ),
            ));
        }
        let (kept, received_at) = txn.put_contact(id, stored.site, &contact, Utc::now())?;
        if kept != contact {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "contact_kept",
                "this complaint already has a different contact; it is not replaced",
            ));
        }
        txn.commit()?;
        Ok(Json(ComplaintContact {
            issue: id,
            contact,
            received_at,
        }))
    })
    .await
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContactQuery {
    /// Only contacts after this cursor (the `next` of the previous page).
    after: Option<String>,
}

/// `GET /api/v1/contacts?after=`: the full contacts of the caller's site's
/// complaints, a page at a time in the order the server received them.
#[utoipa::path(
    get,
    path = "/api/v1/contacts",
    tag = "issues",
    summary = "Full contacts of the site's complaints, for those who call back.",
    params(ContactQuery),
    responses((status = 200, body = ContactPage), crate::openapi::Errors),
    security(("bearer" = [])),
)]
pub(crate) async fn list_contacts(
    State(state): State<AppState>,
    Auth(sender): Auth,
    q: Result<Query<ContactQuery>, QueryRejection>,
) -> Result<Json<ContactPage>, ApiError> {
    let Query(q) = q.map_err(crate::api::bad_query)?;
    may_see(&sender)?;
    let after = match q.after.as_deref() {
        None | Some("") => None,
        Some(c) => Some(ComplaintContact::parse_cursor(c).ok_or_else(|| {
            ApiError::bad_request("bad_cursor", format!("`{c}` is not a cursor from `next`"))
        })?),
    };
    let store = state.store.clone();
    blocking(move || {
        let mut txn = store.read()?;
        let mut contacts = txn.contacts_after(&sender.sites, after, PAGE + 1)?;
        let more = contacts.len() > PAGE;
        contacts.truncate(PAGE);
        let next = contacts.last().map(ComplaintContact::cursor).or(q.after);
        Ok(Json(ContactPage {
            contacts,
            next,
            more,
        }))
    })
    .await
}
