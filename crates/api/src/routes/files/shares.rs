//! `POST /files/{id}/shares`, `GET /files/{id}/shares` and
//! `DELETE /files/{id}/shares/{user_id}`: the owner shares a file by e-mail address.

use actix_web::{HttpResponse, delete, get, post, web};
use plinth_app::Grantee;
use plinth_files::FileId;
use plinth_kernel::UserId;

use crate::dto::share::{ShareBody, ShareListBody, ShareRequest};
use crate::openapi::responses::{
    BadRequest, FileForbidden, Internal, NotFound, Unauthenticated, Unavailable, Validation,
};
use crate::{ApiError, AppState, AuthUser, ClientMeta};

/// Shares a file with an address, or changes the permission of an existing share.
#[utoipa::path(
    tag = "files",
    operation_id = "share_file",
    summary = "Share a file",
    description = "The owner only (a user the file is shared with: 403). Shares the file with `email` for \
        `view` (metadata and versions list), `download` (also the bytes and signed URLs) or `edit` (also new \
        versions). Posting again for the same address replaces the permission (the answer is 201 again, with \
        the first `created_at`). The address need not belong to an account. A share counts for an account \
        whose address is verified, or that already existed when the share was made: whoever registers an \
        address later cannot take what was shared with it before until they prove the address is theirs. The answer is therefore the same whether or not an account exists, so \
        this does not reveal who has one. The owner's own address is a 422. Recorded as `file.shared`.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "File id")),
    request_body(content = ShareRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "The share as it now stands.", body = ShareBody),
        BadRequest, Unauthenticated, FileForbidden, NotFound, Validation, Internal, Unavailable
    )
)]
#[post("/{id}/shares")]
pub(crate) async fn share_file(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<FileId>,
    body: web::Json<ShareRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let share = state
        .sharing
        .share(
            &user.0,
            id.into_inner(),
            &body.email,
            &body.permission,
            &meta.0,
        )
        .await?;
    Ok(HttpResponse::Created().json(ShareBody::from(share)))
}

/// Every share of a file.
#[utoipa::path(
    tag = "files",
    operation_id = "list_file_shares",
    summary = "List a file's shares",
    description = "The owner only (a user the file is shared with: 403); oldest first.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "File id")),
    responses(
        (status = 200, description = "The shares.", body = ShareListBody),
        Unauthenticated, FileForbidden, NotFound, Internal, Unavailable
    )
)]
#[get("/{id}/shares")]
pub(crate) async fn list_shares(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<FileId>,
) -> Result<HttpResponse, ApiError> {
    let viewer = state.files.viewer(&user.0.caller()).await?;
    let shares = state.files.shares_for(&viewer, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(ShareListBody {
        items: shares.into_iter().map(ShareBody::from).collect(),
    }))
}

/// Ends a share.
#[utoipa::path(
    tag = "files",
    operation_id = "unshare_file",
    summary = "Stop sharing a file with someone",
    description = "The owner only (a user the file is shared with: 403). `user_id` is the grantee's user id; \
        the grantee's e-mail address is accepted in its place (the only way to end a share with an address \
        that has no account yet). Their access ends at once. Not shared with them (or no such user): 404. \
        Recorded as `file.shared` with `permission: null`.",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "File id"),
        ("user_id" = String, Path, description = "The grantee's user id (or their e-mail address)")
    ),
    responses(
        (status = 204, description = "The share is gone."),
        Unauthenticated, FileForbidden, NotFound, Internal, Unavailable
    )
)]
#[delete("/{id}/shares/{user_id}")]
pub(crate) async fn unshare_file(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    path: web::Path<(FileId, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, segment) = path.into_inner();
    // `{user_id}` is a user id, or an address (the only way to name one without an account).
    let grantee = match uuid::Uuid::parse_str(&segment) {
        Ok(uuid) => Grantee::User(UserId::from_uuid(uuid)),
        Err(_) => Grantee::Address(segment),
    };
    state
        .sharing
        .unshare(&user.0, id, &grantee, &meta.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
