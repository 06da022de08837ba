//! `PATCH /api/v1/admin/plans/{id}`: editing a plan, with price versions.

use actix_web::{HttpResponse, patch, web};
use plinth_billing::PlanId;
use plinth_users::Permission;
use validator::Validate as _;

use crate::dto::billing::PlanBody;
use crate::dto::plan_changes::UpdatePlanRequest;
use crate::openapi::responses::{
    BadRequest, Conflict, Forbidden, Internal, NotFound, PayloadTooLarge, Unauthenticated,
    Unavailable, Validation,
};
use crate::{ApiError, AppState, AuthUser, ClientMeta};

/// Changes a plan (permission `billing:write`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_update_plan",
    summary = "Change a plan",
    description = "Changes any fields of a plan (body as `Plan` without `id`; absent fields are kept). \
        Needs the `billing:write` permission. A new `price` or `interval` is recorded as the plan's next \
        price version: existing subscriptions keep paying the price they subscribed at, new subscriptions \
        and plan changes get the new one. Audited as `billing.plan_changed`. Invalid input changes nothing.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Plan id")),
    request_body = UpdatePlanRequest,
    responses(
        (status = 200, description = "The plan as it is now.", body = PlanBody),
        BadRequest, Unauthenticated, Forbidden, NotFound, Conflict, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[patch("/plans/{id}")]
pub(crate) async fn update_plan(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<uuid::Uuid>,
    body: web::Json<UpdatePlanRequest>,
) -> Result<HttpResponse, ApiError> {
    let caller = user.caller();
    caller.require(Permission::BILLING_WRITE)?;
    let body = body.into_inner();
    body.validate()?;
    let plan = state
        .plans
        .update_plan(
            &caller,
            PlanId::from_uuid(id.into_inner()),
            body.try_into_domain()?,
            &meta.0,
        )
        .await?;
    Ok(HttpResponse::Ok().json(PlanBody::from(plan)))
}
