//! `/api/v1/files`: streamed upload, list, metadata, download (ETag, Range) and delete.
//! Another user's file is always a 404.

use actix_multipart::Multipart;
use actix_web::http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_RANGE, CONTENT_TYPE, ETAG,
    HeaderValue, LOCATION, X_CONTENT_TYPE_OPTIONS,
};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use plinth_files::{ByteRange, FileId};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::file::{ContentQuery, FileBody, FileContentBody, FilePageBody, FileUploadForm};
use crate::dto::page::PageQuery;
use crate::openapi::responses::{
    BadRequest, Internal, NotFound, PayloadTooLarge, RangeNotSatisfiable, Unauthenticated,
    Unavailable, UnsupportedMediaType, Validation,
};
use crate::{ApiError, AppState, AuthUser, ClientMeta};

mod download;
mod upload;
mod versions;

use download::{RangeRequest, content_disposition, etag_matches, requested_range};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(upload_file)
        .service(list_files)
        .service(get_file)
        .service(download_file)
        .service(versions::upload_version)
        .service(versions::list_versions)
        .service(delete_file);
}

/// Uploads a file, streamed: never held whole in memory.
#[utoipa::path(
    tag = "files",
    operation_id = "upload_file",
    summary = "Upload a file",
    description = "A `multipart/form-data` body with one part named `file` that carries a `filename`. The \
        content is streamed to storage and hashed on the way. Its extension must be in `ALLOWED_FILE_TYPES` \
        and its sniffed content must agree with it (a PNG named `x.pdf`, an executable named `x.txt`, text \
        that is not UTF-8 or has NUL bytes: 415). Over `MAX_UPLOAD_BYTES` the upload stops with 413. On any \
        refusal the rest of the body is not read and nothing is kept.",
    security(("bearer" = [])),
    request_body(content = FileUploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The stored file.", body = FileBody,
            headers(("Location" = String, description = "`/api/v1/files/{id}`"))),
        BadRequest, Unauthenticated, PayloadTooLarge, UnsupportedMediaType, Validation, Internal, Unavailable
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
    let file = upload::receive(&state, user.0.user_id, &meta.0, &req, multipart, None).await?;
    Ok(HttpResponse::Created()
        .insert_header((LOCATION, format!("/api/v1/files/{}", file.id)))
        .json(FileBody::from(file)))
}

/// The caller's files, newest first.
#[utoipa::path(
    tag = "files",
    operation_id = "list_files",
    summary = "List my files",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of the caller's files.", body = FilePageBody),
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
    let page = state.files.list(user.0.user_id, page).await?;
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
    let file = state.files.get(user.0.user_id, id.into_inner()).await?;
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
        An unknown version is a 404.",
    security(("bearer" = [])),
    params(
        ("id" = uuid::Uuid, Path, description = "File id"),
        ContentQuery,
        ("If-None-Match" = Option<String>, Header, description = "An ETag seen before; 304 when it still matches."),
        ("Range" = Option<String>, Header, description = "One byte range: `bytes=0-99`, `bytes=100-` or `bytes=-100`."),
        ("If-Range" = Option<String>, Header, description = "Honour `Range` only while the ETag still matches.")
    ),
    responses(
        (status = 200, description = "The whole content.", body = FileContentBody, content_type = "application/octet-stream",
            headers(
                ("ETag" = String, description = "`\"<sha256>\"`"),
                ("Content-Disposition" = String, description = "`attachment; filename=\"…\"; filename*=UTF-8''…`"),
                ("Accept-Ranges" = String, description = "`bytes`")
            )),
        (status = 206, description = "The requested range.", body = FileContentBody, content_type = "application/octet-stream",
            headers(("Content-Range" = String, description = "`bytes <first>-<last>/<size>`"), ("ETag" = String))),
        (status = 304, description = "The copy the client holds is current.", headers(("ETag" = String))),
        Unauthenticated, NotFound, RangeNotSatisfiable, Internal, Unavailable
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
    let viewer = user.0.user_id;
    let id = id.into_inner();
    let file = match query.version {
        None => state.files.get(viewer, id).await?,
        Some(version) => state.files.get_version(viewer, id, version).await?,
    };
    let etag = format!("\"{}\"", file.sha256);
    let headers = req.headers();
    if etag_matches(headers, &file.sha256) {
        return Ok(HttpResponse::NotModified()
            .insert_header((ETAG, etag))
            .insert_header((CACHE_CONTROL, "private, no-cache"))
            .finish());
    }
    let range = match requested_range(headers, file.size, &file.sha256) {
        RangeRequest::Full => None,
        RangeRequest::Partial(range) => Some(range),
        RangeRequest::Unsatisfiable => {
            return Err(ApiError::RangeNotSatisfiable { size: file.size });
        }
    };
    // The version just resolved, even if a newer one lands meanwhile: size and ETag match.
    let (file, stream) = state
        .files
        .open_version(viewer, id, file.version, range)
        .await?;
    let content_type = HeaderValue::from_str(&file.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let mut res = match range {
        Some(ByteRange { start, end }) => {
            let mut res = HttpResponse::PartialContent();
            res.insert_header((CONTENT_RANGE, format!("bytes {start}-{end}/{}", file.size)));
            res
        }
        None => HttpResponse::Ok(),
    };
    let length = range.map_or(file.size, |r| r.end - r.start + 1);
    Ok(res
        .insert_header((CONTENT_TYPE, content_type))
        .insert_header((ETAG, format!("\"{}\"", file.sha256)))
        .insert_header((ACCEPT_RANGES, "bytes"))
        .insert_header((CONTENT_DISPOSITION, content_disposition(&file.name)))
        .insert_header((X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((CACHE_CONTROL, "private, no-cache"))
        .body(actix_web::body::SizedStream::new(length, stream)))
}

/// Deletes a file and all its versions.
#[utoipa::path(
    tag = "files",
    operation_id = "delete_file",
    summary = "Delete a file",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "File id")),
    responses(
        (status = 204, description = "The file is gone."),
        Unauthenticated, NotFound, Internal, Unavailable
    )
)]
#[delete("/{id}")]
pub(crate) async fn delete_file(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<FileId>,
) -> Result<HttpResponse, ApiError> {
    state
        .files
        .delete(user.0.user_id, id.into_inner(), &meta.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
