//! `/api/v1/admin/orgs`: every organization, for the service's administrators (permissions
//! `orgs:read` and `orgs:write`, checked by `OrganizationService`).

use actix_web::{HttpResponse, get, patch, web};
use plinth_kernel::PageRequest;
use plinth_orgs::OrgId;

use crate::dto::org::{
    AdminOrgBody, AdminOrgPageBody, AdminOrgPatchRequest, AdminOrgQuery, OrgMemberPageBody,
};
use crate::dto::page::PageQuery;
use crate::openapi::responses::{
    BadRequest, Forbidden, Internal, NotFound, PayloadTooLarge, Unauthenticated, Unavailable,
    Validation,
};
use crate::routes::NO_STORE;
use crate::{ApiError, AppState, AuthUser, ClientMeta};

/// Lists and searches organizations (permission `orgs:read`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_orgs",
    summary = "List organizations",
    description = "Every organization, newest first, with its member count; `q` keeps those whose name \
        contains it (case-insensitively). Needs the `orgs:read` permission.",
    security(("bearer" = [])),
    params(AdminOrgQuery),
    responses(
        (status = 200, description = "A page of organizations.", body = AdminOrgPageBody),
        BadRequest, Unauthenticated, Forbidden, Internal, Unavailable
    )
)]
#[get("/orgs")]
#[tracing::instrument(skip_all)]
pub(crate) async fn list_orgs(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<AdminOrgQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = PageRequest::new(query.limit, query.cursor.as_deref())?;
    let found = state
        .orgs
        .admin_search(&user.caller(), query.q.as_deref(), page)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(AdminOrgPageBody {
            items: found.items.into_iter().map(AdminOrgBody::from).collect(),
            next_cursor: found.next_cursor.map(|c| c.encode()),
        }))
}

/// Reads one organization (permission `orgs:read`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_get_org",
    summary = "Get an organization",
    description = "The organization with its member count and suspension. Needs the `orgs:read` permission.",
    security(("bearer" = [])),
    params(("org_id" = uuid::Uuid, Path, description = "Organization id")),
    responses(
        (status = 200, description = "The organization.", body = AdminOrgBody),
        Unauthenticated, Forbidden, NotFound, Internal, Unavailable
    )
)]
#[get("/orgs/{org_id}")]
#[tracing::instrument(skip_all)]
pub(crate) async fn get_org(
    state: web::Data<AppState>,
    user: AuthUser,
    org: web::Path<OrgId>,
) -> Result<HttpResponse, ApiError> {
    let found = state
        .orgs
        .admin_get(&user.caller(), org.into_inner())
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(AdminOrgBody::from(found)))
}

/// Lists an organization's members (permission `orgs:read`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_org_members",
    summary = "List an organization's members",
    description = "The members with their addresses, names and roles, by user id. Needs the `orgs:read` \
        permission.",
    security(("bearer" = [])),
    params(("org_id" = uuid::Uuid, Path, description = "Organization id"), PageQuery),
    responses(
        (status = 200, description = "A page of members.", body = OrgMemberPageBody),
        BadRequest, Unauthenticated, Forbidden, NotFound, Internal, Unavailable
    )
)]
#[get("/orgs/{org_id}/members")]
#[tracing::instrument(skip_all)]
pub(crate) async fn list_org_members(
    state: web::Data<AppState>,
    user: AuthUser,
    org: web::Path<OrgId>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let caller = user.caller();
    let page = state
        .orgs
        .admin_members(&caller, org.into_inner(), query.try_into_domain()?)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(OrgMemberPageBody::from(page)))
}

/// Suspends or reinstates an organization (permission `orgs:write`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_update_org",
    summary = "Suspend or reinstate an organization",
    description = "`suspended: true` suspends it: its members can still see it and leave it, and every other \
        organization operation answers them 403 (invitations to it cannot be accepted). `false` reinstates \
        it. Setting the state it has already changes nothing. Audited as `admin.org_suspended` or \
        `admin.org_reinstated`. Needs the `orgs:write` permission.",
    security(("bearer" = [])),
    params(("org_id" = uuid::Uuid, Path, description = "Organization id")),
    request_body = AdminOrgPatchRequest,
    responses(
        (status = 200, description = "The organization.", body = AdminOrgBody),
        BadRequest, Unauthenticated, Forbidden, NotFound, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[patch("/orgs/{org_id}")]
#[tracing::instrument(skip_all)]
pub(crate) async fn update_org(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    org: web::Path<OrgId>,
    body: web::Json<AdminOrgPatchRequest>,
) -> Result<HttpResponse, ApiError> {
    let changed = state
        .orgs
        .admin_set_suspended(&user.caller(), org.into_inner(), body.suspended, &meta.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(AdminOrgBody::from(changed)))
}
