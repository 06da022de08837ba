//! `POST /files/{id}/org-shares`, `GET /files/{id}/org-shares` and
//! `DELETE /files/{id}/org-shares/{org_id}`: the owner shares a file with a whole organization.

use actix_web::{HttpResponse, delete, get, post, web};
use plinth_files::{FileId, SharePermission};
use plinth_kernel::OrgId;

use crate::dto::share::{OrgShareBody, OrgShareListBody, OrgShareRequest};
use crate::openapi::responses::{
    BadRequest, FileForbidden, Internal, NotFound, Unauthenticated, Unavailable, Validation,
};
use crate::{ApiError, AppState, AuthUser, ClientMeta};

/// Shares a file with an organization, or changes the permission of that share.
#[utoipa::path(
    tag = "files",
    operation_id = "share_file_with_org",
    summary = "Share a file with an organization",
    description = "The owner only (for an organization's file: a member acting for it with `org_files:write`; a \
        user the file is shared with: 403). Shares the file with every member of `org_id` for `view`, \
        `download` or `edit`: a member reaches it while their token acts for that organization (`POST \
        /auth/org`) and lets them read its files (`org_files:read`); `edit` also takes `org_files:write` \
        there (`download` otherwise). Posting again replaces the permission (201 again, with the first \
        `created_at`). The organization need not exist: the answer never tells. The organization that owns \
        the file is a 422. Recorded as `file.shared` with `org_id`.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "File id")),
    request_body(content = OrgShareRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The share as it now stands.", body = OrgShareBody),
        BadRequest, Unauthenticated, FileForbidden, NotFound, Validation, Internal, Unavailable
    )
)]
#[post("/{id}/org-shares")]
pub(crate) async fn share_with_org(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<FileId>,
    body: web::Json<OrgShareRequest>,
) -> Result<HttpResponse, ApiError> {
    let viewer = state.files.viewer(&user.0.caller()).await?;
    let id = id.into_inner();
    // Who the file is and whether the caller may share it come before the body is read, so a
    // stranger learns nothing from a bad one.
    state.files.owned(&viewer, id, "share it").await?;
    let body = body.into_inner();
    let permission = SharePermission::parse(&body.permission).ok_or_else(|| {
        ApiError::field("permission", "must be one of `view`, `download`, `edit`")
    })?;
    let share = state
        .files
        .share_with_org(
            &viewer,
            id,
            OrgId::from_uuid(body.org_id),
            permission,
            &meta.0,
        )
        .await?;
    Ok(HttpResponse::Created().json(OrgShareBody::from(share)))
}

/// Every share of a file with an organization.
#[utoipa::path(
    tag = "files",
    operation_id = "list_file_org_shares",
    summary = "List a file's organization shares",
    description = "The owner only (a user the file is shared with: 403); oldest first.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "File id")),
    responses(
        (status = 200, description = "The shares.", body = OrgShareListBody),
        Unauthenticated, FileForbidden, NotFound, Internal, Unavailable
    )
)]
#[get("/{id}/org-shares")]
pub(crate) async fn list_org_shares(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<FileId>,
) -> Result<HttpResponse, ApiError> {
    let viewer = state.files.viewer(&user.0.caller()).await?;
    let shares = state.files.org_shares_for(&viewer, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(OrgShareListBody {
        items: shares.into_iter().map(OrgShareBody::from).collect(),
    }))
}

/// Ends a share with an organization.
#[utoipa::path(
    tag = "files",
    operation_id = "unshare_file_with_org",
    summary = "Stop sharing a file with an organization",
    description = "The owner only (a user the file is shared with: 403). Its members' access through the share \
        ends at once. Not shared with that organization: 404. Recorded as `file.shared` with `org_id` and \
        `permission: null`.",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "File id"),
        ("org_id" = uuid::Uuid, Path, description = "Organization id")
    ),
    responses(
        (status = 204, description = "The share is gone."),
        Unauthenticated, FileForbidden, NotFound, Internal, Unavailable
    )
)]
#[delete("/{id}/org-shares/{org_id}")]
pub(crate) async fn unshare_with_org(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    path: web::Path<(FileId, OrgId)>,
) -> Result<HttpResponse, ApiError> {
    let (id, org) = path.into_inner();
    let viewer = state.files.viewer(&user.0.caller()).await?;
    state.files.unshare_org(&viewer, id, org, &meta.0).await?;
    Ok(HttpResponse::NoContent().finish())
}
