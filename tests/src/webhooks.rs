//! A webhook receiver on loopback for the job tests.

use axum::http::{HeaderMap, StatusCode};
use std::sync::{Arc, Mutex};

/// What the receiver saw: delivery id, attempt number, body.
pub type Seen = Arc<Mutex<Vec<(String, String, serde_json::Value)>>>;

/// A webhook receiver on 127.0.0.1:0 that fails the first `failures` calls.
pub async fn receiver(failures: usize) -> (String, Seen) {
    let seen: Seen = Arc::default();
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let log = log.clone();
            async move {
                let body: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                // The month just ended has its report announced too (see
                // forms.rs); these tests follow the issues' notifications.
                if body["kind"] == "monthly_report" {
                    return StatusCode::OK;
                }
                let mut log = log.lock().unwrap();
                let header = |k: &str| {
                    headers
                        .get(k)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("")
                        .to_string()
                };
                log.push((
                    header("x-patrol-delivery"),
                    header("x-patrol-attempt"),
                    body,
                ));
                if log.len() <= failures {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::OK
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.ok() });
    (url, seen)
}
