//! `GET /api/v1/avatars/{name}`: avatar images, public.
//!
//! Anyone holding an `avatar_url` may fetch it: the name is 122 random bits, and a name's
//! content never changes (a new image gets a new name), so it is cached as immutable. The
//! image is sent with its sniffed type, `nosniff` and a CSP that forbids everything, so even
//! an image file crafted to look like HTML or script cannot run as a page of this origin.

use actix_web::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH,
    X_CONTENT_TYPE_OPTIONS,
};
use actix_web::{HttpRequest, HttpResponse, get, web};
use plinth_files::FileError;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::file::AvatarImageBody;
use crate::openapi::responses::{AvatarNotFound, Internal, Unavailable};
use crate::{ApiError, AppState};

/// How long caches may keep an avatar: a day, so a removed avatar fades from caches soon.
pub(crate) const AVATAR_CACHE_CONTROL: &str = "public, max-age=86400, immutable";

/// The CSP of an avatar answer: nothing in it may load, run or be framed.
pub(crate) const AVATAR_CSP: &str = "default-src 'none'; frame-ancestors 'none'; sandbox";

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(get_avatar);
}

/// Streams an avatar image.
#[utoipa::path(
    tag = "me",
    operation_id = "get_avatar",
    summary = "Get an avatar image",
    description = "The `avatar_url` of a `User`; no credentials. Streams the image with its sniffed `Content-Type` \
        (`image/png`, `image/jpeg`, `image/gif` or `image/webp`), `Cache-Control: public, max-age=86400, \
        immutable` (a name's content never changes), `X-Content-Type-Options: nosniff` and a CSP that allows \
        nothing. `If-None-Match` with the `ETag` answers 304. A malformed name, or one whose image was removed \
        (replaced, deleted, or its account deleted): 404.",
    params(
        ("name" = String, Path, description = "`<32 hex digits>.<png|jpg|gif|webp>`, as in `avatar_url`.",
            example = "6f1c0e2b9a8d4c7e8f1a2b3c4d5e6f70.png"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag seen before; 304 when it still matches.")
    ),
    responses(
        (status = 200, description = "The image.", body = AvatarImageBody,
            content(
                (AvatarImageBody = "image/png"),
                (AvatarImageBody = "image/jpeg"),
                (AvatarImageBody = "image/gif"),
                (AvatarImageBody = "image/webp")
            ),
            headers(
                ("ETag" = String, description = "`\"<name>\"`"),
                ("Cache-Control" = String, description = "`public, max-age=86400, immutable`"),
                ("X-Content-Type-Options" = String, description = "`nosniff`"),
                ("Content-Security-Policy" = String, description = "`default-src 'none'; frame-ancestors 'none'; sandbox`")
            )),
        (status = 304, description = "The copy the client holds is current.", headers(("ETag" = String))),
        AvatarNotFound, Internal, Unavailable
    )
)]
#[get("/{name}")]
pub(crate) async fn get_avatar(
    state: web::Data<AppState>,
    name: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let name = name.into_inner();
    let (content_type, stream) = state.files.open_avatar(&name).await.map_err(|e| match e {
        FileError::NotFound => ApiError::NotFound("There is no such avatar.".to_owned()),
        other => other.into(),
    })?;
    let etag = format!("\"{name}\"");
    let cached = req
        .headers()
        .get_all(IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|tag| tag.trim().trim_start_matches("W/"))
        .any(|tag| tag == etag || tag == "*");
    let mut res = if cached {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((ETAG, etag))
        .insert_header((CACHE_CONTROL, AVATAR_CACHE_CONTROL))
        .insert_header((X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((CONTENT_SECURITY_POLICY, AVATAR_CSP))
        // Pages on other origins (with cross-origin isolation) may show it.
        .insert_header(("Cross-Origin-Resource-Policy", "cross-origin"));
    if cached {
        return Ok(res.finish());
    }
    Ok(res
        .insert_header((CONTENT_TYPE, content_type))
        .streaming(stream))
}
