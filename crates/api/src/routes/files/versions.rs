//! `PUT /files/{id}/content` (a new version) and `GET /files/{id}/versions`.

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, get, put, web};
use plinth_files::FileId;

use super::upload;
use crate::dto::file::{FileBody, FileUploadForm, FileVersionsBody};
use crate::openapi::responses::{
    BadRequest, FileForbidden, Internal, NotFound, Unauthenticated, Unavailable,
    UnsupportedMediaType, UploadTooLarge, Validation,
};
use crate::{ApiError, AppState, AuthUser, ClientMeta};

/// Uploads new content for a file as its next version, streamed.
#[utoipa::path(
    tag = "files",
    operation_id = "upload_file_version",
    summary = "Upload a new version of a file",
    description = "The owner or a user the file is shared with for `edit` (a `view` or `download` share: \
        403). A `multipart/form-data` body with one part named `file` that carries a \
        `filename`, checked and streamed exactly as for `POST /files` (type, size, sniffed content, storage quota). The \
        new content becomes the current version: `version` + 1, and `name`, `content_type`, `size`, \
        `sha256` and `updated_at` follow it; earlier versions stay listed and downloadable \
        (`GET /files/{id}/content?version=N`). On any refusal the file is unchanged and nothing is kept.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "File id")),
    request_body(content = FileUploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 200, description = "The file at its new version.", body = FileBody),
        BadRequest, Unauthenticated, FileForbidden, NotFound, UploadTooLarge, UnsupportedMediaType, Validation,
        Internal, Unavailable
    )
)]
#[put("/{id}/content")]
pub(crate) async fn upload_version(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<FileId>,
    req: HttpRequest,
    multipart: Multipart,
) -> Result<HttpResponse, ApiError> {
    let caller = user.0.caller();
    let viewer = state.files.viewer(&caller).await?;
    let file = upload::receive(
        &state,
        &caller,
        &meta.0,
        &req,
        multipart,
        Some((viewer, id.into_inner())),
    )
    .await?;
    Ok(HttpResponse::Ok().json(FileBody::from(file)))
}

/// Every version of a file, newest first.
#[utoipa::path(
    tag = "files",
    operation_id = "list_file_versions",
    summary = "List a file's versions",
    description = "One `File` per stored version, newest first (the current one included); each shows the \
        file as it was at that version, `updated_at` being when that version was uploaded. The owner or \
        anyone the file is shared with (any permission).",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "File id")),
    responses(
        (status = 200, description = "The versions.", body = FileVersionsBody),
        Unauthenticated, NotFound, Internal, Unavailable
    )
)]
#[get("/{id}/versions")]
pub(crate) async fn list_versions(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<FileId>,
) -> Result<HttpResponse, ApiError> {
    let viewer = state.files.viewer(&user.0.caller()).await?;
    let versions = state.files.versions_for(&viewer, id.into_inner()).await?;
    Ok(HttpResponse::Ok().json(FileVersionsBody {
        items: versions.into_iter().map(FileBody::from).collect(),
    }))
}
