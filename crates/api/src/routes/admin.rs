//! `/api/v1/admin`: operations guarded by a permission.

use actix_web::{HttpResponse, get, post, web};
use plinth_users::Permission;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate as _;

use super::NO_STORE;
use crate::dto::billing::{NewPlanRequest, PlanBody};
use crate::dto::user::{UserBody, UserListQuery, UserPageBody};
use crate::middleware::idempotency::IdempotencyKeyHeader;
use crate::openapi::responses::{
    BadRequest, Forbidden, IdempotentConflict, IdempotentValidation, Internal, PayloadTooLarge,
    Unauthenticated, Unavailable,
};
use crate::{ApiError, AppState, AuthUser, ClientMeta};

mod announcements;
mod audit;
mod invoices;
mod orgs;
mod plans;
mod roles;
mod stats;
mod users;

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_users)
        .service(users::get_user)
        .service(users::update_user)
        .service(users::delete_user)
        .service(stats::stats)
        .service(create_plan)
        .service(plans::update_plan)
        .service(audit::list_audit)
        .service(audit::verify_audit)
        .service(announcements::create_announcement)
        .service(announcements::list_announcements)
        .service(roles::list_roles)
        .service(roles::create_role)
        .service(orgs::list_orgs)
        .service(orgs::get_org)
        .service(orgs::list_org_members)
        .service(orgs::update_org)
        .configure(invoices::configure);
}

/// Lists user accounts (permission `users:read`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_users",
    summary = "List users",
    description = "Every account, oldest first, filtered by `q` (email or name), `role` and `status`. \
        Needs the `users:read` permission.",
    security(("bearer" = [])),
    params(UserListQuery),
    responses(
        (status = 200, description = "A page of users.", body = UserPageBody),
        BadRequest, Unauthenticated, Forbidden, Internal, Unavailable
    )
)]
#[get("/users")]
pub(crate) async fn list_users(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<UserListQuery>,
) -> Result<HttpResponse, ApiError> {
    let caller = user.caller();
    caller.require(Permission::USERS_READ)?;
    let (filter, page) = query.into_inner().try_into_domain()?;
    let page = state.users.list(&caller, &filter, page).await?;
    let body = UserPageBody {
        items: page
            .items
            .into_iter()
            .map(|u| UserBody::new(u, &state.http.public_url))
            .collect(),
        next_cursor: page.next_cursor.map(|c| c.encode()),
    };
    Ok(HttpResponse::Ok().insert_header(NO_STORE).json(body))
}

/// Creates a plan (permission `billing:write`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_create_plan",
    summary = "Create a plan",
    description = "Adds a plan to the catalogue. Needs the `billing:write` permission. The `code` is unique. \
        Honours `Idempotency-Key`.",
    security(("bearer" = [])),
    params(IdempotencyKeyHeader),
    request_body = NewPlanRequest,
    responses(
        (status = 201, description = "The new plan.", body = PlanBody),
        BadRequest, Unauthenticated, Forbidden, IdempotentConflict, PayloadTooLarge, IdempotentValidation, Internal, Unavailable
    )
)]
#[post(
    "/plans",
    wrap = "actix_web::middleware::from_fn(crate::middleware::idempotency::idempotent)"
)]
pub(crate) async fn create_plan(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    body: web::Json<NewPlanRequest>,
) -> Result<HttpResponse, ApiError> {
    let caller = user.caller();
    caller.require(Permission::BILLING_WRITE)?;
    let body = body.into_inner();
    body.validate()?;
    let plan = state
        .plans
        .create_plan(&caller, body.try_into_domain()?, &meta.0)
        .await?;
    Ok(HttpResponse::Created().json(PlanBody::from(plan)))
}
