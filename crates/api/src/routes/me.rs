//! `/api/v1/me`: the signed-in user's own account.

use actix_web::{HttpResponse, delete, get, patch, web};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate as _;

use super::NO_STORE;
use crate::dto::user::{DeleteMeRequest, UpdateMeRequest, UserBody};
use crate::openapi::responses::{
    AccountLocked, BadRequest, Internal, LastOwnerOfOrgs, NotFound, PayloadTooLarge,
    Unauthenticated, Unavailable, Validation,
};
use crate::{ApiError, AppState, AuthUser, ClientMeta};

mod avatar;
mod data;
mod email;
mod export;
mod identities;
mod passkeys;

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_me)
        .service(update_me)
        .service(delete_me)
        .service(avatar::put_my_avatar)
        .service(avatar::delete_my_avatar)
        .service(data::get_my_data)
        .service(data::put_my_data)
        .service(export::export_me)
        .service(email::change_email)
        .service(identities::list_identities)
        .service(identities::link_identity)
        .service(identities::unlink_identity)
        .service(passkeys::list_passkeys)
        .service(passkeys::start_registration)
        .service(passkeys::register_passkey)
        .service(passkeys::rename_passkey)
        .service(passkeys::remove_passkey);
}

/// The caller's account.
#[utoipa::path(
    tag = "me",
    operation_id = "get_me",
    summary = "Get my account",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's account.", body = UserBody),
        Unauthenticated, NotFound, Internal, Unavailable
    )
)]
#[get("")]
pub(crate) async fn get_me(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let me = state.users.get(user.0.user_id).await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(UserBody::new(me, &state.http.public_url)))
}

/// Changes the caller's own profile.
#[utoipa::path(
    tag = "me",
    operation_id = "update_me",
    summary = "Update my profile",
    description = "Changes the caller's display name and/or `locale`, the language of their mail (a BCP 47 tag such \
        as `en`, `de` or `pt-BR`, normalised; `null` goes back to the deployment's default, English). Audited as \
        `user.updated` with the fields that changed. A bad value is a 422 naming the field, and nothing changes. \
        Any other field (`role`, `status`, `email_verified`…) is refused with 422: a user can never change them on \
        themselves.",
    security(("bearer" = [])),
    request_body = UpdateMeRequest,
    responses(
        (status = 200, description = "The updated account.", body = UserBody),
        BadRequest, Unauthenticated, NotFound, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[patch("")]
pub(crate) async fn update_me(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    body: web::Json<UpdateMeRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let me = state
        .users
        .update_profile(user.0.user_id, body.into_domain(), &meta.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(UserBody::new(me, &state.http.public_url)))
}

/// Erases the caller's account.
#[utoipa::path(
    tag = "me",
    operation_id = "delete_me",
    summary = "Delete my account",
    description = "After checking `password`: deletes every file the caller owns (all versions and their stored \
        bytes) and the avatar image, ends every share with the caller's address, ends every session (access tokens stop working within \
        `REVOCATION_SYNC_INTERVAL`) and deletes the account with its app data and TOTP. Audit entries stay, with \
        the account's id as a pseudonymous actor (`user.deleted`, `by: self`); no email or name is kept there. \
        A wrong password is a 422 with `errors.password` and changes nothing but the sign-in lockout it counts \
        towards (audited as `auth.login_failed`); while the account is locked, a 423 with `Retry-After`. \
        The account leaves its organizations; one it is the only member of is deleted. While it is the last \
        owner of an organization that has other members, the answer is a 409 and nothing is erased: hand \
        ownership on first.",
    security(("bearer" = [])),
    request_body = DeleteMeRequest,
    responses(
        (status = 204, description = "The account and its files are gone."),
        BadRequest, Unauthenticated, LastOwnerOfOrgs, AccountLocked, PayloadTooLarge, Validation, Internal,
        Unavailable
    )
)]
#[delete("")]
pub(crate) async fn delete_me(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    body: web::Json<DeleteMeRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    state
        .accounts
        .erase_own(&user.0, &body.password, &meta.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
