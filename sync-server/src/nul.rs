//! No NUL character enters the tracker through the HTTP API.
//!
//! PostgreSQL text cannot hold NUL (U+0000), so a name, a comment or a search
//! carrying one would fail deep inside a statement; SQLite would keep it and
//! hand it on to exports and other devices. Sync refuses it per change
//! ([`crate::chunks`]); this layer refuses it for everything else, before any
//! handler runs, with the same answer on every store: 400 `nul_character`.
//! It looks at the path and query (`%00`) and at JSON bodies (a `\u0000`
//! escape); other bodies (photos, the sync protocol) are binary and checked
//! where they are read.

use crate::error::ApiError;
use axum::body::Body;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// The largest JSON body any route accepts (a certificate's scan, or an
/// import); a route's own smaller limit still applies when its handler reads
/// the body. Never below any route's own: a body that route takes must pass.
pub const MAX_JSON_BODY: usize = {
    let (a, b) = (
        crate::admin::MAX_IMPORT_BODY,
        crate::admin::MAX_CERTIFICATE_BODY,
    );
    if a > b { a } else { b }
};

fn refused(where_: &str) -> ApiError {
    ApiError::bad_request(
        "nul_character",
        format!("the request's {where_} holds a NUL character (U+0000), which no text may contain"),
    )
    .zh("请求中含有空字符（U+0000），任何文字都不能包含它")
}

/// Refuses a request whose path, query or JSON body holds a NUL character.
pub async fn refuse_nul(req: Request, next: Next) -> Response {
    if req.uri().path().contains("%00") {
        return refused("path").into_response();
    }
    if req.uri().query().is_some_and(|q| q.contains("%00")) {
        return refused("query").into_response();
    }
    let json = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().contains("json"));
    if !json {
        return next.run(req).await;
    }
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_JSON_BODY).await {
        Ok(b) => b,
        Err(_) => {
            return ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("a JSON body may be at most {MAX_JSON_BODY} bytes"),
            )
            .into_response();
        }
    };
    if json_has_nul(&bytes) {
        return refused("body").into_response();
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Whether JSON text holds a NUL: a raw zero byte, or a `\u0000` escape
/// (and not an escaped backslash followed by the letters `u0000`).
pub fn json_has_nul(text: &[u8]) -> bool {
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            0 => return true,
            b'\\' => {
                if text.get(i + 1) == Some(&b'u') && text.get(i + 2..i + 6) == Some(b"0000") {
                    return true;
                }
                // Skip the escaped character, so `\\` cannot start another escape.
                i += 2;
            }
            _ => i += 1,
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::json_has_nul;

    #[test]
    fn finds_the_escape_and_the_raw_byte_but_not_an_escaped_backslash() {
        assert!(json_has_nul(br#"{"name":"a\u0000b"}"#));
        assert!(json_has_nul(b"{\"name\":\"a\0b\"}"));
        assert!(json_has_nul(br#"{"name":"\\\u0000"}"#));
        // An escaped backslash, then the letters u0000: text, not NUL.
        assert!(!json_has_nul(br#"{"name":"\\u0000"}"#));
        assert!(json_has_nul(br#"{"name":"\u0001\u00000"}"#));
        assert!(!json_has_nul(br#"{"name":"\u0030\n","n":0}"#));
        assert!(!json_has_nul(br#"{"a":"\"}"#));
        assert!(!json_has_nul(b""));
    }
}
