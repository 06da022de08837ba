//! The database circuit: while the database is known to be down, API calls answer
//! `503 unavailable` at once instead of each waiting for the pool's acquire timeout.
//!
//! The circuit is closed normally. Any 503 answer, an API call still unanswered after
//! [`SUSPECT_AFTER`], and a failed `/ready` database check only *suspect* the database: the
//! embedding program (`plinth`'s prober) then checks it with a connection of its own, opens
//! the circuit when that fails and, while open, checks again every second and closes it once
//! the database answers. So a slow query, a busy pool or one
//! dropped connection to a healthy database never opens it; a stopped or unreachable one does.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{HeaderValue, RETRY_AFTER};
use actix_web::middleware::Next;
use actix_web::{ResponseError as _, web};
use tokio::sync::Notify;

use crate::{ApiError, AppState};

/// Whether the database is known to be down. Cheap to clone; every clone is the same circuit.
#[derive(Debug, Clone, Default)]
pub struct Circuit(Arc<Inner>);

#[derive(Debug, Default)]
struct Inner {
    open: AtomicBool,
    suspect: Notify,
}

impl Circuit {
    /// `true` while the database is known to be down.
    #[must_use]
    pub fn is_open(&self) -> bool {
        self.0.open.load(Ordering::Acquire)
    }

    /// Opens the circuit; `true` when it was closed.
    pub fn open(&self) -> bool {
        !self.0.open.swap(true, Ordering::AcqRel)
    }

    /// Closes the circuit; `true` when it was open.
    pub fn close(&self) -> bool {
        self.0.open.swap(false, Ordering::AcqRel)
    }

    /// Asks for the database to be checked soon (several calls before the check count once).
    pub fn suspect(&self) {
        self.0.suspect.notify_one();
    }

    /// Waits until [`Circuit::suspect`] is called (or returns at once if it was called since
    /// the last wait).
    pub async fn suspected(&self) {
        self.0.suspect.notified().await;
    }
}

/// The `Retry-After` of an answer refused by the open circuit: the database is checked again
/// every second.
const RETRY_AFTER_OPEN: HeaderValue = HeaderValue::from_static("1");

/// How long an API call may run before it has the database checked. A stopped database refuses
/// connections at once, but the pool retries a refused connect until its acquire timeout (3 s):
/// without this, the calls of the first three seconds of an outage all waited that long before
/// anything suspected the database. Far above a healthy call (a sign-in's bcrypt takes about a
/// quarter of a second); at most one check a second however many calls are slow.
pub const SUSPECT_AFTER: std::time::Duration = std::time::Duration::from_millis(500);

/// Why an API call was refused without trying the database.
#[derive(Debug, thiserror::Error)]
#[error("the database is unreachable (its circuit is open until a probe answers)")]
struct CircuitOpen;

/// Whether a request goes through the circuit: every `/api/` route but the OpenAPI document.
fn guarded(path: &str) -> bool {
    path.starts_with("/api/") && path != "/api/v1/openapi.json"
}

/// The middleware (wrap it with `actix_web::middleware::from_fn`, inside the request-id one):
/// refuses guarded requests at once while the circuit is open, and suspects the database on
/// every 503 answer and every call still running after [`SUSPECT_AFTER`] (the call itself goes
/// on: only calls arriving once the circuit is open are refused).
pub(crate) async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let circuit = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.circuit.clone());
    let Some(circuit) = circuit.filter(|_| guarded(req.path())) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if circuit.is_open() {
        let mut res = ApiError::Unavailable(Box::new(CircuitOpen)).error_response();
        res.headers_mut().insert(RETRY_AFTER, RETRY_AFTER_OPEN);
        return Ok(req.into_response(res));
    }
    let call = next.call(req);
    tokio::pin!(call);
    let res = tokio::select! {
        res = &mut call => res,
        () = tokio::time::sleep(SUSPECT_AFTER) => {
            circuit.suspect();
            call.await
        }
    }?
    .map_into_boxed_body();
    if res.status() == StatusCode::SERVICE_UNAVAILABLE {
        circuit.suspect();
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_api_is_guarded_but_not_its_document_or_the_probes() {
        assert!(guarded("/api/v1/files"));
        assert!(guarded("/api/v1/auth/login"));
        assert!(!guarded("/api/v1/openapi.json"));
        for path in ["/health", "/ready", "/metrics", "/docs/"] {
            assert!(!guarded(path), "{path}");
        }
    }

    #[test]
    fn open_and_close_report_a_change() {
        let circuit = Circuit::default();
        assert!(!circuit.is_open());
        assert!(circuit.open());
        assert!(!circuit.open(), "already open");
        assert!(circuit.clone().is_open(), "clones share the state");
        assert!(circuit.close());
        assert!(!circuit.close(), "already closed");
    }
}
