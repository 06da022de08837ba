//! `/api/v1/admin/roles`: the roles and their permissions; custom roles (permission
//! `roles:write`).

use actix_web::{HttpResponse, get, post, web};
use plinth_users::Permission;

use crate::dto::role::{NewRoleRequest, RoleBody, RoleListBody};
use crate::openapi::responses::{
    BadRequest, Internal, PayloadTooLarge, RoleConflict, RoleForbidden, Unauthenticated,
    Unavailable, Validation,
};
use crate::routes::NO_STORE;
use crate::{ApiError, AppState, AuthUser, ClientMeta};

/// Lists the roles (permission `roles:write`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_roles",
    summary = "List roles",
    description = "Every role, built-in and custom, with its rank and permissions, highest rank \
        first. Needs the `roles:write` permission.",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Every role.", body = RoleListBody),
        Unauthenticated, RoleForbidden, Internal, Unavailable
    )
)]
#[get("/roles")]
#[tracing::instrument(skip_all)]
pub(crate) async fn list_roles(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let roles = state.account_admin.list_roles(&user.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(RoleListBody {
            items: roles.into_iter().map(RoleBody::from).collect(),
        }))
}

/// Creates a custom role (permission `roles:write`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_create_role",
    summary = "Create a role",
    description = "Stores a custom role granting `permissions`, assignable at once with \
        `PATCH /api/v1/admin/users/{id}`. Custom roles rank 0, like `user`, so the caller must \
        rank above that (403 otherwise), and may grant only permissions its own access token \
        carries (403 naming the others). A malformed name or an unknown permission is a 422, a \
        taken name (built-in ones included) a 409; nothing is stored then. A role's \
        permissions reach its holders' access tokens when those are minted (sign-in, refresh, \
        MFA challenge). Audited as `admin.role_created`. Needs the `roles:write` permission.",
    security(("bearer" = [])),
    request_body = NewRoleRequest,
    responses(
        (status = 201, description = "The new role.", body = RoleBody),
        BadRequest, Unauthenticated, RoleForbidden, RoleConflict, PayloadTooLarge, Validation,
        Internal, Unavailable
    )
)]
#[post("/roles")]
#[tracing::instrument(skip_all)]
pub(crate) async fn create_role(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    body: web::Json<NewRoleRequest>,
) -> Result<HttpResponse, ApiError> {
    user.caller().require(Permission::ROLES_WRITE)?;
    let role = state
        .account_admin
        .create_role(&user.0, body.into_inner().into_domain(), &meta.0)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(NO_STORE)
        .json(RoleBody::from(role)))
}
