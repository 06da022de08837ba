//! `/api/v1/me/identities`: the sign-in provider identities linked to the caller's account.

use actix_web::{HttpResponse, delete, get, post, web};
use plinth_sessions::UserIdentityId;
use validator::Validate as _;

use super::super::NO_STORE;
use crate::dto::oauth::{AuthorizationBody, IdentityBody, IdentityListBody, LinkRequest};
use crate::openapi::responses::{
    BadRequest, Internal, LastWayIn, NotFound, OAuthProviderError, PayloadTooLarge,
    Unauthenticated, Unavailable, Validation,
};
use crate::{ApiError, AppState, AuthUser, ClientMeta};

/// The caller's linked identities.
#[utoipa::path(
    tag = "me",
    operation_id = "list_my_identities",
    summary = "List my linked sign-in providers",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Linked identities, oldest first.", body = IdentityListBody),
        Unauthenticated, Internal, Unavailable
    )
)]
#[get("/identities")]
pub(crate) async fn list_identities(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let items = state
        .auth
        .identities(user.0.user_id)
        .await?
        .into_iter()
        .map(IdentityBody::from)
        .collect();
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(IdentityListBody { items }))
}

/// Starts linking a provider to the caller's account.
#[utoipa::path(
    tag = "me",
    operation_id = "link_identity",
    summary = "Link a sign-in provider",
    description = "Answers the provider's authorization URL for the browser to navigate to (a link flow bound to \
        the caller's account). The provider sends the browser back through the callback to `redirect_to` with \
        `?linked=<provider>` when the identity joined the account, or `?error=<problem code>`: \
        `oauth_email_unverified` when the provider did not assert a verified address (required to link), \
        `oauth_identity_taken` when the identity belongs to another account, `oauth_provider_error`. Being signed \
        in is the proof of control: an identity never joins an account by matching address alone. Audited as \
        `auth.identity_linked`.",
    security(("bearer" = [])),
    request_body = LinkRequest,
    responses(
        (status = 200, description = "Navigate the browser to `authorization_url`.", body = AuthorizationBody),
        BadRequest, Unauthenticated, NotFound, PayloadTooLarge, Validation, OAuthProviderError, Internal, Unavailable
    )
)]
#[post("/identities")]
pub(crate) async fn link_identity(
    state: web::Data<AppState>,
    user: AuthUser,
    body: web::Json<LinkRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let url = state
        .auth
        .start_oauth(
            &body.provider,
            &body.redirect_to,
            Some(user.0.user_id),
            None,
        )
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(AuthorizationBody {
            authorization_url: url,
        }))
}

/// Unlinks one of the caller's identities.
#[utoipa::path(
    tag = "me",
    operation_id = "unlink_identity",
    summary = "Unlink a sign-in provider",
    description = "Removes the identity, unless it is the account's last way in: an account created through a \
        provider keeps at least one identity until it sets a password of its own (through a reset link); that \
        answers 409 `identity_last_way_in`. Audited as `auth.identity_unlinked`.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "The identity's id.")),
    responses(
        (status = 204, description = "Unlinked."),
        BadRequest, Unauthenticated, NotFound, LastWayIn, Internal, Unavailable
    )
)]
#[delete("/identities/{id}")]
pub(crate) async fn unlink_identity(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<uuid::Uuid>,
) -> Result<HttpResponse, ApiError> {
    state
        .auth
        .unlink_identity(
            user.0.user_id,
            UserIdentityId::from_uuid(id.into_inner()),
            &meta.0,
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
