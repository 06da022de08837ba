//! `/api/v1/me`: the signed-in user's own account.

use actix_web::{HttpResponse, get, patch, web};
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate as _;

use super::NO_STORE;
use crate::dto::user::{UpdateMeRequest, UserBody};
use crate::openapi::responses::{
    BadRequest, Internal, NotFound, PayloadTooLarge, Unauthenticated, Unavailable, Validation,
};
use crate::{ApiError, AppState, AuthUser, ClientMeta};

mod data;
mod export;

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_me)
        .service(update_me)
        .service(data::get_my_data)
        .service(data::put_my_data)
        .service(export::export_me);
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
        .json(UserBody::from(me)))
}

/// Changes the caller's own profile.
#[utoipa::path(
    tag = "me",
    operation_id = "update_me",
    summary = "Update my profile",
    description = "Changes the caller's display name. Any other field (`role`, `status`, `email_verified`…) is \
        refused with 422: a user can never change them on themselves.",
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
        .json(UserBody::from(me)))
}
