//! `/api/v1/auth/sessions` and `/auth/logout-all`: the caller's signed-in devices.

use actix_web::{HttpResponse, delete, get, post, web};
use plinth_sessions::SessionId;

use super::super::NO_STORE;
use crate::dto::auth::{SessionBody, SessionListBody};
use crate::openapi::responses::{Internal, NotFound, Unauthenticated, Unavailable};
use crate::{ApiError, AppState, AuthUser, ClientMeta, cookies};

/// Lists the caller's sessions.
#[utoipa::path(
    tag = "auth",
    operation_id = "list_sessions",
    summary = "List my sessions",
    description = "The caller's live sessions (one per signed-in device), newest first, with the user agent and \
        IP they signed in from; `current` marks the one of the access token used. A session ends, and is no \
        longer listed, when revoked, at its absolute end (`expires_at`, `REFRESH_TOKEN_TTL` after sign-in) or \
        once unused for `SESSION_IDLE_TIMEOUT` (default 7 days) since `last_used_at`.",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The live sessions.", body = SessionListBody),
        Unauthenticated, Internal, Unavailable
    )
)]
#[get("/sessions")]
pub(crate) async fn list_sessions(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let current = user.0.session_id;
    let items = state
        .auth
        .sessions(&user.0)
        .await?
        .into_iter()
        .map(|s| SessionBody::new(s, current))
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(SessionListBody { items }))
}

/// Ends one of the caller's sessions.
#[utoipa::path(
    tag = "auth",
    operation_id = "revoke_session",
    summary = "End one of my sessions",
    description = "Revokes the session: its refresh token stops working at once. Another user's session is a 404.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Session id")),
    responses(
        (status = 204, description = "The session is revoked."),
        Unauthenticated, NotFound, Internal, Unavailable
    )
)]
#[delete("/sessions/{id}")]
pub(crate) async fn revoke_session(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<SessionId>,
) -> Result<HttpResponse, ApiError> {
    state
        .auth
        .revoke_own_session(&user.0, id.into_inner(), &meta.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Ends every session of the caller.
#[utoipa::path(
    tag = "auth",
    operation_id = "logout_all",
    summary = "Sign out everywhere",
    description = "Revokes every session of the caller, this one included: every refresh token stops working.",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Every session is revoked."),
        Unauthenticated, Internal, Unavailable
    )
)]
#[post("/logout-all")]
pub(crate) async fn logout_all(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
) -> Result<HttpResponse, ApiError> {
    state.auth.logout_all(&user.0, &meta.0).await?;
    let mut answer = HttpResponse::NoContent();
    cookies::sign_out(&mut answer, &state.http);
    Ok(answer.finish())
}
