//! Errors at the HTTP boundary: a status, a stable code and a sentence the client can act on.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use shared::wire::ApiError as Body;

/// Storage failed; details are logged, never sent to clients.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("database: {}", postgres_detail(.0))]
    Postgres(#[from] postgres::Error),
    #[error("stored data is damaged: {0}")]
    Corrupt(String),
    #[error("{0}")]
    Conflict(String),
}

/// A PostgreSQL error with the server's own sentence (its `Display` alone
/// says only "db error").
fn postgres_detail(e: &postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({}): {}", db.severity(), db.code().code(), db.message()),
        None => match std::error::Error::source(e) {
            Some(cause) => format!("{e}: {cause}"),
            None => e.to_string(),
        },
    }
}

/// An error answered to an HTTP client as `{code, message}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    /// The sentence in Chinese; empty where the client's sentence for `code` says it.
    pub message_zh: String,
    /// The bad rows of a refused import, each with its line and column.
    pub rows: Vec<shared::wire::LineError>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            message_zh: String::new(),
            rows: Vec::new(),
        }
    }
    /// The same error with its Chinese sentence.
    pub fn zh(mut self, message_zh: impl Into<String>) -> Self {
        self.message_zh = message_zh.into();
        self
    }
    /// A refused input, said in both languages.
    pub fn invalid(e: &impl shared::text::Bilingual) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", e.to_string()).zh(e.zh())
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unauthorized() -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "the login token is missing, unknown or revoked; log in again",
        )
    }
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("no such {what}"),
        )
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        // Text PostgreSQL cannot hold (a NUL) that reached a statement past
        // [`crate::nul`]'s checks is still the client's input, not a failure.
        if let StoreError::Postgres(pg) = &e
            && pg.code() == Some(&postgres::error::SqlState::CHARACTER_NOT_IN_REPERTOIRE)
        {
            tracing::warn!(error = %e, "text refused by the database");
            return ApiError::bad_request(
                "nul_character",
                "the request holds a character no text may contain (U+0000)",
            );
        }
        tracing::error!(error = %e, "storage failure");
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "the server could not complete the request; try again",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = Body {
            code: self.code.to_string(),
            message: self.message,
            message_zh: self.message_zh,
            rows: self.rows,
        };
        (self.status, axum::Json(body)).into_response()
    }
}
