//! Signed download links: `POST /files/{id}/signed-url` makes one, and
//! `GET /files/{id}/content/signed` serves it to anyone holding it, with no credentials.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use plinth_files::{FileError, FileId};

use super::{download, viewer};
use crate::dto::file::FileContentBody;
use crate::dto::share::{SignedQuery, SignedUrlBody, SignedUrlRequest};
use crate::openapi::responses::{
    BadRequest, BadSignature, FileForbidden, Internal, NotFound, RangeNotSatisfiable,
    Unauthenticated, Unavailable, Validation,
};
use crate::{ApiError, AppState, AuthUser};

/// Makes a link that downloads the file without credentials until it expires.
#[utoipa::path(
    tag = "files",
    operation_id = "create_signed_url",
    summary = "Create a signed download URL",
    description = "The owner, or a user the file is shared with for `download` or `edit` (a `view` share: \
        403). `expires_in` is the lifetime in seconds, 1 to 604800 (7 days); anything else is a 422. The \
        `url` (under `PUBLIC_URL`) downloads the version current now, with no credentials, until \
        `expires_at`; it stops working when the file is deleted. Anyone holding it can use it: hand it out \
        like a password. Altering any of its parameters makes it fail with 403.",
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
    let viewer = viewer(&state, &user).await?;
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
        match, or an expired link: 403 `forbidden`. The file (or that version) deleted since: 404.",
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
