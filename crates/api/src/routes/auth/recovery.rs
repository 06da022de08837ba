//! `/api/v1/auth/password/*` and `/auth/email/*`: change and recover a password, verify an
//! email address.
//!
//! A reset or verification token that is unknown, expired, already used or issued for the
//! other purpose answers 422 `validation_failed` with `errors.token` (one message for all,
//! so nothing is learnt about which). A wrong current password answers 422 with
//! `errors.current_password`, not 401: the caller's credentials (the access token) are fine,
//! and a 401 would make clients sign out or refresh.

use actix_web::{HttpResponse, post, web};
use validator::Validate as _;

use super::super::NO_STORE;
use crate::dto::recovery::{
    AcceptedBody, ChangePasswordRequest, ConfirmEmailChangeRequest, ForgotPasswordRequest,
    ResetPasswordRequest, VerifyEmailRequest,
};
use crate::openapi::responses::{
    AccountLocked, BadRequest, EmailTaken, Internal, PayloadTooLarge, Unauthenticated, Unavailable,
    Validation,
};
use crate::{ApiError, AppState, AuthUser, ClientMeta};

fn accepted() -> HttpResponse {
    HttpResponse::Accepted()
        .insert_header(NO_STORE)
        .json(AcceptedBody::new())
}

/// Changes the caller's password.
#[utoipa::path(
    tag = "auth",
    operation_id = "change_password",
    summary = "Change my password",
    description = "Checks `current_password`, sets `new_password` (same policy as sign-up), ends every other \
        session of the caller (the current one stays signed in) and spends every reset link mailed before. A \
        wrong current password is a 422 with `errors.current_password`, is audited as `auth.login_failed` and \
        counts towards the sign-in lockout (423 with `Retry-After` while locked); a refused new one a 422 with \
        `errors.new_password`. Audited as `auth.password_changed`.",
    request_body = ChangePasswordRequest,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The password is changed; other sessions are revoked."),
        BadRequest, Unauthenticated, AccountLocked, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[post("/password/change")]
pub(crate) async fn change_password(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    body: web::Json<ChangePasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    state
        .auth
        .change_password(&user.0, &body.current_password, body.new_password, &meta.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Asks for a password-reset mail.
#[utoipa::path(
    tag = "auth",
    operation_id = "forgot_password",
    summary = "Ask for a password-reset link",
    description = "If an account has this email, mails it a link `{PUBLIC_URL}/reset-password?token=…`, valid for \
        30 minutes and usable once. The answer is the same 202, given before any lookup (the work happens in the \
        background), whether or not the account exists, and also when the account already received 3 reset \
        mails in the last hour (then nothing is sent).",
    request_body = ForgotPasswordRequest,
    responses(
        (status = 202, description = "Accepted; a mail is sent if the account exists.", body = AcceptedBody),
        BadRequest, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[post("/password/forgot")]
pub(crate) async fn forgot_password(
    state: web::Data<AppState>,
    body: web::Json<ForgotPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    state.auth.forgot_password(&body.email);
    Ok(accepted())
}

/// Sets a new password with a reset token.
#[utoipa::path(
    tag = "auth",
    operation_id = "reset_password",
    summary = "Reset the password with an emailed token",
    description = "Takes the `token` of a reset link and a new password (same policy as sign-up). The token is \
        spent, every session of the account is revoked and a sign-in lockout is lifted. An unknown, expired, \
        used or wrong-purpose token is a 422 with `errors.token`; a refused password a 422 with \
        `errors.new_password` (the token stays usable). Every other reset link of the account is spent with it. \
        Audited as `auth.password_reset`.",
    request_body = ResetPasswordRequest,
    responses(
        (status = 204, description = "The password is set; every session is revoked."),
        BadRequest, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[post("/password/reset")]
pub(crate) async fn reset_password(
    state: web::Data<AppState>,
    meta: ClientMeta,
    body: web::Json<ResetPasswordRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    state
        .auth
        .reset_password(&body.token, body.new_password, &meta.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Confirms the email address with a verification token.
#[utoipa::path(
    tag = "auth",
    operation_id = "verify_email",
    summary = "Verify my email address",
    description = "Takes the `token` of a verification link (`{PUBLIC_URL}/verify-email?token=…`, sent on sign-up \
        and by `resendVerification`, valid 48 hours, usable once) and sets `email_verified`. An unknown, expired, \
        used or wrong-purpose token is a 422 with `errors.token`. Audited as `auth.email_verified`.",
    request_body = VerifyEmailRequest,
    responses(
        (status = 204, description = "The email is verified."),
        BadRequest, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[post("/email/verify")]
pub(crate) async fn verify_email(
    state: web::Data<AppState>,
    meta: ClientMeta,
    body: web::Json<VerifyEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    state.auth.verify_email(&body.token, &meta.0).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Confirms an email change with the token mailed to the new address.
#[utoipa::path(
    tag = "auth",
    operation_id = "confirm_email_change",
    summary = "Confirm a new email address",
    description = "Takes the `token` of the link mailed to the new address by `POST /me/email` \
        (`{PUBLIC_URL}/confirm-email-change?token=…`, valid 24 hours, usable once; it needs no sign-in, so it \
        works from any device): the account's address becomes that one, verified. Every other pending change, \
        reset and verification link of the account stops working, and the old address is told. An unknown, \
        expired, used or altered token is a 422 with `errors.token`; an address another account took meanwhile, \
        a 409 `email_taken`. Audited as `auth.email_changed`.",
    request_body = ConfirmEmailChangeRequest,
    responses(
        (status = 204, description = "The account's address is the new one."),
        BadRequest, EmailTaken, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[post("/email/change")]
pub(crate) async fn confirm_email_change(
    state: web::Data<AppState>,
    meta: ClientMeta,
    body: web::Json<ConfirmEmailChangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    state
        .auth
        .confirm_email_change(&body.token, &meta.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Asks for a new verification mail.
#[utoipa::path(
    tag = "auth",
    operation_id = "resend_verification",
    summary = "Send the verification mail again",
    description = "Mails the caller a new verification link. Answers 202 and sends nothing when the email is \
        already verified or 3 verification mails went out in the last hour.",
    security(("bearer" = [])),
    responses(
        (status = 202, description = "Accepted.", body = AcceptedBody),
        Unauthenticated, Internal, Unavailable
    )
)]
#[post("/email/resend")]
pub(crate) async fn resend_verification(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    state.auth.resend_verification(&user.0).await?;
    Ok(accepted())
}
