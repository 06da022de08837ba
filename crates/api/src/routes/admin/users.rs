//! `/api/v1/admin/users/{id}`: one account read, changed or deleted by an administrator.

use actix_web::{HttpResponse, delete, get, patch, web};
use plinth_users::{Permission, UserId};

use crate::dto::user::{AdminUserPatchRequest, UserBody};
use crate::openapi::responses::{
    BadRequest, Forbidden, Internal, LastOwnerOfOrgs, NotFound, PayloadTooLarge, Unauthenticated,
    Unavailable, Validation,
};
use crate::routes::NO_STORE;
use crate::{ApiError, AppState, AuthUser, ClientMeta};

/// Reads one account (permission `users:read`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_get_user",
    summary = "Get a user",
    description = "One account by id. Needs the `users:read` permission.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses(
        (status = 200, description = "The user.", body = UserBody),
        Unauthenticated, Forbidden, NotFound, Internal, Unavailable
    )
)]
#[get("/users/{id}")]
#[tracing::instrument(skip_all)]
pub(crate) async fn get_user(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<UserId>,
) -> Result<HttpResponse, ApiError> {
    let found = state.users.find(&user.caller(), id.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(UserBody::new(found, &state.http.public_url)))
}

/// Changes an account's role, status or name (permission `users:write`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_update_user",
    summary = "Change a user",
    description = "Changes `role`, `status` and/or `name`. The account's role must rank strictly \
        below the caller's (`user` and custom roles 0 < `admin` 1 < `super_admin` 2); a role \
        granted must exist (422 otherwise; `GET /api/v1/admin/roles` lists them) and rank \
        strictly below the caller's too, except that a `super_admin` may grant any built-in \
        role, and its permissions must all be held by the caller. A new role takes effect in \
        the account's next access token; its current ones are revoked. Nobody changes their \
        own role or status. \
        Suspending ends every session of the account at once. Audited as `admin.user_updated` \
        (and `admin.role_changed`). Needs the `users:write` permission.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "User id")),
    request_body = AdminUserPatchRequest,
    responses(
        (status = 200, description = "The changed user.", body = UserBody),
        BadRequest, Unauthenticated, Forbidden, NotFound, PayloadTooLarge, Validation, Internal,
        Unavailable
    )
)]
#[patch("/users/{id}")]
#[tracing::instrument(skip_all)]
pub(crate) async fn update_user(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<UserId>,
    body: web::Json<AdminUserPatchRequest>,
) -> Result<HttpResponse, ApiError> {
    user.caller().require(Permission::USERS_WRITE)?;
    let patch = body.into_inner().try_into_domain()?;
    let changed = state
        .account_admin
        .admin_update_user(&user.0, id.into_inner(), patch, &meta.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(UserBody::new(changed, &state.http.public_url)))
}

/// Deletes an account (permission `users:write`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_delete_user",
    summary = "Delete a user",
    description = "Erases the account as `DELETE /api/v1/me` does, in one transaction: every file it \
        owns (all versions, audited as `file.deleted`; their stored bytes and the avatar image are \
        removed once that is committed), every session, and the account. Shares with the \
        account's address stay: they were granted to the address, and its real owner can claim \
        them by registering and verifying it. The account's role must rank strictly below the caller's. Deleting \
        yourself here is a 403: use `DELETE /api/v1/me`. Audited as `user.deleted`, referring to \
        the account by id only. The account leaves its organizations as with `DELETE /api/v1/me` (409 while \
        it is the last owner of one with other members). Needs the `users:write` permission.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "User id")),
    responses(
        (status = 204, description = "The user is deleted."),
        Unauthenticated, Forbidden, NotFound, LastOwnerOfOrgs, Internal, Unavailable
    )
)]
#[delete("/users/{id}")]
#[tracing::instrument(skip_all)]
pub(crate) async fn delete_user(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<UserId>,
) -> Result<HttpResponse, ApiError> {
    state
        .accounts
        .erase_by_admin(&user.0, id.into_inner(), &meta.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
