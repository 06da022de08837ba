//! `/api/v1/auth/passkeys/*` and `/api/v1/auth/mfa/passkey*`: signing in with a discoverable
//! passkey (a first factor, no address asked), and answering the MFA challenge of a password
//! sign-in with a passkey instead of a TOTP code.
//!
//! Each takes two calls: `…/options` starts a WebAuthn ceremony (its state, holding the
//! challenge, is stored in the database under the hash of the returned `ceremony_token`, for
//! 5 minutes), and the finish presents the token, once, with the authenticator's answer. Any
//! failure is one 401 (no account enumeration); failures with a known passkey count towards the
//! account lockout and every attempt is audited.

use actix_web::{HttpRequest, HttpResponse, post, web};
use validator::Validate as _;

use super::super::NO_STORE;
use crate::dto::auth::TokenPairBody;
use crate::dto::passkey::{
    MfaPasskeyOptionsRequest, MfaPasskeyRequest, PasskeyOptionsBody, PasskeySignInRequest,
};
use crate::openapi::responses::{
    AccountLocked, AccountSuspended, BadMfaCode, BadPasskey, BadRequest, Internal, PasskeyConflict,
    PasskeyNotFound, PayloadTooLarge, Unavailable, Validation,
};
use crate::{ApiError, AppState, ClientMeta, cookies};

fn signed_in(
    state: &AppState,
    req: &HttpRequest,
    pair: plinth_sessions::TokenPair,
) -> HttpResponse {
    let mut answer = HttpResponse::Ok();
    cookies::sign_in(&mut answer, req, &state.http, &pair);
    answer
        .insert_header(NO_STORE)
        .json(TokenPairBody::new(pair, &state.http.public_url))
}

/// Starts a sign-in with a passkey.
#[utoipa::path(
    tag = "auth",
    operation_id = "start_passkey_sign_in",
    summary = "Start signing in with a passkey",
    description = "Answers options for `navigator.credentials.get()` that name no account: the browser offers the \
        passkeys it holds for this site (add `mediation: \"conditional\"` for autofill). Present the \
        `ceremony_token` with the answer at `POST /auth/passkeys/sign-in` within `expires_in` seconds. A 404 when \
        passkeys are not configured (`PASSKEY_RP_ID`).",
    responses(
        (status = 200, description = "The options and the ceremony token.", body = PasskeyOptionsBody),
        PasskeyNotFound, Internal, Unavailable
    )
)]
#[post("/passkeys/sign-in/options")]
pub(crate) async fn start_passkey_sign_in(
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let options = state.auth.start_passkey_sign_in().await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(PasskeyOptionsBody::from(options)))
}

/// Signs in with a passkey.
#[utoipa::path(
    tag = "auth",
    operation_id = "passkey_sign_in",
    summary = "Sign in with a passkey",
    description = "Verifies the authenticator's answer (signature with the registered public key, the ceremony's \
        challenge, an allowed origin, the relying-party id, user verification, a signature counter that moved) \
        and answers the session's `TokenPair` (and sets the cookies). A passkey verifies its user, so no second \
        step follows even with TOTP on. The ceremony works once, whatever the outcome. An unknown, spent or \
        expired ceremony, an unknown or removed passkey, or an answer that does not verify is one 401; with a \
        known passkey it is audited as `auth.login_failed` and counts towards the account lockout (423 with \
        `Retry-After` while locked). Audited as `auth.login_succeeded` with `details.method = \"passkey\"`.",
    request_body = PasskeySignInRequest,
    responses(
        (status = 200, description = "Signed in.", body = TokenPairBody),
        BadRequest, BadPasskey, AccountSuspended, PasskeyNotFound, AccountLocked, PayloadTooLarge, Validation,
        Internal, Unavailable
    )
)]
#[post("/passkeys/sign-in")]
pub(crate) async fn passkey_sign_in(
    state: web::Data<AppState>,
    meta: ClientMeta,
    req: HttpRequest,
    body: web::Json<PasskeySignInRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let pair = state
        .auth
        .finish_passkey_sign_in(&body.ceremony_token, &body.credential, &meta.0)
        .await?;
    Ok(signed_in(&state, &req, pair))
}

/// Starts answering the MFA challenge with a passkey.
#[utoipa::path(
    tag = "auth",
    operation_id = "start_passkey_mfa",
    summary = "Start the second step with a passkey",
    description = "For the `mfa_token` of `POST /auth/login` (an account with TOTP on), answers options for \
        `navigator.credentials.get()` listing the account's passkeys. The challenge stays open (a TOTP or \
        recovery code still works at `POST /auth/mfa/challenge`). An unknown, spent or expired `mfa_token` is a \
        401; an account without passkeys a 409.",
    request_body = MfaPasskeyOptionsRequest,
    responses(
        (status = 200, description = "The options and the ceremony token.", body = PasskeyOptionsBody),
        BadRequest, BadMfaCode, PasskeyNotFound, PasskeyConflict, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[post("/mfa/passkey/options")]
pub(crate) async fn start_passkey_mfa(
    state: web::Data<AppState>,
    body: web::Json<MfaPasskeyOptionsRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let options = state.auth.start_passkey_mfa(&body.mfa_token).await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(PasskeyOptionsBody::from(options)))
}

/// Completes a sign-in with a passkey as the second factor.
#[utoipa::path(
    tag = "auth",
    operation_id = "passkey_mfa",
    summary = "Complete a sign-in with a passkey",
    description = "Verifies the authenticator's answer with one of the account's own passkeys, spends the \
        `mfa_token` and answers the session's `TokenPair` (and sets the cookies). Another account's passkey, a \
        removed one, a replayed answer or a spent or expired ceremony is a 401, audited as `auth.mfa_failed` and \
        counted towards the lockout like a wrong code (423 with `Retry-After`). Audited as `auth.login_succeeded` \
        with `details.mfa = \"passkey\"`.",
    request_body = MfaPasskeyRequest,
    responses(
        (status = 200, description = "Signed in.", body = TokenPairBody),
        BadRequest, BadPasskey, AccountSuspended, PasskeyNotFound, AccountLocked, PayloadTooLarge, Validation,
        Internal, Unavailable
    )
)]
#[post("/mfa/passkey")]
pub(crate) async fn passkey_mfa(
    state: web::Data<AppState>,
    meta: ClientMeta,
    req: HttpRequest,
    body: web::Json<MfaPasskeyRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let pair = state
        .auth
        .complete_mfa_with_passkey(
            &body.mfa_token,
            &body.ceremony_token,
            &body.credential,
            &meta.0,
        )
        .await?;
    Ok(signed_in(&state, &req, pair))
}
