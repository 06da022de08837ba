//! `/health`, `/ready`, `/metrics`, `/docs` and `/api/v1/openapi.json`.

use std::collections::BTreeMap;
use std::time::Duration;

use actix_web::http::header::{CONTENT_TYPE, LOCATION};
use actix_web::{HttpResponse, get, web};

use super::{NO_STORE, OpenApiDocument};
use crate::AppState;
use crate::dto::service::{CheckStatus, Health, Readiness};

/// How long one readiness check may take before it counts as failed: short enough that
/// `/ready` answers within two seconds even when a dependency hangs.
const CHECK_TIMEOUT: Duration = Duration::from_secs(1);

/// Liveness: answers as long as the process serves HTTP.
#[utoipa::path(
    tag = "service",
    operation_id = "health",
    summary = "Liveness",
    description = "Answers `ok` and the running version as long as the process serves HTTP. Touches no dependency.",
    responses((status = 200, description = "The process is alive.", body = Health,
        example = json!({ "status": "ok", "version": "0.1.0" })))
)]
#[get("/health")]
pub(crate) async fn health(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok".to_owned(),
        version: state.http.version.clone(),
    })
}

/// Readiness: every dependency check, concurrently, each bounded by [`CHECK_TIMEOUT`].
#[utoipa::path(
    tag = "service",
    operation_id = "ready",
    summary = "Readiness",
    description = "Runs every dependency check (database, storage) concurrently, each bounded by 1 s, so it answers within 2 s. \
        200 when all pass; 503 naming the failing one otherwise.",
    responses(
        (status = 200, description = "Every dependency answered.", body = Readiness),
        (status = 503, description = "At least one dependency failed or timed out.", body = Readiness,
            example = json!({
                "status": "error",
                "checks": {
                    "database": { "status": "ok" },
                    "storage": { "status": "error", "error": "storage is not reachable" }
                }
            }))
    )
)]
#[get("/ready")]
pub(crate) async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let runs = state.readiness.iter().map(|(name, check)| async move {
        let status = match tokio::time::timeout(CHECK_TIMEOUT, check.check()).await {
            Ok(Ok(())) => CheckStatus {
                status: "ok".to_owned(),
                error: None,
            },
            Ok(Err(message)) => CheckStatus {
                status: "error".to_owned(),
                error: Some(message),
            },
            Err(_) => CheckStatus {
                status: "error".to_owned(),
                error: Some(format!("timed out after {} s", CHECK_TIMEOUT.as_secs_f64())),
            },
        };
        (name.clone(), status)
    });
    let checks: BTreeMap<String, CheckStatus> =
        futures::future::join_all(runs).await.into_iter().collect();
    let failed = checks.values().any(|c| c.status != "ok");
    for (name, check) in checks.iter().filter(|(_, c)| c.status != "ok") {
        tracing::warn!(check = %name, error = check.error.as_deref().unwrap_or(""), "readiness check failed");
    }
    let body = Readiness {
        status: if failed { "error" } else { "ok" }.to_owned(),
        checks,
    };
    let mut res = if failed {
        HttpResponse::ServiceUnavailable()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header(NO_STORE).json(body)
}

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(
    tag = "service",
    operation_id = "openapi",
    summary = "This OpenAPI document",
    description = "The OpenAPI 3.1 document, identical to what `plinth openapi` prints.",
    responses((status = 200, description = "The document.", body = Object, content_type = "application/json",
        example = json!({ "openapi": "3.1.0", "info": { "title": "Plinth", "version": "0.1.0" }, "paths": {} })))
)]
#[get("/openapi.json")]
pub(crate) async fn openapi_document(document: web::Data<OpenApiDocument>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "application/json"))
        .body(document.0.clone())
}

/// Interactive documentation (Swagger UI, served from the binary: no internet needed).
#[utoipa::path(
    tag = "service",
    operation_id = "docs",
    summary = "Interactive API documentation",
    description = "Redirects to `/docs/`, a Swagger UI bundled in the binary (works with no internet access) \
        that reads `/api/v1/openapi.json`.",
    responses((status = 308, description = "Go to `/docs/`.", headers(("Location" = String, description = "`/docs/`"))))
)]
#[get("/docs")]
pub(crate) async fn docs() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((LOCATION, "/docs/"))
        .finish()
}

/// Prometheus metrics.
#[utoipa::path(
    tag = "service",
    operation_id = "metrics",
    summary = "Prometheus metrics",
    description = "The Prometheus text exposition: `http_requests_total` and `http_request_duration_seconds` \
        by `method`, `route` (the route template, or `unmatched`) and `status`; `http_requests_in_flight`; \
        `db_pool_connections_in_use`, \
        `db_pool_connections_open`, `db_pool_connections_max`; `password_hash_queue_depth` and \
        `password_hash_running` (bcrypt on the blocking pool); `audit_append_failures_total` and \
        `mail_send_failures_total`. Never rate limited; restrict access to it at your proxy if it should not be public.",
    responses((status = 200, description = "The exposition.", body = String,
        content_type = "text/plain; version=0.0.4",
        example = "# TYPE http_requests_total counter\nhttp_requests_total{method=\"GET\",route=\"/api/v1/me\",status=\"200\"} 3\n"))
)]
#[get("/metrics")]
pub(crate) async fn metrics() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, crate::metrics::CONTENT_TYPE))
        .insert_header(NO_STORE)
        .body(crate::metrics::render())
}
