//! The photo endpoints: resumable chunked uploads and access-checked downloads.
//!
//! - `GET  /api/v1/photos/{hash}/upload` → [`UploadStatus`]: where to continue.
//! - `PUT  /api/v1/photos/{hash}/upload?offset=N&total=T` with one chunk as the
//!   body → [`UploadStatus`]. The last chunk triggers the hash and content check.
//! - `GET  /api/v1/photos/{hash}[?stamp=1]` → the JPEG, optionally with the
//!   evidence caption burned in.
//!
//! A photo is reachable only through a document that refers to it: a user may
//! upload or read it only when a document of their site does (404 when no
//! document refers to it, 403 when only other sites' documents do). Documents
//! sync first, so by the time a device uploads, its issue is on the server.

use crate::accounts;
use crate::api::{AppState, Auth, blocking};
use crate::blobs::{BlobError, BlobState};
use crate::error::{ApiError, StoreError};
use crate::store::Txn;
use crate::validate::Sender;
use axum::Json;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use photo::stamp::{Caption, Fonts};
use serde::Deserialize;
use shared::ids::DocId;
use shared::issue::PhotoHash;
use shared::wire::{DocKind, MAX_PHOTO_BYTES, MAX_PHOTO_SIDE, UploadStatus};

/// Largest chunk body accepted by one upload request.
pub const MAX_CHUNK: usize = shared::limits::UPLOAD_CHUNK_BYTES;

fn parse_hash(hash: &str) -> Result<String, ApiError> {
    PhotoHash::parse(hash)
        .map(|h| h.as_str().to_string())
        .map_err(|e| ApiError::bad_request("bad_hash", e.to_string()))
}

/// The documents of the sender's sites that refer to `hash`.
fn visible_docs(txn: &mut dyn Txn, sender: &Sender, hash: &str) -> Result<Vec<DocId>, ApiError> {
    let refs = txn.photo_refs(hash)?;
    if refs.is_empty() {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "photo_unknown",
            "no document refers to this photo; sync the issue that carries it first",
        ));
    }
    let mine: Vec<DocId> = refs
        .iter()
        .filter(|(_, site)| sender.sites.contains(site))
        .map(|(doc, _)| *doc)
        .collect();
    if mine.is_empty() {
        return Err(ApiError::forbidden(
            "this photo belongs to another site's records",
        ));
    }
    Ok(mine)
}

fn blob_error(e: BlobError) -> ApiError {
    match e {
        BlobError::OffsetMismatch { .. } => {
            ApiError::new(StatusCode::CONFLICT, "offset_mismatch", e.to_string())
        }
        BlobError::TotalMismatch { .. } => {
            ApiError::new(StatusCode::CONFLICT, "total_mismatch", e.to_string())
        }
        BlobError::HashMismatch { .. } => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "hash_mismatch",
            e.to_string(),
        ),
        BlobError::Rejected(_) => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_a_photo",
            e.to_string(),
        ),
        BlobError::Io(io) => {
            tracing::error!(error = %io, "blob storage failure");
            ApiError::from(StoreError::Corrupt("blob storage".into()))
        }
    }
}

fn status_of(state: BlobState) -> UploadStatus {
    UploadStatus {
        received: state.received(),
        complete: matches!(state, BlobState::Complete(_)),
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/photos/{hash}/upload",
    tag = "photos",
    summary = "How much of this device's upload of a photo has arrived.",
    params(("hash" = String, Path)),
    responses((status = 200, body = UploadStatus), crate::openapi::Errors),
    security(("bearer" = [])),
)]
pub async fn upload_status(
    State(state): State<AppState>,
    Auth(sender): Auth,
    Path(hash): Path<String>,
) -> Result<Json<UploadStatus>, ApiError> {
    let hash = parse_hash(&hash)?;
    blocking(move || {
        let mut txn = state.store.read()?;
        visible_docs(&mut *txn, &sender, &hash)?;
        drop(txn);
        Ok(Json(status_of(
            state
                .blobs
                .state(&hash, &uploader(&sender))
                .map_err(blob_error)?,
        )))
    })
    .await
}

/// Whose upload in progress a request continues: the device's login.
fn uploader(sender: &Sender) -> String {
    sender.device.as_uuid().simple().to_string()
}

/// Query string of a chunk upload.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ChunkParams {
    pub offset: u64,
    pub total: u64,
}

#[utoipa::path(
    put,
    path = "/api/v1/photos/{hash}/upload",
    tag = "photos",
    summary = "One chunk of a resumable upload.",
    params(("hash" = String, Path), ChunkParams),
    request_body(content = crate::openapi::Binary, content_type = "application/octet-stream"),
    responses((status = 200, body = UploadStatus), crate::openapi::Errors),
    security(("bearer" = [])),
)]
pub async fn upload_chunk(
    State(state): State<AppState>,
    Auth(sender): Auth,
    Path(hash): Path<String>,
    params: Result<Query<ChunkParams>, axum::extract::rejection::QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<UploadStatus>, ApiError> {
    let hash = parse_hash(&hash)?;
    let Query(p) = params.map_err(|e| ApiError::bad_request("bad_offset", e.body_text()))?;
    let body = body.map_err(|e| {
        ApiError::new(
            e.status(),
            "bad_body",
            format!("the chunk was refused: {}", e.body_text()),
        )
    })?;
    if p.total == 0 || p.total > MAX_PHOTO_BYTES {
        return Err(ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "photo_too_large",
            format!("a photo may be at most {MAX_PHOTO_BYTES} bytes (and not empty)"),
        ));
    }
    if p.offset
        .checked_add(body.len() as u64)
        .is_none_or(|end| end > p.total)
    {
        return Err(ApiError::bad_request(
            "bad_offset",
            "the chunk runs past the photo's total size",
        ));
    }
    blocking(move || {
        let mut txn = state.store.read()?;
        visible_docs(&mut *txn, &sender, &hash)?;
        drop(txn);
        let me = uploader(&sender);
        let received = state
            .blobs
            .append(&hash, &me, p.offset, p.total, &body)
            .map_err(blob_error)?;
        if received == p.total
            && !matches!(state.blobs.state(&hash, &me), Ok(BlobState::Complete(_)))
        {
            let check = |bytes: &[u8]| {
                photo::check_upload(bytes, MAX_PHOTO_SIDE)
                    .map(|_| ())
                    .map_err(|e| e.to_string())
            };
            state.blobs.finish(&hash, &me, &check).map_err(blob_error)?;
            tracing::info!(%hash, bytes = p.total, "photo stored");
        }
        Ok(Json(status_of(
            state.blobs.state(&hash, &me).map_err(blob_error)?,
        )))
    })
    .await
}

/// Query string of a photo download.
#[derive(Debug, Deserialize, Default, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GetParams {
    /// Burn in the evidence caption.
    #[serde(default)]
    pub stamp: Option<String>,
    /// The issue whose time and place the caption gives (one photo may be on
    /// two issues); default: the first issue that carries it.
    #[serde(default)]
    pub issue: Option<String>,
}

#[utoipa::path(
    get,
    path = "/api/v1/photos/{hash}",
    tag = "photos",
    summary = "A photo (JPEG); with `stamp=1` the evidence caption is burned in.",
    params(("hash" = String, Path), GetParams),
    responses((status = 200, description = "JPEG", content_type = "image/jpeg", body = crate::openapi::Binary), (status = 304, description = "Not modified"), crate::openapi::Errors),
    security(("bearer" = [])),
)]
pub async fn get_photo(
    State(state): State<AppState>,
    Auth(sender): Auth,
    Path(hash): Path<String>,
    p: Result<Query<GetParams>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let Query(p) = p.map_err(crate::api::bad_query)?;
    let hash = parse_hash(&hash)?;
    let stamp = matches!(p.stamp.as_deref(), Some("1" | "true" | "yes"));
    let within: Option<shared::IssueId> =
        match p.issue.as_deref().filter(|i| !i.is_empty()) {
            Some(i) => Some(i.parse().map_err(|_| {
                ApiError::bad_request("bad_id", format!("`{i}` is not an issue id"))
            })?),
            None => None,
        };
    let etag = format!(
        "\"{hash}{}{}\"",
        if stamp { "-stamped" } else { "" },
        within
            .filter(|_| stamp)
            .map(|i| format!("-{i}"))
            .unwrap_or_default()
    );
    let cached = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let (bytes, caption) = blocking(move || {
        let mut txn = state.store.read()?;
        let docs = visible_docs(&mut *txn, &sender, &hash)?;
        if cached {
            return Ok((Vec::new(), None));
        }
        let bytes = state.blobs.get(&hash).map_err(blob_error)?.ok_or_else(|| {
            ApiError::new(
                StatusCode::NOT_FOUND,
                "photo_not_uploaded",
                "the device that took this photo has not uploaded it yet",
            )
        })?;
        if !stamp {
            return Ok((bytes, None));
        }
        let docs: Vec<DocId> = match within {
            Some(i) => docs.into_iter().filter(|d| *d == DocId::from(i)).collect(),
            None => docs,
        };
        let caption = caption_for(&mut *txn, &docs, &hash)?;
        let fonts = state.fonts();
        let (stamped, drawn) = photo::stamp::stamp_jpeg(&bytes, &caption, fonts).map_err(|e| {
            tracing::error!(error = %e, %hash, "cannot stamp a stored photo");
            ApiError::from(StoreError::Corrupt("stored photo".into()))
        })?;
        Ok((stamped, Some(drawn)))
    })
    .await?;
    let mut resp = if cached {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        bytes.into_response()
    };
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("image/jpeg"));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(if stamp {
            "private, max-age=3600"
        } else {
            "private, max-age=31536000, immutable"
        }),
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    if let Some(drawn) = caption {
        h.insert("x-caption", HeaderValue::from_static(drawn.code()));
    }
    Ok(resp)
}

/// The evidence caption of a photo, from the issue that carries it and the site plan.
fn caption_for(txn: &mut dyn Txn, docs: &[DocId], hash: &str) -> Result<Caption, ApiError> {
    let corrupt = |e: String| ApiError::from(StoreError::Corrupt(e));
    for &id in docs {
        let Some(stored) = txn.doc(id)?.filter(|d| d.kind == DocKind::Issue) else {
            continue;
        };
        let d = automerge::AutoCommit::load(&stored.bytes).map_err(|e| corrupt(e.to_string()))?;
        let events = shared::doc::issue_events(&d).map_err(|e| corrupt(e.to_string()))?;
        let view = shared::issue::fold(id.into(), events).map_err(|e| corrupt(e.to_string()))?;
        if view.photo(hash).is_none() {
            continue;
        }
        let site = txn
            .site(view.site)?
            .ok_or_else(|| corrupt("issue of an unknown site".into()))?;
        let (_, plan) = accounts::load_plan(txn, &site).map_err(|e| corrupt(e.to_string()))?;
        if let Some(caption) = photo::stamp::caption_for(&plan, &view, hash) {
            return Ok(caption);
        }
    }
    Err(ApiError::not_found("photo"))
}

/// Discovers caption fonts once per process and logs what is missing.
pub fn discover_fonts(configured: Option<&std::path::Path>) -> Fonts {
    let fonts = Fonts::discover(configured);
    if let Some(w) = &fonts.warning {
        tracing::warn!("photo captions: {w}");
    }
    fonts
}
