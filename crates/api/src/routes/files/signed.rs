//! Signed download links: `POST /files/{id}/signed-url` makes one,
//! `GET /files/{id}/content/signed` serves it to anyone holding it, with no credentials, and
//! `DELETE /files/{id}/signed-urls` ends every link of a file.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use plinth_files::{FileError, FileId};

use super::download;
use crate::dto::file::FileContentBody;
use crate::dto::share::{SignedQuery, SignedUrlBody, SignedUrlRequest};
use crate::openapi::responses::{
    BadRequest, BadSignature, FileForbidden, Internal, NotFound, RangeNotSatisfiable,
    Unauthenticated, Unavailable, Validation,
};
use crate::{ApiError, AppState, AuthUser, ClientMeta};

/// Makes a link that downloads the file without credentials until it expires.
#[utoipa::path(
    tag = "files",
    operation_id = "create_signed_url",
    summary = "Create a signed download URL",
    description = "The owner, or a user the file is shared with for `download` or `edit` (a `view` share: \
        403). `expires_in` is the lifetime in seconds, 1 to 604800 (7 days); anything else is a 422. The \
        `url` (under `PUBLIC_URL`) downloads the version current now, with no credentials, until \
        `expires_at`. It is bound to the caller's grant: it stops working (403) when the caller may no longer \
        download the file (their share revoked or lowered to `view`, their account suspended or deleted) or \
        when the owner revokes the file's signed URLs (`DELETE /files/{id}/signed-urls`), and (404) when the \
        file is deleted. Anyone holding it can use it: hand it out like a password. Altering any of its \
        parameters makes it fail with 403.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "File id")),
    request_body(content = SignedUrlRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The link.", body = SignedUrlBody),
        BadRequest, Unauthenticated, FileForbidden, NotFound, Validation, Internal, Unavailable
    )
)]
#[post("/{id}/signed-url")]
pub(crate) async fn create_signed_url(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<FileId>,
    body: web::Json<SignedUrlRequest>,
) -> Result<HttpResponse, ApiError> {
    let viewer = state.files.viewer(&user.0.caller()).await?;
    let id = id.into_inner();
    // Out of range, negative included: the service's own message and limit.
    let expires_in = u64::try_from(body.expires_in).unwrap_or(0);
    let signed = state.files.signed_url(&viewer, id, expires_in).await?;
    Ok(HttpResponse::Ok().json(SignedUrlBody::from(signed)))
}

/// Downloads a file through a signed link, streamed.
#[utoipa::path(
    tag = "files",
    operation_id = "download_signed",
    summary = "Download a file through a signed URL",
    description = "The `url` of `POST /files/{id}/signed-url`; no credentials. Answers like \
        `GET /files/{id}/content` (`ETag`, `If-None-Match` → 304, `Range` → 206 or 416, `Content-Disposition`) \
        with the version the link names. A missing, malformed or altered parameter, a signature that does not \
        match, an expired link, or a revoked one (the file's signed URLs revoked, or the account that made it no \
        longer allowed to download the file): 403 `forbidden`. The file (or that version) deleted since: 404.",
    params(
        ("id" = uuid::Uuid, Path, description = "File id"),
        SignedQuery,
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
        BadSignature, NotFound, RangeNotSatisfiable, Internal, Unavailable
    )
)]
#[get("/{id}/content/signed")]
pub(crate) async fn download_signed(
    state: web::Data<AppState>,
    id: web::Path<FileId>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    // Parsed here rather than by the `Query` extractor, whose failures are 400s: a link whose
    // parameters do not parse (missing, repeated, mistyped) is a bad link, 403 like any other.
    let params = web::Query::<SignedQuery>::from_query(req.query_string())
        .ok()
        .and_then(|query| query.into_inner().into_domain(id.into_inner()))
        .ok_or(FileError::BadSignature)?;
    let file = state.files.signed_file(&params).await?;
    download::stream_file(&req, &file, |range| state.files.open_signed(&params, range)).await
}

/// Ends every signed URL of a file (owner only).
#[utoipa::path(
    tag = "files",
    operation_id = "revoke_signed_urls",
    summary = "Revoke every signed URL of a file",
    description = "The owner only (a sharee: 403). Every link made so far for this file, by the owner or by \
        a sharee, stops working at once (403 `forbidden`); links made afterwards work. Audited as `file.shared` \
        with details `{ \"signed_urls\": \"revoked\" }`.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "File id")),
    responses(
        (status = 204, description = "Every earlier link is revoked."),
        Unauthenticated, FileForbidden, NotFound, Internal, Unavailable
    )
)]
#[delete("/{id}/signed-urls")]
pub(crate) async fn revoke_signed_urls(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<FileId>,
) -> Result<HttpResponse, ApiError> {
    let viewer = state.files.viewer(&user.0.caller()).await?;
    state
        .files
        .revoke_signed_urls(&viewer, id.into_inner(), &meta.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
