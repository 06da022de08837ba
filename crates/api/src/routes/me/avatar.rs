//! `PUT` and `DELETE /api/v1/me/avatar`: the caller's own avatar image.
//!
//! The use cases are `plinth_app::Accounts::set_avatar` and `remove_avatar` (blob first, then
//! the row with its audit entry, then the replaced image; the new image is removed again when
//! the row cannot be written).

use actix_multipart::Multipart;
use actix_web::{HttpRequest, HttpResponse, delete, put, web};

use super::super::NO_STORE;
use super::super::files::upload::receive_part;
use crate::dto::file::AvatarUploadForm;
use crate::dto::user::UserBody;
use crate::openapi::responses::{
    AvatarTooLarge, BadRequest, Internal, NotAnImage, NotFound, Unauthenticated, Unavailable,
    Validation,
};
use crate::{ApiError, AppState, AuthUser, ClientMeta};

/// Sets the caller's avatar image.
#[utoipa::path(
    tag = "me",
    operation_id = "put_my_avatar",
    summary = "Set my avatar",
    description = "A `multipart/form-data` body with one part named `file`: a PNG, JPEG, GIF or WebP image of \
        at most `MAX_AVATAR_BYTES` (1 MiB by default). The type is sniffed from the bytes; the part's file \
        name and declared type are ignored, so a text file named `me.png` is a 415. Over the limit the upload \
        stops with 413 and the rest of the body is not read. On any refusal nothing is stored and the current \
        avatar stays. There is no user id in the path: this always changes the caller's own avatar. The answer \
        is the account with its new `avatar_url`, a public link (no credentials needed) that never changes \
        content; the previous image is removed and its URL stops working. Audited as `user.updated`.",
    security(("bearer" = [])),
    request_body(content(
        (AvatarUploadForm = "multipart/form-data",
            encoding(("file" = (content_type = "image/png, image/jpeg, image/gif, image/webp"))))
    )),
    responses(
        (status = 200, description = "The account, with `avatar_url` set.", body = UserBody),
        BadRequest, Unauthenticated, NotFound, AvatarTooLarge, NotAnImage, Validation, Internal, Unavailable
    )
)]
#[put("/avatar")]
pub(crate) async fn put_my_avatar(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    req: HttpRequest,
    multipart: Multipart,
) -> Result<HttpResponse, ApiError> {
    let accounts = &state.accounts;
    let limit = accounts.max_avatar_bytes();
    let (principal, meta) = (&user.0, &meta.0);
    let me = receive_part(&req, multipart, limit, |_, body| async move {
        Ok(accounts.set_avatar(principal, body, meta).await?)
    })
    .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(UserBody::new(me, &state.http.public_url)))
}

/// Removes the caller's avatar image.
#[utoipa::path(
    tag = "me",
    operation_id = "delete_my_avatar",
    summary = "Remove my avatar",
    description = "Removes the caller's avatar: `avatar_url` becomes `null` and the old URL stops working (caches \
        that already hold the image may keep it for up to a day, its `Cache-Control` lifetime). Removing an \
        avatar that is not there is not an error. Audited as `user.updated` when there was one.",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account, with `avatar_url: null`.", body = UserBody),
        Unauthenticated, NotFound, Internal, Unavailable
    )
)]
#[delete("/avatar")]
pub(crate) async fn delete_my_avatar(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
) -> Result<HttpResponse, ApiError> {
    let me = state.accounts.remove_avatar(&user.0, &meta.0).await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(UserBody::new(me, &state.http.public_url)))
}
