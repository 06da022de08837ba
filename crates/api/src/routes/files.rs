//! `/api/v1/files`: streamed upload, list, metadata, download (ETag, Range), delete, shares
//! and signed links. The owner may do everything; a user the file is shared with what their
//! share allows (403 beyond it); anyone else is told the file does not exist (404). Each
//! handler calls one service: the file service (which resolves the caller itself: an account
//! deleted or suspended since the token was issued is a 401), or sharing for `POST` and
//! `DELETE` of a share.

use actix_multipart::Multipart;
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use plinth_files::FileId;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::file::{ContentQuery, FileBody, FileContentBody, FilePageBody, FileUploadForm};
use crate::dto::page::PageQuery;
use crate::openapi::responses::{
    BadRequest, FileForbidden, Internal, NotFound, RangeNotSatisfiable, Unauthenticated,
    Unavailable, UnsupportedMediaType, UploadTooLarge, Validation,
};
use crate::{ApiError, AppState, AuthUser, ClientMeta};

mod download;
mod org_shares;
mod shares;
mod signed;
pub(crate) mod upload;
mod versions;

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(upload_file)
        .service(list_files)
        .service(get_file)
        .service(download_file)
        .service(signed::download_signed)
        .service(versions::upload_version)
        .service(versions::list_versions)
        .service(delete_file)
        .service(shares::share_file)
        .service(shares::list_shares)
        .service(shares::unshare_file)
        .service(org_shares::share_with_org)
        .service(org_shares::list_org_shares)
        .service(org_shares::unshare_with_org)
        .service(signed::create_signed_url)
        .service(signed::revoke_signed_urls);
}

/// Uploads a file, streamed: never held whole in memory.
#[utoipa::path(
    tag = "files",
    operation_id = "upload_file",
    summary = "Upload a file",
    description = "A `multipart/form-data` body with one part named `file` that carries a `filename`. The \
        content is streamed to storage and hashed on the way. Its extension must be in `ALLOWED_FILE_TYPES` \
        and its sniffed content must agree with it (a PNG named `x.pdf`, an executable named `x.txt`, text \
        that is not UTF-8 or has NUL bytes: 415). Over `MAX_UPLOAD_BYTES` the upload stops with 413 \
        `payload_too_large`; past the owner's storage quota (the `storage_bytes` entitlement, counting every \
        version of every file they own) with 413 `quota_exceeded`. On any refusal the rest of the body is not \
        read and nothing is kept.",
    security(("bearer" = [])),
    request_body(content = FileUploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The stored file.", body = FileBody,
            headers(("Location" = String, description = "`/api/v1/files/{id}`"))),
        BadRequest, Unauthenticated, UploadTooLarge, UnsupportedMediaType, Validation, Internal, Unavailable
    )
)]
#[post("")]
pub(crate) async fn upload_file(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    req: HttpRequest,
    multipart: Multipart,
) -> Result<HttpResponse, ApiError> {
    let caller = user.0.caller();
    let file = upload::receive(&state, &caller, &meta.0, &req, multipart, None).await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/files/{}", file.id)))
        .json(FileBody::from(file)))
}

/// The caller's files and those shared with them, newest first.
#[utoipa::path(
    tag = "files",
    operation_id = "list_files",
    summary = "List my files and files shared with me",
    description = "The caller's own files and every file shared with their address (any permission), \
        newest first. `owner_id` tells them apart.",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of the caller's own and shared files.", body = FilePageBody),
        BadRequest, Unauthenticated, Internal, Unavailable
    )
)]
#[get("")]
pub(crate) async fn list_files(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.try_into_domain()?;
    let viewer = state.files.viewer(&user.0.caller()).await?;
    let page = state.files.list_for(&viewer, page).await?;
    Ok(HttpResponse::Ok().json(FilePageBody {
        items: page.items.into_iter().map(FileBody::from).collect(),
        next_cursor: page.next_cursor.map(|c| c.encode()),
    }))
}

/// One file's metadata.
#[utoipa::path(
    tag = "files",
    operation_id = "get_file",
    summary = "Get a file's metadata",
    description = "The owner or anyone the file is shared with (any permission); anyone else gets 404.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "File id")),
    responses(
        (status = 200, description = "The file.", body = FileBody),
        Unauthenticated, NotFound, Internal, Unavailable
    )
)]
#[get("/{id}")]
pub(crate) async fn get_file(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<FileId>,
) -> Result<HttpResponse, ApiError> {
    let viewer = state.files.viewer(&user.0.caller()).await?;
    let file = state.files.get_for(&viewer, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(FileBody::from(file)))
}

/// Downloads a file's bytes, streamed.
#[utoipa::path(
    tag = "files",
    operation_id = "download_file",
    summary = "Download a file",
    description = "Streams the content of the current version (or of `?version=N`) with its sniffed \
        `Content-Type`, `ETag: \"<sha256>\"` and an attachment `Content-Disposition`. `If-None-Match` with the \
        ETag answers 304; one `Range: bytes=a-b`, `a-` or `-n` answers 206 (or 416 when it starts past the end). \
        An unknown version is a 404. The owner, or a user the file is shared with for `download` or `edit` \
        (a `view` share: 403).",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "File id"),
        ContentQuery,
        ("If-None-Match" = Option<String>, Header, description = "An ETag seen before; 304 when it still matches."),
        ("Range" = Option<String>, Header, description = "One byte range: `bytes=0-99`, `bytes=100-` or `bytes=-100`."),
        ("If-Range" = Option<String>, Header, description = "Honour `Range` only while the ETag still matches.")
    ),
    responses(
        (status = 200, description = "The whole content, with the file's own `Content-Type` (the `content_type` of \
            its `File`, sniffed at upload); the document names it `application/octet-stream`, as a client should read it.",
            body = FileContentBody, content_type = "application/octet-stream",
            headers(
                ("ETag" = String, description = "`\"<sha256>\"`"),
                ("Content-Disposition" = String, description = "`attachment; filename=\"…\"; filename*=UTF-8''…`"),
                ("Accept-Ranges" = String, description = "`bytes`")
            )),
        (status = 206, description = "The requested range, with the file's own `Content-Type` (named \
            `application/octet-stream` here, as for 200).", body = FileContentBody, content_type = "application/octet-stream",
            headers(("Content-Range" = String, description = "`bytes <first>-<last>/<size>`"), ("ETag" = String))),
        (status = 304, description = "The copy the client holds is current.", headers(("ETag" = String))),
        Unauthenticated, FileForbidden, NotFound, RangeNotSatisfiable, Internal, Unavailable
    )
)]
#[get("/{id}/content")]
pub(crate) async fn download_file(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<FileId>,
    query: web::Query<ContentQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let viewer = state.files.viewer(&user.0.caller()).await?;
    let id = id.into_inner();
    let file = state
        .files
        .downloadable_for(&viewer, id, query.version)
        .await?;
    // The version just resolved, even if a newer one lands meanwhile: size and ETag match.
    let version = file.version;
    download::stream_file(&req, &file, |range| {
        state.files.open_version_for(&viewer, id, version, range)
    })
    .await
}

/// Deletes a file and all its versions.
#[utoipa::path(
    tag = "files",
    operation_id = "delete_file",
    summary = "Delete a file",
    description = "The owner only (a user the file is shared with: 403). Its versions and shares go with it.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "File id")),
    responses(
        (status = 204, description = "The file is gone."),
        Unauthenticated, FileForbidden, NotFound, Internal, Unavailable
    )
)]
#[delete("/{id}")]
pub(crate) async fn delete_file(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<FileId>,
) -> Result<HttpResponse, ApiError> {
    let viewer = state.files.viewer(&user.0.caller()).await?;
    state
        .files
        .delete_for(&viewer, id.into_inner(), &meta.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
