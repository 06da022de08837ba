//! [`ApiError`]: every failure a handler can answer with, rendered as an RFC 9457 problem.
//!
//! Domain errors convert with `From`, so handlers use `?`. A 500 or 503 keeps its cause chain
//! for the log (written by the request-id middleware together with the request id) and says
//! nothing of it in the body.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, CONTENT_RANGE, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};

use crate::problem::{Problem, ProblemMarker, problem_response};

mod domain;

/// Field name → messages, as in a problem's `errors` member.
pub type FieldErrors = BTreeMap<String, Vec<String>>;

/// The detail of a `payments_not_configured` problem.
pub(crate) const PAYMENTS_NOT_CONFIGURED: &str =
    "Payments are not configured on this server (Stripe is switched off); nothing was done.";

/// A boxed error kept as the hidden cause of a 500 or 503.
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// An HTTP error answer. Its `Display` is for logs; the client sees the [`Problem`].
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `bad_request`: malformed JSON, wrong content type, bad query syntax.
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 401 `unauthenticated`, with `WWW-Authenticate: Bearer`.
    #[error("unauthenticated: {0}")]
    Unauthenticated(String),
    /// 403 `forbidden`: signed in but lacking the permission.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// 403 `csrf_failed`: a cookie-authenticated unsafe request without the matching
    /// `X-CSRF-Token` header, or from an origin not in `CORS_ORIGINS`; nothing was done.
    #[error("csrf check failed: {0}")]
    CsrfFailed(String),
    /// 403 `account_suspended`: correct credentials for a suspended account.
    #[error("account suspended")]
    AccountSuspended,
    /// 423 `account_locked`: too many failed logins; `Retry-After` says for how long.
    #[error("account locked for {retry_after} s")]
    AccountLocked {
        /// Seconds until the lock ends (at least 1).
        retry_after: u64,
    },
    /// 429 `rate_limited` from a use case's own budget (the per-address limiter answers its
    /// 429s in the middleware); `Retry-After` says when to try again.
    #[error("rate limited: {detail}")]
    RateLimited {
        /// What ran out, for the user.
        detail: String,
        /// Seconds to wait (at least 1).
        retry_after: u64,
    },
    /// 404 `not_found`: no such resource, or one the caller may not know exists.
    #[error("not found: {0}")]
    NotFound(String),
    /// 405 `method_not_allowed`, with `Allow` listing the methods the route accepts.
    #[error("method not allowed (allowed: {allow})")]
    MethodNotAllowed {
        /// The `Allow` header value, such as `GET, PATCH` (empty when nothing is allowed).
        allow: String,
    },
    /// 409 `email_taken`.
    #[error("email is already registered")]
    EmailTaken,
    /// 409 `conflict`: another uniqueness or state conflict.
    #[error("conflict: {0}")]
    Conflict(String),
    /// 412 `precondition_failed`: `If-Match` did not match the stored version.
    #[error("precondition failed: {0}")]
    PreconditionFailed(String),
    /// 413 `payload_too_large`.
    #[error("payload too large: {0}")]
    PayloadTooLarge(String),
    /// 413 `quota_exceeded`: the upload would take the owner past their `storage_bytes`.
    #[error("quota exceeded: {0}")]
    QuotaExceeded(String),
    /// 403 `feature_required`: the caller's plan does not include the feature.
    #[error("feature required: {0}")]
    FeatureRequired(String),
    /// 409 `payments_not_configured`: an optional integration (Stripe) is switched off on this
    /// server, so the request cannot be served here; not retryable until an operator sets it
    /// up. A 4xx, not a 503: nothing is down, and retrying changes nothing.
    #[error("payments are not configured")]
    PaymentsNotConfigured,
    /// 422 `idempotency_key_reused`: the `Idempotency-Key` was used with another request.
    #[error("idempotency key reused with a different request")]
    IdempotencyKeyReused,
    /// 409 `idempotency_in_progress`: the first request with this `Idempotency-Key` is running.
    #[error("a request with this idempotency key is still in progress")]
    IdempotencyInProgress,
    /// 415 `unsupported_media_type`: a file type that is not allowed.
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    /// 416 `range_not_satisfiable`, with `Content-Range: bytes */<size>`.
    #[error("range not satisfiable (size {size})")]
    RangeNotSatisfiable {
        /// The full size of the resource.
        size: u64,
    },
    /// 422 `validation_failed` with per-field messages.
    #[error("validation failed: {errors:?}")]
    Validation {
        /// Summary for humans.
        detail: String,
        /// Field name → messages.
        errors: FieldErrors,
    },
    /// A refused social sign-in step (`oauth_state_invalid`, `oauth_account_exists`, …; see
    /// [`SignInRefusal`]).
    #[error("sign-in refused: {}", .0.code())]
    SignInRefused(SignInRefusal),
    /// 502 `payment_refused`: the payment provider refused the request, with its message.
    #[error("payment provider refused: {0}")]
    PaymentRefused(String),
    /// 503 `unavailable`: the database, the blob store or the payment provider is down. The log
    /// line and the problem's detail name which one (from the cause's type), never its internals.
    #[error("the {} is unavailable", dependency(.0))]
    Unavailable(#[source] BoxError),
    /// 500 `internal`: a bug. The cause is logged, never sent.
    #[error("internal error")]
    Internal(#[source] BoxError),
}

impl ApiError {
    /// A 422 `validation_failed` with every message of every bad field: the one way a
    /// validation problem is built.
    #[must_use]
    pub fn validation(errors: FieldErrors) -> Self {
        Self::Validation {
            detail: "One or more fields are invalid.".to_owned(),
            errors,
        }
    }

    /// A 422 naming one field.
    #[must_use]
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let mut errors = FieldErrors::new();
        errors.insert(field.to_owned(), vec![message.into()]);
        Self::validation(errors)
    }

    /// A 500 hiding `e`.
    pub fn internal(e: impl Into<BoxError>) -> Self {
        Self::Internal(e.into())
    }

    /// The stable snake_case code of the problem.
    #[must_use]
    pub fn code(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "bad_request",
            Self::Unauthenticated(_) => "unauthenticated",
            Self::Forbidden(_) => "forbidden",
            Self::CsrfFailed(_) => "csrf_failed",
            Self::AccountSuspended => "account_suspended",
            Self::AccountLocked { .. } => "account_locked",
            Self::RateLimited { .. } => "rate_limited",
            Self::NotFound(_) => "not_found",
            Self::MethodNotAllowed { .. } => "method_not_allowed",
            Self::EmailTaken => "email_taken",
            Self::Conflict(_) => "conflict",
            Self::PreconditionFailed(_) => "precondition_failed",
            Self::PayloadTooLarge(_) => "payload_too_large",
            Self::QuotaExceeded(_) => "quota_exceeded",
            Self::FeatureRequired(_) => "feature_required",
            Self::PaymentsNotConfigured => "payments_not_configured",
            Self::IdempotencyKeyReused => "idempotency_key_reused",
            Self::IdempotencyInProgress => "idempotency_in_progress",
            Self::UnsupportedMediaType(_) => "unsupported_media_type",
            Self::RangeNotSatisfiable { .. } => "range_not_satisfiable",
            Self::Validation { .. } => "validation_failed",
            Self::PaymentRefused(_) => "payment_refused",
            Self::SignInRefused(refusal) => refusal.code(),
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            Self::BadRequest(_) => "Bad request",
            Self::Unauthenticated(_) => "Unauthenticated",
            Self::Forbidden(_) => "Forbidden",
            Self::CsrfFailed(_) => "Cross-site request refused",
            Self::AccountSuspended => "Account suspended",
            Self::AccountLocked { .. } => "Account locked",
            Self::RateLimited { .. } => "Too many requests",
            Self::NotFound(_) => "Not found",
            Self::MethodNotAllowed { .. } => "Method not allowed",
            Self::EmailTaken => "Email taken",
            Self::Conflict(_) => "Conflict",
            Self::PreconditionFailed(_) => "Precondition failed",
            Self::PayloadTooLarge(_) => "Payload too large",
            Self::QuotaExceeded(_) => "Storage quota exceeded",
            Self::FeatureRequired(_) => "Feature required",
            Self::PaymentsNotConfigured => "Payments not configured",
            Self::IdempotencyKeyReused => "Idempotency key reused",
            Self::IdempotencyInProgress => "Idempotent request in progress",
            Self::UnsupportedMediaType(_) => "Unsupported media type",
            Self::RangeNotSatisfiable { .. } => "Range not satisfiable",
            Self::Validation { .. } => "Validation failed",
            Self::PaymentRefused(_) => "Payment refused",
            Self::SignInRefused(refusal) => refusal.title(),
            Self::Unavailable(_) => "Service unavailable",
            Self::Internal(_) => "Internal server error",
        }
    }

    fn detail(&self) -> String {
        match self {
            Self::BadRequest(d)
            | Self::Unauthenticated(d)
            | Self::Forbidden(d)
            | Self::CsrfFailed(d)
            | Self::NotFound(d)
            | Self::Conflict(d)
            | Self::PreconditionFailed(d)
            | Self::PayloadTooLarge(d)
            | Self::QuotaExceeded(d)
            | Self::UnsupportedMediaType(d)
            | Self::RateLimited { detail: d, .. } => d.clone(),
            Self::PaymentRefused(message) => {
                format!("The payment provider refused the request: {message}")
            }
            Self::FeatureRequired(feature) => {
                format!("Your plan does not include `{feature}`; upgrade to use this.")
            }
            Self::PaymentsNotConfigured => PAYMENTS_NOT_CONFIGURED.to_owned(),
            Self::IdempotencyKeyReused => {
                "This Idempotency-Key was already used with a different request; \
                use a new key for a new request."
                    .to_owned()
            }
            Self::IdempotencyInProgress => {
                "The first request with this Idempotency-Key is still being \
                processed; retry shortly to get its response."
                    .to_owned()
            }
            Self::AccountSuspended => {
                "This account is suspended; contact an administrator.".to_owned()
            }
            Self::AccountLocked { retry_after } => format!(
                "Too many failed sign-ins: this account is locked for {retry_after} more seconds."
            ),
            Self::EmailTaken => "An account with this email already exists.".to_owned(),
            Self::MethodNotAllowed { allow } if allow.is_empty() => {
                "This method is not allowed on any route.".to_owned()
            }
            Self::MethodNotAllowed { allow } => {
                format!("This route does not accept this method; it accepts {allow}.")
            }
            Self::RangeNotSatisfiable { size } => {
                format!("The requested range is outside the {size} bytes of this file.")
            }
            Self::Validation { detail, .. } => detail.clone(),
            Self::SignInRefused(refusal) => refusal.detail().to_owned(),
            Self::Unavailable(cause) => {
                format!("The {} is unavailable; try again later.", dependency(cause))
            }
            Self::Internal(_) => {
                "Something went wrong on our side; quote the request id if you report it."
                    .to_owned()
            }
        }
    }

    /// The problem document sent to the client (request id filled in by the middleware).
    #[must_use]
    pub fn to_problem(&self) -> Problem {
        let mut problem =
            Problem::new(self.status_code(), self.code(), self.title(), self.detail());
        if let Self::Validation { errors, .. } = self {
            problem.errors = Some(errors.clone());
        }
        problem
    }
}

/// Why a social sign-in step was refused: each has its own stable problem code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignInRefusal {
    /// 400 `oauth_state_invalid`: a callback whose `state` is unknown, spent or expired.
    StateInvalid,
    /// 400 `oauth_code_invalid`: an exchange code that is unknown, spent or expired.
    CodeInvalid,
    /// 409 `oauth_account_exists`: the verified address has an account without this identity.
    AccountExists,
    /// 403 `oauth_email_unverified`: no address, or one the provider did not verify.
    EmailUnverified,
    /// 409 `oauth_identity_taken`: the identity is linked to another account.
    IdentityTaken,
    /// 502 `oauth_provider_error`: the provider refused the code, failed, or its ID token did
    /// not validate.
    ProviderError,
    /// 409 `identity_last_way_in`: unlinking would leave the account no way to sign in.
    LastWayIn,
    /// 403 `reauthentication_required`: a sensitive change needs the password or a fresh
    /// sign-in, not only an access token.
    ReauthenticationRequired,
}

impl SignInRefusal {
    /// The problem code.
    #[must_use]
    pub const fn code(self) -> &'static str {
        match self {
            Self::StateInvalid => "oauth_state_invalid",
            Self::CodeInvalid => "oauth_code_invalid",
            Self::AccountExists => "oauth_account_exists",
            Self::EmailUnverified => "oauth_email_unverified",
            Self::IdentityTaken => "oauth_identity_taken",
            Self::ProviderError => "oauth_provider_error",
            Self::LastWayIn => "identity_last_way_in",
            Self::ReauthenticationRequired => "reauthentication_required",
        }
    }

    const fn status(self) -> StatusCode {
        match self {
            Self::StateInvalid | Self::CodeInvalid => StatusCode::BAD_REQUEST,
            Self::AccountExists | Self::IdentityTaken | Self::LastWayIn => StatusCode::CONFLICT,
            Self::EmailUnverified | Self::ReauthenticationRequired => StatusCode::FORBIDDEN,
            Self::ProviderError => StatusCode::BAD_GATEWAY,
        }
    }

    const fn title(self) -> &'static str {
        match self {
            Self::StateInvalid => "Unknown sign-in attempt",
            Self::CodeInvalid => "Invalid sign-in code",
            Self::AccountExists => "Account exists",
            Self::EmailUnverified => "Email not verified",
            Self::IdentityTaken => "Identity linked elsewhere",
            Self::ProviderError => "Sign-in provider failed",
            Self::LastWayIn => "Last way in",
            Self::ReauthenticationRequired => "Reauthentication required",
        }
    }

    const fn detail(self) -> &'static str {
        match self {
            Self::StateInvalid => {
                "This sign-in attempt is unknown, has expired or was already used; start again."
            }
            Self::CodeInvalid => {
                "The sign-in code is unknown, has expired or was already used; sign in again."
            }
            Self::AccountExists => {
                "An account already uses this email address. Sign in to it (with its password or \
                 another way), then link this provider from your account settings."
            }
            Self::EmailUnverified => {
                "The provider did not confirm a verified email address; verify it with the \
                 provider, or sign up another way."
            }
            Self::IdentityTaken => "This provider account is already linked to another account.",
            Self::ProviderError => {
                "The sign-in provider could not confirm who signed in; try again."
            }
            Self::LastWayIn => {
                "This is the account's last way to sign in: set a password (through a reset \
                 link) or link another provider first."
            }
            Self::ReauthenticationRequired => {
                "Confirm your password, or sign in again, before adding a way into this account."
            }
        }
    }
}

/// Which dependency a 503's cause comes from, named for the log and the client: `database`,
/// `file storage` or `payment provider`.
fn dependency(cause: &BoxError) -> &'static str {
    if cause.is::<plinth_kernel::RepoError>() {
        "database"
    } else if cause.is::<plinth_files::BlobError>() {
        "file storage"
    } else if cause.is::<plinth_billing::BillingError>() {
        "payment provider"
    } else {
        "service Plinth depends on"
    }
}

/// `error: cause: cause…` for the log.
pub(crate) fn cause_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let _ = write!(out, ": {s}");
        source = s.source();
    }
    out
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_)
            | Self::CsrfFailed(_)
            | Self::AccountSuspended
            | Self::FeatureRequired(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::AccountLocked { .. } => StatusCode::LOCKED,
            Self::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            Self::EmailTaken | Self::Conflict(_) | Self::PaymentsNotConfigured => {
                StatusCode::CONFLICT
            }
            Self::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            Self::PayloadTooLarge(_) | Self::QuotaExceeded(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::RangeNotSatisfiable { .. } => StatusCode::RANGE_NOT_SATISFIABLE,
            Self::Validation { .. } | Self::IdempotencyKeyReused => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::IdempotencyInProgress => StatusCode::CONFLICT,
            Self::PaymentRefused(_) => StatusCode::BAD_GATEWAY,
            Self::SignInRefused(refusal) => refusal.status(),
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let mut builder = HttpResponse::build(self.status_code());
        match self {
            Self::Unauthenticated(_) => {
                builder.insert_header((WWW_AUTHENTICATE, r#"Bearer realm="plinth""#));
            }
            Self::RangeNotSatisfiable { size } => {
                builder.insert_header((CONTENT_RANGE, format!("bytes */{size}")));
            }
            Self::Unavailable(_) => {
                builder.insert_header(("Retry-After", "5"));
            }
            Self::AccountLocked { retry_after } | Self::RateLimited { retry_after, .. } => {
                builder.insert_header(("Retry-After", retry_after.to_string()));
            }
            Self::MethodNotAllowed { allow } => {
                builder.insert_header((ALLOW, allow.as_str()));
            }
            _ => {}
        }
        let cause = match self {
            Self::Internal(_) | Self::Unavailable(_) => Some(cause_chain(self)),
            _ => None,
        };
        problem_response(
            builder,
            ProblemMarker {
                problem: self.to_problem(),
                cause,
            },
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_keep_their_cause_for_the_log_only() {
        let err = ApiError::internal(std::io::Error::other("disk on fire at /var/lib/secret"));
        assert!(cause_chain(&err).contains("disk on fire"));
        let problem = err.to_problem();
        assert_eq!(problem.status, 500);
        assert!(!problem.to_body().contains("disk on fire"));
    }

    #[test]
    fn an_outage_names_the_dependency_that_failed() {
        let cases: [(ApiError, &str); 3] = [
            (
                plinth_kernel::RepoError::Unavailable("pool timed out".into()).into(),
                "database",
            ),
            (
                plinth_files::BlobError::Unavailable("s3 timed out".into()).into(),
                "file storage",
            ),
            (
                plinth_billing::BillingError::Gateway(
                    plinth_billing::payment::GatewayError::Unavailable(
                        "stripe timed out".to_owned(),
                    ),
                )
                .into(),
                "payment provider",
            ),
        ];
        for (err, dependency) in cases {
            let problem = err.to_problem();
            assert_eq!(problem.status, 503);
            assert_eq!(
                problem.detail,
                format!("The {dependency} is unavailable; try again later.")
            );
            assert!(!problem.to_body().contains("timed out"));
            assert!(
                cause_chain(&err).starts_with(&format!("the {dependency} is unavailable: ")),
                "{}",
                cause_chain(&err)
            );
        }
    }

    #[test]
    fn validation_lists_fields() {
        let p = ApiError::field("name", "too long").to_problem();
        assert_eq!(p.code, "validation_failed");
        assert_eq!(p.errors.unwrap()["name"], vec!["too long".to_owned()]);
    }
}
