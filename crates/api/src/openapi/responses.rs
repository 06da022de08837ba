//! Reusable error responses for `#[utoipa::path(responses(...))]`: each type documents one
//! problem+json answer with its status, code and an example.

use std::collections::BTreeMap;

use utoipa::openapi::{
    ContentBuilder, HeaderBuilder, ObjectBuilder, Ref, RefOr, Response, ResponseBuilder, Type,
};

use crate::problem::{PROBLEM_JSON, PROBLEM_TYPE_BASE};

fn problem(
    status: u16,
    code: &str,
    title: &str,
    detail: &str,
    description: &str,
) -> BTreeMap<String, RefOr<Response>> {
    let example = serde_json::json!({
        "type": format!("{PROBLEM_TYPE_BASE}{code}"),
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6a",
    });
    let example = if code == "validation_failed" {
        let mut e = example;
        e["errors"] = serde_json::json!({ "name": ["name must be between 1 and 100 characters"] });
        e
    } else {
        example
    };
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .example(Some(example))
        .build();
    let mut response = ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, content);
    let string = || ObjectBuilder::new().schema_type(Type::String);
    if status == 401 {
        response = response.header(
            "WWW-Authenticate",
            HeaderBuilder::new()
                .schema(string())
                .description(Some("`Bearer realm=\"plinth\"`"))
                .build(),
        );
    }
    if status == 416 {
        response = response.header(
            "Content-Range",
            HeaderBuilder::new()
                .schema(string())
                .description(Some("`bytes */<size>`"))
                .build(),
        );
    }
    if status == 503 || status == 423 {
        response = response.header(
            "Retry-After",
            HeaderBuilder::new()
                .schema(ObjectBuilder::new().schema_type(Type::Integer))
                .description(Some("Seconds to wait before retrying."))
                .build(),
        );
    }
    BTreeMap::from([(status.to_string(), RefOr::T(response.build()))])
}

macro_rules! problem_responses {
    ($($(#[$doc:meta])* $name:ident = ($status:literal, $code:literal, $title:literal, $detail:literal, $description:literal);)*) => {
        $(
            $(#[$doc])*
            pub(crate) struct $name;

            impl utoipa::IntoResponses for $name {
                fn responses() -> BTreeMap<String, RefOr<Response>> {
                    problem($status, $code, $title, $detail, $description)
                }
            }
        )*
    };
}

problem_responses! {
    /// 400 `bad_request`.
    BadRequest = (400, "bad_request", "Bad request", "The body is not valid JSON.",
        "`bad_request`: malformed JSON, wrong `Content-Type` for the body, or bad query parameters.");
    /// 401 `unauthenticated`.
    Unauthenticated = (401, "unauthenticated", "Unauthenticated", "Sign in and send `Authorization: Bearer <access_token>`.",
        "`unauthenticated`: missing, malformed, expired or forged credentials.");
    /// 401 for a failed sign-in.
    BadCredentials = (401, "unauthenticated", "Unauthenticated", "Invalid email or password.",
        "`unauthenticated`: the email or password is wrong (deliberately not saying which).");
    /// 401 for a spent, unknown or revoked refresh token.
    BadRefreshToken = (401, "unauthenticated", "Unauthenticated", "The token is invalid, expired or revoked.",
        "`unauthenticated`: the refresh token is unknown, spent, expired or its session was revoked.");
    /// 401 for a wrong second-factor code or a bad challenge token.
    BadMfaCode = (401, "unauthenticated", "Unauthenticated", "The code is wrong or was already used.",
        "`unauthenticated`: the TOTP or recovery code is wrong or already used, or the `mfa_token` is unknown, spent or expired.");
    /// 401 for a wrong, expired or used passwordless code or link.
    BadPasswordlessSecret = (401, "unauthenticated", "Unauthenticated", "The code or link is wrong, has expired or was already used; ask for a new one.",
        "`unauthenticated`: the code or link is wrong, has expired or was already used (by itself or by the other secret of the same mail), or the address has no open request (deliberately not saying which).");
    /// 400 `oauth_state_invalid`.
    OAuthStateInvalid = (400, "oauth_state_invalid", "Unknown sign-in attempt", "This sign-in attempt is unknown, has expired or was already used; start again.",
        "`oauth_state_invalid`: the `state` is unknown, spent or expired (a forged or replayed callback).");
    /// 400 `oauth_code_invalid`.
    OAuthCodeInvalid = (400, "oauth_code_invalid", "Invalid sign-in code", "The sign-in code is unknown, has expired or was already used; sign in again.",
        "`oauth_code_invalid`: the one-time code is unknown, spent or expired.");
    /// 403 `oauth_email_unverified`.
    OAuthEmailUnverified = (403, "oauth_email_unverified", "Email not verified", "The provider did not confirm a verified email address; verify it with the provider, or sign up another way.",
        "`oauth_email_unverified`: the provider gave no address, or did not assert that it verified it.");
    /// 409 `oauth_account_exists`.
    OAuthAccountExists = (409, "oauth_account_exists", "Account exists", "An account already uses this email address. Sign in to it (with its password or another way), then link this provider from your account settings.",
        "`oauth_account_exists`: the provider's verified address belongs to an account that has not linked this provider; sign in to it and link the provider (never joined by address alone).");
    /// 409 `identity_last_way_in`.
    LastWayIn = (409, "identity_last_way_in", "Last way in", "This is the account's last way to sign in: set a password (through a reset link) or link another provider first.",
        "`identity_last_way_in`: the account has no password of its own and no other identity (for a passkey: no identity and no other passkey).");
    /// 403 `reauthentication_required`.
    ReauthenticationRequired = (403, "reauthentication_required", "Reauthentication required", "Confirm your password, or sign in again, before adding a way into this account.",
        "`reauthentication_required`: no `password` was given and the session signed in more than 10 minutes ago (a refresh does not count).");
    /// 401 for a passkey that does not verify.
    BadPasskey = (401, "unauthenticated", "Unauthenticated", "The passkey could not be verified, or the attempt expired or was already used; start again.",
        "`unauthenticated`: the ceremony is unknown, spent or expired, or the passkey is unknown, removed, another account's, or its signature, challenge or origin does not verify (one answer for all).");
    /// 404 `not_found` for passkeys.
    PasskeyNotFound = (404, "not_found", "Not found", "There is no such passkey.",
        "`not_found`: no such passkey among the caller's (another user's is the same answer), or passkeys are not configured on this server.");
    /// 409 `conflict` for passkeys.
    PasskeyConflict = (409, "conflict", "Conflict", "This passkey is already registered.",
        "`conflict`: the authenticator's credential is registered already, or (at the second step) the account has no passkey.");
    /// 502 `oauth_provider_error`.
    OAuthProviderError = (502, "oauth_provider_error", "Sign-in provider failed", "The sign-in provider could not confirm who signed in; try again.",
        "`oauth_provider_error`: the provider could not be reached, refused the code, or sent an ID token that did not validate.");
    /// 403 `forbidden`.
    Forbidden = (403, "forbidden", "Forbidden", "This needs the `users:read` permission.",
        "`forbidden`: signed in, but without the permission this operation needs.");
    /// 403 `account_suspended`.
    AccountSuspended = (403, "account_suspended", "Account suspended", "This account is suspended; contact an administrator.",
        "`account_suspended`: the credentials are right but an administrator suspended the account.");
    /// 423 `account_locked`.
    AccountLocked = (423, "account_locked", "Account locked", "Too many failed sign-ins: this account is locked for 60 more seconds.",
        "`account_locked`: too many failed sign-ins; the lock is temporary and `Retry-After` says when to try again.");
    /// 403 `forbidden` for a file the caller can see but may not act on this way.
    FileForbidden = (403, "forbidden", "Forbidden", "This file is shared with you with the `view` permission; this needs `download`.",
        "`forbidden`: the file is shared with the caller, but the share does not allow this (or only the owner may do it).");
    /// 403 `forbidden` for a signed link that is tampered with, incomplete, expired or revoked.
    BadSignature = (403, "forbidden", "Forbidden", "The signed URL is invalid, has expired or was revoked.",
        "`forbidden`: a parameter is missing or altered, the signature does not match, the link has expired, or it was revoked (the file's signed URLs revoked, or the account that made it may no longer download the file).");
    /// 404 `not_found`.
    NotFound = (404, "not_found", "Not found", "There is no such file.",
        "`not_found`: no such resource, or one the caller may not know exists (never a 403).");
    /// 409 `email_taken`.
    EmailTaken = (409, "email_taken", "Email taken", "An account with this email already exists.",
        "`email_taken`: the email belongs to another account.");
    /// 409 `conflict`.
    Conflict = (409, "conflict", "Conflict", "A plan with this code already exists.",
        "`conflict`: a uniqueness or state conflict.");
    /// 409 `conflict` for an invoice that is no longer a draft.
    InvoiceNotDraft = (409, "conflict", "Conflict", "Only a draft invoice can be changed or deleted; this one is open.",
        "`conflict`: the invoice is not a draft (finalised, perhaps by a request that ran at the same time); nothing was changed.");
    /// 409 `conflict` for a role name that is taken.
    RoleConflict = (409, "conflict", "Conflict", "A role named `auditor` exists already.",
        "`conflict`: a role of that name exists (the built-in `user`, `admin` and `super_admin` included); nothing was stored.");
    /// 403 `forbidden` for role management.
    RoleForbidden = (403, "forbidden", "Forbidden", "You cannot grant permissions you do not hold: `roles:write`.",
        "`forbidden`: the caller lacks `roles:write`, would grant a permission its token does not carry, or does not rank above the new role.");
    /// 404 `not_found` for an organization (or a member or role in it) the caller cannot see.
    OrgNotFound = (404, "not_found", "Not found", "There is no such organization.",
        "`not_found`: no such organization, or the caller is not a member of it (the two are one answer), or no such member or role in it.");
    /// 403 `forbidden` within an organization.
    OrgForbidden = (403, "forbidden", "Forbidden", "This needs the `members:write` permission.",
        "`forbidden`: a member of the organization, but their role there lacks the permission or rank this needs (the detail says which); nothing was changed.");
    /// 403 `forbidden` for an organization's billing.
    OrgBillingForbidden = (403, "forbidden", "Forbidden", "This needs the `org_billing:read` permission.",
        "`forbidden`: the token acts for an organization, and the caller's role there lacks `org_billing:read` (to see its subscription, entitlements and invoices) or `org_billing:write` (to change or pay them); the detail says which. Nothing was changed.");
    /// 409 `conflict` within an organization.
    OrgConflict = (409, "conflict", "Conflict", "An organization keeps at least one owner; transfer ownership first.",
        "`conflict`: the change would leave the organization without an owner, a custom role of that name exists, or members still hold the role; nothing was changed.");
    /// 409 `conflict` for erasing an account still needed as an organization's last owner.
    LastOwnerOfOrgs = (409, "conflict", "Conflict", "The account is the last owner of Northwind Dental (0193a5c2-7d10-7b3e-9a41-5e8f0c2d4b61), which other members still belong to; hand ownership on (or delete the organization) first.",
        "`conflict`: the account is the last owner of an organization other members still belong to; nothing was erased.");
    /// 404 `not_found` for an invitation token that cannot be accepted.
    InvitationNotFound = (404, "not_found", "Not found", "There is no such invitation for this account: it is unknown, used, revoked or expired, or it was sent to another address.",
        "`not_found`: the token is unknown, used, revoked or expired, or the invitation was sent to another address than the caller's (one answer for all).");
    /// 403 `forbidden` for acting for a suspended organization.
    OrgSuspended = (403, "forbidden", "Forbidden", "This organization is suspended; nobody can act for it until the service's administrators reinstate it.",
        "`forbidden`: the caller is a member, but an administrator suspended the organization; the session is unchanged.");
    /// 403 `forbidden` for accepting an invitation with an unverified address.
    UnverifiedInvitee = (403, "forbidden", "Forbidden", "Verify your email address first; then accept the invitation.",
        "`forbidden`: the caller's address is the invited one but is not verified yet.");
    /// 409 `conflict` for accepting an invitation.
    InvitationConflict = (409, "conflict", "Conflict", "You are a member of this organization already.",
        "`conflict`: the caller is a member already, or the custom role offered no longer exists; the invitation stays.");
    /// 412 `precondition_failed`.
    PreconditionFailed = (412, "precondition_failed", "Precondition failed", "The document changed since the version given in If-Match; read it again.",
        "`precondition_failed`: `If-Match` names a version that is no longer the stored one; nothing was written.");
    /// 413 `payload_too_large`.
    PayloadTooLarge = (413, "payload_too_large", "Payload too large", "The file is larger than the limit of 10485760 bytes.",
        "`payload_too_large`: the body is over the configured limit; nothing was kept.");
    /// 403 `feature_required`, for routes guarded by `require_feature`.
    #[allow(dead_code)] // no built-in route is plan-gated yet
    FeatureRequired = (403, "feature_required", "Feature required", "Your plan does not include `api_access`; upgrade to use this.",
        "`feature_required`: the caller's plan (or the defaults, without one) does not include the feature this operation needs.");
    /// 403 `csrf_failed`, for operations a browser may call with the session cookies.
    CsrfFailed = (403, "csrf_failed", "Cross-site request refused", "A request signed in by cookie must send the X-CSRF-Token header with the value of the plinth_csrf cookie (also returned in the X-CSRF-Token header at sign-in).",
        "`csrf_failed`: signed in by the session cookie, but without an `X-CSRF-Token` header matching the `plinth_csrf` cookie and the session, or from an `Origin` not in `CORS_ORIGINS`; nothing was done.");
    /// 404 `not_found` for a caller without a subscription.
    NoSubscription = (404, "not_found", "Not found", "You have no subscription.",
        "`not_found`: the caller has no live subscription.");
    /// 409 `idempotency_in_progress`.
    IdempotencyInProgress = (409, "idempotency_in_progress", "Idempotent request in progress", "The first request with this Idempotency-Key is still being processed; retry shortly to get its response.",
        "`idempotency_in_progress`: a request with the same `Idempotency-Key` is still running; retry later to receive its stored response.");
    /// 415 `unsupported_media_type`.
    UnsupportedMediaType = (415, "unsupported_media_type", "Unsupported media type", "Files of type \"exe\" are not allowed.",
        "`unsupported_media_type`: the file's sniffed type is not in `ALLOWED_FILE_TYPES`.");
    /// 415 for an avatar that is not an image.
    NotAnImage = (415, "unsupported_media_type", "Unsupported media type", "An avatar must be a PNG, JPEG, GIF or WebP image; this content is text/plain.",
        "`unsupported_media_type`: by its bytes (whatever its name or declared type) the content is not a PNG, JPEG, GIF or WebP image; nothing was stored.");
    /// 413 for an avatar over its limit.
    AvatarTooLarge = (413, "payload_too_large", "Payload too large", "The file is larger than the limit of 1048576 bytes.",
        "`payload_too_large`: the image is over `MAX_AVATAR_BYTES`; the rest of the body was not read and nothing was stored.");
    /// 404 for an avatar name that names no stored image.
    AvatarNotFound = (404, "not_found", "Not found", "There is no such avatar.",
        "`not_found`: no avatar image has this name (never had, malformed, or removed since).");
    /// 416 `range_not_satisfiable`.
    RangeNotSatisfiable = (416, "range_not_satisfiable", "Range not satisfiable", "The requested range is outside the 5 bytes of this file.",
        "`range_not_satisfiable`: the `Range` starts past the end of the file.");
    /// 422 `validation_failed`.
    Validation = (422, "validation_failed", "Validation failed", "One or more fields are invalid.",
        "`validation_failed`: well-formed but invalid or unknown fields; `errors` names each field.");
    /// 400 `bad_request` for a Stripe webhook whose signature is refused.
    BadWebhookSignature = (400, "bad_request", "Bad request", "The Stripe-Signature header was refused: no signature matches the body.",
        "`bad_request`: the `Stripe-Signature` header is missing or malformed, no `v1` signature matches the raw body under `STRIPE_WEBHOOK_SECRET`, or its `t` is more than 300 s from now; or the signed body is not an event. Nothing was recorded.");
    /// 409 `payments_not_configured` for the Stripe webhook when it is switched off.
    WebhookNotConfigured = (409, "payments_not_configured", "Payments not configured", "Payments are not configured on this server (Stripe is switched off); nothing was done.",
        "`payments_not_configured`: `STRIPE_WEBHOOK_SECRET` is not set on this server, so Stripe's events are not accepted here; nothing was recorded. A 4xx because nothing is down: retrying changes nothing until an operator configures Stripe.");
    /// 503 `unavailable` for the Stripe webhook.
    WebhookUnavailable = (503, "unavailable", "Service unavailable", "A service Plinth depends on (database, storage or payment provider) is unavailable; try again later.",
        "`unavailable`: the database is down (Stripe retries later).");
    /// 502 `payment_refused` for paying an invoice.
    PaymentRefused = (502, "payment_refused", "Payment refused", "The payment provider refused the request: Stripe /v1/payment_intents: Your card was declined.",
        "`payment_refused`: Stripe refused the request (a 4xx of Stripe's); `detail` carries Stripe's message (never the API key). Nothing was recorded; retrying the same request gets the same answer until the cause is fixed.");
    /// 503 `unavailable` for paying an invoice.
    PaymentUnavailable = (503, "unavailable", "Service unavailable", "A service Plinth depends on (database, storage or payment provider) is unavailable; try again later.",
        "`unavailable`: Stripe (configured) could not be reached, timed out, was rate limited or failed (5xx); or the database is down. Nothing was recorded; retry after `Retry-After` seconds (the same invoice always gets the same payment, so a retry never charges twice).");
    /// 500 `internal`.
    Internal = (500, "internal", "Internal server error", "Something went wrong on our side; quote the request id if you report it.",
        "`internal`: a bug; the body reveals nothing of it, the log has the cause under the request id.");
    /// 503 `unavailable`.
    Unavailable = (503, "unavailable", "Service unavailable", "The database is unavailable; try again later.",
        "`unavailable`: the database or the file storage is down (`detail` says which); retry later.");
}

/// The name of the shared 429 response under `components.responses`.
pub(crate) const RATE_LIMITED: &str = "RateLimited";

/// 429 `rate_limited`, shared by every rate-limited operation, with `Retry-After`, the
/// `RateLimit-*` headers and `X-Request-Id`.
pub(crate) fn rate_limited(request_id: utoipa::openapi::Header) -> Response {
    let example = serde_json::json!({
        "type": format!("{PROBLEM_TYPE_BASE}rate_limited"),
        "title": "Too many requests",
        "status": 429,
        "detail": "Too many requests from this address; try again in 6 s.",
        "code": "rate_limited",
        "request_id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6a",
    });
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .example(Some(example))
        .build();
    let integer = |description: &str| {
        HeaderBuilder::new()
            .schema(ObjectBuilder::new().schema_type(Type::Integer))
            .description(Some(description))
            .build()
    };
    ResponseBuilder::new()
        .description(
            "`rate_limited`: this client address spent its budget (`RATE_LIMIT_AUTH` for `/api/v1/auth/*`, \
             `RATE_LIMIT_API` for the rest); wait `Retry-After` seconds.",
        )
        .content(PROBLEM_JSON, content)
        .header("Retry-After", integer("Seconds to wait before retrying."))
        .header("RateLimit-Limit", integer("Requests allowed per period."))
        .header("RateLimit-Remaining", integer("Requests left now (0)."))
        .header("RateLimit-Reset", integer("Seconds until a request is allowed again."))
        .header("X-Request-Id", request_id)
        .build()
}

/// One response documenting several problem codes sharing a status, each as a named example.
fn problems(
    status: u16,
    description: &str,
    cases: &[(&str, &str, &str)],
) -> BTreeMap<String, RefOr<Response>> {
    let examples = cases.iter().map(|(code, title, detail)| {
        let value = serde_json::json!({
            "type": format!("{PROBLEM_TYPE_BASE}{code}"),
            "title": title,
            "status": status,
            "detail": detail,
            "code": code,
            "request_id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6a",
        });
        (
            (*code).to_owned(),
            utoipa::openapi::example::ExampleBuilder::new()
                .summary(*title)
                .value(Some(value))
                .build(),
        )
    });
    let content = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name("Problem")))
        .examples_from_iter(examples)
        .build();
    let response = ResponseBuilder::new()
        .description(description)
        .content(PROBLEM_JSON, content)
        .build();
    BTreeMap::from([(status.to_string(), RefOr::T(response))])
}

const IN_PROGRESS: (&str, &str, &str) = (
    "idempotency_in_progress",
    "Idempotent request in progress",
    "The first request with this Idempotency-Key is still being processed; retry shortly to get its response.",
);
const KEY_REUSED: (&str, &str, &str) = (
    "idempotency_key_reused",
    "Idempotency key reused",
    "This Idempotency-Key was already used with a different request; use a new key for a new request.",
);

/// 422 of an idempotent operation: `validation_failed` or `idempotency_key_reused`.
pub(crate) struct IdempotentValidation;

impl utoipa::IntoResponses for IdempotentValidation {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(
            422,
            "`validation_failed`: well-formed but invalid or unknown fields (`errors` names each field); \
             or `idempotency_key_reused`: the `Idempotency-Key` was used in the last 24 h with a different request.",
            &[
                (
                    "validation_failed",
                    "Validation failed",
                    "One or more fields are invalid.",
                ),
                KEY_REUSED,
            ],
        )
    }
}

/// 409 of an idempotent operation with its own conflicts: `conflict` or
/// `idempotency_in_progress`.
pub(crate) struct IdempotentConflict;

impl utoipa::IntoResponses for IdempotentConflict {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(
            409,
            "`conflict`: a uniqueness or state conflict; or `idempotency_in_progress`: a request with the \
             same `Idempotency-Key` is still running (retry later to receive its stored response).",
            &[
                (
                    "conflict",
                    "Conflict",
                    "A plan with this code already exists.",
                ),
                IN_PROGRESS,
            ],
        )
    }
}

/// 409 of paying an invoice: `conflict` (not open), `payments_not_configured` or
/// `idempotency_in_progress`.
pub(crate) struct PayConflict;

impl utoipa::IntoResponses for PayConflict {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(
            409,
            "`conflict`: the invoice is not `open` (it is `paid`, `void` or `uncollectible`); \
             `payments_not_configured`: `STRIPE_API_KEY` is not set on this server, so invoices cannot \
             be paid online here (a 4xx because nothing is down: retrying changes nothing until an \
             operator configures Stripe; an unknown invoice is still a 404); or \
             `idempotency_in_progress`: a request with the same `Idempotency-Key` is still running.",
            &[
                (
                    "conflict",
                    "Conflict",
                    "Only an open invoice can be paid; this one is paid.",
                ),
                (
                    "payments_not_configured",
                    "Payments not configured",
                    crate::error::PAYMENTS_NOT_CONFIGURED,
                ),
                IN_PROGRESS,
            ],
        )
    }
}

/// 422 of an operation without a body that honours `Idempotency-Key`: only
/// `idempotency_key_reused`.
pub(crate) struct KeyReused;

impl utoipa::IntoResponses for KeyReused {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(
            422,
            "`idempotency_key_reused`: the `Idempotency-Key` was used in the last 24 h with a different request.",
            &[KEY_REUSED],
        )
    }
}

/// 413 of an upload: `payload_too_large` (over `MAX_UPLOAD_BYTES`) or `quota_exceeded` (over
/// the owner's `storage_bytes`).
pub(crate) struct UploadTooLarge;

impl utoipa::IntoResponses for UploadTooLarge {
    fn responses() -> BTreeMap<String, RefOr<Response>> {
        problems(
            413,
            "`payload_too_large`: the file is over `MAX_UPLOAD_BYTES`; or `quota_exceeded`: storing it would take \
             the owner's stored bytes (every version of every file) past their `storage_bytes` entitlement \
             (`GET /billing/entitlements`). Nothing was kept.",
            &[
                (
                    "payload_too_large",
                    "Payload too large",
                    "The file is larger than the limit of 10485760 bytes.",
                ),
                (
                    "quota_exceeded",
                    "Storage quota exceeded",
                    "This upload of 2048 bytes would take your stored files (every version counts; 1073741000 bytes now) over your plan's storage_bytes of 1073741824.",
                ),
            ],
        )
    }
}
