//! `POST /api/v1/auth/org`: the organization the caller's session acts for.

use actix_web::{HttpRequest, HttpResponse, post, web};
use plinth_kernel::OrgId;

use super::super::NO_STORE;
use crate::dto::auth::{AccessTokenBody, ActForOrgRequest};
use crate::openapi::responses::{
    BadRequest, Internal, OrgNotFound, OrgSuspended, PayloadTooLarge, Unauthenticated, Unavailable,
    Validation,
};
use crate::{ApiError, AppState, AuthUser, ClientMeta, cookies};

/// Acts for an organization, or for oneself again.
#[utoipa::path(
    tag = "auth",
    operation_id = "act_for_org",
    summary = "Act for an organization",
    description = "Makes the caller's session act for `org_id`, an organization they are a member of (`null`: for \
        themselves again), and answers a new access token whose `org` and `org_perms` claims carry the \
        organization and the caller's organization permissions there, so routes acting for it check them without \
        a database query. The refresh token is unchanged: each refresh keeps the organization while the caller is \
        still a member of it and it is not suspended (and answers `org_id: null` once that ends). Removing the \
        member, changing their role, suspending or deleting the organization ends every token acting for it \
        within `REVOCATION_SYNC_INTERVAL`, on every replica; the holder refreshes to get one that matches. In a \
        browser session the access cookie is replaced too. Audited as `auth.org_selected`. Not a member, or no \
        such organization: 404 (one answer).",
    security(("bearer" = [])),
    request_body = ActForOrgRequest,
    responses(
        (status = 200, description = "The session acts for the organization; a token that says so.",
            body = AccessTokenBody),
        BadRequest, Unauthenticated, OrgSuspended, OrgNotFound, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[post("/org")]
pub(crate) async fn act_for_org(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    req: HttpRequest,
    body: web::Json<ActForOrgRequest>,
) -> Result<HttpResponse, ApiError> {
    let org = body.into_inner().org_id.map(OrgId::from_uuid);
    let grant = state.auth.act_for(&user.0, org, &meta.0).await?;
    let mut answer = HttpResponse::Ok();
    cookies::renew_access(&mut answer, &req, &state.http, &grant.access_token);
    Ok(answer
        .insert_header(NO_STORE)
        .json(AccessTokenBody::from(grant)))
}
