//! `/api/v1/auth/mfa/*`: TOTP enrolment, activation and removal, and the second step of a
//! sign-in for accounts with TOTP.
//!
//! Enrolment, activation and removal re-check the account password: a wrong one answers 422
//! with `errors.password`, is audited as `auth.login_failed` and counts towards the account
//! lockout (a locked account answers 423 here too). A wrong code while activating or removing
//! answers 422 with `errors.code` (the caller's access token is fine, so not a 401); a wrong
//! code at the challenge answers 401; at the challenge and at removal it counts towards the
//! lockout and is audited as `auth.mfa_failed`.

use actix_web::{HttpRequest, HttpResponse, delete, post, web};
use validator::Validate as _;

use super::super::NO_STORE;
use crate::dto::auth::TokenPairBody;
use crate::dto::mfa::{
    ActivateTotpRequest, DisableTotpRequest, EnrollTotpRequest, MfaChallengeRequest,
    RecoveryCodesBody, TotpEnrollmentBody,
};
use crate::openapi::responses::{
    AccountLocked, AccountSuspended, BadMfaCode, BadRequest, Conflict, Internal, PayloadTooLarge,
    Unauthenticated, Unavailable, Validation,
};
use crate::{ApiError, AppState, AuthUser, ClientMeta, cookies};

/// Starts TOTP enrolment.
#[utoipa::path(
    tag = "auth",
    operation_id = "enroll_totp",
    summary = "Start TOTP enrolment",
    description = "Creates a new TOTP secret (RFC 6238: SHA-1, 6 digits, 30 s) and returns it once, as base32 and \
        as an `otpauth://` URL for a QR code. It is stored encrypted and is not used at sign-in until \
        `POST /auth/mfa/totp/activate` confirms a code. Enrolling again before activation replaces the secret; \
        once active, it is a 409 until TOTP is removed. Takes the account password (re-authentication, so a \
        stolen access token alone cannot enrol an attacker's authenticator): a wrong one is a 422 with \
        `errors.password`, is audited as `auth.login_failed` and counts towards the sign-in lockout (423 with \
        `Retry-After` while locked).",
    request_body = EnrollTotpRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The secret, shown once.", body = TotpEnrollmentBody),
        BadRequest, Unauthenticated, Conflict, AccountLocked, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[post("/mfa/totp/enroll")]
pub(crate) async fn enroll_totp(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    body: web::Json<EnrollTotpRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let enrolment = state
        .auth
        .enroll_totp(&user.0, &body.password, &meta.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(TotpEnrollmentBody::from(enrolment)))
}

/// Activates TOTP with a first code.
#[utoipa::path(
    tag = "auth",
    operation_id = "activate_totp",
    summary = "Activate TOTP",
    description = "Confirms the enrolment with a code from the authenticator and returns ten single-use recovery \
        codes, shown once (only their hashes are kept). From now on `POST /auth/login` answers `mfa_required` and \
        the sign-in completes at `POST /auth/mfa/challenge`. Audited as `auth.mfa_enabled`. Takes the account \
        password again: a wrong one is a 422 with `errors.password` and counts towards the sign-in lockout (423 \
        while locked). A wrong code is a 422 with `errors.code`; no enrolment, or TOTP already active, a 409.",
    request_body = ActivateTotpRequest,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "TOTP is on; the recovery codes, shown once.", body = RecoveryCodesBody),
        BadRequest, Unauthenticated, Conflict, AccountLocked, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[post("/mfa/totp/activate")]
pub(crate) async fn activate_totp(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    body: web::Json<ActivateTotpRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let codes = state
        .auth
        .activate_totp(&user.0, &body.password, &body.code, &meta.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(RecoveryCodesBody::from(codes)))
}

/// Removes TOTP.
#[utoipa::path(
    tag = "auth",
    operation_id = "disable_totp",
    summary = "Remove TOTP",
    description = "Turns TOTP off after checking the account password and a TOTP or unused recovery code; sign-in \
        takes a password alone again. Audited as `auth.mfa_disabled` (a wrong password as `auth.login_failed`, a \
        wrong code as `auth.mfa_failed`). A wrong password or code is a 422 naming the field and counts towards \
        the sign-in lockout (423 with `Retry-After` while locked); TOTP not on, a 409.",
    request_body = DisableTotpRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "TOTP is off."),
        BadRequest, Unauthenticated, Conflict, AccountLocked, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[delete("/mfa/totp")]
pub(crate) async fn disable_totp(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    body: web::Json<DisableTotpRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    state
        .auth
        .disable_totp(&user.0, &body.password, &body.code, &meta.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Completes a sign-in with a second factor.
#[utoipa::path(
    tag = "auth",
    operation_id = "mfa_challenge",
    summary = "Complete a sign-in with a TOTP or recovery code",
    description = "Takes the `mfa_token` that `POST /auth/login` returned for an account with TOTP (valid 5 minutes, \
        single use) and a current TOTP code or an unused recovery code, and answers the session's `TokenPair`. \
        A code is accepted once; a wrong one is a 401, is audited as `auth.mfa_failed` and counts towards the \
        account lockout (423 with `Retry-After`). An unknown, expired or spent `mfa_token` is a 401 too: sign in \
        again.",
    request_body = MfaChallengeRequest,
    responses(
        (status = 200, description = "Signed in.", body = TokenPairBody),
        BadRequest, BadMfaCode, AccountSuspended, AccountLocked, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[post("/mfa/challenge")]
pub(crate) async fn mfa_challenge(
    state: web::Data<AppState>,
    meta: ClientMeta,
    req: HttpRequest,
    body: web::Json<MfaChallengeRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let pair = state
        .auth
        .complete_mfa(&body.mfa_token, &body.code, &meta.0)
        .await?;
    let mut answer = HttpResponse::Ok();
    cookies::sign_in(&mut answer, &req, &state.http, &pair);
    Ok(answer
        .insert_header(NO_STORE)
        .json(TokenPairBody::new(pair, &state.http.public_url)))
}
