//! `/api/v1/auth/passwordless`: sign in (or, when enabled, sign up) with a mailed magic link or
//! one-time code.
//!
//! `POST /auth/passwordless` always answers the same 202 before any lookup (the mail is sent in
//! the background), so it tells nothing about which addresses have accounts. `POST
//! /auth/passwordless/verify` answers exactly like `POST /auth/login`.

use actix_web::{HttpRequest, HttpResponse, post, web};

use super::super::NO_STORE;
use super::sign_in_answer;
use crate::dto::mfa::LoginResultBody;
use crate::dto::passwordless::{
    PasswordlessSecret, PasswordlessStartRequest, PasswordlessVerifyRequest,
};
use crate::dto::recovery::AcceptedBody;
use crate::openapi::responses::{
    AccountLocked, AccountSuspended, BadPasswordlessSecret, BadRequest, Internal, PayloadTooLarge,
    Unavailable, Validation,
};
use crate::{ApiError, AppState, ClientMeta};

/// Mails a sign-in link and code.
#[utoipa::path(
    tag = "auth",
    operation_id = "start_passwordless",
    summary = "Ask for a sign-in link and code by mail",
    description = "If an account has this email, mails it one message carrying both a link \
        `{PUBLIC_URL}/passwordless?token=…` and a 6-digit code, valid for `PASSWORDLESS_TTL` (15 minutes by \
        default). Each works once, and using either one ends the request, so the other stops working too (as do \
        earlier mails to the address). Opening the link's page signs nothing in: the page posts the token to \
        `POST /auth/passwordless/verify`, so a mail scanner that follows links cannot spend the code. With \
        `PASSWORDLESS_SIGNUP=true` an address without an account gets a sign-up mail instead, whose link or code \
        creates a verified account; otherwise it gets nothing. The answer is the same 202, given before any lookup \
        (the work happens in the background), in every case, also when the address already received 3 such mails \
        in the last hour (then nothing is sent). Audited as `auth.passwordless_requested`.",
    request_body = PasswordlessStartRequest,
    responses(
        (status = 202, description = "Accepted; a mail is sent if the address may sign in (or sign up).",
            body = AcceptedBody, example = json!({ "status": "accepted" })),
        BadRequest, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[post("/passwordless")]
pub(crate) async fn start_passwordless(
    state: web::Data<AppState>,
    meta: ClientMeta,
    body: web::Json<PasswordlessStartRequest>,
) -> Result<HttpResponse, ApiError> {
    let email = body.into_inner().into_email()?;
    state.auth.start_passwordless(email.as_str(), &meta.0);
    Ok(HttpResponse::Accepted()
        .insert_header(NO_STORE)
        .json(AcceptedBody::new()))
}

/// Signs in with the link or the code of a passwordless mail.
#[utoipa::path(
    tag = "auth",
    operation_id = "verify_passwordless",
    summary = "Sign in with a mailed link or code",
    description = "Takes either the `token` of a passwordless link, or the `email` and the 6-digit `code` of the \
        mail, and answers like `POST /auth/login`: a `TokenPair` (and, for a browser, the session cookies), or \
        `MfaRequired` for an account with TOTP (a mailed secret is a first factor only). The request ends: its \
        other secret, and other mails to the address, stop working. A wrong, expired or used code or link, and an \
        address with no request, are the same 401. A wrong code counts towards the account lockout like a wrong \
        password (423 with `Retry-After`; while locked, codes are refused unchecked), and each mail's code takes at \
        most 5 wrong tries, after which only its link works. A link is not subject to the lockout and lifts it. \
        Redeeming a sign-up mail creates a verified account (`auth.registered`); any redemption verifies the \
        address, and for an account whose address was not verified yet it also ends its other sessions and \
        replaces its password with one nobody knows (whoever registered it never proved the address; the owner \
        sets a password with a reset link). Audited as `auth.login_succeeded` or `auth.login_failed` with `details.method` \
        `passwordless_link` or `passwordless_code`.",
    request_body = PasswordlessVerifyRequest,
    responses(
        (status = 200, description = "Signed in (`TokenPair`), or a second factor is needed (`MfaRequired`).",
            body = LoginResultBody, example = json!({
                "access_token": "eyJhbGciOiJFZERTQSIsImtpZCI6IjNmMmE5YzFkIiwidHlwIjoiSldUIn0.eyJzdWIiOiIwMTkwZjVjMyJ9.c2lnbmF0dXJl",
                "refresh_token": "r8Jq2mX0vN5cT1yL7pB4wZ9eK3hD6gA0sF2uI8oP5nQ",
                "token_type": "Bearer",
                "expires_in": 900,
                "user": {
                    "id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6a",
                    "email": "ada@example.com",
                    "name": "Ada Lovelace",
                    "role": "user",
                    "status": "active",
                    "email_verified": true,
                    "avatar_url": null,
                    "created_at": "2026-01-05T09:30:00Z",
                    "updated_at": "2026-01-05T09:30:00Z"
                }
            })),
        BadRequest, BadPasswordlessSecret, AccountSuspended, AccountLocked, PayloadTooLarge, Validation, Internal,
        Unavailable
    )
)]
#[post("/passwordless/verify")]
pub(crate) async fn verify_passwordless(
    state: web::Data<AppState>,
    meta: ClientMeta,
    req: HttpRequest,
    body: web::Json<PasswordlessVerifyRequest>,
) -> Result<HttpResponse, ApiError> {
    let outcome = match body.into_inner().into_secret()? {
        PasswordlessSecret::Link(token) => {
            state.auth.passwordless_with_link(&token, &meta.0).await?
        }
        PasswordlessSecret::Code(email, code) => {
            state
                .auth
                .passwordless_with_code(&email, &code, &meta.0)
                .await?
        }
    };
    Ok(sign_in_answer(&state, &req, outcome))
}
