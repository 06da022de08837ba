//! `/api/v1/billing/subscription` and `/api/v1/billing/entitlements`: the caller's own
//! subscription and what it entitles them to.

use actix_web::{HttpResponse, delete, get, post, web};
use plinth_billing::{PlanId, SubscribeOutcome};

use crate::dto::subscription::{EntitlementsBody, SubscribeRequest, SubscriptionBody};
use crate::middleware::idempotency::IdempotencyKeyHeader;
use crate::openapi::responses::{
    BadRequest, IdempotencyInProgress, IdempotentValidation, Internal, NoSubscription,
    OrgBillingForbidden, PayloadTooLarge, Unauthenticated, Unavailable,
};
use crate::routes::NO_STORE;
use crate::{ApiError, AppState, AuthUser, ClientMeta};

/// The caller's live subscription.
#[utoipa::path(
    tag = "billing",
    operation_id = "get_subscription",
    summary = "Get my subscription",
    description = "The caller's live subscription (any status but `canceled`), or 404 when they have none. With a token acting for an organization (`POST /auth/org`): the organization's, which needs `org_billing:read` there (403 without; beyond the contract).",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The subscription.", body = SubscriptionBody),
        Unauthenticated, OrgBillingForbidden, NoSubscription, Internal, Unavailable
    )
)]
#[get("/subscription")]
pub(crate) async fn get_subscription(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let subscription = state.subscriptions.subscription_for(&user.caller()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(SubscriptionBody::from(subscription)))
}

/// Subscribes, or changes the plan of the caller's subscription.
#[utoipa::path(
    tag = "billing",
    operation_id = "subscribe",
    summary = "Subscribe or change plan",
    description = "Without a live subscription: subscribes to the plan (201). A plan with `trial_days` \
        starts `trialing` until `trial_end`; otherwise the subscription is `active` for one interval \
        (calendar month or year) from now. \n\n\
        With one (200): the same plan clears a scheduled downgrade or cancellation; a dearer plan with \
        the same interval applies at once, and the remaining fraction of the paid period × the price \
        difference (integer minor units, rounded half-even) is charged on the next invoice; any other \
        change (cheaper, or another interval) is scheduled for the end of the period (`scheduled_plan_id`). \
        A plan change also clears `cancel_at_period_end`.\n\n\
        Seats (beyond the contract): an organization's subscription pays `price × seats` each period \
        (`seats` 1–10000; left out, the count stays, 1 for a new one). A different count applies at once; \
        in a paid period the remaining fraction of the difference is charged (more seats) or credited \
        (fewer) on the next invoice. An account's own subscription has 1 seat (422 otherwise). With a token acting for an organization (`POST /auth/org`): the organization's, which needs `org_billing:write` there (403 without; 401 when the caller's membership or role changed since the token was minted; beyond the contract).\n\n\
        Honours `Idempotency-Key`: a retry with the same key and body gets the first answer again.",
    security(("bearer" = [])),
    params(IdempotencyKeyHeader),
    request_body(content = SubscribeRequest, description = "The plan to subscribe to."),
    responses(
        (status = 201, description = "Subscribed.", body = SubscriptionBody),
        (status = 200, description = "The existing subscription, changed (or already on that plan).", body = SubscriptionBody),
        BadRequest, Unauthenticated, OrgBillingForbidden, IdempotencyInProgress, PayloadTooLarge, IdempotentValidation, Internal, Unavailable
    )
)]
#[post(
    "/subscription",
    wrap = "actix_web::middleware::from_fn(crate::middleware::idempotency::idempotent)"
)]
pub(crate) async fn subscribe(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    body: web::Json<SubscribeRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    let plan_id = PlanId::from_uuid(body.plan_id);
    let (subscription, outcome) = state
        .subscriptions
        .subscribe_for(&user.caller(), plan_id, body.seats, &meta.0)
        .await?;
    let mut response = match outcome {
        SubscribeOutcome::Created => HttpResponse::Created(),
        SubscribeOutcome::Changed => HttpResponse::Ok(),
    };
    Ok(response
        .insert_header(NO_STORE)
        .json(SubscriptionBody::from(subscription)))
}

/// Cancels the caller's subscription at the end of its period.
#[utoipa::path(
    tag = "billing",
    operation_id = "cancel_subscription",
    summary = "Cancel my subscription",
    description = "Sets `cancel_at_period_end`: the subscription stays usable until `current_period_end`, \
        then ends instead of renewing (a scheduled plan change is dropped). Cancelling again changes nothing. \
        Subscribing again to the same plan before the end undoes it. With a token acting for an organization (`POST /auth/org`): the organization's, which needs `org_billing:write` there (403 without; 401 when the caller's membership or role changed since the token was minted; beyond the contract).",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The subscription, ending at the period end.", body = SubscriptionBody),
        Unauthenticated, OrgBillingForbidden, NoSubscription, Internal, Unavailable
    )
)]
#[delete("/subscription")]
pub(crate) async fn cancel_subscription(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
) -> Result<HttpResponse, ApiError> {
    let subscription = state
        .subscriptions
        .cancel_for(&user.caller(), &meta.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(SubscriptionBody::from(subscription)))
}

/// What the caller's plan (or the defaults) allow.
#[utoipa::path(
    tag = "billing",
    operation_id = "get_entitlements",
    summary = "Get my entitlements",
    description = "The features and limits the caller may use now: the configured defaults (such as \
        `storage_bytes` from `DEFAULT_STORAGE_BYTES`), overridden by the features of the plan of a \
        `trialing`, `active` or `past_due` subscription (`past_due` is the grace while an overdue \
        invoice can still be paid). An `unpaid` or ended subscription grants only the defaults. \
        With a token acting for an organization (`POST /auth/org`): the organization's, with its paid \
        `seats`; this needs `org_billing:read` there (403 without; beyond the contract). Routes guarded \
        by a plan feature use the organization's entitlements for any member acting for it.",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Feature key → on/off or integer limit.", body = EntitlementsBody),
        Unauthenticated, OrgBillingForbidden, Internal, Unavailable
    )
)]
#[get("/entitlements")]
pub(crate) async fn get_entitlements(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let features = state.subscriptions.entitlements_for(&user.caller()).await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(EntitlementsBody::from(features)))
}
