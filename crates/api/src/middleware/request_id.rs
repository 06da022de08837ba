//! The request-id middleware: every response carries `X-Request-Id` (a valid incoming one is
//! echoed, otherwise a UUIDv7 is generated), every problem body carries it as `request_id`,
//! and every error response that did not come from [`crate::ApiError`] (unknown route,
//! framework errors, Swagger UI misses) is turned into a problem too. It also stamps the
//! security headers ([`crate::middleware::security_headers`]) on every answer.

use std::future::{Ready, ready};
use std::sync::Arc;
use std::time::Instant;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE, HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest, HttpMessage, HttpRequest, HttpResponse, web};
use tracing::Instrument as _;

use crate::AppState;
use crate::extract::LoggedUser;
use crate::middleware::security_headers;
use crate::problem::{PROBLEM_JSON, Problem, ProblemMarker};

/// The header carrying the request id, in both directions.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// The id of the current request (as sent back in `X-Request-Id`). Extract it in a handler
/// or read it from the request extensions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RequestId(pub String);

impl RequestId {
    /// The id text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromRequest for RequestId {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let id = req.extensions().get::<Self>().cloned();
        ready(Ok(
            id.unwrap_or_else(|| Self(uuid::Uuid::now_v7().to_string()))
        ))
    }
}

/// Whether a client-supplied id may be echoed: 1–128 characters of `[A-Za-z0-9._-]`.
pub(crate) fn is_valid(id: &str) -> bool {
    (1..=128).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The middleware (wrap it outermost with `actix_web::middleware::from_fn`).
pub(crate) async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let id = req
        .headers()
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .filter(|s| is_valid(s))
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_owned);
    req.extensions_mut().insert(RequestId(id.clone()));
    // Until this returns, what the connection writes is this answer (see `Stamped`).
    let _answering = req
        .conn_data::<Arc<security_headers::Connection>>()
        .map(security_headers::Connection::answering);
    let path = req.path().to_owned();
    let hsts = req
        .app_data::<web::Data<AppState>>()
        .is_some_and(|s| s.http.hsts);
    let span = tracing::info_span!("http_request", request_id = %id, method = %req.method(), path = %req.path());
    let started = Instant::now();
    let res = match next.call(req).instrument(span.clone()).await {
        Ok(res) => res.map_into_boxed_body(),
        Err(e) => {
            // An inner middleware failed before any handler answered; the request is gone, so
            // the error renders itself as a problem carrying the id.
            let status = e.as_response_error().status_code();
            if status.is_server_error() {
                tracing::error!(parent: &span, request_id = %id, cause = %e, "request failed");
            }
            tracing::info!(parent: &span, status = status.as_u16(), "request completed");
            return Err(TaggedError {
                inner: e,
                request_id: id,
                path,
                hsts,
            }
            .into());
        }
    };
    // The route template (never the raw path, which may carry ids) and the signed-in user.
    let route = res
        .request()
        .match_pattern()
        .unwrap_or_else(|| crate::metrics::UNMATCHED.to_owned());
    let user_id = res
        .request()
        .extensions()
        .get::<LoggedUser>()
        .map(|u| u.0.clone());
    let mut res = finish(res, &id, &span);
    security_headers::apply(res.headers_mut(), &path, hsts);
    let status = res.status().as_u16();
    let latency_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    tracing::info!(parent: &span, status, latency_ms, route = %route, user_id = user_id.as_deref(), "request completed");
    Ok(res)
}

/// Stamps the id into the problem body (or makes a problem of a bare error) and the header.
fn finish(
    res: ServiceResponse<BoxBody>,
    id: &str,
    span: &tracing::Span,
) -> ServiceResponse<BoxBody> {
    let (req, res) = res.into_parts();
    let status = res.status();
    let marker = res.extensions().get::<ProblemMarker>().cloned();
    let mut res = match marker {
        Some(marker) => {
            if let Some(cause) = &marker.cause {
                tracing::error!(parent: span, request_id = %id, status = status.as_u16(), cause = %cause, "request failed");
            }
            with_problem(res, marker.problem, id)
        }
        None if needs_problem(&res) => {
            if status.is_server_error() {
                let cause = res.error().map(ToString::to_string).unwrap_or_default();
                tracing::error!(parent: span, request_id = %id, status = status.as_u16(), cause = %cause, "request failed");
            }
            with_problem(res, Problem::for_status(status), id)
        }
        None => res,
    };
    if let Ok(value) = HeaderValue::from_str(id) {
        res.headers_mut()
            .insert(HeaderName::from_static(REQUEST_ID_HEADER), value);
    }
    ServiceResponse::new(req, res)
}

/// An error response that is not already a problem or a deliberate JSON answer (such as
/// `/ready`'s 503).
fn needs_problem(res: &HttpResponse) -> bool {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return false;
    }
    match res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        None => true,
        Some(ct) => ct.starts_with("text/plain"),
    }
}

/// An error that escaped the handlers, rendered as a problem with the request id.
#[derive(Debug)]
struct TaggedError {
    inner: actix_web::Error,
    request_id: String,
    /// The request path and HSTS setting, for the security headers.
    path: String,
    hsts: bool,
}

impl std::fmt::Display for TaggedError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(&self.inner, f)
    }
}

impl actix_web::ResponseError for TaggedError {
    fn status_code(&self) -> actix_web::http::StatusCode {
        self.inner.as_response_error().status_code()
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        let mut problem = Problem::for_status(status);
        problem.request_id = Some(self.request_id.clone());
        let mut res = HttpResponse::build(status);
        res.insert_header((CONTENT_TYPE, PROBLEM_JSON));
        if let Ok(value) = HeaderValue::from_str(&self.request_id) {
            res.insert_header((HeaderName::from_static(REQUEST_ID_HEADER), value));
        }
        let mut res = res.body(problem.to_body());
        security_headers::apply(res.headers_mut(), &self.path, self.hsts);
        res
    }
}

fn with_problem(res: HttpResponse, mut problem: Problem, id: &str) -> HttpResponse {
    problem.request_id = Some(id.to_owned());
    if problem.status != res.status().as_u16() {
        problem.status = res.status().as_u16();
    }
    let mut res = res.set_body(BoxBody::new(problem.to_body()));
    res.headers_mut().remove(CONTENT_LENGTH);
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_safe_ids_are_echoed() {
        assert!(is_valid("abc-DEF_1.2"));
        assert!(is_valid(&"a".repeat(128)));
        assert!(!is_valid(&"a".repeat(129)));
        assert!(!is_valid(""));
        assert!(!is_valid("has space"));
        assert!(!is_valid("new\nline"));
        assert!(!is_valid("ünïcode"));
    }
}
