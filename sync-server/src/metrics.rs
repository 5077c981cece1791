//! What an operator watches: Prometheus metrics at `/metrics` (OpenMetrics
//! text), `/healthz` (the process answers) and `/readyz` (the store answers).
//!
//! The figures are kept in this process; every replica serves its own and
//! Prometheus adds them up. Queue depths are read from the store at each
//! scrape, so any replica reports the same shared queues.

use crate::store::Store;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long `/readyz` waits for the store before it says not ready.
pub const READY_WITHIN: Duration = Duration::from_secs(2);

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    pub method: String,
    /// The route's pattern (`/api/v1/issues/{id}`), never the raw path, so
    /// ids do not make a series each.
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct JobLabels {
    pub job: String,
    pub outcome: String,
}

type HistogramFamily<L> = Family<L, Histogram, fn() -> Histogram>;

fn latency_histogram() -> Histogram {
    // 1 ms … about 16 s.
    Histogram::new(exponential_buckets(0.001, 2.0, 15))
}

fn docs_histogram() -> Histogram {
    // 1 … 1,024 documents.
    Histogram::new(exponential_buckets(1.0, 2.0, 11))
}

/// The server's metrics.
pub struct Metrics {
    registry: Registry,
    requests: HistogramFamily<RouteLabels>,
    pub sync_rounds: Counter,
    pub sync_refused_docs: Counter,
    pub sync_bytes_received: Counter,
    pub sync_bytes_sent: Counter,
    pub sync_docs_sent: Histogram,
    pub job_runs: Family<JobLabels, Counter>,
    webhook_backlog: Gauge,
    unacknowledged: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::default();
        let requests: HistogramFamily<RouteLabels> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "http_request_duration_seconds",
            "Time to answer a request, by method, route pattern and status",
            requests.clone(),
        );
        let sync_rounds = Counter::default();
        registry.register(
            "sync_rounds",
            "Sync rounds served (one request each)",
            sync_rounds.clone(),
        );
        let sync_refused_docs = Counter::default();
        registry.register(
            "sync_refused_documents",
            "Documents refused in sync rounds",
            sync_refused_docs.clone(),
        );
        let sync_bytes_received = Counter::default();
        registry.register(
            "sync_received_bytes",
            "Bytes of sync request bodies",
            sync_bytes_received.clone(),
        );
        let sync_bytes_sent = Counter::default();
        registry.register(
            "sync_sent_bytes",
            "Bytes of sync response bodies, before compression",
            sync_bytes_sent.clone(),
        );
        let sync_docs_sent = docs_histogram();
        registry.register(
            "sync_documents_per_round",
            "Documents the server answered in one round",
            sync_docs_sent.clone(),
        );
        let job_runs = Family::<JobLabels, Counter>::default();
        registry.register(
            "job_runs",
            "Runs of the scheduled jobs, by job and outcome",
            job_runs.clone(),
        );
        let webhook_backlog = Gauge::default();
        registry.register(
            "webhook_backlog",
            "Webhook calls queued and not yet delivered",
            webhook_backlog.clone(),
        );
        let unacknowledged = Gauge::default();
        registry.register(
            "sync_unacknowledged_documents",
            "Documents sent to devices that they have not yet acknowledged",
            unacknowledged.clone(),
        );
        Metrics {
            registry,
            requests,
            sync_rounds,
            sync_refused_docs,
            sync_bytes_received,
            sync_bytes_sent,
            sync_docs_sent,
            job_runs,
            webhook_backlog,
            unacknowledged,
        }
    }
}

impl Metrics {
    /// A run of a scheduled job.
    pub fn job_ran(&self, job: &str, ok: bool) {
        self.job_tick(job, if ok { "ok" } else { "failed" });
    }

    /// A tick of a scheduled job that another replica holds the lease of.
    pub fn job_standby(&self, job: &str) {
        self.job_tick(job, "standby");
    }

    fn job_tick(&self, job: &str, outcome: &str) {
        self.job_runs
            .get_or_create(&JobLabels {
                job: job.into(),
                outcome: outcome.into(),
            })
            .inc();
    }

    /// The text exposition, with the queue depths read from `store` now.
    pub fn render(&self, store: &dyn Store) -> Result<String, crate::error::StoreError> {
        let depths = {
            let mut txn = store.read()?;
            txn.queue_depths()?
        };
        self.webhook_backlog
            .set(i64::try_from(depths.webhooks).unwrap_or(i64::MAX));
        self.unacknowledged
            .set(i64::try_from(depths.unacknowledged).unwrap_or(i64::MAX));
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String does not fail");
        Ok(out)
    }
}

/// Times every request by its route pattern.
pub async fn track(State(metrics): State<Arc<Metrics>>, req: Request, next: Next) -> Response {
    let method = req.method().as_str().to_string();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|| "other".into());
    let start = Instant::now();
    let resp = next.run(req).await;
    metrics
        .requests
        .get_or_create(&RouteLabels {
            method,
            route,
            status: resp.status().as_u16(),
        })
        .observe(start.elapsed().as_secs_f64());
    resp
}

/// `GET /metrics`.
pub async fn serve_metrics(State(state): State<crate::api::AppState>) -> Response {
    let metrics = state.metrics.clone();
    let store = state.store.clone();
    match tokio::task::spawn_blocking(move || metrics.render(&*store)).await {
        Ok(Ok(text)) => (
            [(
                header::CONTENT_TYPE,
                "application/openmetrics-text; version=1.0.0; charset=utf-8",
            )],
            text,
        )
            .into_response(),
        Ok(Err(e)) => {
            tracing::error!(error = %e, "metrics: the store did not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                "the store did not answer\n",
            )
                .into_response()
        }
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "metrics failed\n").into_response(),
    }
}

/// `GET /healthz`: the process is up and answering.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// `GET /readyz`: 200 only when the store answers ([`Store::ping`]) within
/// [`READY_WITHIN`]; a load balancer sends no traffic to a replica whose
/// store is gone.
pub async fn readyz(State(state): State<crate::api::AppState>) -> Response {
    let store = state.store.clone();
    let check = tokio::task::spawn_blocking(move || store.ping());
    let refused = |why: String| {
        tracing::warn!(reason = %why, "not ready");
        (
            StatusCode::SERVICE_UNAVAILABLE,
            format!("not ready: {why}\n"),
        )
            .into_response()
    };
    match tokio::time::timeout(READY_WITHIN, check).await {
        Ok(Ok(Ok(()))) => (StatusCode::OK, "ready\n").into_response(),
        Ok(Ok(Err(e))) => refused(format!("the store did not answer: {e}")),
        Ok(Err(_)) => refused("the check failed".into()),
        Err(_) => refused("the store did not answer in time".into()),
    }
}
