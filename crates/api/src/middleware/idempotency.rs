//! `Idempotency-Key` for `POST` routes: a per-route actix middleware.
//!
//! Wrap a handler with
//! `#[post("/path", wrap = "actix_web::middleware::from_fn(crate::middleware::idempotency::idempotent)")]`
//! and add `params(IdempotencyKeyHeader)` to its `#[utoipa::path]`. Then, for a signed-in
//! caller sending `Idempotency-Key` (1–255 visible ASCII characters):
//!
//! 1. the key is claimed for the caller in the [`IdempotencyStore`] (an insert-first row, so
//!    it holds across replicas) together with a SHA-256 fingerprint of the method, path,
//!    query and body;
//! 2. the first request runs and its response (status, `Content-Type`, body) is stored for
//!    [`RETENTION`]; a 5xx answer is not stored: the claim is released so a retry runs again;
//! 3. a retry with the same key and the same request gets the stored response again, with
//!    `Idempotent-Replayed: true`; with another request, 422 `idempotency_key_reused`; while
//!    the first is still running, 409 `idempotency_in_progress`.
//!
//! Requests without the header, or without valid credentials (the handler then answers 401),
//! pass through untouched.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{FromRequest as _, HttpMessage as _, HttpResponse, ResponseError as _, web};
use bytes::BytesMut;
use futures::StreamExt as _;
use plinth_kernel::{ClaimOutcome, IdempotencyClaim, StoredResponse};
use sha2::{Digest, Sha256};

use crate::middleware::request_id::RequestId;
use crate::problem::PROBLEM_JSON;
use crate::{ApiError, AppState, AuthUser};

/// The request header.
pub const IDEMPOTENCY_KEY_HEADER: &str = "Idempotency-Key";
/// The response header set on a replayed response.
pub const REPLAYED_HEADER: &str = "Idempotent-Replayed";
/// Longest accepted key, in characters.
pub const MAX_KEY_CHARS: usize = 255;
/// How long a stored response is replayed.
pub const RETENTION: chrono::TimeDelta = chrono::TimeDelta::hours(24);
/// An unfinished claim older than this is presumed abandoned (its replica died) and may be
/// taken over by a retry.
pub const ABANDONED_AFTER: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// The `Idempotency-Key` request header, for `#[utoipa::path(params(...))]` of every
/// operation wrapped with [`idempotent`].
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub(crate) struct IdempotencyKeyHeader {
    /// A unique key per intended operation (for example a UUID), 1–255 visible ASCII
    /// characters. The first response to it is stored for 24 h per caller and returned again
    /// (with `Idempotent-Replayed: true`) to any retry with the same key and the same body; the
    /// same key with a different body is a 422 `idempotency_key_reused`, and a retry while
    /// the first request is still running a 409 `idempotency_in_progress`. Server errors
    /// (5xx) are not stored, so a retry after one runs again.
    #[param(
        rename = "Idempotency-Key",
        example = "5b2e8a52-4f0c-4d7e-9a53-3f3c0d8f1a77",
        min_length = 1,
        max_length = 255
    )]
    idempotency_key: Option<String>,
}

/// The middleware; see the module documentation.
///
/// # Errors
/// 400 `bad_request` for a malformed key, 413 for a body over the JSON limit, 409/422 as
/// above, 503/500 when the key store fails.
pub(crate) async fn idempotent(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(raw_key) = req.headers().get(IDEMPOTENCY_KEY_HEADER).cloned() else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Ok(user) = AuthUser::from_request(req.request(), &mut Payload::None).await else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .cloned()
        .ok_or_else(|| ApiError::internal("AppState is not registered as app data"))?;
    let key = match parse_key(&raw_key) {
        Ok(key) => key,
        Err(e) => return Ok(refuse(req, &e)),
    };
    let body = match read_body(&mut req, state.http.max_json_bytes).await {
        Ok(body) => body,
        Err(e) => return Ok(refuse(req, &e)),
    };
    let scope = format!("user:{}", user.0.user_id);
    let now = state.clock.now();
    let claim = IdempotencyClaim {
        scope: scope.clone(),
        key: key.clone(),
        fingerprint: fingerprint(&req, &body),
        now,
        expires_at: now + RETENTION,
        stale_before: now - ABANDONED_AFTER,
    };
    match state.idempotency.claim(&claim).await {
        Ok(ClaimOutcome::Started) => {}
        Ok(ClaimOutcome::InProgress) => return Ok(refuse(req, &ApiError::IdempotencyInProgress)),
        Ok(ClaimOutcome::Mismatch) => return Ok(refuse(req, &ApiError::IdempotencyKeyReused)),
        Ok(ClaimOutcome::Completed(stored)) => {
            let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
            let response = replay(stored, request_id.as_deref());
            return Ok(req.into_response(response));
        }
        Err(e) => return Ok(refuse(req, &ApiError::from(e))),
    }
    req.set_payload(Payload::from(body));
    let release = || async {
        if let Err(e) = state.idempotency.release(&scope, &key).await {
            tracing::warn!(error = ?e, "could not release an idempotency key; it frees itself when abandoned");
        }
    };
    let res = match next.call(req).await {
        Ok(res) => res.map_into_boxed_body(),
        Err(e) => {
            release().await;
            return Err(e);
        }
    };
    if res.status().is_server_error() {
        release().await;
        return Ok(res);
    }
    let (http_req, http_res) = res.into_parts();
    let (head, body) = http_res.into_parts();
    let bytes = match actix_web::body::to_bytes(body).await {
        Ok(bytes) => bytes,
        Err(e) => {
            release().await;
            let error = ApiError::internal(e.to_string());
            return Ok(ServiceResponse::new(http_req, error.error_response()));
        }
    };
    let stored = StoredResponse {
        status: head.status().as_u16(),
        content_type: head
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
        body: bytes.to_vec(),
    };
    if let Err(e) = state.idempotency.complete(&scope, &key, &stored).await {
        tracing::warn!(error = ?e, "could not store an idempotent response");
        release().await;
    }
    Ok(ServiceResponse::new(
        http_req,
        head.set_body(bytes).map_into_boxed_body(),
    ))
}

/// The problem answer for `e` (rendered like a handler's error, so the request-id middleware
/// stamps it).
fn refuse(req: ServiceRequest, e: &ApiError) -> ServiceResponse<BoxBody> {
    req.into_response(e.error_response())
}

/// A key of 1–255 visible ASCII characters.
fn parse_key(raw: &HeaderValue) -> Result<String, ApiError> {
    raw.to_str()
        .ok()
        .filter(|k| (1..=MAX_KEY_CHARS).contains(&k.len()))
        .filter(|k| k.bytes().all(|b| b.is_ascii_graphic()))
        .map(str::to_owned)
        .ok_or_else(|| {
            ApiError::BadRequest(format!(
                "{IDEMPOTENCY_KEY_HEADER} must be 1 to {MAX_KEY_CHARS} visible ASCII characters."
            ))
        })
}

/// The whole body, refusing more than `limit` bytes.
async fn read_body(req: &mut ServiceRequest, limit: usize) -> Result<bytes::Bytes, ApiError> {
    let mut payload = req.take_payload();
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("The body could not be read: {e}")))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(format!(
                "The body is larger than the limit of {limit} bytes."
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// SHA-256 of the method, the path with its query and the body, lower-case hex.
fn fingerprint(req: &ServiceRequest, body: &[u8]) -> String {
    let mut hash = Sha256::new();
    hash.update(req.method().as_str());
    hash.update(b"\n");
    hash.update(req.uri().path_and_query().map_or("", |p| p.as_str()));
    hash.update(b"\n");
    hash.update(body);
    hex::encode(hash.finalize())
}

/// The stored response again; a problem's `request_id` becomes this request's.
fn replay(stored: StoredResponse, request_id: Option<&str>) -> HttpResponse {
    let status = StatusCode::from_u16(stored.status).unwrap_or(StatusCode::OK);
    let mut builder = HttpResponse::build(status);
    builder
        .insert_header(crate::routes::NO_STORE)
        .insert_header((REPLAYED_HEADER, "true"));
    let mut body = stored.body;
    if let Some(content_type) = stored.content_type {
        if content_type == PROBLEM_JSON
            && let Ok(mut problem) = serde_json::from_slice::<serde_json::Value>(&body)
        {
            problem["request_id"] = serde_json::json!(request_id);
            body = serde_json::to_vec(&problem).unwrap_or(body);
        }
        builder.insert_header((CONTENT_TYPE, content_type));
    }
    builder.body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_visible_ascii_of_bounded_length() {
        let ok = |s: &str| parse_key(&HeaderValue::from_str(s).unwrap()).is_ok();
        assert!(ok("a"));
        assert!(ok(&"k".repeat(255)));
        assert!(!ok(&"k".repeat(256)));
        assert!(!ok(""));
        assert!(!ok("has space"));
        assert!(!ok("tab\there"));
    }

    #[test]
    fn a_replayed_problem_carries_the_new_request_id() {
        let stored = StoredResponse {
            status: 422,
            content_type: Some(PROBLEM_JSON.to_owned()),
            body: br#"{"code":"validation_failed","request_id":null}"#.to_vec(),
        };
        let res = replay(stored, Some("req-2"));
        assert_eq!(res.status(), 422);
        assert_eq!(res.headers().get(REPLAYED_HEADER).unwrap(), "true");
    }
}
