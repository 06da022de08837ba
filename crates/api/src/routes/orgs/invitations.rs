//! `/api/v1/orgs/{org_id}/invitations` (sending, listing, revoking and resending invitations)
//! and `/api/v1/invitations` (the invitee's side: accepting by the link's token, or listing,
//! accepting and declining their own by id).

use actix_web::{HttpResponse, delete, get, post, web};
use plinth_orgs::{InvitationId, OrgId};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::org::{
    AcceptInvitationRequest, InvitationBody, InvitationPageBody, MyInvitationBody,
    MyInvitationListBody, NewInvitationRequest, OrganizationBody, SentInvitationBody,
};
use crate::dto::page::PageQuery;
use crate::openapi::responses::{
    BadRequest, Internal, InvitationConflict, InvitationNotFound, OrgConflict, OrgForbidden,
    OrgNotFound, PayloadTooLarge, Unauthenticated, Unavailable, UnverifiedInvitee, Validation,
};
use crate::routes::NO_STORE;
use crate::{ApiError, AppState, AuthUser, ClientMeta};

/// The routes under `/api/v1/orgs`.
pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(invite_to_org)
        .service(list_org_invitations)
        .service(revoke_org_invitation)
        .service(resend_org_invitation);
}

/// The routes under `/api/v1/invitations`.
pub(crate) fn configure_accept(cfg: &mut ServiceConfig) {
    cfg.service(accept_org_invitation)
        .service(list_my_invitations)
        .service(accept_my_invitation)
        .service(decline_my_invitation);
}

/// Lists the invitations pending for the caller's address.
#[utoipa::path(
    tag = "organizations",
    operation_id = "list_my_invitations",
    summary = "List my invitations",
    description = "The invitations pending for the caller's verified address, from every organization, newest \
        first (at most 100), to accept or decline in the app without the mailed link. An unverified address \
        sees none: 403 until it is verified.",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The pending invitations.", body = MyInvitationListBody),
        Unauthenticated, UnverifiedInvitee, Internal, Unavailable
    )
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub(crate) async fn list_my_invitations(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let offers = state.orgs.my_invitations(&user.caller()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(MyInvitationListBody {
            items: offers.into_iter().map(MyInvitationBody::from).collect(),
        }))
}

/// Accepts one of the caller's pending invitations.
#[utoipa::path(
    tag = "organizations",
    operation_id = "accept_my_invitation",
    summary = "Accept one of my invitations",
    description = "As `POST /api/v1/invitations/accept`, by the invitation's id instead of the link's token: \
        the invitation must be pending and addressed to the caller's verified address (404 otherwise, one \
        answer for all). Audited as `org.invitation_accepted`.",
    security(("bearer" = [])),
    params(("invitation_id" = uuid::Uuid, Path, description = "Invitation id")),
    responses(
        (status = 200, description = "The organization joined, with the caller's role there.", body = OrganizationBody),
        Unauthenticated, UnverifiedInvitee, InvitationNotFound, InvitationConflict, Internal, Unavailable
    )
)]
#[post("/{invitation_id}/accept")]
#[tracing::instrument(skip_all)]
pub(crate) async fn accept_my_invitation(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<InvitationId>,
) -> Result<HttpResponse, ApiError> {
    let joined = state
        .orgs
        .accept_invitation_by_id(&user.caller(), id.into_inner(), &meta.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(OrganizationBody::from(joined)))
}

/// Declines one of the caller's pending invitations.
#[utoipa::path(
    tag = "organizations",
    operation_id = "decline_my_invitation",
    summary = "Decline one of my invitations",
    description = "Ends a pending invitation addressed to the caller's verified address; its link stops \
        working. 404 for one that is not pending or not the caller's. Audited as `org.invitation_declined`.",
    security(("bearer" = [])),
    params(("invitation_id" = uuid::Uuid, Path, description = "Invitation id")),
    responses(
        (status = 204, description = "Declined."),
        Unauthenticated, UnverifiedInvitee, InvitationNotFound, Internal, Unavailable
    )
)]
#[delete("/{invitation_id}")]
#[tracing::instrument(skip_all)]
pub(crate) async fn decline_my_invitation(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<InvitationId>,
) -> Result<HttpResponse, ApiError> {
    state
        .orgs
        .decline_invitation(&user.caller(), id.into_inner(), &meta.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Invites an address to the organization.
#[utoipa::path(
    tag = "organizations",
    operation_id = "invite_to_org",
    summary = "Invite someone",
    description = "Mails `email` a link to join the organization as `role`, valid 7 days. The address needs no \
        account: whoever accepts signs in (or signs up) with it and verifies it first. The answer is the same \
        whether the address has an account or not. Needs `members:write`, and the role must be one the caller \
        may grant (403 otherwise). One pending invitation per address (409: resend or revoke it); at most 50 \
        invitations sent per organization and hour (429). `mailed: false` says the mail could not be handed \
        over; the invitation stands and can be resent. Audited as `org.invitation_sent`.",
    security(("bearer" = [])),
    params(("org_id" = uuid::Uuid, Path, description = "Organization id")),
    request_body = NewInvitationRequest,
    responses(
        (status = 201, description = "The invitation.", body = SentInvitationBody),
        BadRequest, Unauthenticated, OrgForbidden, OrgNotFound, OrgConflict, PayloadTooLarge, Validation,
        Internal, Unavailable
    )
)]
#[post("/{org_id}/invitations")]
#[tracing::instrument(skip_all)]
pub(crate) async fn invite_to_org(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    org: web::Path<OrgId>,
    body: web::Json<NewInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    let sent = state
        .orgs
        .invite(
            &user.caller(),
            org.into_inner(),
            &body.email,
            &body.role,
            &meta.0,
        )
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(NO_STORE)
        .json(SentInvitationBody::from(sent)))
}

/// Lists the organization's pending invitations.
#[utoipa::path(
    tag = "organizations",
    operation_id = "list_org_invitations",
    summary = "List pending invitations",
    description = "Invitations neither accepted, revoked nor expired, newest first. Needs `members:read`.",
    security(("bearer" = [])),
    params(("org_id" = uuid::Uuid, Path, description = "Organization id"), PageQuery),
    responses(
        (status = 200, description = "A page of invitations.", body = InvitationPageBody),
        BadRequest, Unauthenticated, OrgForbidden, OrgNotFound, Internal, Unavailable
    )
)]
#[get("/{org_id}/invitations")]
#[tracing::instrument(skip_all)]
pub(crate) async fn list_org_invitations(
    state: web::Data<AppState>,
    user: AuthUser,
    org: web::Path<OrgId>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = state
        .orgs
        .invitations(&user.caller(), org.into_inner(), query.try_into_domain()?)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(InvitationPageBody {
            items: page.items.into_iter().map(InvitationBody::from).collect(),
            next_cursor: page.next_cursor.map(|c| c.encode()),
        }))
}

/// Revokes a pending invitation.
#[utoipa::path(
    tag = "organizations",
    operation_id = "revoke_org_invitation",
    summary = "Revoke an invitation",
    description = "Its link stops working at once. Needs `members:write`. An invitation accepted or revoked \
        already is a 404. Audited as `org.invitation_revoked`.",
    security(("bearer" = [])),
    params(
        ("org_id" = uuid::Uuid, Path, description = "Organization id"),
        ("invitation_id" = uuid::Uuid, Path, description = "Invitation id"),
    ),
    responses(
        (status = 204, description = "Revoked."),
        Unauthenticated, OrgForbidden, OrgNotFound, Internal, Unavailable
    )
)]
#[delete("/{org_id}/invitations/{invitation_id}")]
#[tracing::instrument(skip_all)]
pub(crate) async fn revoke_org_invitation(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    path: web::Path<(OrgId, InvitationId)>,
) -> Result<HttpResponse, ApiError> {
    let (org, invitation) = path.into_inner();
    state
        .orgs
        .revoke_invitation(&user.caller(), org, invitation, &meta.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Sends a pending invitation again.
#[utoipa::path(
    tag = "organizations",
    operation_id = "resend_org_invitation",
    summary = "Resend an invitation",
    description = "Mails a new link, valid 7 days from now; the previous link stops working. Needs \
        `members:write`; counts towards the hourly cap (429). An invitation accepted or revoked already is a \
        404. Audited as `org.invitation_sent` with `resent: true`.",
    security(("bearer" = [])),
    params(
        ("org_id" = uuid::Uuid, Path, description = "Organization id"),
        ("invitation_id" = uuid::Uuid, Path, description = "Invitation id"),
    ),
    responses(
        (status = 200, description = "The invitation with its new expiry.", body = SentInvitationBody),
        Unauthenticated, OrgForbidden, OrgNotFound, Internal, Unavailable
    )
)]
#[post("/{org_id}/invitations/{invitation_id}/resend")]
#[tracing::instrument(skip_all)]
pub(crate) async fn resend_org_invitation(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    path: web::Path<(OrgId, InvitationId)>,
) -> Result<HttpResponse, ApiError> {
    let (org, invitation) = path.into_inner();
    let sent = state
        .orgs
        .resend_invitation(&user.caller(), org, invitation, &meta.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(SentInvitationBody::from(sent)))
}

/// Accepts an invitation.
#[utoipa::path(
    tag = "organizations",
    operation_id = "accept_org_invitation",
    summary = "Accept an invitation",
    description = "Joins the organization with the invitation's role. The caller must be signed in with the \
        invited address and have verified it (403 until then). A token that is unknown, used, revoked, expired \
        or sent to another address is one 404; being a member already, or a custom role offered that no longer \
        exists, is a 409 and leaves the invitation as it is. Audited as `org.invitation_accepted`.",
    security(("bearer" = [])),
    request_body = AcceptInvitationRequest,
    responses(
        (status = 200, description = "The organization joined, with the caller's role there.", body = OrganizationBody),
        BadRequest, Unauthenticated, UnverifiedInvitee, InvitationNotFound, InvitationConflict, PayloadTooLarge,
        Validation, Internal, Unavailable
    )
)]
#[post("/accept")]
#[tracing::instrument(skip_all)]
pub(crate) async fn accept_org_invitation(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    body: web::Json<AcceptInvitationRequest>,
) -> Result<HttpResponse, ApiError> {
    let joined = state
        .orgs
        .accept_invitation(&user.caller(), &body.token, &meta.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(OrganizationBody::from(joined)))
}
