//! `POST /api/v1/me/email`: moving the caller's account to another address (confirmed at
//! `POST /auth/email/change`).

use actix_web::{HttpResponse, post, web};
use validator::Validate as _;

use super::super::NO_STORE;
use crate::dto::recovery::{AcceptedBody, ChangeEmailRequest};
use crate::openapi::responses::{
    AccountLocked, BadRequest, Internal, PayloadTooLarge, ReauthenticationRequired,
    Unauthenticated, Unavailable, Validation,
};
use crate::{ApiError, AppState, AuthUser, ClientMeta};

/// Asks to change the caller's email address.
#[utoipa::path(
    tag = "me",
    operation_id = "change_my_email",
    summary = "Change my email address",
    description = "Mails a link to `new_email` (valid 24 hours, usable once; an earlier pending change stops \
        working) and a notice to the current address. Nothing changes until the new address confirms at \
        `POST /auth/email/change`; the current address keeps signing in meanwhile. A new address is a new way into \
        the account, so send the `password` (checked like a sign-in: a wrong one is a 422 with `errors.password` \
        and counts towards the lockout), or call within 10 minutes of signing in; otherwise a 403 \
        `reauthentication_required`. An address another account holds gets the same 202 and no mail, so the answer \
        tells nothing about who has an account; at most 3 links go out per account and hour. The account's own \
        address, or no address at all, is a 422 with `errors.new_email`. Audited as `auth.email_change_requested`.",
    security(("bearer" = [])),
    request_body = ChangeEmailRequest,
    responses(
        (status = 202, description = "Accepted: a link went to the new address, unless it is taken.", body = AcceptedBody),
        BadRequest, Unauthenticated, ReauthenticationRequired, PayloadTooLarge, Validation, AccountLocked, Internal,
        Unavailable
    )
)]
#[post("/email")]
pub(crate) async fn change_email(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    body: web::Json<ChangeEmailRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    state
        .auth
        .request_email_change(&user.0, &body.new_email, body.password.as_deref(), &meta.0)
        .await?;
    Ok(HttpResponse::Accepted()
        .insert_header(NO_STORE)
        .json(AcceptedBody::new()))
}
