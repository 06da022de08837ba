//! `/api/v1/orgs`: organizations, their members and roles. Every check is the use case's
//! (`OrganizationService`): a caller who is not a member gets 404 for everything about an
//! organization, whether it exists or not.

use actix_web::{HttpResponse, delete, get, patch, post, put, web};
use plinth_kernel::UserId;
use plinth_orgs::OrgId;
use utoipa_actix_web::service_config::ServiceConfig;

use super::NO_STORE;
use crate::dto::audit::{AuditListQuery, AuditPageBody};
use crate::dto::org::{
    BillingContactBody, BillingContactRequest, NewOrgRoleRequest, NewOrganizationRequest,
    OrgAuditReportBody, OrgMemberPageBody, OrgMemberPatchRequest, OrgMemberRoleBody, OrgRoleBody,
    OrgRoleListBody, OrganizationBody, OrganizationPageBody, OrganizationPatchRequest,
    OwnershipTransferRequest,
};
use crate::dto::page::PageQuery;
use crate::openapi::responses::{
    BadRequest, Internal, OrgConflict, OrgForbidden, OrgNotFound, PayloadTooLarge, Unauthenticated,
    Unavailable, Validation,
};
use crate::{ApiError, AppState, AuthUser, ClientMeta};

pub(super) mod invitations;

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.configure(invitations::configure);
    cfg.service(create_organization)
        .service(list_organizations)
        .service(get_organization)
        .service(rename_organization)
        .service(delete_organization)
        .service(list_org_members)
        .service(change_org_member_role)
        .service(remove_org_member)
        .service(transfer_org_ownership)
        .service(list_org_roles)
        .service(create_org_role)
        .service(delete_org_role)
        .service(list_org_audit)
        .service(verify_org_audit)
        .service(get_org_billing_contact)
        .service(set_org_billing_contact);
}

/// Who the organization's invoices are addressed to (`org_billing:read` there).
#[utoipa::path(
    tag = "organizations",
    operation_id = "get_org_billing_contact",
    summary = "Get the organization's billing contact",
    description = "The name and address the organization's invoices are addressed to; `null` parts fall back \
        to the organization's name and its longest-standing owner's address. Needs `org_billing:read` in the \
        organization (owners and admins; a custom role may grant it).",
    security(("bearer" = [])),
    params(("org_id" = uuid::Uuid, Path, description = "Organization id")),
    responses(
        (status = 200, description = "The billing contact.", body = BillingContactBody),
        Unauthenticated, OrgForbidden, OrgNotFound, Internal, Unavailable
    )
)]
#[get("/{org_id}/billing-contact")]
#[tracing::instrument(skip_all)]
pub(crate) async fn get_org_billing_contact(
    state: web::Data<AppState>,
    user: AuthUser,
    org: web::Path<OrgId>,
) -> Result<HttpResponse, ApiError> {
    let contact = state
        .orgs
        .billing_contact(&user.caller(), org.into_inner())
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(BillingContactBody::from(contact)))
}

/// Sets who the organization's invoices are addressed to (`org_billing:write` there).
#[utoipa::path(
    tag = "organizations",
    operation_id = "set_org_billing_contact",
    summary = "Set the organization's billing contact",
    description = "Replaces the name and address the organization's next invoices are addressed to (issued \
        invoices keep the contact they were issued to); `null` clears one back to its fallback (the \
        organization's name, its longest-standing owner's address). Needs `org_billing:write` in the \
        organization. Audited as `org.billing_contact_changed`.",
    security(("bearer" = [])),
    params(("org_id" = uuid::Uuid, Path, description = "Organization id")),
    request_body = BillingContactRequest,
    responses(
        (status = 200, description = "The new billing contact.", body = BillingContactBody),
        BadRequest, Unauthenticated, OrgForbidden, OrgNotFound, PayloadTooLarge, Validation, Internal,
        Unavailable
    )
)]
#[put("/{org_id}/billing-contact")]
#[tracing::instrument(skip_all)]
pub(crate) async fn set_org_billing_contact(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    org: web::Path<OrgId>,
    body: web::Json<BillingContactRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let contact = state
        .orgs
        .set_billing_contact(
            &user.caller(),
            org.into_inner(),
            body.name.as_deref(),
            body.email.as_deref(),
            &meta.0,
        )
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(BillingContactBody::from(contact)))
}

/// Verifies the organization's audit entries (`org_audit:read` there).
#[utoipa::path(
    tag = "organizations",
    operation_id = "verify_org_audit",
    summary = "Verify the organization's audit entries",
    description = "Checks every audit entry filed under the organization against its stored hash (an edited \
        entry, or one moved here from another organization, no longer matches) and reports the earliest that \
        does not, and whether the whole trail verifies (`trail_intact`: `false` after an edit, a deletion or a \
        reordering of any row anywhere; one bit, no other tenant's row is shown). Needs `org_audit:read` in the \
        organization. Reads the whole trail: rate-limited like every operation.",
    security(("bearer" = [])),
    params(("org_id" = uuid::Uuid, Path, description = "Organization id")),
    responses(
        (status = 200, description = "The report.", body = OrgAuditReportBody),
        Unauthenticated, OrgForbidden, OrgNotFound, Internal, Unavailable
    )
)]
#[get("/{org_id}/audit/verify")]
#[tracing::instrument(skip_all)]
pub(crate) async fn verify_org_audit(
    state: web::Data<AppState>,
    user: AuthUser,
    org: web::Path<OrgId>,
) -> Result<HttpResponse, ApiError> {
    let report = state
        .orgs
        .verify_audit(&user.caller(), org.into_inner())
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(OrgAuditReportBody::from(report)))
}

/// Lists the organization's audit entries (`org_audit:read` there).
#[utoipa::path(
    tag = "organizations",
    operation_id = "list_org_audit",
    summary = "List the organization's audit entries",
    description = "The audit entries filed under the organization (every change to it, its members, roles and \
        invitations), newest first, narrowed by `actor_id`, `action`, `target_id`, `from` and `to` as in \
        `GET /api/v1/admin/audit` (`org_id` is always this organization's). Only this organization's rows \
        are read. Needs `org_audit:read` in the organization (owners and admins).",
    security(("bearer" = [])),
    params(("org_id" = uuid::Uuid, Path, description = "Organization id"), AuditListQuery),
    responses(
        (status = 200, description = "A page of audit entries.", body = AuditPageBody),
        BadRequest, Unauthenticated, OrgForbidden, OrgNotFound, Internal, Unavailable
    )
)]
#[get("/{org_id}/audit")]
#[tracing::instrument(skip_all)]
pub(crate) async fn list_org_audit(
    state: web::Data<AppState>,
    user: AuthUser,
    org: web::Path<OrgId>,
    query: web::Query<AuditListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (filter, page) = query.into_inner().try_into_domain()?;
    let page = state
        .orgs
        .audit(&user.caller(), org.into_inner(), filter, page)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(AuditPageBody::new(
            page.items,
            page.next_cursor.map(|c| c.encode()),
        )))
}

/// Creates an organization; the caller becomes its owner.
#[utoipa::path(
    tag = "organizations",
    operation_id = "create_organization",
    summary = "Create an organization",
    description = "Creates an organization named `name` (1–100 characters after trimming) with the caller \
        as its `owner`. Any signed-in user. A bad name is a 422 and stores nothing. Audited as `org.created`.",
    security(("bearer" = [])),
    request_body = NewOrganizationRequest,
    responses(
        (status = 201, description = "The new organization, with the caller's role `owner`.", body = OrganizationBody),
        BadRequest, Unauthenticated, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[post("")]
#[tracing::instrument(skip_all)]
pub(crate) async fn create_organization(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    body: web::Json<NewOrganizationRequest>,
) -> Result<HttpResponse, ApiError> {
    let created = state
        .orgs
        .create(&user.caller(), &body.name, &meta.0)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(NO_STORE)
        .json(OrganizationBody::from(created)))
}

/// Lists the caller's organizations.
#[utoipa::path(
    tag = "organizations",
    operation_id = "list_organizations",
    summary = "List my organizations",
    description = "The organizations the caller belongs to, with their role in each, newest first.",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of organizations.", body = OrganizationPageBody),
        BadRequest, Unauthenticated, Internal, Unavailable
    )
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub(crate) async fn list_organizations(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = state
        .orgs
        .mine(&user.caller(), query.try_into_domain()?)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(OrganizationPageBody {
            items: page.items.into_iter().map(OrganizationBody::from).collect(),
            next_cursor: page.next_cursor.map(|c| c.encode()),
        }))
}

/// Reads one of the caller's organizations.
#[utoipa::path(
    tag = "organizations",
    operation_id = "get_organization",
    summary = "Get an organization",
    description = "The organization with the caller's role there. 404 unless the caller is a member.",
    security(("bearer" = [])),
    params(("org_id" = uuid::Uuid, Path, description = "Organization id")),
    responses(
        (status = 200, description = "The organization.", body = OrganizationBody),
        Unauthenticated, OrgNotFound, Internal, Unavailable
    )
)]
#[get("/{org_id}")]
#[tracing::instrument(skip_all)]
pub(crate) async fn get_organization(
    state: web::Data<AppState>,
    user: AuthUser,
    org: web::Path<OrgId>,
) -> Result<HttpResponse, ApiError> {
    let found = state.orgs.get(&user.caller(), org.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(OrganizationBody::from(found)))
}

/// Renames an organization (`org:write` there).
#[utoipa::path(
    tag = "organizations",
    operation_id = "rename_organization",
    summary = "Rename an organization",
    description = "Sets the organization's name. Needs `org:write` in the organization (owners and admins). \
        Audited as `org.renamed` with the old and new names.",
    security(("bearer" = [])),
    params(("org_id" = uuid::Uuid, Path, description = "Organization id")),
    request_body = OrganizationPatchRequest,
    responses(
        (status = 200, description = "The renamed organization.", body = OrganizationBody),
        BadRequest, Unauthenticated, OrgForbidden, OrgNotFound, PayloadTooLarge, Validation, Internal,
        Unavailable
    )
)]
#[patch("/{org_id}")]
#[tracing::instrument(skip_all)]
pub(crate) async fn rename_organization(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    org: web::Path<OrgId>,
    body: web::Json<OrganizationPatchRequest>,
) -> Result<HttpResponse, ApiError> {
    let renamed = state
        .orgs
        .rename(&user.caller(), org.into_inner(), &body.name, &meta.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(OrganizationBody::from(renamed)))
}

/// Deletes an organization (an owner only).
#[utoipa::path(
    tag = "organizations",
    operation_id = "delete_organization",
    summary = "Delete an organization",
    description = "Deletes the organization with its memberships, custom roles, invitations and every file it \
        owns (each audited as `file.deleted`), in one transaction; its members' tokens acting for it stop \
        working (see `docs/organizations.md`, \"Deleting an organization\"). Owners only; audited as \
        `org.deleted`.",
    security(("bearer" = [])),
    params(("org_id" = uuid::Uuid, Path, description = "Organization id")),
    responses(
        (status = 204, description = "Deleted."),
        Unauthenticated, OrgForbidden, OrgNotFound, Internal, Unavailable
    )
)]
#[delete("/{org_id}")]
#[tracing::instrument(skip_all)]
pub(crate) async fn delete_organization(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    org: web::Path<OrgId>,
) -> Result<HttpResponse, ApiError> {
    state
        .organizations
        .delete(&user.caller(), org.into_inner(), &meta.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists an organization's members (`members:read` there).
#[utoipa::path(
    tag = "organizations",
    operation_id = "list_org_members",
    summary = "List members",
    description = "The organization's members with their addresses, names and roles, by user id. Needs \
        `members:read` in the organization (every built-in role has it).",
    security(("bearer" = [])),
    params(("org_id" = uuid::Uuid, Path, description = "Organization id"), PageQuery),
    responses(
        (status = 200, description = "A page of members.", body = OrgMemberPageBody),
        BadRequest, Unauthenticated, OrgForbidden, OrgNotFound, Internal, Unavailable
    )
)]
#[get("/{org_id}/members")]
#[tracing::instrument(skip_all)]
pub(crate) async fn list_org_members(
    state: web::Data<AppState>,
    user: AuthUser,
    org: web::Path<OrgId>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = state
        .orgs
        .members(&user.caller(), org.into_inner(), query.try_into_domain()?)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(OrgMemberPageBody::from(page)))
}

/// Changes a member's role.
#[utoipa::path(
    tag = "organizations",
    operation_id = "change_org_member_role",
    summary = "Change a member's role",
    description = "Gives the member `role`. The caller must be an owner, or hold `members:write` and outrank both \
        the member's current role and the new one, holding every permission it grants. Nobody changes their \
        own role (owners hand ownership on with `POST /orgs/{org_id}/ownership`), and the organization \
        always keeps an owner (409). An unknown role is a 422. Audited as `org.member_role_changed`.",
    security(("bearer" = [])),
    params(
        ("org_id" = uuid::Uuid, Path, description = "Organization id"),
        ("user_id" = uuid::Uuid, Path, description = "The member's user id"),
    ),
    request_body = OrgMemberPatchRequest,
    responses(
        (status = 200, description = "The member's new role.", body = OrgMemberRoleBody),
        BadRequest, Unauthenticated, OrgForbidden, OrgNotFound, OrgConflict, PayloadTooLarge, Validation,
        Internal, Unavailable
    )
)]
#[patch("/{org_id}/members/{user_id}")]
#[tracing::instrument(skip_all)]
pub(crate) async fn change_org_member_role(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    path: web::Path<(OrgId, UserId)>,
    body: web::Json<OrgMemberPatchRequest>,
) -> Result<HttpResponse, ApiError> {
    let (org, member) = path.into_inner();
    let changed = state
        .orgs
        .change_role(&user.caller(), org, member, &body.role, &meta.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(OrgMemberRoleBody::from(changed)))
}

/// Removes a member, or leaves.
#[utoipa::path(
    tag = "organizations",
    operation_id = "remove_org_member",
    summary = "Remove a member or leave",
    description = "With the caller's own user id: leaves the organization. Otherwise removes the member: the \
        caller must be an owner, or hold `members:write` and outrank the member. The last owner can neither \
        leave nor be removed (409). Audited as `org.member_removed` (`details.left` tells which).",
    security(("bearer" = [])),
    params(
        ("org_id" = uuid::Uuid, Path, description = "Organization id"),
        ("user_id" = uuid::Uuid, Path, description = "The member's user id"),
    ),
    responses(
        (status = 204, description = "Removed."),
        Unauthenticated, OrgForbidden, OrgNotFound, OrgConflict, Internal, Unavailable
    )
)]
#[delete("/{org_id}/members/{user_id}")]
#[tracing::instrument(skip_all)]
pub(crate) async fn remove_org_member(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    path: web::Path<(OrgId, UserId)>,
) -> Result<HttpResponse, ApiError> {
    let (org, member) = path.into_inner();
    state
        .orgs
        .remove_member(&user.caller(), org, member, &meta.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Hands ownership on to another member (an owner only).
#[utoipa::path(
    tag = "organizations",
    operation_id = "transfer_org_ownership",
    summary = "Transfer ownership",
    description = "The member `user_id` becomes an owner and the caller an admin. Owners only; `user_id` must be \
        another member (404 otherwise, 422 for the caller themselves). Audited as `org.ownership_transferred`.",
    security(("bearer" = [])),
    params(("org_id" = uuid::Uuid, Path, description = "Organization id")),
    request_body = OwnershipTransferRequest,
    responses(
        (status = 204, description = "Ownership moved."),
        BadRequest, Unauthenticated, OrgForbidden, OrgNotFound, PayloadTooLarge, Validation, Internal,
        Unavailable
    )
)]
#[post("/{org_id}/ownership")]
#[tracing::instrument(skip_all)]
pub(crate) async fn transfer_org_ownership(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    org: web::Path<OrgId>,
    body: web::Json<OwnershipTransferRequest>,
) -> Result<HttpResponse, ApiError> {
    state
        .orgs
        .transfer_ownership(
            &user.caller(),
            org.into_inner(),
            UserId::from_uuid(body.user_id),
            &meta.0,
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Lists an organization's roles (`members:read` there).
#[utoipa::path(
    tag = "organizations",
    operation_id = "list_org_roles",
    summary = "List organization roles",
    description = "The built-in roles `owner`, `admin` and `member`, then the organization's custom roles by \
        name, each with its rank and permissions. Needs `members:read` in the organization.",
    security(("bearer" = [])),
    params(("org_id" = uuid::Uuid, Path, description = "Organization id")),
    responses(
        (status = 200, description = "The roles.", body = OrgRoleListBody),
        Unauthenticated, OrgForbidden, OrgNotFound, Internal, Unavailable
    )
)]
#[get("/{org_id}/roles")]
#[tracing::instrument(skip_all)]
pub(crate) async fn list_org_roles(
    state: web::Data<AppState>,
    user: AuthUser,
    org: web::Path<OrgId>,
) -> Result<HttpResponse, ApiError> {
    let roles = state.orgs.roles(&user.caller(), org.into_inner()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(OrgRoleListBody {
            items: roles.into_iter().map(OrgRoleBody::from).collect(),
        }))
}

/// Creates a custom organization role.
#[utoipa::path(
    tag = "organizations",
    operation_id = "create_org_role",
    summary = "Create an organization role",
    description = "Stores a custom role of the organization granting `permissions` (organization permissions \
        only). Custom roles rank 0, below `member`. The caller must be an owner, or hold `members:write` and \
        every permission the role grants (403 naming the others). A malformed name or an unknown permission \
        is a 422, a taken name a 409. Audited as `org.role_created`.",
    security(("bearer" = [])),
    params(("org_id" = uuid::Uuid, Path, description = "Organization id")),
    request_body = NewOrgRoleRequest,
    responses(
        (status = 201, description = "The new role.", body = OrgRoleBody),
        BadRequest, Unauthenticated, OrgForbidden, OrgNotFound, OrgConflict, PayloadTooLarge, Validation,
        Internal, Unavailable
    )
)]
#[post("/{org_id}/roles")]
#[tracing::instrument(skip_all)]
pub(crate) async fn create_org_role(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    org: web::Path<OrgId>,
    body: web::Json<NewOrgRoleRequest>,
) -> Result<HttpResponse, ApiError> {
    let permissions: Vec<&str> = body.permissions.iter().map(String::as_str).collect();
    let role = state
        .orgs
        .create_role(
            &user.caller(),
            org.into_inner(),
            &body.name,
            &permissions,
            &meta.0,
        )
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(NO_STORE)
        .json(OrgRoleBody::from(role)))
}

/// Deletes a custom organization role nobody holds.
#[utoipa::path(
    tag = "organizations",
    operation_id = "delete_org_role",
    summary = "Delete an organization role",
    description = "Deletes a custom role of the organization. The caller must be allowed to grant it; members \
        still holding it are a 409 (give them another role first). Built-in roles cannot be deleted (404). \
        Audited as `org.role_deleted`.",
    security(("bearer" = [])),
    params(
        ("org_id" = uuid::Uuid, Path, description = "Organization id"),
        ("name" = String, Path, description = "The custom role's name"),
    ),
    responses(
        (status = 204, description = "Deleted."),
        Unauthenticated, OrgForbidden, OrgNotFound, OrgConflict, Internal, Unavailable
    )
)]
#[delete("/{org_id}/roles/{name}")]
#[tracing::instrument(skip_all)]
pub(crate) async fn delete_org_role(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    path: web::Path<(OrgId, String)>,
) -> Result<HttpResponse, ApiError> {
    let (org, name) = path.into_inner();
    state
        .orgs
        .delete_role(&user.caller(), org, &name, &meta.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
