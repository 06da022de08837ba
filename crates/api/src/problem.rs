//! RFC 9457 problem details: the body of every error response.

use std::collections::BTreeMap;

use actix_web::HttpResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_TYPE, HeaderValue};

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// Base of the `type` URI of each problem; the stable `code` is appended.
pub const PROBLEM_TYPE_BASE: &str = "https://plinth.dev/problems/";

/// Every `code` a problem can carry. New codes may be added (a client should treat one it does
/// not know by its status); a listed code is never renamed or removed.
pub const PROBLEM_CODES: [&str; 33] = [
    "bad_request",
    "unauthenticated",
    "forbidden",
    "csrf_failed",
    "account_suspended",
    "account_locked",
    "not_found",
    "method_not_allowed",
    "request_timeout",
    "email_taken",
    "conflict",
    "precondition_failed",
    "payload_too_large",
    "quota_exceeded",
    "unsupported_media_type",
    "range_not_satisfiable",
    "validation_failed",
    "idempotency_key_reused",
    "idempotency_in_progress",
    "feature_required",
    "payments_not_configured",
    "rate_limited",
    "internal",
    "payment_refused",
    "unavailable",
    "oauth_state_invalid",
    "oauth_code_invalid",
    "oauth_account_exists",
    "oauth_email_unverified",
    "oauth_identity_taken",
    "oauth_provider_error",
    "identity_last_way_in",
    "reauthentication_required",
];

/// An RFC 9457 problem: `{ type, title, status, detail, code, request_id, errors? }`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({
    "type": "https://plinth.dev/problems/validation_failed",
    "title": "Validation failed",
    "status": 422,
    "detail": "One or more fields are invalid.",
    "code": "validation_failed",
    "request_id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6a",
    "errors": { "name": ["name must be at most 100 characters"] }
}))]
pub struct Problem {
    /// A URI naming the kind of problem: `https://plinth.dev/problems/<code>`.
    #[serde(rename = "type")]
    pub type_uri: String,
    /// A short, human-readable summary of the kind of problem.
    pub title: String,
    /// The HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence, for a human.
    pub detail: String,
    /// A stable snake_case code for programs (`not_found`, `validation_failed`…): one of
    /// [`PROBLEM_CODES`].
    #[schema(schema_with = crate::openapi::schemas::problem_code)]
    pub code: String,
    /// The `X-Request-Id` of the request, to quote when reporting a problem.
    pub request_id: Option<String>,
    /// Field name → messages, for validation failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<BTreeMap<String, Vec<String>>>,
}

impl Problem {
    /// A problem of kind `code` with the given status, title and detail.
    #[must_use]
    pub fn new(status: StatusCode, code: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            type_uri: format!("{PROBLEM_TYPE_BASE}{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            code: code.to_owned(),
            request_id: None,
            errors: None,
        }
    }

    /// The generic problem for a status code produced outside our handlers (an unknown
    /// route, a method no resource accepts, a framework error).
    #[must_use]
    pub fn for_status(status: StatusCode) -> Self {
        let (code, title, detail) = match status.as_u16() {
            400 => (
                "bad_request",
                "Bad request",
                "The request could not be understood.",
            ),
            401 => (
                "unauthenticated",
                "Unauthenticated",
                "Sign in to use this endpoint.",
            ),
            403 => ("forbidden", "Forbidden", "You may not do this."),
            404 => ("not_found", "Not found", "There is nothing here."),
            405 => (
                "method_not_allowed",
                "Method not allowed",
                "This method is not allowed here.",
            ),
            408 => (
                "request_timeout",
                "Request timeout",
                "The request took too long to arrive.",
            ),
            413 => (
                "payload_too_large",
                "Payload too large",
                "The request body is too large.",
            ),
            415 => (
                "unsupported_media_type",
                "Unsupported media type",
                "This media type is not supported.",
            ),
            422 => (
                "validation_failed",
                "Validation failed",
                "One or more fields are invalid.",
            ),
            429 => (
                "rate_limited",
                "Too many requests",
                "Slow down and try again later.",
            ),
            503 => (
                "unavailable",
                "Service unavailable",
                "A dependency is down; try again later.",
            ),
            s if s >= 500 => (
                "internal",
                "Internal server error",
                "Something went wrong on our side.",
            ),
            _ => (
                "bad_request",
                "Bad request",
                "The request could not be processed.",
            ),
        };
        Self::new(status, code, title, detail)
    }

    /// The JSON body.
    #[must_use]
    pub fn to_body(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|_| String::from(r#"{"title":"Internal server error","status":500}"#))
    }
}

/// Stored in an error response's extensions so the request-id middleware can stamp the
/// request id into the body and log the hidden cause of a 500.
#[derive(Debug, Clone)]
pub(crate) struct ProblemMarker {
    /// The problem as built by the handler.
    pub problem: Problem,
    /// The full cause chain of an internal error (logged, never sent).
    pub cause: Option<String>,
}

/// Builds a problem+json response (without request id; the middleware adds it).
pub(crate) fn problem_response(
    mut builder: actix_web::HttpResponseBuilder,
    marker: ProblemMarker,
) -> HttpResponse {
    let body = marker.problem.to_body();
    builder.insert_header((CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON)));
    let mut res = builder.body(body);
    res.extensions_mut().insert(marker);
    res
}
