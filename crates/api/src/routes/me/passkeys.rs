//! `/api/v1/me/passkeys`: register, list, rename and remove the caller's passkeys. Every
//! change is audited (`auth.passkey_added`, `auth.passkey_renamed`, `auth.passkey_removed`);
//! another user's passkey is a 404.

use actix_web::{HttpResponse, delete, get, patch, post, web};
use plinth_sessions::PasskeyId;
use validator::Validate as _;

use super::super::NO_STORE;
use crate::dto::passkey::{
    PasskeyBody, PasskeyListBody, PasskeyOptionsBody, RegisterPasskeyRequest, RenamePasskeyRequest,
    StartPasskeyRegistrationRequest,
};
use crate::openapi::responses::{
    AccountLocked, BadRequest, Internal, LastWayIn, PasskeyConflict, PasskeyNotFound,
    PayloadTooLarge, ReauthenticationRequired, Unauthenticated, Unavailable, Validation,
};
use crate::{ApiError, AppState, AuthUser, ClientMeta};

/// The caller's passkeys.
#[utoipa::path(
    tag = "me",
    operation_id = "list_my_passkeys",
    summary = "List my passkeys",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Registered passkeys, oldest first.", body = PasskeyListBody),
        Unauthenticated, PasskeyNotFound, Internal, Unavailable
    )
)]
#[get("/passkeys")]
pub(crate) async fn list_passkeys(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let items = state
        .auth
        .passkeys(user.0.user_id)
        .await?
        .into_iter()
        .map(PasskeyBody::from)
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(PasskeyListBody { items }))
}

/// Starts registering a passkey.
#[utoipa::path(
    tag = "me",
    operation_id = "start_passkey_registration",
    summary = "Start registering a passkey",
    description = "Answers options for `navigator.credentials.create()`: a discoverable credential \
        (`residentKey: \"required\"`) with user verification, for this relying party, excluding the caller's \
        registered passkeys. Present the `ceremony_token` with the answer at `POST /me/passkeys` within \
        `expires_in` seconds. A passkey is a new way into the account, so an access token alone does not \
        start one: send the account's `password` (checked like a sign-in: a wrong one is a 422 with \
        `errors.password` and counts towards the lockout), or call within 10 minutes of signing in (the \
        session's sign-in, not a refresh); otherwise a 403 `reauthentication_required`. A 404 when passkeys are \
        not configured.",
    security(("bearer" = [])),
    request_body = StartPasskeyRegistrationRequest,
    responses(
        (status = 200, description = "The options and the ceremony token.", body = PasskeyOptionsBody),
        BadRequest, Unauthenticated, ReauthenticationRequired, PasskeyNotFound, PayloadTooLarge, Validation,
        AccountLocked, Internal, Unavailable
    )
)]
#[post("/passkeys/options")]
pub(crate) async fn start_registration(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    body: web::Json<StartPasskeyRegistrationRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let options = state
        .auth
        .start_passkey_registration(&user.0, body.password.as_deref(), &meta.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(PasskeyOptionsBody::from(options)))
}

/// Registers a passkey.
#[utoipa::path(
    tag = "me",
    operation_id = "register_passkey",
    summary = "Register a passkey",
    description = "Verifies the authenticator's answer to the caller's registration options (challenge, origin, \
        relying-party id, user verification) and stores the passkey: from now on it signs in at \
        `POST /auth/passkeys/sign-in`, and answers the MFA challenge when TOTP is on. The ceremony works once; an \
        unknown, spent, expired or another user's ceremony, or an answer that does not verify, is a 422 with \
        `errors.credential`; a credential registered already, a 409. Audited as `auth.passkey_added`.",
    security(("bearer" = [])),
    request_body = RegisterPasskeyRequest,
    responses(
        (status = 201, description = "Registered.", body = PasskeyBody),
        BadRequest, Unauthenticated, PasskeyNotFound, PasskeyConflict, PayloadTooLarge, Validation, Internal,
        Unavailable
    )
)]
#[post("/passkeys")]
pub(crate) async fn register_passkey(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    body: web::Json<RegisterPasskeyRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let passkey = state
        .auth
        .finish_passkey_registration(
            &user.0,
            &body.ceremony_token,
            body.name.as_deref(),
            &body.credential,
            &meta.0,
        )
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(NO_STORE)
        .json(PasskeyBody::from(passkey)))
}

/// Renames one of the caller's passkeys.
#[utoipa::path(
    tag = "me",
    operation_id = "rename_passkey",
    summary = "Rename a passkey",
    description = "Audited as `auth.passkey_renamed`. A name must have 1 to 64 characters and no control \
        characters (422 with `errors.name`).",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The passkey's id.")),
    request_body = RenamePasskeyRequest,
    responses(
        (status = 200, description = "Renamed.", body = PasskeyBody),
        BadRequest, Unauthenticated, PasskeyNotFound, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[patch("/passkeys/{id}")]
pub(crate) async fn rename_passkey(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<uuid::Uuid>,
    body: web::Json<RenamePasskeyRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let passkey = state
        .auth
        .rename_passkey(
            user.0.user_id,
            PasskeyId::from_uuid(id.into_inner()),
            &body.name,
            &meta.0,
        )
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(PasskeyBody::from(passkey)))
}

/// Removes one of the caller's passkeys.
#[utoipa::path(
    tag = "me",
    operation_id = "remove_passkey",
    summary = "Remove a passkey",
    description = "Removes the passkey at once (it no longer signs in), unless it is the account's last way in: \
        an account with no password of its own, no linked identity and no other passkey keeps it (409 \
        `identity_last_way_in`). Audited as `auth.passkey_removed`.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The passkey's id.")),
    responses(
        (status = 204, description = "Removed."),
        BadRequest, Unauthenticated, PasskeyNotFound, LastWayIn, Internal, Unavailable
    )
)]
#[delete("/passkeys/{id}")]
pub(crate) async fn remove_passkey(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .auth
        .remove_passkey(
            user.0.user_id,
            PasskeyId::from_uuid(id.into_inner()),
            &meta.0,
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
