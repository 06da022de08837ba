//! `/api/v1/me/data`: one JSON document per user for client apps, with `ETag` / `If-Match`.

use actix_web::http::header::{CONTENT_TYPE, ETAG, IF_MATCH};
use actix_web::{HttpRequest, HttpResponse, get, put, web};
use futures::StreamExt as _;
use plinth_users::{AppData, MAX_APP_DATA_BYTES};

use super::super::NO_STORE;
use crate::openapi::responses::{
    BadRequest, Internal, NotFound, PayloadTooLarge, PreconditionFailed, Unauthenticated,
    Unavailable,
};
use crate::{ApiError, AppState, AuthUser};

/// The caller's app-data document.
#[utoipa::path(
    tag = "me",
    operation_id = "get_my_data",
    summary = "Get my app data",
    description = "The JSON document the caller's apps stored with `PUT /me/data` (`{}` before the first write), \
        with its version in `ETag`.",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The document.", body = serde_json::Value, content_type = "application/json",
            headers(("ETag" = String, description = "`\"<sha256 of the document>\"`")),
            example = json!({ "theme": "dark", "onboarding": { "done": true, "step": 3 } })),
        Unauthenticated, Internal, Unavailable
    )
)]
#[get("/data")]
pub(crate) async fn get_my_data(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let data = state.users.app_data(user.0.user_id).await?;
    Ok(document_response(&data))
}

/// Replaces the caller's app-data document.
#[utoipa::path(
    tag = "me",
    operation_id = "put_my_data",
    summary = "Replace my app data",
    description = "Stores any JSON value (at most 1 MiB; sent as `application/json`) as the caller's document. With \
        `If-Match: \"<etag>\"` (or `*`: any stored document) it is written only over that version, else 412 and \
        nothing changes; without it the last writer wins. Answers the stored document and its new `ETag`.",
    security(("bearer" = [])),
    params(("If-Match" = Option<String>, Header, description = "The `ETag` this write replaces, or `*`.")),
    request_body(content = serde_json::Value, content_type = "application/json", description = "Any JSON value.",
        example = json!({ "theme": "dark", "onboarding": { "done": true, "step": 3 } })),
    responses(
        (status = 200, description = "The stored document.", body = serde_json::Value, content_type = "application/json",
            headers(("ETag" = String, description = "`\"<sha256 of the document>\"`")),
            example = json!({ "theme": "dark", "onboarding": { "done": true, "step": 3 } })),
        BadRequest, Unauthenticated, NotFound, PreconditionFailed, PayloadTooLarge, Internal, Unavailable
    )
)]
#[put("/data")]
pub(crate) async fn put_my_data(
    state: web::Data<AppState>,
    user: AuthUser,
    request: HttpRequest,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let json = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<mime::Mime>().ok())
        .is_some_and(|m| m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
    if !json {
        return Err(ApiError::BadRequest(
            "Send the document as `Content-Type: application/json`.".to_owned(),
        ));
    }
    let if_match = match request.headers().get(IF_MATCH) {
        None => None,
        Some(v) => Some(
            v.to_str()
                .map(|s| {
                    s.trim()
                        .trim_start_matches("W/")
                        .trim_matches('"')
                        .to_owned()
                })
                .map_err(|_| {
                    ApiError::BadRequest("If-Match is not a valid entity tag.".to_owned())
                })?,
        ),
    };
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("The body could not be read: {e}")))?;
        if body.len() + chunk.len() > MAX_APP_DATA_BYTES {
            return Err(ApiError::PayloadTooLarge(format!(
                "The document is larger than the limit of {MAX_APP_DATA_BYTES} bytes."
            )));
        }
        body.extend_from_slice(&chunk);
    }
    let data = state
        .users
        .put_app_data(user.0.user_id, &body, if_match.as_deref())
        .await?;
    Ok(document_response(&data))
}

fn document_response(data: &AppData) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(NO_STORE)
        .insert_header((ETAG, format!("\"{}\"", data.etag)))
        .content_type("application/json")
        .body(data.json.clone())
}
